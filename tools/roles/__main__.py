"""python -m tools.roles [--if-admin]: create the warehouse roles and their
grants; with --if-admin (make all), a login that may not is a note, not an
error."""

from __future__ import annotations

import sys

from extract import config
from extract.errors import UserError
from tools.roles import ROLES, keep_passwords, new_passwords, passwords_dir
from tools.roles.grants import apply


def main() -> int:
    import psycopg2

    env = config.child_environment()
    config.require_warehouse(env)
    secrets = new_passwords(env)
    try:
        conn = psycopg2.connect(
            host=env["PGHOST"],
            port=env["PGPORT"],
            user=env["PGUSER"],
            password=env.get("PGPASSWORD", ""),
            dbname=env["PGDATABASE"],
            connect_timeout=10,
        )
    except psycopg2.OperationalError as exc:
        raise UserError(f"cannot connect to the warehouse: {exc}".strip()) from None
    try:
        with conn, conn.cursor() as cur:
            apply(cur, env["PGDATABASE"], secrets)
    except psycopg2.errors.InsufficientPrivilege as exc:
        if "--if-admin" in sys.argv[1:]:
            print(
                f"roles: skipped, {env['PGUSER']} may not create roles; every "
                "process connects as it. An administrator can run `make roles`."
            )
            return 0
        raise UserError(
            "make roles needs an administrator of the server ("
            f"{(exc.pgerror or str(exc)).strip().splitlines()[0]}); run it with "
            "PGUSER set to a superuser, or a role with CREATEROLE that owns the "
            "database."
        ) from None
    finally:
        conn.close()
    keep_passwords(env, secrets)
    print(
        f"roles: {', '.join(ROLES)} ready in database {env['PGDATABASE']}; "
        f"passwords in {passwords_dir(env)} (0600)"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
