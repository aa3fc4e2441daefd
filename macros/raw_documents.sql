{#-
    The rows of a raw table with each object's document read once. Every
    staging view reads dozens of fields from `data`; PostgreSQL decompresses
    a large (toasted) jsonb value again for every field it reads from it, so
    a view over invoices spent most of its time decompressing. Here the
    document is decompressed once per row, in a one-row lateral subquery
    (an aggregate, so PostgreSQL can prove it is one row and drops the join
    when a query reads no field of the document, such as a key test).
    7x faster on a full read of the invoices; filters on the raw columns
    (the incremental watermark) still reach the table scan.
    `columns` are the raw contract's columns besides `data`; child tables
    add `parent_id`.
-#}
{% macro raw_documents(relation, extra_columns=[]) -%}
    {{ return(adapter.dispatch('raw_documents')(relation, extra_columns)) }}
{%- endmacro %}

{% macro default__raw_documents(relation, extra_columns) -%}
    {%- set columns = [
        'id', 'object', 'created', 'livemode', 'is_deleted', 'api_version',
        '_dlt_load_id', '_dlt_id',
    ] + extra_columns -%}
    select
        {%- for column in columns %}
        raw_rows.{{ column }},
        {%- endfor %}
        documents.data
    from {{ relation }} as raw_rows
    left join lateral (
        select (array_agg(decompressed.data))[1] as data
        from (select raw_rows.data || '{}'::jsonb as data) as decompressed
    ) as documents on true
{%- endmacro %}
