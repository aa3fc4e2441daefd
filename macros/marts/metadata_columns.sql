{#-
    Typed columns from Stripe metadata: the keys a company uses as fields
    (plan tier, sales region, account owner) become columns of the marts,
    configured in dbt_project.yml, not written into the models:

        vars:
          metadata_columns:
            customers: [{key: region, type: text},
                        {key: seats, type: integer, name: contracted_seats}]

    One list per entity (customers, charges, invoices, subscriptions); each
    entry names the metadata `key`, its `type` (text, integer, numeric,
    boolean, date or timestamp) and optionally the column `name` (default
    `metadata_<key>`, the key in snake_case). Stripe's metadata values are
    strings; a value that does not read as the type gives null rather than
    failing the build. `metadata_columns(entity, column)` renders the
    columns, each followed by a comma, for a select list; with `column`
    none, typed nulls (the unknown member of a dimension).
-#}

{% macro metadata_column_specs(entity) -%}
    {%- set allowed = [
        'text', 'integer', 'numeric', 'boolean', 'date', 'timestamp',
    ] -%}
    {%- set specs = [] -%}
    {%- for spec in (var('metadata_columns', {}) or {}).get(entity, []) or [] -%}
        {%- if spec.get('key') is none -%}
            {{ exceptions.raise_compiler_error(
                "var metadata_columns." ~ entity ~ ": an entry without `key`: "
                ~ spec) }}
        {%- endif -%}
        {%- set type = spec.get('type', 'text') | lower -%}
        {%- if type not in allowed -%}
            {{ exceptions.raise_compiler_error(
                "var metadata_columns." ~ entity ~ "." ~ spec.key
                ~ ": type " ~ type ~ " is not one of " ~ allowed | join(', ')) }}
        {%- endif -%}
        {%- set slug = modules.re.sub('[^a-z0-9]+', '_', spec.key | lower)
            | trim('_') -%}
        {%- do specs.append({
            'key': spec.key,
            'type': type,
            'name': spec.get('name') or 'metadata_' ~ slug,
        }) -%}
    {%- endfor -%}
    {{ return(specs) }}
{%- endmacro %}

{% macro metadata_columns(entity, column) -%}
    {%- for spec in metadata_column_specs(entity) %}
    {%- if column is none %}
        cast(null as {{ sql_type(spec.type) }}) as {{ spec.name }},
    {%- else %}
        {{ text_as_type(json_text(column, spec.key), spec.type) }}
            as {{ spec.name }},
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A text value read as `type`, null when it does not parse. -#}
{% macro text_as_type(expression, type) -%}
    {{ return(adapter.dispatch('text_as_type')(expression, type)) }}
{%- endmacro %}

{% macro default__text_as_type(expression, type) -%}
    {%- set patterns = {
        'integer': '^\\s*[-+]?[0-9]{1,9}\\s*$',
        'numeric': '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*$',
        'boolean': '^\\s*(true|false|yes|no|1|0)\\s*$',
        'date': '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\\s*$',
        'timestamp': '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?'
            ~ '(Z|[-+][0-9:]+)?\\s*$',
    } -%}
    {%- if type == 'text' -%}
        ({{ expression }})
    {%- elif type == 'timestamp' -%}
        (case
            when {{ matches_pattern(expression, patterns[type]) }}
                then cast(({{ expression }}) as {{ sql_type('timestamptz') }})
        end)
    {%- else -%}
        (case
            when {{ matches_pattern(expression, patterns[type]) }}
                then cast(trim({{ expression }}) as {{ sql_type(type) }})
        end)
    {%- endif -%}
{%- endmacro %}

{#- Whether text matches a regular expression, ignoring case. -#}
{% macro matches_pattern(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(expression, pattern) -%}
    (({{ expression }}) ~* '{{ pattern }}')
{%- endmacro %}
