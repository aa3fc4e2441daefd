{#- Rows where the column exceeds another column of the same row, e.g. a
    charge refunded for more than it captured. -#}
{% test not_greater_than(model, column_name, other_column) %}

with

exceeding as (

    select
        {{ column_name }},
        {{ other_column }}
    from {{ model }}
    where {{ column_name }} > {{ other_column }}

)

select * from exceeding

{% endtest %}
