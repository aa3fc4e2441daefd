"""One place that turns the environment into the project's settings.

Every make target runs through here, so psql, dbt, dlt and the tests all see
the same warehouse and the same Stripe. The variable names are libpq's and
Stripe's own (see the configuration table in the README).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from extract import settings
from extract.errors import UserError

ROOT = Path(__file__).resolve().parent.parent

# The local Stripe accepts any key that starts with sk_; this one is not a
# secret and never reaches a real Stripe.
LOCAL_STRIPE_KEY = "sk_test_localstripe"
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
DEFAULT_API_BASE = "https://api.stripe.com"
PG_DATABASE = "stripe"
PG_SUPERUSER = "postgres"


# WAREHOUSE: where the extraction lands and which dbt target family builds.
WAREHOUSES = ("postgres", "duckdb", "spark")
# The dbt target of each (profiles/profiles.yml), unless DBT_TARGET is set.
DBT_TARGETS = {"postgres": "pg", "duckdb": "duckdb", "spark": "spark"}

# FULL_REFRESH's words for yes, compared lowercased.
TRUE_WORDS = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    env: str
    stack_dir: Path
    pg_managed: bool
    stripe_managed: bool
    warehouse: str = "postgres"

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def pg_dir(self) -> Path:
        return self.stack_dir / "pgdata"

    @property
    def stripe_dir(self) -> Path:
        return self.stack_dir / "localstripe"


def load(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("ENV", "dev").strip().lower() or "dev"
    if env not in ("dev", "prod"):
        raise UserError(f"ENV={env!r} is not known; use ENV=dev or ENV=prod.")
    stack_dir = Path(environ.get("STACK_DIR", ROOT / ".stack"))
    if not stack_dir.is_absolute():
        stack_dir = ROOT / stack_dir
    engine = warehouse(environ)
    pg_managed = env == "dev" and not environ.get("PGHOST") and engine == "postgres"
    stripe_managed = env == "dev" and not environ.get("STRIPE_API_BASE")
    return Settings(env, stack_dir, pg_managed, stripe_managed, engine)


def warehouse(environ: Mapping[str, str]) -> str:
    """WAREHOUSE=postgres|duckdb|spark, in any case; postgres when unset."""
    name = (environ.get("WAREHOUSE") or "postgres").strip().lower()
    if name not in WAREHOUSES:
        raise UserError(
            f"WAREHOUSE={name!r} is not known; use WAREHOUSE=postgres, "
            "WAREHOUSE=duckdb or WAREHOUSE=spark."
        )
    return name


def duckdb_path(environ: Mapping[str, str]) -> Path:
    """The DuckDB file of WAREHOUSE=duckdb: DUCKDB_PATH, else in STACK_DIR."""
    if environ.get("DUCKDB_PATH"):
        return Path(environ["DUCKDB_PATH"]).resolve()
    return load(environ).stack_dir / "duckdb" / "stripe.duckdb"


def spark_dir(environ: Mapping[str, str]) -> Path:
    """The local Spark of WAREHOUSE=spark: raw Parquet files, the warehouse
    dir and the Derby metastore, all under SPARK_DIR, else STACK_DIR/spark."""
    if environ.get("SPARK_DIR"):
        return Path(environ["SPARK_DIR"]).resolve()
    return load(environ).stack_dir / "spark"


def require_warehouse(environ: dict[str, str]) -> None:
    """Stop with the fix when no warehouse is configured (ENV=prod, no PGHOST)."""
    if warehouse(environ) == "postgres" and not environ.get("PGHOST"):
        raise UserError(
            "ENV=prod starts nothing and uses your own PostgreSQL: set PGHOST, "
            "PGPORT, PGUSER, PGPASSWORD and PGDATABASE to it."
        )


def full_refresh(environ: Mapping[str, str]) -> bool:
    """FULL_REFRESH=1|true|yes|on, in any case: reload every table, rebuild every
    model. The one parser of the variable: the extractor asks here, and so does
    the Makefile for dbt's --full-refresh (`python -m tools.stack dbt-flags`)."""
    return (environ.get("FULL_REFRESH") or "").strip().lower() in TRUE_WORDS


def http_timeout(environ: Mapping[str, str]) -> float:
    """STRIPE_HTTP_TIMEOUT: seconds a request may take before it is retried
    (settings.HTTP_TIMEOUT_SECONDS unless set)."""
    value = environ.get("STRIPE_HTTP_TIMEOUT")
    if not value:
        return settings.HTTP_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise UserError(
            f"STRIPE_HTTP_TIMEOUT={value!r} is not a positive number of seconds; "
            f"set it to e.g. {settings.HTTP_TIMEOUT_SECONDS:g}, or unset it."
        )
    return seconds


def event_objects_stand_in(environ: Mapping[str, str]) -> bool:
    """EVENT_OBJECTS=use (the default) writes a changed object from its
    newest event where that event stands for it (extract/README.md);
    EVENT_OBJECTS=retrieve retrieves every changed object, one request each."""
    value = (environ.get("EVENT_OBJECTS") or "use").strip().lower()
    if value not in ("use", "retrieve"):
        raise UserError(
            f"EVENT_OBJECTS={value!r} is not known; use EVENT_OBJECTS=use (the "
            "default) or EVENT_OBJECTS=retrieve."
        )
    return value == "use"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_port(state_file: Path, base: int, override: str | None) -> int:
    """The port a local server of this checkout uses.

    An explicit override wins; otherwise the port recorded at the first start
    is kept, so a restart finds the same warehouse. A new checkout derives its
    first candidate from its own path, so two checkouts rarely collide, and
    steps past ports that something else holds.
    """
    if override:
        return int(override)
    if state_file.exists():
        return int(state_file.read_text().strip())
    digest = hashlib.sha256(str(state_file.parent.resolve()).encode()).digest()
    candidate = base + int.from_bytes(digest[:2], "big") % 2000
    while not _port_is_free(candidate):
        candidate += 1
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(f"{candidate}\n")
    return candidate


def pg_port(settings: Settings, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    return choose_port(settings.stack_dir / "pg.port", 56000, environ.get("PGPORT"))


def stripe_port(settings: Settings, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    return choose_port(
        settings.stack_dir / "localstripe.port", 58000, environ.get("LOCALSTRIPE_PORT")
    )


def _stack_secret(settings: Settings, name: str, prefix: str = "") -> str:
    """A secret made once and kept 0600 in the stack dir, never printed."""
    path = settings.stack_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(prefix + hashlib.sha256(os.urandom(32)).hexdigest())
    return path.read_text().strip()


def pg_password(settings: Settings) -> str:
    """The embedded server's password."""
    return _stack_secret(settings, "pg.password")


def webhook_port(settings: Settings, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    return choose_port(
        settings.stack_dir / "webhook.port", 59000, environ.get("WEBHOOK_PORT")
    )


def webhook_secret(settings: Settings) -> str:
    """The local Stripe's webhook endpoint secret (whsec_...)."""
    return _stack_secret(settings, "webhook.secret", "whsec_")


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every tool of the project runs with.

    Fills in the PG* and STRIPE_* variables for the servers the project
    manages and leaves whatever the user set untouched.
    """
    env = dict(os.environ) if environ is None else dict(environ)
    settings = load(env)
    env["ENV"] = settings.env
    if settings.pg_managed:
        env["PGHOST"] = "127.0.0.1"
        env["PGPORT"] = str(pg_port(settings, env))
        env["PGUSER"] = PG_SUPERUSER
        env["PGPASSWORD"] = pg_password(settings)
        env.setdefault("PGDATABASE", PG_DATABASE)
    elif env.get("PGHOST"):
        env.setdefault("PGPORT", "5432")
        env.setdefault("PGDATABASE", PG_DATABASE)
    if settings.stripe_managed:
        env["STRIPE_API_BASE"] = f"http://127.0.0.1:{stripe_port(settings, env)}"
        env.setdefault("STRIPE_API_KEY", LOCAL_STRIPE_KEY)
        env.setdefault("STRIPE_WEBHOOK_SECRET", webhook_secret(settings))
    else:
        env.setdefault("STRIPE_API_BASE", DEFAULT_API_BASE)
    env["WEBHOOK_PORT"] = str(webhook_port(settings, env))
    env.setdefault("SOURCE", "api")
    env.setdefault("JSON_DIR", str(ROOT / "data" / "snapshot"))
    env["WAREHOUSE"] = settings.warehouse
    env.setdefault("DBT_TARGET", DBT_TARGETS[settings.warehouse])
    if settings.warehouse == "duckdb":
        env["DUCKDB_PATH"] = str(duckdb_path(env))
        Path(env["DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    if settings.warehouse == "spark":
        env["SPARK_DIR"] = str(spark_dir(env))
        Path(env["SPARK_DIR"]).mkdir(parents=True, exist_ok=True)
    env.setdefault("DBT_PROFILES_DIR", str(ROOT / "profiles"))
    env.setdefault("DBT_PROJECT_DIR", str(ROOT))
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    return env


def is_live_key(key: str | None) -> bool:
    return bool(key) and key.startswith(LIVE_KEY_PREFIXES)
