"""The chaos run in small: 40 customers, faults on a fifth of the requests,
5 SIGKILLs over listing, normalize and load, a database restart mid-load;
raw must then hold every object of the snapshot exactly once."""

from __future__ import annotations

import contextlib

import pytest
from conftest import fresh_database

from extract.errors import UserError
from tools.bench.report import Bench
from tools.bench.runs import synthetic_snapshot
from tools.chaos.cli import number
from tools.chaos.kills import phase_of, planned_kills
from tools.chaos.run import Databases, Plan, chaos

CUSTOMERS = 40
PLAN = Plan(kills=5, webhook_events=60, build=False, listing_seconds=2)


@pytest.fixture(scope="module")
def report(stack_env, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("chaos")
    bench = Bench(CUSTOMERS, 1, 3, out, stack_env, data_dir=out)
    snapshot = synthetic_snapshot(bench, CUSTOMERS)
    with contextlib.ExitStack() as stack:
        chaos_env, reference, webhooks = (
            stack.enter_context(fresh_database(stack_env)) for _ in range(3)
        )
        return chaos(bench, PLAN, Databases(chaos_env, reference, webhooks), snapshot)


def test_killed_and_faulty_extraction_loses_and_duplicates_nothing(report):
    raw = report["raw"]
    assert raw["objects"] > CUSTOMERS
    assert (raw["lost"], raw["duplicated"], raw["extra"], raw["changed"]) == (
        0,
        0,
        0,
        0,
    ), raw["by_table"]
    assert report["rounds"]["finished"]


def test_kills_faults_and_restart_all_happened(report):
    rounds = report["rounds"]
    assert sum(rounds["kills"].values()) >= PLAN.kills, rounds
    assert rounds["db_restarts"] == 1
    faults = report["faults"]
    for kind in ("dropped", "errors", "unavailable", "throttled", "slow"):
        assert faults.get(kind, 0) > 0, faults


def test_webhooks_twice_and_out_of_order_are_stored_once_at_the_latest(report):
    hooks = report["webhooks"]
    assert hooks["deliveries"] == 2 * hooks["events"] > 0
    assert (hooks["refused"], hooks["stored_twice"], hooks["missing"]) == (0, 0, 0)
    assert hooks["objects_checked"] > 0 and hooks["objects_stale"] == 0


def test_report_has_no_problems(report):
    assert report["problems"] == []


def test_phase_is_read_from_dlt_folders(tmp_path):
    assert phase_of(tmp_path) == "listing"
    (tmp_path / "normalize" / "extracted" / "1.2").mkdir(parents=True)
    assert phase_of(tmp_path) == "normalize"
    (tmp_path / "load" / "normalized" / "1.2").mkdir(parents=True)
    assert phase_of(tmp_path) == "load"


def test_kills_are_spread_over_the_three_phases_load_last():
    assert planned_kills(10) == ["listing"] * 4 + ["normalize"] * 3 + ["load"] * 3
    assert planned_kills(5) == ["listing"] * 2 + ["normalize"] * 2 + ["load"]


def test_bad_size_names_the_variable_and_a_fix(monkeypatch):
    monkeypatch.setenv("CHAOS_CUSTOMERS", "many")
    with pytest.raises(UserError, match="CHAOS_CUSTOMERS='many'.*e.g. 2000"):
        number("CHAOS_CUSTOMERS", "2000")
