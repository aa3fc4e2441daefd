{#- Grain: one row per UTC day and presentment currency (the charge's)
    with any charge, refund or dispute. What customers paid; no fees, which
    are charged in the settlement currency: metrics_balance_daily has them
    (rules in docs/metrics.md, "Revenue and the balance ledger"). -#}
{%- set money = [
    'gross_captured_amount', 'refunded_amount', 'disputes_lost_amount',
    'net_sales_amount',
] -%}

with

fct_charges as (

    select * from {{ ref('fct_charges') }}

),

fct_refunds as (

    select * from {{ ref('fct_refunds') }}

),

fct_disputes as (

    select * from {{ ref('fct_disputes') }}

),

daily_parts as (

    select
        created_date as date_day,
        currency,
        case when status = 'succeeded' then amount_captured else 0 end
            as gross_captured_amount,
        0 as refunded_amount,
        0 as disputes_lost_amount,
        1 as charge_count,
        case when is_failed then 1 else 0 end as failed_charge_count,
        case when status = 'succeeded' then 1 else 0 end
            as succeeded_charge_count,
        0 as refund_count,
        0 as dispute_count
    from fct_charges

    union all

    select
        created_date as date_day,
        currency,
        0 as gross_captured_amount,
        case when status = 'succeeded' then amount else 0 end
            as refunded_amount,
        0 as disputes_lost_amount,
        0 as charge_count,
        0 as failed_charge_count,
        0 as succeeded_charge_count,
        1 as refund_count,
        0 as dispute_count
    from fct_refunds

    union all

    select
        created_date as date_day,
        currency,
        0 as gross_captured_amount,
        0 as refunded_amount,
        case when is_lost then amount else 0 end as disputes_lost_amount,
        0 as charge_count,
        0 as failed_charge_count,
        0 as succeeded_charge_count,
        0 as refund_count,
        1 as dispute_count
    from fct_disputes

),

daily_summed as (

    select
        date_day,
        currency,
        sum(gross_captured_amount) as gross_captured_amount,
        sum(refunded_amount) as refunded_amount,
        sum(disputes_lost_amount) as disputes_lost_amount,
        sum(gross_captured_amount) - sum(refunded_amount)
        - sum(disputes_lost_amount) as net_sales_amount,
        sum(charge_count) as charge_count,
        sum(succeeded_charge_count) as succeeded_charge_count,
        sum(failed_charge_count) as failed_charge_count,
        sum(refund_count) as refund_count,
        sum(dispute_count) as dispute_count
    from daily_parts
    group by date_day, currency

),

final as (

    select
        daily_summed.currency,
        {%- for column in money %}
        daily_summed.{{ column }},
        {%- endfor %}
        {%- for column in money %}
        {{ to_reporting_currency(
            'daily_summed.' ~ column,
            'daily_summed.currency',
            'daily_summed.date_day',
        ) }} as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        daily_summed.charge_count,
        daily_summed.succeeded_charge_count,
        daily_summed.failed_charge_count,
        daily_summed.refund_count,
        daily_summed.dispute_count,
        daily_summed.date_day
    from daily_summed

)

select * from final
