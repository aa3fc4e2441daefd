{#-
    UTC calendar helpers of the marts. Stripe's times are instants; the
    marts' days and months are UTC days and months whatever the session's
    time zone is.
-#}
{% macro utc_date(timestamp) -%}
    {{ return(adapter.dispatch('utc_date')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp) -%}
    (({{ timestamp }}) at time zone 'UTC')::date
{%- endmacro %}

{% macro utc_month(timestamp) -%}
    {{ return(adapter.dispatch('utc_month')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_month(timestamp) -%}
    (date_trunc('month', ({{ timestamp }}) at time zone 'UTC'))::date
{%- endmacro %}

{#- The instant a UTC date starts, as a timestamp with time zone. -#}
{% macro utc_midnight(date) -%}
    {{ return(adapter.dispatch('utc_midnight')(date)) }}
{%- endmacro %}

{% macro default__utc_midnight(date) -%}
    (({{ date }})::timestamp at time zone 'UTC')
{%- endmacro %}

{#-
    One row per day from first_day to the day before after_last_day, as a
    lateral relation with one date column, for `cross join ... as alias
    (date_day)`. The bounds are SQL expressions, so the calendar is computed
    by the query itself and compiling it needs no database.
-#}
{% macro day_series(first_day, after_last_day) -%}
    {{ return(adapter.dispatch('day_series')(first_day, after_last_day)) }}
{%- endmacro %}

{% macro default__day_series(first_day, after_last_day) -%}
    lateral generate_series(
        cast({{ first_day }} as timestamp),
        cast({{ after_last_day }} as timestamp) - interval '1 day',
        interval '1 day'
    )
{%- endmacro %}

{% macro date_part_number(part, date) -%}
    {{ return(adapter.dispatch('date_part_number')(part, date)) }}
{%- endmacro %}

{% macro default__date_part_number(part, date) -%}
    cast(extract({{ part }} from {{ date }}) as integer)
{%- endmacro %}
