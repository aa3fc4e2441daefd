-- Tables, views and estimated rows per layer, from DuckDB's catalog (its
-- estimate is the row count the file's storage keeps per table).
with relations as (
    select
        schema_name as layer,
        'table' as kind,
        estimated_size as estimated_rows
    from duckdb_tables()
    where database_name = current_database()
    union all
    select
        schema_name as layer,
        'view' as kind,
        null as estimated_rows
    from duckdb_views()
    where database_name = current_database() and not internal
)

select
    layer,
    count(*) filter (where kind = 'table') as tables,
    count(*) filter (where kind = 'view') as views,
    sum(estimated_rows) filter (where kind = 'table')::bigint as estimated_rows
from relations
where
    layer in (
        'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
        'documents'
    )
group by layer
order by
    list_position(
        [
            'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
            'documents'
        ],
        layer
    )
