-- Customers matching a search, with lifetime figures computed from the
-- facts and their MRR at the latest month; the 200 with most MRR first.
-- Personal columns keep their names so the app can hide them.
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

charges_summed as (

    select
        customer_id,
        count(*) filter (where status = 'succeeded') as paid_charges,
        sum(
            case
                when %(currency)s::text is null
                    then reporting_amount_captured - reporting_amount_refunded
                else amount_captured - amount_refunded
            end
        ) filter (where status = 'succeeded') as lifetime_net_paid,
        min(created_at) as first_charge_at,
        max(created_at) as last_charge_at
    from fct_charges
    where %(currency)s::text is null or currency = %(currency)s
    group by customer_id

),

mrr_now as (

    select
        customer_id,
        sum(
            case
                when %(currency)s::text is null then reporting_mrr_amount
                else mrr_amount
            end
        ) as mrr,
        count(*) filter (where is_active) as active_subscriptions
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
    customers.currency,
    coalesce(mrr_now.mrr, 0) as mrr,
    coalesce(mrr_now.active_subscriptions, 0) as active_subscriptions,
    coalesce(charges_summed.paid_charges, 0) as paid_charges,
    coalesce(charges_summed.lifetime_net_paid, 0) as lifetime_net_paid,
    customers.is_delinquent,
    customers.created_at,
    charges_summed.last_charge_at
from customers
left join charges_summed
    on customers.customer_id = charges_summed.customer_id
left join mrr_now
    on customers.customer_id = mrr_now.customer_id
order by mrr desc, lifetime_net_paid desc, customers.customer_id
limit 200
