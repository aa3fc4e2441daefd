with

charges as (

    select * from {{ ref('charges') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

disputes as (

    select * from {{ ref('disputes') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

balance_transactions as (

    select * from {{ ref('balance_transactions') }}

),

payouts as (

    select * from {{ ref('payouts') }}

),

{# Each column's earliest and latest instant, then their days: a day
    only grows with its instant, so the first and last days are those of
    these, and no row's instant is converted to a date. -#}
instants_bounded as (

    {%- for relation, column in [
        ('charges', 'created_at'),
        ('refunds', 'created_at'),
        ('disputes', 'created_at'),
        ('invoices', 'created_at'),
        ('subscriptions', 'created_at'),
        ('subscriptions', 'loaded_at'),
        ('balance_transactions', 'created_at'),
        ('balance_transactions', 'available_at'),
        ('payouts', 'arrival_at'),
    ] %}
    select
        min({{ relation }}.{{ column }}) as first_instant_at,
        max({{ relation }}.{{ column }}) as last_instant_at
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

bounds_found as (

    select
        coalesce(
            min({{ utc_date('instants_bounded.first_instant_at') }}),
            current_date
        ) as first_instant_date,
        coalesce(
            max({{ utc_date('instants_bounded.last_instant_at') }}),
            current_date
        ) as last_instant_date
    from instants_bounded

),

bounds_rounded_to_years as (

    select
        cast(
            {{ dbt.date_trunc('year', 'bounds_found.first_instant_date') }}
            as date
        ) as first_day,
        cast(
            {{ dbt.dateadd(
                'year', 1,
                dbt.date_trunc('year', 'bounds_found.last_instant_date'),
            ) }} as date
        ) as after_last_day
    from bounds_found

),

days as (

    select cast(series.day_at as date) as date_day
    from bounds_rounded_to_years
    cross join
        {{ day_series(
            'bounds_rounded_to_years.first_day',
            'bounds_rounded_to_years.after_last_day',
        ) }} as series (day_at)

),

final as (

    select
        days.date_day,
        cast({{ dbt.date_trunc('week', 'days.date_day') }} as date)
            as week_start_date,
        cast({{ dbt.date_trunc('month', 'days.date_day') }} as date)
            as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'days.date_day') }} as date)
            as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'days.date_day') }} as date)
            as year_start_date,
        {{ date_part_number('year', 'days.date_day') }} as year_number,
        {{ date_part_number('quarter', 'days.date_day') }} as quarter_number,
        {{ date_part_number('month', 'days.date_day') }} as month_number,
        {{ date_part_number('day', 'days.date_day') }} as day_of_month_number,
        {{ date_part_number('isodow', 'days.date_day') }}
            as iso_day_of_week_number,
        {{ date_part_number('isodow', 'days.date_day') }} in (6, 7)
            as is_weekend,
        days.date_day = cast(
            {{ dbt.dateadd(
                'day', -1,
                dbt.dateadd('month', 1, dbt.date_trunc('month', 'days.date_day')),
            ) }} as date
        ) as is_month_end
    from days

)

select * from final
