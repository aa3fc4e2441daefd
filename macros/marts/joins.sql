{#- A left join of each relation to `base` on the same-named `columns`
    (figures summed per key, lined up on one row): every relation joins the
    keys once, so none can fan out another. -#}
{% macro left_join_each_on(base, relations, columns) -%}
    {%- for relation in relations %}
    left join {{ relation }}
        on
        {%- for column in columns %}
            {{ 'and ' if not loop.first }}{{ base }}.{{ column }}
            = {{ relation }}.{{ column }}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{#- The values of a group joined by `delimiter`, in their own order. -#}
{% macro ordered_string_agg(expression, delimiter) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, delimiter) -%}
    string_agg({{ expression }}, '{{ delimiter }}' order by {{ expression }})
{%- endmacro %}
