"""The local stack starts on loopback, answers, is harmless to start twice,
keeps its data over a restart, and stops by pid."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.request

from conftest import TEST_STACK, base_environment, connect, run


def _listening_addresses(port: int) -> set[str]:
    out = run(["ss", "-Hltn", f"sport = :{port}"], base_environment(), check=False)
    return {line.split()[3].rsplit(":", 1)[0] for line in out.stdout.splitlines()}


def test_servers_answer_on_loopback_only(stack_env):
    conn = connect(stack_env)
    with conn.cursor() as cur:
        cur.execute("show listen_addresses")
        assert cur.fetchone()[0] == "127.0.0.1"
    conn.close()
    base = stack_env["STRIPE_API_BASE"]
    assert base.startswith("http://127.0.0.1:")
    request = urllib.request.Request(
        f"{base}/v1/customers?limit=1",
        headers={"Authorization": f"Bearer {stack_env['STRIPE_API_KEY']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    stripe_port = int(base.rsplit(":", 1)[1])
    for port in (int(stack_env["PGPORT"]), stripe_port):
        addresses = _listening_addresses(port)
        assert addresses == {"127.0.0.1"}, addresses


def test_second_up_is_harmless_and_status_reports(stack_env):
    env = base_environment()
    before = run([sys.executable, "-m", "tools.stack", "status"], env).stdout
    second = run([sys.executable, "-m", "tools.stack", "up"], env)
    assert "127.0.0.1" in second.stdout
    after = run([sys.executable, "-m", "tools.stack", "status"], env).stdout
    assert before == after
    assert "running, pid" in after


def test_restart_keeps_warehouse_data_and_stops_by_pid(stack_env):
    conn = connect(stack_env)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create table if not exists stack_probe (v int)")
        cur.execute("insert into stack_probe values (42)")
    conn.close()
    env = base_environment()
    down = run([sys.executable, "-m", "tools.stack", "down"], env).stdout
    assert "postgresql  stopped" in down
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(stack_env["PGPORT"]))) != 0
    status = run([sys.executable, "-m", "tools.stack", "status"], env).stdout
    assert "stopped" in status
    run([sys.executable, "-m", "tools.stack", "up"], env)
    conn = connect(stack_env)
    with conn.cursor() as cur:
        cur.execute("select v from stack_probe")
        assert cur.fetchall() == [(42,)]
        cur.execute("drop table stack_probe")
    conn.commit()
    conn.close()


def test_prod_without_pghost_is_refused():
    env = base_environment(ENV="PROD")
    result = run([sys.executable, "-m", "tools.stack", "up"], env, check=False)
    assert result.returncode != 0
    assert "PGHOST" in result.stdout


def test_local_stripe_killed_keeps_what_was_written(stack_env):
    """The fake Stripe saves its store shortly after writes, so a killed
    server (a reboot, a closed terminal) does not lose the business that the
    warehouse already holds."""
    from tools.stack import localstripe_server  # conftest put ROOT on the path

    base, key = stack_env["STRIPE_API_BASE"], stack_env["STRIPE_API_KEY"]
    headers = {"Authorization": f"Bearer {key}"}
    request = urllib.request.Request(
        f"{base}/v1/customers", data=b"email=kept%40example.com", headers=headers
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        customer = json.load(response)["id"]
    time.sleep(localstripe_server.SAVE_EVERY + 2)
    pid_file = TEST_STACK / "localstripe" / "server.pid"
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)
    run([sys.executable, "-m", "tools.stack", "up"], base_environment())
    request = urllib.request.Request(f"{base}/v1/customers/{customer}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["email"] == "kept@example.com"
