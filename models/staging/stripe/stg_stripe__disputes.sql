with

source as (

    {{ raw_documents(source('stripe', 'disputes')) }}

),

final as (

    select
        source.id as dispute_id,
        {{ json_id('data', 'charge') }} as charge_id,
        {{ json_id('data', 'payment_intent') }} as payment_intent_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'reason') }} as reason,
        {{ dispute_evidence_text('data') }} as evidence_text,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_object('data', 'balance_transactions') }}
            as balance_transactions,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ json_bool('data', 'is_charge_refundable') }}
            as is_charge_refundable,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
