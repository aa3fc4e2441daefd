{#- Stripe gives epoch seconds; the warehouse keeps UTC timestamptz. -#}
{% macro epoch_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp')(expression)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(expression) -%}
    to_timestamp(({{ expression }})::double precision)
{%- endmacro %}

{#-
    dlt's load id is the load's start in epoch seconds, as text
    ('1761004800.123456'): the load time every incremental model and the
    source freshness use. On PostgreSQL the extractor indexes each raw
    table on this very expression (extract/warehouse.py), so a filter on
    a staging view's `loaded_at` reads only the rows past it: change one
    and the other with it.
-#}
{% macro load_id_to_timestamp(column) -%}
    {{ return(adapter.dispatch('load_id_to_timestamp')(column)) }}
{%- endmacro %}

{% macro default__load_id_to_timestamp(column) -%}
    to_timestamp(({{ column }})::double precision)
{%- endmacro %}

{% macro json_timestamp(column, path) -%}
    {{ epoch_to_timestamp(json_bigint(column, path)) }}
{%- endmacro %}

{#- The days from one instant to another, with the fraction of a day. -#}
{% macro days_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('days_between')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__days_between(start_at, end_at) -%}
    (extract(epoch from ({{ end_at }}) - ({{ start_at }})) / 86400)
{%- endmacro %}

{#- The timestamp a scalar query selects, as a literal, read when the node
    is compiled, just before it runs; -infinity when it selects none. A
    literal, not the query as a subquery: PostgreSQL plans with the value,
    so a filter `loaded_at > literal` that leaves a few rows reads them
    through an index on `loaded_at`, where an unknown value is planned as a
    third of the table and every row is read. -#}
{% macro timestamp_literal_of(query) -%}
    {%- set value = none -%}
    {%- if execute -%}
        {%- set found = run_query(
            'select cast((' ~ query ~ ') as ' ~ dbt.type_string() ~ ')'
        ) -%}
        {%- set value = found.rows[0][0] -%}
    {%- endif -%}
    cast('{{ value or "-infinity" }}' as {{ sql_type('timestamptz') }})
{%- endmacro %}
