-- Active customers per month and the customers lost: active at the end of
-- the month before, with no subscription with MRR at the month's end.
-- fct_mrr keeps a row for every subscription the month after it had MRR
-- (its churn row), so each customer active before has a row in the month.
-- Only the months asked and the one before are read (the comparison needs
-- it): the whole history took seconds at 100,000 customers.
with

customer_months as (

    select
        customer_id,
        month,
        bool_or(is_active) as is_active
    from fct_mrr
    where
        (%(currency)s::text is null or currency = %(currency)s)
        and month between %(start_month)s::date - interval '1 month'
        and %(end_month)s::date
    group by customer_id, month

),

compared as (

    select
        month,
        is_active,
        coalesce(
            lag(is_active) over by_customer
            and lag(month) over by_customer = month - interval '1 month',
            false
        ) as was_active
    from customer_months
    window by_customer as (partition by customer_id order by month)

),

final as (

    select
        month,
        count(*) filter (where is_active) as active_customers,
        count(*) filter (where was_active) as starting_customers,
        count(*) filter (
            where was_active and not is_active
        ) as churned_customers
    from compared
    group by month

)

select * from final
where month between %(start_month)s and %(end_month)s
order by month
