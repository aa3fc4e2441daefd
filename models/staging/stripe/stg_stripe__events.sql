with

source as (

    {{ raw_documents(source('stripe', 'events')) }}

),

final as (

    select
        source.id as event_id,
        {{ json_text('data', 'data.object.id') }} as object_id,
        {{ json_text('data', 'type') }} as event_type,
        {{ json_text('data', 'data.object.object') }} as object_type,
        {{ json_text('data', 'request.id') }} as request_id,
        -- The version the event was rendered in, which is its creation's.
        {{ json_text('data', 'api_version') }} as event_api_version,
        {{ json_object('data', 'data.object') }} as event_object,
        {{ json_object('data', 'data.previous_attributes') }}
            as previous_attributes,
        {{ json_bigint('data', 'pending_webhooks') }} as pending_webhooks,
        {{ stripe_record_columns() }}
    from source

)

select * from final
