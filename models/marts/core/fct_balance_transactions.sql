{#- Grain: one row per balance transaction (every movement of the Stripe
    balance: charges, refunds, dispute adjustments, payouts, fees). -#}
{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

balance_transactions as (

    select * from {{ ref('balance_transactions') }}

),

final as (

    select
        balance_transactions.balance_transaction_id,
        balance_transactions.source_id,
        lower(balance_transactions.currency) as currency,
        balance_transactions.balance_transaction_type,
        balance_transactions.reporting_category,
        balance_transactions.status,
        balance_transactions.amount,
        balance_transactions.fee,
        balance_transactions.net,
        {%- for column in ['amount', 'fee', 'net'] %}
        {{ to_reporting_currency(
            'balance_transactions.' ~ column,
            'balance_transactions.currency',
            utc_date('balance_transactions.created_at'),
        ) }} as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ utc_date('balance_transactions.created_at') }} as created_date,
        {{ utc_date('balance_transactions.available_at') }}
            as available_on_date,
        balance_transactions.created_at,
        balance_transactions.available_at,
        balance_transactions.loaded_at
    from balance_transactions
    where
        not balance_transactions.is_missing_from_source
        and {{ is_new_since_last_run('balance_transactions.loaded_at') }}

)

select * from final
