with

products as (

    select * from {{ ref('products') }}

),

final as (

    select
        product_id,
        product_name,
        product_type,
        unit_label,
        is_active,
        is_deleted,
        is_missing_from_source,
        false as is_unknown_member,
        created_at
    from products

    union all

    select
        'unknown' as product_id,
        'Unknown product' as product_name,
        null as product_type,
        null as unit_label,
        null as is_active,
        false as is_deleted,
        false as is_missing_from_source,
        true as is_unknown_member,
        null as created_at

)

select * from final
