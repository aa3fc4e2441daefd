{#- Grain: one row per currency scope, cohort month and month since the
    cohort's first month in which any of its customers still has MRR.
    A currency scope is one currency (a customer's cohort is its first month
    with MRR in that currency) or, where `currency` is null, every currency
    together (its first month with MRR in any currency). -#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

customer_currency_months as (

    select
        customer_id,
        currency,
        month
    from fct_mrr
    group by customer_id, currency, month
    having bool_or(is_active)

),

customer_months as (

    select
        customer_id,
        currency,
        month
    from customer_currency_months

    union all

    select distinct
        customer_id,
        cast(null as {{ sql_type('text') }}) as currency,
        month
    from customer_currency_months

),

scoped_months as (

    select
        customer_id,
        currency,
        coalesce(currency, '*') as currency_scope,
        month
    from customer_months

),

cohorts as (

    select
        customer_id,
        currency_scope,
        min(month) as cohort_month
    from scoped_months
    group by customer_id, currency_scope

),

cohort_sizes as (

    select
        currency_scope,
        cohort_month,
        count(*) as cohort_customer_count
    from cohorts
    group by currency_scope, cohort_month

),

retained as (

    select
        scoped_months.currency,
        scoped_months.currency_scope,
        cohorts.cohort_month,
        scoped_months.month,
        count(*) as retained_customer_count
    from scoped_months
    inner join cohorts
        on
            scoped_months.customer_id = cohorts.customer_id
            and scoped_months.currency_scope = cohorts.currency_scope
    group by
        scoped_months.currency,
        scoped_months.currency_scope,
        cohorts.cohort_month,
        scoped_months.month

)

select
    retained.currency,
    retained.cohort_month,
    retained.month,
    (
        (
            {{ date_part_number('year', 'retained.month') }}
            - {{ date_part_number('year', 'retained.cohort_month') }}
        ) * 12
        + {{ date_part_number('month', 'retained.month') }}
        - {{ date_part_number('month', 'retained.cohort_month') }}
    ) as months_since_cohort,
    cohort_sizes.cohort_customer_count,
    retained.retained_customer_count,
    {{ safe_ratio(
        'retained.retained_customer_count', 'cohort_sizes.cohort_customer_count'
    ) }} as retention_rate
from retained
inner join cohort_sizes
    on
        retained.currency_scope = cohort_sizes.currency_scope
        and retained.cohort_month = cohort_sizes.cohort_month
