{{ config(unique_key='payment_method_id',
          indexes=[{'columns': ['customer_id']}]) }}

with

payment_methods as (

    select * from {{ ref('stg_stripe__payment_methods') }}

),

missing_payment_methods as (

    {{ missing_parents(
        'payment_method_id',
        known=[('stg_stripe__payment_methods', 'payment_method_id')],
        references=[
            {'model': 'stg_stripe__charges', 'key': 'payment_method_id',
             'columns': {'customer_id': 'customer_id'}},
            {'model': 'stg_stripe__payment_intents', 'key': 'payment_method_id',
             'columns': {'customer_id': 'customer_id'}},
            {'model': 'stg_stripe__subscriptions',
             'key': 'default_payment_method_id',
             'columns': {'customer_id': 'customer_id'}},
        ],
        columns=['customer_id'],
    ) }}

),

final as (

    select
        payment_method_id,
        customer_id,
        payment_method_type,
        card_brand,
        card_last4,
        card_country,
        card_funding,
        billing_email,
        billing_name,
        metadata,
        card_exp_month,
        card_exp_year,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        loaded_at
    from payment_methods
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['payment_method_id', 'customer_id', 'loaded_at'],
            {'is_deleted': 'false', 'is_missing_from_source': 'true'},
        ) }}
    from missing_payment_methods

)

select * from final
