with

source as (

    {{ raw_documents(source('stripe', 'payouts')) }}

),

final as (

    select
        source.id as payout_id,
        {{ json_id('data', 'balance_transaction') }} as balance_transaction_id,
        {{ json_id('data', 'destination') }} as destination_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'type') }} as payout_type,
        {{ json_text('data', 'method') }} as payout_method,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'failure_code') }} as failure_code,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ json_bool('data', 'automatic') }} as is_automatic,
        {{ json_timestamp('data', 'arrival_date') }} as arrival_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
