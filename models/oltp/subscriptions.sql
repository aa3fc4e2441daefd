{{ config(
    unique_key='subscription_id',
    indexes=[
        {'columns': ['customer_id']},
        {'columns': ['default_payment_method_id']},
    ],
) }}

with

subscriptions as (

    select * from {{ ref('stg_stripe__subscriptions') }}

),

missing_subscriptions as (

    {{ missing_parents(
        'subscription_id',
        known=[('stg_stripe__subscriptions', 'subscription_id')],
        references=[
            {'model': 'stg_stripe__invoices', 'key': 'subscription_id',
             'columns': {'customer_id': 'customer_id',
                         'currency': 'currency'}},
            {'model': 'stg_stripe__invoiceitems', 'key': 'subscription_id',
             'columns': {'customer_id': 'customer_id',
                         'currency': 'currency'}},
            {'model': 'stg_stripe__invoice_line_items',
             'key': 'subscription_id',
             'columns': {'currency': 'currency'}},
            {'model': 'stg_stripe__subscription_items',
             'key': 'subscription_id',
             'columns': {'currency': 'currency'}},
        ],
        columns=['customer_id', 'currency'],
    ) }}

),

final as (

    select
        subscription_id,
        customer_id,
        default_payment_method_id,
        latest_invoice_id,
        status,
        collection_method,
        currency,
        cancellation_reason,
        cancellation_feedback,
        cancellation_comment,
        metadata,
        pause_collection_behavior,
        is_cancel_at_period_end,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        started_at,
        billing_cycle_anchor_at,
        current_period_start_at,
        current_period_end_at,
        trial_start_at,
        trial_end_at,
        cancel_at,
        canceled_at,
        ended_at,
        pause_resumes_at,
        loaded_at
    from subscriptions
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['subscription_id', 'customer_id', 'currency', 'loaded_at'],
            {'is_deleted': 'false', 'is_missing_from_source': 'true'},
        ) }}
    from missing_subscriptions

)

select * from final
