{#- The tax amounts of a line item, one row per tax (a repeating group of
    the line): `taxes[]` since basil, `tax_amounts[]` before. -#}
{{ config(
    unique_key='invoice_line_item_id',
    incremental_strategy='delete+insert',
    post_hook=(
        "{{ delete_rows_of_replaced_parents("
        "'stg_stripe__invoice_line_items', 'invoice_line_item_id') }}"
    ),
    indexes=[{'columns': ['invoice_line_item_id']}],
) }}

with

line_items as (

    {#- Filtered here, where the filter reaches the raw table's scan, and
        only the columns read below: read twice, this CTE is computed once
        and kept, every row and column of the view otherwise. -#}
    select
        invoice_line_item_id,
        currency,
        taxes,
        legacy_tax_amounts,
        loaded_at
    from {{ ref('stg_stripe__invoice_line_items') }}
    where {{ is_new_since_last_run() }}

),

taxes_unpacked as (

    select
        line_items.invoice_line_item_id,
        {{ json_id('tax_elements.element', 'tax_rate_details.tax_rate') }}
            as tax_rate_id,
        {{ json_text('tax_elements.element', 'tax_behavior') }}
            as tax_behavior,
        {{ json_text('tax_elements.element', 'taxability_reason') }}
            as taxability_reason,
        line_items.currency,
        tax_elements.position as tax_position,
        {{ json_bigint('tax_elements.element', 'amount') }} as amount_cents,
        {{ json_bigint('tax_elements.element', 'taxable_amount') }}
            as taxable_amount_cents,
        cast(null as boolean) as is_inclusive,
        line_items.loaded_at
    from line_items
    cross join
        {{ json_array_elements('line_items.taxes', '') }}
            as tax_elements (element, position)

    union all

    select
        line_items.invoice_line_item_id,
        {{ json_id('tax_elements.element', 'tax_rate') }} as tax_rate_id,
        null as tax_behavior,
        null as taxability_reason,
        line_items.currency,
        tax_elements.position as tax_position,
        {{ json_bigint('tax_elements.element', 'amount') }} as amount_cents,
        null as taxable_amount_cents,
        {{ json_bool('tax_elements.element', 'inclusive') }} as is_inclusive,
        line_items.loaded_at
    from line_items
    cross join
        {{ json_array_elements('line_items.legacy_tax_amounts', '') }}
            as tax_elements (element, position)

),

currencies as (

    select * from {{ ref('currencies') }}

),

final as (

    select
        taxes_unpacked.invoice_line_item_id,
        taxes_unpacked.tax_rate_id,
        taxes_unpacked.tax_behavior,
        taxes_unpacked.taxability_reason,
        taxes_unpacked.currency,
        taxes_unpacked.tax_position,
        taxes_unpacked.amount_cents,
        {{ to_major_unit('taxes_unpacked.amount_cents') }} as amount,
        taxes_unpacked.taxable_amount_cents,
        taxes_unpacked.is_inclusive,
        taxes_unpacked.loaded_at
    from taxes_unpacked
    left join currencies
        on lower(taxes_unpacked.currency) = currencies.currency_code

)

select * from final
