"""`make build`: dbt build over what changed since the last passing build.

    python -m tools.build [dbt build arguments]

A daily build pays for what changed, not for the company's size. The last
passing build leaves, per warehouse database, its manifest and a mark of
every raw table (row count and latest `_dlt_load_id`: the extractor, the
webhook receiver and the erasure all write a new load id with each row
they touch; raw never deletes a row). The next build selects

- `source:stripe.<table>+` for each raw table whose mark moved, and
- `state:modified+` against the saved manifest (models, tests, seeds,
  macros or configs edited since),

so the models (and snapshots, documents) downstream of unchanged tables
and unchanged code, and their tests, do not run; when nothing changed dbt
has nothing to do and the build takes seconds. When code changed upstream
of an incremental model (`state:modified+,config.materialized:incremental`
is not empty: an upgrade of the project, an edited macro or seed), the
selected nodes are built with --full-refresh: an incremental run would
apply the new code to newly loaded rows only. Every model is a function
of raw, the seeds and the code (the running month is measured at the
latest load, not the clock), so the skipped models are the ones a full
build would leave as they are.

Unit tests are left out (`--exclude-resource-type unit_test`, as dbt
advises for production): each checks a model's SQL on the fixed rows it
carries, so its result does not depend on the warehouse's data and a
scheduled build would pay for it every run for nothing. `make test` runs
them all, on PostgreSQL and DuckDB; `UNIT_TESTS=1 make build` runs them
here too.

Ready nodes start longest path first (tools/build/schedule.py): the
node with the slowest chain still after it, timed by the latest passing
build, not the shallowest one as dbt orders them.

Every node is built, and the state saved afresh, on the first build of a
database, with FULL_REFRESH and with BUILD_ALL=1. dbt runs exactly as asked,
reading and saving no state, when the caller picks the nodes itself
(--select, --exclude, --selector, --resource-type ...) and on an engine
other than PostgreSQL. The state is saved only after a build that passed:
a failing build leaves the previous marks, so the next one selects its
tables again.
"""
