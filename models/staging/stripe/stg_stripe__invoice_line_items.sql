with

source as (

    {{ raw_documents(source('stripe', 'invoice_line_items'), ['parent_id']) }}

),

final as (

    select
        source.id as invoice_line_item_id,
        coalesce({{ json_id('data', 'invoice') }}, source.parent_id)
            as invoice_id,
        coalesce(
            {{ json_id('data',
                'parent.subscription_item_details.subscription') }},
            {{ json_id('data', 'parent.invoice_item_details.subscription') }},
            {{ json_id('data', 'subscription') }}
        ) as subscription_id,
        coalesce(
            {{ json_id('data',
                'parent.subscription_item_details.subscription_item') }},
            {{ json_id('data', 'subscription_item') }}
        ) as subscription_item_id,
        coalesce(
            {{ json_id('data', 'parent.invoice_item_details.invoice_item') }},
            {{ json_id('data', 'invoice_item') }}
        ) as invoice_item_id,
        -- basil+: pricing.price_details; before: the expanded price or plan.
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
        coalesce(
            {{ json_text('data', 'type') }},
            case {{ json_text('data', 'parent.type') }}
                when 'subscription_item_details' then 'subscription'
                when 'invoice_item_details' then 'invoiceitem'
            end
        ) as line_type,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_object('data', 'discount_amounts') }} as discount_amounts,
        -- basil+: taxes[] with tax_rate_details; before: tax_amounts[].
        {{ json_object('data', 'taxes') }} as taxes,
        {{ json_object('data', 'tax_amounts') }} as legacy_tax_amounts,
        {{ json_bigint('data', 'quantity') }} as quantity,
        {{ money_columns('data', 'amount', 'amount') }},
        coalesce(
            {{ json_numeric('data', 'pricing.unit_amount_decimal') }},
            {{ json_numeric('data', 'price.unit_amount_decimal') }},
            {{ json_numeric('data', 'plan.amount_decimal') }}
        ) as unit_amount_decimal_cents,
        coalesce(
            {{ json_bool('data',
                'parent.subscription_item_details.proration') }},
            {{ json_bool('data', 'parent.invoice_item_details.proration') }},
            {{ json_bool('data', 'proration') }},
            false
        ) as is_proration,
        {{ json_bool('data', 'discountable') }} as is_discountable,
        {{ json_timestamp('data', 'period.start') }} as period_start_at,
        {{ json_timestamp('data', 'period.end') }} as period_end_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
