-- One customer's MRR per month and currency.
select
    month,
    currency,
    sum(mrr_amount) as mrr
from fct_mrr
where customer_id = %(customer_id)s
group by month, currency
order by month, currency
