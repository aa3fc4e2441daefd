-- Net sales (captured - refunded - disputes lost, presentment) of the
-- window_days up to end_date, and of the window before it.
with

daily as (

    select
        date_day,
        case
            when %(currency)s::text is null
                then
                    reporting_gross_captured_amount
                    - reporting_refunded_amount
                    - reporting_disputes_lost_amount
            else gross_captured_amount - refunded_amount - disputes_lost_amount
        end as net_sales_amount
    from metrics_revenue_daily
    where
        date_day > %(end_date)s::date - 2 * %(window_days)s
        and date_day <= %(end_date)s::date
        and (%(currency)s::text is null or currency = %(currency)s)

)

select
    coalesce(sum(net_sales_amount) filter (
        where date_day > %(end_date)s::date - %(window_days)s
    ), 0) as net_sales,
    coalesce(sum(net_sales_amount) filter (
        where date_day <= %(end_date)s::date - %(window_days)s
    ), 0) as previous_net_sales
from daily
