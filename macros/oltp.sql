{#-
    Helpers of the incremental OLTP models.

    The watermark is the dlt load: a run takes the staging rows loaded after
    the latest `loaded_at` the table already holds, so a daily run costs in
    proportion to what changed. A full refresh takes everything.
-#}
{#- `as_literal`: the watermark read when the model is compiled, just
    before it runs, and written as a literal (`timestamp_literal_of`), so
    PostgreSQL reads the few rows past it through an index on `loaded_at`
    (the extractor's on each raw table, the models' own on theirs). Only
    where the rows it finds are keys gathered into an array
    (`keys_new_since_last_run`): PostgreSQL plans an array for ten keys
    whatever it holds, so the literal changes how the keys are found and
    nothing after. Elsewhere the watermark stays a subquery, whose unknown
    value PostgreSQL plans as a third of the table: a literal there is
    planned on statistics from before the day's load, which know none of
    its rows (`fct_invoice_line_items` after 1 % changed at 30,000
    customers: 4.5 s against 1.8 s). -#}
{% macro is_new_since_last_run(loaded_at='loaded_at', as_literal=false) -%}
    {%- if is_incremental() and as_literal -%}
        {{ is_loaded_after_latest_of(this, loaded_at) }}
    {%- elif is_incremental() -%}
        {{ loaded_at }} > coalesce(
            ({{ latest_loaded_at_query(this) }}), {{ epoch_to_timestamp(0) }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The latest `loaded_at` that `relation` holds, as a scalar query. -#}
{% macro latest_loaded_at_query(relation) -%}
    select max(watermark.loaded_at) from {{ relation }} as watermark
{%- endmacro %}

{#- `loaded_at` later than the latest `relation` holds, that watermark
    read now and written as a literal (`timestamp_literal_of`): an
    incremental model's key lookups, and a snapshot's rows
    (`snapshot_rows`). -#}
{% macro is_loaded_after_latest_of(relation, loaded_at='loaded_at') -%}
    {{ loaded_at }} > {{ timestamp_literal_of(latest_loaded_at_query(relation)) }}
{%- endmacro %}

{#- The key column of the rows this run rebuilds: those loaded since the
    last run, and those whose children or related rows were. `queries`
    select the keys (see `keys_new_since_last_run`). On PostgreSQL the
    keys are an array (`= any`), a filter that reaches the raw table's scan
    and its index on `id`: as a join, PostgreSQL read every document of the
    staging view first (4 to 6 s a model at 100,000 customers, for a few
    hundred rows). Everywhere on a first build or full refresh: true. -#}
{% macro is_changed_key(key, queries) -%}
    {%- if is_incremental() -%}
        {{ return(adapter.dispatch('is_changed_key')(key, queries)) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro default__is_changed_key(key, queries) -%}
    {{ key }} in ({{ queries | join(' union all ') }})
{%- endmacro %}

{% macro postgres__is_changed_key(key, queries) -%}
    {{ key }} = any(array({{ queries | join(' union all ') }}))
{%- endmacro %}

{#- The `column` of the rows of `relation` loaded since the last run (the
    relation has `loaded_at`); `where` narrows them. -#}
{% macro keys_new_since_last_run(relation, column, where='true') -%}
    select {{ column }} from {{ relation }}
    where {{ where }} and {{ is_new_since_last_run(as_literal=true) }}
{%- endmacro %}

{#-
    Parents that children reference but the source no longer lists (a
    deleted customer, the price of an archived product): one row per missing
    key, so the child keeps its row and its foreign key holds.

    key:        the parent's key column, e.g. 'customer_id'
    known:      [(model, column)] where the real parents are
    references: [{'model': m, 'key': column, 'columns': {name: expression}}]
                the children's references; `columns` gives what a child
                knows about its parent (a line item knows its price's
                product and currency)
    columns:    the names of those extra columns, null where not known
-#}
{% macro missing_parents(key, known, references, columns=[]) -%}
    select
        {{ key }},
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        loaded_at
    from (
        select
            referenced.*,
            row_number() over (
                partition by referenced.{{ key }}
                order by referenced.loaded_at desc
            ) as reference_rank
        from (
            {%- for reference in references %}
            select
                {{ reference.key }} as {{ key }},
                {%- for column in columns %}
                {{ reference.get('columns', {}).get(column, 'null') }}
                    as {{ column }},
                {%- endfor %}
                loaded_at
            from {{ ref(reference.model) }}
            where
                {{ reference.key }} is not null
                and {{ is_new_since_last_run() }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as referenced
        where
            {%- for model, column in known %}
            {% if not loop.first %}and {% endif -%}
            not exists (
                select 1
                from {{ ref(model) }} as known_parents
                where known_parents.{{ column }} = referenced.{{ key }}
            )
            {%- endfor %}
    ) as ranked_references
    where reference_rank = 1
{%- endmacro %}

{#- Statistics for a table just built (a post-hook of oltp and marts), so
    the models after it are planned on its real size; nothing for views.
    An incremental table is analyzed when it was never analyzed (a first
    build, a full refresh) or this run wrote as large a share of it as
    autovacuum waits for before it analyzes a table on its own: the rows
    the run's transaction inserted, updated and deleted (which
    pg_stat_xact_user_tables counts) above autovacuum_analyze_threshold
    plus autovacuum_analyze_scale_factor of its rows, the table's own
    settings first. After a daily run the statistics of the last analysis
    still describe the table, and autovacuum renews them once enough runs
    have added up; ANALYZE samples 30,000 rows whatever changed (at 30,000
    customers, 1 % changed, the incremental tables' analyses were 8 s of
    a 63-s build). -#}
{% macro analyze_table() -%}
    {{ return(adapter.dispatch('analyze_table')()) }}
{%- endmacro %}

{% macro default__analyze_table() -%}
    {%- if model.config.materialized == 'table' -%}
        analyze {{ this }}
    {%- elif model.config.materialized == 'incremental' -%}
        do $analyze$
        begin
            if exists (
                select 1
                from pg_class as tables
                cross join (
                    select
                        coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
                            as written
                    from pg_stat_xact_user_tables
                    where relid = '{{ this }}'::regclass
                ) as this_run
                where
                    tables.oid = '{{ this }}'::regclass
                    and (
                        coalesce(
                            pg_stat_get_last_analyze_time(tables.oid),
                            pg_stat_get_last_autoanalyze_time(tables.oid)
                        ) is null
                        or this_run.written
                        > {{ analyze_setting('autovacuum_analyze_threshold') }}
                        + {{ analyze_setting('autovacuum_analyze_scale_factor') }}
                        * greatest(tables.reltuples, 0)
                    )
            ) then
                analyze {{ this }};
            end if;
        end
        $analyze$
    {%- endif -%}
{%- endmacro %}

{#- The table's own storage parameter `name`, else the server's. -#}
{% macro analyze_setting(name) -%}
    coalesce(
        (
            select split_part(table_option, '=', 2)::float8
            from unnest(tables.reloptions) as table_option
            where table_option like '{{ name }}=%'
        ),
        current_setting('{{ name }}')::float8
    )
{%- endmacro %}

{#- An index on `loaded_at` of an incremental table with that column (a
    post-hook of oltp and marts; made once, kept by later runs). A run
    reads its own watermark, `max(loaded_at)`, and a daily build's tests
    read the rows loaded after the last build's (macros/tested_rows.sql):
    with the index both read those rows, not the whole table. Other engines
    keep no index. -#}
{% macro loaded_at_index() -%}
    {{ return(adapter.dispatch('loaded_at_index')()) }}
{%- endmacro %}

{% macro default__loaded_at_index() -%}
{%- endmacro %}

{% macro postgres__loaded_at_index() -%}
    {%- if model.config.materialized == 'incremental'
        and 'loaded_at' in model.columns -%}
        {{ ensure_index(this, 'loaded_at', 'loaded_at') }}
    {%- endif -%}
{%- endmacro %}

{#- A post-hook's index on `relation` (PostgreSQL), made unless the
    relation has one of the same definition (`using` method, `columns` as
    PostgreSQL prints them, unique or not, and the predicate `where` of a
    partial index as PostgreSQL prints it). Named after the relation's
    oid, not its name alone: a rebuild swaps a new table in under the
    same name and drops the old one after the hooks, so a fixed name with
    `if not exists` found the old table's index and left the new table
    without one. -#}
{% macro ensure_index(
    relation, suffix, columns, using='btree', unique=false, where=none
) -%}
    {%- set definition = using ~ ' (' ~ columns ~ ')'
        ~ (' WHERE ' ~ where if where else '') -%}
    do $ensure_index$
    begin
        if not exists (
            select 1
            from pg_index
            where
                indrelid = '{{ relation }}'::regclass
                and indisunique = {{ 'true' if unique else 'false' }}
                and split_part(pg_get_indexdef(indexrelid), ' USING ', 2)
                = '{{ definition }}'
        ) then
            execute format(
                'create {{ "unique " if unique }}index %I on {{ relation }}'
                ' using {{ definition }}',
                '{{ relation.identifier }}_{{ suffix }}_'
                || '{{ relation }}'::regclass::oid
            );
        end if;
    end
    $ensure_index$
{%- endmacro %}

{#- Post-hook of a child table replaced per parent (delete+insert or a
    merge on the parent's key): that replaces the rows of parents that
    still have children, but a parent left with fewer or none (a
    subscription whose coupon was removed) leaves its old rows behind. They
    are the rows loaded before their parent's latest load, since a child
    row carries its parent's `loaded_at`. `parent` is the parent's staging
    model; `key` the parent's key, `column` the child's column holding it;
    `where` limits the rows (a child table of two parents).
    The parents are a subquery of the two columns, kept apart (`offset 0`):
    PostgreSQL copies the whole row of every relation a delete joins, and
    over the staging view itself that row is every field of every parent's
    document (the invoice lines' taxes: 18.4 s of node time at 100,000
    customers, 5.4 s with the subquery). -#}
{% macro delete_rows_of_replaced_parents(
    parent, key, column=none, where='true'
) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as children
        using (
            select {{ key }}, loaded_at from {{ ref(parent) }} offset 0
        ) as parents
        where
            children.{{ column or key }} = parents.{{ key }}
            and children.loaded_at < parents.loaded_at
            and {{ where }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The select list of a placeholder row (a parent from missing_parents()):
    every column of the model's contract, in its order, null cast to the
    contract's data type, except
    keys:   columns the placeholder knows, selected by name (its key, what
            the children know about it, loaded_at)
    values: {column: expression}, e.g. {'is_missing_from_source': 'true'}
    The model's other branches select the contract's columns in the same
    order, as a union needs. -#}
{% macro placeholder_columns(keys, values={}) -%}
    {%- for name, column in model.columns.items() %}
        {%- if name in keys %}
        {{ name }}
        {%- elif name in values %}
        {{ values[name] }} as {{ name }}
        {%- else %}
        cast(null as {{ sql_type(column.data_type) }}) as {{ name }}
        {%- endif %}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- A unique index (a post-hook: dbt's `indexes` are made only when a table
    is created). PostgreSQL's planner uses it; other engines keep none. -#}
{% macro unique_index(relation, column) -%}
    {{ return(adapter.dispatch('unique_index')(relation, column)) }}
{%- endmacro %}

{% macro default__unique_index(relation, column) -%}
    {{ ensure_index(relation, column ~ '_key', column, unique=true) }}
{%- endmacro %}

{#- A contracted table's first build (and a full refresh, which drops the
    OLTP tables first): created with its columns, primary key and not-null
    constraints, filled, and only then given its foreign keys. Declared
    with the table, every inserted row fires one lookup per foreign key,
    and the new table holds a share-row-exclusive lock on each parent from
    its creation to its commit, so siblings referencing the same parent
    (every child of `customers` and `invoices`) waited for each other's
    whole build. Added after the insert, PostgreSQL checks each key with
    one join over the table and holds those locks only from there to the
    commit. A missing parent fails the statement, and the build, as
    before; the constraints' names are PostgreSQL's, as before. Temporary
    and uncontracted tables are dbt's own, except for the one below. -#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set uncompressed = config.get('uncompressed_columns') or [] -%}
    {%- if uncompressed and not temporary
            and not config.get('contract').enforced -%}
        {{ return(uncompressed_table_as(relation, sql, uncompressed)) }}
    {%- endif -%}
    {%- if temporary or not config.get('contract').enforced -%}
        {{ return(dbt.postgres__create_table_as(temporary, relation, sql)) }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- set foreign_keys = [] -%}
    {%- for name, column in model.columns.items() -%}
        {%- set kept = [] -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type == 'foreign_key' -%}
                {%- do foreign_keys.append({
                    'type': 'foreign_key',
                    'name': constraint.get('name'),
                    'columns': [name],
                    'to': constraint.get('to'),
                    'to_columns': constraint.get('to_columns'),
                    'expression': constraint.get('expression'),
                }) -%}
            {%- else -%}
                {%- do kept.append(constraint) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set without_foreign_keys = {} -%}
        {%- do without_foreign_keys.update(column) -%}
        {%- do without_foreign_keys.update({'constraints': kept}) -%}
        {%- do columns.update({name: without_foreign_keys}) -%}
    {%- endfor -%}
    {%- set table_constraints = [] -%}
    {%- for constraint in model.constraints -%}
        {%- if constraint.type == 'foreign_key' -%}
            {%- do foreign_keys.append(constraint) -%}
        {%- else -%}
            {%- do table_constraints.append(constraint) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ config.get('sql_header') or '' }}
    {{ get_assert_columns_equivalent(sql) }}
    create table {{ relation }} (
        {{ (
            adapter.render_raw_columns_constraints(raw_columns=columns)
            + adapter.render_raw_model_constraints(
                raw_constraints=table_constraints)
        ) | join(',\n        ') }}
    );
    insert into {{ relation }} (
        {{ adapter.dispatch('get_column_names', 'dbt')() }}
    ) (
        {{ get_select_subquery(sql) }}
    );
    {%- if foreign_keys %}
    alter table {{ relation }}
        {%- for rendered in adapter.render_raw_model_constraints(
            raw_constraints=foreign_keys) %}
        add {{ rendered }}{{ ',' if not loop.last else ';' }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- An uncontracted table whose config names `uncompressed_columns`: created
    empty, those columns set to storage `external` (kept out of line, never
    compressed), then filled. PostgreSQL compresses a large value as it
    writes it, with pglz alone in these binaries, and a wide document column
    spent more than half of its table's build doing so (docs/decisions.md,
    "The event log is stored uncompressed"). Later inserts and merges keep
    the column's storage. -#}
{% macro uncompressed_table_as(relation, sql, columns) -%}
    {{ config.get('sql_header') or '' }}
    create table {{ relation }} as (
        {{ sql }}
    ) with no data;
    alter table {{ relation }}
        {%- for column in columns %}
        alter column {{ adapter.quote(column) }} set storage external
        {{- ',' if not loop.last else ';' }}
        {%- endfor %}
    insert into {{ relation }} (
        {{ sql }}
    );
{%- endmacro %}
