with

source as (

    {{ raw_documents(source('stripe', 'balance_transactions')) }}

),

final as (

    select
        source.id as balance_transaction_id,
        {{ json_id('data', 'source') }} as source_id,
        -- The payout that paid this transaction out. Not a field of
        -- Stripe's object: the extraction adds it (as an id) from each
        -- payout's list of balance transactions; null until then.
        {{ json_id('data', 'payout') }} as payout_id,
        {{ json_text('data', 'type') }} as balance_transaction_type,
        {{ json_text('data', 'reporting_category') }} as reporting_category,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'description') }} as description,
        {{ json_object('data', 'fee_details') }} as fee_details,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ money_columns('data', 'fee', 'fee') }},
        {{ money_columns('data', 'net', 'net') }},
        {{ json_numeric('data', 'exchange_rate') }} as exchange_rate,
        {{ json_timestamp('data', 'available_on') }} as available_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
