{#- Grain: one row per month (of the charge), card brand, card country and
    decline code, for failed charges; the rate is over every charge of that
    month, brand and country. -#}
with

charges as (

    select * from {{ ref('int_charges_fraud_attributed') }}

),

attempts as (

    select
        month,
        card_brand,
        card_country,
        count(*) as charge_count
    from charges
    group by month, card_brand, card_country

),

declines as (

    select
        month,
        card_brand,
        card_country,
        coalesce(decline_code, 'unspecified') as decline_code,
        count(*) as declined_charge_count
    from charges
    where is_failed
    group by
        month,
        card_brand,
        card_country,
        coalesce(decline_code, 'unspecified')

),

final as (

    select
        declines.card_brand,
        declines.card_country,
        declines.decline_code,
        declines.declined_charge_count,
        attempts.charge_count,
        {{ safe_ratio(
            'declines.declined_charge_count', 'attempts.charge_count'
        ) }} as decline_rate,
        declines.month
    from declines
    inner join attempts
        on
            declines.month = attempts.month
            and declines.card_brand = attempts.card_brand
            and declines.card_country = attempts.card_country

)

select * from final
