{#- A money invariant: an amount that can never be below zero (MRR, a
    movement kept as a positive amount, a count). -#}
{% test is_not_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
