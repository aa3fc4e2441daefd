{#- Grain: one row per month and currency, every month from the currency's
    first MRR to the latest load, so the next month's starting MRR is always
    this month's ending MRR. -#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

months as (

    select * from {{ ref('int_mrr_months') }}

),

currency_first_months as (

    select
        currency,
        min(month) as first_month_date
    from fct_mrr
    group by currency

),

months_per_currency as (

    select
        currency_first_months.currency,
        months.month_start_date,
        months.measured_on_date
    from currency_first_months
    inner join months
        on currency_first_months.first_month_date <= months.month_start_date

),

movements_summed as (

    select
        currency,
        month,
        sum(previous_mrr_amount) as starting_mrr_amount,
        sum(case when movement = 'new' then mrr_change_amount else 0 end)
            as new_mrr_amount,
        sum(
            case when movement = 'expansion' then mrr_change_amount else 0 end
        ) as expansion_mrr_amount,
        -sum(
            case when movement = 'contraction' then mrr_change_amount else 0 end
        ) as contraction_mrr_amount,
        -sum(case when movement = 'churn' then mrr_change_amount else 0 end)
            as churned_mrr_amount,
        sum(
            case
                when movement = 'reactivation' then mrr_change_amount else 0
            end
        ) as reactivation_mrr_amount,
        sum(mrr_amount) as ending_mrr_amount,
        count(distinct case when is_active then subscription_id end)
            as active_subscriptions,
        count(distinct case when is_active then customer_id end)
            as active_customers,
        count(distinct case when movement = 'new' then subscription_id end)
            as new_subscriptions,
        count(distinct case when movement = 'churn' then subscription_id end)
            as churned_subscriptions
    from fct_mrr
    group by currency, month

),

final as (

    select
        months_per_currency.currency,
        {%- for column in [
            'starting_mrr_amount', 'new_mrr_amount', 'expansion_mrr_amount',
            'contraction_mrr_amount', 'churned_mrr_amount',
            'reactivation_mrr_amount', 'ending_mrr_amount',
        ] %}
        coalesce(movements_summed.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        {%- for column in ['starting_mrr_amount', 'ending_mrr_amount'] %}
        {{ to_reporting_currency(
            'coalesce(movements_summed.' ~ column ~ ', 0)',
            'months_per_currency.currency',
            'months_per_currency.measured_on_date',
        ) }} as reporting_{{ column }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        {%- for column in [
            'active_subscriptions', 'active_customers', 'new_subscriptions',
            'churned_subscriptions',
        ] %}
        coalesce(movements_summed.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        months_per_currency.month_start_date as month,
        months_per_currency.measured_on_date
    from months_per_currency
    left join movements_summed
        on
            months_per_currency.currency = movements_summed.currency
            and months_per_currency.month_start_date = movements_summed.month

)

select * from final
