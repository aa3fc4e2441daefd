{#- The analyst's read path: one view per table or view of the schemas in
    var('analyst_schemas'), in schema var('masked_schema'), with every column
    the model's YAML tags `meta: {pii: true}` masked. Generated from the
    project graph on every run, so a column tagged pii is masked the run it
    appears; granted to stripe_analyst when that role exists (make roles). -#}
{% macro create_masked_views() -%}
    {{ return(adapter.dispatch('create_masked_views')()) }}
{%- endmacro %}

{% macro default__create_masked_views() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'run-operation') -%}
        {%- set schema = var('masked_schema') -%}
        {%- do run_query(
            'create schema if not exists ' ~ adapter.quote(schema)
        ) -%}
        {%- set analyst = run_query(
            "select 1 from pg_roles where rolname = 'stripe_analyst'"
        ) -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.schema in var('analyst_schemas') -%}
            {%- set source_relation = adapter.get_relation(
                node.database, node.schema, node.alias
            ) -%}
            {%- if source_relation is not none -%}
                {%- do run_query(masked_view_sql(
                    node, source_relation, schema, analyst | length > 0
                )) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro pii_columns(node) -%}
    {%- set tagged = [] -%}
    {%- for name, column in node.columns.items() -%}
        {%- set meta = column.meta or {} -%}
        {%- set config_meta = (column.config or {}).get('meta') or {} -%}
        {%- if meta.get('pii') or config_meta.get('pii') -%}
            {%- do tagged.append(name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(tagged) }}
{%- endmacro %}

{% macro masked_view_sql(node, source_relation, schema, grant) -%}
    {%- set tagged = pii_columns(node) -%}
    {%- set view = adapter.quote(schema) ~ '.' ~ adapter.quote(node.alias) -%}
    {%- set selected = [] -%}
    {%- for column in adapter.get_columns_in_relation(source_relation) -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- if column.name | lower in tagged -%}
            {%- do selected.append(
                masked_value(quoted, column) ~ ' as ' ~ quoted
            ) -%}
        {%- else -%}
            {%- do selected.append(quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    drop view if exists {{ view }};
    create view {{ view }} as
    select {{ selected | join(', ') }} from {{ source_relation }};
    comment on view {{ view }} is
    'stripe_analyst''s view of {{ node.schema }}.{{ node.alias }}: personal columns masked';
    {%- if grant %}
    grant select on {{ view }} to stripe_analyst;
    {%- endif %}
{%- endmacro %}

{#- A personal value as the analyst sees it: a text '***' (a document: the
    JSON string "***") where there was a value, so counts of filled fields
    still work; other types null. -#}
{% macro masked_value(quoted, column) -%}
    {{ return(adapter.dispatch('masked_value')(quoted, column)) }}
{%- endmacro %}

{% macro default__masked_value(quoted, column) -%}
    {%- if column.is_string() -%}
        case when {{ quoted }} is not null then '***' end
    {%- elif column.data_type | lower in ('json', 'jsonb') -%}
        {#- a document: the JSON string "***" where there was one -#}
        case
            when {{ quoted }} is not null
                then cast('"***"' as {{ column.data_type }})
        end
    {%- else -%}
        cast(null as {{ column.data_type }})
    {%- endif -%}
{%- endmacro %}
