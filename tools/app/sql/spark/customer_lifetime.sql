-- The lifetime figures metrics_customer_lifetime holds for some customers
-- (every column it has); Spark tests membership with array_contains.
select *
from metrics_customer_lifetime
where array_contains(%(customer_ids)s, customer_id)
