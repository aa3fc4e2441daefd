"""The analytics app: a Streamlit app over the marts.

    python -m tools.app serve          # what `make app` runs
    python -m tools.app screenshots    # what `make app-screenshots` runs
    python -m tools.app.bench          # render time of every page

Modules: `db` (the one place that connects: read-only, role stripe_app when
it exists), `queries` with the SQL in `sql/`, `pii` (columns the manifest
tags `pii`), `fmt` (numbers and money), `charts` (Altair), `filters` (the
sidebar), `screens/` (one module per page; not `pages/`, which Streamlit
would turn into a navigation of its own), `main` (the script Streamlit runs),
`browser` (serve on a loopback port, drive chromium: tests and screenshots).
"""
