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

instants_unioned as (

    select charges.created_at as instant_at from charges
    union all
    select refunds.created_at from refunds
    union all
    select disputes.created_at from disputes
    union all
    select invoices.created_at from invoices
    union all
    select subscriptions.created_at from subscriptions
    union all
    select subscriptions.loaded_at from subscriptions
    union all
    select balance_transactions.created_at from balance_transactions
    union all
    select balance_transactions.available_at from balance_transactions
    union all
    select payouts.arrival_at from payouts

),

bounds_found as (

    select
        coalesce(
            min({{ utc_date('instants_unioned.instant_at') }}),
            current_date
        ) as first_instant_date,
        coalesce(
            max({{ utc_date('instants_unioned.instant_at') }}),
            current_date
        ) as last_instant_date
    from instants_unioned

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
