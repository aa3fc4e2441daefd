{#- Rows that share the same values in every column of `combination`: the
    key of a child table (a composite primary key) read the same on an
    engine without constraints. -#}
{% test unique_combination_of_columns(model, combination) %}

with

duplicated_keys as (

    select
        {{ combination | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination | join(', ') }}
    having count(*) > 1

)

select * from duplicated_keys

{% endtest %}
