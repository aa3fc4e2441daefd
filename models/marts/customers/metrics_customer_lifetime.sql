{#- Grain: one row per customer and currency the customer has any figure
    in. Each figure keeps its own view of money (docs/metrics.md): sales in
    the presentment currency of the charges, fees and net in the settlement
    currency of the balance transactions, MRR in the subscriptions'
    currency; the row lines them up by currency code, never adds them. -#}
{%- set charge_figures = [
    'charge_count', 'succeeded_charge_count', 'failed_charge_count',
    'gross_captured_amount', 'reporting_gross_captured_amount',
] -%}
{%- set refund_figures = ['refunded_amount', 'reporting_refunded_amount'] -%}
{%- set dispute_figures = [
    'dispute_count', 'disputed_amount', 'disputes_lost_amount',
    'reporting_disputes_lost_amount',
] -%}
{%- set ledger_figures = ['fee_amount', 'net_amount'] -%}
{%- set mrr_figures = ['mrr_amount', 'active_subscription_count'] -%}
{%- set figure_columns = [] -%}
{%- set figure_sources = {
    'charges_summed': charge_figures,
    'refunds_summed': refund_figures,
    'disputes_summed': dispute_figures,
    'ledger_summed': ledger_figures,
    'mrr_joined': mrr_figures,
} -%}
{%- for relation, figures in figure_sources.items() -%}
{%- for column in figures -%}
{%- do figure_columns.append((relation, column)) -%}
{%- endfor -%}
{%- endfor -%}

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

fct_balance_transactions as (

    select * from {{ ref('fct_balance_transactions') }}

),

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

charges_summed as (

    select
        customer_id,
        currency,
        count(*) as charge_count,
        sum(case when status = 'succeeded' then 1 else 0 end)
            as succeeded_charge_count,
        sum(case when is_failed then 1 else 0 end) as failed_charge_count,
        sum(case when status = 'succeeded' then amount_captured else 0 end)
            as gross_captured_amount,
        sum(
            case
                when status = 'succeeded' then reporting_amount_captured
                else 0
            end
        ) as reporting_gross_captured_amount,
        min(case when status = 'succeeded' then created_at end)
            as first_charge_at,
        max(case when status = 'succeeded' then created_at end)
            as last_charge_at
    from fct_charges
    group by customer_id, currency

),

refunds_summed as (

    select
        customer_id,
        currency,
        sum(case when status = 'succeeded' then amount else 0 end)
            as refunded_amount,
        sum(case when status = 'succeeded' then reporting_amount else 0 end)
            as reporting_refunded_amount
    from fct_refunds
    group by customer_id, currency

),

disputes_summed as (

    {# One row per dispute, summed before any join: a charge disputed
        twice counts both disputes, each once. #}
    select
        customer_id,
        currency,
        count(*) as dispute_count,
        sum(amount) as disputed_amount,
        sum(case when is_lost then amount else 0 end) as disputes_lost_amount,
        sum(case when is_lost then reporting_amount else 0 end)
            as reporting_disputes_lost_amount
    from fct_disputes
    group by customer_id, currency

),

ledger_summed as (

    select
        customer_id,
        currency,
        sum(fee) as fee_amount,
        sum(net) as net_amount
    from fct_balance_transactions
    where customer_id is not null
    group by customer_id, currency

),

latest_mrr as (

    select
        customer_id,
        currency,
        sum(mrr_amount) as mrr_amount
    from fct_mrr
    where month = (select max(latest.month) from fct_mrr as latest)
    group by customer_id, currency

),

subscriptions_counted as (

    select
        coalesce(customer_id, 'unknown') as customer_id,
        lower(currency) as currency,
        count(*) as active_subscription_count
    from subscriptions
    where status in ('active', 'past_due') and not is_missing_from_source
    group by coalesce(customer_id, 'unknown'), lower(currency)

),

mrr_joined as (

    select
        coalesce(latest_mrr.customer_id, subscriptions_counted.customer_id)
            as customer_id,
        coalesce(latest_mrr.currency, subscriptions_counted.currency)
            as currency,
        latest_mrr.mrr_amount,
        subscriptions_counted.active_subscription_count
    from latest_mrr
    full outer join subscriptions_counted
        on
            latest_mrr.customer_id = subscriptions_counted.customer_id
            and latest_mrr.currency = subscriptions_counted.currency

),

keys_unioned as (

    {%- for relation in figure_sources %}

    select
        customer_id,
        currency
    from {{ relation }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        keys_unioned.customer_id,
        keys_unioned.currency,
        {%- for relation, column in figure_columns %}
        coalesce({{ relation }}.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(charges_summed.gross_captured_amount, 0)
        - coalesce(refunds_summed.refunded_amount, 0)
        - coalesce(disputes_summed.disputes_lost_amount, 0)
            as net_sales_amount,
        coalesce(charges_summed.reporting_gross_captured_amount, 0)
        - coalesce(refunds_summed.reporting_refunded_amount, 0)
        - coalesce(disputes_summed.reporting_disputes_lost_amount, 0)
            as reporting_net_sales_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        charges_summed.first_charge_at,
        charges_summed.last_charge_at
    from keys_unioned
    {{ left_join_each_on(
        'keys_unioned', figure_sources, ['customer_id', 'currency']
    ) }}

)

select * from final
