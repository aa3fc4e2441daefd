with

source as (

    {{ raw_documents(source('stripe', 'subscription_items'), ['parent_id']) }}

),

final as (

    select
        source.id as subscription_item_id,
        coalesce(
            {{ json_id('data', 'subscription') }}, source.parent_id
        ) as subscription_id,
        coalesce(
            {{ json_id('data', 'price') }}, {{ json_id('data', 'plan') }}
        ) as price_id,
        coalesce(
            {{ json_id('data', 'price.product') }},
            {{ json_id('data', 'plan.product') }}
        ) as product_id,
        coalesce(
            {{ json_text('data', 'price.currency') }},
            {{ json_text('data', 'plan.currency') }}
        ) as currency,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'quantity') }} as quantity,
        -- Since 2025-03-31 (basil) periods live on the item; null before.
        {{ json_timestamp('data', 'current_period_start') }}
            as current_period_start_at,
        {{ json_timestamp('data', 'current_period_end') }}
            as current_period_end_at,
        {{ stripe_record_columns() }}
    from source

)

select * from final
