{#- Grain: one row per UTC day and settlement currency, every day from the
    currency's first balance transaction to the ledger's last day (days
    without a transaction carry the balance forward). Rules: docs/metrics.md,
    "What reached the balance". -#}
{%- set classes = ['sales', 'refunds', 'disputes', 'other', 'payouts'] -%}

with

fct_balance_transactions as (

    select * from {{ ref('fct_balance_transactions') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

transactions_summed as (

    select
        created_date as date_day,
        currency,
        {%- for class in classes %}
        sum(case when ledger_class = '{{ class }}' then amount else 0 end)
            as {{ class }}_amount,
        {%- endfor %}
        sum(case when ledger_class <> 'payouts' then fee else 0 end)
            as fee_amount,
        sum(case when ledger_class = 'payouts' then fee else 0 end)
            as payout_fee_amount,
        sum(case when ledger_class <> 'payouts' then net else 0 end)
            as net_activity_amount,
        sum(net) as net_amount,
        {%- for class in classes %}
        sum(case when ledger_class = '{{ class }}' then 1 else 0 end)
            as {{ class }}_count,
        {%- endfor %}
        count(*) as balance_transaction_count
    from fct_balance_transactions
    group by created_date, currency

),

ledger_end as (

    select max(date_day) as last_day
    from transactions_summed

),

currency_spans as (

    select
        transactions_summed.currency,
        min(transactions_summed.date_day) as first_day,
        max(ledger_end.last_day) as last_day
    from transactions_summed
    cross join ledger_end
    group by transactions_summed.currency

),

days_spanned as (

    select
        dim_date.date_day,
        currency_spans.currency
    from currency_spans
    inner join dim_date
        on
            currency_spans.first_day <= dim_date.date_day
            and currency_spans.last_day >= dim_date.date_day

),

days_joined_to_transactions as (

    select
        days_spanned.date_day,
        days_spanned.currency,
        {%- for class in classes %}
        coalesce(transactions_summed.{{ class }}_amount, 0)
            as {{ class }}_amount,
        {%- endfor %}
        coalesce(transactions_summed.fee_amount, 0) as fee_amount,
        coalesce(transactions_summed.payout_fee_amount, 0)
            as payout_fee_amount,
        coalesce(transactions_summed.net_activity_amount, 0)
            as net_activity_amount,
        coalesce(transactions_summed.net_amount, 0) as net_amount,
        {%- for class in classes %}
        coalesce(transactions_summed.{{ class }}_count, 0)
            as {{ class }}_count,
        {%- endfor %}
        coalesce(transactions_summed.balance_transaction_count, 0)
            as balance_transaction_count
    from days_spanned
    left join transactions_summed
        on
            days_spanned.date_day = transactions_summed.date_day
            and days_spanned.currency = transactions_summed.currency

),

final as (

    select
        currency,
        sales_amount,
        refunds_amount,
        disputes_amount,
        other_amount,
        fee_amount,
        net_activity_amount,
        payouts_amount,
        payout_fee_amount,
        sum(net_amount) over (
            partition by currency
            order by date_day
            rows between unbounded preceding and current row
        ) as balance_amount,
        sales_count,
        refunds_count,
        disputes_count,
        other_count,
        payouts_count,
        balance_transaction_count,
        date_day
    from days_joined_to_transactions

)

select * from final
