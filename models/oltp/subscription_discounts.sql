{#- The discounts of a subscription, one row each (a repeating group of the
    subscription). A changed subscription replaces all its rows. -#}
{{ config(
    unique_key='subscription_id',
    incremental_strategy='delete+insert',
    post_hook=(
        "{{ delete_rows_of_replaced_parents("
        "'stg_stripe__subscriptions', 'subscription_id') }}"
    ),
    indexes=[{'columns': ['subscription_id']}, {'columns': ['coupon_id']}],
) }}

-- depends_on: {{ ref('stg_stripe__subscriptions') }}

with

discounts as (

    select * from {{ ref('int_discounts_unpacked') }}

),

final as (

    select
        owner_id as subscription_id,
        discount_id,
        coupon_id,
        promotion_code_id,
        coupon_duration,
        coupon_percent_off,
        coupon_amount_off_cents,
        coupon_currency,
        position as discount_position,
        start_at,
        end_at,
        loaded_at
    from discounts
    where
        owner_object = 'subscription'
        and {{ is_new_since_last_run() }}

)

select * from final
