with

source as (

    {{ raw_documents(source('stripe', 'invoiceitems')) }}

),

final as (

    select
        source.id as invoice_item_id,
        {{ json_id('data', 'customer') }} as customer_id,
        {{ json_id('data', 'invoice') }} as invoice_id,
        coalesce(
            {{ json_id('data', 'parent.subscription_details.subscription') }},
            {{ json_id('data', 'subscription') }}
        ) as subscription_id,
        -- A proration's item: the subscription item it was made for.
        coalesce(
            {{ json_id('data',
                'parent.subscription_details.subscription_item') }},
            {{ json_id('data', 'subscription_item') }}
        ) as subscription_item_id,
        coalesce(
            {{ json_id('data', 'pricing.price_details.price') }},
            {{ json_id('data', 'price') }},
            {{ json_id('data', 'plan') }}
        ) as price_id,
        coalesce(
            {{ json_id('data', 'pricing.price_details.product') }},
            {{ json_id('data', 'price.product') }},
            {{ json_id('data', 'plan.product') }}
        ) as product_id,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'description') }} as description,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'quantity') }} as quantity,
        {{ money_columns('data', 'amount', 'amount') }},
        coalesce(
            {{ json_numeric('data', 'pricing.unit_amount_decimal') }},
            {{ json_numeric('data', 'unit_amount_decimal') }},
            {{ json_numeric('data', 'price.unit_amount_decimal') }},
            {{ json_numeric('data', 'plan.amount_decimal') }}
        ) as unit_amount_decimal_cents,
        {{ json_bool('data', 'proration') }} as is_proration,
        {{ json_bool('data', 'discountable') }} as is_discountable,
        {{ json_timestamp('data', 'period.start') }} as period_start_at,
        {{ json_timestamp('data', 'period.end') }} as period_end_at,
        {{ json_timestamp('data', 'date') }} as invoiced_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
