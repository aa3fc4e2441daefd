{{ config(
    unique_key='invoice_id',
    indexes=[{'columns': ['customer_id']}, {'columns': ['subscription_id']}],
) }}

with

invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

missing_invoices as (

    {{ missing_parents(
        'invoice_id',
        known=[('stg_stripe__invoices', 'invoice_id')],
        references=[
            {'model': 'stg_stripe__invoice_line_items', 'key': 'invoice_id',
             'columns': {'subscription_id': 'subscription_id',
                         'currency': 'currency'}},
            {'model': 'stg_stripe__charges', 'key': 'invoice_id',
             'columns': {'customer_id': 'customer_id',
                         'currency': 'currency'}},
            {'model': 'stg_stripe__payment_intents', 'key': 'invoice_id',
             'columns': {'customer_id': 'customer_id',
                         'currency': 'currency'}},
        ],
        columns=['customer_id', 'subscription_id', 'currency'],
    ) }}

),

final as (

    select
        invoice_id,
        customer_id,
        subscription_id,
        invoice_number,
        status,
        billing_reason,
        collection_method,
        currency,
        customer_email,
        metadata,
        attempt_count,
        subtotal_cents,
        subtotal,
        total_cents,
        total,
        amount_due_cents,
        amount_due,
        amount_paid_cents,
        amount_paid,
        amount_remaining_cents,
        amount_remaining,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        period_start_at,
        period_end_at,
        due_at,
        finalized_at,
        paid_at,
        voided_at,
        marked_uncollectible_at,
        loaded_at
    from invoices
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            [
                'invoice_id',
                'customer_id',
                'subscription_id',
                'currency',
                'loaded_at',
            ],
            {'is_deleted': 'true', 'is_missing_from_source': 'true'},
        ) }}
    from missing_invoices

)

select * from final
