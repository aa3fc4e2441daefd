{#-
    DuckDB's versions of the dispatched macros (WAREHOUSE=duckdb). Raw
    `data` is DuckDB's JSON type; paths are JSONPath ('$."a"."b"').
    DuckDB divides decimals in double precision, so every quotient is
    rounded back to a fixed-scale decimal where PostgreSQL rounds it
    (decimal_round), and conversions to the major unit multiply by an exact
    decimal factor instead of dividing.
-#}

{% macro duckdb__sql_type(name) -%}
    {%- set types = {
        'numeric': 'decimal(38, 12)',
        'jsonb': 'json',
    } -%}
    {{ types.get(name | lower, name) }}
{%- endmacro %}

{#- A dotted path as DuckDB's JSONPath; '' is the whole document. -#}
{% macro duckdb_json_path(path) -%}
    {%- set keys = [] -%}
    {%- for key in (path.split(".") if path else []) -%}
        {%- do keys.append('"' ~ key ~ '"') -%}
    {%- endfor -%}
    '{{ (["$"] + keys) | join(".") }}'
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, {{ duckdb_json_path(path) }})
{%- endmacro %}

{% macro duckdb__json_object(column, path) -%}
    json_extract({{ column }}, {{ duckdb_json_path(path) }})
{%- endmacro %}

{% macro duckdb__json_numeric(column, path) -%}
    cast({{ json_text(column, path) }} as {{ sql_type('numeric') }})
{%- endmacro %}

{% macro duckdb__json_id(column, path) -%}
    (case
        when json_type({{ json_object(column, path) }}) = 'OBJECT'
            then json_extract_string({{ json_object(column, path) }}, '$.id')
        else {{ json_text(column, path) }}
    end)
{%- endmacro %}

{#- (element, position) from 1, like PostgreSQL's `with ordinality`. -#}
{% macro duckdb__json_array_elements(column, path) -%}
    lateral (
        select
            unnest(listed.elements),
            generate_subscripts(listed.elements, 1)
        from (
            select
                case
                    when json_type({{ json_object(column, path) }}) = 'ARRAY'
                        then cast({{ json_object(column, path) }} as json [])
                    else cast([] as json [])
                end as elements
        ) as listed
    )
{%- endmacro %}

{#- DuckDB reads each field of the JSON value directly: the raw table as
    it is, no detour. -#}
{% macro duckdb__raw_documents(relation, extra_columns) -%}
    select raw_rows.*
    from {{ relation }} as raw_rows
{%- endmacro %}

{% macro duckdb__epoch_to_timestamp(expression) -%}
    to_timestamp(cast({{ expression }} as double))
{%- endmacro %}

{% macro duckdb__load_id_to_timestamp(column) -%}
    to_timestamp(cast({{ column }} as double))
{%- endmacro %}

{#- cents x 10^-exponent as an exact decimal product, kept at a scale
    that leaves room for a rate to multiply it: six places when rounded
    (exponents go to 3), twelve for a decimal minor-unit amount. -#}
{% macro duckdb__days_between(start_at, end_at) -%}
    ((epoch_us({{ end_at }}) - epoch_us({{ start_at }})) / 86400000000.0)
{%- endmacro %}

{% macro duckdb__to_major_unit(cents, exponent, rounded) -%}
    {%- set converted -%}
    cast(
        cast({{ cents }} as decimal(38, 12))
        * cast(power(10, -({{ exponent }})) as decimal(38, 12))
        as decimal(38, {{ 6 if rounded else 12 }})
    )
    {%- endset -%}
    {{ zero_without_currency(cents, converted, rounded) }}
{%- endmacro %}

{% macro duckdb__decimal_round(amount, places) -%}
    cast(round({{ amount }}, {{ places }}) as decimal(38, {{ places }}))
{%- endmacro %}

{% macro duckdb__safe_ratio(numerator, denominator) -%}
    {{ decimal_round(
        'cast(' ~ numerator ~ ' as double) / nullif(cast(' ~ denominator
        ~ ' as double), 0)', 6) }}
{%- endmacro %}

{% macro duckdb__matches_pattern(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}', 'i')
{%- endmacro %}

{% macro duckdb__utc_date(timestamp) -%}
    cast(timezone('UTC', {{ timestamp }}) as date)
{%- endmacro %}

{% macro duckdb__utc_month(timestamp) -%}
    cast(date_trunc('month', timezone('UTC', {{ timestamp }})) as date)
{%- endmacro %}

{% macro duckdb__utc_midnight(date) -%}
    timezone('UTC', cast({{ date }} as timestamp))
{%- endmacro %}

{% macro duckdb__day_series(first_day, after_last_day) -%}
    lateral (
        select cast(unnest(generate_series(
            cast({{ first_day }} as date),
            cast({{ after_last_day }} as date) - 1,
            interval 1 day
        )) as date)
    )
{%- endmacro %}

{#- Statistics and indexes are PostgreSQL's: DuckDB keeps its own. -#}
{% macro duckdb__analyze_table() -%}
{%- endmacro %}

{% macro duckdb__unique_index(relation, column) -%}
{%- endmacro %}

{#- Roles, grants and the analyst's masked views are PostgreSQL's: a DuckDB
    file has no logins, and whoever opens it reads every table. -#}
{% macro duckdb__create_masked_views() -%}
{%- endmacro %}

{% macro duckdb__commit_hook_work() -%}
    {%- do adapter.commit() -%}
{%- endmacro %}
