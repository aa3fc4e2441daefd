{#-
    The document layer's engine-specific pieces: JSON documents built from
    columns, arrays aggregated into them, full-text vectors and GIN
    indexes. PostgreSQL's jsonb and tsvector here; another engine is one
    `<adapter>__` macro away.
-#}

{#- A JSON object from alternating key, expression arguments. -#}
{% macro document_object() -%}
    {{ return(adapter.dispatch('document_object')(varargs)) }}
{%- endmacro %}

{% macro default__document_object(pairs) -%}
    jsonb_build_object(
        {%- for index in range(0, pairs | length, 2) %}
        '{{ pairs[index] }}', {{ pairs[index + 1] }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- The objects of a group as one JSON array ([] for none), in order. -#}
{% macro document_array(expression, order_by) -%}
    {{ return(adapter.dispatch('document_array')(expression, order_by)) }}
{%- endmacro %}

{% macro default__document_array(expression, order_by) -%}
    coalesce(jsonb_agg({{ expression }} order by {{ order_by }}), '[]'::jsonb)
{%- endmacro %}

{#- A weighted search vector: the title-like part ranks above the body. -#}
{% macro search_vector(title, body) -%}
    {{ return(adapter.dispatch('search_vector')(title, body)) }}
{%- endmacro %}

{% macro default__search_vector(title, body) -%}
    setweight(to_tsvector('english', coalesce({{ title }}, '')), 'A')
    || setweight(to_tsvector('english', coalesce({{ body }}, '')), 'B')
{%- endmacro %}

{#-
    Post-hook: a GIN index on a jsonb document (jsonb_path_ops: containment
    and SQL/JSON path queries) or a tsvector, made where the table has none
    (macros/oltp.sql, ensure_index).
-#}
{% macro gin_index(column, opclass='') -%}
    {{ return(adapter.dispatch('gin_index')(column, opclass)) }}
{%- endmacro %}

{% macro default__gin_index(column, opclass) -%}
    {{ ensure_index(
        this, column ~ '_gin', (column ~ ' ' ~ opclass) | trim, using='gin'
    ) }}
{%- endmacro %}

{#- The written parts of a dispute's evidence, joined (null when none). -#}
{% macro dispute_evidence_text(column) -%}
    {{ return(adapter.dispatch('dispute_evidence_text')(column)) }}
{%- endmacro %}

{% macro default__dispute_evidence_text(column) -%}
    nullif(concat_ws(
        ' ',
        {%- for field in [
            'uncategorized_text', 'product_description',
            'cancellation_rebuttal', 'refund_refusal_explanation',
            'duplicate_charge_explanation',
        ] %}
        {{ json_text(column, 'evidence.' ~ field) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ), '')
{%- endmacro %}

{#- The collection's schema_version (var document_schema_versions). -#}
{% macro schema_version(collection) -%}
    {{ var('document_schema_versions')[collection] }}
{%- endmacro %}

{#- The inputs of customer_profiles that an incremental run compares by
    fingerprint, per customer: the items it lists with their prices, the
    status intervals, the payment methods (one detached names no customer
    any more, so only the fingerprint of its former customer's list shows
    it leaving) and the lifetime figures. -#}
{% macro customer_profile_lookups() -%}
    {%- set customers = ref('customers') -%}
    {%- set subscriptions = ref('subscriptions') -%}
    {%- set items -%}
        select
            subscriptions.customer_id,
            {{ row_fingerprint([
                'items.subscription_id', 'items.subscription_item_id',
                'items.price_id', 'items.quantity', 'items.created_at',
                'items.is_deleted', 'prices.unit_amount', 'prices.currency',
                'prices.recurring_interval', 'prices.recurring_interval_count',
            ]) }} as row_hash
        from {{ ref('subscription_items') }} as items
        inner join {{ subscriptions }} as subscriptions
            on items.subscription_id = subscriptions.subscription_id
        left join {{ ref('prices') }} as prices
            on items.price_id = prices.price_id
    {%- endset -%}
    {%- set intervals -%}
        select
            subscriptions.customer_id,
            {{ row_fingerprint([
                'intervals.subscription_id', 'intervals.status',
                'intervals.valid_from_at', 'intervals.valid_until_at',
            ]) }} as row_hash
        from {{ ref('int_subscription_status_intervals') }} as intervals
        inner join {{ subscriptions }} as subscriptions
            on intervals.subscription_id = subscriptions.subscription_id
    {%- endset -%}
    {%- set payment_methods -%}
        select
            customer_id,
            {{ row_fingerprint([
                'payment_method_id', 'payment_method_type', 'card_brand',
                'card_last4', 'card_country', 'created_at', 'is_deleted',
            ]) }} as row_hash
        from {{ ref('payment_methods') }}
        where customer_id is not null
    {%- endset -%}
    {%- set lifetime -%}
        select
            customer_id,
            {{ row_fingerprint([
                'currency', 'charge_count', 'failed_charge_count',
                'gross_captured_amount', 'refunded_amount',
                'disputes_lost_amount', 'net_sales_amount', 'dispute_count',
                'first_charge_at', 'last_charge_at', 'mrr_amount',
            ]) }} as row_hash
        from {{ ref('metrics_customer_lifetime') }}
    {%- endset -%}
    {{ return([
        fingerprint_lookup('items', items, 'customer_id', customers),
        fingerprint_lookup('status_intervals', intervals, 'customer_id', customers),
        fingerprint_lookup('payment_methods', payment_methods, 'customer_id', customers),
        fingerprint_lookup('lifetime', lifetime, 'customer_id', customers),
    ]) }}
{%- endmacro %}
