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

{# Each customer's month in its scope, beside the scope's cohort month
    (the customer's first): one sort of the months, where grouping the
    cohorts apart and joining them back sorted them twice. -#}
scoped_months as (

    select
        currency,
        coalesce(currency, '*') as currency_scope,
        month,
        min(month) over (
            partition by customer_id, coalesce(currency, '*')
        ) as cohort_month
    from customer_months

),

retained as (

    select
        currency,
        currency_scope,
        cohort_month,
        month,
        count(*) as retained_customer_count
    from scoped_months
    group by currency, currency_scope, cohort_month, month

),

{# A cohort's size is its count in its first month: every customer of the
    cohort has MRR then, on one row (one per customer, scope and month). -#}
sized as (

    select
        currency,
        cohort_month,
        month,
        retained_customer_count,
        max(
            case when month = cohort_month then retained_customer_count end
        ) over (
            partition by currency_scope, cohort_month
        ) as cohort_customer_count
    from retained

)

select
    currency,
    cohort_month,
    month,
    (
        (
            {{ date_part_number('year', 'month') }}
            - {{ date_part_number('year', 'cohort_month') }}
        ) * 12
        + {{ date_part_number('month', 'month') }}
        - {{ date_part_number('month', 'cohort_month') }}
    ) as months_since_cohort,
    cohort_customer_count,
    retained_customer_count,
    {{ safe_ratio('retained_customer_count', 'cohort_customer_count') }}
        as retention_rate
from sized
