{#- Every item of every subscription (the seed project kept only the
    first). The billing period is the item's own since basil; for objects
    of the older shape it is the subscription's. -#}
{{ config(
    unique_key='subscription_item_id',
    indexes=[{'columns': ['subscription_id']}, {'columns': ['price_id']}],
) }}

with

subscription_items as (

    select * from {{ ref('stg_stripe__subscription_items') }}

),

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

missing_subscription_items as (

    {{ missing_parents(
        'subscription_item_id',
        known=[('stg_stripe__subscription_items', 'subscription_item_id')],
        references=[
            {'model': 'stg_stripe__invoice_line_items',
             'key': 'subscription_item_id',
             'columns': {'subscription_id': 'subscription_id',
                         'price_id': 'price_id'}},
        ],
        columns=['subscription_id', 'price_id'],
    ) }}

),

items_joined_to_subscriptions as (

    select
        subscription_items.subscription_item_id,
        subscription_items.price_id,
        subscription_items.subscription_id,
        subscription_items.metadata,
        subscription_items.quantity,
        subscription_items.is_deleted,
        false as is_missing_from_source,
        subscription_items.is_livemode,
        subscription_items.created_at,
        coalesce(
            subscription_items.current_period_start_at,
            subscriptions.current_period_start_at
        ) as current_period_start_at,
        coalesce(
            subscription_items.current_period_end_at,
            subscriptions.current_period_end_at
        ) as current_period_end_at,
        greatest(
            subscription_items.loaded_at, subscriptions.loaded_at
        ) as loaded_at
    from subscription_items
    left join subscriptions
        on subscription_items.subscription_id = subscriptions.subscription_id
    where
        {{ is_new_since_last_run('subscription_items.loaded_at') }}
        or {{ is_new_since_last_run('subscriptions.loaded_at') }}

),

final as (

    select * from items_joined_to_subscriptions

    union all

    select
        {{ placeholder_columns(
            [
                'subscription_item_id',
                'subscription_id',
                'price_id',
                'loaded_at',
            ],
            {'is_deleted': 'true', 'is_missing_from_source': 'true'},
        ) }}
    from missing_subscription_items

)

select * from final
