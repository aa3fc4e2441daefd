-- The latest load that reached each fact, from the facts' own loaded_at
-- (the app reads the marts, not the raw schema).
select 'fct_charges' as mart, max(loaded_at) as last_loaded_at, count(*) as rows
from fct_charges
union all
select 'fct_invoices', max(loaded_at), count(*) from fct_invoices
union all
select 'fct_invoice_line_items', max(loaded_at), count(*)
from fct_invoice_line_items
union all
select 'fct_refunds', max(loaded_at), count(*) from fct_refunds
union all
select 'fct_disputes', max(loaded_at), count(*) from fct_disputes
union all
select 'fct_balance_transactions', max(loaded_at), count(*)
from fct_balance_transactions
