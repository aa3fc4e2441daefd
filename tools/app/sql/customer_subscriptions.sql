-- One customer's subscriptions as fct_mrr knows them: first and last month
-- with MRR and the MRR of the latest month.
select
    subscription_id,
    currency,
    min(month) filter (where is_active) as first_mrr_month,
    max(month) filter (where is_active) as last_mrr_month,
    (array_agg(mrr_amount order by month desc))[1] as latest_mrr,
    (array_agg(movement order by month desc))[1] as latest_movement,
    bool_or(is_active and month = %(latest_month)s) as is_active
from fct_mrr
where customer_id = %(customer_id)s
group by subscription_id, currency
order by first_mrr_month desc nulls last
