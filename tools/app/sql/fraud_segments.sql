-- Charges, rates and Radar risk levels per card brand or card country
-- over the months chosen.
with

segmented as (

    select
        case
            when %(segment)s = 'card_country' then card_country
            else card_brand
        end as segment,
        charge_count,
        succeeded_charge_count,
        failed_charge_count,
        refunded_charge_count,
        dispute_count,
        risk_normal_count,
        risk_elevated_count,
        risk_highest_count,
        risk_not_assessed_count
    from metrics_fraud_monthly
    where month between %(start_month)s and %(end_month)s

),

summed as (

    select
        coalesce(segment, 'unknown') as segment,
        sum(charge_count) as charges,
        sum(succeeded_charge_count) as succeeded_charges,
        sum(failed_charge_count) as failed_charges,
        sum(refunded_charge_count) as refunded_charges,
        sum(dispute_count) as disputes,
        sum(risk_normal_count) as risk_normal,
        sum(risk_elevated_count) as risk_elevated,
        sum(risk_highest_count) as risk_highest,
        sum(risk_not_assessed_count) as risk_not_assessed
    from segmented
    group by coalesce(segment, 'unknown')

)

select
    *,
    failed_charges::numeric / nullif(charges, 0) as decline_rate,
    refunded_charges::numeric / nullif(succeeded_charges, 0) as refund_rate,
    disputes::numeric / nullif(succeeded_charges, 0) as dispute_rate
from summed
order by charges desc
