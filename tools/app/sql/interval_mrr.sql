-- MRR per billing interval (month, year, 3 month, ...) and month, from the
-- valued subscription items; converted like mrr_monthly.
with

items as (

    select *
    from int_subscription_items_valued_monthly
    where
        month_start_date between %(start_month)s and %(end_month)s
        and (%(currency)s::text is null or currency = %(currency)s)
        and (%(product_id)s::text is null or product_id = %(product_id)s)

),

rates as (

    select
        monthly.month,
        monthly.currency,
        coalesce(
            monthly.reporting_ending_mrr_amount
            / nullif(monthly.ending_mrr_amount, 0),
            currencies.latest_rate_to_reporting
        ) as rate
    from metrics_mrr_monthly as monthly
    left join dim_currencies as currencies
        on monthly.currency = currencies.currency_code

)

select
    items.month_start_date as month,
    case
        when items.recurring_interval_count > 1
            then
                items.recurring_interval_count::text
                || ' ' || items.recurring_interval || 's'
        else coalesce(items.recurring_interval, 'one-off')
    end as plan_interval,
    sum(
        items.mrr_amount
        * case when %(currency)s::text is null then rates.rate else 1 end
    ) as mrr
from items
left join rates
    on
        items.month_start_date = rates.month
        and items.currency = rates.currency
group by 1, 2
having sum(items.mrr_amount) <> 0
order by 1, 2
