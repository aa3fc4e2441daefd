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
        metadata,
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
        loaded_at
    from subscriptions
    where {{ is_new_since_last_run() }}

    union all

    select
        subscription_id,
        customer_id,
        null as default_payment_method_id,
        null as latest_invoice_id,
        null as status,
        null as collection_method,
        currency,
        null as cancellation_reason,
        null as metadata,
        null as is_cancel_at_period_end,
        false as is_deleted,
        true as is_missing_from_source,
        null as is_livemode,
        null as created_at,
        null as started_at,
        null as billing_cycle_anchor_at,
        null as current_period_start_at,
        null as current_period_end_at,
        null as trial_start_at,
        null as trial_end_at,
        null as cancel_at,
        null as canceled_at,
        null as ended_at,
        loaded_at
    from missing_subscriptions

)

select * from final
