-- MRR per product and month (metrics_product_monthly).
with

products as (

    select * from dim_products

),

monthly as (

    select *
    from metrics_product_monthly
    where
        month between %(start_month)s and %(end_month)s
        and (%(currency)s::text is null or currency = %(currency)s)
        and (%(product_id)s::text is null or product_id = %(product_id)s)

)

select
    monthly.month,
    coalesce(products.product_name, monthly.product_id) as product,
    sum(
        case
            when %(currency)s::text is null then monthly.reporting_mrr_amount
            else monthly.mrr_amount
        end
    ) as mrr,
    sum(monthly.active_subscriptions) as active_subscriptions
from monthly
left join products
    on monthly.product_id = products.product_id
group by monthly.month, coalesce(products.product_name, monthly.product_id)
order by monthly.month, product
