-- Customer retention by cohort: customers grouped by the month of their
-- first subscription with MRR, counted in each later month they still have
-- MRR.
with

customer_months as (

    select
        customer_id,
        month
    from fct_mrr
    where %(currency)s::text is null or currency = %(currency)s
    group by customer_id, month
    having bool_or(is_active)

),

cohorts as (

    select
        customer_id,
        min(month) as cohort_month
    from customer_months
    group by customer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers
    from cohorts
    group by cohort_month

),

retained as (

    select
        cohorts.cohort_month,
        (
            extract(year from age(customer_months.month, cohorts.cohort_month))
            * 12
            + extract(month from age(customer_months.month, cohorts.cohort_month))
        )::int as months_since,
        count(*) as customers
    from customer_months
    inner join cohorts
        on customer_months.customer_id = cohorts.customer_id
    group by 1, 2

)

select
    retained.cohort_month,
    retained.months_since,
    retained.customers,
    cohort_sizes.cohort_customers,
    retained.customers::numeric / cohort_sizes.cohort_customers as retention
from retained
inner join cohort_sizes
    on retained.cohort_month = cohort_sizes.cohort_month
where retained.cohort_month between %(start_month)s and %(end_month)s
order by retained.cohort_month, retained.months_since
