with

source as (

    {{ raw_documents(source('stripe', 'payment_methods'), ['parent_id']) }}

),

final as (

    select
        source.id as payment_method_id,
        coalesce({{ json_id('data', 'customer') }}, source.parent_id)
            as customer_id,
        {{ json_text('data', 'type') }} as payment_method_type,
        {{ json_text('data', 'card.brand') }} as card_brand,
        {{ json_text('data', 'card.last4') }} as card_last4,
        {{ json_text('data', 'card.country') }} as card_country,
        {{ json_text('data', 'card.funding') }} as card_funding,
        {{ json_text('data', 'billing_details.email') }} as billing_email,
        {{ json_text('data', 'billing_details.name') }} as billing_name,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ json_bigint('data', 'card.exp_month') }} as card_exp_month,
        {{ json_bigint('data', 'card.exp_year') }} as card_exp_year,
        {{ stripe_record_columns() }}
    from source

)

select * from final
