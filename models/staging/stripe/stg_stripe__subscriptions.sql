with

source as (

    {{ raw_documents(source('stripe', 'subscriptions')) }}

),

final as (

    select
        source.id as subscription_id,
        {{ json_id('data', 'customer') }} as customer_id,
        {{ json_id('data', 'default_payment_method') }}
            as default_payment_method_id,
        {{ json_id('data', 'latest_invoice') }} as latest_invoice_id,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'collection_method') }} as collection_method,
        -- `currency` is absent from older shapes (and the local Stripe):
        -- every item of a subscription bills in the same currency.
        coalesce(
            {{ json_text('data', 'currency') }},
            {{ json_text('data', 'items.data.0.price.currency') }},
            {{ json_text('data', 'items.data.0.plan.currency') }},
            {{ json_text('data', 'plan.currency') }}
        ) as currency,
        {{ json_text('data', 'cancellation_details.reason') }}
            as cancellation_reason,
        {{ json_text('data', 'cancellation_details.feedback') }}
            as cancellation_feedback,
        {{ json_text('data', 'cancellation_details.comment') }}
            as cancellation_comment,
        {{ json_object('data', 'metadata') }} as metadata,
        -- discounts: `discounts` (ids or objects) since 2024, `discount`
        -- (one object with its coupon) before; subscription_discounts
        -- reads both.
        {{ json_object('data', 'discounts') }} as discounts,
        {{ json_object('data', 'discount') }} as legacy_discount,
        -- Set while payment collection is paused (the status stays).
        {{ json_text('data', 'pause_collection.behavior') }}
            as pause_collection_behavior,
        {{ json_bigint('data', 'quantity') }} as quantity,
        {{ json_bool('data', 'cancel_at_period_end') }}
            as is_cancel_at_period_end,
        {{ json_timestamp('data', 'start_date') }} as started_at,
        {{ json_timestamp('data', 'billing_cycle_anchor') }}
            as billing_cycle_anchor_at,
        -- Before 2025-03-31 the period is the subscription's; since, each
        -- item has its own (stg_stripe__subscription_items).
        {{ json_timestamp('data', 'current_period_start') }}
            as current_period_start_at,
        {{ json_timestamp('data', 'current_period_end') }}
            as current_period_end_at,
        {{ json_timestamp('data', 'trial_start') }} as trial_start_at,
        {{ json_timestamp('data', 'trial_end') }} as trial_end_at,
        {{ json_timestamp('data', 'cancel_at') }} as cancel_at,
        {{ json_timestamp('data', 'canceled_at') }} as canceled_at,
        {{ json_timestamp('data', 'ended_at') }} as ended_at,
        {{ json_timestamp('data', 'pause_collection.resumes_at') }}
            as pause_resumes_at,
        {{ stripe_record_columns() }}
    from source

)

select * from final
