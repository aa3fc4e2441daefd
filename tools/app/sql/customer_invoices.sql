-- One customer's latest invoices.
select
    invoice_id,
    invoice_number,
    subscription_id,
    status,
    billing_reason,
    currency,
    total,
    amount_paid,
    amount_remaining,
    created_at,
    paid_at
from fct_invoices
where customer_id = %(customer_id)s
order by created_at desc
limit 100
