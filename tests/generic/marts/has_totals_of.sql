{#- A rollup loses and invents nothing: per `group_by` value, the sum of
    each column of the model equals the sum of an expression over another
    relation `to` (rows filtered by `to_where`). `totals` maps a column of
    the model to the expression over `to`; `to_group_by` is the grouping
    expression over `to`. E.g. a ledger's sales per currency equal the
    amounts of the OLTP charge transactions per currency. -#}
{% test has_totals_of(
    model, to, group_by, to_group_by, totals, to_where='true'
) %}

with

own_totals as (

    select
        {{ group_by }} as group_value,
        {%- for column in totals %}
        sum({{ column }}) as total_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    group by {{ group_by }}

),

their_totals as (

    select
        {{ to_group_by }} as group_value,
        {%- for column, expression in totals.items() %}
        sum({{ expression }}) as total_{{ loop.index }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ to }}
    where {{ to_where }}
    group by {{ to_group_by }}

),

mismatched as (

    select
        coalesce(own_totals.group_value, their_totals.group_value)
            as group_value
        {%- for column in totals %},
        own_totals.total_{{ loop.index }} as own_{{ column }},
        their_totals.total_{{ loop.index }} as their_{{ column }}
        {%- endfor %}
    from own_totals
    full outer join their_totals
        on own_totals.group_value = their_totals.group_value
    where
        {%- for column in totals %}
        coalesce(own_totals.total_{{ loop.index }}, 0)
        <> coalesce(their_totals.total_{{ loop.index }}, 0)
        {{- ' or' if not loop.last }}
        {%- endfor %}

)

select * from mismatched

{% endtest %}
