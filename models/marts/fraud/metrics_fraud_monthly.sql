{#- Grain: one row per month (of the charge), card brand and card country.
    Money is in the reporting currency only: the rows mix currencies. -#}
with

charges as (

    select * from {{ ref('int_charges_fraud_attributed') }}

),

final as (

    select
        card_brand,
        card_country,
        count(*) as charge_count,
        sum(case when is_succeeded then 1 else 0 end) as succeeded_charge_count,
        sum(case when is_failed then 1 else 0 end) as failed_charge_count,
        sum(case when is_refunded then 1 else 0 end) as refunded_charge_count,
        sum(dispute_count) as dispute_count,
        sum(fraudulent_dispute_count) as fraudulent_dispute_count,
        sum(lost_dispute_count) as lost_dispute_count,
        sum(case when has_early_fraud_signal then 1 else 0 end)
            as early_fraud_signal_count,
        sum(case when risk_level = 'normal' then 1 else 0 end)
            as risk_normal_count,
        sum(case when risk_level = 'elevated' then 1 else 0 end)
            as risk_elevated_count,
        sum(case when risk_level = 'highest' then 1 else 0 end)
            as risk_highest_count,
        sum(case when risk_level = 'not_assessed' then 1 else 0 end)
            as risk_not_assessed_count,
        {{ safe_ratio(
            'sum(case when is_failed then 1 else 0 end)', 'count(*)'
        ) }} as decline_rate,
        {{ safe_ratio(
            'sum(case when is_refunded then 1 else 0 end)',
            'sum(case when is_succeeded then 1 else 0 end)',
        ) }} as refund_rate,
        {{ safe_ratio(
            'sum(dispute_count)',
            'sum(case when is_succeeded then 1 else 0 end)',
        ) }} as dispute_rate,
        avg(risk_score) as average_risk_score,
        percentile_cont(0.5) within group (order by risk_score)
            as median_risk_score,
        percentile_cont(0.9) within group (order by risk_score)
            as p90_risk_score,
        max(risk_score) as max_risk_score,
        sum(case when is_succeeded then reporting_amount else 0 end)
            as reporting_succeeded_amount,
        sum(reporting_amount_refunded) as reporting_refunded_amount,
        sum(reporting_disputed_amount) as reporting_disputed_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        month
    from charges
    group by month, card_brand, card_country

)

select * from final
