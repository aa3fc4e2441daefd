{#- One row per discount applied to a subscription or an invoice, from both
    API shapes: the `discounts` array (ids, or objects when expanded) and
    the older single `discount` object that carries its coupon.
    A helper table (no contract, not an entity), incremental: three models
    read it, and as a CTE it would unpack every invoice again for each. -#}
{{ config(
    unique_key=['owner_object', 'owner_id', 'list_field', 'position'],
    contract={'enforced': false},
    post_hook=[
        "{{ delete_rows_of_replaced_parents('stg_stripe__subscriptions',"
        " 'subscription_id', 'owner_id', \"owner_object = 'subscription'\") }}",
        "{{ delete_rows_of_replaced_parents('stg_stripe__invoices',"
        " 'invoice_id', 'owner_id', \"owner_object = 'invoice'\") }}",
    ],
    indexes=[
        {
            'columns': ['owner_object', 'owner_id', 'list_field', 'position'],
            'unique': True,
        },
    ],
) }}

with

subscriptions as (

    {#- The columns read below, only: each of these two CTEs is read twice,
        so it is computed once and kept, and a view's every column would
        be computed for it (docs/style.md). -#}
    select
        subscription_id,
        discounts,
        legacy_discount,
        loaded_at
    from {{ ref('stg_stripe__subscriptions') }}
    where {{ is_new_since_last_run() }}

),

invoices as (

    select
        invoice_id,
        discounts,
        legacy_discount,
        loaded_at
    from {{ ref('stg_stripe__invoices') }}
    where {{ is_new_since_last_run() }}

),

discount_documents as (

    select
        'subscription' as owner_object,
        subscriptions.subscription_id as owner_id,
        'discounts' as list_field,
        discount_elements.element as discount,
        discount_elements.position,
        subscriptions.loaded_at
    from subscriptions
    cross join
        {{ json_array_elements('subscriptions.discounts', '') }}
            as discount_elements (element, position)

    union all

    select
        'subscription' as owner_object,
        subscription_id as owner_id,
        'discount' as list_field,
        legacy_discount as discount,
        1 as position,
        loaded_at
    from subscriptions
    where {{ json_id('legacy_discount', 'coupon') }} is not null

    union all

    select
        'invoice' as owner_object,
        invoices.invoice_id as owner_id,
        'discounts' as list_field,
        discount_elements.element as discount,
        discount_elements.position,
        invoices.loaded_at
    from invoices
    cross join
        {{ json_array_elements('invoices.discounts', '') }}
            as discount_elements (element, position)

    union all

    select
        'invoice' as owner_object,
        invoice_id as owner_id,
        'discount' as list_field,
        legacy_discount as discount,
        1 as position,
        loaded_at
    from invoices
    where {{ json_id('legacy_discount', 'coupon') }} is not null

),

final as (

    select
        owner_object,
        owner_id,
        list_field,
        {{ json_id('discount', '') }} as discount_id,
        coalesce(
            {{ json_id('discount', 'source.coupon') }},
            {{ json_id('discount', 'coupon') }}
        ) as coupon_id,
        {{ json_id('discount', 'promotion_code') }} as promotion_code_id,
        {#- The coupon as the discount embeds it: its terms outlive the
            coupon's deletion in Stripe. -#}
        {%- for column, path, cast in [
            ('coupon_duration', 'duration', 'text'),
            ('coupon_percent_off', 'percent_off', 'numeric'),
            ('coupon_amount_off_cents', 'amount_off', 'bigint'),
            ('coupon_currency', 'currency', 'text'),
        ] %}
        {%- set reader = json_text if cast == 'text' else (
            json_numeric if cast == 'numeric' else json_bigint) %}
        coalesce(
            {{ reader('discount', 'source.coupon.' ~ path) }},
            {{ reader('discount', 'coupon.' ~ path) }}
        ) as {{ column }},
        {%- endfor %}
        position,
        {{ json_timestamp('discount', 'start') }} as start_at,
        {{ json_timestamp('discount', 'end') }} as end_at,
        loaded_at
    from discount_documents

)

select * from final
