{#-
    Monthly normalization of a recurring price (docs/metrics.md): month 1, year
    1/12, week 52/12, day 365/12, all divided by the interval count. Written
    as periods-per-year / (12 x count) so the factor stays an exact ratio
    until the amount is multiplied by it. Unknown intervals give null.
-#}
{% macro monthly_normalized(amount, interval, interval_count) -%}
    (
        ({{ amount }})
        * (case {{ interval }}
            when 'day' then 365
            when 'week' then 52
            when 'month' then 12
            when 'year' then 1
        end)::numeric
        / (12 * coalesce(nullif({{ interval_count }}, 0), 1))::numeric
    )
{%- endmacro %}

{#- MRR amounts are kept to six decimals of the major unit: exact enough for
    every currency (three-decimal ones included) and stable under sums.
    Trailing zeros are dropped (20, not 20.000000). -#}
{% macro mrr_round(amount) -%}
    {{ decimal_round(amount, 6) }}
{%- endmacro %}

{#- A decimal rounded to `places`, without trailing zeros. -#}
{% macro decimal_round(amount, places) -%}
    {{ return(adapter.dispatch('decimal_round')(amount, places)) }}
{%- endmacro %}

{% macro default__decimal_round(amount, places) -%}
    trim_scale(round(cast({{ amount }} as numeric), {{ places }}))
{%- endmacro %}

{#-
    The MRR of one licensed recurring item before discounts, in the major
    unit: unit price x quantity, monthly-normalized. Metered (usage) prices
    count zero. `unit_amount_cents` is Stripe's minor-unit (decimal) unit
    amount, `exponent` the currency's (seed `currencies`).
-#}
{% macro licensed_item_mrr(
    unit_amount_cents, quantity, usage_type, interval, interval_count, exponent
) -%}
    case
        when {{ usage_type }} = 'metered' then 0
        else {{ mrr_round(monthly_normalized(
            to_major_unit(
                '(' ~ unit_amount_cents ~ ') * coalesce(' ~ quantity ~ ', 0)',
                exponent,
                rounded=false,
            ),
            interval,
            interval_count,
        )) }}
    end
{%- endmacro %}

{#- A rate: numerator / denominator as a decimal fraction, null when the
    denominator is zero. -#}
{% macro safe_ratio(numerator, denominator) -%}
    round(
        cast({{ numerator }} as numeric)
        / nullif(cast({{ denominator }} as numeric), 0),
        6
    )
{%- endmacro %}
