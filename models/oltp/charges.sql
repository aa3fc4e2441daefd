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
        coalesce(
            charges.invoice_id,
            paid_by_charge.invoice_id,
            paid_by_payment_intent.invoice_id
        ) as invoice_id,
        charges.payment_intent_id,
        charges.payment_method_id,
        charges.balance_transaction_id,
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
        charge_id,
        null as customer_id,
        null as invoice_id,
        payment_intent_id,
        null as payment_method_id,
        null as balance_transaction_id,
        null as status,
        currency,
        null as description,
        null as failure_code,
        null as failure_message,
        null as outcome_type,
        null as outcome_network_status,
        null as decline_code,
        null as risk_level,
        null as payment_method_type,
        null as card_brand,
        null as card_country,
        null as card_funding,
        null as stripe_fraud_report,
        null as user_fraud_report,
        null as metadata,
        null as risk_score,
        null as amount_cents,
        null as amount,
        null as amount_captured_cents,
        null as amount_captured,
        null as amount_refunded_cents,
        null as amount_refunded,
        null as is_paid,
        null as is_captured,
        null as is_refunded,
        null as is_disputed,
        false as is_deleted,
        true as is_missing_from_source,
        null as is_livemode,
        null as created_at,
        loaded_at
    from missing_charges

)

select * from final
