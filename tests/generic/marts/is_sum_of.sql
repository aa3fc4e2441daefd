{#- A money invariant: one column equals the signed sum of others on every
    row, e.g. net = gross - refunds - disputes_lost - fees. `plus` and
    `minus` list the column names. Nulls count as zero. -#}
{% test is_sum_of(model, column_name, plus=[], minus=[]) %}

with

mismatched as (

    select *
    from {{ model }}
    where
        coalesce({{ column_name }}, 0) <> (
            0
            {%- for column in plus %}
            + coalesce({{ column }}, 0)
            {%- endfor %}
            {%- for column in minus %}
            - coalesce({{ column }}, 0)
            {%- endfor %}
        )

)

select * from mismatched

{% endtest %}
