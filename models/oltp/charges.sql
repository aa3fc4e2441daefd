{#- The invoice a charge paid: `charge.invoice` in the older shape, the
    invoice's payments list (by charge or payment intent) since basil. -#}
{{ config(
    unique_key='charge_id',
    indexes=[
        {'columns': ['customer_id']},
        {'columns': ['invoice_id']},
        {'columns': ['payment_intent_id']},
        {'columns': ['payment_method_id']},
        {'columns': ['balance_transaction_id']},
    ],
) }}

with

charges as (

    select * from {{ ref('stg_stripe__charges') }}
    where {{ is_changed_key('charge_id', [
        keys_new_since_last_run(ref('stg_stripe__charges'), 'charge_id'),
        keys_new_since_last_run(
            ref('int_invoice_payments_unpacked'), 'charge_id',
            'charge_id is not null'),
        'select charge_id from ' ~ this ~ ' where payment_intent_id in ('
            ~ keys_new_since_last_run(
                ref('int_invoice_payments_unpacked'), 'payment_intent_id',
                'payment_intent_id is not null') ~ ')',
    ]) }}

),

invoice_payments as (

    select * from {{ ref('int_invoice_payments_unpacked') }}

),

invoices_paid_by_charges as (

    select
        charge_id,
        max(invoice_id) as invoice_id,
        max(loaded_at) as loaded_at
    from invoice_payments
    where charge_id is not null
    group by charge_id

),

invoices_paid_by_payment_intents as (

    select
        payment_intent_id,
        max(invoice_id) as invoice_id,
        max(loaded_at) as loaded_at
    from invoice_payments
    where payment_intent_id is not null
    group by payment_intent_id

),

missing_charges as (

    {{ missing_parents(
        'charge_id',
        known=[('stg_stripe__charges', 'charge_id')],
        references=[
            {'model': 'stg_stripe__refunds', 'key': 'charge_id',
             'columns': {'currency': 'currency',
                         'payment_intent_id': 'payment_intent_id'}},
            {'model': 'stg_stripe__disputes', 'key': 'charge_id',
             'columns': {'currency': 'currency',
                         'payment_intent_id': 'payment_intent_id'}},
            {'model': 'int_invoice_payments_unpacked', 'key': 'charge_id',
             'columns': {'currency': 'currency'}},
        ],
        columns=['payment_intent_id', 'currency'],
    ) }}

),

charges_joined_to_invoice_payments as (

    select
        charges.charge_id,
        charges.customer_id,
        charges.payment_method_id,
        coalesce(
            charges.invoice_id,
            paid_by_charge.invoice_id,
            paid_by_payment_intent.invoice_id
        ) as invoice_id,
        charges.balance_transaction_id,
        charges.payment_intent_id,
        charges.status,
        charges.currency,
        charges.description,
        charges.failure_code,
        charges.failure_message,
        charges.outcome_type,
        charges.outcome_network_status,
        charges.decline_code,
        charges.risk_level,
        charges.payment_method_type,
        charges.card_brand,
        charges.card_country,
        charges.card_funding,
        charges.stripe_fraud_report,
        charges.user_fraud_report,
        charges.metadata,
        charges.risk_score,
        charges.amount_cents,
        charges.amount,
        charges.amount_captured_cents,
        charges.amount_captured,
        charges.amount_refunded_cents,
        charges.amount_refunded,
        charges.is_paid,
        charges.is_captured,
        charges.is_refunded,
        charges.is_disputed,
        charges.is_deleted,
        false as is_missing_from_source,
        charges.is_livemode,
        charges.created_at,
        greatest(
            charges.loaded_at,
            paid_by_charge.loaded_at,
            paid_by_payment_intent.loaded_at
        ) as loaded_at
    from charges
    left join invoices_paid_by_charges as paid_by_charge
        on charges.charge_id = paid_by_charge.charge_id
    left join invoices_paid_by_payment_intents as paid_by_payment_intent
        on charges.payment_intent_id = paid_by_payment_intent.payment_intent_id
    where
        {{ is_new_since_last_run('charges.loaded_at') }}
        or {{ is_new_since_last_run('paid_by_charge.loaded_at') }}
        or {{ is_new_since_last_run('paid_by_payment_intent.loaded_at') }}

),

final as (

    select * from charges_joined_to_invoice_payments

    union all

    select
        {{ placeholder_columns(
            ['charge_id', 'payment_intent_id', 'currency', 'loaded_at'],
            {'is_deleted': 'false', 'is_missing_from_source': 'true'},
        ) }}
    from missing_charges

)

select * from final
