{#- Grain: one row per invoice, every status (draft and void included;
    filter on status for billed amounts). -#}
{{ config(
    unique_key='invoice_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

invoices as (

    {#- On an incremental run the invoices loaded since, and below only
        their lines, discounts and charges: summed over every invoice and
        then filtered, 9 s at 100,000 customers for a few hundred. -#}
    select * from {{ ref('invoices') }}
    where {{ is_new_since_last_run() }}

),

invoice_discounts as (

    select * from {{ ref('invoice_discounts') }}
    where
        {{ is_changed_key('invoice_id', ['select invoice_id from invoices']) }}

),

invoice_line_items as (

    select * from {{ ref('invoice_line_items') }}
    where
        {{ is_changed_key('invoice_id', ['select invoice_id from invoices']) }}

),

charges as (

    select * from {{ ref('charges') }}
    where
        {{ is_changed_key('invoice_id', ['select invoice_id from invoices']) }}

),

line_items_summed as (

    select
        invoice_id,
        count(*) as line_item_count,
        sum(case when is_proration then 1 else 0 end)
            as proration_line_item_count,
        sum(quantity) as total_quantity
    from invoice_line_items
    group by invoice_id

),

charges_counted as (

    select
        invoice_id,
        count(*) as charge_count,
        sum(case when status = 'failed' then 1 else 0 end)
            as failed_charge_count
    from charges
    where invoice_id is not null and not is_missing_from_source
    group by invoice_id

),

discounts_summed as (

    select
        invoice_id,
        sum(amount) as discount_amount
    from invoice_discounts
    group by invoice_id

),

invoices_joined as (

    select
        invoices.invoice_id,
        coalesce(invoices.customer_id, 'unknown') as customer_id,
        invoices.subscription_id,
        invoices.invoice_number,
        lower(invoices.currency) as currency,
        invoices.status,
        invoices.billing_reason,
        invoices.collection_method,
        {#- Where the payment stands, beyond the invoice's status: an open
            invoice is partially paid, failed (a payment attempt was
            declined) or awaiting payment. -#}
        case
            when invoices.status in ('draft', 'void', 'uncollectible')
                then invoices.status
            when invoices.status = 'paid' then 'paid'
            when invoices.amount_paid > 0 then 'partially_paid'
            when coalesce(charges_counted.failed_charge_count, 0) > 0
                then 'payment_failed'
            else 'awaiting_payment'
        end as payment_status,
        {{ metadata_columns('invoices', 'invoices.metadata') }}
        coalesce(line_items_summed.line_item_count, 0) as line_item_count,
        coalesce(line_items_summed.proration_line_item_count, 0)
            as proration_line_item_count,
        line_items_summed.total_quantity,
        invoices.attempt_count,
        coalesce(charges_counted.charge_count, 0) as charge_count,
        coalesce(charges_counted.failed_charge_count, 0)
            as failed_charge_count,
        invoices.subtotal,
        coalesce(discounts_summed.discount_amount, 0) as discount_amount,
        {#- What the total holds beyond the discounted subtotal: taxes. -#}
        invoices.total - invoices.subtotal
        + coalesce(discounts_summed.discount_amount, 0) as tax_amount,
        invoices.total,
        invoices.amount_due,
        invoices.amount_paid,
        invoices.amount_remaining,
        invoices.status in ('open', 'paid', 'uncollectible') as is_billed,
        {{ utc_date('invoices.created_at') }} as created_date,
        invoices.created_at,
        invoices.period_start_at,
        invoices.period_end_at,
        invoices.due_at,
        invoices.finalized_at,
        invoices.paid_at,
        invoices.voided_at,
        invoices.loaded_at
    from invoices
    left join discounts_summed
        on invoices.invoice_id = discounts_summed.invoice_id
    left join line_items_summed
        on invoices.invoice_id = line_items_summed.invoice_id
    left join charges_counted
        on invoices.invoice_id = charges_counted.invoice_id
    where not invoices.is_missing_from_source

),

final as (

    select
        invoices_joined.*,
        {%- for column in [
            'subtotal', 'discount_amount', 'tax_amount', 'total', 'amount_due',
            'amount_paid', 'amount_remaining',
        ] %}
        {{ at_reporting_rate('invoices_joined.' ~ column) }}
            as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency
    from invoices_joined
    {{ reporting_rate_join(
        'invoices_joined.currency', 'invoices_joined.created_date'
    ) }}

)

select * from final
