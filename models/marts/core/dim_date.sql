{%- set first_day, after_last_day = calendar_bounds() -%}

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ first_day ~ "' as date)",
        "cast('" ~ after_last_day ~ "' as date)",
    ) }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date)
            as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date)
            as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date)
            as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date)
            as year_start_date,
        {{ date_part_number('year', 'date_day') }} as year_number,
        {{ date_part_number('quarter', 'date_day') }} as quarter_number,
        {{ date_part_number('month', 'date_day') }} as month_number,
        {{ date_part_number('day', 'date_day') }} as day_of_month_number,
        {{ date_part_number('isodow', 'date_day') }} as iso_day_of_week_number,
        {{ date_part_number('isodow', 'date_day') }} in (6, 7) as is_weekend,
        cast(date_day as date) = cast(
            {{ dbt.dateadd(
                'day', -1,
                dbt.dateadd('month', 1, dbt.date_trunc('month', 'date_day')),
            ) }} as date
        ) as is_month_end
    from days

)

select * from final
