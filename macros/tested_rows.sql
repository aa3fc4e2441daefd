{#-
    Incremental testing. On an incremental `dbt build`, the generic tests of
    incremental models and staging views check only the rows loaded after
    the last build whose every model and test passed: those rows are all a
    merge can have changed (an incremental model writes a row again only
    with a later `loaded_at`, and never deletes one), so the rows before
    them were tested already. A daily build then tests in proportion to
    what changed. `dbt test`, `dbt build --full-refresh` and the first build
    test every row; a failing build keeps its rows under test until a build
    passes. Keys stay enforced in full by the database either way.

    The watermarks live in dbt_meta.build_watermarks: model, loaded_at.
-#}

{% macro build_watermarks_relation() -%}
    {{ return(api.Relation.create(
        database=target.get('database'),
        schema='dbt_meta',
        identifier='build_watermarks',
        type='table',
    )) }}
{%- endmacro %}

{#- A model whose tests may be limited to the rows a build wrote. -#}
{% macro is_incrementally_tested(node) -%}
    {{ return(
        node.resource_type == 'model'
        and 'loaded_at' in node.columns
        and (
            node.config.materialized == 'incremental'
            or (node.fqn[1] == 'staging'
                and node.config.materialized == 'view')
        )
    ) }}
{%- endmacro %}

{#- on-run-start: the table exists before any test reads it. -#}
{% macro create_build_watermarks() -%}
    {{ return(adapter.dispatch('create_build_watermarks')()) }}
{%- endmacro %}

{% macro default__create_build_watermarks() -%}
    {%- set watermarks = build_watermarks_relation() -%}
    create schema if not exists {{ watermarks.schema }};
    create table if not exists {{ watermarks }} (
        model_id text primary key,
        loaded_at timestamp with time zone not null
    )
{%- endmacro %}

{#- on-run-end: a build with no failure moves the watermark of every model
    it built to the latest row that model holds now. -#}
{% macro record_build_watermarks(results) -%}
    {%- set failed = results | selectattr(
        'status', 'in', ['error', 'fail', 'runtime error']
    ) | list -%}
    {%- if execute and flags.WHICH == 'build' and not failed -%}
        {%- set watermarks = build_watermarks_relation() -%}
        {%- for result in results -%}
            {%- set node = result.node -%}
            {%- if result.status == 'success'
                and is_incrementally_tested(node) -%}
                {%- set relation = api.Relation.create(
                    database=node.database,
                    schema=node.schema,
                    identifier=node.alias,
                ) -%}
                {%- call statement('watermark_' ~ loop.index) -%}
                    {{ upsert_build_watermark(watermarks, node.unique_id, relation) }}
                {%- endcall -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro upsert_build_watermark(watermarks, model_id, relation) -%}
    {{ return(adapter.dispatch('upsert_build_watermark')(
        watermarks, model_id, relation
    )) }}
{%- endmacro %}

{% macro default__upsert_build_watermark(watermarks, model_id, relation) -%}
    insert into {{ watermarks }} (model_id, loaded_at)
    select
        '{{ model_id }}',
        max(tested.loaded_at)
    from {{ relation }} as tested
    having max(tested.loaded_at) is not null
    on conflict (model_id)
    do update set loaded_at = excluded.loaded_at
{%- endmacro %}

{#- The watermark of a model as an expression: the earliest instant when
    no build recorded one. -#}
{% macro build_watermark(model_id) -%}
    {{ return(adapter.dispatch('build_watermark')(model_id)) }}
{%- endmacro %}

{% macro default__build_watermark(model_id) -%}
    {{ timestamp_literal_of(
        'select watermarks.loaded_at from ' ~ build_watermarks_relation()
        ~ " as watermarks where watermarks.model_id = '" ~ model_id ~ "'"
    ) }}
{%- endmacro %}

{#- dbt's hook into every generic test's `model`: adds the watermark to the
    test's own `where`, when the build is incremental. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set attached = model.get('attached_node') -%}
    {%- if execute and attached and flags.WHICH == 'build'
        and not flags.FULL_REFRESH and attached in graph.nodes
        and is_incrementally_tested(graph.nodes[attached]) -%}
        {%- do conditions.append(
            'loaded_at > ' ~ build_watermark(attached)
        ) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }})
                as dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
