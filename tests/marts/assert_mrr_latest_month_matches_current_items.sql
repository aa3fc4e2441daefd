-- The latest month's MRR agrees with the subscriptions' current items,
-- valued here from the OLTP tables with the same rules (the shared macros):
-- for every subscription active or past_due at the latest load (not past a
-- scheduled cancellation, not in a trial, collection not paused, still
-- listed by the API), its licensed items still on it, each at its price for
-- its quantity (tiers for a tiered price), less the inclusive-tax share
-- its subscription and price are valued at (macros/marts/mrr.sql),
-- monthly-normalized, less the subscription's current forever discounts
-- (terms from the embedded coupon first; an amount off shared by value,
-- each share net of its item's tax); zero for every other
-- subscription. A row is a subscription whose fct_mrr figure differs by
-- more than rounding, or either figure is null: a null is a failure, not
-- a zero.
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

currencies as (

    select * from {{ ref('currencies') }}

),

lines_taxed as {{ inlined_cte() }} (

    select * from {{ ref('int_invoice_lines_taxed') }}

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

    select
        subscriptions.subscription_id,
        lower(subscriptions.currency) as currency
    from subscriptions
    cross join latest_month
    where
        subscriptions.status in ('active', 'past_due')
        and not subscriptions.is_deleted
        and subscriptions.pause_collection_behavior is null
        and (
            subscriptions.cancel_at is null
            or subscriptions.cancel_at >= latest_month.measured_at
        )
        and (
            subscriptions.trial_end_at is null
            or subscriptions.trial_end_at < latest_month.measured_at
        )

),

items_priced as (

    select
        subscription_items.subscription_id,
        prices.usage_type,
        prices.recurring_interval,
        prices.recurring_interval_count,
        currencies.exponent,
        {{ price_amount_cents(
            'prices.billing_scheme',
            'prices.tiers',
            'prices.tiers_mode',
            'prices.unit_amount_decimal_cents',
            'subscription_items.quantity',
        ) }} as period_amount_cents,
        {{ tax_ratio("prices.tax_behavior = 'inclusive'") }}
            as net_of_tax_ratio
    from subscription_items
    inner join counting_subscriptions
        on
            subscription_items.subscription_id
            = counting_subscriptions.subscription_id
    inner join prices
        on subscription_items.price_id = prices.price_id
    left join currencies
        on lower(prices.currency) = currencies.currency_code
    {{ tax_ratio_joins('subscription_items') }}
    where
        not subscription_items.is_deleted
        and not subscription_items.is_missing_from_source
        and prices.recurring_interval is not null

),

items_valued as (

    {#- Net of inclusive tax, and with it (an amount off is shared by the
        latter). -#}
    select
        {%- for column, amount in [
            ('gross_mrr_amount', 'period_amount_cents * net_of_tax_ratio'),
            ('taxed_mrr_amount', 'period_amount_cents'),
        ] %}
        {{ licensed_item_mrr(
            amount, 'usage_type', 'recurring_interval',
            'recurring_interval_count', 'exponent',
        ) }} as {{ column }},
        {%- endfor %}
        subscription_id,
        recurring_interval,
        recurring_interval_count
    from items_priced

),

current_values as (

    select
        subscription_id,
        max(recurring_interval) as recurring_interval,
        max(recurring_interval_count) as recurring_interval_count,
        -- null as soon as one item cannot be valued
        case
            when count(*) = count(gross_mrr_amount)
                then sum(gross_mrr_amount)
        end as gross_mrr_amount,
        sum(taxed_mrr_amount) as taxed_mrr_amount
    from items_valued
    group by subscription_id

),

forever_discounts as (

    select
        subscription_discounts.subscription_id,
        sum(coalesce(
            subscription_discounts.coupon_percent_off, coupons.percent_off, 0
        )) as percent_off,
        sum(
            case
                when
                    lower(coalesce(
                        subscription_discounts.coupon_currency,
                        coupons.currency
                    )) = counting_subscriptions.currency
                    then {{ to_major_unit(
                        'coalesce(subscription_discounts'
                        ~ '.coupon_amount_off_cents,'
                        ~ ' coupons.amount_off_cents, 0)',
                        rounded=false,
                    ) }}
                else 0
            end
        ) as amount_off
    from subscription_discounts
    inner join counting_subscriptions
        on
            subscription_discounts.subscription_id
            = counting_subscriptions.subscription_id
    left join coupons
        on subscription_discounts.coupon_id = coupons.coupon_id
    left join currencies
        on counting_subscriptions.currency = currencies.currency_code
    cross join latest_month
    where
        coalesce(subscription_discounts.coupon_duration, coupons.duration)
        = 'forever'
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
        -- greatest() skips nulls: an unvalued subscription stays null.
        case
            when current_values.gross_mrr_amount is not null
                then greatest(
                    current_values.gross_mrr_amount
                    * (1 - least(
                        coalesce(forever_discounts.percent_off, 0), 100
                    ) / 100)
                    - {{ monthly_normalized(
                        'coalesce(forever_discounts.amount_off, 0)',
                        'current_values.recurring_interval',
                        'current_values.recurring_interval_count',
                    ) }}
                    -- each share of an amount off is net of its item's tax
                    * coalesce(
                        current_values.gross_mrr_amount
                        / nullif(current_values.taxed_mrr_amount, 0),
                        1
                    ),
                    0
                )
        end as expected_mrr_amount
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
        -- A side without a row is zero; a row with a null is not.
        case
            when expected.subscription_id is null then 0
            else expected.expected_mrr_amount
        end as expected_mrr_amount,
        case
            when actual.subscription_id is null then 0
            else actual.mrr_amount
        end as actual_mrr_amount
    from expected
    full outer join actual
        on expected.subscription_id = actual.subscription_id

)

select *
from compared
where
    expected_mrr_amount is null
    or actual_mrr_amount is null
    or abs(expected_mrr_amount - actual_mrr_amount) > 0.0001
