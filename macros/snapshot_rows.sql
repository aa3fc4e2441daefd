{#-
    The rows a snapshot compares with its current versions. On its first
    run, every row of `relation`; after it, those loaded after the load of
    its newest version. A build runs after the loads it reads have
    finished, and load times only grow, so every row loaded up to then was
    read by the run that wrote that version, or by one before it, and
    compared then; a row loaded since may differ. The rows the query
    leaves out are only left alone: the snapshots keep a version that is
    missing from their query (no hard deletes; a deleted object is a row
    flagged is_deleted). The watermark is a literal, so the staging view
    reads its raw table through the index on the load time
    (`timestamp_literal_of`). An unchanged object loaded again is read
    again until a newer version is written, and then adds nothing.
-#}
{% macro snapshot_rows(relation) -%}
    select * from {{ relation }}
    {%- if execute and load_relation(this) is not none %}
    where {{ is_loaded_after_latest_of(this) }}
    {%- endif %}
{%- endmacro %}
