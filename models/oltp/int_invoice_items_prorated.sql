{#- The prorations a subscription change leaves as invoice items, pending
    (`invoice` null) until the next invoice takes them, with the subscription
    item and price each was made for: MRR dates a change by them. A helper
    table (no contract, not an entity of the 3NF layer: invoice items have
    no OLTP table), incremental like the others. -#}
{{ config(
    unique_key='invoice_item_id',
    contract={'enforced': false},
    indexes=[
        {'columns': ['subscription_id']},
        {'columns': ['price_id']},
    ],
) }}

with

invoice_items as (

    select * from {{ ref('stg_stripe__invoiceitems') }}

),

final as (

    select
        invoice_item_id,
        customer_id,
        invoice_id,
        subscription_id,
        subscription_item_id,
        price_id,
        product_id,
        currency,
        description,
        metadata,
        quantity,
        amount_cents,
        amount,
        unit_amount_decimal_cents,
        is_proration,
        is_discountable,
        is_deleted,
        is_livemode,
        created_at,
        period_start_at,
        period_end_at,
        invoiced_at,
        loaded_at
    from invoice_items
    where
        is_proration
        and subscription_id is not null
        and {{ is_new_since_last_run() }}

)

select * from final
