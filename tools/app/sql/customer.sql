-- One customer's dimension row.
select *
from dim_customers
where customer_id = %(customer_id)s
