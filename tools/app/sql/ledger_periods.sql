-- The settlement ledger per day, week or month and settlement currency:
-- the period's flows and the balance at its last day.
with

daily as (

    select *
    from metrics_balance_daily
    where
        date_day between %(start_date)s and %(end_date)s
        and (%(currency)s::text is null or currency = %(currency)s)

)

select
    date_trunc(%(grain)s, date_day)::date as period,
    currency,
    sum(sales_amount) as sales,
    sum(refunds_amount) as refunds,
    sum(disputes_amount) as disputes,
    sum(other_amount) as other,
    sum(fee_amount) as fees,
    sum(net_activity_amount) as net_activity,
    sum(payouts_amount) as payouts,
    sum(payout_fee_amount) as payout_fees,
    (array_agg(balance_amount order by date_day desc))[1] as ending_balance
from daily
group by 1, 2
order by 1, 2
