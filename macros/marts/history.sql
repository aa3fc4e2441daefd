{#-
    Per-subscription history, built incrementally. The MRR history
    (int_subscription_items_valued_monthly, fct_mrr) has one row per
    subscription (and item) and month, from the subscription's first month
    to the month still running; one new invoice line or status change can
    change a subscription's history back to its start, and the latest load
    moves the instant the running month is measured at. So an incremental
    run rebuilds:

    - every month of each subscription whose inputs changed since the
      model's last build (their fingerprint: a hash of every input row of
      the subscription, see the model's `history_inputs`), and of each
      subscription that is new or gone;
    - every subscription's rows of the months whose measuring instant (or
      what else the model reads per month) changed: the running month at
      each load, and the month before it once a month closes.

    A pre-hook deletes those rows, the model's query (filtered by
    `history_changed_subscriptions` and `history_changed_months`) inserts
    them again, and a post-hook keeps the fingerprints it built from, all in
    the model's transaction: a run that fails leaves table and state as
    they were. The state lives in dbt_meta: <model>__inputs (subscription,
    fingerprint) and <model>__months (month, fingerprint). A full refresh,
    or a first build, rebuilds everything and records the state. Where the
    engine cannot merge (Spark) the models are tables and none of this
    runs.
-#}

{#- A state table of `model` (by default the one being built). -#}
{% macro history_state(suffix, model=none) -%}
    {{ return(api.Relation.create(
        database=target.get('database'),
        schema='dbt_meta',
        identifier=(model or this).identifier ~ '__' ~ suffix,
        type='table',
    )) }}
{%- endmacro %}

{#- A row's fingerprint: an md5 of its columns as text, nulls marked. -#}
{% macro row_fingerprint(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
    {%- endfor -%}
    ))
{%- endmacro %}

{#- One fingerprint per key over the rows of `rows_sql` (key, row_hash). -#}
{% macro fingerprints_by(key, rows_sql) -%}
    select
        {{ key }},
        md5({{ dbt.listagg('row_hash', "''", 'order by row_hash') }})
            as fingerprint
    from ({{ rows_sql }}) as hashed_rows
    group by {{ key }}
{%- endmacro %}

{#- Whether this run maintains the history state: an engine that merges. -#}
{% macro history_is_kept() -%}
    {{ return(target.type != 'spark' and execute) }}
{%- endmacro %}

{#- pre-hook: the current fingerprints, then the rows to rebuild deleted.
    `inputs_sql` selects subscription_id, fingerprint; `months_sql`
    month_start_date, fingerprint. -#}
{% macro history_prepare(inputs_sql, months_sql, month_column='month_start_date') -%}
    {%- if history_is_kept() -%}
        create schema if not exists dbt_meta;
        drop table if exists {{ history_state('inputs_next') }};
        create table {{ history_state('inputs_next') }} as {{ inputs_sql }};
        drop table if exists {{ history_state('months_next') }};
        create table {{ history_state('months_next') }} as {{ months_sql }};
        create table if not exists {{ history_state('inputs') }} (
            subscription_id {{ dbt.type_string() }},
            fingerprint {{ dbt.type_string() }}
        );
        create table if not exists {{ history_state('months') }} (
            month_start_date date,
            fingerprint {{ dbt.type_string() }}
        );
        {%- if is_incremental() %}
        {#- Two joins, not `in (...) or in (...)`: under an `or` PostgreSQL
            cannot join, and filters every row through a list. -#}
        delete from {{ this }} as history
        using ({{ history_changed_subscriptions() }}) as changed_subscriptions
        where history.subscription_id = changed_subscriptions.subscription_id;
        delete from {{ this }} as history
        using ({{ history_changed_months() }}) as changed_months
        where history.{{ month_column }} = changed_months.month_start_date;
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- post-hook: the fingerprints this build used become the state. -#}
{% macro history_record() -%}
    {%- if history_is_kept() -%}
        {%- for suffix in ['inputs', 'months'] %}
        {{ history_state_replace(suffix) }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#- The state `suffix` becomes what this run built (`suffix`_next). -#}
{% macro history_state_replace(suffix) -%}
    delete from {{ history_state(suffix) }};
    insert into {{ history_state(suffix) }}
    select * from {{ history_state(suffix ~ '_next') }};
    drop table {{ history_state(suffix ~ '_next') }};
{%- endmacro %}

{#- The keys whose fingerprint is new, changed or gone between the state
    `suffix` and the one this run computed. -#}
{% macro history_changed(suffix, key) -%}
    select coalesce(next_state.{{ key }}, last_state.{{ key }}) as {{ key }}
    from {{ history_state(suffix ~ '_next') }} as next_state
    full outer join {{ history_state(suffix) }} as last_state
        on next_state.{{ key }} = last_state.{{ key }}
    where
        next_state.fingerprint is null
        or last_state.fingerprint is null
        or next_state.fingerprint != last_state.fingerprint
{%- endmacro %}

{#- The subscriptions to rebuild in every month. -#}
{% macro history_changed_subscriptions() -%}
    {{ history_changed('inputs', 'subscription_id') }}
{%- endmacro %}

{#- The months to rebuild for every subscription. -#}
{% macro history_changed_months() -%}
    {{ history_changed('months', 'month_start_date') }}
{%- endmacro %}

{#- The fingerprint of each subscription's inputs: every row of each
    (tag, relation) keyed by subscription_id, every column; and of the
    subscriptions relation the `columns` the model reads. -#}
{% macro history_inputs(relations, subscriptions, columns) -%}
    {%- set hashed -%}
        {%- for tag, relation in relations %}
        select
            subscription_id,
            {{ row_fingerprint(["'" ~ tag ~ "'"] + adapter.get_columns_in_relation(
                relation) | map(attribute='quoted') | list) }} as row_hash
        from {{ relation }}
        union all
        {%- endfor %}
        select
            subscription_id,
            {{ row_fingerprint(["'subscription'", 'subscription_id'] + columns) }}
                as row_hash
        from {{ subscriptions }}
    {%- endset -%}
    {{ fingerprints_by('subscription_id', hashed) }}
{%- endmacro %}

{#- The fingerprint of each month: its row of `months` (int_mrr_months)
    and the previous month's, whose figures a month's movement compares
    with; `extra_sql`, if given, adds rows (month_start_date, row_hash). -#}
{% macro history_months(months, extra_sql=none) -%}
    {%- set columns = adapter.get_columns_in_relation(months)
        | map(attribute='quoted') | list -%}
    {%- set hashed -%}
        select
            month_start_date,
            {{ row_fingerprint(["'month'"] + columns) }} as row_hash
        from {{ months }}
        union all
        select
            cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as date)
                as month_start_date,
            {{ row_fingerprint(["'previous'"] + columns) }} as row_hash
        from {{ months }}
        {%- if extra_sql %}
        union all
        {{ extra_sql }}
        {%- endif %}
    {%- endset -%}
    {{ fingerprints_by('month_start_date', hashed) }}
{%- endmacro %}

{#- The fingerprints another history model was last built from (its
    dbt_meta state): what a model reading it per subscription follows. -#}
{% macro history_inputs_of(model) -%}
    select subscription_id, fingerprint
    from {{ history_state('inputs', model) }}
{%- endmacro %}

{#- Rows (month_start_date, row_hash) of every reporting rate on each
    month's measuring day: a month is converted again when one changes. -#}
{% macro history_reporting_rates(months, rates) -%}
    select
        months.month_start_date,
        {{ row_fingerprint(["'rate'", 'rates.currency', 'rates.rate_to_reporting']) }}
            as row_hash
    from {{ months }} as months
    inner join {{ rates }} as rates
        on months.measured_on_date = rates.rate_date
{%- endmacro %}

{#- The rows a model rebuilds on an incremental run: those whose
    subscription is in the model's changed_subscriptions, or whose month is
    in `months` (a relation or CTE with month_start_date). Two left joins
    the caller puts in its from clause (`history_scope_joins`) and a
    predicate for its where clause (`history_in_scope`), not
    `in (...) or in (...)`: PostgreSQL cannot join under an `or`, and runs
    each list as a filter it stops hashing past work_mem; then every row is
    compared with every entry (300,000 customers, 1 % changed: minutes per
    statement). Both keys are unique in their relation, so the joins add
    no rows. On a full build neither adds anything. -#}
{% macro history_scope_joins(subscription_column, month_column, months='changed_months') -%}
    {%- if is_incremental() %}
    left join (
        select changed_subscriptions.subscription_id as scope_subscription_id
        from changed_subscriptions
    ) as scope_subscriptions
        on {{ subscription_column }} = scope_subscriptions.scope_subscription_id
    left join (
        select {{ months }}.month_start_date as scope_month_start_date
        from {{ months }}
    ) as scope_months
        on {{ month_column }} = scope_months.scope_month_start_date
    {%- endif %}
{%- endmacro %}

{#- Whether a row is rebuilt by this run: always on a full build; on an
    incremental one, when `history_scope_joins` found its subscription or
    its month. -#}
{% macro history_in_scope() -%}
    {%- if is_incremental() -%}
        (
            scope_subscriptions.scope_subscription_id is not null
            or scope_months.scope_month_start_date is not null
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
