"""The statements of `make roles`: create the roles and grant what each needs.

Run as an administrator of the server (the embedded one's superuser, or a
role with CREATEROLE that owns the database). Idempotent: a second run
changes nothing, and it may run on a warehouse built before the roles
existed (the schemas and what they hold change owner).
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg2 import sql

from tools.roles import (
    ANALYST,
    APP,
    LOADER,
    RAW_SCHEMAS,
    ROLES,
    TRANSFORMER,
    schema_lists,
)

# Relation kinds whose owner follows the schema's: tables, views,
# materialized views, sequences, partitioned tables.
_OWNED_KINDS = ("r", "v", "m", "S", "p", "f")


def ensure_role(cur, role: str, secret: str) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    verb = "alter" if cur.fetchone() else "create"
    cur.execute(
        # no superuser, createdb or createrole: the defaults (an admin with
        # CREATEROLE only may not even name them)
        sql.SQL(verb + " role {} login password %s").format(sql.Identifier(role)),
        (secret,),
    )


def own_schema(cur, schema: str, owner: str) -> None:
    """The schema and everything in it belong to `owner`."""
    ident, role = sql.Identifier(schema), sql.Identifier(owner)
    cur.execute(
        sql.SQL("create schema if not exists {} authorization {}").format(ident, role)
    )
    cur.execute(sql.SQL("alter schema {} owner to {}").format(ident, role))
    cur.execute(
        "select c.relname, c.relkind from pg_class as c"
        " join pg_namespace as n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind = any(%s)"
        " and pg_get_userbyid(c.relowner) <> %s"
        # a sequence owned by a column follows its table
        " and not exists (select 1 from pg_depend as d where d.objid = c.oid"
        " and d.deptype in ('a', 'i') and c.relkind = 'S')",
        (schema, list(_OWNED_KINDS), owner),
    )
    for name, kind in cur.fetchall():
        word = {"v": "view", "m": "materialized view", "S": "sequence"}.get(
            kind, "foreign table" if kind == "f" else "table"
        )
        cur.execute(
            sql.SQL("alter " + word + " {}.{} owner to {}").format(
                ident, sql.Identifier(name), role
            )
        )


def grant_reads(cur, schemas: Iterable[str], owner: str, reader: str) -> None:
    """`reader` may read every table and view of `schemas`, now and later."""
    who = sql.Identifier(reader)
    for schema in schemas:
        ident = sql.Identifier(schema)
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(ident, who))
        cur.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(ident, who)
        )
        cur.execute(
            sql.SQL(
                "alter default privileges for role {} in schema {}"
                " grant select on tables to {}"
            ).format(sql.Identifier(owner), ident, who)
        )


def apply(cur, database: str, secrets: dict[str, str]) -> None:
    """Every role and grant, in one transaction."""
    lists = schema_lists()
    for role in ROLES:
        ensure_role(cur, role, secrets[role])
    db = sql.Identifier(database)
    everyone = sql.SQL(", ").join(sql.Identifier(r) for r in ROLES)
    cur.execute(sql.SQL("revoke create on database {} from public").format(db))
    cur.execute(sql.SQL("grant connect on database {} to {}").format(db, everyone))
    # dbt creates its schemas with `create schema if not exists`, which asks
    # for the privilege even when they exist.
    cur.execute(
        sql.SQL("grant create on database {} to {}").format(
            db, sql.Identifier(TRANSFORMER)
        )
    )
    for schema in RAW_SCHEMAS:
        own_schema(cur, schema, LOADER)
    grant_reads(cur, RAW_SCHEMAS[:1], LOADER, TRANSFORMER)
    for schema in lists["transformed"]:
        own_schema(cur, schema, TRANSFORMER)
    grant_reads(cur, lists["masked"], TRANSFORMER, ANALYST)
    grant_reads(cur, lists["app"], TRANSFORMER, APP)
    # The analyst and the app reach nothing else, whatever PUBLIC may do.
    for role in (ANALYST, APP, LOADER):
        others = [
            s
            for s in (*lists["transformed"], *RAW_SCHEMAS)
            if not (
                (role == ANALYST and s in lists["masked"])
                or (role == APP and s in lists["app"])
                or (role == LOADER and s in RAW_SCHEMAS)
            )
        ]
        for schema in others:
            cur.execute(
                sql.SQL("revoke all on schema {} from {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
