{% snapshot prices_snapshot %}
{{ config(
    unique_key='price_id',
    strategy='check',
    check_cols=[
        'product_id', 'currency', 'nickname', 'lookup_key', 'price_type',
        'billing_scheme', 'tiers_mode', 'tax_behavior', 'recurring_interval',
        'usage_type', 'metadata', 'recurring_interval_count',
        'trial_period_days', 'unit_amount_cents', 'unit_amount_decimal_cents',
        'is_active', 'is_deleted', 'is_missing_from_source'
    ],
) }}
{{ snapshot_rows(ref('prices')) }}
{% endsnapshot %}
