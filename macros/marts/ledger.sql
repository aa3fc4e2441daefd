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
    (Stripe's ids name their object), else the transaction's own type. -#}
{% macro balance_source_type(source_id, balance_transaction_type) -%}
    case
        when {{ source_id }} like 'ch\_%' or {{ source_id }} like 'py\_%'
            then 'charge'
        when {{ source_id }} like 're\_%' or {{ source_id }} like 'pyr\_%'
            then 'refund'
        when {{ source_id }} like 'dp\_%' or {{ source_id }} like 'du\_%'
            then 'dispute'
        when {{ source_id }} like 'po\_%' then 'payout'
        when {{ source_id }} like 'tr\_%' then 'transfer'
        when {{ source_id }} like 'trr\_%' then 'transfer_reversal'
        when {{ source_id }} like 'fee\_%' then 'application_fee'
        when {{ source_id }} like 'fr\_%' then 'application_fee_refund'
        when {{ source_id }} like 'tu\_%' then 'topup'
        else {{ balance_transaction_type }}
    end
{%- endmacro %}

{#- The fee types of Stripe's `fee_details[]` that get a column of their
    own; any other type, and fees without details, are in `other`. -#}
{% macro fee_detail_types() -%}
    {{ return(['stripe_fee', 'application_fee', 'tax']) }}
{%- endmacro %}
