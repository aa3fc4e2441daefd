{% snapshot subscription_items_snapshot %}
{{ config(
    unique_key='subscription_item_id',
    strategy='check',
    check_cols=[
        'subscription_id', 'price_id', 'product_id', 'currency', 'metadata',
        'quantity', 'current_period_start_at', 'current_period_end_at',
        'is_deleted'
    ],
) }}
{{ snapshot_rows(ref('stg_stripe__subscription_items')) }}
{% endsnapshot %}
