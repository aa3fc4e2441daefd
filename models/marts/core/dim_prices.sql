with

prices as (

    select * from {{ ref('prices') }}

),

final as (

    select
        price_id,
        coalesce(product_id, 'unknown') as product_id,
        lower(currency) as currency,
        nickname,
        price_type,
        billing_scheme,
        recurring_interval,
        usage_type,
        recurring_interval_count,
        unit_amount,
        {{ mrr_round(monthly_normalized(
            'unit_amount', 'recurring_interval', 'recurring_interval_count'
        )) }} as monthly_unit_amount,
        is_active,
        is_deleted,
        is_missing_from_source,
        false as is_unknown_member,
        created_at
    from prices

    union all

    select
        'unknown' as price_id,
        'unknown' as product_id,
        null as currency,
        'Unknown price' as nickname,
        null as price_type,
        null as billing_scheme,
        null as recurring_interval,
        null as usage_type,
        null as recurring_interval_count,
        null as unit_amount,
        null as monthly_unit_amount,
        null as is_active,
        false as is_deleted,
        false as is_missing_from_source,
        true as is_unknown_member,
        null as created_at

)

select * from final
