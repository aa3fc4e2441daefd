"""The app's one way into the warehouse.

Every query runs in a read-only transaction, sees only the `marts` and
`documents` schemas on its search path and, once the role exists, runs as
`stripe_app`, so the app can read the marts and nothing else whatever the
login role may do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import psycopg2

APP_ROLE = "stripe_app"
SCHEMAS = ("marts", "documents")
STATEMENT_TIMEOUT_MS = 60_000


class WarehouseUnavailable(RuntimeError):
    """No server answers, or the database is missing: the stack is not up."""


def connection_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """libpq keywords for the app's connections, from the PG* variables.

    The server options make every transaction read-only and bound its time;
    they hold from the first statement, before anything else runs.
    """
    env = os.environ if environ is None else environ
    options = [
        "-c default_transaction_read_only=on",
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        f"-c search_path={','.join(SCHEMAS)}",
        "-c application_name=stripe-app",
    ]
    settings = {
        "host": env.get("PGHOST", "127.0.0.1"),
        "port": env.get("PGPORT", "5432"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
        "dbname": env.get("PGDATABASE", "stripe"),
        "options": " ".join(options),
        "connect_timeout": 5,
    }
    return {key: value for key, value in settings.items() if value is not None}


def settings_key(settings: Mapping[str, Any]) -> str:
    """What identifies a warehouse in the query cache (never the password)."""
    return "{host}:{port}/{dbname}@{user}".format(
        **{k: settings.get(k, "") for k in ("host", "port", "dbname", "user")}
    )


def connect(settings: Mapping[str, Any]):
    """A read-only connection, switched to stripe_app when that role exists
    and the login role may take it."""
    try:
        conn = psycopg2.connect(**settings)
    except psycopg2.OperationalError as exc:
        raise WarehouseUnavailable(str(exc).strip()) from exc
    conn.set_session(readonly=True, autocommit=False)
    with conn.cursor() as cur:
        cur.execute(
            "select pg_has_role(current_user, oid, 'member') from pg_roles"
            " where rolname = %s and rolname <> current_user",
            (APP_ROLE,),
        )
        row = cur.fetchone()
        if row and row[0]:
            cur.execute(f"set role {APP_ROLE}")
    conn.commit()  # a rolled-back transaction would undo the set role
    return conn


def fetch(
    settings: Mapping[str, Any], sql: str, params: Mapping[str, Any] | None = None
) -> tuple[list[str], list[tuple]]:
    """Run one query; its column names and rows."""
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or {})
            columns = [column.name for column in cur.description or []]
            return columns, cur.fetchall() if cur.description else []
    finally:
        conn.rollback()
        conn.close()
