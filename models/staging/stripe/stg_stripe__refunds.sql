with

source as (

    {{ raw_documents(source('stripe', 'refunds')) }}

),

final as (

    select
        source.id as refund_id,
        {{ json_id('data', 'charge') }} as charge_id,
        {{ json_id('data', 'payment_intent') }} as payment_intent_id,
        {{ json_id('data', 'balance_transaction') }}
            as balance_transaction_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'reason') }} as reason,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
