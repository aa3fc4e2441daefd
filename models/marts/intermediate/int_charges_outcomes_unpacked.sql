{#-
    The fraud-relevant fields of each charge that the staging model does not
    carry: Radar's outcome (risk level and score, network status, decline
    reason), the card of the payment as charged (brand, country, funding),
    and Stripe's or the customer's fraud report. Read from the raw object,
    the one place outside staging that does: move these columns into
    stg_stripe__charges and point this model at it when staging grows them.
-#}
with

source as (

    select * from {{ source('stripe', 'charges') }}

),

final as (

    select
        id as charge_id,
        {{ json_text('data', 'outcome.type') }} as outcome_type,
        {{ json_text('data', 'outcome.network_status') }}
            as outcome_network_status,
        coalesce(
            {{ json_text('data', 'outcome.reason') }},
            {{ json_text('data', 'failure_code') }}
        ) as decline_code,
        {{ json_text('data', 'outcome.risk_level') }} as risk_level,
        {{ json_text('data', 'payment_method_details.type') }}
            as payment_method_type,
        {{ json_text('data', 'payment_method_details.card.brand') }}
            as card_brand,
        upper({{ json_text('data', 'payment_method_details.card.country') }})
            as card_country,
        {{ json_text('data', 'payment_method_details.card.funding') }}
            as card_funding,
        {{ json_text('data', 'fraud_details.stripe_report') }}
            as stripe_fraud_report,
        {{ json_text('data', 'fraud_details.user_report') }}
            as user_fraud_report,
        {{ json_bigint('data', 'outcome.risk_score') }} as risk_score
    from source

)

select * from final
