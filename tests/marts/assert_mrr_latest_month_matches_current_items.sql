-- The latest month's MRR agrees with the subscriptions' current items,
-- computed here straight from the OLTP tables: for every subscription that
-- is active or past_due now (not past a scheduled cancellation, still
-- listed by the API), the
-- licensed items' unit price x quantity, monthly-normalized, less its
-- forever discounts; zero for every other subscription. A row is a
-- subscription whose fct_mrr figure differs by more than rounding.
with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}

),

prices as (

    select * from {{ ref('prices') }}

),

subscription_discounts as (

    select * from {{ ref('subscription_discounts') }}

),

coupons as (

    select * from {{ ref('coupons') }}

),

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

latest_month as (

    select
        month_start_date,
        measured_at
    from {{ ref('int_mrr_months') }}
    where is_current_month

),

counting_subscriptions as (

    select subscriptions.subscription_id
    from subscriptions
    cross join latest_month
    where
        subscriptions.status in ('active', 'past_due')
        and not subscriptions.is_deleted
        and (
            subscriptions.cancel_at is null
            or subscriptions.cancel_at >= latest_month.measured_at
        )
        and (
            subscriptions.trial_end_at is null
            or subscriptions.trial_end_at < latest_month.measured_at
        )

),

current_values as (

    select
        subscription_items.subscription_id,
        sum(
            case
                when prices.usage_type = 'metered' then 0 else
                    prices.unit_amount * subscription_items.quantity
                    * case prices.recurring_interval
                        when 'month' then 1.0
                        when 'year' then 1.0 / 12
                        when 'week' then 52.0 / 12
                        when 'day' then 365.0 / 12
                    end
                    / prices.recurring_interval_count
            end
        ) as gross_mrr_amount,
        max(prices.recurring_interval) as recurring_interval,
        max(prices.recurring_interval_count) as recurring_interval_count
    from subscription_items
    inner join counting_subscriptions
        on
            subscription_items.subscription_id
            = counting_subscriptions.subscription_id
    inner join prices
        on subscription_items.price_id = prices.price_id
    where
        not subscription_items.is_deleted
        and prices.recurring_interval is not null
    group by subscription_items.subscription_id

),

forever_discounts as (

    select
        subscription_discounts.subscription_id,
        sum(coalesce(coupons.percent_off, 0)) as percent_off,
        sum(coalesce(coupons.amount_off, 0)) as amount_off
    from subscription_discounts
    inner join coupons
        on subscription_discounts.coupon_id = coupons.coupon_id
    cross join latest_month
    where
        coupons.duration = 'forever'
        and subscription_discounts.start_at < latest_month.measured_at
        and (
            subscription_discounts.end_at is null
            or subscription_discounts.end_at >= latest_month.measured_at
        )
    group by subscription_discounts.subscription_id

),

expected as (

    select
        current_values.subscription_id,
        greatest(
            current_values.gross_mrr_amount
            * (1 - coalesce(forever_discounts.percent_off, 0) / 100)
            - coalesce(forever_discounts.amount_off, 0)
            * case current_values.recurring_interval
                when 'month' then 1.0
                when 'year' then 1.0 / 12
                when 'week' then 52.0 / 12
                when 'day' then 365.0 / 12
            end
            / current_values.recurring_interval_count,
            0
        ) as expected_mrr_amount
    from current_values
    left join forever_discounts
        on current_values.subscription_id = forever_discounts.subscription_id

),

actual as (

    select
        fct_mrr.subscription_id,
        fct_mrr.mrr_amount
    from fct_mrr
    inner join latest_month
        on fct_mrr.month = latest_month.month_start_date

),

compared as (

    select
        coalesce(expected.subscription_id, actual.subscription_id)
            as subscription_id,
        coalesce(expected.expected_mrr_amount, 0) as expected_mrr_amount,
        coalesce(actual.mrr_amount, 0) as actual_mrr_amount
    from expected
    full outer join actual
        on expected.subscription_id = actual.subscription_id

)

select *
from compared
where abs(expected_mrr_amount - actual_mrr_amount) > 0.0001
