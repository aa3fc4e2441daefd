{#- Prices and plans in one table: a plan is the older form of a recurring
    price, and Stripe lists every plan as a price with the same id, so a
    plan only adds a row when the prices list lacks it (localstripe). -#}
{{ config(unique_key='price_id', indexes=[{'columns': ['product_id']}]) }}

with

prices as (

    select * from {{ ref('stg_stripe__prices') }}

),

plans as (

    select * from {{ ref('stg_stripe__plans') }}

),

plans_not_listed_as_prices as (

    select plans.*
    from plans
    left join prices
        on plans.plan_id = prices.price_id
    where prices.price_id is null

),

missing_prices as (

    {{ missing_parents(
        'price_id',
        known=[
            ('stg_stripe__prices', 'price_id'),
            ('stg_stripe__plans', 'plan_id'),
        ],
        references=[
            {'model': 'stg_stripe__subscription_items', 'key': 'price_id',
             'columns': {'product_id': 'product_id', 'currency': 'currency'}},
            {'model': 'stg_stripe__invoice_line_items', 'key': 'price_id',
             'columns': {'product_id': 'product_id', 'currency': 'currency'}},
            {'model': 'stg_stripe__invoiceitems', 'key': 'price_id',
             'columns': {'product_id': 'product_id', 'currency': 'currency'}},
        ],
        columns=['product_id', 'currency'],
    ) }}

),

final as (

    select
        price_id,
        product_id,
        'price' as source_object,
        currency,
        nickname,
        lookup_key,
        price_type,
        billing_scheme,
        tiers_mode,
        tiers,
        tax_behavior,
        recurring_interval,
        usage_type,
        metadata,
        recurring_interval_count,
        trial_period_days,
        unit_amount_cents,
        unit_amount,
        coalesce(unit_amount_decimal_cents, unit_amount_cents)
            as unit_amount_decimal_cents,
        is_active,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        loaded_at
    from prices
    where {{ is_new_since_last_run() }}

    union all

    select
        plan_id as price_id,
        product_id,
        'plan' as source_object,
        currency,
        nickname,
        null as lookup_key,
        'recurring' as price_type,
        billing_scheme,
        tiers_mode,
        tiers,
        null as tax_behavior,
        recurring_interval,
        usage_type,
        metadata,
        recurring_interval_count,
        trial_period_days,
        amount_cents as unit_amount_cents,
        amount as unit_amount,
        coalesce(amount_decimal_cents, amount_cents)
            as unit_amount_decimal_cents,
        is_active,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        loaded_at
    from plans_not_listed_as_prices
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['price_id', 'product_id', 'currency', 'loaded_at'],
            {
                'source_object': "'missing'",
                'is_active': 'false',
                'is_deleted': 'false',
                'is_missing_from_source': 'true',
            },
        ) }}
    from missing_prices

)

select * from final
