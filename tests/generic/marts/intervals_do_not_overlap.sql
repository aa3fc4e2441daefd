{#- Intervals [valid_from, valid_until) of one partition that overlap: an
    interval starting before the previous one (in start order) ended, or
    an open interval (null end) followed by another. -#}
{% test intervals_do_not_overlap(
    model, partition_by,
    from_column='valid_from_at', until_column='valid_until_at'
) %}

with

intervals_ordered as (

    select
        {{ partition_by }},
        {{ from_column }} as valid_from_at,
        {{ until_column }} as valid_until_at,
        lag({{ until_column }}) over (
            partition by {{ partition_by }} order by {{ from_column }}
        ) as previous_valid_until_at,
        row_number() over (
            partition by {{ partition_by }} order by {{ from_column }}
        ) as interval_position
    from {{ model }}

),

overlapping_intervals as (

    select *
    from intervals_ordered
    where
        interval_position > 1
        and (
            previous_valid_until_at is null
            or previous_valid_until_at > valid_from_at
        )

)

select * from overlapping_intervals

{% endtest %}
