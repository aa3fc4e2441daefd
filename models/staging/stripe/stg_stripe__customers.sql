{#- `account_balance` before API version 2019-10-17 (and in the local
    Stripe): the same figure under its older name. -#}
{%- set balance_cents -%}
    coalesce(
        {{ json_bigint('data', 'balance') }},
        {{ json_bigint('data', 'account_balance') }}
    )
{%- endset -%}

with

source as (

    {{ raw_documents(source('stripe', 'customers')) }}

),

final as (

    select
        source.id as customer_id,
        {{ json_id('data', 'invoice_settings.default_payment_method') }}
            as default_payment_method_id,
        {{ json_text('data', 'email') }} as email,
        {{ json_text('data', 'name') }} as customer_name,
        {{ json_text('data', 'description') }} as description,
        {{ json_text('data', 'phone') }} as phone,
        {{ json_text('data', 'currency') }} as currency,
        {{ json_text('data', 'address.country') }} as country,
        {{ json_object('data', 'metadata') }} as metadata,
        {{ money_columns_of(balance_cents, 'balance') }},
        {{ json_bool('data', 'delinquent') }} as is_delinquent,
        {{ stripe_record_columns() }}
    from source
    {{ join_currency_exponent() }}

)

select * from final
