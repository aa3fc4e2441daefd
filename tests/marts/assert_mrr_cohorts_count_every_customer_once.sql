-- Every customer with MRR belongs to exactly one cohort per currency scope,
-- and a cohort's own month retains all of it: per scope, the cohorts' sizes
-- add up to the customers that ever had MRR at a month's end, counted
-- straight from fct_mrr, and each cohort's month-0 row retains the cohort.
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

metrics_mrr_cohorts as (

    select * from {{ ref('metrics_mrr_cohorts') }}

),

customers_with_mrr as (

    select
        currency as currency_scope,
        count(distinct customer_id) as customer_count
    from fct_mrr
    where is_active
    group by currency

    union all

    select
        '*' as currency_scope,
        count(distinct customer_id) as customer_count
    from fct_mrr
    where is_active

),

cohort_months as (

    select
        coalesce(currency, '*') as currency_scope,
        cohort_customer_count,
        retained_customer_count
    from metrics_mrr_cohorts
    where month = cohort_month

),

cohorts_summed as (

    select
        currency_scope,
        sum(cohort_customer_count) as customer_count
    from cohort_months
    group by currency_scope

),

miscounted_scopes as (

    select
        coalesce(
            customers_with_mrr.currency_scope, cohorts_summed.currency_scope
        ) as currency_scope,
        customers_with_mrr.customer_count as customers_with_mrr,
        cohorts_summed.customer_count as customers_in_cohorts
    from customers_with_mrr
    full outer join cohorts_summed
        on customers_with_mrr.currency_scope = cohorts_summed.currency_scope
    where
        customers_with_mrr.customer_count is null
        or cohorts_summed.customer_count is null
        or customers_with_mrr.customer_count <> cohorts_summed.customer_count

),

cohorts_not_retained_in_their_month as (

    select
        currency_scope,
        cohort_customer_count as customers_with_mrr,
        retained_customer_count as customers_in_cohorts
    from cohort_months
    where retained_customer_count <> cohort_customer_count

)

select * from miscounted_scopes
union all
select * from cohorts_not_retained_in_their_month
