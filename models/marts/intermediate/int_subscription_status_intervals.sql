{#-
    The status history of each subscription as intervals (docs/metrics.md,
    "Status over time"). Every source of a status at an instant becomes a
    change point; the points are ordered in time, a point that repeats the
    status before it is dropped, and each remaining point holds until the
    next one.
    Sources, first wins at the same instant:
    1. events while Stripe keeps them: the status an update set, at its
       time (an update that changed `status` or `pause_collection`);
    2. the subscription's own times: its start (trialing when a trial
       follows, incomplete when its first invoice was paid later), the
       trial's end, the end (`ended_at`, else `canceled_at`), a scheduled
       `cancel_at`;
    3. the snapshot versions (from the first load on) and the current row:
       the status each load saw, at that load;
    4. invoices, only before the first load or event saw the subscription:
       an incomplete one turned active when its first invoice was paid;
       one unpaid (or canceled) now turned unpaid at its first invoice left
       in draft after a failed payment, else (no draft) at the
       finalization of its last invoice when that is still open after
       failed payments (the retries ended some time after; when, nothing
       kept), unless an event shows it active or past_due until later.
    Paused collection (`pause_collection` set) counts as paused whatever the
    status says. canceled and incomplete_expired are final: nothing after
    the first of them counts (a load that still saw a subscription active
    after its scheduled `cancel_at` saw it stale). A subscription the API
    no longer lists (flagged deleted) is canceled from a second before the
    load that found it gone.
-#}

{#- Stored, not a view: several models and tests read it, and each
    reading of a view runs its whole query again. Incremental per
    subscription where the engine merges (macros/marts/per_subscription.sql):
    a run rebuilds the subscriptions whose row, snapshot versions, invoices
    or events were loaded since its last build. -#}
{{ config(
    materialized=per_subscription_materialization(),
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare([
        ('subscriptions', ref('subscriptions'), 'subscription_id'),
        ('snapshot', ref('subscriptions_snapshot'), 'subscription_id'),
        ('invoices', ref('invoices'), 'subscription_id'),
        ('events', ref('int_subscription_events'), 'subscription_id'),
    ]) }}",
    post_hook="{{ per_subscription_record() }}",
) }}

{#- Paused collection leaves the status active or past_due: it counts as
    paused. -#}
{%- set status_or_paused -%}
    case
        when
            pause_collection_behavior is not null
            and status in ('active', 'past_due')
            then 'paused'
        else status
    end
{%- endset %}

with

subscriptions as (

    select * from {{ ref('subscriptions') }}
    where {{ is_changed_subscription('subscription_id') }}

),

subscriptions_snapshot as (

    select * from {{ ref('subscriptions_snapshot') }}
    where {{ is_changed_subscription('subscription_id') }}

),

invoices as (

    select * from {{ ref('invoices') }}
    where {{ is_changed_subscription('subscription_id') }}

),

events as (

    select * from {{ ref('int_subscription_events') }}
    where {{ is_changed_subscription('subscription_id') }}

),

known_subscriptions as (

    select
        subscriptions.subscription_id,
        subscriptions.status,
        subscriptions.collection_method,
        subscriptions.pause_collection_behavior,
        subscriptions.is_deleted,
        coalesce(subscriptions.started_at, subscriptions.created_at)
            as started_at,
        subscriptions.trial_end_at,
        subscriptions.current_period_start_at,
        subscriptions.cancel_at,
        subscriptions.canceled_at,
        subscriptions.ended_at,
        subscriptions.pause_resumes_at,
        subscriptions.loaded_at
    from subscriptions
    where not subscriptions.is_missing_from_source

),

status_events as (

    select
        subscription_id,
        {{ json_text('event_object', 'status') }} as status,
        {{ json_text('event_object', 'pause_collection.behavior') }}
            as pause_collection_behavior,
        {{ json_text('previous_attributes', 'status') }} as previous_status,
        created_at as changed_at
    from events
    where
        {{ json_text('previous_attributes', 'status') }} is not null
        or {{ json_object('previous_attributes', 'pause_collection') }}
        is not null

),

first_invoices as (

    select
        subscription_id,
        min(paid_at) filter (where is_first) as first_paid_at,
        bool_or(
            is_first and paid_at is null and status <> 'paid'
        ) as is_first_unpaid
    from (
        select
            subscription_id,
            status,
            paid_at,
            row_number() over (
                partition by subscription_id
                order by created_at, invoice_id
            ) = 1 as is_first
        from invoices
        where subscription_id is not null and created_at is not null
    ) as invoices_ordered
    group by subscription_id

),

first_failed_payments as (

    select
        subscription_id,
        min(created_at) as failed_invoice_created_at
    from invoices
    where
        subscription_id is not null
        and attempt_count > 0
        and (status in ('open', 'uncollectible', 'void') or attempt_count > 1)
    group by subscription_id

),

drafts_left_after_failures as (

    select
        invoices.subscription_id,
        min(invoices.created_at) as unpaid_from_at
    from invoices
    inner join first_failed_payments
        on invoices.subscription_id = first_failed_payments.subscription_id
    where
        invoices.status = 'draft'
        and invoices.created_at
        > first_failed_payments.failed_invoice_created_at
    group by invoices.subscription_id

),

last_invoices_left_open as (

    {#- The subscription's last finalized invoice, when it is still open
        after failed payments: its retries turned the subscription unpaid
        at some moment after its first attempt, which nothing else dates
        once the events are gone; its finalization (the first attempt),
        else its creation, is the one instant known. -#}
    select
        subscription_id,
        coalesce(finalized_at, created_at) as unpaid_from_at
    from (
        select
            subscription_id,
            status,
            attempt_count,
            created_at,
            finalized_at,
            row_number() over (
                partition by subscription_id
                order by created_at desc, invoice_id desc
            ) as invoice_rank
        from invoices
        where
            subscription_id is not null
            and created_at is not null
            and status <> 'draft'
    ) as invoices_ranked
    where invoice_rank = 1 and status = 'open' and attempt_count > 0

),

counting_until_events as (

    {#- The last event that left a counting status: the subscription was
        active or past_due until then, whatever the invoices suggest. -#}
    select
        subscription_id,
        max(changed_at) as counted_until_at
    from status_events
    where previous_status in ('active', 'past_due')
    group by subscription_id

),

unpaid_moments as (

    {#- The first draft left after a failure, else the last invoice left
        open. -#}
    select
        coalesce(
            drafts_left_after_failures.subscription_id,
            last_invoices_left_open.subscription_id
        ) as subscription_id,
        coalesce(
            drafts_left_after_failures.unpaid_from_at,
            last_invoices_left_open.unpaid_from_at
        ) as unpaid_from_at
    from drafts_left_after_failures
    full outer join last_invoices_left_open
        on
            drafts_left_after_failures.subscription_id
            = last_invoices_left_open.subscription_id

),

first_observations as (

    select
        subscription_id,
        min(observed_at) as first_observed_at
    from (
        select
            subscription_id,
            loaded_at as observed_at
        from subscriptions_snapshot
        union all
        select
            subscription_id,
            loaded_at as observed_at
        from known_subscriptions
        union all
        select
            subscription_id,
            changed_at as observed_at
        from status_events
    ) as observations
    group by subscription_id

),

starts_dated as (

    select
        known_subscriptions.*,
        first_invoices.first_paid_at,
        case
            when
                known_subscriptions.trial_end_at
                > known_subscriptions.started_at
                then 'trialing'
            when known_subscriptions.status in (
                'incomplete', 'incomplete_expired'
            ) then 'incomplete'
            when
                coalesce(
                    known_subscriptions.collection_method,
                    'charge_automatically'
                ) = 'charge_automatically'
                and (
                    first_invoices.first_paid_at
                    > known_subscriptions.started_at
                    or first_invoices.is_first_unpaid
                )
                then 'incomplete'
            else 'active'
        end as start_status
    from known_subscriptions
    left join first_invoices
        on known_subscriptions.subscription_id = first_invoices.subscription_id

),

change_points as (

    -- 1: events
    select
        subscription_id,
        {{ status_or_paused }} as status,
        'event' as dated_by,
        1 as source_rank,
        changed_at
    from status_events

    -- 2: the subscription's own times
    union all

    select
        subscription_id,
        start_status as status,
        'subscription' as dated_by,
        2 as source_rank,
        started_at as changed_at
    from starts_dated

    union all

    select
        subscription_id,
        case when status = 'paused' then 'paused' else 'active' end as status,
        'subscription' as dated_by,
        2 as source_rank,
        trial_end_at as changed_at
    from starts_dated
    where
        start_status = 'trialing'
        and (ended_at is null or ended_at > trial_end_at)

    union all

    select
        subscription_id,
        case
            when status = 'incomplete_expired' then status else 'canceled'
        end as status,
        'subscription' as dated_by,
        2 as source_rank,
        coalesce(ended_at, canceled_at) as changed_at
    from starts_dated
    where
        ended_at is not null
        or (
            status in ('canceled', 'incomplete_expired')
            and canceled_at is not null
        )

    union all

    select
        subscription_id,
        'canceled' as status,
        'subscription' as dated_by,
        2 as source_rank,
        cancel_at as changed_at
    from starts_dated
    where cancel_at is not null and ended_at is null

    union all

    -- Paused collection now: from the start of the period it paused (no
    -- event left to date it), until it resumes.
    select
        subscription_id,
        'paused' as status,
        'subscription' as dated_by,
        2 as source_rank,
        current_period_start_at as changed_at
    from starts_dated
    where
        pause_collection_behavior is not null
        and status in ('active', 'past_due')
        and current_period_start_at is not null

    union all

    select
        subscription_id,
        status,
        'subscription' as dated_by,
        2 as source_rank,
        pause_resumes_at as changed_at
    from starts_dated
    where
        pause_collection_behavior is not null
        and status in ('active', 'past_due')
        and pause_resumes_at is not null

    -- 3: what the loads saw: the snapshot versions and the current row
    {%- for relation in ['subscriptions_snapshot', 'starts_dated'] %}
    union all

    select
        subscription_id,
        case
            when is_deleted then 'canceled'
            else {{ status_or_paused }}
        end as status,
        'snapshot' as dated_by,
        3 as source_rank,
        case
            when is_deleted then {{ dbt.dateadd('second', -1, 'loaded_at') }}
            else loaded_at
        end as changed_at
    from {{ relation }}
    where status is not null
    {% endfor %}
    -- 4: invoice evidence, before anything saw the subscription
    union all

    select
        starts_dated.subscription_id,
        'active' as status,
        'invoice' as dated_by,
        4 as source_rank,
        starts_dated.first_paid_at as changed_at
    from starts_dated
    inner join first_observations
        on starts_dated.subscription_id = first_observations.subscription_id
    where
        starts_dated.start_status = 'incomplete'
        and starts_dated.first_paid_at < first_observations.first_observed_at

    union all

    select
        starts_dated.subscription_id,
        'unpaid' as status,
        'invoice' as dated_by,
        4 as source_rank,
        unpaid_moments.unpaid_from_at as changed_at
    from starts_dated
    inner join unpaid_moments
        on starts_dated.subscription_id = unpaid_moments.subscription_id
    inner join first_observations
        on starts_dated.subscription_id = first_observations.subscription_id
    left join counting_until_events
        on
            starts_dated.subscription_id
            = counting_until_events.subscription_id
    where
        starts_dated.status in ('unpaid', 'canceled')
        and unpaid_moments.unpaid_from_at
        < first_observations.first_observed_at
        and (
            counting_until_events.counted_until_at is null
            or unpaid_moments.unpaid_from_at
            > counting_until_events.counted_until_at
        )
        and unpaid_moments.unpaid_from_at < coalesce(
            starts_dated.ended_at,
            starts_dated.canceled_at,
            first_observations.first_observed_at
        )

),

points_deduplicated as (

    {#- One status per instant: the first source wins. -#}
    select
        subscription_id,
        status,
        dated_by,
        changed_at,
        row_number() over (
            partition by subscription_id, changed_at
            order by source_rank, status
        ) as instant_rank
    from change_points
    where changed_at is not null and status is not null

),

points_before_the_end as (

    {#- canceled and incomplete_expired are final in Stripe: what a load
        saw after a scheduled cancellation passed is stale. -#}
    select
        *,
        min(
            case
                when status in ('canceled', 'incomplete_expired')
                    then changed_at
            end
        ) over (partition by subscription_id) as ended_at
    from points_deduplicated
    where instant_rank = 1

),

points_compared as (

    select
        subscription_id,
        status,
        dated_by,
        changed_at,
        lag(status) over (
            partition by subscription_id order by changed_at
        ) as previous_status
    from points_before_the_end
    where ended_at is null or changed_at <= ended_at

),

final as (

    select
        subscription_id,
        status,
        dated_by,
        status in ('active', 'past_due') as is_counted,
        changed_at as valid_from_at,
        lead(changed_at) over (
            partition by subscription_id order by changed_at
        ) as valid_until_at
    from points_compared
    where previous_status is null or previous_status <> status

)

select * from final
