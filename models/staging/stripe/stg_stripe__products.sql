with

source as (

    {{ raw_documents(source('stripe', 'products')) }}

),

final as (

    select
        source.id as product_id,
        {{ json_id('data', 'default_price') }} as default_price_id,
        {{ json_text('data', 'name') }} as product_name,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'type') }} as product_type,
        {{ json_text('data', 'unit_label') }} as unit_label,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bool('data', 'active') }} as is_active,
        {{ json_timestamp('data', 'updated') }} as updated_at,
        {{ stripe_record_columns() }}
    from source

)

select * from final
