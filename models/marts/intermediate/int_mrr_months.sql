{#-
    The months MRR is measured for: from the month of the first subscription
    to the month of the latest load, with the instant each is measured at.
    A month's MRR is the MRR at its last instant (UTC); the month still
    running is measured at the latest load (`as_of_at`), the last instant
    the data knows. Evidence counts at a month when it starts before
    `measured_at` and does not end before it.
-#}
with

dim_date as (

    select * from {{ ref('dim_date') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

bounds as (

    select
        {{ utc_month('min(created_at)') }} as first_month_date,
        max(loaded_at) as as_of_at,
        {#- The month of the last instant before the load: a load at
            midnight on the first closes the month before, it does not
            open an empty one. -#}
        {{ utc_month(dbt.dateadd('second', -1, 'max(loaded_at)')) }}
            as as_of_month_date,
        {{ utc_date(dbt.dateadd('second', -1, 'max(loaded_at)')) }}
            as as_of_date
    from subscriptions

),

months as (

    select distinct dim_date.month_start_date
    from dim_date
    cross join bounds
    where
        dim_date.month_start_date >= bounds.first_month_date
        and dim_date.month_start_date <= bounds.as_of_month_date

),

final as (

    select
        months.month_start_date,
        least(
            {{ utc_midnight(dbt.dateadd(
                'month', 1, 'months.month_start_date')) }},
            bounds.as_of_at
        ) as measured_at,
        cast(least(
            {{ dbt.dateadd('day', -1, dbt.dateadd(
                'month', 1, 'months.month_start_date')) }},
            bounds.as_of_date
        ) as date) as measured_on_date,
        bounds.as_of_month_date = months.month_start_date as is_current_month
    from months
    cross join bounds

)

select * from final
