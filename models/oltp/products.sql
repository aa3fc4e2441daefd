{{ config(unique_key='product_id') }}

with

products as (

    select * from {{ ref('stg_stripe__products') }}

),

missing_products as (

    {{ missing_parents(
        'product_id',
        known=[('stg_stripe__products', 'product_id')],
        references=[
            {'model': 'stg_stripe__prices', 'key': 'product_id'},
            {'model': 'stg_stripe__plans', 'key': 'product_id'},
            {'model': 'stg_stripe__subscription_items', 'key': 'product_id'},
            {'model': 'stg_stripe__invoice_line_items', 'key': 'product_id'},
            {'model': 'stg_stripe__invoiceitems', 'key': 'product_id'},
        ],
    ) }}

),

final as (

    select
        product_id,
        default_price_id,
        product_name,
        description,
        product_type,
        unit_label,
        metadata,
        is_active,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        updated_at,
        loaded_at
    from products
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['product_id', 'loaded_at'],
            {
                'is_active': 'false',
                'is_deleted': 'false',
                'is_missing_from_source': 'true',
            },
        ) }}
    from missing_products

)

select * from final
