{#-
    When each forever discount applied to a subscription: the only
    discounts that reduce MRR (docs/metrics.md). Two kinds of evidence:
    - `invoice`: the invoices that are evidence of service (not draft, not
      void) and applied the discount say it applied from its `start` (the
      discount object they embed; else their first line period) through
      the end of the last period they billed with it, unless an update
      event (kept 30 days) shows it removed earlier. Removing the discount
      later never changes these months. Only licensed full-period lines
      give the periods: a usage line bills the period before;
    - `current`: the subscription's discounts now, from their start until
      their end; the month still running reads these alone.
    A coupon's terms come first from the discount object that embeds it,
    then from the coupon: a coupon deleted in Stripe keeps its duration.
-#}

{#- Stored, not a view: its four data tests would each run the whole
    query again (0.45 s apiece at 10,000 customers; a few hundredths
    against the table). Incremental per subscription where the engine
    merges (macros/marts/per_subscription.sql): a run rebuilds the
    subscriptions whose row (and with it its discounts), invoice lines,
    invoices (and their discounts) or events were loaded since its last
    build, or whose prices' usage type or coupons' terms changed. -#}
{{ config(
    materialized=per_subscription_materialization(),
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        line_changes(ref('invoice_line_items'), ref('invoices')) + [
            ('subscriptions', ref('subscriptions'), 'subscription_id'),
            ('events', ref('int_subscription_events'), 'subscription_id'),
        ],
        [
            price_lookup_by_line(
                ref('prices'), ref('invoice_line_items'), ['usage_type']),
            ('coupons', ref('coupons'), 'coupon_id',
                ['duration', 'percent_off', 'amount_off_cents', 'currency'],
                'select subscription_id, coupon_id from '
                ~ ref('subscription_discounts')
                ~ ' union all select lines.subscription_id, discounts.coupon_id from '
                ~ ref('invoice_discounts') ~ ' as discounts inner join '
                ~ ref('invoice_line_items') ~ ' as lines'
                ~ ' on discounts.invoice_id = lines.invoice_id'),
        ],
    ) }}",
    post_hook="{{ per_subscription_record() }}",
) }}
with

subscription_discounts as (

    select * from {{ ref('subscription_discounts') }}
    where {{ is_changed_subscription('subscription_id') }}

),

invoice_discounts as (

    select * from {{ ref('invoice_discounts') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}
    where {{ is_changed_subscription('subscription_id') }}

),

prices as (

    select * from {{ ref('prices') }}

),

discounts_unpacked as (

    select * from {{ ref('int_discounts_unpacked') }}
    {%- if is_incremental() %}
    where owner_id in (
        select invoice_line_items.invoice_id from invoice_line_items
    )
    {%- endif %}

),

events as (

    select * from {{ ref('int_subscription_events') }}
    where {{ is_changed_subscription('subscription_id') }}

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
    left join prices
        on invoice_line_items.price_id = prices.price_id
    where
        invoice_line_items.subscription_id is not null
        and not invoice_line_items.is_proration
        and coalesce(prices.usage_type, 'licensed') <> 'metered'
        and invoices.status not in ('draft', 'void')
    group by invoice_line_items.invoice_id, invoice_line_items.subscription_id

),

invoice_periods_valued as (

    {#- Each invoice's periods with its subtotal: the amount a discount
        could reduce. -#}
    select
        invoice_periods.invoice_id,
        invoice_periods.subscription_id,
        invoice_periods.period_start_at,
        invoice_periods.period_end_at,
        invoices.subtotal
    from invoice_periods
    inner join invoices
        on invoice_periods.invoice_id = invoices.invoice_id

),

invoice_discount_starts as (

    {#- The discount's `start`, as each invoice embeds it. -#}
    select
        owner_id as invoice_id,
        coalesce(discount_id, coupon_id) as discount_key,
        min(start_at) as start_at
    from discounts_unpacked
    where owner_object = 'invoice'
    group by owner_id, coalesce(discount_id, coupon_id)

),

removal_events as (

    {#- An update that took discounts off: the ones its previous
        attributes list and its object no longer holds. -#}
    select
        events.subscription_id,
        {{ json_id('removed.element', '') }} as discount_key,
        min(events.created_at) as removed_at
    from events
    cross join
        {{ json_array_elements(
            'events.previous_attributes', 'discounts') }}
            as removed (element, position)
    where
        not exists (
            select 1
            from
                {{ json_array_elements(
                    'events.event_object', 'discounts') }}
                    as kept (element, position)
            where
                {{ json_id('kept.element', '') }}
                = {{ json_id('removed.element', '') }}
        )
    group by events.subscription_id, {{ json_id('removed.element', '') }}

),

invoices_discounted as (

    select
        invoice_periods.subscription_id,
        invoice_discounts.discount_id as discount_key,
        max(invoice_discounts.coupon_id) as coupon_id,
        max(invoice_discounts.coupon_duration) as coupon_duration,
        max(invoice_discounts.coupon_percent_off) as coupon_percent_off,
        max(invoice_discounts.coupon_amount_off_cents)
            as coupon_amount_off_cents,
        max(invoice_discounts.coupon_currency) as coupon_currency,
        min(
            coalesce(
                invoice_discount_starts.start_at,
                invoice_periods.period_start_at
            )
        ) as valid_from_at,
        max(invoice_periods.period_end_at) as last_billed_until_at
    from invoice_discounts
    inner join invoice_periods
        on invoice_discounts.invoice_id = invoice_periods.invoice_id
    left join invoice_discount_starts
        on
            invoice_discounts.invoice_id = invoice_discount_starts.invoice_id
            and invoice_discounts.discount_id
            = invoice_discount_starts.discount_key
    group by invoice_periods.subscription_id, invoice_discounts.discount_id

),

invoices_with_nothing_to_discount as (

    {#- The invoices after a discount's last discounted one whose subtotal
        is zero or a credit (a downgrade's prorations): no discount can
        reduce them, so they do not show it gone. They carry it on through
        their periods until an invoice with something to discount comes
        without it. -#}
    select
        invoices_discounted.subscription_id,
        invoices_discounted.discount_key,
        max(credited.period_end_at) as carried_until_at
    from invoices_discounted
    inner join invoice_periods_valued as credited
        on
            invoices_discounted.subscription_id = credited.subscription_id
            and invoices_discounted.last_billed_until_at
            <= credited.period_start_at
            and credited.subtotal <= 0
    where
        not exists (
            select 1
            from invoice_periods_valued as charged
            where
                charged.subscription_id = invoices_discounted.subscription_id
                and charged.period_start_at
                >= invoices_discounted.last_billed_until_at
                and charged.period_start_at <= credited.period_start_at
                and charged.subtotal > 0
        )
    group by
        invoices_discounted.subscription_id,
        invoices_discounted.discount_key

),

invoices_applying as (

    select
        invoices_discounted.subscription_id,
        invoices_discounted.discount_key,
        invoices_discounted.coupon_id,
        invoices_discounted.coupon_duration,
        invoices_discounted.coupon_percent_off,
        invoices_discounted.coupon_amount_off_cents,
        invoices_discounted.coupon_currency,
        invoices_discounted.valid_from_at,
        coalesce(
            invoices_with_nothing_to_discount.carried_until_at,
            invoices_discounted.last_billed_until_at
        ) as last_billed_until_at
    from invoices_discounted
    left join invoices_with_nothing_to_discount
        on
            invoices_discounted.subscription_id
            = invoices_with_nothing_to_discount.subscription_id
            and invoices_discounted.discount_key
            = invoices_with_nothing_to_discount.discount_key

),

discounts_applied as (

    select
        invoices_applying.subscription_id || ':invoices:'
        || invoices_applying.discount_key as evidence_id,
        invoices_applying.subscription_id,
        invoices_applying.discount_key,
        invoices_applying.coupon_id,
        invoices_applying.coupon_duration,
        invoices_applying.coupon_percent_off,
        invoices_applying.coupon_amount_off_cents,
        invoices_applying.coupon_currency,
        'invoice' as evidence_source,
        invoices_applying.valid_from_at,
        case
            when
                removal_events.removed_at
                < invoices_applying.last_billed_until_at
                then removal_events.removed_at
            else invoices_applying.last_billed_until_at
        end as valid_until_at
    from invoices_applying
    left join removal_events
        on
            invoices_applying.subscription_id = removal_events.subscription_id
            and invoices_applying.discount_key = removal_events.discount_key

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
