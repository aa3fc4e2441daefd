{#-
    Per-subscription steps, built incrementally. A step whose every row
    belongs to one subscription and is derived from that subscription's
    rows alone (its status history, its discounts, its invoice lines'
    taxes) is rebuilt, on an incremental run, for the subscriptions whose
    inputs changed since the step's last build, and kept for the others:

    - `changes`: [(name, relation, subscription_column[, loads])], the
      inputs the step reads by subscription (`loads`: a table whose latest
      `loaded_at` is the first watermark, where the relation is a join).
      A row loaded after the input's
      watermark (the latest loaded_at the step's last build saw in it)
      names a changed subscription. The OLTP layer deletes no row but the
      children of a parent loaded again (a deleted object is a flagged
      row), so a step that reads children names their parent among its
      inputs, and a newer loaded_at is then every change there is.
    - `lookups`: [(name, relation, key, columns, mapping_sql)], a small
      table the step reads by another key (prices, coupons), where one row
      loaded again would name thousands of subscriptions: only a change of
      the `columns` the step reads counts (a fingerprint per key, kept in
      the state), and mapping_sql (subscription_id, key) names the
      subscriptions reading a changed key.

    Rows of no subscription (subscription_id null) count as one more
    subscription. A step whose rows are keyed by another entity in the same
    way (a customer's documents) names that column (`key_column`); the
    state still calls it subscription_id. `rebuilt_always`, a predicate on
    the step's rows, names rows that every run rebuilds whatever changed
    (documents measured at the latest load). A pre-hook records the changed
    subscriptions and deletes
    their rows; the model reads its inputs through `is_changed_subscription`,
    so it inserts those subscriptions again; a post-hook keeps the
    watermarks and fingerprints it built from. All of it runs in the
    model's transaction, so a run that fails leaves table and state as they
    were. The state lives in dbt_meta: <model>__watermarks (input, loaded_at),
    <model>__lookups (input, lookup_key, fingerprint), and, during the
    run, <model>__changes (input, subscription_id, loaded_at). A full
    refresh, a first build, or a state that is missing rebuilds every
    subscription. Where the engine cannot merge (Spark) the steps are
    tables and none of this runs.
-#}

{#- The materialization of a per-subscription step on this engine. -#}
{% macro per_subscription_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- pre-hook: see above. -#}
{% macro per_subscription_prepare(
    changes, lookups=[], key_column='subscription_id', rebuilt_always=none
) -%}
    {%- if history_is_kept() -%}
        {%- set watermarks = history_state('watermarks') -%}
        {%- set changed = history_state('changes') -%}
        create schema if not exists dbt_meta;
        create table if not exists {{ watermarks }} (
            input {{ dbt.type_string() }},
            loaded_at {{ sql_type('timestamptz') }}
        );
        create table if not exists {{ history_state('lookups') }} (
            input {{ dbt.type_string() }},
            lookup_key {{ dbt.type_string() }},
            fingerprint {{ dbt.type_string() }}
        );
        drop table if exists {{ history_state('lookups_next') }};
        create table {{ history_state('lookups_next') }} as
        {%- for name, relation, key, columns, mapping_sql in lookups %}
        select
            '{{ name }}' as input,
            cast({{ key }} as {{ dbt.type_string() }}) as lookup_key,
            {{ row_fingerprint(columns) }} as fingerprint
        from {{ relation }}
        union all
        {%- endfor %}
        select
            cast(null as {{ dbt.type_string() }}) as input,
            cast(null as {{ dbt.type_string() }}) as lookup_key,
            cast(null as {{ dbt.type_string() }}) as fingerprint
        where 1 = 0;
        drop table if exists {{ changed }};
        {%- if is_incremental() %}
        create table {{ changed }} as
        {%- for change in changes %}
        select
            '{{ change[0] }}' as input,
            {{ subscription_key(change[2]) }} as subscription_id,
            loaded_at
        from {{ change[1] }}
        where
            loaded_at > (
                select coalesce(max(watermarks.loaded_at), {{ epoch_to_timestamp(0) }})
                from {{ watermarks }} as watermarks
                where watermarks.input = '{{ change[0] }}'
            )
        {{ 'union all' if not loop.last or lookups }}
        {%- endfor %}
        {%- for name, relation, key, columns, mapping_sql in lookups %}
        select
            '{{ name }}' as input,
            {{ subscription_key('mapped.subscription_id') }} as subscription_id,
            cast(null as {{ sql_type('timestamptz') }}) as loaded_at
        from ({{ mapping_sql }}) as mapped
        where
            cast(mapped.{{ key }} as {{ dbt.type_string() }}) in (
                {{ lookup_changed_keys(name) }}
            )
        {{ 'union all' if not loop.last }}
        {%- endfor %};
        delete from {{ this }}
        where {{ subscription_key(key_column) }} in (
            select changes.subscription_id from {{ changed }} as changes
        ){{ ' or ' ~ rebuilt_always if rebuilt_always }};
        {%- else %}
        {#- Everything is built: the watermarks start from what is there.
            Loads only ever add later ones, so the latest of a table the
            relation joins is as good as the relation's own. -#}
        delete from {{ watermarks }};
        create table {{ changed }} as
        {%- for change in changes %}
        select
            '{{ change[0] }}' as input,
            cast(null as {{ dbt.type_string() }}) as subscription_id,
            max(loaded_at) as loaded_at
        from {{ change[3] if change | length > 3 else change[1] }}
        {{ 'union all' if not loop.last }}
        {%- endfor %};
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- A `changes` input through a join: a row of `changed` loaded again
    names the `key_column` of the rows of `keyed` it joins (`on`, over the
    aliases changed and keyed). -#}
{% macro changes_by_join(name, changed, keyed, on, key_column='subscription_id') -%}
    {{ return((
        name,
        '(select keyed.' ~ key_column ~ ', changed.loaded_at from ' ~ changed
        ~ ' as changed inner join ' ~ keyed ~ ' as keyed on ' ~ on ~ ') as '
        ~ name ~ '_joined',
        key_column,
        changed
    )) }}
{%- endmacro %}

{#- The `changes` input of invoices, for a step that reads them by line:
    an invoice loaded again names the subscriptions of its lines. -#}
{% macro invoice_changes_by_line(invoices, lines) -%}
    {{ return(changes_by_join(
        'invoices', invoices, lines, 'changed.invoice_id = keyed.invoice_id'
    )) }}
{%- endmacro %}

{#- The `changes` inputs of a step that reads invoice lines by
    subscription: the lines loaded again, and the invoices loaded again
    (through their lines). -#}
{% macro line_changes(lines, invoices) -%}
    {{ return([
        ('lines', lines, 'subscription_id'),
        invoice_changes_by_line(invoices, lines),
    ]) }}
{%- endmacro %}

{#- The `changes` inputs of the billing evidence
    (int_invoice_lines_normalized), and of a step that dates by it: the
    lines and their invoices, the pending invoice items and their
    invoices, the subscription items. -#}
{% macro evidence_changes() -%}
    {{ return(line_changes(ref('invoice_line_items'), ref('invoices')) + [
        ('invoice_items', ref('int_invoice_items_prorated'), 'subscription_id'),
        changes_by_join(
            'invoices_of_items', ref('invoices'),
            ref('int_invoice_items_prorated'),
            'changed.invoice_id = keyed.invoice_id'),
        ('items', ref('subscription_items'), 'subscription_id'),
    ]) }}
{%- endmacro %}

{#- The columns of a price that the billing evidence is valued by. -#}
{% macro evidence_price_columns() -%}
    {{ return([
        'product_id', 'usage_type', 'recurring_interval',
        'recurring_interval_count', 'billing_scheme', 'tiers', 'tiers_mode',
        'unit_amount_decimal_cents', 'tax_behavior',
    ]) }}
{%- endmacro %}

{#- The `lookups` input of prices, for a step that reads them by line:
    a change of their `columns` names the subscriptions of their lines. -#}
{% macro price_lookup_by_line(prices, lines, columns) -%}
    {{ return((
        'prices', prices, 'price_id', columns,
        'select subscription_id, price_id from ' ~ lines
    )) }}
{%- endmacro %}

{#- The `lookups` of a step that values the billing evidence through
    tax_ratio_joins (macros/marts/mrr.sql). `evidence`: the relations of
    its lines and pending items (subscription_id, price_id). Three inputs
    read by another key:
    - the prices' `price_columns`, for the subscriptions billing them;
    - the share of each set of tax rates' most exact line, for the
      subscriptions with a line of those rates: a subscription's price
      takes it when its own line of the price was not taxed whole;
    - the share of each price's most exact line, for the subscriptions
      billing the price without a line of it in `lines_taxed` (a pending
      proration of a new price): only they fall back on it.
    The most exact lines are chosen among every subscription's lines, so
    they move with other subscriptions' bills; only a move that changes
    the share counts. -#}
{% macro evidence_lookups(prices, price_columns, lines_taxed, evidence) -%}
    {%- set billed -%}
        {%- for relation in evidence %}
        select subscription_id, price_id from {{ relation }}
        {{- ' union all' if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {%- set readers = {
        'tax_rates_key':
            'select subscription_id, tax_rates_key from ' ~ lines_taxed,
        'price_id':
            'select billed.subscription_id, billed.price_id from (' ~ billed
            ~ ') as billed where not exists (select 1 from ' ~ lines_taxed
            ~ ' as lines where lines.subscription_id = billed.subscription_id'
            ~ ' and lines.price_id = billed.price_id)',
    } -%}
    {%- set lookups = [('prices', prices, 'price_id', price_columns, billed)] -%}
    {%- for flag, key in line_ratio_flags() -%}
        {%- do lookups.append((
            flag,
            '(select ' ~ key ~ ', net_of_tax_ratio from ' ~ lines_taxed
            ~ ' where ' ~ flag ~ ') as most_exact_lines',
            key,
            ['net_of_tax_ratio'],
            readers[key],
        )) -%}
    {%- endfor -%}
    {{ return(lookups) }}
{%- endmacro %}

{#- A `lookups` input over rows that the step's own key groups, several
    per key and with no loaded_at (a derived table, or rows whose key can
    change, like a payment method detached from its customer): one
    fingerprint per key over the rows' hashes. `rows_sql` selects `key` and
    row_hash; `keys`, a relation holding every key, names the key again
    when all its rows are gone. -#}
{% macro fingerprint_lookup(name, rows_sql, key, keys) -%}
    {{ return((
        name,
        '(' ~ fingerprints_by(key, rows_sql) ~ ') as ' ~ name ~ '_fingerprints',
        key,
        ['fingerprint'],
        'select ' ~ key ~ ' as subscription_id, ' ~ key ~ ' from ' ~ keys,
    )) }}
{%- endmacro %}

{#- A subscription as the state names it: rows of no subscription (a
    one-off invoice's lines) are a group of their own, ''. -#}
{% macro subscription_key(column) -%}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
{%- endmacro %}

{#- The keys of lookup `name` whose fingerprint is new, changed or gone
    since the last build. -#}
{% macro lookup_changed_keys(name) -%}
    select coalesce(next_state.lookup_key, last_state.lookup_key)
    from (
        select lookup_key, fingerprint from {{ history_state('lookups_next') }}
        where input = '{{ name }}'
    ) as next_state
    full outer join (
        select lookup_key, fingerprint from {{ history_state('lookups') }}
        where input = '{{ name }}'
    ) as last_state
        on next_state.lookup_key = last_state.lookup_key
    where
        next_state.fingerprint is null
        or last_state.fingerprint is null
        or next_state.fingerprint != last_state.fingerprint
{%- endmacro %}

{#- post-hook: each input's watermark moves to the latest row this build
    read; the lookups' fingerprints become the state. -#}
{% macro per_subscription_record() -%}
    {%- if history_is_kept() -%}
        {%- set watermarks = history_state('watermarks') -%}
        drop table if exists {{ history_state('watermarks_next') }};
        create table {{ history_state('watermarks_next') }} as
        select input, max(loaded_at) as loaded_at
        from (
            select input, loaded_at from {{ watermarks }}
            union all
            select input, loaded_at from {{ history_state('changes') }}
        ) as seen
        where loaded_at is not null
        group by input;
        drop table {{ history_state('changes') }};
        {%- for suffix in ['watermarks', 'lookups'] %}
        {{ history_state_replace(suffix) }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#- Whether the rows of `subscription_column` are rebuilt by this run:
    always on a full build; on an incremental one, when the pre-hook found
    the subscription's inputs changed. `with_none`: the rows of no
    subscription are kept too (as a group of their own); without it the
    bare column lets PostgreSQL read the changed ones by its index. -#}
{% macro is_changed_subscription(subscription_column, with_none=false) -%}
    {%- if is_incremental() -%}
        {{ subscription_key(subscription_column) if with_none
            else subscription_column }} in (
            select changes.subscription_id
            from {{ history_state('changes') }} as changes
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
