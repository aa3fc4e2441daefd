{#- Schemas are used as named (staging, oltp, marts, snapshots, seeds), with no
    target prefix, so every environment reads the same names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
