{#- on-run-start: the snapshots' history forgets the customers raw's erasure
    log names (make forget, or a customer.deleted event): in every snapshot
    with a customer_id, the columns tagged `meta: {pii: true}` are set to
    null in every version of those customers' rows. Before the snapshots
    run, so the erased current state is no change to them. -#}
{% macro erase_from_snapshots() -%}
    {%- if execute -%}
        {%- set erasure_log = adapter.get_relation(
            target.get('database'), var('raw_schema'), '_erasure_log'
        ) -%}
        {%- if erasure_log is not none -%}
            {%- for node in graph.nodes.values()
                if node.resource_type == 'snapshot' -%}
                {%- set tagged = pii_columns(node) -%}
                {%- set history = adapter.get_relation(
                    node.database, node.schema, node.alias
                ) -%}
                {%- if history is not none and tagged
                    and 'customer_id' in node.columns -%}
                    {%- do erase_history(history, tagged, erasure_log) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do commit_hook_work() -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro erase_history(history, tagged, erasure_log) -%}
    {{ return(adapter.dispatch('erase_history')(history, tagged, erasure_log)) }}
{%- endmacro %}

{% macro default__erase_history(history, tagged, erasure_log) -%}
    {%- do run_query(erase_history_sql(history, tagged, erasure_log)) -%}
{%- endmacro %}

{% macro erase_history_sql(history, tagged, erasure_log) -%}
    update {{ history }}
    set
        {%- for column in tagged %}
        {{ adapter.quote(column) }} = null{{ ',' if not loop.last }}
        {%- endfor %}
    where
        customer_id in (select customer_id from {{ erasure_log }})
        and (
            {%- for column in tagged %}
            {{ adapter.quote(column) }} is not null
            {{- ' or' if not loop.last }}
            {%- endfor %}
        )
{%- endmacro %}

{#- What a hook's run_query wrote is kept: PostgreSQL runs hooks outside a
    transaction; DuckDB's adapter holds one open until it is committed. -#}
{% macro commit_hook_work() -%}
    {{ return(adapter.dispatch('commit_hook_work')()) }}
{%- endmacro %}

{% macro default__commit_hook_work() -%}
{%- endmacro %}
