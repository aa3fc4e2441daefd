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
    {{ at_reporting_rate(amount, reporting_rate_lookup(currency, on_date)) }}
{%- endmacro %}

{#- The rate of a currency on a date: a query of one row at most. -#}
{% macro reporting_rate_lookup(currency, on_date) -%}
    select fx_rates_daily.rate_to_reporting
    from {{ ref('int_fx_rates_daily') }} as fx_rates_daily
    where
        fx_rates_daily.currency = lower({{ currency }})
        and fx_rates_daily.rate_date = ({{ on_date }})
{%- endmacro %}

{#- The same conversion for a model that converts several amounts of each
    row: the rate of the row's currency and date joined once
    (`reporting_rate_join` after the row's `from`, as `reporting_rates`),
    then `at_reporting_rate` per amount. A scalar subquery per amount looks
    the rate up once per amount: seven index lookups per invoice in
    `fct_invoices`, more than half of its query at 30,000 customers.
    `int_fx_rates_daily` has one row per currency and date (its test), so
    the join neither adds nor drops a row. On PostgreSQL it is a lookup
    per row through that table's unique index (a lateral subquery that
    `offset 0` keeps from being flattened into a join): planned as a join
    on the estimate of ten changed rows of an incremental run
    (`is_changed_key`), it became a nested loop that read the rates of
    every currency for each row, 9.9 s instead of 4.0 s for
    `fct_invoice_line_items` when every line had changed. -#}
{% macro reporting_rate_join(currency, on_date) -%}
    {{ return(adapter.dispatch('reporting_rate_join')(currency, on_date)) }}
{%- endmacro %}

{% macro default__reporting_rate_join(currency, on_date) -%}
    left join {{ ref('int_fx_rates_daily') }} as reporting_rates
        on
            lower({{ currency }}) = reporting_rates.currency
            and ({{ on_date }}) = reporting_rates.rate_date
{%- endmacro %}

{% macro postgres__reporting_rate_join(currency, on_date) -%}
    left join lateral (
        {{ reporting_rate_lookup(currency, on_date) }}
        offset 0
    ) as reporting_rates on true
{%- endmacro %}

{% macro at_reporting_rate(amount, rate='reporting_rates.rate_to_reporting') -%}
    {%- set converted -%}
        ({{ amount }}) * ({{ rate }})
    {%- endset -%}
    {{ decimal_round(converted, 6) }}
{%- endmacro %}
