{#-
    MRR of each subscription item at each month's measuring instant
    (int_mrr_months): the newest evidence of the item in force then (the
    later-starting evidence, then the current item state, then a proration
    before a line it changes, then a change's new quantity before the
    replaced one's "unused time"). In the month still running, measured at
    the latest load, a subscription whose current items are known is valued
    by them alone: they are what the API says now. Zero
    outside the subscription's counting window (int_subscriptions_windowed),
    and reduced by the subscription's forever discounts in force then; once
    and repeating discounts never reduce MRR. A percent off applies to every
    item; an amount off is normalized like the subscription's prices and
    shared among its items in proportion to their value.
-#}
{#- A table, unlike the other intermediate steps: fct_mrr,
    metrics_product_monthly and four tests read it, and as a view each of
    them would evaluate the whole valuation again. -#}
{{ config(materialized='table') }}

with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalized') }}

),

current_items as (

    select * from {{ ref('int_subscription_items_normalized') }}

),

windows as (

    select * from {{ ref('int_subscriptions_windowed') }}

),

months as (

    select * from {{ ref('int_mrr_months') }}

),

subscription_discounts as (

    select * from {{ ref('subscription_discounts') }}

),

coupons as (

    select * from {{ ref('coupons') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

evidence as (

    {#- The current state holds open-ended; a line, for its period. -#}
    {%- for relation, is_current_state in [
        ('current_items', true), ('invoice_lines', false),
    ] %}
    select
        subscription_id,
        item_key,
        price_id,
        product_id,
        currency,
        recurring_interval,
        recurring_interval_count,
        quantity,
        gross_mrr_amount,
        {{ 'true' if is_current_state else 'false' }} as is_current_state,
        {{ 'false' if is_current_state else 'is_proration' }} as is_proration,
        gross_mrr_amount > 0 as is_positive,
        valid_from_at,
        {% if is_current_state -%}
        cast(null as {{ dbt.type_timestamp() }}) as valid_until_at,
        {%- else -%}
        valid_until_at,
        {%- endif %}
        evidence_created_at
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

evidence_ranked_per_month as (

    select
        months.month_start_date,
        months.measured_at,
        months.measured_on_date,
        evidence.*,
        row_number() over (
            partition by
                evidence.subscription_id,
                evidence.item_key,
                months.month_start_date
            order by
                evidence.valid_from_at desc,
                evidence.is_current_state desc,
                evidence.is_proration desc,
                evidence.is_positive desc,
                evidence.evidence_created_at desc
        ) as evidence_rank
    from evidence
    inner join months
        on
            evidence.valid_from_at < months.measured_at
            and (
                evidence.valid_until_at is null
                or evidence.valid_until_at >= months.measured_at
            )
    where
        evidence.is_current_state
        or not months.is_current_month
        or evidence.subscription_id not in (
            select current_items.subscription_id from current_items
        )

),

items_in_force as (

    select
        evidence_ranked_per_month.*,
        coalesce(
            windows.counts_from_at < evidence_ranked_per_month.measured_at
            and (
                windows.counts_until_at is null
                or windows.counts_until_at
                >= evidence_ranked_per_month.measured_at
            ),
            false
        ) as is_counted,
        windows.customer_id
    from evidence_ranked_per_month
    inner join windows
        on evidence_ranked_per_month.subscription_id = windows.subscription_id
    where evidence_ranked_per_month.evidence_rank = 1

),

subscriptions_valued as (

    select
        subscription_id,
        month_start_date,
        measured_at,
        max(recurring_interval) as recurring_interval,
        max(recurring_interval_count) as recurring_interval_count,
        max(currency) as currency,
        sum(case when is_counted then gross_mrr_amount else 0 end)
            as gross_mrr_amount
    from items_in_force
    group by subscription_id, month_start_date, measured_at

),

forever_discounts_in_force as (

    select
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date,
        least(sum(coalesce(coupons.percent_off, 0)), 100) as percent_off,
        sum(
            {{ to_major_unit(
                'coalesce(coupons.amount_off_cents, 0)', rounded=false,
            ) }}
        ) as amount_off
    from subscriptions_valued
    inner join subscription_discounts
        on
            subscriptions_valued.subscription_id
            = subscription_discounts.subscription_id
            and subscriptions_valued.measured_at
            > subscription_discounts.start_at
            and (
                subscription_discounts.end_at is null
                or subscriptions_valued.measured_at
                <= subscription_discounts.end_at
            )
    inner join coupons
        on subscription_discounts.coupon_id = coupons.coupon_id
    inner join currencies
        on subscriptions_valued.currency = currencies.currency_code
    where
        coupons.duration = 'forever'
        and (
            coupons.amount_off_cents is null
            or lower(coupons.currency) = subscriptions_valued.currency
        )
    group by
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date

),

subscriptions_discounted as (

    select
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date,
        subscriptions_valued.gross_mrr_amount,
        greatest(
            subscriptions_valued.gross_mrr_amount
            * (1 - coalesce(forever_discounts_in_force.percent_off, 0) / 100)
            - {{ monthly_normalized(
                'coalesce(forever_discounts_in_force.amount_off, 0)',
                'subscriptions_valued.recurring_interval',
                'subscriptions_valued.recurring_interval_count',
            ) }},
            0
        ) as net_mrr_amount
    from subscriptions_valued
    left join forever_discounts_in_force
        on
            subscriptions_valued.subscription_id
            = forever_discounts_in_force.subscription_id
            and subscriptions_valued.month_start_date
            = forever_discounts_in_force.month_start_date

),

final as (

    select
        items_in_force.subscription_id,
        items_in_force.item_key,
        items_in_force.customer_id,
        items_in_force.price_id,
        items_in_force.product_id,
        items_in_force.currency,
        items_in_force.recurring_interval,
        items_in_force.recurring_interval_count,
        items_in_force.quantity,
        case
            when items_in_force.is_counted
                then items_in_force.gross_mrr_amount
            else 0
        end as gross_mrr_amount,
        case
            when
                items_in_force.is_counted
                and subscriptions_discounted.gross_mrr_amount > 0
                then {{ mrr_round(
                    'items_in_force.gross_mrr_amount'
                    ~ ' * subscriptions_discounted.net_mrr_amount'
                    ~ ' / subscriptions_discounted.gross_mrr_amount'
                ) }}
            else 0
        end as mrr_amount,
        items_in_force.is_counted,
        items_in_force.month_start_date,
        items_in_force.measured_on_date,
        items_in_force.measured_at
    from items_in_force
    inner join subscriptions_discounted
        on
            items_in_force.subscription_id
            = subscriptions_discounted.subscription_id
            and items_in_force.month_start_date
            = subscriptions_discounted.month_start_date

)

select * from final
