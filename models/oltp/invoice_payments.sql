{{ config(
    unique_key='invoice_payment_id',
    indexes=[
        {'columns': ['invoice_id']},
        {'columns': ['payment_intent_id']},
        {'columns': ['charge_id']},
    ],
) }}

with

invoice_payments as (

    select * from {{ ref('int_invoice_payments_unpacked') }}

),

final as (

    select
        invoice_payment_id,
        invoice_id,
        payment_intent_id,
        charge_id,
        payment_type,
        status,
        currency,
        amount_paid_cents,
        {{ to_major_unit('amount_paid_cents', 'currency') }} as amount_paid,
        amount_requested_cents,
        {{ to_major_unit('amount_requested_cents', 'currency') }}
            as amount_requested,
        is_default,
        created_at,
        paid_at,
        loaded_at
    from invoice_payments
    where {{ is_new_since_last_run() }}

)

select * from final
