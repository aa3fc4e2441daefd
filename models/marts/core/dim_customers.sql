with

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        customer_id,
        email,
        customer_name,
        lower(currency) as currency,
        upper(country) as country,
        {{ metadata_columns('customers', 'metadata') }}
        is_delinquent,
        is_deleted,
        is_missing_from_source,
        false as is_unknown_member,
        created_at
    from customers

    union all

    select
        'unknown' as customer_id,
        null as email,
        'Unknown customer' as customer_name,
        null as currency,
        null as country,
        {{ metadata_columns('customers', none) }}
        null as is_delinquent,
        false as is_deleted,
        false as is_missing_from_source,
        true as is_unknown_member,
        null as created_at

)

select * from final
