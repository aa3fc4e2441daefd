{#-
    One document per customer: what a support tool or an application reads
    in one lookup.
-#}
{#- Incremental per customer (macros/marts/per_subscription.sql): a run
    writes again the profiles of the customers whose record,
    subscriptions or invoices were loaded since its last build, and of
    those whose items with their prices, status intervals, payment methods
    or lifetime figures changed (a fingerprint per customer: those are
    derived tables, and a detached payment method leaves its customer). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        [
            ('customers', ref('customers'), 'customer_id'),
            ('subscriptions', ref('subscriptions'), 'customer_id'),
            ('invoices', ref('invoices'), 'customer_id'),
        ],
        lookups=customer_profile_lookups(),
        key_column='customer_id',
    ) }}",
    post_hook=[
        "{{ unique_index(this, 'customer_id') }}",
        "{{ per_subscription_record() }}",
    ],
) }}

with

customers as (

    select * from {{ ref('customers') }}
    where {{ is_changed_subscription('customer_id') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}
    where {{ is_changed_subscription('customer_id') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}
    {%- if is_incremental() %}
    where subscription_id in (select subscriptions.subscription_id from subscriptions)
    {%- endif %}

),

prices as (

    select * from {{ ref('prices') }}

),

status_intervals as (

    select * from {{ ref('int_subscription_status_intervals') }}
    {%- if is_incremental() %}
    where subscription_id in (select subscriptions.subscription_id from subscriptions)
    {%- endif %}

),

invoices as (

    select * from {{ ref('invoices') }}
    where {{ is_changed_subscription('customer_id') }}

),

payment_methods as (

    select * from {{ ref('payment_methods') }}
    where {{ is_changed_subscription('customer_id') }}

),

lifetime as (

    select * from {{ ref('metrics_customer_lifetime') }}
    where {{ is_changed_subscription('customer_id') }}

),

items_by_subscription as (

    select
        subscription_items.subscription_id,
        {{ document_array(
            document_object(
                'subscription_item_id', 'subscription_items.subscription_item_id',
                'price_id', 'subscription_items.price_id',
                'quantity', 'subscription_items.quantity',
                'unit_amount', 'prices.unit_amount',
                'currency', 'prices.currency',
                'interval', 'prices.recurring_interval',
                'interval_count', 'prices.recurring_interval_count',
            ),
            'subscription_items.created_at, subscription_items.subscription_item_id'
        ) }} as items
    from subscription_items
    left join prices
        on subscription_items.price_id = prices.price_id
    where not subscription_items.is_deleted
    group by subscription_items.subscription_id

),

intervals_by_subscription as (

    select
        status_intervals.subscription_id,
        {{ document_array(
            document_object(
                'status', 'status_intervals.status',
                'valid_from_at', 'status_intervals.valid_from_at',
                'valid_until_at', 'status_intervals.valid_until_at',
            ),
            'status_intervals.valid_from_at'
        ) }} as status_intervals
    from status_intervals
    group by status_intervals.subscription_id

),

subscriptions_by_customer as (

    select
        subscriptions.customer_id,
        {{ document_array(
            document_object(
                'subscription_id', 'subscriptions.subscription_id',
                'status', 'subscriptions.status',
                'currency', 'subscriptions.currency',
                'cancellation_reason', 'subscriptions.cancellation_reason',
                'cancellation_feedback', 'subscriptions.cancellation_feedback',
                'created_at', 'subscriptions.created_at',
                'canceled_at', 'subscriptions.canceled_at',
                'ended_at', 'subscriptions.ended_at',
                'items', "coalesce(items_by_subscription.items, '[]')",
                'status_intervals',
                "coalesce(intervals_by_subscription.status_intervals, '[]')",
            ),
            'subscriptions.created_at, subscriptions.subscription_id'
        ) }} as subscriptions
    from subscriptions
    left join items_by_subscription
        on subscriptions.subscription_id = items_by_subscription.subscription_id
    left join intervals_by_subscription
        on
            subscriptions.subscription_id
            = intervals_by_subscription.subscription_id
    where subscriptions.customer_id is not null
    group by subscriptions.customer_id

),

invoices_by_customer as (

    select
        invoices.customer_id,
        {{ document_object(
            'invoice_count', 'count(*)',
            'paid_count', "count(*) filter (where invoices.status = 'paid')",
            'open_count', "count(*) filter (where invoices.status = 'open')",
            'uncollectible_count',
            "count(*) filter (where invoices.status = 'uncollectible')",
            'first_invoice_at', 'min(invoices.created_at)',
            'last_invoice_at', 'max(invoices.created_at)',
        ) }} as invoice_summary
    from invoices
    where invoices.customer_id is not null
    group by invoices.customer_id

),

payment_methods_by_customer as (

    select
        payment_methods.customer_id,
        {{ document_array(
            document_object(
                'payment_method_id', 'payment_methods.payment_method_id',
                'type', 'payment_methods.payment_method_type',
                'brand', 'payment_methods.card_brand',
                'last4', 'payment_methods.card_last4',
                'card_country', 'payment_methods.card_country',
            ),
            'payment_methods.created_at, payment_methods.payment_method_id'
        ) }} as payment_methods
    from payment_methods
    where
        payment_methods.customer_id is not null
        and not payment_methods.is_deleted
    group by payment_methods.customer_id

),

lifetime_by_customer as (

    select
        lifetime.customer_id,
        {{ document_array(
            document_object(
                'currency', 'lifetime.currency',
                'charge_count', 'lifetime.charge_count',
                'failed_charge_count', 'lifetime.failed_charge_count',
                'gross_captured_amount', 'lifetime.gross_captured_amount',
                'refunded_amount', 'lifetime.refunded_amount',
                'disputes_lost_amount', 'lifetime.disputes_lost_amount',
                'net_sales_amount', 'lifetime.net_sales_amount',
                'dispute_count', 'lifetime.dispute_count',
                'first_charge_at', 'lifetime.first_charge_at',
                'last_charge_at', 'lifetime.last_charge_at',
            ),
            'lifetime.currency'
        ) }} as lifetime,
        {{ document_array(
            document_object(
                'currency', 'lifetime.currency',
                'mrr_amount', 'lifetime.mrr_amount',
            ),
            'lifetime.currency'
        ) }} as current_mrr
    from lifetime
    group by lifetime.customer_id

),

final as (

    select
        customers.customer_id,
        {{ document_object(
            'schema_version', schema_version('customer_profiles'),
            'customer_id', 'customers.customer_id',
            'email', 'customers.email',
            'name', 'customers.customer_name',
            'country', 'customers.country',
            'currency', 'customers.currency',
            'is_deleted', 'customers.is_deleted',
            'is_delinquent', 'customers.is_delinquent',
            'created_at', 'customers.created_at',
            'subscriptions',
            "coalesce(subscriptions_by_customer.subscriptions, '[]')",
            'invoices', 'invoices_by_customer.invoice_summary',
            'payment_methods',
            "coalesce(payment_methods_by_customer.payment_methods, '[]')",
            'lifetime', "coalesce(lifetime_by_customer.lifetime, '[]')",
            'current_mrr', "coalesce(lifetime_by_customer.current_mrr, '[]')",
        ) }} as document,
        customers.is_deleted,
        customers.loaded_at
    from customers
    left join subscriptions_by_customer
        on customers.customer_id = subscriptions_by_customer.customer_id
    left join invoices_by_customer
        on customers.customer_id = invoices_by_customer.customer_id
    left join payment_methods_by_customer
        on customers.customer_id = payment_methods_by_customer.customer_id
    left join lifetime_by_customer
        on customers.customer_id = lifetime_by_customer.customer_id

)

select * from final
