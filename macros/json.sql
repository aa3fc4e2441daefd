{#-
    JSON access, one place per engine. Every model reads Stripe's documents
    through these macros, so a second engine is one `<adapter>__` macro away.
    `path` is a dotted path into the document: 'parent.subscription_details.x'.
-#}

{% macro json_path_literal(path) -%}
    '{{ "{" ~ path.split(".") | join(",") ~ "}" }}'
{%- endmacro %}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    ({{ column }} #>> {{ json_path_literal(path) }})
{%- endmacro %}

{% macro json_object(column, path) -%}
    {{ return(adapter.dispatch('json_object')(column, path)) }}
{%- endmacro %}

{% macro default__json_object(column, path) -%}
    ({{ column }} #> {{ json_path_literal(path) }})
{%- endmacro %}

{% macro json_bigint(column, path) -%}
    {{ return(adapter.dispatch('json_bigint')(column, path)) }}
{%- endmacro %}

{% macro default__json_bigint(column, path) -%}
    ({{ json_text(column, path) }})::bigint
{%- endmacro %}

{% macro json_numeric(column, path) -%}
    {{ return(adapter.dispatch('json_numeric')(column, path)) }}
{%- endmacro %}

{% macro default__json_numeric(column, path) -%}
    ({{ json_text(column, path) }})::numeric
{%- endmacro %}

{% macro json_bool(column, path) -%}
    {{ return(adapter.dispatch('json_bool')(column, path)) }}
{%- endmacro %}

{% macro default__json_bool(column, path) -%}
    ({{ json_text(column, path) }})::boolean
{%- endmacro %}

{#- An expandable field holds an id or the expanded object: read both. -#}
{% macro json_id(column, path) -%}
    {{ return(adapter.dispatch('json_id')(column, path)) }}
{%- endmacro %}

{% macro default__json_id(column, path) -%}
    (case
        when jsonb_typeof({{ json_object(column, path) }}) = 'object'
            then {{ json_object(column, path) }} ->> 'id'
        else {{ json_text(column, path) }}
    end)
{%- endmacro %}

{#-
    The elements of an array as a lateral set-returning relation with two
    columns, (element, position), for `cross join ... as alias (element,
    position)`. A missing or null array yields no rows.
-#}
{% macro json_array_elements(column, path) -%}
    {{ return(adapter.dispatch('json_array_elements')(column, path)) }}
{%- endmacro %}

{% macro default__json_array_elements(column, path) -%}
    lateral jsonb_array_elements(
        case
            when jsonb_typeof({{ json_object(column, path) }}) = 'array'
                then {{ json_object(column, path) }}
            else '[]'::jsonb
        end
    ) with ordinality
{%- endmacro %}
