{#-
    One row per subscription (placeholders included), with what it bills
    now: its current items and price, its current MRR (the latest month of
    fct_mrr) and its status and lifecycle times.

    Status over time: the intervals a subscription spent in each status
    (docs/metrics.md, "Status over time") are the MRR models'
    `int_subscription_status_intervals`. Once that model exists, join it
    here on subscription_id for `active_days` and `status_change_count`
    (time spent active or past_due, number of status changes); until then
    the dimension states only the current status and the lifecycle times.
-#}
with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}

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

)

select * from final
