-- The lifetime figures metrics_customer_lifetime holds for some customers
-- (every column it has).
select *
from metrics_customer_lifetime
where customer_id = any(%(customer_ids)s)
