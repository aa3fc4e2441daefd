{#-
    A column type named as the models' contracts name it (PostgreSQL's
    words: text, numeric, jsonb, timestamptz, bigint, boolean), in the
    engine's own word. PostgreSQL's `numeric` has no fixed scale; DuckDB's
    bare `numeric` is decimal(18, 3), which would round rates and decimal
    amounts, so it gets a wide decimal instead.
-#}
{% macro sql_type(name) -%}
    {{ return(adapter.dispatch('sql_type')(name)) }}
{%- endmacro %}

{% macro default__sql_type(name) -%}
    {{ name }}
{%- endmacro %}
