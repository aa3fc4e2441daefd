{{ config(unique_key='customer_id') }}

with

customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

missing_customers as (

    {{ missing_parents(
        'customer_id',
        known=[('stg_stripe__customers', 'customer_id')],
        references=[
            {'model': 'stg_stripe__subscriptions', 'key': 'customer_id'},
            {'model': 'stg_stripe__invoices', 'key': 'customer_id'},
            {'model': 'stg_stripe__charges', 'key': 'customer_id'},
            {'model': 'stg_stripe__payment_intents', 'key': 'customer_id'},
            {'model': 'stg_stripe__payment_methods', 'key': 'customer_id'},
        ],
    ) }}

),

final as (

    select
        customer_id,
        default_payment_method_id,
        email,
        customer_name,
        description,
        phone,
        currency,
        country,
        metadata,
        balance_cents,
        balance,
        is_delinquent,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        loaded_at
    from customers
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['customer_id', 'loaded_at'],
            {'is_deleted': 'true', 'is_missing_from_source': 'true'},
        ) }}
    from missing_customers

)

select * from final
