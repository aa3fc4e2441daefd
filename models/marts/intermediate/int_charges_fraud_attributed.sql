{#- Each charge with the month, card brand and country the fraud metrics
    group by, its disputes and refunds attached (by the charge's month, so
    rates compare like with like). -#}
with

fct_charges as (

    select * from {{ ref('fct_charges') }}

),

fct_disputes as (

    select * from {{ ref('fct_disputes') }}

),

disputes_per_charge as (

    select
        charge_id,
        count(*) as dispute_count,
        sum(case when reason = 'fraudulent' then 1 else 0 end)
            as fraudulent_dispute_count,
        sum(case when is_lost then 1 else 0 end) as lost_dispute_count,
        sum(reporting_amount) as reporting_disputed_amount
    from fct_disputes
    group by charge_id

),

final as (

    select
        fct_charges.charge_id,
        coalesce(fct_charges.card_brand, 'unknown') as card_brand,
        coalesce(fct_charges.card_country, 'unknown') as card_country,
        fct_charges.status,
        fct_charges.decline_code,
        fct_charges.outcome_type,
        coalesce(fct_charges.risk_level, 'not_assessed') as risk_level,
        fct_charges.risk_score,
        fct_charges.reporting_amount,
        fct_charges.reporting_amount_refunded,
        coalesce(disputes_per_charge.reporting_disputed_amount, 0)
            as reporting_disputed_amount,
        coalesce(disputes_per_charge.dispute_count, 0) as dispute_count,
        coalesce(disputes_per_charge.fraudulent_dispute_count, 0)
            as fraudulent_dispute_count,
        coalesce(disputes_per_charge.lost_dispute_count, 0)
            as lost_dispute_count,
        fct_charges.is_failed,
        fct_charges.status = 'succeeded' as is_succeeded,
        fct_charges.amount_refunded > 0 as is_refunded,
        {#- Early signals, before a dispute: Radar blocked it or sent it to
            review, scored it elevated or highest, or Stripe or the user
            reported it fraudulent. -#}
        (
            fct_charges.is_reported_fraudulent
            or coalesce(
                fct_charges.risk_level in ('elevated', 'highest'), false
            )
            or coalesce(
                fct_charges.outcome_type in ('blocked', 'manual_review'), false
            )
        ) as has_early_fraud_signal,
        cast({{ dbt.date_trunc('month', 'fct_charges.created_date') }} as date)
            as month
    from fct_charges
    left join disputes_per_charge
        on fct_charges.charge_id = disputes_per_charge.charge_id

)

select * from final
