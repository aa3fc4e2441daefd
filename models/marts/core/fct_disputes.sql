{#- Grain: one row per dispute (chargeback or inquiry). -#}
{{ config(
    unique_key='dispute_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

disputes as (

    select * from {{ ref('disputes') }}

),

charges as (

    select * from {{ ref('charges') }}

),

disputes_joined_to_charges as (

    select
        disputes.dispute_id,
        disputes.charge_id,
        coalesce(charges.customer_id, 'unknown') as customer_id,
        coalesce(charges.payment_method_id, 'unknown') as payment_method_id,
        disputes.payment_intent_id,
        lower(disputes.currency) as currency,
        disputes.status,
        disputes.reason,
        disputes.amount,
        {{ to_reporting_currency(
            'disputes.amount',
            'disputes.currency',
            utc_date('disputes.created_at'),
        ) }} as reporting_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        disputes.status = 'lost' as is_lost,
        disputes.status in (
            'warning_needs_response', 'warning_under_review',
            'warning_closed'
        ) as is_inquiry,
        {{ utc_date('disputes.created_at') }} as created_date,
        disputes.created_at,
        disputes.loaded_at
    from disputes
    left join charges
        on disputes.charge_id = charges.charge_id
    where {{ is_new_since_last_run('disputes.loaded_at') }}

)

select * from disputes_joined_to_charges
