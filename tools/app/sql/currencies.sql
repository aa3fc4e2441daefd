-- Currencies the business uses, whether each converts to the reporting
-- currency, and which one that is.
with

used as (

    select currency from metrics_mrr_monthly
    union
    select currency from metrics_revenue_daily

)

select
    currencies.currency_code,
    currencies.has_fx_rate,
    currencies.is_reporting_currency,
    used.currency is not null as is_used
from dim_currencies as currencies
left join used
    on currencies.currency_code = used.currency
where used.currency is not null or currencies.is_reporting_currency
order by currencies.currency_code
