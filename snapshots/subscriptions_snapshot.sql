{% snapshot subscriptions_snapshot %}
{{ config(
    unique_key='subscription_id',
    strategy='check',
    check_cols=[
        'customer_id', 'default_payment_method_id', 'latest_invoice_id',
        'status', 'collection_method', 'currency', 'cancellation_reason',
        'cancellation_feedback', 'cancellation_comment', 'metadata',
        'discounts', 'legacy_discount', 'quantity', 'is_cancel_at_period_end',
        'billing_cycle_anchor_at', 'current_period_start_at',
        'current_period_end_at', 'trial_start_at', 'trial_end_at',
        'cancel_at', 'canceled_at', 'ended_at', 'is_deleted'
    ],
) }}
{{ snapshot_rows(ref('stg_stripe__subscriptions')) }}
{% endsnapshot %}
