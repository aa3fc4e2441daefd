{#-
    The events of subscriptions, each as Stripe sent it: the object after
    the change and the attributes it had before. The status history, the
    forever discounts and the subscription items read a subscription's
    events from here, by subscription, instead of parsing every event's
    document again: 5 % of the events are a subscription's, and reading
    the event log's view in full took each of them seconds a build at
    100,000 customers. Incremental (merged on the event) where the engine
    merges (dbt_project.yml): a run adds the events loaded since the last;
    an erased customer's are loaded again, rewritten.
-#}
{{ config(
    unique_key='event_id',
    incremental_strategy='merge',
    indexes=[{'columns': ['subscription_id']}],
) }}

with

events as (

    select * from {{ ref('stg_stripe__events') }}
    where {{ is_new_since_last_run() }}

),

final as (

    select
        event_id,
        object_id as subscription_id,
        event_type,
        created_at,
        event_object,
        previous_attributes,
        loaded_at
    from events
    where object_type = 'subscription'

)

select * from final
