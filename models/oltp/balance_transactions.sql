{#- `source_id` names the object that moved the balance (a charge, refund,
    payout, dispute, ...): polymorphic, so it has no foreign key; the
    objects point here instead. -#}
{{ config(unique_key='balance_transaction_id') }}

with

balance_transactions as (

    select * from {{ ref('stg_stripe__balance_transactions') }}

),

missing_balance_transactions as (

    {{ missing_parents(
        'balance_transaction_id',
        known=[
            ('stg_stripe__balance_transactions', 'balance_transaction_id'),
        ],
        references=[
            {'model': 'stg_stripe__charges', 'key': 'balance_transaction_id',
             'columns': {'currency': 'currency', 'source_id': 'charge_id'}},
            {'model': 'stg_stripe__refunds', 'key': 'balance_transaction_id',
             'columns': {'currency': 'currency', 'source_id': 'refund_id'}},
            {'model': 'stg_stripe__payouts', 'key': 'balance_transaction_id',
             'columns': {'currency': 'currency', 'source_id': 'payout_id'}},
        ],
        columns=['source_id', 'currency'],
    ) }}

),

final as (

    select
        balance_transaction_id,
        source_id,
        payout_id,
        balance_transaction_type,
        reporting_category,
        status,
        currency,
        description,
        fee_details,
        amount_cents,
        amount,
        fee_cents,
        fee,
        net_cents,
        net,
        exchange_rate,
        is_deleted,
        false as is_missing_from_source,
        is_livemode,
        created_at,
        available_at,
        loaded_at
    from balance_transactions
    where {{ is_new_since_last_run() }}

    union all

    select
        {{ placeholder_columns(
            ['balance_transaction_id', 'source_id', 'currency', 'loaded_at'],
            {'is_deleted': 'false', 'is_missing_from_source': 'true'},
        ) }}
    from missing_balance_transactions

)

select * from final
