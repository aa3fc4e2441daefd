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

currencies as (

    select * from {{ ref('currencies') }}

),

final as (

    select
        invoice_payments.invoice_payment_id,
        invoice_payments.invoice_id,
        invoice_payments.payment_intent_id,
        invoice_payments.charge_id,
        invoice_payments.payment_type,
        invoice_payments.status,
        invoice_payments.currency,
        invoice_payments.amount_paid_cents,
        {{ to_major_unit('invoice_payments.amount_paid_cents') }}
            as amount_paid,
        invoice_payments.amount_requested_cents,
        {{ to_major_unit('invoice_payments.amount_requested_cents') }}
            as amount_requested,
        invoice_payments.is_default,
        invoice_payments.created_at,
        invoice_payments.paid_at,
        invoice_payments.loaded_at
    from invoice_payments
    left join currencies
        on lower(invoice_payments.currency) = currencies.currency_code
    where {{ is_new_since_last_run('invoice_payments.loaded_at') }}

)

select * from final
