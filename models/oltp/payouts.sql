{{ config(
    unique_key='payout_id',
    indexes=[{'columns': ['balance_transaction_id']}],
) }}

with

payouts as (

    select * from {{ ref('stg_stripe__payouts') }}

),

final as (

    select
        payout_id,
        balance_transaction_id,
        destination_id,
        status,
        payout_type,
        payout_method,
        currency,
        description,
        failure_code,
        metadata,
        amount_cents,
        amount,
        is_automatic,
        is_deleted,
        is_livemode,
        created_at,
        arrival_at,
        loaded_at
    from payouts
    where {{ is_new_since_last_run() }}

)

select * from final
