{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='merge',
    uncompressed_columns=['document'],
    post_hook="{{ unique_index(this, 'event_id') }}",
    indexes=[
        {'columns': ['object_id', 'occurred_at']},
        {'columns': ['event_type', 'occurred_at']},
    ],
) }}

with

events as (

    select * from {{ ref('stg_stripe__events') }}

),

final as (

    select
        events.event_id,
        events.object_id,
        events.object_type,
        events.event_type,
        {{ document_object(
            'schema_version', schema_version('event_log'),
            'event_id', 'events.event_id',
            'type', 'events.event_type',
            'object_type', 'events.object_type',
            'object_id', 'events.object_id',
            'occurred_at', 'events.created_at',
            'request_id', 'events.request_id',
            'api_version', 'events.event_api_version',
            'object', 'events.event_object',
            'previous_attributes', 'events.previous_attributes',
        ) }} as document,
        events.created_at as occurred_at,
        events.loaded_at
    from events
    where {{ is_new_since_last_run('events.loaded_at') }}

)

select * from final
