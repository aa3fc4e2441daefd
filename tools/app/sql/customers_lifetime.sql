-- Customers matching a search with their lifetime figures from
-- metrics_customer_lifetime (every column it has), most valuable first.
with

customers as (

    select *
    from dim_customers
    where
        not is_unknown_member
        and (
            %(search)s = ''
            or customer_id ilike '%%' || %(search)s || '%%'
            or (
                %(search_pii)s
                and (
                    email ilike '%%' || %(search)s || '%%'
                    or customer_name ilike '%%' || %(search)s || '%%'
                )
            )
        )

),

mrr_now as (

    select
        customer_id,
        sum(
            case
                when %(currency)s::text is null then reporting_mrr_amount
                else mrr_amount
            end
        ) as mrr
    from fct_mrr
    where
        month = %(latest_month)s
        and (%(currency)s::text is null or currency = %(currency)s)
    group by customer_id

)

select
    customers.customer_id,
    customers.email,
    customers.customer_name,
    customers.country,
    coalesce(mrr_now.mrr, 0) as mrr,
    lifetime.*
from customers
left join metrics_customer_lifetime as lifetime
    on customers.customer_id = lifetime.customer_id
left join mrr_now
    on customers.customer_id = mrr_now.customer_id
order by coalesce(mrr_now.mrr, 0) desc, customers.customer_id
limit 200
