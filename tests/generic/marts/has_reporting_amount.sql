{#- An amount whose reporting-currency column stayed null: the FX seed has
    no rate for its currency (add rows for it to seeds/fx_rates.csv, or
    for the reporting currency when `reporting_currency` names a new one). -#}
{% test has_reporting_amount(model, column_name, amount_column) %}

with

unconverted as (

    select
        {{ amount_column }},
        {{ column_name }}
    from {{ model }}
    where
        {{ amount_column }} is not null
        and {{ column_name }} is null

)

select * from unconverted

{% endtest %}
