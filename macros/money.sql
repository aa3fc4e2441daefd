{#-
    Minor units (Stripe's integer amounts) to the currency's major unit, with
    the exponent the Stripe API uses for that currency (seed `currencies`):
    usd 1999 -> 19.99, jpy 1999 -> 1999, kwd 1990 -> 1.990, isk 500 -> 5.00.
    The one place the conversion is written. An unknown currency gives null,
    which the `has_major_unit` test reports.
-#}
{% macro currency_exponent(currency) -%}
    (
        select currency_exponents.exponent
        from {{ ref('currencies') }} as currency_exponents
        where currency_exponents.currency_code = lower({{ currency }})
    )
{%- endmacro %}

{% macro to_major_unit(cents, currency) -%}
    round(
        ({{ cents }})::numeric / power(10::numeric, {{ currency_exponent(currency) }}),
        {{ currency_exponent(currency) }}
    )
{%- endmacro %}

{#- The column pair of one amount: `<name>_cents` as Stripe gives it, and
    `<name>` in the major unit. -#}
{% macro money_columns(column, path, name) -%}
    {{ json_bigint(column, path) }} as {{ name }}_cents,
    {{ to_major_unit(json_bigint(column, path), json_text(column, 'currency')) }}
        as {{ name }}
{%- endmacro %}
