{#- An amount in minor units whose major-unit column stayed null: its
    currency is missing from the seed `currencies` (add the code and the
    exponent Stripe uses for it to seeds/currencies.csv). -#}
{% test has_major_unit(model, column_name, cents_column) %}

with

unconverted as (

    select
        {{ cents_column }},
        {{ column_name }}
    from {{ model }}
    where
        {{ cents_column }} is not null
        and {{ column_name }} is null

)

select * from unconverted

{% endtest %}
