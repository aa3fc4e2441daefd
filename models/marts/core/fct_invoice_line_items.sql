{#- Grain: one row per invoice line (subscription lines, prorations and
    one-off invoice items), of invoices of every status. -#}
{{ config(
    unique_key='invoice_line_item_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

invoice_line_items as (

    {#- On an incremental run the lines loaded since and the lines of the
        invoices loaded since; below, only their taxes. -#}
    select * from {{ ref('invoice_line_items') }}
    where {{ is_changed_key('invoice_line_item_id', [
        keys_new_since_last_run(
            ref('invoice_line_items'), 'invoice_line_item_id'),
        'select invoice_line_item_id from ' ~ ref('invoice_line_items')
            ~ ' where invoice_id in ('
            ~ keys_new_since_last_run(ref('invoices'), 'invoice_id') ~ ')',
    ]) }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

prices as (

    select * from {{ ref('prices') }}

),

invoice_line_item_taxes as (

    select * from {{ ref('invoice_line_item_taxes') }}
    where {{ is_changed_key('invoice_line_item_id', [
        'select invoice_line_item_id from invoice_line_items',
    ]) }}

),

taxes_summed as (

    select
        invoice_line_item_id,
        sum(case when not is_inclusive then amount else 0 end)
            as exclusive_tax_amount,
        sum(case when is_inclusive then amount else 0 end)
            as inclusive_tax_amount
    from invoice_line_item_taxes
    group by invoice_line_item_id

),

lines_joined as (

    select
        invoice_line_items.invoice_line_item_id,
        invoice_line_items.invoice_id,
        coalesce(invoices.customer_id, 'unknown') as customer_id,
        invoice_line_items.subscription_id,
        invoice_line_items.subscription_item_id,
        coalesce(invoice_line_items.price_id, 'unknown') as price_id,
        coalesce(prices.product_id, 'unknown') as product_id,
        lower(invoice_line_items.currency) as currency,
        invoice_line_items.line_type,
        invoices.status as invoice_status,
        invoice_line_items.description,
        invoice_line_items.quantity,
        invoice_line_items.amount,
        coalesce(taxes_summed.exclusive_tax_amount, 0)
            as exclusive_tax_amount,
        coalesce(taxes_summed.inclusive_tax_amount, 0)
            as inclusive_tax_amount,
        {#- Revenue of the line: its amount without any tax in it. -#}
        invoice_line_items.amount
        - coalesce(taxes_summed.inclusive_tax_amount, 0) as net_amount,
        invoice_line_items.is_proration,
        invoices.status in ('open', 'paid', 'uncollectible') as is_billed,
        {{ utc_date('invoices.created_at') }} as invoice_created_date,
        invoice_line_items.period_start_at,
        invoice_line_items.period_end_at,
        greatest(invoice_line_items.loaded_at, invoices.loaded_at)
            as loaded_at
    from invoice_line_items
    inner join invoices
        on invoice_line_items.invoice_id = invoices.invoice_id
    left join prices
        on invoice_line_items.price_id = prices.price_id
    left join taxes_summed
        on
            invoice_line_items.invoice_line_item_id
            = taxes_summed.invoice_line_item_id
    where
        {{ is_new_since_last_run('invoice_line_items.loaded_at') }}
        or {{ is_new_since_last_run('invoices.loaded_at') }}

),

final as (

    select
        lines_joined.*,
        {%- for column in ['amount', 'net_amount'] %}
        {{ at_reporting_rate('lines_joined.' ~ column) }}
            as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency
    from lines_joined
    {{ reporting_rate_join(
        'lines_joined.currency', 'lines_joined.invoice_created_date'
    ) }}

)

select * from final
