{#- Grain: one row per invoice, every status (draft and void included;
    filter on status for billed amounts). -#}
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

with

invoices as (

    select * from {{ ref('invoices') }}

),

invoice_discounts as (

    select * from {{ ref('invoice_discounts') }}

),

discounts_summed as (

    select
        invoice_id,
        sum(amount) as discount_amount
    from invoice_discounts
    group by invoice_id

),

invoices_joined_to_discounts as (

    select
        invoices.invoice_id,
        coalesce(invoices.customer_id, 'unknown') as customer_id,
        invoices.subscription_id,
        invoices.invoice_number,
        lower(invoices.currency) as currency,
        invoices.status,
        invoices.billing_reason,
        invoices.collection_method,
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
    where
        not invoices.is_missing_from_source
        and {{ is_new_since_last_run('invoices.loaded_at') }}

),

final as (

    select
        invoices_joined_to_discounts.*,
        {%- for column in [
            'subtotal', 'discount_amount', 'tax_amount', 'total', 'amount_paid',
        ] %}
        {{ to_reporting_currency(
            'invoices_joined_to_discounts.' ~ column,
            'invoices_joined_to_discounts.currency',
            'invoices_joined_to_discounts.created_date',
        ) }} as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency
    from invoices_joined_to_discounts

)

select * from final
