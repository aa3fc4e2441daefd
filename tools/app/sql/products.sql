-- Products with MRR or revenue, for the product filter.
select
    products.product_id,
    coalesce(products.product_name, products.product_id) as product_name
from dim_products as products
where exists (
    select 1 from metrics_product_monthly as monthly
    where monthly.product_id = products.product_id
)
order by product_name
