{#- Older shapes (the local Stripe) have no amount_remaining: what is due
    less what was paid, as Stripe defines it. -#}
{%- set amount_remaining_cents -%}
    coalesce(
        {{ json_bigint('data', 'amount_remaining') }},
        {{ json_bigint('data', 'amount_due') }}
        - {{ json_bigint('data', 'amount_paid') }}
    )
{%- endset -%}

with

source as (

    {{ raw_documents(source('stripe', 'invoices')) }}

),

final as (

    select
        source.id as invoice_id,
        {{ json_id('data', 'customer') }} as customer_id,
        coalesce(
            {{ json_id('data', 'parent.subscription_details.subscription') }},
            {{ json_id('data', 'subscription') }}
        ) as subscription_id,
        -- Gone since basil: the payments list (invoice_payments) says it.
        {{ json_id('data', 'charge') }} as charge_id,
        {{ json_id('data', 'payment_intent') }} as payment_intent_id,
        {{ json_text('data', 'number') }} as invoice_number,
        {{ json_text('data', 'status') }} as status,
        {{ json_text('data', 'billing_reason') }} as billing_reason,
        {{ json_text('data', 'collection_method') }} as collection_method,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'customer_email') }} as customer_email,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_object('data', 'discounts') }} as discounts,
        {{ json_object('data', 'discount') }} as legacy_discount,
        {{ json_object('data', 'total_discount_amounts') }}
            as total_discount_amounts,
        {{ json_object('data', 'payments.data') }} as payments,
        {{ json_bigint('data', 'attempt_count') }} as attempt_count,
        {{ money_columns('data', 'subtotal', 'subtotal') }},
        {{ money_columns('data', 'total', 'total') }},
        {{ money_columns('data', 'amount_due', 'amount_due') }},
        {{ money_columns('data', 'amount_paid', 'amount_paid') }},
        {{ money_columns_of(amount_remaining_cents, 'amount_remaining') }},
        {{ json_bool('data', 'paid') }} as is_paid_legacy,
        {{ json_timestamp('data', 'period_start') }} as period_start_at,
        {{ json_timestamp('data', 'period_end') }} as period_end_at,
        {{ json_timestamp('data', 'due_date') }} as due_at,
        {{ json_timestamp('data', 'status_transitions.finalized_at') }}
            as finalized_at,
        {{ json_timestamp('data', 'status_transitions.paid_at') }} as paid_at,
        {{ json_timestamp('data', 'status_transitions.voided_at') }}
            as voided_at,
        {{ json_timestamp(
            'data', 'status_transitions.marked_uncollectible_at'
        ) }} as marked_uncollectible_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
