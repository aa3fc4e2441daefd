{#- A table, not a view: every money mart looks a rate up per row. -#}
{{ config(
    materialized='table',
    indexes=[{'columns': ['currency', 'rate_date'], 'unique': true}],
) }}

with

dim_date as (

    select * from {{ ref('dim_date') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

currencies_rated as (

    select distinct lower(currency) as currency
    from fx_rates

),

days_crossed_with_currencies as (

    select
        currencies_rated.currency,
        dim_date.date_day as rate_date,
        fx_rates.usd_per_unit
    from dim_date
    cross join currencies_rated
    left join fx_rates
        on
            currencies_rated.currency = lower(fx_rates.currency)
            and dim_date.date_day = fx_rates.rate_date

),

days_grouped_by_last_rate as (

    {#- Each seeded day opens a group that runs until the next one. -#}
    select
        currency,
        rate_date,
        usd_per_unit,
        count(usd_per_unit) over (
            partition by currency order by rate_date
        ) as rate_group,
        first_value(usd_per_unit) over (
            partition by currency
            order by case when usd_per_unit is null then 1 else 0 end, rate_date
        ) as earliest_usd_per_unit
    from days_crossed_with_currencies

),

rates_carried_forward as (

    {#- The seed's rate of that day, else its latest earlier one, else its
        earliest one (days before the seed starts). -#}
    select
        currency,
        rate_date,
        coalesce(
            max(usd_per_unit) over (partition by currency, rate_group),
            earliest_usd_per_unit
        ) as usd_per_unit
    from days_grouped_by_last_rate

),

final as (

    select
        rates.currency,
        cast(rates.usd_per_unit as {{ sql_type('numeric') }}) as usd_per_unit,
        {{ decimal_quotient(
            'cast(rates.usd_per_unit as ' ~ sql_type('numeric') ~ ')',
            'cast(reporting.usd_per_unit as ' ~ sql_type('numeric') ~ ')',
            12,
        ) }} as rate_to_reporting,
        rates.rate_date
    from rates_carried_forward as rates
    inner join rates_carried_forward as reporting
        on
            rates.rate_date = reporting.rate_date
            and reporting.currency = lower('{{ var("reporting_currency") }}')

)

select * from final
