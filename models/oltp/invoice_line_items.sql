{#- Every line of every invoice, all pages (not only the 10 an invoice
    embeds), with the subscription item and price it bills and the period
    it covers. -#}
{{ config(
    unique_key='invoice_line_item_id',
    indexes=[
        {'columns': ['invoice_id']},
        {'columns': ['subscription_id']},
        {'columns': ['subscription_item_id']},
        {'columns': ['price_id']},
    ],
) }}

with

line_items as (

    select * from {{ ref('stg_stripe__invoice_line_items') }}

),

final as (

    select
        invoice_line_item_id,
        invoice_id,
        subscription_id,
        subscription_item_id,
        invoice_item_id,
        price_id,
        line_type,
        description,
        currency,
        metadata,
        quantity,
        amount_cents,
        amount,
        unit_amount_decimal_cents,
        is_proration,
        is_discountable,
        is_deleted,
        is_livemode,
        period_start_at,
        period_end_at,
        loaded_at
    from line_items
    where {{ is_new_since_last_run() }}

)

select * from final
