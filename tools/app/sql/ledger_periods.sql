-- The settlement ledger per day, week or month and settlement currency:
-- the period's flows and the balance at its last day.
with

daily as (

    select
        *,
        date_trunc(%(grain)s, date_day)::date as period
    from metrics_balance_daily
    where
        date_day between %(start_date)s and %(end_date)s
        and (%(currency)s::text is null or currency = %(currency)s)

),

-- the period's last day first: its balance is the period's ending balance
-- (a window, not an ordered aggregate, so every engine reads it the same)
latest_first as (

    select
        *,
        row_number() over (
            partition by period, currency order by date_day desc
        ) as recency
    from daily

)

select
    period,
    currency,
    sum(sales_amount) as sales,
    sum(refunds_amount) as refunds,
    sum(disputes_amount) as disputes,
    sum(other_amount) as other,
    sum(fee_amount) as fees,
    sum(net_activity_amount) as net_activity,
    sum(payouts_amount) as payouts,
    sum(payout_fee_amount) as payout_fees,
    max(case when recency = 1 then balance_amount end) as ending_balance
from latest_first
group by period, currency
order by period, currency
