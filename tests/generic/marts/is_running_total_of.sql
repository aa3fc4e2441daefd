{#- A balance carried from row to row: within each `partition_by` group,
    ordered by `order_by`, the column's change from the previous row equals
    the row's signed sum of `plus` and `minus` columns (on the first row,
    the column equals that sum: the balance starts at zero). E.g. a day's
    balance - the day before's = the day's net, payouts included. -#}
{% test is_running_total_of(
    model, column_name, partition_by, order_by, plus=[], minus=[]
) %}

with

rows_with_previous as (

    select
        {{ partition_by }},
        {{ order_by }},
        {{ column_name }} as running_total,
        coalesce(
            lag({{ column_name }}) over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ),
            0
        ) as previous_total,
        0
        {%- for column in plus %}
        + coalesce({{ column }}, 0)
        {%- endfor %}
        {%- for column in minus %}
        - coalesce({{ column }}, 0)
        {%- endfor %} as row_change
    from {{ model }}

),

mismatched as (

    select *
    from rows_with_previous
    where running_total - previous_total <> row_change

)

select * from mismatched

{% endtest %}
