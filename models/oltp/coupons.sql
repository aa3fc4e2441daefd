{{ config(unique_key='coupon_id') }}

with

coupons as (

    select * from {{ ref('stg_stripe__coupons') }}

),

missing_coupons as (

    {{ missing_parents(
        'coupon_id',
        known=[('stg_stripe__coupons', 'coupon_id')],
        references=[{'model': 'int_discounts_unpacked', 'key': 'coupon_id'}],
    ) }}

),

final as (

    select
        coupon_id,
        coupon_name,
        currency,
        duration,
        metadata,
        duration_in_months,
        max_redemptions,
        times_redeemed,
        percent_off,
        amount_off_cents,
        amount_off,
        is_valid,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        redeem_by_at,
        loaded_at
    from coupons
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['coupon_id', 'loaded_at'],
            {
                'is_valid': 'false',
                'is_deleted': 'true',
                'is_missing_from_source': 'true',
            },
        ) }}
    from missing_coupons

)

select * from final
