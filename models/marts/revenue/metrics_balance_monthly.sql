{#- Grain: one row per UTC month and settlement currency: the month's sums
    of metrics_balance_daily and the balance at the month's last day. -#}
{%- set flows = [
    'sales_amount', 'refunds_amount', 'disputes_amount', 'other_amount',
    'fee_amount', 'net_activity_amount', 'payouts_amount',
    'payout_fee_amount', 'sales_count', 'refunds_count', 'disputes_count',
    'other_count', 'payouts_count', 'balance_transaction_count',
] -%}

with

metrics_balance_daily as (

    select * from {{ ref('metrics_balance_daily') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

days_ranked as (

    select
        metrics_balance_daily.*,
        dim_date.month_start_date,
        row_number() over (
            partition by
                metrics_balance_daily.currency, dim_date.month_start_date
            order by metrics_balance_daily.date_day desc
        ) as day_from_end
    from metrics_balance_daily
    inner join dim_date
        on metrics_balance_daily.date_day = dim_date.date_day

),

final as (

    select
        currency,
        {%- for column in flows %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        max(case when day_from_end = 1 then balance_amount end)
            as balance_amount,
        month_start_date as month
    from days_ranked
    group by currency, month_start_date

)

select * from final
