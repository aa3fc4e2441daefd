-- Relations of the app's schemas, from the catalog (no table privilege needed).
select namespaces.nspname || '.' || classes.relname as relation
from pg_catalog.pg_class as classes
inner join pg_catalog.pg_namespace as namespaces
    on classes.relnamespace = namespaces.oid
where
    namespaces.nspname = any(%(schemas)s)
    and classes.relkind in ('r', 'v', 'm', 'p')
    and has_table_privilege(classes.oid, 'select')
