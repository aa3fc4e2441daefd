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
    source freshness use.
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
