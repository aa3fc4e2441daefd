-- Relations of the app's schemas, from Spark's catalog as the app's db module
-- lists it in app_catalog (local Spark has no privileges: whoever opens its
-- metastore reads every relation).
select table_schema || '.' || table_name as relation
from app_catalog
where array_contains(%(schemas)s, table_schema)
