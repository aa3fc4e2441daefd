{{ config(post_hook=["{{ gin_index('search_vector') }}"]) }}

{#-
    What customers said, one document per statement: the comment and survey
    answer given on canceling a subscription, the merchant's written
    evidence of a dispute, a refund's description; each with its reason.
-#}
with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

disputes as (

    select * from {{ ref('disputes') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

charges as (

    select * from {{ ref('charges') }}

),

cancellations as (

    select
        subscriptions.subscription_id as source_id,
        subscriptions.customer_id,
        'cancellation' as source_type,
        subscriptions.cancellation_feedback as reason,
        replace(subscriptions.cancellation_feedback, '_', ' ') as title,
        subscriptions.cancellation_comment as body,
        coalesce(subscriptions.canceled_at, subscriptions.ended_at)
            as feedback_at
    from subscriptions
    where
        subscriptions.cancellation_feedback is not null
        or subscriptions.cancellation_comment is not null

),

dispute_statements as (

    select
        disputes.dispute_id as source_id,
        charges.customer_id,
        'dispute' as source_type,
        disputes.reason,
        replace(disputes.reason, '_', ' ') as title,
        disputes.evidence_text as body,
        disputes.created_at as feedback_at
    from disputes
    left join charges
        on disputes.charge_id = charges.charge_id
    where disputes.reason is not null or disputes.evidence_text is not null

),

refund_statements as (

    select
        refunds.refund_id as source_id,
        charges.customer_id,
        'refund' as source_type,
        refunds.reason,
        replace(refunds.reason, '_', ' ') as title,
        refunds.description as body,
        refunds.created_at as feedback_at
    from refunds
    left join charges
        on refunds.charge_id = charges.charge_id
    where refunds.reason is not null or refunds.description is not null

),

statements as (

    select * from cancellations
    union all
    select * from dispute_statements
    union all
    select * from refund_statements

),

final as (

    select
        statements.source_id as feedback_id,
        statements.customer_id,
        statements.source_type,
        statements.reason,
        statements.body,
        {{ document_object(
            'schema_version', schema_version('customer_feedback'),
            'feedback_id', 'statements.source_id',
            'source_type', 'statements.source_type',
            'customer_id', 'statements.customer_id',
            'reason', 'statements.reason',
            'text', 'statements.body',
            'feedback_at', 'statements.feedback_at',
        ) }} as document,
        {{ search_vector('statements.title', 'statements.body') }}
            as search_vector,
        statements.feedback_at
    from statements

)

select * from final
