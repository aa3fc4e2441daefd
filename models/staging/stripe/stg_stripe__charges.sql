{#- Older shapes (the local Stripe) have no amount_captured: a captured
    charge captured its whole amount, any other charge nothing. -#}
{%- set amount_captured_cents -%}
    coalesce(
        {{ json_bigint('data', 'amount_captured') }},
        case
            when {{ json_bool('data', 'captured') }}
                then {{ json_bigint('data', 'amount') }}
            else 0
        end
    )
{%- endset -%}

with

source as (

    {{ raw_documents(source('stripe', 'charges')) }}

),

final as (

    select
        source.id as charge_id,
        {{ json_id('data', 'customer') }} as customer_id,
        -- `invoice` is gone since basil; invoice payments link them now.
        {{ json_id('data', 'invoice') }} as invoice_id,
        {{ json_id('data', 'payment_intent') }} as payment_intent_id,
        {{ json_id('data', 'payment_method') }} as payment_method_id,
        {{ json_id('data', 'balance_transaction') }}
            as balance_transaction_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'failure_code') }} as failure_code,
        {{ json_text('data', 'failure_message') }} as failure_message,
        {{ json_text('data', 'outcome.type') }} as outcome_type,
        {{ json_text('data', 'outcome.network_status') }}
            as outcome_network_status,
        coalesce(
            {{ json_text('data', 'outcome.reason') }},
            {{ json_text('data', 'failure_code') }}
        ) as decline_code,
        {{ json_text('data', 'outcome.risk_level') }} as risk_level,
        {{ json_text('data', 'payment_method_details.type') }}
            as payment_method_type,
        {{ json_text('data', 'payment_method_details.card.brand') }}
            as card_brand,
        upper({{ json_text('data', 'payment_method_details.card.country') }})
            as card_country,
        {{ json_text('data', 'payment_method_details.card.funding') }}
            as card_funding,
        {{ json_text('data', 'fraud_details.stripe_report') }}
            as stripe_fraud_report,
        {{ json_text('data', 'fraud_details.user_report') }}
            as user_fraud_report,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'outcome.risk_score') }} as risk_score,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ money_columns_of(amount_captured_cents, 'amount_captured') }},
        {{ money_columns('data', 'amount_refunded', 'amount_refunded') }},
        {{ json_bool('data', 'paid') }} as is_paid,
        {{ json_bool('data', 'captured') }} as is_captured,
        {{ json_bool('data', 'refunded') }} as is_refunded,
        {{ json_bool('data', 'disputed') }} as is_disputed,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
