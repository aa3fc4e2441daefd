{#-
    Evidence of MRR from billing: one row per subscription line of a
    recurring price on an invoice that is evidence of service (not draft,
    not void), and per pending proration (`/v1/invoiceitems` not invoiced
    yet, or on a draft: Stripe's default `create_prorations` leaves them
    there until the next invoice). Each is valued at its monthly-normalized
    price for its quantity (through the tiers of a tiered price), less the
    inclusive tax of its subscription and price (int_invoice_lines_taxed:
    the share its most exact line states), over its period.
    A proration names the price and quantity from its period start (the
    change); its prorated amount is never used. The "unused time"
    proration (negative amount) of what was replaced or removed carries zero
    from its start on, open-ended, until newer evidence of the same item
    (the local Stripe writes it with an empty period). An "unused time" line
    is no evidence where its own invoice bills the same item again (a
    quantity change: the new quantity's line says it all).
    Evidence is keyed by subscription item (`item_key`): a price change
    keeps the item, so the old and the new price of one item are ranked
    against each other and never both count. A line that does not name its
    item (a basil proration line names only its invoice item; older local
    Stripe lines none) takes it from its invoice item, else from the item of
    its subscription with the same price, else keys by its price.
-#}

{#- Stored, not a view: several models and tests read it, and each
    reading of a view runs its whole query again. Incremental per
    subscription where the engine merges (macros/marts/per_subscription.sql):
    a run rebuilds the evidence of the subscriptions whose lines, invoices,
    pending invoice items or items were loaded since its last build, whose
    prices changed in a column the valuation reads, or whose lines belong
    to a set of tax rates or a price whose most exact line's share changed
    (lines of other subscriptions decide it: int_invoice_lines_taxed). -#}
{{ config(
    materialized=per_subscription_materialization(),
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        evidence_changes(),
        evidence_lookups(
            ref('prices'),
            evidence_price_columns(),
            ref('int_invoice_lines_taxed'),
            [ref('invoice_line_items'), ref('int_invoice_items_prorated')],
        ),
    ) }}",
    post_hook="{{ per_subscription_record() }}",
) }}
with

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}
    where {{ is_changed_subscription('subscription_id') }}

),

invoice_items as {{ inlined_cte() }} (

    {#- Read by key from the changed subscriptions' lines, and filtered
        to those subscriptions for their pending prorations; inlined, like
        the invoices, so an incremental run reads neither whole. -#}
    select * from {{ ref('int_invoice_items_prorated') }}

),

invoices as {{ inlined_cte() }} (

    select * from {{ ref('invoices') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}
    where {{ is_changed_subscription('subscription_id') }}

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

lines_of_billed_subscriptions as (

    select
        invoice_line_items.invoice_line_item_id as evidence_id,
        invoice_line_items.invoice_line_item_id,
        invoice_line_items.invoice_id,
        invoice_line_items.subscription_id,
        coalesce(
            invoice_line_items.subscription_item_id,
            invoice_items.subscription_item_id
        ) as subscription_item_id,
        invoice_line_items.price_id,
        invoice_line_items.currency,
        invoice_line_items.quantity,
        invoice_line_items.amount_cents,
        invoice_line_items.unit_amount_decimal_cents,
        {#- The share its subscription and price are valued at (the most
            exact line of them), never a proration's own rounding. -#}
        {{ tax_ratio("prices.tax_behavior = 'inclusive'") }}
            as net_of_tax_ratio,
        invoice_line_items.is_proration,
        false as is_pending,
        invoice_line_items.period_start_at,
        invoice_line_items.period_end_at,
        invoices.created_at as evidence_created_at
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    left join invoice_items
        on invoice_line_items.invoice_item_id = invoice_items.invoice_item_id
    left join prices
        on invoice_line_items.price_id = prices.price_id
    {{ tax_ratio_joins('invoice_line_items') }}
    where
        invoice_line_items.subscription_id is not null
        and invoices.status not in ('draft', 'void')

),

proration_items as (

    {#- The prorations of the subscriptions being built, before their
        invoices are joined: an incremental run then reads those invoices
        by key, not every invoice. -#}
    select * from invoice_items
    where
        is_proration
        and subscription_id is not null
        and {{ is_changed_subscription('subscription_id') }}
        and not is_deleted

),

pending_prorations as (

    select
        invoice_items.invoice_item_id as evidence_id,
        cast(null as {{ dbt.type_string() }}) as invoice_line_item_id,
        invoice_items.invoice_id,
        invoice_items.subscription_id,
        invoice_items.subscription_item_id,
        invoice_items.price_id,
        invoice_items.currency,
        invoice_items.quantity,
        invoice_items.amount_cents,
        invoice_items.unit_amount_decimal_cents,
        {{ tax_ratio("prices.tax_behavior = 'inclusive'") }}
            as net_of_tax_ratio,
        true as is_proration,
        true as is_pending,
        invoice_items.period_start_at,
        invoice_items.period_end_at,
        invoice_items.created_at as evidence_created_at
    from proration_items as invoice_items
    left join invoices
        on invoice_items.invoice_id = invoices.invoice_id
    left join prices
        on invoice_items.price_id = prices.price_id
    {{ tax_ratio_joins('invoice_items') }}
    where invoice_items.invoice_id is null or invoices.status = 'draft'

),

billed_items as (

    select * from lines_of_billed_subscriptions
    union all
    select * from pending_prorations

),

items_of_same_price as (

    {#- The subscription's item of the evidence's price, for evidence that
        does not name its item: the latest created by the period's start. -#}
    select
        billed_items.evidence_id,
        subscription_items.subscription_item_id,
        row_number() over (
            partition by billed_items.evidence_id
            order by
                subscription_items.created_at
                <= billed_items.period_start_at desc,
                subscription_items.created_at desc,
                subscription_items.subscription_item_id asc
        ) as item_rank
    from billed_items
    inner join subscription_items
        on
            billed_items.subscription_id = subscription_items.subscription_id
            and billed_items.price_id = subscription_items.price_id
    where billed_items.subscription_item_id is null

),

items_keyed as (

    select
        billed_items.*,
        coalesce(
            billed_items.subscription_item_id,
            items_of_same_price.subscription_item_id,
            billed_items.price_id
        ) as item_key,
        bool_or(billed_items.amount_cents >= 0) over (
            partition by
                billed_items.invoice_id,
                billed_items.is_pending,
                billed_items.subscription_id,
                coalesce(
                    billed_items.subscription_item_id,
                    items_of_same_price.subscription_item_id,
                    billed_items.price_id
                )
        ) as is_item_billed_again
    from billed_items
    left join items_of_same_price
        on
            billed_items.evidence_id = items_of_same_price.evidence_id
            and items_of_same_price.item_rank = 1

),

items_joined_to_prices as (

    select
        items_keyed.*,
        prices.product_id,
        prices.usage_type,
        prices.recurring_interval,
        prices.recurring_interval_count,
        currencies.exponent,
        coalesce(
            {{ price_amount_cents(
                'prices.billing_scheme',
                'prices.tiers',
                'prices.tiers_mode',
                'coalesce(items_keyed.unit_amount_decimal_cents,'
                ~ ' prices.unit_amount_decimal_cents)',
                'items_keyed.quantity',
            ) }},
            {#- A full period's line bills what the price comes to. -#}
            case
                when not items_keyed.is_proration
                    then items_keyed.amount_cents
            end
        ) as period_amount_cents
    from items_keyed
    inner join prices
        on items_keyed.price_id = prices.price_id
    inner join currencies
        on lower(items_keyed.currency) = currencies.currency_code
    where
        prices.recurring_interval is not null
        and not (
            items_keyed.is_proration
            and items_keyed.amount_cents < 0
            and items_keyed.is_item_billed_again
        )

),

final as (

    select
        evidence_id,
        invoice_line_item_id,
        invoice_id,
        subscription_id,
        item_key,
        subscription_item_id,
        price_id,
        product_id,
        lower(currency) as currency,
        recurring_interval,
        recurring_interval_count,
        quantity,
        case
            when is_proration and amount_cents < 0 then 0
            else {{ licensed_item_mrr(
                'period_amount_cents * net_of_tax_ratio', 'usage_type',
                'recurring_interval', 'recurring_interval_count', 'exponent',
            ) }}
        end as gross_mrr_amount,
        net_of_tax_ratio,
        usage_type = 'metered' as is_metered,
        is_proration,
        is_pending,
        period_start_at as valid_from_at,
        case
            when not (is_proration and amount_cents < 0) then period_end_at
        end as valid_until_at,
        evidence_created_at
    from items_joined_to_prices

)

select * from final
