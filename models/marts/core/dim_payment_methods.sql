{#- Card brand, funding and country only: no fingerprint, number digits or
    billing details, which the marts' readers have no need for. -#}
with

payment_methods as (

    select * from {{ ref('payment_methods') }}

),

final as (

    select
        payment_method_id,
        coalesce(customer_id, 'unknown') as customer_id,
        payment_method_type,
        card_brand,
        card_funding,
        upper(card_country) as card_country,
        is_deleted,
        is_missing_from_source,
        false as is_unknown_member,
        created_at
    from payment_methods

    union all

    select
        'unknown' as payment_method_id,
        'unknown' as customer_id,
        null as payment_method_type,
        null as card_brand,
        null as card_funding,
        null as card_country,
        false as is_deleted,
        false as is_missing_from_source,
        true as is_unknown_member,
        null as created_at

)

select * from final
