-- Fraud and loss rates per month, from counts summed over brands and
-- countries (rates are never averaged): decline = failed / all charges,
-- refund = refunded / succeeded, dispute = disputes / succeeded.
with

monthly as (

    select
        month,
        sum(charge_count) as charges,
        sum(succeeded_charge_count) as succeeded_charges,
        sum(failed_charge_count) as failed_charges,
        sum(refunded_charge_count) as refunded_charges,
        sum(dispute_count) as disputes,
        sum(fraudulent_dispute_count) as fraudulent_disputes,
        sum(early_fraud_signal_count) as early_fraud_signals
    from metrics_fraud_monthly
    where month between %(start_month)s and %(end_month)s
    group by month

)

select
    *,
    failed_charges::numeric / nullif(charges, 0) as decline_rate,
    refunded_charges::numeric / nullif(succeeded_charges, 0) as refund_rate,
    disputes::numeric / nullif(succeeded_charges, 0) as dispute_rate
from monthly
order by month
