"""Least-privilege roles of the warehouse (make roles).

Four login roles, each what one process needs and nothing more:

- `stripe_loader` writes the raw schema (the extractor connects as it);
- `stripe_transformer` reads raw and owns every schema dbt writes (dbt);
- `stripe_analyst` reads the masked views of marts and documents only;
- `stripe_app` reads marts and documents, read-only (the analytics app).

Passwords are generated once, kept 0600 in the stack directory (one folder
per PostgreSQL server) and never printed. `tools.stack exec --role NAME`
connects a command as that role once the roles exist.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import yaml

from extract import config, settings

LOADER = "stripe_loader"
TRANSFORMER = "stripe_transformer"
ANALYST = "stripe_analyst"
APP = "stripe_app"
ROLES = (LOADER, TRANSFORMER, ANALYST, APP)

RAW_SCHEMA = settings.DATASET_NAME
# dlt's merge loads stage rows in a schema of their own beside the dataset.
RAW_SCHEMAS = (RAW_SCHEMA, f"{RAW_SCHEMA}_staging")


def _project_vars() -> dict:
    project = yaml.safe_load((config.ROOT / "dbt_project.yml").read_text())
    return project["vars"]


def schema_lists() -> dict[str, tuple[str, ...]]:
    """The one place the schemas come from: the vars of dbt_project.yml."""
    project = _project_vars()
    return {
        "transformed": tuple(project["transformed_schemas"]),
        "masked": (project["masked_schema"],),
        "analyst_sources": tuple(project["analyst_schemas"]),
        "app": tuple(project["app_schemas"]),
    }


def passwords_dir(environ: Mapping[str, str]) -> Path:
    """Where this server's role passwords live: per host and port."""
    stack_dir = config.load(dict(environ)).stack_dir
    server = f"{environ.get('PGHOST', '')}_{environ.get('PGPORT', '5432')}"
    return stack_dir / "roles" / re.sub(r"[^A-Za-z0-9_.-]", "_", server)


def password(environ: Mapping[str, str], role: str) -> str | None:
    """A role's password, as `make roles` kept it; None before that."""
    path = passwords_dir(environ) / f"{role}.password"
    return path.read_text().strip() if path.exists() else None


def new_passwords(environ: Mapping[str, str]) -> dict[str, str]:
    """Each role's kept password, or a new one for a role that has none."""
    return {
        role: password(environ, role) or secrets.token_urlsafe(32) for role in ROLES
    }


def keep_passwords(environ: Mapping[str, str], passwords: Mapping[str, str]) -> None:
    """Write the passwords (0600) once the roles have them: a file stands for
    a role that exists, so a failed `make roles` leaves none."""
    directory = passwords_dir(environ)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for role, secret in passwords.items():
        path = directory / f"{role}.password"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secret)


def role_environment(environ: dict[str, str], role: str | None) -> dict[str, str]:
    """The environment of a command: STRIPE_ROLES=1 once the roles exist (dbt
    grants to them then) and, with `role`, PGUSER/PGPASSWORD of that role."""
    env = dict(environ)
    if env.get("WAREHOUSE", "postgres").lower() != "postgres":
        return env  # roles are PostgreSQL's; DuckDB is one file, no logins
    if password(env, APP) is None:
        return env
    env["STRIPE_ROLES"] = "1"
    if role:
        if role not in ROLES:
            from extract.errors import UserError

            raise UserError(f"--role {role} is not one of {', '.join(ROLES)}.")
        env["PGUSER"] = role
        env["PGPASSWORD"] = password(env, role) or ""
    return env
