{#-
    Spark's versions of the dispatched macros (WAREHOUSE=spark). Raw `data`
    is a string of JSON, read with get_json_object and JSONPath
    ('$.a.b'); arrays are parsed with from_json and exploded with
    posexplode. Spark's decimals have at most 38 digits, and an operation
    whose exact result would need more keeps fewer decimals (at least six),
    rounding half away from zero: amounts are converted to the major unit
    by an exact product of narrow decimals, and quotients are computed on
    operands narrowed so that at least 16 decimals survive before they are
    rounded where PostgreSQL rounds them (decimal_quotient).
-#}

{% macro spark__sql_type(name) -%}
    {%- set types = {
        'numeric': 'decimal(38, 12)',
        'jsonb': 'string',
        'json': 'string',
        'text': 'string',
        'timestamptz': 'timestamp',
        'double precision': 'double',
    } -%}
    {{ types.get(name | lower, name) }}
{%- endmacro %}

{#- A dotted path as Spark's JSONPath ('$.a.b'; Stripe's field names are
    letters, digits and underscores); '' is the whole document. -#}
{% macro spark_json_path(path) -%}
    '{{ (["$"] + (path.split(".") if path else [])) | join(".") }}'
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, {{ spark_json_path(path) }})
{%- endmacro %}

{#- The JSON text of the value (a string value comes back unquoted, as
    get_json_object gives it; objects and arrays as JSON). -#}
{% macro spark__json_object(column, path) -%}
    get_json_object({{ column }}, {{ spark_json_path(path) }})
{%- endmacro %}

{% macro spark__json_bigint(column, path) -%}
    cast({{ json_text(column, path) }} as bigint)
{%- endmacro %}

{% macro spark__json_numeric(column, path) -%}
    cast({{ json_text(column, path) }} as {{ sql_type('numeric') }})
{%- endmacro %}

{% macro spark__json_bool(column, path) -%}
    cast({{ json_text(column, path) }} as boolean)
{%- endmacro %}

{#- An expanded object's `id`, else the value itself (an id). -#}
{% macro spark__json_id(column, path) -%}
    coalesce(
        get_json_object(
            {{ column }},
            {{ spark_json_path((path ~ '.id') if path else 'id') }}
        ),
        {{ json_text(column, path) }}
    )
{%- endmacro %}

{#- (element, position) from 1, like PostgreSQL's `with ordinality`; each
    element as JSON text (a string element quoted, so json_text and
    json_id read it as they read a document). No rows when the value is
    missing or not an array (from_json gives null, which posexplode
    skips). -#}
{% macro spark__json_array_elements(column, path) -%}
    lateral (
        select
            exploded.col,
            exploded.pos + 1
        from posexplode(transform(
            from_json({{ json_object(column, path) }}, 'array<variant>'),
            element -> to_json(element)
        )) as exploded (pos, col)
    )
{%- endmacro %}

{#- Spark reads each field of the JSON string directly: the raw view as it
    is, no detour. -#}
{% macro spark__raw_documents(relation, extra_columns) -%}
    select raw_rows.*
    from {{ relation }} as raw_rows
{%- endmacro %}

{#- Epoch seconds as a decimal, so fractions (a load id) stay exact to the
    microsecond. -#}
{% macro spark__epoch_to_timestamp(expression) -%}
    timestamp_seconds(cast({{ expression }} as decimal(20, 6)))
{%- endmacro %}

{% macro spark__load_id_to_timestamp(column) -%}
    timestamp_seconds(cast({{ column }} as decimal(20, 6)))
{%- endmacro %}

{% macro spark__days_between(start_at, end_at) -%}
    (
        cast(
            unix_micros({{ end_at }}) - unix_micros({{ start_at }})
            as decimal(20, 0)
        )
        / cast(86400000000 as decimal(12, 0))
    )
{%- endmacro %}

{#- cents x 10^-exponent as an exact product of narrow decimals (the
    factor has at most 12 decimals), kept at six places when rounded
    (exponents go to 3) and twelve for a decimal minor-unit amount; 14
    integer digits leave room for a rate or a count to multiply it without
    Spark dropping decimals. -#}
{% macro spark__to_major_unit(cents, exponent, rounded) -%}
    {%- set converted -%}
    cast(
        cast({{ cents }} as decimal(26, 12))
        * cast(
            cast(concat('1e-', cast({{ exponent }} as string)) as double)
            as decimal(13, 12)
        )
        as decimal({{ '38, 6' if rounded else '26, 12' }})
    )
    {%- endset -%}
    {{ zero_without_currency(cents, converted, rounded) }}
{%- endmacro %}

{% macro spark__decimal_round(amount, places) -%}
    cast(round({{ amount }}, {{ places }}) as decimal(38, {{ places }}))
{%- endmacro %}

{#- numerator / denominator rounded to `places`: both scaled to integers
    of at most 22 digits (twelve decimals kept), so Spark's quotient keeps
    16 decimals, exact and rounded half away from zero, before the
    rounding to `places`. -#}
{% macro spark__decimal_quotient(numerator, denominator, places) -%}
    {{ decimal_round(
        'cast(cast(' ~ numerator ~ ' as decimal(38, 12)) * 1000000000000'
        ~ ' as decimal(38, 16)) / cast(cast(' ~ denominator
        ~ ' as decimal(38, 12)) * 1000000000000 as decimal(38, 0))',
        places,
    ) }}
{%- endmacro %}

{#- left x right with both narrowed to twelve decimals and values below
    10^12 (an MRR amount, a ratio): Spark's product of two decimal(24, 12)
    keeps thirteen decimals, where two decimal(38, 12) would keep six. -#}
{% macro spark__decimal_product(left, right) -%}
    cast(({{ left }}) as decimal(24, 12)) * cast(({{ right }}) as decimal(24, 12))
{%- endmacro %}

{% macro spark__safe_ratio(numerator, denominator) -%}
    {{ decimal_quotient(numerator, 'nullif(' ~ denominator ~ ', 0)', 6) }}
{%- endmacro %}

{% macro spark__matches_pattern(expression, pattern) -%}
    (({{ expression }}) rlike '(?i){{ pattern }}')
{%- endmacro %}

{#- The session runs in UTC (profiles.yml), so Spark's timestamps are UTC
    instants and their dates UTC dates. -#}
{% macro spark__utc_date(timestamp) -%}
    to_date(from_utc_timestamp({{ timestamp }}, 'UTC'))
{%- endmacro %}

{% macro spark__utc_month(timestamp) -%}
    trunc(to_date(from_utc_timestamp({{ timestamp }}, 'UTC')), 'MM')
{%- endmacro %}

{% macro spark__utc_midnight(date) -%}
    to_utc_timestamp(cast({{ date }} as timestamp), 'UTC')
{%- endmacro %}

{% macro spark__day_series(first_day, after_last_day) -%}
    lateral (
        select cast(exploded.day_at as timestamp)
        from explode(sequence(
            cast({{ first_day }} as date),
            date_sub(cast({{ after_last_day }} as date), 1),
            interval 1 day
        )) as exploded (day_at)
    )
{%- endmacro %}

{#- Values joined by `delimiter` in their own order. -#}
{% macro spark__ordered_string_agg(expression, delimiter) -%}
    array_join(array_sort(collect_list({{ expression }})), '{{ delimiter }}')
{%- endmacro %}

{#- Statistics and indexes are PostgreSQL's: a Parquet table has none. -#}
{% macro spark__analyze_table() -%}
{%- endmacro %}

{% macro spark__unique_index(relation, column) -%}
{%- endmacro %}

{#- Roles, grants and the analyst's masked views are PostgreSQL's: the
    local Spark has no logins, and whoever reads SPARK_DIR reads every
    table. -#}
{% macro spark__create_masked_views() -%}
{%- endmacro %}

{#- The build watermarks (macros/tested_rows.sql) as a Parquet table that
    is appended to, not updated: a model's watermark is its latest row. -#}
{% macro spark__create_build_watermarks() -%}
    {%- set watermarks = build_watermarks_relation() -%}
    {%- do run_query('create schema if not exists ' ~ watermarks.schema) -%}
    create table if not exists {{ watermarks }} (
        model_id string,
        loaded_at timestamp,
        recorded_at timestamp
    ) using parquet
{%- endmacro %}

{% macro spark__upsert_build_watermark(watermarks, model_id, relation) -%}
    insert into {{ watermarks }}
    select
        '{{ model_id }}',
        max(tested.loaded_at),
        current_timestamp()
    from {{ relation }} as tested
    having max(tested.loaded_at) is not null
{%- endmacro %}

{% macro spark__build_watermark(model_id) -%}
    coalesce(
        (
            select max_by(watermarks.loaded_at, watermarks.recorded_at)
            from {{ build_watermarks_relation() }} as watermarks
            where watermarks.model_id = '{{ model_id }}'
        ),
        timestamp '0001-01-01 00:00:00'
    )
{%- endmacro %}

{#- Parquet tables take no UPDATE: the history is rewritten through a
    copy, with the personal columns of erased customers set to null. -#}
{% macro spark__erase_history(history, tagged, erasure_log) -%}
    {%- set copy = history.incorporate(
        path={'identifier': history.identifier ~ '__erased'}
    ) -%}
    {%- set selected = [] -%}
    {%- for column in adapter.get_columns_in_relation(history) -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- if column.name | lower in tagged -%}
            {%- do selected.append(
                'case when customer_id in (select erased.customer_id from '
                ~ erasure_log ~ ' as erased) then null else ' ~ quoted
                ~ ' end as ' ~ quoted
            ) -%}
        {%- else -%}
            {%- do selected.append(quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists ' ~ copy) -%}
    {%- do run_query(
        'create table ' ~ copy ~ ' using parquet as select '
        ~ selected | join(', ') ~ ' from ' ~ history
    ) -%}
    {%- do run_query('insert overwrite table ' ~ history
        ~ ' select * from ' ~ copy) -%}
    {%- do run_query('drop table ' ~ copy) -%}
{%- endmacro %}

{% macro spark__date_part_number(part, date) -%}
    cast(extract(
        {{ 'dayofweek_iso' if part == 'isodow' else part }} from {{ date }}
    ) as int)
{%- endmacro %}

{#- default__fee_detail_cents with Spark's array functions, like the
    tiers below: the type's amounts summed from null, so that a transaction
    with none of them gets null as a sum over no rows does. -#}
{% macro spark__fee_detail_cents(fee_details, fee_type) -%}
    aggregate(
        filter(
            from_json(
                {{ fee_details }}, 'array<struct<type: string, amount: bigint>>'
            ),
            fee -> fee.type = '{{ fee_type }}' and fee.amount is not null
        ),
        cast(null as bigint),
        (total, fee) -> coalesce(total, 0) + fee.amount
    )
{%- endmacro %}

{#- default__tiered_amount_cents with Spark's array functions: Spark
    refuses an aggregate over a correlated subquery that mixes the outer
    quantity with the tiers' columns. Quantities and bounds are integers
    of at most 12 digits and unit amounts have at most 12 decimals, so each
    product is exact. No tiers give null, as a sum over no rows does. -#}
{% macro spark__tiered_amount_cents(tiers, tiers_mode, quantity) -%}
    {%- set tier_type = 'array<struct<up_to: string, unit_amount: string,'
        ~ ' unit_amount_decimal: string, flat_amount: string,'
        ~ ' flat_amount_decimal: string>>' -%}
    {%- set listed = "from_json(" ~ tiers ~ ", '" ~ tier_type ~ "')" -%}
    {%- set units = 'cast(' ~ quantity ~ ' as decimal(12, 0))' -%}
    (
        case
            when size({{ listed }}) > 0 then case {{ tiers_mode }}
                when 'graduated' then aggregate(
                    {{ spark_tiers_bounded(listed) }},
                    cast(0 as decimal(38, 12)),
                    (total, tier) -> cast(
                        total
                        + greatest(
                            least({{ units }}, coalesce(tier.up_to, {{ units }}))
                            - coalesce(tier.previous_up_to, 0),
                            0
                        ) * tier.unit_amount
                        + case
                            when {{ units }} > coalesce(tier.previous_up_to, 0)
                                then tier.flat_amount
                            else 0
                        end
                        as decimal(38, 12)
                    )
                )
                when 'volume' then array_max(transform(
                    {{ spark_tiers_bounded(listed) }},
                    tier -> case
                        when
                            (
                                tier.previous_up_to is null
                                or {{ units }} > tier.previous_up_to
                            )
                            and (
                                tier.up_to is null
                                or {{ units }} <= tier.up_to
                            )
                            then {{ units }} * tier.unit_amount
                            + tier.flat_amount
                    end
                ))
            end
        end
    )
{%- endmacro %}

{#- Each tier with its bounds (the previous tier's up_to) and amounts. -#}
{% macro spark_tiers_bounded(listed) -%}
    transform(
        {{ listed }},
        (tier, position) -> named_struct(
            'up_to', cast(nullif(tier.up_to, 'inf') as decimal(12, 0)),
            'previous_up_to', case
                when position > 0 then cast(
                    nullif(element_at({{ listed }}, position).up_to, 'inf')
                    as decimal(12, 0)
                )
            end,
            'unit_amount', cast(coalesce(
                tier.unit_amount_decimal, tier.unit_amount, '0'
            ) as decimal(24, 12)),
            'flat_amount', cast(coalesce(
                tier.flat_amount_decimal, tier.flat_amount, '0'
            ) as decimal(24, 12))
        )
    )
{%- endmacro %}

{#- Spark SQL has no `not materialized`: it inlines a CTE itself. -#}
{% macro spark__inlined_cte() -%}
{%- endmacro %}
