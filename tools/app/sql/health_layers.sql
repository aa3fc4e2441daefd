-- Tables, views and estimated rows per layer, from the planner's estimate or
-- the statistics collector's live rows, whichever knows more (a table
-- loaded but never analyzed has no estimate); no table privilege needed.
select
    namespaces.nspname as layer,
    count(*) filter (where classes.relkind in ('r', 'p')) as tables,
    count(*) filter (where classes.relkind in ('v', 'm')) as views,
    sum(
        greatest(classes.reltuples, pg_stat_get_live_tuples(classes.oid), 0)
    ) filter (
        where classes.relkind in ('r', 'p')
    )::bigint as estimated_rows
from pg_catalog.pg_class as classes
inner join pg_catalog.pg_namespace as namespaces
    on classes.relnamespace = namespaces.oid
where
    namespaces.nspname in (
        'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
        'documents'
    )
    and classes.relkind in ('r', 'p', 'v', 'm')
group by namespaces.nspname
order by
    array_position(
        array[
            'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
            'documents'
        ]::name [],
        namespaces.nspname
    )
