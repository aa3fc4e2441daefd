{#- An amount that may be null, but only for the stated reason: rows where
    the column is null and `reason` (a SQL condition on the row, e.g.
    "billing_scheme = 'tiered'") does not hold. Every money field is either
    read with a fallback for the API shapes that lack it, or null only where
    this test says why; never a silent 0.
    On a column, or on a model with `column_names`: the amounts of a staging
    view that share one reason are tested together, because each test of a
    view reads every document again (in a full build at 100,000 customers,
    15 s for each of the five invoice amounts, before any OLTP table could
    start). -#}
{% test is_null_only_when(model, reason, column_name=none, column_names=[]) %}

{%- set columns = ([column_name] if column_name else []) + column_names -%}

with

unexplained_nulls as (

    select *
    from {{ model }}
    where
        (
            {%- for column in columns %}
            {{ column }} is null{{ ' or' if not loop.last }}
            {%- endfor %}
        )
        and not coalesce(({{ reason }}), false)

)

select * from unexplained_nulls

{% endtest %}
