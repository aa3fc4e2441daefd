-- Relations of the app's schemas, from DuckDB's catalog (a DuckDB file has
-- no privileges: whoever opens it reads every relation).
select table_schema || '.' || table_name as relation
from information_schema.tables
where
    table_catalog = current_database()
    and table_schema = any(%(schemas)s)
