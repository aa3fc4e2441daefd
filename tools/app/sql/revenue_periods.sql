-- Presentment sales per day, week or month: gross captured, refunded,
-- disputes lost, net sales (their difference) and fees.
with

daily as (

    select *
    from metrics_revenue_daily
    where
        date_day between %(start_date)s and %(end_date)s
        and (%(currency)s::text is null or currency = %(currency)s)

),

in_view as (

    select
        date_trunc(%(grain)s, date_day)::date as period,
        case
            when %(currency)s::text is null
                then reporting_gross_captured_amount
            else gross_captured_amount
        end as gross,
        case
            when %(currency)s::text is null then reporting_refunded_amount
            else refunded_amount
        end as refunds,
        case
            when %(currency)s::text is null then reporting_disputes_lost_amount
            else disputes_lost_amount
        end as disputes_lost,
        charge_count,
        succeeded_charge_count,
        refund_count,
        dispute_count
    from daily

)

select
    period,
    coalesce(sum(gross), 0) as gross,
    coalesce(sum(refunds), 0) as refunds,
    coalesce(sum(disputes_lost), 0) as disputes_lost,
    coalesce(sum(gross - refunds - disputes_lost), 0) as net_sales,
    sum(charge_count) as charges,
    sum(succeeded_charge_count) as succeeded_charges,
    sum(refund_count) as refunds_count,
    sum(dispute_count) as disputes_count
from in_view
group by period
order by period
