with

source as (

    {{ raw_documents(source('stripe', 'credit_notes')) }}

),

final as (

    select
        source.id as credit_note_id,
        {{ json_id('data', 'invoice') }} as invoice_id,
        {{ json_id('data', 'customer') }} as customer_id,
        {{ json_text('data', 'number') }} as credit_note_number,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'type') }} as credit_note_type,
        {{ json_text('data', 'reason') }} as reason,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'memo') }} as memo,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ money_columns('data', 'subtotal', 'subtotal') }},
        {{ money_columns('data', 'total', 'total') }},
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
