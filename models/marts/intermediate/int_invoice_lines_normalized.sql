{#-
    Evidence of MRR from invoice lines: one row per subscription line of a
    recurring price on an invoice that is evidence of service (not draft,
    not void), valued at its monthly-normalized unit price x quantity over
    the line's period. A proration line names the price and quantity from
    its period start (the change); its prorated amount is never used. The
    "unused time" proration (negative amount) of what was replaced or
    removed carries zero from its start on, open-ended, until newer evidence
    of the same price (the local Stripe writes it with an empty period).
    An "unused time" line is no evidence where its own invoice bills the
    same price to the subscription again (a quantity change: the new
    quantity's line says it all; the local Stripe re-bills the whole period
    that way). Evidence is keyed by price: Stripe allows one item per price on a
    subscription, and an item replaced on a change keeps its price's key.
-#}
with

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

prices as (

    select * from {{ ref('prices') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

lines_of_billed_subscriptions as (

    select
        invoice_line_items.invoice_line_item_id,
        invoice_line_items.invoice_id,
        invoice_line_items.subscription_id,
        invoice_line_items.subscription_item_id,
        invoice_line_items.price_id,
        invoice_line_items.currency,
        invoice_line_items.quantity,
        invoice_line_items.amount_cents,
        invoice_line_items.unit_amount_decimal_cents,
        invoice_line_items.is_proration,
        invoice_line_items.period_start_at,
        invoice_line_items.period_end_at,
        invoices.created_at as invoice_created_at,
        bool_or(invoice_line_items.amount_cents >= 0) over (
            partition by
                invoice_line_items.invoice_id,
                invoice_line_items.subscription_id,
                invoice_line_items.price_id
        ) as is_price_billed_on_invoice
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    where
        invoice_line_items.subscription_id is not null
        and invoices.status not in ('draft', 'void')

),

lines_joined_to_prices as (

    select
        billed_lines.*,
        prices.product_id,
        prices.usage_type,
        prices.recurring_interval,
        prices.recurring_interval_count,
        currencies.exponent,
        coalesce(
            billed_lines.unit_amount_decimal_cents,
            prices.unit_amount_decimal_cents
        ) as unit_amount_cents
    from lines_of_billed_subscriptions as billed_lines
    inner join prices
        on billed_lines.price_id = prices.price_id
    inner join currencies
        on lower(billed_lines.currency) = currencies.currency_code
    where
        prices.recurring_interval is not null
        and not (
            billed_lines.is_proration
            and billed_lines.amount_cents < 0
            and billed_lines.is_price_billed_on_invoice
        )

),

final as (

    select
        invoice_line_item_id,
        invoice_id,
        subscription_id,
        price_id as item_key,
        subscription_item_id,
        price_id,
        product_id,
        lower(currency) as currency,
        recurring_interval,
        recurring_interval_count,
        quantity,
        case
            when is_proration and amount_cents < 0 then 0
            when unit_amount_cents is null and not is_proration
                then {{ mrr_round(monthly_normalized(
                    to_major_unit('amount_cents', 'exponent', rounded=false),
                    'recurring_interval',
                    'recurring_interval_count',
                )) }}
            else {{ licensed_item_mrr(
                'unit_amount_cents', 'quantity', 'usage_type',
                'recurring_interval', 'recurring_interval_count', 'exponent',
            ) }}
        end as gross_mrr_amount,
        usage_type = 'metered' as is_metered,
        is_proration,
        period_start_at as valid_from_at,
        case
            when not (is_proration and amount_cents < 0) then period_end_at
        end as valid_until_at,
        invoice_created_at as evidence_created_at
    from lines_joined_to_prices

)

select * from final
