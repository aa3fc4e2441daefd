{#-
    Evidence of MRR from the current state: one row per item currently on a
    subscription, valued at its monthly-normalized unit price x quantity
    from the start of its current period on, until newer evidence. This is
    what the latest month reconciles with.
-#}
with

subscription_items as (

    select * from {{ ref('subscription_items') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

prices as (

    select * from {{ ref('prices') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

items_joined_to_prices as (

    select
        subscription_items.subscription_item_id,
        subscription_items.subscription_id,
        subscription_items.price_id,
        prices.product_id,
        lower(prices.currency) as currency,
        prices.usage_type,
        prices.recurring_interval,
        prices.recurring_interval_count,
        prices.unit_amount_decimal_cents as unit_amount_cents,
        currencies.exponent,
        subscription_items.quantity,
        coalesce(
            subscription_items.current_period_start_at,
            subscriptions.current_period_start_at,
            subscription_items.created_at,
            subscriptions.started_at
        ) as current_period_start_at,
        subscriptions.loaded_at
    from subscription_items
    inner join subscriptions
        on subscription_items.subscription_id = subscriptions.subscription_id
    inner join prices
        on subscription_items.price_id = prices.price_id
    inner join currencies
        on lower(prices.currency) = currencies.currency_code
    where
        not subscription_items.is_deleted
        and not subscription_items.is_missing_from_source
        and prices.recurring_interval is not null

),

final as (

    select
        subscription_item_id,
        subscription_id,
        price_id as item_key,
        price_id,
        product_id,
        currency,
        recurring_interval,
        recurring_interval_count,
        quantity,
        {{ licensed_item_mrr(
            'unit_amount_cents', 'quantity', 'usage_type',
            'recurring_interval', 'recurring_interval_count', 'exponent',
        ) }} as gross_mrr_amount,
        usage_type = 'metered' as is_metered,
        current_period_start_at as valid_from_at,
        loaded_at as evidence_created_at
    from items_joined_to_prices

)

select * from final
