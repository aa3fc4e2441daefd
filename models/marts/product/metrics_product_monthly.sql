{#- Grain: one row per product, month and currency with revenue or MRR.
    Revenue is the tax-free amount of the product's lines on billed
    invoices (open, paid, uncollectible) created that month; MRR and the
    subscription counts come from the month-end MRR of the subscriptions'
    items of the product (fct_mrr's rules). -#}
with

fct_invoice_line_items as (

    select * from {{ ref('fct_invoice_line_items') }}

),

item_months as (

    select * from {{ ref('int_subscription_items_valued_monthly') }}

),

months as (

    select * from {{ ref('int_mrr_months') }}

),

invoice_revenue_summed as (

    {#- Per invoice first, so the invoices are counted as rows of this
        step, not as a distinct count over every line (a sort of them
        all). -#}
    select
        product_id,
        currency,
        {{ dbt.date_trunc('month', 'invoice_created_date') }} as month,
        invoice_id,
        sum(net_amount) as revenue_amount
    from fct_invoice_line_items
    where is_billed
    group by
        product_id,
        currency,
        {{ dbt.date_trunc('month', 'invoice_created_date') }},
        invoice_id

),

revenue_summed as (

    select
        product_id,
        currency,
        month,
        sum(revenue_amount) as revenue_amount,
        count(invoice_id) as invoice_count
    from invoice_revenue_summed
    group by product_id, currency, month

),

subscription_products_valued as (

    select
        subscription_id,
        coalesce(product_id, 'unknown') as product_id,
        currency,
        month_start_date as month,
        sum(mrr_amount) as mrr_amount
    from item_months
    group by
        subscription_id,
        coalesce(product_id, 'unknown'),
        currency,
        month_start_date

),

{# The months a subscription paid for a product in a currency, each
    beside its first and its next paying month: windows over one sort of
    those months (one row each), where a grouped first month and an
    anti-join to the next month sorted them again. -#}
paying_subscription_products as (

    select
        subscription_id,
        product_id,
        currency,
        month,
        mrr_amount,
        month = min(month) over (
            partition by subscription_id, product_id, currency
        ) as is_first_paying_month,
        lead(month) over (
            partition by subscription_id, product_id, currency order by month
        ) as next_paying_month
    from subscription_products_valued
    where mrr_amount > 0

),

churned_subscription_products as (

    {#- Paying one month, not paying the next (a month the data covers). -#}
    select
        paying.product_id,
        paying.currency,
        months.month_start_date as month,
        count(*) as churned_subscriptions
    from paying_subscription_products as paying
    inner join months
        on
            months.month_start_date
            = cast({{ dbt.dateadd('month', 1, 'paying.month') }} as date)
    where paying.next_paying_month is distinct from months.month_start_date
    group by paying.product_id, paying.currency, months.month_start_date

),

mrr_summed as (

    select
        product_id,
        currency,
        month,
        {#- A subscription has one row per product, currency and month
            here, so rows count subscriptions. -#}
        sum(mrr_amount) as mrr_amount,
        count(*) as active_subscriptions,
        count(case when is_first_paying_month then 1 end) as new_subscriptions
    from paying_subscription_products
    group by product_id, currency, month

),

keys as (

    select
        product_id,
        currency,
        month
    from revenue_summed
    union
    select
        product_id,
        currency,
        month
    from mrr_summed
    union
    select
        product_id,
        currency,
        month
    from churned_subscription_products

),

final as (

    select
        keys.product_id,
        keys.currency,
        coalesce(revenue_summed.revenue_amount, 0) as revenue_amount,
        coalesce(mrr_summed.mrr_amount, 0) as mrr_amount,
        {{ to_reporting_currency(
            'coalesce(revenue_summed.revenue_amount, 0)',
            'keys.currency',
            'cast(keys.month as date)',
        ) }} as reporting_revenue_amount,
        {{ to_reporting_currency(
            'coalesce(mrr_summed.mrr_amount, 0)',
            'keys.currency',
            'cast(keys.month as date)',
        ) }} as reporting_mrr_amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        coalesce(revenue_summed.invoice_count, 0) as invoice_count,
        coalesce(mrr_summed.active_subscriptions, 0) as active_subscriptions,
        coalesce(mrr_summed.new_subscriptions, 0) as new_subscriptions,
        coalesce(churned_subscription_products.churned_subscriptions, 0)
            as churned_subscriptions,
        cast(keys.month as date) as month
    from keys
    left join revenue_summed
        on
            keys.product_id = revenue_summed.product_id
            and keys.currency = revenue_summed.currency
            and keys.month = revenue_summed.month
    left join mrr_summed
        on
            keys.product_id = mrr_summed.product_id
            and keys.currency = mrr_summed.currency
            and keys.month = mrr_summed.month
    left join churned_subscription_products
        on
            keys.product_id = churned_subscription_products.product_id
            and keys.currency = churned_subscription_products.currency
            and keys.month = churned_subscription_products.month

)

select * from final
