{#- Plans are the older form of recurring prices (localstripe and accounts
    from before the Prices API); the OLTP layer folds them into prices. -#}
with

source as (

    {{ raw_documents(source('stripe', 'plans')) }}

),

final as (

    select
        source.id as plan_id,
        {{ json_id('data', 'product') }} as product_id,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'nickname') }} as nickname,
        {{ json_text('data', 'billing_scheme') }} as billing_scheme,
        {{ json_text('data', 'tiers_mode') }} as tiers_mode,
        {{ json_object('data', 'tiers') }} as tiers,
        {{ json_text('data', 'interval') }} as recurring_interval,
        {{ json_text('data', 'usage_type') }} as usage_type,
        {{ json_text('data', 'aggregate_usage') }} as aggregate_usage,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'interval_count') }} as recurring_interval_count,
        {{ json_bigint('data', 'trial_period_days') }} as trial_period_days,
        {{ money_columns('data', 'amount', 'amount') }},
        {{ json_numeric('data', 'amount_decimal') }} as amount_decimal_cents,
        {{ json_bool('data', 'active') }} as is_active,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
