{#-
    Grain: one row per subscription and month, from the first month the
    subscription has MRR to the month it churns (and again from a month it
    is reactivated), so every movement has its row. Incremental per
    subscription where the engine merges (macros/marts/history.sql): a run
    rebuilds the subscriptions whose item months were valued again from
    changed inputs, and the months whose measuring instant, reporting rate
    or previous month changed.
-#}
{{ config(
    materialized=(
        'table' if target.type == 'spark' else 'incremental'
    ),
    incremental_strategy='append',
    pre_hook="{{ history_prepare(
        history_inputs_of(ref('int_subscription_items_valued_monthly')),
        history_months(
            ref('int_mrr_months'),
            history_reporting_rates(ref('int_mrr_months'), ref('int_fx_rates_daily')),
        ),
        month_column='month',
    ) }}",
    post_hook="{{ history_record() }}",
) }}

with

item_months as (

    select * from {{ ref('int_subscription_items_valued_monthly') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

months as (

    select * from {{ ref('int_mrr_months') }}

),

{%- if is_incremental() %}

changed_subscriptions as (

    {{ history_changed_subscriptions() }}

),

changed_months as (

    {{ history_changed_months() }}

),

{#- The changed months and the months before them, whose MRR a movement
    compares with. -#}
months_read as (

    select month_start_date from changed_months
    union
    select
        cast({{ dbt.dateadd('month', -1, 'month_start_date') }} as date)
            as month_start_date
    from changed_months

),
{%- endif %}

subscription_months as (

    select
        subscription_id,
        month_start_date,
        sum(mrr_amount) as mrr_amount
    from item_months
    {{- history_scope_joins(
        'item_months.subscription_id', 'item_months.month_start_date', 'months_read'
    ) }}
    where {{ history_in_scope() }}
    group by subscription_id, month_start_date

),

first_paying_months as (

    {#- An item month has MRR when its subscription-month has: no amount
        is negative. -#}
    select
        subscription_id,
        min(month_start_date) as first_month_date
    from item_months
    where mrr_amount > 0
    group by subscription_id

),

subscription_months_filled as (

    {#- Every month from the first with MRR, zero where no evidence is in
        force, so a churn and a reactivation each show. -#}
    select
        first_paying_months.subscription_id,
        subscriptions.customer_id,
        lower(subscriptions.currency) as currency,
        months.month_start_date,
        months.measured_on_date,
        coalesce(subscription_months.mrr_amount, 0) as mrr_amount
    from first_paying_months
    inner join subscriptions
        on first_paying_months.subscription_id = subscriptions.subscription_id
    inner join months
        on
            first_paying_months.first_month_date <= months.month_start_date
    {{- history_scope_joins(
        'first_paying_months.subscription_id',
        'months.month_start_date',
        'months_read',
    ) }}
    left join subscription_months
        on
            first_paying_months.subscription_id
            = subscription_months.subscription_id
            and months.month_start_date = subscription_months.month_start_date
    where {{ history_in_scope() }}

),

movements_classified as (

    select
        *,
        lag(mrr_amount) over (
            partition by subscription_id order by month_start_date
        ) as previous_mrr_amount
    from subscription_months_filled

),

movements_named as (

    select
        subscription_id,
        customer_id,
        currency,
        case
            when previous_mrr_amount is null then 'new'
            when previous_mrr_amount = 0 and mrr_amount > 0
                then 'reactivation'
            when previous_mrr_amount > 0 and mrr_amount = 0 then 'churn'
            when mrr_amount > previous_mrr_amount then 'expansion'
            when mrr_amount < previous_mrr_amount then 'contraction'
            else 'unchanged'
        end as movement,
        coalesce(previous_mrr_amount, 0) as previous_mrr_amount,
        mrr_amount,
        mrr_amount - coalesce(previous_mrr_amount, 0) as mrr_change_amount,
        mrr_amount > 0 as is_active,
        month_start_date as month,
        measured_on_date
    from movements_classified
    {{- history_scope_joins(
        'movements_classified.subscription_id',
        'movements_classified.month_start_date',
    ) }}
    -- Months after a churn stay out until the subscription comes back.
    where
        (mrr_amount > 0 or previous_mrr_amount > 0)
        and {{ history_in_scope() }}

),

final as (

    select
        movements_named.subscription_id,
        movements_named.customer_id,
        movements_named.currency,
        movements_named.movement,
        movements_named.previous_mrr_amount,
        movements_named.mrr_amount,
        movements_named.mrr_change_amount,
        {{ to_reporting_currency(
            'movements_named.mrr_amount',
            'movements_named.currency',
            'movements_named.measured_on_date',
        ) }} as reporting_mrr_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        movements_named.is_active,
        movements_named.month,
        movements_named.measured_on_date
    from movements_named

)

select * from final
