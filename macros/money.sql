{#-
    Minor units (Stripe's integer amounts) to the currency's major unit, with
    the exponent the Stripe API uses for that currency (seed `currencies`):
    usd 1999 -> 19.99, jpy 1999 -> 1999, kwd 1990 -> 1.990, isk 500 -> 5.00.
    The one place the conversion is written. An unknown currency gives null,
    which the `has_major_unit` test reports.
-#}
{#- `exponent` is the currency's exponent, from the `currencies` seed joined
    once per row (`left join currencies on currency_code = lower(currency)`):
    a lookup per row, not per amount. Zero is zero in every currency, so a
    zero amount needs none (Stripe leaves a customer's currency null until
    its first invoice, with a balance of 0). `rounded=false` keeps every
    digit, for a minor-unit amount that is itself a decimal (a price's
    `unit_amount_decimal`) or a sum rounded later. -#}
{% macro to_major_unit(cents, exponent='currencies.exponent', rounded=true) -%}
    {{ return(adapter.dispatch('to_major_unit')(cents, exponent, rounded)) }}
{%- endmacro %}

{% macro default__to_major_unit(cents, exponent, rounded) -%}
    {%- if rounded -%}
    case
        when ({{ cents }}) = 0 then 0
        else round(
            ({{ cents }})::numeric / power(10::numeric, {{ exponent }}),
            {{ exponent }}
        )
    end
    {%- else -%}
    ({{ cents }})::numeric / power(10::numeric, {{ exponent }})
    {%- endif -%}
{%- endmacro %}

{#- An engine's exact conversion (`converted`) of a rounded amount, with
    zero kept zero without a currency, as in default__to_major_unit; an
    unrounded one as it is. -#}
{% macro zero_without_currency(cents, converted, rounded) -%}
    {%- if rounded -%}
    case when ({{ cents }}) = 0 then 0 else {{ converted }} end
    {%- else -%}
    {{ converted }}
    {%- endif -%}
{%- endmacro %}

{#- The column pair of one amount: `<name>_cents` as Stripe gives it, and
    `<name>` in the major unit. -#}
{% macro money_columns(column, path, name, exponent='currencies.exponent') -%}
    {{ money_columns_of(json_bigint(column, path), name, exponent) }}
{%- endmacro %}

{#- The same pair from a SQL expression in minor units: an amount with a
    stated fallback for an API shape that lacks the field
    (`coalesce(<field>, <fallback>)`). -#}
{% macro money_columns_of(cents, name, exponent='currencies.exponent') -%}
    {{ cents }} as {{ name }}_cents,
    {{ to_major_unit(cents, exponent) }} as {{ name }}
{%- endmacro %}

{#- The join that gives a staging model the `currencies.exponent` of the
    document's currency (seed `currencies`), for to_major_unit and
    money_columns. `document` is the JSON column of the raw row, `path` the
    field holding the ISO code. -#}
{% macro join_currency_exponent(document='source.data', path='currency') -%}
    {{ return(adapter.dispatch('join_currency_exponent')(document, path)) }}
{%- endmacro %}

{% macro default__join_currency_exponent(document, path) -%}
    left join {{ ref('currencies') }} as currencies
        on lower({{ json_text(document, path) }}) = currencies.currency_code
{%- endmacro %}
