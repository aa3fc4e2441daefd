with

source as (

    {{ raw_documents(source('stripe', 'prices')) }}

),

final as (

    select
        source.id as price_id,
        {{ json_id('data', 'product') }} as product_id,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'nickname') }} as nickname,
        {{ json_text('data', 'lookup_key') }} as lookup_key,
        {{ json_text('data', 'type') }} as price_type,
        {{ json_text('data', 'billing_scheme') }} as billing_scheme,
        {{ json_text('data', 'tiers_mode') }} as tiers_mode,
        -- Only where the price was read with `expand[]=data.tiers`.
        {{ json_object('data', 'tiers') }} as tiers,
        {{ json_text('data', 'tax_behavior') }} as tax_behavior,
        {{ json_text('data', 'recurring.interval') }} as recurring_interval,
        {{ json_text('data', 'recurring.usage_type') }} as usage_type,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'recurring.interval_count') }}
            as recurring_interval_count,
        {{ json_bigint('data', 'recurring.trial_period_days') }}
            as trial_period_days,
        {{ money_columns('data', 'unit_amount', 'unit_amount') }},
        {{ json_numeric('data', 'unit_amount_decimal') }}
            as unit_amount_decimal_cents,
        {{ json_bool('data', 'active') }} as is_active,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
