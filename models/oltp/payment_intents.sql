{#- The invoice a payment intent pays: `payment_intent.invoice` in the
    older shape, the invoice's payments list since basil. -#}
{{ config(
    unique_key='payment_intent_id',
    indexes=[
        {'columns': ['customer_id']},
        {'columns': ['payment_method_id']},
        {'columns': ['invoice_id']},
    ],
) }}

with

payment_intents as (

    select * from {{ ref('stg_stripe__payment_intents') }}
    where {{ is_changed_key('payment_intent_id', [
        keys_new_since_last_run(
            ref('stg_stripe__payment_intents'), 'payment_intent_id'),
        keys_new_since_last_run(
            ref('int_invoice_payments_unpacked'), 'payment_intent_id',
            'payment_intent_id is not null'),
    ]) }}

),

invoice_payments as (

    select * from {{ ref('int_invoice_payments_unpacked') }}

),

missing_payment_intents as (

    {{ missing_parents(
        'payment_intent_id',
        known=[('stg_stripe__payment_intents', 'payment_intent_id')],
        references=[
            {'model': 'stg_stripe__charges', 'key': 'payment_intent_id',
             'columns': {'customer_id': 'customer_id',
                         'currency': 'currency'}},
            {'model': 'stg_stripe__refunds', 'key': 'payment_intent_id',
             'columns': {'currency': 'currency'}},
            {'model': 'stg_stripe__disputes', 'key': 'payment_intent_id',
             'columns': {'currency': 'currency'}},
            {'model': 'int_invoice_payments_unpacked',
             'key': 'payment_intent_id',
             'columns': {'currency': 'currency'}},
        ],
        columns=['customer_id', 'currency'],
    ) }}

),

invoices_of_payment_intents as (

    select
        payment_intent_id,
        max(invoice_id) as invoice_id,
        max(loaded_at) as loaded_at
    from invoice_payments
    where payment_intent_id is not null
    group by payment_intent_id

),

payment_intents_joined_to_invoices as (

    select
        payment_intents.payment_intent_id,
        payment_intents.customer_id,
        payment_intents.payment_method_id,
        coalesce(
            payment_intents.invoice_id, invoices_of_payment_intents.invoice_id
        ) as invoice_id,
        payment_intents.latest_charge_id,
        payment_intents.status,
        payment_intents.capture_method,
        payment_intents.currency,
        payment_intents.description,
        payment_intents.cancellation_reason,
        payment_intents.metadata,
        payment_intents.amount_cents,
        payment_intents.amount,
        payment_intents.amount_received_cents,
        payment_intents.amount_received,
        payment_intents.is_deleted,
        false as is_missing_from_source,
        payment_intents.is_livemode,
        payment_intents.created_at,
        payment_intents.canceled_at,
        greatest(
            payment_intents.loaded_at, invoices_of_payment_intents.loaded_at
        ) as loaded_at
    from payment_intents
    left join invoices_of_payment_intents
        on
            payment_intents.payment_intent_id
            = invoices_of_payment_intents.payment_intent_id
    where
        {{ is_new_since_last_run('payment_intents.loaded_at') }}
        or {{ is_new_since_last_run('invoices_of_payment_intents.loaded_at') }}

),

final as (

    select * from payment_intents_joined_to_invoices

    union all

    select
        {{ placeholder_columns(
            ['payment_intent_id', 'customer_id', 'currency', 'loaded_at'],
            {'is_deleted': 'false', 'is_missing_from_source': 'true'},
        ) }}
    from missing_payment_intents

)

select * from final
