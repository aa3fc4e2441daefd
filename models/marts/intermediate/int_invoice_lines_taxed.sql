{#-
    The share of each invoice line's amount that is not tax: a
    tax-inclusive price's amount includes its tax, which never counts as
    MRR (docs/metrics.md). The inclusive tax is what the line's taxes state
    as inclusive (`taxes[].tax_behavior` inclusive since basil,
    `tax_amounts[].inclusive` before); exclusive and unspecified taxes are
    on top of the amount and change nothing.
    The tax is charged on what the line bills after its discounts, which
    `taxable_amount` states (net of the inclusive tax): the share is
    taxable / (taxable + inclusive tax), so a discount of any duration
    never shifts it; a line that states no taxable amount falls back on
    1 - tax / amount.
    One share values a subscription's price everywhere (its lines, its
    prorations, its current item): that of its full-period line taxed on
    its whole amount (it reproduces the tax rounded on a period's price);
    when every such line was discounted (a smaller base, a coarser
    rounding), that of its tax rates at their most exact line on any
    subscription (the largest base). Something the subscription never
    billed at that price, when the price is inclusive, takes the rates of
    the subscription's most exact line of an inclusive price (its
    customer's rates, none for a customer charged no tax) at their most
    exact line; else, when none of the subscription's lines with an
    amount was charged any tax (inclusive or not), no tax; else the share
    of the price's most exact line on any subscription. Flags below;
    macros/marts/mrr.sql picks.
-#}

{#- Stored, not a view: two models and the latest-month test read it
    (the test six times, each join filtered differently); as a view its
    rows had no statistics, and PostgreSQL planned a nested loop that
    read it once per item: 156 s for that test at 10,000 customers,
    0.25 s against the analyzed table. Incremental per subscription where
    the engine merges (macros/marts/per_subscription.sql): a run rebuilds
    the lines of the subscriptions whose lines (and with them their taxes)
    or invoices were loaded since its last build, or whose prices' tax
    behavior changed. The flags by tax rates and by price compare lines
    of every subscription: a post-hook sets them again where the rebuilt
    lines may change them (macros/marts/mrr.sql). -#}
{{ config(
    materialized=per_subscription_materialization(),
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        line_changes(ref('invoice_line_items'), ref('invoices')),
        [
            price_lookup_by_line(
                ref('prices'), ref('invoice_line_items'), ['tax_behavior']),
        ],
    ) }}",
    post_hook=[
        "{{ line_ratios_across_subscriptions_update() }}",
        "{{ per_subscription_record() }}",
        "{{ line_ratio_indexes() }}",
    ],
) }}
with

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}
    where {{ is_changed_subscription('subscription_id', with_none=true) }}

),

invoice_line_item_taxes as (

    select * from {{ ref('invoice_line_item_taxes') }}
    {%- if is_incremental() %}
    where invoice_line_item_id in (
        select invoice_line_items.invoice_line_item_id
        from invoice_line_items
    )
    {%- endif %}

),

invoices as (

    select * from {{ ref('invoices') }}

),

prices as (

    select * from {{ ref('prices') }}

),

inclusive_taxes_summed as (

    select
        invoice_line_item_id,
        sum(amount_cents) as inclusive_tax_cents,
        {#- Every tax of a line states the same base. -#}
        max(taxable_amount_cents) as taxable_amount_cents,
        {#- The rates charged, as one key: lines of the same rates share
            one share, whatever their amount. -#}
        {{ ordered_string_agg('tax_rate_id', ',') }} as tax_rates_key
    from invoice_line_item_taxes
    where tax_behavior = 'inclusive' or is_inclusive
    group by invoice_line_item_id

),

taxes_summed as (

    {#- Every tax the line states, inclusive or not: a customer charged
        none (exempt, or in no taxing place) states none, or only zeros. -#}
    select
        invoice_line_item_id,
        sum(amount_cents) as tax_cents
    from invoice_line_item_taxes
    group by invoice_line_item_id

),

lines_taxed as (

    select
        invoice_line_items.invoice_line_item_id,
        invoice_line_items.subscription_id,
        invoice_line_items.price_id,
        invoice_line_items.amount_cents,
        coalesce(invoice_line_items.is_proration, false) as is_proration,
        coalesce(inclusive_taxes_summed.inclusive_tax_cents, 0)
            as inclusive_tax_cents,
        {#- The amount the tax was charged on, tax included. -#}
        coalesce(
            inclusive_taxes_summed.taxable_amount_cents
            + inclusive_taxes_summed.inclusive_tax_cents,
            invoice_line_items.amount_cents
        ) as taxed_base_cents,
        inclusive_taxes_summed.tax_rates_key,
        coalesce(taxes_summed.tax_cents, 0) as tax_cents,
        prices.tax_behavior = 'inclusive' as is_inclusive_price,
        invoices.created_at as invoice_created_at
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    left join inclusive_taxes_summed
        on
            invoice_line_items.invoice_line_item_id
            = inclusive_taxes_summed.invoice_line_item_id
    left join taxes_summed
        on
            invoice_line_items.invoice_line_item_id
            = taxes_summed.invoice_line_item_id
    left join prices
        on invoice_line_items.price_id = prices.price_id
    where
        invoice_line_items.price_id is not null
        and invoices.status not in ('draft', 'void')

),

ratios as (

    select
        *,
        case
            when inclusive_tax_cents = 0 then 1
            when taxed_base_cents <> 0
                then {{ decimal_quotient(
                    'taxed_base_cents - inclusive_tax_cents',
                    'cast(taxed_base_cents as ' ~ sql_type('numeric') ~ ')',
                    12,
                ) }}
            else 1
        end as net_of_tax_ratio
    from lines_taxed

),

final as (

    {#- The line that stands for a set of lines (macros/marts/mrr.sql). -#}
    {%- set most_exact = most_exact_line_order() %}
    select
        invoice_line_item_id,
        subscription_id,
        price_id,
        amount_cents,
        inclusive_tax_cents,
        tax_cents,
        taxed_base_cents,
        net_of_tax_ratio,
        tax_rates_key,
        is_proration,
        {#- Its share then reproduces the tax rounded on the whole amount of
            a period, which is what the price comes to. -#}
        not is_proration
        and amount_cents <> 0
        and taxed_base_cents = amount_cents as is_whole_period_taxed,
        row_number() over (
            partition by subscription_id, price_id {{ most_exact }}
        ) = 1 as is_ratio_of_subscription_price,
        coalesce(is_inclusive_price, false)
        and row_number() over (
            partition by subscription_id, coalesce(is_inclusive_price, false)
            {{ most_exact }}
        ) = 1 as is_ratio_of_subscription_inclusive,
        {#- Lines of other subscriptions compete: on an incremental run
            the post-hook sets these over the whole table. -#}
        {%- if is_incremental() %}
        false as is_ratio_of_tax_rates,
        false as is_ratio_of_price,
        {%- else %}
        {{ line_ratios_across_subscriptions() }},
        {%- endif %}
        tax_cents <> 0 as is_charged_tax,
        {#- A line with an amount, a taxed one first: when it is untaxed,
            none of the subscription's lines was charged tax. -#}
        amount_cents <> 0
        and row_number() over (
            partition by subscription_id
            order by
                tax_cents <> 0 desc,
                amount_cents <> 0 desc,
                invoice_created_at desc,
                invoice_line_item_id desc
        ) = 1 as is_tax_state_of_subscription,
        invoice_created_at
    from ratios

)

select * from final
