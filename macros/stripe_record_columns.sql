{#-
    The columns every staging model ends with: deletion and mode flags, the
    API version the object was read at, its creation time and the load it
    came in (the watermark of the incremental OLTP models).
-#}
{% macro stripe_record_columns(relation='source') -%}
    coalesce(
        {{ relation }}.is_deleted
        or {{ json_bool(relation ~ '.data', 'deleted') }},
        {{ relation }}.is_deleted,
        false
    ) as is_deleted,
    {{ relation }}.livemode as is_livemode,
    {{ relation }}.api_version,
    {{ relation }}._dlt_load_id as load_id,
    {{ epoch_to_timestamp(relation ~ '.created') }} as created_at,
    {{ load_id_to_timestamp(relation ~ '._dlt_load_id') }} as loaded_at
{%- endmacro %}
