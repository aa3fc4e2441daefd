{#- An amount that may be null, but only for the stated reason: rows where
    the column is null and `reason` (a SQL condition on the row, e.g.
    "billing_scheme = 'tiered'") does not hold. Every money field is either
    read with a fallback for the API shapes that lack it, or null only where
    this test says why; never a silent 0. -#}
{% test is_null_only_when(model, column_name, reason) %}

with

unexplained_nulls as (

    select *
    from {{ model }}
    where
        {{ column_name }} is null
        and not coalesce(({{ reason }}), false)

)

select * from unexplained_nulls

{% endtest %}
