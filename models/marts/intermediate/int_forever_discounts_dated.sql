{#-
    When each forever discount applied to a subscription: the only
    discounts that reduce MRR (docs/metrics.md). Two kinds of evidence:
    - `invoice`: an invoice that is evidence of service (not draft, not
      void) and applied the discount, over the periods of the
      subscription's lines on it. Removing the discount later never
      changes these months;
    - `current`: the subscription's discounts now, from their start until
      their end; the month still running reads these alone.
    A coupon's terms come first from the discount object that embeds it,
    then from the coupon: a coupon deleted in Stripe keeps its duration.
-#}
with

subscription_discounts as (

    select * from {{ ref('subscription_discounts') }}

),

invoice_discounts as (

    select * from {{ ref('invoice_discounts') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}

),

coupons as (

    select * from {{ ref('coupons') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

invoice_periods as (

    select
        invoice_line_items.invoice_id,
        invoice_line_items.subscription_id,
        min(invoice_line_items.period_start_at) as period_start_at,
        max(invoice_line_items.period_end_at) as period_end_at
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    where
        invoice_line_items.subscription_id is not null
        and not invoice_line_items.is_proration
        and invoices.status not in ('draft', 'void')
    group by invoice_line_items.invoice_id, invoice_line_items.subscription_id

),

discounts_applied as (

    select
        invoice_periods.subscription_id || ':' || invoice_discounts.invoice_id
        || ':' || invoice_discounts.discount_id as evidence_id,
        invoice_periods.subscription_id,
        invoice_discounts.discount_id as discount_key,
        invoice_discounts.coupon_id,
        invoice_discounts.coupon_duration,
        invoice_discounts.coupon_percent_off,
        invoice_discounts.coupon_amount_off_cents,
        invoice_discounts.coupon_currency,
        'invoice' as evidence_source,
        invoice_periods.period_start_at as valid_from_at,
        invoice_periods.period_end_at as valid_until_at
    from invoice_discounts
    inner join invoice_periods
        on invoice_discounts.invoice_id = invoice_periods.invoice_id

    union all

    select
        subscription_id || ':current:'
        || cast(discount_position as {{ dbt.type_string() }}) as evidence_id,
        subscription_id,
        coalesce(discount_id, coupon_id) as discount_key,
        coupon_id,
        coupon_duration,
        coupon_percent_off,
        coupon_amount_off_cents,
        coupon_currency,
        'current' as evidence_source,
        start_at as valid_from_at,
        end_at as valid_until_at
    from subscription_discounts

),

terms_resolved as (

    select
        discounts_applied.evidence_id,
        discounts_applied.subscription_id,
        discounts_applied.discount_key,
        discounts_applied.coupon_id,
        discounts_applied.evidence_source,
        coalesce(discounts_applied.coupon_duration, coupons.duration)
            as duration,
        coalesce(discounts_applied.coupon_percent_off, coupons.percent_off)
            as percent_off,
        coalesce(
            discounts_applied.coupon_amount_off_cents, coupons.amount_off_cents
        ) as amount_off_cents,
        lower(coalesce(discounts_applied.coupon_currency, coupons.currency))
            as amount_off_currency,
        discounts_applied.valid_from_at,
        discounts_applied.valid_until_at
    from discounts_applied
    left join coupons
        on discounts_applied.coupon_id = coupons.coupon_id

),

final as (

    select
        terms_resolved.evidence_id,
        terms_resolved.subscription_id,
        terms_resolved.discount_key,
        terms_resolved.coupon_id,
        terms_resolved.evidence_source,
        terms_resolved.amount_off_currency,
        terms_resolved.percent_off,
        {{ decimal_round(
            to_major_unit('terms_resolved.amount_off_cents', rounded=false), 6
        ) }} as amount_off,
        terms_resolved.evidence_source = 'current' as is_current_state,
        terms_resolved.valid_from_at,
        terms_resolved.valid_until_at
    from terms_resolved
    left join currencies
        on terms_resolved.amount_off_currency = currencies.currency_code
    where terms_resolved.duration = 'forever'

)

select * from final
