with

currencies as (

    select * from {{ ref('currencies') }}

),

fx_rates_daily as (

    select * from {{ ref('int_fx_rates_daily') }}

),

latest_rates as (

    select
        currency,
        rate_to_reporting
    from fx_rates_daily
    where
        rate_date = (
            select max(all_rates.rate_date) from fx_rates_daily as all_rates
        )

),

final as (

    select
        currencies.currency_code,
        currencies.currency_name,
        currencies.exponent,
        latest_rates.rate_to_reporting as latest_rate_to_reporting,
        currencies.exponent = 0 as is_zero_decimal,
        latest_rates.currency is not null as has_fx_rate,
        lower('{{ var("reporting_currency") }}') = currencies.currency_code
            as is_reporting_currency
    from currencies
    left join latest_rates
        on currencies.currency_code = latest_rates.currency

)

select * from final
