{#- Grain: one row per refund. -#}
{{ config(
    unique_key='refund_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

refunds as (

    select * from {{ ref('refunds') }}

),

charges as (

    select * from {{ ref('charges') }}

),

refunds_joined_to_charges as (

    select
        refunds.refund_id,
        refunds.charge_id,
        coalesce(charges.customer_id, 'unknown') as customer_id,
        coalesce(charges.payment_method_id, 'unknown') as payment_method_id,
        refunds.payment_intent_id,
        refunds.balance_transaction_id,
        lower(refunds.currency) as currency,
        refunds.status,
        refunds.reason,
        refunds.amount,
        {{ to_reporting_currency(
            'refunds.amount',
            'refunds.currency',
            utc_date('refunds.created_at'),
        ) }} as reporting_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ utc_date('refunds.created_at') }} as created_date,
        refunds.created_at,
        refunds.loaded_at
    from refunds
    left join charges
        on refunds.charge_id = charges.charge_id
    where {{ is_new_since_last_run('refunds.loaded_at') }}

)

select * from refunds_joined_to_charges
