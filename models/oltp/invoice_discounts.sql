{#- The discounts an invoice applied, one row each, with the amount each
    took off (`total_discount_amounts`) and its coupon where an expanded
    discount names it. A changed invoice replaces all its rows. -#}
{{ config(
    unique_key='invoice_id',
    incremental_strategy='delete+insert',
    post_hook=(
        "{{ delete_rows_of_replaced_parents("
        "'stg_stripe__invoices', 'invoice_id') }}"
    ),
    indexes=[{'columns': ['invoice_id']}, {'columns': ['coupon_id']}],
) }}

with

invoices as (

    {#- Only the changed invoices and the columns read below: the
        discounts' rows below carry their invoice's `loaded_at`, and
        filtered here the filter reaches the raw table's scan (read twice,
        this CTE is computed once and kept, every row and column of the
        view otherwise). -#}
    select
        invoice_id,
        currency,
        total_discount_amounts,
        loaded_at
    from {{ ref('stg_stripe__invoices') }}
    where {{ is_new_since_last_run() }}

),

discounts as (

    select * from {{ ref('int_discounts_unpacked') }}

),

discount_amounts as (

    select
        invoices.invoice_id,
        {{ json_id('amount_elements.element', 'discount') }} as discount_id,
        invoices.currency,
        {{ json_bigint('amount_elements.element', 'amount') }}
            as amount_cents,
        invoices.loaded_at
    from invoices
    cross join
        {{ json_array_elements('invoices.total_discount_amounts', '') }}
            as amount_elements (element, position)

),

invoice_discount_ids as (

    select
        owner_id as invoice_id,
        coalesce(discount_id, coupon_id) as discount_id,
        loaded_at
    from discounts
    where
        owner_object = 'invoice'
        and {{ is_new_since_last_run() }}

    union

    select
        invoice_id,
        discount_id,
        loaded_at
    from discount_amounts

),

coupons_of_discounts as (

    select
        discount_id,
        max(coupon_id) as coupon_id,
        max(coupon_duration) as coupon_duration,
        max(coupon_percent_off) as coupon_percent_off,
        max(coupon_amount_off_cents) as coupon_amount_off_cents,
        max(coupon_currency) as coupon_currency
    from discounts
    where discount_id is not null
    group by discount_id

),

currencies as (

    select * from {{ ref('currencies') }}

),

final as (

    select
        invoice_discount_ids.invoice_id,
        invoice_discount_ids.discount_id,
        coupons_of_discounts.coupon_id,
        coupons_of_discounts.coupon_duration,
        coupons_of_discounts.coupon_percent_off,
        coupons_of_discounts.coupon_amount_off_cents,
        coupons_of_discounts.coupon_currency,
        invoices.currency,
        coalesce(discount_amounts.amount_cents, 0) as amount_cents,
        {{ to_major_unit('coalesce(discount_amounts.amount_cents, 0)') }}
            as amount,
        invoice_discount_ids.loaded_at
    from invoice_discount_ids
    inner join invoices
        on invoice_discount_ids.invoice_id = invoices.invoice_id
    left join discount_amounts
        on
            invoice_discount_ids.invoice_id = discount_amounts.invoice_id
            and invoice_discount_ids.discount_id = discount_amounts.discount_id
    left join coupons_of_discounts
        on invoice_discount_ids.discount_id = coupons_of_discounts.discount_id
    left join currencies
        on lower(invoices.currency) = currencies.currency_code

)

select * from final
