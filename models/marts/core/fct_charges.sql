{#- Grain: one row per charge (a payment attempt, failed ones included). -#}
{{ config(
    unique_key='charge_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

charges as (

    {#- On an incremental run the charges loaded since and those whose
        balance transaction was. -#}
    select * from {{ ref('charges') }}
    where {{ is_changed_key('charge_id', [
        keys_new_since_last_run(ref('charges'), 'charge_id'),
        'select charge_id from ' ~ ref('charges')
            ~ ' where balance_transaction_id in ('
            ~ keys_new_since_last_run(
                ref('balance_transactions'), 'balance_transaction_id')
            ~ ')',
    ]) }}

),

payment_methods as (

    select * from {{ ref('payment_methods') }}

),

balance_transactions as (

    select * from {{ ref('balance_transactions') }}

),

charges_joined as (

    select
        charges.charge_id,
        coalesce(charges.customer_id, 'unknown') as customer_id,
        coalesce(charges.payment_method_id, 'unknown') as payment_method_id,
        charges.invoice_id,
        charges.payment_intent_id,
        charges.balance_transaction_id,
        lower(charges.currency) as currency,
        charges.status,
        charges.failure_code,
        charges.decline_code,
        charges.outcome_type,
        charges.outcome_network_status,
        charges.risk_level,
        {{ metadata_columns('charges', 'charges.metadata') }}
        coalesce(
            charges.payment_method_type, payment_methods.payment_method_type
        ) as payment_method_type,
        coalesce(charges.card_brand, payment_methods.card_brand)
            as card_brand,
        coalesce(charges.card_country, upper(payment_methods.card_country))
            as card_country,
        coalesce(charges.card_funding, payment_methods.card_funding)
            as card_funding,
        charges.risk_score,
        charges.amount,
        charges.amount_captured,
        charges.amount_refunded,
        balance_transactions.fee,
        charges.is_paid,
        charges.is_captured,
        charges.is_refunded,
        charges.is_disputed,
        charges.status = 'failed' as is_failed,
        coalesce(
            charges.stripe_fraud_report = 'fraudulent'
            or charges.user_fraud_report = 'fraudulent',
            false
        ) as is_reported_fraudulent,
        {{ utc_date('charges.created_at') }} as created_date,
        charges.created_at,
        greatest(charges.loaded_at, balance_transactions.loaded_at)
            as loaded_at
    from charges
    left join payment_methods
        on charges.payment_method_id = payment_methods.payment_method_id
    left join balance_transactions
        on
            charges.balance_transaction_id
            = balance_transactions.balance_transaction_id
    where
        not charges.is_missing_from_source
        and (
            {{ is_new_since_last_run('charges.loaded_at') }}
            or {{ is_new_since_last_run('balance_transactions.loaded_at') }}
        )

),

final as (

    select
        charges_joined.*,
        {%- for column in [
            'amount', 'amount_captured', 'amount_refunded', 'fee',
        ] %}
        {{ at_reporting_rate('charges_joined.' ~ column) }}
            as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency
    from charges_joined
    {{ reporting_rate_join(
        'charges_joined.currency', 'charges_joined.created_date'
    ) }}

)

select * from final
