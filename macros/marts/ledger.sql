{#-
    The balance ledger's vocabulary (rules in docs/metrics.md, "What reached
    the balance"). One place each, so the facts, the rollups and their
    tests classify a balance transaction the same way.
-#}

{#- The ledger class of a balance transaction, from its reporting
    category: sales, refunds, disputes, payouts or other. -#}
{% macro ledger_class(reporting_category) -%}
    case
        when {{ reporting_category }} = 'charge' then 'sales'
        when {{ reporting_category }} in ('refund', 'refund_failure')
            then 'refunds'
        when {{ reporting_category }} in ('dispute', 'dispute_reversal')
            then 'disputes'
        when {{ reporting_category }} in ('payout', 'payout_reversal')
            then 'payouts'
        else 'other'
    end
{%- endmacro %}

{#- The kind of object that moved the balance, from the prefix of its id
    (Stripe's ids name their object), else the transaction's own type.
    Prefixes compare with substr, not `like 'ch\_%'`: LIKE's escape
    character differs between engines (DuckDB has none by default). -#}
{% macro balance_source_type(source_id, balance_transaction_type) -%}
    {%- set source_types = [
        (['ch_', 'py_'], 'charge'),
        (['re_', 'pyr_'], 'refund'),
        (['dp_', 'du_'], 'dispute'),
        (['po_'], 'payout'),
        (['tr_'], 'transfer'),
        (['trr_'], 'transfer_reversal'),
        (['fee_'], 'application_fee'),
        (['fr_'], 'application_fee_refund'),
        (['tu_'], 'topup'),
    ] -%}
    case
        {%- for prefixes, source_type in source_types %}
        when
            {%- for prefix in prefixes %}
            {% if not loop.first %}or {% endif -%}
            substr({{ source_id }}, 1, {{ prefix | length }}) = '{{ prefix }}'
            {%- endfor %}
            then '{{ source_type }}'
        {%- endfor %}
        else {{ balance_transaction_type }}
    end
{%- endmacro %}

{#- The fee types of Stripe's `fee_details[]` that get a column of their
    own; any other type, and fees without details, are in `other`. -#}
{% macro fee_detail_types() -%}
    {{ return(['stripe_fee', 'application_fee', 'tax']) }}
{%- endmacro %}

{#- The sum of a balance transaction's `fee_details[]` of one type, in
    minor units of its currency, read from the row's own array: null when
    it has none of that type. A model that reads its changed transactions
    by key never aggregates them apart and joins the sums back
    (docs/style.md). -#}
{% macro fee_detail_cents(fee_details, fee_type) -%}
    {{ return(adapter.dispatch('fee_detail_cents')(fee_details, fee_type)) }}
{%- endmacro %}

{% macro default__fee_detail_cents(fee_details, fee_type) -%}
    (
        select sum({{ json_bigint('fee_detail.element', 'amount') }})
        from {{ json_array_elements(fee_details, '') }}
            as fee_detail (element, position)
        where {{ json_text('fee_detail.element', 'type') }} = '{{ fee_type }}'
    )
{%- endmacro %}
