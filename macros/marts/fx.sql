{#-
    An amount in the reporting currency (var `reporting_currency`): the
    amount times the illustrative rate of its currency on that UTC date
    (seed `fx_rates`, carried forward by `int_fx_rates_daily`). Null when
    the seed has no rate for the currency, which the `has_reporting_amount`
    test reports. Pass qualified column names (the lookup is a subquery
    whose own columns would shadow bare ones). Never sum amounts of
    different currencies; convert first.
-#}
{% macro to_reporting_currency(amount, currency, on_date) -%}
    {%- set converted -%}
        ({{ amount }}) * (
            select fx_rates_daily.rate_to_reporting
            from {{ ref('int_fx_rates_daily') }} as fx_rates_daily
            where
                fx_rates_daily.currency = lower({{ currency }})
                and fx_rates_daily.rate_date = ({{ on_date }})
        )
    {%- endset -%}
    {{ decimal_round(converted, 6) }}
{%- endmacro %}
