{#- The payments of an invoice (basil+: `invoice.payments`, InvoicePayment
    objects naming a payment intent or a charge). Older objects link the
    other way round (`charge.invoice`, `payment_intent.invoice`).
    A helper table (no contract, not an entity), incremental: three models
    read it, one of them whole, and as a CTE it would unpack every invoice
    again for each. -#}
{{ config(
    unique_key='invoice_payment_id',
    contract={'enforced': false},
    indexes=[
        {'columns': ['invoice_payment_id'], 'unique': True},
    ],
) }}

with

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}
    where {{ is_new_since_last_run() }}

),

final as (

    select
        {{ json_text('payment_elements.element', 'id') }}
            as invoice_payment_id,
        invoices.invoice_id,
        {{ json_id('payment_elements.element', 'payment.payment_intent') }}
            as payment_intent_id,
        {{ json_id('payment_elements.element', 'payment.charge') }}
            as charge_id,
        {{ json_text('payment_elements.element', 'payment.type') }}
            as payment_type,
        {{ json_text('payment_elements.element', 'status') }} as status,
        coalesce(
            {{ json_text('payment_elements.element', 'currency') }},
            invoices.currency
        ) as currency,
        {{ json_bigint('payment_elements.element', 'amount_paid') }}
            as amount_paid_cents,
        {{ json_bigint('payment_elements.element', 'amount_requested') }}
            as amount_requested_cents,
        {{ json_bool('payment_elements.element', 'is_default') }}
            as is_default,
        {{ json_timestamp('payment_elements.element', 'created') }}
            as created_at,
        {{ json_timestamp('payment_elements.element',
            'status_transitions.paid_at') }} as paid_at,
        invoices.loaded_at
    from invoices
    cross join {{ json_array_elements('invoices.payments', '') }}
        as payment_elements (element, position)

)

select * from final
