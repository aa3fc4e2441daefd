{#-
    Model inputs, one document per entity and feature set: `churn` per
    customer, `fraud` per charge, each with its label where it is known.
    Amounts across currencies are compared in the reporting currency.
-#}
{#- Incremental per customer (macros/marts/per_subscription.sql): a run
    writes again the fraud documents of the customers whose charges, their
    disputes or the customer were loaded since its last build (and of
    those a charge left: a guest charge given a customer), and every churn
    document, which is measured at the latest load. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        [
            ('charges', ref('charges'), 'customer_id'),
            ('customers', ref('customers'), 'customer_id'),
            changes_by_join(
                'disputes', ref('disputes'), ref('charges'),
                'changed.charge_id = keyed.charge_id', 'customer_id'),
            changes_by_join(
                'documents', ref('charges'), this,
                \"keyed.feature_id = 'fraud:' || changed.charge_id\",
                'customer_id'),
        ],
        key_column='customer_id',
        rebuilt_always=\"feature_set = 'churn'\",
    ) }}",
    post_hook=[
        "{{ unique_index(this, 'feature_id') }}",
        "{{ per_subscription_record() }}",
    ],
) }}

with

customers as (

    select * from {{ ref('customers') }}

),

charges as (

    select * from {{ ref('charges') }}

),

disputes as (

    select * from {{ ref('disputes') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

mrr as (

    select * from {{ ref('fct_mrr') }}

),

feedback as (

    select * from {{ ref('customer_feedback') }}

),

as_of as (

    select max(customers.loaded_at) as as_of_at from customers

),

latest_month as (

    select max(mrr.month) as month from mrr

),

mrr_by_customer as (

    select
        mrr.customer_id,
        sum(mrr.reporting_mrr_amount) filter (
            where mrr.month = latest_month.month
        ) as mrr_now,
        sum(mrr.reporting_mrr_amount) filter (
            where mrr.month = (
                {{ dbt.dateadd('month', -3, 'latest_month.month') }}
            )
        ) as mrr_three_months_before,
        count(*) filter (where mrr.movement = 'contraction') as downgrade_count,
        count(*) filter (where mrr.movement = 'expansion') as upgrade_count
    from mrr
    cross join latest_month
    group by mrr.customer_id

),

charges_by_customer as (

    select
        charges.customer_id,
        count(*) filter (
            where charges.status = 'failed'
        ) as failed_payment_count,
        count(*) filter (
            where charges.status = 'failed' and charges.created_at > (
                {{ dbt.dateadd('day', -90, 'as_of.as_of_at') }}
            )
        ) as failed_payment_count_90d,
        count(*) filter (where charges.is_disputed) as disputed_charge_count
    from charges
    cross join as_of
    where charges.customer_id is not null
    group by charges.customer_id

),

feedback_by_customer as (

    select
        feedback.customer_id,
        count(*) as feedback_count,
        max(feedback.reason) filter (
            where feedback.source_type = 'cancellation'
        ) as cancellation_feedback
    from feedback
    where feedback.customer_id is not null
    group by feedback.customer_id

),

subscriptions_by_customer as (

    select
        subscriptions.customer_id,
        count(*) as subscription_count,
        count(*) filter (
            where subscriptions.status in ('active', 'past_due', 'trialing')
        ) as live_subscription_count
    from subscriptions
    where subscriptions.customer_id is not null
    group by subscriptions.customer_id

),

churn_features as (

    select
        'churn:' || customers.customer_id as feature_id,
        customers.customer_id as entity_id,
        customers.customer_id,
        'churn' as feature_set,
        {{ document_object(
            'schema_version', schema_version('ml_features'),
            'feature_set', "'churn'",
            'customer_id', 'customers.customer_id',
            'as_of_at', 'as_of.as_of_at',
            'tenure_days',
            "extract(day from as_of.as_of_at - customers.created_at)::integer",
            'mrr_now', 'coalesce(mrr_by_customer.mrr_now, 0)',
            'mrr_three_months_before',
            'coalesce(mrr_by_customer.mrr_three_months_before, 0)',
            'mrr_trend',
            'coalesce(mrr_by_customer.mrr_now, 0)'
            ~ ' - coalesce(mrr_by_customer.mrr_three_months_before, 0)',
            'downgrade_count', 'coalesce(mrr_by_customer.downgrade_count, 0)',
            'upgrade_count', 'coalesce(mrr_by_customer.upgrade_count, 0)',
            'failed_payment_count',
            'coalesce(charges_by_customer.failed_payment_count, 0)',
            'failed_payment_count_90d',
            'coalesce(charges_by_customer.failed_payment_count_90d, 0)',
            'disputed_charge_count',
            'coalesce(charges_by_customer.disputed_charge_count, 0)',
            'feedback_count', 'coalesce(feedback_by_customer.feedback_count, 0)',
            'cancellation_feedback', 'feedback_by_customer.cancellation_feedback',
            'is_delinquent', 'customers.is_delinquent',
            'label_churned',
            'case when subscriptions_by_customer.subscription_count > 0'
            ~ ' then subscriptions_by_customer.live_subscription_count = 0 end',
        ) }} as document,
        as_of.as_of_at as computed_at
    from customers
    cross join as_of
    left join mrr_by_customer
        on customers.customer_id = mrr_by_customer.customer_id
    left join charges_by_customer
        on customers.customer_id = charges_by_customer.customer_id
    left join feedback_by_customer
        on customers.customer_id = feedback_by_customer.customer_id
    left join subscriptions_by_customer
        on customers.customer_id = subscriptions_by_customer.customer_id
    where not customers.is_missing_from_source

),

charge_disputes as (

    select
        disputes.charge_id,
        bool_or(disputes.reason = 'fraudulent') as is_fraud_disputed,
        max(disputes.loaded_at) as loaded_at
    from disputes
    group by disputes.charge_id

),

charges_compared as (

    {#- Every charge of a customer whose documents this run writes: each
        is compared with the customer's others. -#}
    select
        charges.*,
        charge_disputes.is_fraud_disputed,
        avg(charges.amount) over customer_currency as customer_mean_amount,
        stddev_samp(charges.amount) over customer_currency
            as customer_stddev_amount,
        count(*) over (
            partition by charges.customer_id
            order by charges.created_at
            range between interval '24 hours' preceding and current row
        ) - 1 as customer_charges_24h_before,
        {#- The latest load of what the customer's documents read. -#}
        max(greatest(charges.loaded_at, charge_disputes.loaded_at)) over (
            partition by charges.customer_id
        ) as charges_loaded_at
    from charges
    left join charge_disputes
        on charges.charge_id = charge_disputes.charge_id
    where {{ is_changed_subscription('charges.customer_id', with_none=true) }}
    window customer_currency as (
        partition by charges.customer_id, charges.currency
    )

),

fraud_features as (

    select
        'fraud:' || charges_compared.charge_id as feature_id,
        charges_compared.charge_id as entity_id,
        charges_compared.customer_id,
        'fraud' as feature_set,
        {{ document_object(
            'schema_version', schema_version('ml_features'),
            'feature_set', "'fraud'",
            'charge_id', 'charges_compared.charge_id',
            'customer_id', 'charges_compared.customer_id',
            'created_at', 'charges_compared.created_at',
            'amount', 'charges_compared.amount',
            'currency', 'charges_compared.currency',
            'amount_zscore',
            '(charges_compared.amount - charges_compared.customer_mean_amount)'
            ~ ' / nullif(charges_compared.customer_stddev_amount, 0)',
            'card_country', 'charges_compared.card_country',
            'customer_country', 'customers.country',
            'is_country_mismatch',
            'charges_compared.card_country <> customers.country',
            'risk_score', 'charges_compared.risk_score',
            'risk_level', 'charges_compared.risk_level',
            'customer_charges_24h_before',
            'charges_compared.customer_charges_24h_before',
            'card_funding', 'charges_compared.card_funding',
            'label_fraud',
            'case when charges_compared.is_fraud_disputed'
            ~ " or charges_compared.stripe_fraud_report = 'fraudulent'"
            ~ " or charges_compared.user_fraud_report = 'fraudulent' then true"
            ~ ' when charges_compared.is_paid then false end',
        ) }} as document,
        greatest(charges_compared.charges_loaded_at, customers.loaded_at)
            as computed_at
    from charges_compared
    left join customers
        on charges_compared.customer_id = customers.customer_id

),

final as (

    select * from churn_features
    union all
    select * from fraud_features

)

select * from final
