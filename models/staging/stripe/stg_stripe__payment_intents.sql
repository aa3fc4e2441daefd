{#- Older shapes (the local Stripe) have no amount_received: a succeeded
    intent received its amount, any other intent nothing yet. -#}
{%- set amount_received_cents -%}
    coalesce(
        {{ json_bigint('data', 'amount_received') }},
        case
            when {{ json_text('data', 'status') }} = 'succeeded'
                then {{ json_bigint('data', 'amount') }}
            else 0
        end
    )
{%- endset -%}

with

source as (

    {{ raw_documents(source('stripe', 'payment_intents')) }}

),

final as (

    select
        source.id as payment_intent_id,
        {{ json_id('data', 'customer') }} as customer_id,
        {{ json_id('data', 'payment_method') }} as payment_method_id,
        {{ json_id('data', 'latest_charge') }} as latest_charge_id,
        -- `invoice` is gone since basil.
        {{ json_id('data', 'invoice') }} as invoice_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'capture_method') }} as capture_method,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'cancellation_reason') }} as cancellation_reason,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ money_columns_of(amount_received_cents, 'amount_received') }},
        {{ json_timestamp('data', 'canceled_at') }} as canceled_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
