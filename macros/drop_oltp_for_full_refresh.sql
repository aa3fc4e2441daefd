{#-
    On a full refresh, drop the selected OLTP tables up front, in one
    run, before any model runs. dbt would otherwise rebuild each
    incremental table by swapping it for a new one and dropping the old one
    with `cascade`, which needs exclusive locks on the parents while sibling
    models create foreign keys to the same parents: PostgreSQL then reports
    deadlocks. Fresh tables are created, filled and given their foreign
    keys (postgres__create_table_as in macros/oltp.sql), parents first, as
    ref() orders them.
-#}
{% macro drop_oltp_for_full_refresh() %}
    {%- if execute and flags.FULL_REFRESH -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model'
                and node.unique_id in selected_resources
                and node.fqn[1] == 'oltp'
                and node.config.materialized == 'incremental' -%}
                {#- Through the adapter, so dbt's relation cache knows. -#}
                {%- do adapter.drop_relation(
                    api.Relation.create(
                        database=node.database,
                        schema=node.schema,
                        identifier=node.alias,
                        type='table',
                    )
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
