-- Customer retention by cohort, from the rollup dbt builds: the rows of the
-- chosen currency, or (no currency chosen) the rows that count every
-- currency together.
select
    cohort_month,
    months_since_cohort as months_since,
    retained_customer_count as customers,
    cohort_customer_count as cohort_customers,
    retention_rate as retention
from metrics_mrr_cohorts
where
    currency is not distinct from %(currency)s::text
    and cohort_month between %(start_month)s and %(end_month)s
order by cohort_month, months_since_cohort
