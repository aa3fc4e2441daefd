{#-
    Evidence of MRR from the subscription items themselves, one row per
    state of an item, keyed like the billing evidence (`item_key`, the
    subscription item):
    - `current`: each item on a subscription now, at its price and
      quantity. In force from the start of its current period when its
      latest full-period line billed the same price and quantity (or none
      did yet), from its creation when created within the period; changed
      within the period otherwise, so in force from the period's end: its
      proration, its event or the next period's line dates the change
      (a change made with `proration_behavior` none and no event left).
      The month still running counts the current items whatever their date.
    - `created`: an item created before the first line that bills it
      (added without proration), from its `created` time until that line,
      at the line's price and quantity;
    - `event`: the state an update event (kept 30 days) gave an item whose
      price or quantity it changed, from the event on (a change without
      proration is dated by it);
    - `removed`: zero from when an item was removed: the event that dropped
      it, or else the load that found it missing from its subscription's
      listing (`is_deleted`).
    Valued like the billing evidence: monthly-normalized price for the
    quantity (tiers for a tiered price), less the inclusive-tax share of
    the same subscription and price (int_invoice_lines_taxed), else of the
    subscription's inclusive lines for an inclusive price, else of the
    price, else counted as it is (no line states a tax yet).
-#}

{#- Stored, not a view: several models and tests read it, and each
    reading of a view runs its whole query again. Incremental per
    subscription where the engine merges (macros/marts/per_subscription.sql),
    with the inputs of the billing evidence it dates the items by
    (int_invoice_lines_normalized) and its own: a run rebuilds the item
    states of the subscriptions whose lines, invoices, pending invoice
    items, items, record or events were loaded since its last build, or whose
    states name a price changed in a column the valuation reads, or a set
    of tax rates or a price whose most exact line's share changed. Which
    prices a subscription's states name is read from this table's last
    build: an event names prices no other table keys by subscription, and
    a new event, like a new item, is itself a change of its subscription.
    The lines it dates the items by change with their prices' shares, but
    not in the columns read here (price, quantity, start). -#}
{{ config(
    materialized=per_subscription_materialization(),
    incremental_strategy='append',
    pre_hook="{{ per_subscription_prepare(
        evidence_changes() + [
            ('subscriptions', ref('subscriptions'), 'subscription_id'),
            ('events', ref('int_subscription_events'), 'subscription_id'),
        ],
        evidence_lookups(
            ref('prices'),
            evidence_price_columns() + ['currency'],
            ref('int_invoice_lines_taxed'),
            [this],
        ),
    ) }}",
    post_hook="{{ per_subscription_record() }}",
) }}
with

subscription_items as (

    select * from {{ ref('subscription_items') }}
    where {{ is_changed_subscription('subscription_id') }}

),

subscriptions as (

    select * from {{ ref('subscriptions') }}
    where {{ is_changed_subscription('subscription_id') }}

),

prices as (

    select * from {{ ref('prices') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

events as (

    select * from {{ ref('int_subscription_events') }}
    where {{ is_changed_subscription('subscription_id') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_normalized') }}
    where {{ is_changed_subscription('subscription_id') }}

),

lines_taxed as {{ inlined_cte() }} (

    select * from {{ ref('int_invoice_lines_taxed') }}

),

item_update_events as (

    select
        event_id,
        subscription_id,
        event_object,
        previous_attributes,
        created_at
    from events
    where {{ json_object('previous_attributes', 'items') }} is not null

),

{#- The items an update event lists after the change (its object) and
    before it (previous_attributes), with the period the change fell in. -#}
{%- for cte, column in [
    ('items_after_events', 'event_object'),
    ('items_before_events', 'previous_attributes'),
] %}
{{ cte }} as (

    select
        item_update_events.event_id,
        item_update_events.subscription_id,
        {{ json_text('item_elements.element', 'id') }}
            as subscription_item_id,
        coalesce(
            {{ json_id('item_elements.element', 'price') }},
            {{ json_id('item_elements.element', 'plan') }}
        ) as price_id,
        {{ json_bigint('item_elements.element', 'quantity') }} as quantity,
        coalesce(
            {{ json_timestamp('item_elements.element',
                'current_period_end') }},
            {{ json_timestamp('item_update_events.event_object',
                'current_period_end') }}
        ) as current_period_end_at,
        item_update_events.created_at
    from item_update_events
    cross join
        {{ json_array_elements(
            'item_update_events.' ~ column, 'items.data') }}
            as item_elements (element, position)

),
{% endfor %}

first_lines as (

    {#- The first line of each item: what it billed first. -#}
    select
        item_key,
        price_id,
        quantity,
        valid_from_at,
        row_number() over (
            partition by item_key
            order by valid_from_at asc, evidence_created_at asc
        ) as line_rank
    from invoice_lines

),

latest_full_period_lines as (

    select
        item_key,
        price_id,
        quantity,
        row_number() over (
            partition by item_key
            order by valid_from_at desc, evidence_created_at desc
        ) as line_rank
    from invoice_lines
    where not is_proration

),

current_items_dated as (

    select
        'current:' || subscription_items.subscription_item_id as evidence_id,
        subscription_items.subscription_item_id,
        subscription_items.subscription_id,
        subscription_items.price_id,
        subscription_items.quantity,
        'current' as evidence_source,
        case
            when
                subscription_items.created_at
                > subscription_items.current_period_start_at
                then subscription_items.created_at
            when
                latest_full_period_lines.item_key is null
                or (
                    latest_full_period_lines.price_id
                    = subscription_items.price_id
                    and latest_full_period_lines.quantity
                    is not distinct from subscription_items.quantity
                )
                then coalesce(
                    subscription_items.current_period_start_at,
                    subscription_items.created_at,
                    subscriptions.started_at
                )
            else subscription_items.current_period_end_at
        end as valid_from_at,
        cast(null as {{ dbt.type_timestamp() }}) as valid_until_at,
        subscriptions.loaded_at as evidence_created_at
    from subscription_items
    inner join subscriptions
        on subscription_items.subscription_id = subscriptions.subscription_id
    left join latest_full_period_lines
        on
            subscription_items.subscription_item_id
            = latest_full_period_lines.item_key
            and latest_full_period_lines.line_rank = 1
    where
        not subscription_items.is_deleted
        and not subscription_items.is_missing_from_source

),

creations_dated as (

    {#- An item created before its first line (added without proration):
        its `created` time dates it, at what its first line billed. -#}
    select
        'created:' || subscription_items.subscription_item_id as evidence_id,
        subscription_items.subscription_item_id,
        subscription_items.subscription_id,
        first_lines.price_id,
        first_lines.quantity,
        'created' as evidence_source,
        subscription_items.created_at as valid_from_at,
        first_lines.valid_from_at as valid_until_at,
        subscription_items.created_at as evidence_created_at
    from subscription_items
    inner join first_lines
        on
            subscription_items.subscription_item_id = first_lines.item_key
            and first_lines.line_rank = 1
    where
        not subscription_items.is_deleted
        and not subscription_items.is_missing_from_source
        and subscription_items.created_at < first_lines.valid_from_at

),

changes_dated as (

    select
        items_after_events.event_id || ':'
        || items_after_events.subscription_item_id as evidence_id,
        items_after_events.subscription_item_id,
        items_after_events.subscription_id,
        items_after_events.price_id,
        items_after_events.quantity,
        'event' as evidence_source,
        items_after_events.created_at as valid_from_at,
        {#- Until the period it falls in ends: its next line says on. -#}
        items_after_events.current_period_end_at as valid_until_at,
        items_after_events.created_at as evidence_created_at
    from items_after_events
    left join items_before_events
        on
            items_after_events.event_id = items_before_events.event_id
            and items_after_events.subscription_item_id
            = items_before_events.subscription_item_id
    where
        items_before_events.subscription_item_id is null
        or items_before_events.price_id <> items_after_events.price_id
        or items_before_events.quantity
        is distinct from items_after_events.quantity

),

removals_dated as (

    select
        items_before_events.event_id || ':'
        || items_before_events.subscription_item_id as evidence_id,
        items_before_events.subscription_item_id,
        items_before_events.subscription_id,
        items_before_events.price_id,
        0 as quantity,
        'removed' as evidence_source,
        items_before_events.created_at as valid_from_at,
        cast(null as {{ dbt.type_timestamp() }}) as valid_until_at,
        items_before_events.created_at as evidence_created_at
    from items_before_events
    left join items_after_events
        on
            items_before_events.event_id = items_after_events.event_id
            and items_before_events.subscription_item_id
            = items_after_events.subscription_item_id
    where items_after_events.subscription_item_id is null

    union all

    select
        'removed:' || subscription_item_id as evidence_id,
        subscription_item_id,
        subscription_id,
        price_id,
        0 as quantity,
        'removed' as evidence_source,
        loaded_at as valid_from_at,
        cast(null as {{ dbt.type_timestamp() }}) as valid_until_at,
        loaded_at as evidence_created_at
    from subscription_items
    where is_deleted and not is_missing_from_source

),

item_states as (

    select * from current_items_dated
    union all
    select * from creations_dated
    union all
    select * from changes_dated
    union all
    select * from removals_dated

),

states_joined_to_prices as (

    select
        item_states.*,
        prices.product_id,
        coalesce(lower(prices.currency), lower(subscriptions.currency))
            as currency,
        prices.usage_type,
        prices.recurring_interval,
        prices.recurring_interval_count,
        currencies.exponent,
        {{ tax_ratio("prices.tax_behavior = 'inclusive'") }}
            as net_of_tax_ratio,
        {{ price_amount_cents(
            'prices.billing_scheme',
            'prices.tiers',
            'prices.tiers_mode',
            'prices.unit_amount_decimal_cents',
            'item_states.quantity',
        ) }} as period_amount_cents
    from item_states
    inner join subscriptions
        on item_states.subscription_id = subscriptions.subscription_id
    left join prices
        on item_states.price_id = prices.price_id
    left join currencies
        on lower(prices.currency) = currencies.currency_code
    {{ tax_ratio_joins('item_states') }}
    where
        item_states.evidence_source = 'removed'
        or prices.recurring_interval is not null

),

final as (

    select
        evidence_id,
        subscription_item_id,
        subscription_id,
        subscription_item_id as item_key,
        price_id,
        product_id,
        currency,
        evidence_source,
        recurring_interval,
        recurring_interval_count,
        quantity,
        case
            when evidence_source = 'removed' then 0
            else {{ licensed_item_mrr(
                'period_amount_cents * net_of_tax_ratio', 'usage_type',
                'recurring_interval', 'recurring_interval_count', 'exponent',
            ) }}
        end as gross_mrr_amount,
        net_of_tax_ratio,
        coalesce(usage_type = 'metered', false) as is_metered,
        evidence_source = 'current' as is_current_state,
        valid_from_at,
        valid_until_at,
        evidence_created_at
    from states_joined_to_prices

)

select * from final
