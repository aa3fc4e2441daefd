{#- Grain: one row per balance transaction (every movement of the Stripe
    balance: charges, refunds, dispute adjustments, payouts, fees), in the
    settlement currency, with the object behind it. -#}
{{ config(
    unique_key='balance_transaction_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
) }}

{#- The charges, refunds and disputes loaded since the last run. -#}
{%- set sources_changed -%}
{{ keys_new_since_last_run(ref('charges'), 'charge_id') }}
union all
{{ keys_new_since_last_run(ref('refunds'), 'refund_id') }}
union all
{{ keys_new_since_last_run(ref('disputes'), 'dispute_id') }}
{%- endset %}

with

balance_transactions as (

    {#- On an incremental run, the transactions that changed and those
        whose charge, refund, dispute or payout did. -#}
    select * from {{ ref('balance_transactions') }}
    where {{ is_changed_key('balance_transaction_id', [
        keys_new_since_last_run(
            ref('balance_transactions'), 'balance_transaction_id'),
        'select balance_transaction_id from ' ~ ref('balance_transactions')
            ~ ' where source_id in (' ~ sources_changed ~ ')',
        'select balance_transaction_id from ' ~ this ~ ' where charge_id in ('
            ~ keys_new_since_last_run(ref('charges'), 'charge_id') ~ ')',
        keys_new_since_last_run(
            ref('payouts'), 'balance_transaction_id',
            'balance_transaction_id is not null'),
    ]) }}

),

charges as (

    select * from {{ ref('charges') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

disputes as (

    select * from {{ ref('disputes') }}

),

payouts as (

    select * from {{ ref('payouts') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

sources_joined as (

    {# The object behind each transaction and the charge behind that: a
        charge is its own, a refund and a dispute name theirs. Each
        transaction's row carries on from here, never joined back to
        balance_transactions: on an incremental run PostgreSQL expects ten
        changed transactions (it cannot know how many keys the filter
        holds), and a join of the changed rows with themselves became a
        nested loop, every row compared with every other (300,000
        customers, 1 % changed: 60,000 rows, 326 s). #}
    select
        balance_transactions.*,
        coalesce(
            source_charges.charge_id,
            refunds.charge_id,
            disputes.charge_id
        ) as charge_id,
        coalesce(
            source_charges.currency, refunds.currency, disputes.currency
        ) as presentment_currency,
        {#- Signed like the transaction: what the customer's side of it
            was, in the charge's currency. -#}
        case
            when source_charges.charge_id is not null
                then source_charges.amount_captured
            when refunds.refund_id is not null then -refunds.amount
            when disputes.dispute_id is not null
                then sign(balance_transactions.amount) * disputes.amount
        end as presentment_amount,
        {#- Stripe's fee_details[] by type, in minor units of the
            transaction's currency. #}
        {%- for fee_type in fee_detail_types() %}
        {{ fee_detail_cents('balance_transactions.fee_details', fee_type) }}
            as {{ fee_type }}_cents,
        {%- endfor %}
        greatest(
            source_charges.loaded_at, refunds.loaded_at, disputes.loaded_at
        ) as sources_loaded_at
    from balance_transactions
    left join charges as source_charges
        on balance_transactions.source_id = source_charges.charge_id
    left join refunds
        on balance_transactions.source_id = refunds.refund_id
    left join disputes
        on balance_transactions.source_id = disputes.dispute_id

),

balance_transactions_joined as (

    select
        sources_joined.balance_transaction_id,
        sources_joined.source_id,
        sources_joined.charge_id,
        case
            when sources_joined.charge_id is not null
                then coalesce(charges.customer_id, 'unknown')
        end as customer_id,
        coalesce(sources_joined.payout_id, payouts.payout_id)
            as payout_id,
        {{ balance_source_type(
            'sources_joined.source_id',
            'sources_joined.balance_transaction_type',
        ) }} as source_type,
        lower(sources_joined.currency) as currency,
        lower(sources_joined.presentment_currency) as presentment_currency,
        sources_joined.balance_transaction_type,
        sources_joined.reporting_category,
        {{ ledger_class('sources_joined.reporting_category') }}
            as ledger_class,
        sources_joined.status,
        sources_joined.amount_cents,
        sources_joined.fee_cents,
        sources_joined.net_cents,
        sources_joined.amount,
        sources_joined.fee,
        sources_joined.net,
        {%- for fee_type in fee_detail_types() %}
        {{ to_major_unit(
            'coalesce(sources_joined.' ~ fee_type ~ '_cents, 0)'
        ) }} as {{ fee_type }}_amount,
        {%- endfor %}
        sources_joined.presentment_amount,
        sources_joined.exchange_rate,
        {{ utc_date('sources_joined.created_at') }} as created_date,
        {{ utc_date('sources_joined.available_at') }}
            as available_on_date,
        sources_joined.created_at,
        sources_joined.available_at,
        greatest(
            sources_joined.loaded_at,
            sources_joined.sources_loaded_at,
            charges.loaded_at,
            payouts.loaded_at
        ) as loaded_at
    from sources_joined
    left join charges
        on sources_joined.charge_id = charges.charge_id
    left join payouts
        on
            sources_joined.balance_transaction_id
            = payouts.balance_transaction_id
    left join currencies
        on lower(sources_joined.currency) = currencies.currency_code
    where
        not sources_joined.is_missing_from_source
        and (
            {{ is_new_since_last_run('sources_joined.loaded_at') }}
            or {{ is_new_since_last_run('sources_joined.sources_loaded_at') }}
            or {{ is_new_since_last_run('charges.loaded_at') }}
            or {{ is_new_since_last_run('payouts.loaded_at') }}
        )

),

final as (

    select
        balance_transactions_joined.*,
        {#- Fees of another type, and a fee Stripe gave no details for, so
            the fee columns always add up to `fee`. -#}
        balance_transactions_joined.fee
        {%- for fee_type in fee_detail_types() %}
        - balance_transactions_joined.{{ fee_type }}_amount
        {%- endfor %} as other_fee_amount,
        {%- for column in ['amount', 'fee', 'net'] %}
        {{ at_reporting_rate('balance_transactions_joined.' ~ column) }}
            as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency
    from balance_transactions_joined
    {{ reporting_rate_join(
        'balance_transactions_joined.currency',
        'balance_transactions_joined.created_date',
    ) }}

)

select * from final
