{% snapshot customers_snapshot %}
{{ config(
    unique_key='customer_id',
    strategy='check',
    check_cols=[
        'default_payment_method_id', 'email', 'customer_name', 'description',
        'phone', 'currency', 'country', 'metadata', 'balance_cents',
        'is_delinquent', 'is_deleted'
    ],
) }}
{{ snapshot_rows(ref('stg_stripe__customers')) }}
{% endsnapshot %}
