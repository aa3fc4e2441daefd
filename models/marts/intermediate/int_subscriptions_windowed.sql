{#-
    When each subscription's MRR counts, from its status history: from its
    start, or the end of its trial, until it ended (canceled, or the
    scheduled end of a cancel at period end) or turned unpaid or paused.
    A subscription that is trialing, incomplete or incomplete_expired now
    never counted. The moment it turned unpaid or paused comes from its
    events while Stripe keeps them (30 days), else from the first of its
    invoices left in draft, else from the start of its current period.
    A subscription the API no longer lists (flagged deleted: Stripe keeps
    canceled ones, so its account's data was removed) stops counting when
    the load that found it gone ran (a second before it), at the latest.
-#}
with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

subscription_items as (

    select * from {{ ref('subscription_items') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

events as (

    select * from {{ ref('stg_stripe__events') }}

),

status_changes as (

    select
        object_id as subscription_id,
        {{ json_text('event_object', 'status') }} as status,
        max(created_at) as changed_at
    from events
    where
        object_type = 'subscription'
        and {{ json_text('previous_attributes', 'status') }} is not null
    group by
        object_id,
        {{ json_text('event_object', 'status') }}

),

first_draft_invoices as (

    select
        subscription_id,
        min(created_at) as first_draft_created_at
    from invoices
    where status = 'draft' and subscription_id is not null
    group by subscription_id

),

item_periods as (

    select
        subscription_id,
        max(current_period_start_at) as current_period_start_at
    from subscription_items
    group by subscription_id

),

subscriptions_joined_to_history as (

    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        lower(subscriptions.currency) as currency,
        subscriptions.status,
        subscriptions.is_deleted,
        subscriptions.loaded_at,
        subscriptions.is_cancel_at_period_end,
        coalesce(subscriptions.started_at, subscriptions.created_at)
            as started_at,
        subscriptions.trial_end_at,
        subscriptions.cancel_at,
        coalesce(subscriptions.ended_at, subscriptions.canceled_at)
            as ended_at,
        coalesce(
            status_changes.changed_at,
            first_draft_invoices.first_draft_created_at,
            subscriptions.current_period_start_at,
            item_periods.current_period_start_at,
            subscriptions.loaded_at
        ) as stopped_paying_at
    from subscriptions
    left join status_changes
        on
            subscriptions.subscription_id = status_changes.subscription_id
            and subscriptions.status = status_changes.status
    left join first_draft_invoices
        on
            subscriptions.subscription_id
            = first_draft_invoices.subscription_id
    left join item_periods
        on subscriptions.subscription_id = item_periods.subscription_id
    where not subscriptions.is_missing_from_source

),

final as (

    select
        subscription_id,
        customer_id,
        currency,
        status,
        case
            when status in ('trialing', 'incomplete', 'incomplete_expired')
                then null
            when trial_end_at > started_at then trial_end_at
            else started_at
        end as counts_from_at,
        case
            when status = 'canceled' then coalesce(ended_at, stopped_paying_at)
            when status in ('unpaid', 'paused') then stopped_paying_at
            when is_deleted
                then least(
                    cancel_at, {{ dbt.dateadd('second', -1, 'loaded_at') }}
                )
            else cancel_at
        end as counts_until_at,
        is_cancel_at_period_end
    from subscriptions_joined_to_history

)

select * from final
