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
    The calendar's bounds, read from the data when the model runs: the first
    of January of the year of the earliest instant the warehouse holds, and
    the first of January after the year of the latest one (exclusive), so
    dim_date covers every fact's dates and every MRR month in whole years.
    An empty warehouse gets the current year.
-#}
{% macro calendar_bounds() -%}
    {%- set instants = [
        ('charges', 'created_at'),
        ('refunds', 'created_at'),
        ('disputes', 'created_at'),
        ('invoices', 'created_at'),
        ('subscriptions', 'created_at'),
        ('subscriptions', 'loaded_at'),
        ('balance_transactions', 'created_at'),
        ('balance_transactions', 'available_at'),
        ('payouts', 'arrival_at'),
    ] -%}
    {%- set bounds_query -%}
        select
            cast(date_trunc('year', min(instant_at) at time zone 'UTC')
                as date) as first_day,
            cast(date_trunc('year', max(instant_at) at time zone 'UTC')
                + interval '1 year' as date) as after_last_day
        from (
            {%- for model, column in instants %}
            select {{ column }} as instant_at from {{ ref(model) }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as instants
    {%- endset -%}
    {%- set fallback = (
        modules.datetime.date(modules.datetime.date.today().year, 1, 1),
        modules.datetime.date(modules.datetime.date.today().year + 1, 1, 1),
    ) -%}
    {%- if not execute -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- set row = run_query(bounds_query).rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(fallback) }}
    {%- endif -%}
    {{ return((row[0], row[1])) }}
{%- endmacro %}

{% macro date_part_number(part, date) -%}
    {{ return(adapter.dispatch('date_part_number')(part, date)) }}
{%- endmacro %}

{% macro default__date_part_number(part, date) -%}
    cast(extract({{ part }} from {{ date }}) as integer)
{%- endmacro %}
