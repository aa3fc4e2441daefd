{#-
    MRR of each subscription item at each month's measuring instant
    (int_mrr_months): the newest evidence of the item in force then (the
    later-starting evidence, then the current item state, then a proration
    before a line it changes, then a change's new quantity before the
    replaced one's "unused time"). Evidence is keyed by subscription item,
    so one item never counts twice. In the month still running, measured
    at the latest load, a subscription whose current items are known is
    valued by them alone: they are what the API says now. Zero while the
    subscription is not active or past_due (int_subscription_status_intervals),
    and reduced by the forever discounts in force then
    (int_forever_discounts_dated); once and repeating discounts never reduce
    MRR. A percent off applies to every item; an amount off is normalized
    like the subscription's prices and shared among its items in proportion
    to their value, each share net of its item's inclusive tax (an amount
    off a tax-inclusive price takes its tax off with it).
-#}
{#- Stored, unlike the other intermediate steps: fct_mrr,
    metrics_product_monthly and four tests read it, and as a view each of
    them would evaluate the whole valuation again. Incremental per
    subscription where the engine merges (macros/marts/history.sql): a run
    values again the subscriptions whose inputs changed, in every month,
    and the months measured anew, for every subscription. -#}
{{ config(
    materialized=(
        'table' if target.type == 'spark' else 'incremental'
    ),
    incremental_strategy='append',
    pre_hook="{{ history_prepare(
        history_inputs(
            [
                ('items', ref('int_subscription_items_normalized')),
                ('lines', ref('int_invoice_lines_normalized')),
                ('status', ref('int_subscription_status_intervals')),
                ('discounts', ref('int_forever_discounts_dated')),
            ],
            ref('subscriptions'),
            ['customer_id', 'currency', 'is_missing_from_source'],
        ),
        history_months(ref('int_mrr_months')),
    ) }}",
    post_hook="{{ history_record() }}",
) }}

with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalized') }}

),

current_items as (

    select * from {{ ref('int_subscription_items_normalized') }}

),

status_intervals as (

    select * from {{ ref('int_subscription_status_intervals') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

months as (

    select * from {{ ref('int_mrr_months') }}

),

forever_discounts as (

    select * from {{ ref('int_forever_discounts_dated') }}

),

subscriptions_with_current_items as (

    select distinct subscription_id
    from current_items
    where is_current_state

),

evidence as (

    {#- The item states (current, changed by an event, removed) and the
        billing evidence, one shape. -#}
    {%- for relation, is_item_state in [
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
        net_of_tax_ratio,
        {{ 'is_current_state' if is_item_state else 'false' }}
            as is_current_state,
        {{ 'false' if is_item_state else 'is_proration' }} as is_proration,
        gross_mrr_amount > 0 as is_positive,
        valid_from_at,
        valid_until_at,
        evidence_created_at
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

{%- if is_incremental() %}

changed_subscriptions as (

    {{ history_changed_subscriptions() }}

),

changed_months as (

    select months.*
    from months
    inner join ({{ history_changed_months() }}) as changed
        on months.month_start_date = changed.month_start_date

),
{%- endif %}

evidence_in_months as (

    {#- Each piece of evidence at each month it may be in force at; on an
        incremental run only the subscriptions and months built again.
        Membership is `exists`, a semi- or anti-join: PostgreSQL runs
        `not in (subquery)` as a hashed filter only while the changed
        subscriptions fit in work_mem, and past that (300,000 customers,
        1 % changed) compares every row with every changed subscription. -#}
    {%- set month_sets = [('months', 'exists')] -%}
    {%- if is_incremental() -%}
        {%- set month_sets = month_sets + [('changed_months', 'not exists')] -%}
    {%- endif -%}
    {%- for month_set, membership in month_sets %}
    select
        months.month_start_date,
        months.measured_at,
        months.measured_on_date,
        months.is_current_month,
        evidence.*
    from evidence
    inner join {{ month_set }} as months
        on
            (months.is_current_month and evidence.is_current_state)
            or (
                evidence.valid_from_at < months.measured_at
                and (
                    evidence.valid_until_at is null
                    or evidence.valid_until_at >= months.measured_at
                )
            )
    {%- if is_incremental() %}
    where {{ membership }} (
        select 1
        from changed_subscriptions
        where changed_subscriptions.subscription_id = evidence.subscription_id
    )
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

evidence_ranked_per_month as (

    select
        evidence_in_months.*,
        row_number() over (
            partition by
                evidence_in_months.subscription_id,
                evidence_in_months.item_key,
                evidence_in_months.month_start_date
            order by
                evidence_in_months.valid_from_at desc,
                evidence_in_months.is_current_state desc,
                evidence_in_months.is_proration desc,
                evidence_in_months.is_positive desc,
                evidence_in_months.evidence_created_at desc
        ) as evidence_rank
    from evidence_in_months
    left join subscriptions_with_current_items
        on
            evidence_in_months.subscription_id
            = subscriptions_with_current_items.subscription_id
    where
        evidence_in_months.is_current_state
        or not evidence_in_months.is_current_month
        or subscriptions_with_current_items.subscription_id is null

),

items_in_force as (

    select
        evidence_ranked_per_month.*,
        coalesce(status_intervals.is_counted, false) as is_counted,
        subscriptions.customer_id
    from evidence_ranked_per_month
    inner join subscriptions
        on
            evidence_ranked_per_month.subscription_id
            = subscriptions.subscription_id
    -- The status just before a month's end; in the month still running,
    -- the status at the latest load, which the load itself saw.
    left join status_intervals
        on
            evidence_ranked_per_month.subscription_id
            = status_intervals.subscription_id
            and case
                when evidence_ranked_per_month.is_current_month
                    then
                        evidence_ranked_per_month.measured_at
                        >= status_intervals.valid_from_at
                        and (
                            status_intervals.valid_until_at is null
                            or evidence_ranked_per_month.measured_at
                            < status_intervals.valid_until_at
                        )
                else
                    evidence_ranked_per_month.measured_at
                    > status_intervals.valid_from_at
                    and (
                        status_intervals.valid_until_at is null
                        or evidence_ranked_per_month.measured_at
                        <= status_intervals.valid_until_at
                    )
            end
    where
        evidence_ranked_per_month.evidence_rank = 1
        and not subscriptions.is_missing_from_source

),

subscriptions_valued as (

    select
        subscription_id,
        month_start_date,
        measured_at,
        is_current_month,
        max(recurring_interval) as recurring_interval,
        max(recurring_interval_count) as recurring_interval_count,
        max(currency) as currency,
        sum(case when is_counted then gross_mrr_amount else 0 end)
            as gross_mrr_amount,
        {#- The same with inclusive tax: an amount off is shared among the
            items by this value, and each share is net of its item's tax. -#}
        sum(
            case
                when is_counted
                    then {{ decimal_quotient(
                        'gross_mrr_amount', 'nullif(net_of_tax_ratio, 0)', 12
                    ) }}
                else 0
            end
        ) as taxed_mrr_amount
    from items_in_force
    group by subscription_id, month_start_date, measured_at, is_current_month

),

discounts_in_force as (

    {#- One row per discount in force: an invoice that applied it and the
        current state can both say so. -#}
    select
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date,
        forever_discounts.discount_key,
        max(forever_discounts.percent_off) as percent_off,
        max(
            case
                when
                    forever_discounts.amount_off_currency
                    = subscriptions_valued.currency
                    then forever_discounts.amount_off
            end
        ) as amount_off
    from subscriptions_valued
    inner join forever_discounts
        on
            subscriptions_valued.subscription_id
            = forever_discounts.subscription_id
            and subscriptions_valued.measured_at
            > forever_discounts.valid_from_at
            and (
                forever_discounts.valid_until_at is null
                or subscriptions_valued.measured_at
                <= forever_discounts.valid_until_at
            )
            and (
                forever_discounts.is_current_state
                or not subscriptions_valued.is_current_month
            )
    group by
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date,
        forever_discounts.discount_key

),

forever_discounts_in_force as (

    select
        subscription_id,
        month_start_date,
        least(sum(coalesce(percent_off, 0)), 100) as percent_off,
        sum(coalesce(amount_off, 0)) as amount_off
    from discounts_in_force
    group by subscription_id, month_start_date

),

subscriptions_discounted as (

    select
        subscriptions_valued.subscription_id,
        subscriptions_valued.month_start_date,
        subscriptions_valued.gross_mrr_amount,
        greatest(
            {{ decimal_product(
                'subscriptions_valued.gross_mrr_amount',
                '1 - coalesce(forever_discounts_in_force.percent_off, 0) / 100',
            ) }}
            - {{ decimal_product(
                monthly_normalized(
                    'coalesce(forever_discounts_in_force.amount_off, 0)',
                    'subscriptions_valued.recurring_interval',
                    'subscriptions_valued.recurring_interval_count',
                ),
                'coalesce(' ~ decimal_quotient(
                    'subscriptions_valued.gross_mrr_amount',
                    'nullif(subscriptions_valued.taxed_mrr_amount, 0)',
                    12,
                ) ~ ', 1)',
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
                then {{ decimal_quotient(
                    decimal_product(
                        'items_in_force.gross_mrr_amount',
                        'subscriptions_discounted.net_mrr_amount',
                    ),
                    'subscriptions_discounted.gross_mrr_amount',
                    6,
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
