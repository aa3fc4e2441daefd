{{ config(
    unique_key='dispute_id',
    indexes=[{'columns': ['charge_id']}, {'columns': ['payment_intent_id']}],
) }}

with

disputes as (

    select * from {{ ref('stg_stripe__disputes') }}

),

final as (

    select
        dispute_id,
        charge_id,
        payment_intent_id,
        status,
        reason,
        evidence_text,
        currency,
        metadata,
        amount_cents,
        amount,
        is_charge_refundable,
        is_deleted,
        is_livemode,
        created_at,
        loaded_at
    from disputes
    where {{ is_new_since_last_run() }}

)

select * from final
