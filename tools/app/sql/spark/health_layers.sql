-- Tables and views per layer, from Spark's catalog as the app's db module
-- lists it in app_catalog. Spark keeps no row estimate unless ANALYZE TABLE
-- has run, and counting every table is no health check: no estimate.
select
    table_schema as layer,
    count_if(table_kind = 'table') as tables,
    count_if(table_kind = 'view') as views,
    cast(null as bigint) as estimated_rows
from app_catalog
where
    table_schema in (
        'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
        'documents'
    )
group by table_schema
order by
    array_position(
        array(
            'stripe_raw', 'staging', 'oltp', 'marts', 'snapshots', 'seeds',
            'documents'
        ),
        table_schema
    )
