-- MRR roll-forward per month, in one currency, or in the reporting currency
-- with each month's movements converted at that month's measuring rate;
-- fx_effect_mrr is what the rates' changes add, so the roll-forward adds up.
with

monthly as (

    select *
    from metrics_mrr_monthly
    where
        month between %(start_month)s and %(end_month)s
        and (%(currency)s::text is null or currency = %(currency)s)

),

currencies as (

    select * from dim_currencies

),

rated as (

    select
        monthly.*,
        case
            when %(currency)s::text is not null then 1
            else coalesce(
                monthly.reporting_ending_mrr_amount
                / nullif(monthly.ending_mrr_amount, 0),
                monthly.reporting_starting_mrr_amount
                / nullif(monthly.starting_mrr_amount, 0),
                currencies.latest_rate_to_reporting
            )
        end as rate,
        case
            when %(currency)s::text is null
                then monthly.reporting_starting_mrr_amount
            else monthly.starting_mrr_amount
        end as starting_in_view,
        case
            when %(currency)s::text is null
                then monthly.reporting_ending_mrr_amount
            else monthly.ending_mrr_amount
        end as ending_in_view
    from monthly
    left join currencies
        on monthly.currency = currencies.currency_code

),

summed as (

    select
        month,
        sum(starting_in_view) as starting_mrr,
        sum(new_mrr_amount * rate) as new_mrr,
        sum(expansion_mrr_amount * rate) as expansion_mrr,
        sum(reactivation_mrr_amount * rate) as reactivation_mrr,
        sum(contraction_mrr_amount * rate) as contraction_mrr,
        sum(churned_mrr_amount * rate) as churned_mrr,
        sum(ending_in_view) as ending_mrr,
        sum(active_subscriptions) as active_subscriptions,
        sum(new_subscriptions) as new_subscriptions,
        sum(churned_subscriptions) as churned_subscriptions,
        count(*) filter (
            where rate is null or ending_in_view is null
        ) as unconverted_currencies,
        max(measured_on_date) as measured_on_date
    from rated
    group by month

),

final as (

    select
        *,
        ending_mrr - starting_mrr - new_mrr - expansion_mrr
        - reactivation_mrr + contraction_mrr + churned_mrr as fx_effect_mrr
    from summed

)

select * from final
order by month
