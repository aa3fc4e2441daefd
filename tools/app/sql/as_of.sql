-- The months the app measures: the latest (maybe still running) and the
-- last full one, and the latest day with charges.
with

mrr_months as (

    select
        month,
        measured_on_date,
        measured_on_date = (month + interval '1 month' - interval '1 day')::date
        as is_full_month
    from metrics_mrr_monthly

),

revenue_days as (

    select max(date_day) as latest_revenue_date
    from metrics_revenue_daily

)

select
    max(mrr_months.month) as latest_month,
    max(mrr_months.measured_on_date) as measured_on_date,
    max(mrr_months.month) filter (
        where mrr_months.is_full_month
    ) as last_full_month,
    min(mrr_months.month) as first_month,
    max(revenue_days.latest_revenue_date) as latest_revenue_date
from mrr_months
cross join revenue_days
