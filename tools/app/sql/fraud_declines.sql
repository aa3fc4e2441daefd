-- Declined charges per decline code over the months chosen, and their
-- share of every charge in those months.
with

declines as (

    select
        coalesce(decline_code, 'unspecified') as decline_code,
        sum(declined_charge_count) as declined_charges
    from metrics_fraud_declines_monthly
    where month between %(start_month)s and %(end_month)s
    group by coalesce(decline_code, 'unspecified')

),

charges as (

    select sum(charge_count) as charges
    from metrics_fraud_monthly
    where month between %(start_month)s and %(end_month)s

)

select
    declines.decline_code,
    declines.declined_charges,
    declines.declined_charges::numeric / nullif(charges.charges, 0)
    as decline_rate
from declines
cross join charges
order by declines.declined_charges desc
