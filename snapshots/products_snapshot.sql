{% snapshot products_snapshot %}
{{ config(
    unique_key='product_id',
    strategy='check',
    check_cols=[
        'default_price_id', 'product_name', 'description', 'product_type',
        'unit_label', 'metadata', 'is_active', 'updated_at', 'is_deleted'
    ],
) }}
{{ snapshot_rows(ref('stg_stripe__products')) }}
{% endsnapshot %}
