{{ config(
    unique_key='refund_id',
    indexes=[
        {'columns': ['charge_id']},
        {'columns': ['payment_intent_id']},
        {'columns': ['balance_transaction_id']},
    ],
) }}

with

refunds as (

    select * from {{ ref('stg_stripe__refunds') }}

),

final as (

    select
        refund_id,
        charge_id,
        payment_intent_id,
        balance_transaction_id,
        status,
        reason,
        description,
        currency,
        metadata,
        amount_cents,
        amount,
        is_deleted,
        is_livemode,
        created_at,
        loaded_at
    from refunds
    where {{ is_new_since_last_run() }}

)

select * from final
