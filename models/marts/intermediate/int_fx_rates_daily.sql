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
        dim_date.date_day as rate_date
    from dim_date
    cross join currencies_rated

),

rates_carried_forward as (

    {#- The seed's rate of that day, else its latest earlier one, else its
        earliest one (days before the seed starts). -#}
    select
        days_crossed_with_currencies.currency,
        days_crossed_with_currencies.rate_date,
        coalesce(
            (
                select fx_rates.usd_per_unit
                from fx_rates
                where
                    lower(fx_rates.currency)
                    = days_crossed_with_currencies.currency
                    and fx_rates.rate_date
                    <= days_crossed_with_currencies.rate_date
                order by fx_rates.rate_date desc
                limit 1
            ),
            (
                select fx_rates.usd_per_unit
                from fx_rates
                where
                    lower(fx_rates.currency)
                    = days_crossed_with_currencies.currency
                order by fx_rates.rate_date asc
                limit 1
            )
        ) as usd_per_unit
    from days_crossed_with_currencies

),

final as (

    select
        rates.currency,
        cast(rates.usd_per_unit as numeric) as usd_per_unit,
        cast(rates.usd_per_unit as numeric)
        / cast(reporting.usd_per_unit as numeric) as rate_to_reporting,
        rates.rate_date
    from rates_carried_forward as rates
    inner join rates_carried_forward as reporting
        on
            rates.rate_date = reporting.rate_date
            and reporting.currency = lower('{{ var("reporting_currency") }}')

)

select * from final
