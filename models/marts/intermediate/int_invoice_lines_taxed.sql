{#-
    The share of each invoice line's amount that is not tax: a
    tax-inclusive price's amount includes its tax, which never counts as
    MRR (docs/metrics.md). The inclusive tax is what the line's taxes state
    as inclusive (`taxes[].tax_behavior` inclusive since basil,
    `tax_amounts[].inclusive` before); exclusive and unspecified taxes are
    on top of the amount and change nothing. Something not billed yet (a
    current item, a pending proration) takes the ratio of the latest line
    of its subscription and price, else of its price (flags below).
-#}
with

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}

),

invoice_line_item_taxes as (

    select * from {{ ref('invoice_line_item_taxes') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

inclusive_taxes_summed as (

    select
        invoice_line_item_id,
        sum(amount_cents) as inclusive_tax_cents
    from invoice_line_item_taxes
    where tax_behavior = 'inclusive' or is_inclusive
    group by invoice_line_item_id

),

lines_taxed as (

    select
        invoice_line_items.invoice_line_item_id,
        invoice_line_items.subscription_id,
        invoice_line_items.price_id,
        invoice_line_items.amount_cents,
        coalesce(inclusive_taxes_summed.inclusive_tax_cents, 0)
            as inclusive_tax_cents,
        case
            when invoice_line_items.amount_cents <> 0
                then {{ decimal_round(
                    '1 - coalesce(inclusive_taxes_summed.inclusive_tax_cents,'
                    ~ ' 0) / cast(invoice_line_items.amount_cents as '
                    ~ sql_type('numeric') ~ ')',
                    12,
                ) }}
            else 1
        end as net_of_tax_ratio,
        invoices.created_at as invoice_created_at
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    left join inclusive_taxes_summed
        on
            invoice_line_items.invoice_line_item_id
            = inclusive_taxes_summed.invoice_line_item_id
    where
        invoice_line_items.price_id is not null
        and invoices.status not in ('draft', 'void')

),

final as (

    select
        invoice_line_item_id,
        subscription_id,
        price_id,
        amount_cents,
        inclusive_tax_cents,
        net_of_tax_ratio,
        row_number() over (
            partition by subscription_id, price_id
            order by
                amount_cents <> 0 desc,
                invoice_created_at desc,
                invoice_line_item_id desc
        ) = 1 as is_latest_of_subscription_price,
        row_number() over (
            partition by price_id
            order by
                amount_cents <> 0 desc,
                invoice_created_at desc,
                invoice_line_item_id desc
        ) = 1 as is_latest_of_price,
        invoice_created_at
    from lines_taxed

)

select * from final
