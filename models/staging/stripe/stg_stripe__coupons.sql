with

source as (

    {{ raw_documents(source('stripe', 'coupons')) }}

),

final as (

    select
        source.id as coupon_id,
        {{ json_text('data', 'name') }} as coupon_name,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'duration') }} as duration,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'duration_in_months') }} as duration_in_months,
        {{ json_bigint('data', 'max_redemptions') }} as max_redemptions,
        {{ json_bigint('data', 'times_redeemed') }} as times_redeemed,
        {{ json_numeric('data', 'percent_off') }} as percent_off,
        {{ money_columns('data', 'amount_off', 'amount_off') }},
        {{ json_bool('data', 'valid') }} as is_valid,
        {{ json_timestamp('data', 'redeem_by') }} as redeem_by_at,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
