-- One customer's subscriptions as fct_mrr knows them: first and last month
-- with MRR and the MRR of the latest month.
with

-- each subscription's latest month first (a window, not an ordered
-- aggregate, so every engine reads it the same)
latest_first as (

    select
        *,
        row_number() over (
            partition by subscription_id, currency order by month desc
        ) as recency
    from fct_mrr
    where customer_id = %(customer_id)s

)

select
    subscription_id,
    currency,
    min(month) filter (where is_active) as first_mrr_month,
    max(month) filter (where is_active) as last_mrr_month,
    max(case when recency = 1 then mrr_amount end) as latest_mrr,
    max(case when recency = 1 then movement end) as latest_movement,
    bool_or(is_active and month = %(latest_month)s) as is_active
from latest_first
group by subscription_id, currency
order by first_mrr_month desc nulls last
