{#-
    Snapshots on Spark without a merge-capable format. dbt-spark snapshots
    only into Delta Lake, Iceberg or Hudi tables, whose jars the project's
    local Spark does not have; this materialization keeps the history in a
    Parquet table and applies a run's changes by rewriting it: the current
    versions that changed or vanished get their dbt_valid_to, the new
    versions are added, through a copy (Spark cannot overwrite a table it
    reads). The changes themselves are dbt's (snapshot_staging_table, with
    the snapshot's own strategy), as on every engine.
-#}
{% materialization snapshot, adapter='spark' %}
    {%- set identifier = model.get('alias', model.get('name')) -%}
    {%- set exists, target_relation = get_or_create_relation(
        database=none,
        schema=model.schema,
        identifier=identifier,
        type='table',
    ) -%}
    {%- if not adapter.check_schema_exists(model.database, model.schema) -%}
        {%- do create_schema(target_relation) -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}

    {%- set strategy = strategy_dispatch(config.get('strategy'))(
        model, 'snapshotted_data', 'source_data', model['config'], exists
    ) -%}
    {%- if not exists -%}
        {%- set final_sql = create_table_as(
            False,
            target_relation,
            build_snapshot_table(strategy, model['compiled_code']),
        ) -%}
    {%- else -%}
        {%- set names = config.get('snapshot_table_column_names')
            or get_snapshot_table_column_names() -%}
        {%- set changes = spark_build_snapshot_staging_table(
            strategy, sql, target_relation
        ) -%}
        {%- set internal = [
            'dbt_change_type', 'dbt_unique_key',
        ] -%}
        {%- set missing = adapter.get_missing_columns(changes, target_relation)
            | rejectattr('name', 'in', internal) | list -%}
        {%- do create_columns(target_relation, missing) -%}
        {%- do spark_rewrite_snapshot(target_relation, changes, names) -%}
        {%- set final_sql = 'refresh table ' ~ target_relation -%}
    {%- endif -%}

    {% call statement('main') -%}
        {{ final_sql }}
    {%- endcall %}

    {%- do persist_docs(target_relation, model) -%}
    {{ run_hooks(post_hooks) }}
    {{ adapter.commit() }}
    {%- if changes is defined -%}
        {%- do post_snapshot(changes) -%}
    {%- endif -%}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- The history with a run's changes applied, written back through a copy:
    what a snapshot's merge does, as one rewrite. -#}
{% macro spark_rewrite_snapshot(history, changes, names) -%}
    {%- set changed_columns = adapter.get_columns_in_relation(changes)
        | map(attribute='name') | map('lower') | list -%}
    {%- set kept = [] -%}
    {%- set added = [] -%}
    {%- for column in adapter.get_columns_in_relation(history) -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- if column.name | lower == names.dbt_valid_to | lower -%}
            {%- do kept.append(
                'coalesce(closed.' ~ quoted ~ ', versions.' ~ quoted ~ ') as '
                ~ quoted
            ) -%}
        {%- else -%}
            {%- do kept.append('versions.' ~ quoted) -%}
        {%- endif -%}
        {%- if column.name | lower in changed_columns -%}
            {%- do added.append('changes.' ~ quoted) -%}
        {%- else -%}
            {%- do added.append(
                'cast(null as ' ~ column.data_type ~ ') as ' ~ quoted
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set copy = history.incorporate(
        path={'identifier': history.identifier ~ '__dbt_rewritten'}
    ) -%}
    {%- do run_query('drop table if exists ' ~ copy) -%}
    {%- call statement('rewrite_snapshot') -%}
        create table {{ copy }} using parquet as
        select {{ kept | join(', ') }}
        from {{ history }} as versions
        left join (
            select {{ names.dbt_scd_id }}, {{ names.dbt_valid_to }}
            from {{ changes }}
            where dbt_change_type in ('update', 'delete')
        ) as closed
            on
                closed.{{ names.dbt_scd_id }} = versions.{{ names.dbt_scd_id }}
                and versions.{{ names.dbt_valid_to }} is null
        union all
        select {{ added | join(', ') }}
        from {{ changes }} as changes
        where changes.dbt_change_type = 'insert'
    {%- endcall -%}
    {%- do run_query(
        'insert overwrite table ' ~ history ~ ' select * from ' ~ copy
    ) -%}
    {%- do run_query('drop table ' ~ copy) -%}
{%- endmacro %}
