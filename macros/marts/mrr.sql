{#-
    Monthly normalization of a recurring price (docs/metrics.md): month 1, year
    1/12, week 52/12, day 365/12, all divided by the interval count. Written
    as periods-per-year / (12 x count) so the factor stays an exact ratio
    until the amount is multiplied by it. Unknown intervals give null.
-#}
{% macro monthly_normalized(amount, interval, interval_count) -%}
    (
        ({{ amount }})
        * (case {{ interval }}
            when 'day' then 365
            when 'week' then 52
            when 'month' then 12
            when 'year' then 1
        end)::numeric
        / (12 * coalesce(nullif({{ interval_count }}, 0), 1))::numeric
    )
{%- endmacro %}

{#- MRR amounts are kept to six decimals of the major unit: exact enough for
    every currency (three-decimal ones included) and stable under sums.
    Trailing zeros are dropped (20, not 20.000000). -#}
{% macro mrr_round(amount) -%}
    {{ decimal_round(amount, 6) }}
{%- endmacro %}

{#- A decimal rounded to `places`, without trailing zeros. -#}
{% macro decimal_round(amount, places) -%}
    {{ return(adapter.dispatch('decimal_round')(amount, places)) }}
{%- endmacro %}

{% macro default__decimal_round(amount, places) -%}
    trim_scale(round(cast({{ amount }} as numeric), {{ places }}))
{%- endmacro %}

{#-
    The MRR of one licensed recurring item before discounts, in the major
    unit: its amount for one period (`amount_cents`, minor units, from
    `price_amount_cents`), monthly-normalized. Metered (usage) prices count
    zero. `exponent` is the currency's (seed `currencies`). A null amount
    stays null: a price that cannot be valued is a failure, never a zero.
-#}
{% macro licensed_item_mrr(
    amount_cents, usage_type, interval, interval_count, exponent
) -%}
    case
        when {{ usage_type }} = 'metered' then 0
        else {{ mrr_round(monthly_normalized(
            to_major_unit(amount_cents, exponent, rounded=false),
            interval,
            interval_count,
        )) }}
    end
{%- endmacro %}

{#-
    The amount of one period of a price for a quantity, in minor units: unit
    amount x quantity for a per-unit price; through its tiers for a tiered
    one (`tiered_amount_cents`). Null when the price lacks what it needs.
-#}
{% macro price_amount_cents(
    billing_scheme, tiers, tiers_mode, unit_amount_cents, quantity
) -%}
    (case
        when {{ billing_scheme }} = 'tiered'
            then {{ tiered_amount_cents(tiers, tiers_mode, quantity) }}
        else ({{ unit_amount_cents }}) * ({{ quantity }})
    end)
{%- endmacro %}

{#-
    A tiered price's amount for a quantity, in minor units. `tiers` is
    Stripe's array of {up_to, unit_amount(_decimal), flat_amount(_decimal)}
    (up_to null for the last tier). graduated: each tier's units x its unit
    amount, plus the flat amount of every tier the quantity reaches; volume:
    the one tier that holds the whole quantity, its unit amount x the
    quantity plus its flat amount. No tiers, or an unknown mode, give null.
-#}
{% macro tiered_amount_cents(tiers, tiers_mode, quantity) -%}
    {{ return(adapter.dispatch('tiered_amount_cents')(
        tiers, tiers_mode, quantity
    )) }}
{%- endmacro %}

{% macro default__tiered_amount_cents(tiers, tiers_mode, quantity) -%}
    {%- set numeric = sql_type('numeric') -%}
    (
        select
            case {{ tiers_mode }}
                when 'graduated' then sum(
                    greatest(
                        least({{ quantity }}, coalesce(
                            tiers_bounded.up_to, {{ quantity }}
                        )) - coalesce(tiers_bounded.previous_up_to, 0),
                        0
                    ) * tiers_bounded.unit_amount
                    + case
                        when {{ quantity }}
                            > coalesce(tiers_bounded.previous_up_to, 0)
                            then tiers_bounded.flat_amount
                        else 0
                    end
                )
                when 'volume' then max(
                    case
                        when
                            (
                                tiers_bounded.previous_up_to is null
                                or {{ quantity }} > tiers_bounded.previous_up_to
                            )
                            and (
                                tiers_bounded.up_to is null
                                or {{ quantity }} <= tiers_bounded.up_to
                            )
                            then {{ quantity }} * tiers_bounded.unit_amount
                            + tiers_bounded.flat_amount
                    end
                )
            end
        from (
            select
                cast(nullif({{ json_text('tiers_listed.tier', 'up_to') }},
                    'inf') as {{ numeric }}) as up_to,
                lag(cast(nullif({{ json_text('tiers_listed.tier', 'up_to') }},
                    'inf') as {{ numeric }}))
                    over (order by tiers_listed.position)
                    as previous_up_to,
                coalesce(
                    {{ json_numeric('tiers_listed.tier', 'unit_amount_decimal') }},
                    {{ json_numeric('tiers_listed.tier', 'unit_amount') }},
                    0
                ) as unit_amount,
                coalesce(
                    {{ json_numeric('tiers_listed.tier', 'flat_amount_decimal') }},
                    {{ json_numeric('tiers_listed.tier', 'flat_amount') }},
                    0
                ) as flat_amount
            from {{ json_array_elements(tiers, '') }}
                as tiers_listed (tier, position)
        ) as tiers_bounded
    )
{%- endmacro %}

{#- numerator / denominator rounded to `places`: the one place a
    quotient's precision is decided (Spark's decimals keep few decimals of
    a quotient unless its operands are narrowed first). -#}
{% macro decimal_quotient(numerator, denominator, places) -%}
    {{ return(adapter.dispatch('decimal_quotient')(
        numerator, denominator, places
    )) }}
{%- endmacro %}

{% macro default__decimal_quotient(numerator, denominator, places) -%}
    {{ decimal_round(
        '(' ~ numerator ~ ') / (' ~ denominator ~ ')', places
    ) }}
{%- endmacro %}

{#- left x right: exact where the engine multiplies exactly (PostgreSQL,
    DuckDB). Spark keeps at most 38 digits, and of a product of two wide
    decimals only six decimals: there both are narrowed first (spark.sql),
    so the product keeps thirteen. -#}
{% macro decimal_product(left, right) -%}
    {{ return(adapter.dispatch('decimal_product')(left, right)) }}
{%- endmacro %}

{% macro default__decimal_product(left, right) -%}
    ({{ left }}) * ({{ right }})
{%- endmacro %}

{#- A rate: numerator / denominator as a decimal fraction, null when the
    denominator is zero. -#}
{% macro safe_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_ratio')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_ratio(numerator, denominator) -%}
    round(
        cast({{ numerator }} as numeric)
        / nullif(cast({{ denominator }} as numeric), 0),
        6
    )
{%- endmacro %}

{#- Written after `as` of the import CTE of int_invoice_lines_taxed, which
    tax_ratio_joins joins six ways: the engine reads the table at each join,
    with its statistics, instead of one materialized copy without them.
    PostgreSQL rescanned such a copy once per row in nested loops
    (int_invoice_lines_normalized at 10,000 customers: 25.7 s, 2.9 s
    inlined). -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}
    not materialized
{%- endmacro %}

{#-
    The inclusive-tax share that values a subscription's price, from
    int_invoice_lines_taxed: that of its line of the subscription and
    price taxed on a whole period's amount, else that of that line's tax
    rates (at their most exact line), else that line's own; else (an
    inclusive price the subscription never billed) that of the tax rates
    of the subscription's inclusive lines; else 1 when the subscription's
    lines were never charged any tax (a customer exempt or in no taxing
    place); else that of the price on any subscription; else 1 (no line
    states a tax yet).
    `tax_ratio_joins` joins the candidates to `relation` (which has
    subscription_id and price_id); `tax_ratio` picks, given whether the
    price is tax-inclusive.
-#}
{% macro tax_ratio_joins(relation, lines_taxed='lines_taxed') -%}
    left join {{ lines_taxed }} as subscription_ratios
        on
            {{ relation }}.subscription_id = subscription_ratios.subscription_id
            and {{ relation }}.price_id = subscription_ratios.price_id
            and subscription_ratios.is_ratio_of_subscription_price
    left join {{ lines_taxed }} as subscription_rate_ratios
        on
            subscription_ratios.tax_rates_key
            = subscription_rate_ratios.tax_rates_key
            and subscription_rate_ratios.is_ratio_of_tax_rates
    left join {{ lines_taxed }} as subscription_inclusive_ratios
        on
            {{ relation }}.subscription_id
            = subscription_inclusive_ratios.subscription_id
            and subscription_inclusive_ratios.is_ratio_of_subscription_inclusive
    left join {{ lines_taxed }} as rate_ratios
        on
            subscription_inclusive_ratios.tax_rates_key
            = rate_ratios.tax_rates_key
            and rate_ratios.is_ratio_of_tax_rates
    left join {{ lines_taxed }} as subscription_tax_states
        on
            {{ relation }}.subscription_id
            = subscription_tax_states.subscription_id
            and subscription_tax_states.is_tax_state_of_subscription
    left join {{ lines_taxed }} as price_ratios
        on
            {{ relation }}.price_id = price_ratios.price_id
            and price_ratios.is_ratio_of_price
{%- endmacro %}

{#- post-hook of int_invoice_lines_taxed (PostgreSQL): a partial index
    per join of tax_ratio_joins, on the flagged lines it reads. A daily
    run values the evidence of a few subscriptions and reads their lines'
    shares through them; without them each of the joins read every line
    (at 30,000 customers, twelve scans of 315,000 lines for 21,000 lines
    of evidence). Other engines keep no index. -#}
{% macro line_ratio_indexes() -%}
    {{ return(adapter.dispatch('line_ratio_indexes')()) }}
{%- endmacro %}

{% macro default__line_ratio_indexes() -%}
{%- endmacro %}

{% macro postgres__line_ratio_indexes() -%}
    {%- set keys = [
        ('subscription_price', 'subscription_id, price_id',
            'is_ratio_of_subscription_price'),
        ('subscription_inclusive', 'subscription_id',
            'is_ratio_of_subscription_inclusive'),
        ('tax_state', 'subscription_id', 'is_tax_state_of_subscription'),
    ] -%}
    {%- for flag, key in line_ratio_flags() -%}
        {%- do keys.append((key ~ '_ratio', key, flag)) -%}
    {%- endfor -%}
    {%- for suffix, columns, flag in keys %}
    {{ ensure_index(this, suffix, columns, where=flag) }};
    {%- endfor %}
{%- endmacro %}

{% macro tax_ratio(is_inclusive_price) -%}
    coalesce(
        case
            when subscription_ratios.is_whole_period_taxed
                then subscription_ratios.net_of_tax_ratio
        end,
        subscription_rate_ratios.net_of_tax_ratio,
        subscription_ratios.net_of_tax_ratio,
        case
            when {{ is_inclusive_price }}
                then coalesce(
                    rate_ratios.net_of_tax_ratio,
                    subscription_inclusive_ratios.net_of_tax_ratio
                )
        end,
        case
            when not subscription_tax_states.is_charged_tax then 1
        end,
        price_ratios.net_of_tax_ratio,
        1
    )
{%- endmacro %}

{#- The line of int_invoice_lines_taxed that stands for a set of lines:
    one with an amount (a trial's zero line states nothing), a full period
    first, then one taxed on its whole amount (no discount), then the
    largest taxed base, then the latest. -#}
{% macro most_exact_line_order() -%}
    order by
        amount_cents <> 0 desc,
        is_proration asc,
        taxed_base_cents = amount_cents desc,
        abs(taxed_base_cents) desc,
        invoice_created_at desc,
        invoice_line_item_id desc
{%- endmacro %}

{#- The flags of int_invoice_lines_taxed that compare lines of every
    subscription, each with the key of its sets: the most exact line of
    each set of tax rates, and of each price. -#}
{% macro line_ratio_flags() -%}
    {{ return([
        ('is_ratio_of_tax_rates', 'tax_rates_key'),
        ('is_ratio_of_price', 'price_id'),
    ]) }}
{%- endmacro %}

{#- One of those flags: true for the most exact line of its set (lines
    without the key form no set). `alias` qualifies the key where the query
    joins other relations. -#}
{% macro line_ratio_flag(flag, key, alias='') -%}
    {%- set column = alias ~ '.' ~ key if alias else key -%}
    {{ column }} is not null
    and row_number() over (
        partition by {{ column }} {{ most_exact_line_order() }}
    ) = 1 as {{ flag }}
{%- endmacro %}

{% macro line_ratios_across_subscriptions() -%}
    {%- for flag, key in line_ratio_flags() %}
    {{ line_ratio_flag(flag, key) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- post-hook of int_invoice_lines_taxed on an incremental run, before
    the state is recorded: the lines it rebuilt may take those flags from,
    or give them to, lines of subscriptions it kept. The most exact line of
    a set is the first in one total order, so it is the first of the set's
    standing winner and its rebuilt lines; only a set whose winner was
    rebuilt away (its invoice voided, its line gone) is ranked again whole.
    So a run sorts what it rebuilt and the few winners, not every line of
    the table (at 100,000 customers, two sorts of 1.06 million). Joins,
    not `in (select ...) or ...` (docs/style.md). The rows whose flag
    changed are written. -#}
{% macro line_ratios_across_subscriptions_update() -%}
    {%- if history_is_kept() and is_incremental() -%}
        {%- set table = adapter.quote(this.identifier) -%}
        {%- for flag, key in line_ratio_flags() %}
        update {{ this }}
        set {{ flag }} = winners.{{ flag }}
        from (
            select
                lines.invoice_line_item_id,
                {{ line_ratio_flag(flag, key, 'lines') }}
            from {{ this }} as lines
            left join (
                select distinct changes.subscription_id
                from {{ history_state('changes') }} as changes
            ) as rebuilt
                on {{ subscription_key('lines.subscription_id') }}
                = rebuilt.subscription_id
            left join (
                select {{ key }}
                from {{ this }}
                where {{ key }} is not null
                group by {{ key }}
                having sum(case when {{ flag }} then 1 else 0 end) = 0
            ) as unwon
                on lines.{{ key }} = unwon.{{ key }}
            {# Lines without the key form no set: a rebuilt one was
                written false, a kept one never won (most lines have no
                inclusive tax, hence no tax rates key). -#}
            where
                lines.{{ key }} is not null
                and (
                    rebuilt.subscription_id is not null
                    or lines.{{ flag }}
                    or unwon.{{ key }} is not null
                )
        ) as winners
        where
            {{ table }}.invoice_line_item_id = winners.invoice_line_item_id
            and {{ table }}.{{ flag }} is distinct from winners.{{ flag }};
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
