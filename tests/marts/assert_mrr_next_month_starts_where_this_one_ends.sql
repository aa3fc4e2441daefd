-- The MRR roll-forward chains: each month's starting MRR is the previous
-- month's ending MRR, per currency, with no month missing in between.
with

metrics_mrr_monthly as (

    select * from {{ ref('metrics_mrr_monthly') }}

),

consecutive_months as (

    select
        this_month.currency,
        this_month.month,
        this_month.starting_mrr_amount,
        previous_month.ending_mrr_amount as previous_ending_mrr_amount
    from metrics_mrr_monthly as this_month
    left join metrics_mrr_monthly as previous_month
        on
            this_month.currency = previous_month.currency
            and previous_month.month = cast(
                {{ dbt.dateadd('month', -1, 'this_month.month') }} as date
            )

),

first_months as (

    select
        currency,
        min(month) as first_month
    from metrics_mrr_monthly
    group by currency

)

select consecutive_months.*
from consecutive_months
inner join first_months
    on consecutive_months.currency = first_months.currency
where
    -- a month after the first must follow its previous month's ending
    (
        consecutive_months.month > first_months.first_month
        and (
            consecutive_months.previous_ending_mrr_amount is null
            or consecutive_months.starting_mrr_amount
            <> consecutive_months.previous_ending_mrr_amount
        )
    )
    -- the first month starts from nothing
    or (
        consecutive_months.month = first_months.first_month
        and consecutive_months.starting_mrr_amount <> 0
    )
