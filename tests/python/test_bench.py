"""`make bench`: its sections run for real on a tiny company, on the test
stack, and its helpers (the 1 % change, per-layer times, the table) do what
the report says they do."""

from __future__ import annotations

import json
import sys

import orjson
import pytest
from conftest import run

from extract import settings
from tools.bench import report, runs


def test_loader_and_extraction_sections_measure_and_report(stack_env, tmp_path):
    env = {k: v for k, v in stack_env.items() if not k.startswith(("PG", "STRIPE_"))}
    out = tmp_path / "bench.json"
    result = run(
        [sys.executable, "-m", "tools.bench", "--customers", "30", "--runs", "1"]
        + ["--only", "loader,extraction", "--baseline-customers", "30"]
        + ["--extraction-customers", "30", "--pager-seconds", "2"]
        + ["--data-dir", str(tmp_path / "data"), "--out", str(out)]
        + ["--results-dir", str(tmp_path / "results")],
        env,
        timeout=600,
    )
    report = json.loads(out.read_text())
    rows = {row["metric"]: row for row in report["results"]}
    loader = next(r for m, r in rows.items() if m.startswith("snapshot -> stripe_raw"))
    objects = report["objects"]
    assert objects > 500 and f"({objects:,} objects)" in loader["metric"]
    assert loader["median"] > 0 and loader["peak_mib"] > 50
    assert rows["this loader / dlt defaults"]["median"] > 0
    listing = next(r for m, r in rows.items() if m.startswith("requests/s while"))
    assert 0 < listing["max"] <= 1.01  # the replay server's limit was kept
    whole = rows["requests/s over the whole run, fraction of the limit"]
    assert 0 < whole["max"] <= listing["max"]
    assert rows["peak memory of extraction"]["met"] is True
    assert "one-request-at-a-time pager, top-level lists" in rows
    # the printed table carries every row
    for metric in rows:
        assert metric.strip() in result.stdout
    # the bench's databases are gone
    assert (
        "bench_loader"
        not in run([sys.executable, "-m", "tools.stack", "psql", "-lqt"], env).stdout
    )


def test_refuses_a_warehouse_it_did_not_start(tmp_path):
    result = run(
        [sys.executable, "-m", "tools.bench", "--runs", "1"],
        {"PATH": "/usr/bin:/bin", "PGHOST": "db.example", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode != 0
    assert "embedded PostgreSQL only: unset PGHOST" in result.stdout


def test_changed_snapshot_changes_one_object_in_a_hundred(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    lines = [
        orjson.dumps({"id": f"cus_{i}", "object": "customer", "metadata": {}})
        for i in range(250)
    ]
    (source / "customers.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (source / "manifest.json").write_text('{"api_version": "2026-10-28.endive"}')
    written = runs.write_changed_snapshot(source, tmp_path / "delta", offset=3)
    changed = [
        orjson.loads(line)
        for line in (tmp_path / "delta" / "customers.jsonl").read_bytes().splitlines()
    ]
    assert written == len(changed) == 3  # objects 3, 103, 203
    assert [c["id"] for c in changed] == ["cus_3", "cus_103", "cus_203"]
    assert all(c["metadata"] == {"bench_changed": "3"} for c in changed)
    assert (tmp_path / "delta" / "manifest.json").is_file()


def test_changed_account_changes_one_object_in_n_with_its_event(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    customers = [
        {"id": f"cus_{i}", "object": "customer", "metadata": {}} for i in range(25)
    ]
    items = [{"id": "si_1", "object": "subscription_item", "metadata": {}}]
    old_event = {"id": "evt_old", "object": "event", "created": 5, "data": {}}
    for name, objects in (
        ("customers", customers),
        ("subscription_items", items),
        ("events", [old_event]),
    ):
        text = b"".join(orjson.dumps(obj) + b"\n" for obj in objects)
        (source / f"{name}.jsonl").write_bytes(text)
    (source / "manifest.json").write_text('{"api_version": "2026-10-28.endive"}')

    changes = runs.write_changed_account(source, tmp_path / "after", 10, 1234)

    def read(name):
        text = (tmp_path / "after" / f"{name}.jsonl").read_bytes()
        return [orjson.loads(line) for line in text.splitlines()]

    after = read("customers")
    changed = [c for c in after if c["metadata"]]
    assert changes == 3  # customers 0, 10, 20; child items change with parents
    assert [c["id"] for c in changed] == ["cus_0", "cus_10", "cus_20"]
    assert len(after) == 25 and read("subscription_items") == items
    events = read("events")
    assert events[0] == old_event
    assert [e["data"]["object"] for e in events[1:]] == changed
    assert {(e["created"], e["api_version"]) for e in events[1:]} == {
        (1234, settings.STRIPE_API_VERSION)
    }


def test_node_times_are_summed_per_layer(tmp_path):
    project = "stripe_warehouse"
    manifest = {
        "nodes": {
            f"model.{project}.stg_stripe__customers": {
                "fqn": [project, "staging", "stripe", "stg_stripe__customers"]
            },
            f"model.{project}.customers": {"fqn": [project, "oltp", "customers"]},
            f"model.{project}.fct_mrr": {"fqn": [project, "marts", "mrr", "fct_mrr"]},
        }
    }
    results = {
        "results": [
            {
                "unique_id": f"model.{project}.stg_stripe__customers",
                "execution_time": 1,
            },
            {"unique_id": f"model.{project}.customers", "execution_time": 2},
            {"unique_id": f"model.{project}.fct_mrr", "execution_time": 4},
            {"unique_id": f"test.{project}.unique_x", "execution_time": 8},
            {"unique_id": f"seed.{project}.currencies", "execution_time": 16},
            {
                "unique_id": f"snapshot.{project}.customers_snapshot",
                "execution_time": 32,
            },
        ]
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    assert runs.layer_seconds(tmp_path) == {
        "seeds": 16,
        "staging": 1,
        "oltp": 2,
        "marts": 4,
        "snapshots": 32,
        "tests": 8,
    }


def test_table_shows_median_min_max_and_verdict(tmp_path):
    bench = report.Bench(1, 3, 7, tmp_path, {})
    bench.add(
        report.Result("loader", "rate", "objects/s", [10, 30, 20], 100, ">= 15", True)
    )
    bench.add(
        report.Result(
            "transform", "ratio", "fraction", [0.5], target="<= 0.1", met=False
        )
    )
    text = report.table(bench)
    lines = text.splitlines()
    assert lines[1].split()[:5] == ["loader", "rate", "20.0", "10.0", "30.0"]
    assert ">= 15 (met)" in lines[1] and "<= 0.1 (MISSED)" in lines[2]


def test_peak_memory_counts_a_child_nobody_waits_for(tmp_path):
    """pyspark's Java process is such a child: the launcher never waits for
    it, so wait4's rusage alone would report the launcher's few MiB."""
    grandchild = "import time; block = bytearray(300 * 2**20); time.sleep(1.5)"
    launcher = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(1.2)"
    )
    done = runs.measure([sys.executable, "-c", launcher], {}, tmp_path / "log")
    assert done.peak_mib >= 300


def test_unknown_engine_is_refused_by_name():
    from tools.bench import cli

    with pytest.raises(SystemExit):
        cli.parse(["--engines", "duckdb,snowflake"])
    assert cli.parse(["--engines", "spark"]).engine_list == ["spark"]


def test_change_steps_are_chosen_by_name():
    from tools.bench import cli

    with pytest.raises(SystemExit):
        cli.parse(["--changes", "1pct,2pct"])
    assert cli.parse(["--changes", "1pct"]).change_list == ("1pct",)
    assert cli.parse([]).change_list == ("1pct", "0.1pct", "nothing")
