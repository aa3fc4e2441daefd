-- One customer's latest charges.
select
    charge_id,
    invoice_id,
    status,
    currency,
    amount,
    amount_refunded,
    failure_code,
    risk_level,
    card_brand,
    is_disputed,
    created_at
from fct_charges
where customer_id = %(customer_id)s
order by created_at desc
limit 100
