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
        balance_transaction_id,
        source_id,
        lower(currency) as currency,
        balance_transaction_type,
        reporting_category,
        status,
        amount,
        fee,
        net,
        {%- for column in ['amount', 'fee', 'net'] %}
        {{ to_reporting_currency(
            'balance_transactions.' ~ column,
            'balance_transactions.currency',
            utc_date('balance_transactions.created_at'),
        ) }} as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ utc_date('created_at') }} as created_date,
        {{ utc_date('available_at') }} as available_on_date,
        created_at,
        available_at,
        loaded_at
    from balance_transactions
    where
        not is_missing_from_source
        and {{ is_new_since_last_run('balance_transactions.loaded_at') }}

)

select * from final
