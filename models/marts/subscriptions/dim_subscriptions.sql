{#-
    One row per subscription (placeholders included), with what it bills
    now: its current items and price, its current MRR (the latest month of
    fct_mrr) and its status and lifecycle times.

    Status over time: the intervals a subscription spent in each status
    (docs/metrics.md, "Status over time") are the MRR models'
    `int_subscription_status_intervals`, summed here up to the time of the
    data (the subscription's load), so a cancellation scheduled for later
    does not count yet.
-#}
with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}

),

status_intervals as (

    select * from {{ ref('int_subscription_status_intervals') }}

),

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

items_ranked as (

    select
        subscription_id,
        price_id,
        quantity,
        row_number() over (
            partition by subscription_id
            order by created_at, subscription_item_id
        ) as item_number
    from subscription_items
    where not is_deleted and not is_missing_from_source

),

items_summed as (

    select
        subscription_id,
        count(*) as item_count,
        sum(quantity) as total_quantity,
        max(case when item_number = 1 then price_id end) as first_price_id
    from items_ranked
    group by subscription_id

),

intervals_as_of_load as (

    select
        status_intervals.subscription_id,
        status_intervals.status,
        status_intervals.is_counted,
        status_intervals.valid_from_at,
        least(
            coalesce(status_intervals.valid_until_at, subscriptions.loaded_at),
            subscriptions.loaded_at
        ) as valid_until_at
    from status_intervals
    inner join subscriptions
        on status_intervals.subscription_id = subscriptions.subscription_id
    where status_intervals.valid_from_at <= subscriptions.loaded_at

),

intervals_summed as (

    select
        subscription_id,
        count(*) - 1 as status_change_count,
        max(valid_from_at) as status_since_at,
        min(case when is_counted then valid_from_at end) as first_counted_at,
        {#- days, with fractions: an interval can end within a day -#}
        sum(
            case
                when is_counted
                    then {{ days_between('valid_from_at', 'valid_until_at') }}
                else 0
            end
        ) as counted_days
    from intervals_as_of_load
    group by subscription_id

),

latest_mrr as (

    select
        subscription_id,
        mrr_amount,
        reporting_mrr_amount
    from fct_mrr
    where month = (select max(latest.month) from fct_mrr as latest)

),

final as (

    select
        subscriptions.subscription_id,
        coalesce(subscriptions.customer_id, 'unknown') as customer_id,
        {#- The price it bills now; with several items, the first added
            (item_count says how many). -#}
        coalesce(items_summed.first_price_id, 'unknown') as current_price_id,
        subscriptions.latest_invoice_id,
        subscriptions.status,
        subscriptions.collection_method,
        lower(subscriptions.currency) as currency,
        subscriptions.cancellation_reason,
        {{ metadata_columns('subscriptions', 'subscriptions.metadata') }}
        coalesce(items_summed.item_count, 0) as item_count,
        items_summed.total_quantity,
        coalesce(latest_mrr.mrr_amount, 0) as current_mrr_amount,
        coalesce(latest_mrr.reporting_mrr_amount, 0)
            as reporting_current_mrr_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        subscriptions.status in ('active', 'past_due') as is_active,
        coalesce(intervals_summed.status_change_count, 0)
            as status_change_count,
        intervals_summed.status_since_at,
        intervals_summed.first_counted_at,
        coalesce(
            {{ decimal_round('intervals_summed.counted_days', 4) }}, 0
        ) as counted_days,
        subscriptions.is_cancel_at_period_end,
        subscriptions.is_deleted,
        subscriptions.is_missing_from_source,
        subscriptions.created_at,
        subscriptions.started_at,
        subscriptions.trial_start_at,
        subscriptions.trial_end_at,
        subscriptions.current_period_start_at,
        subscriptions.current_period_end_at,
        subscriptions.cancel_at,
        subscriptions.canceled_at,
        subscriptions.ended_at
    from subscriptions
    left join items_summed
        on subscriptions.subscription_id = items_summed.subscription_id
    left join latest_mrr
        on subscriptions.subscription_id = latest_mrr.subscription_id
    left join intervals_summed
        on subscriptions.subscription_id = intervals_summed.subscription_id

)

select * from final
