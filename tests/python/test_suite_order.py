"""The order `make test` hands modules to its workers keeps test_marts,
which changes the session's fixture warehouse, after every module that
reads that warehouse; within a module the longest tests go first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FIRST, LONGEST_IN_MODULE

HERE = Path(__file__).parent


def test_modules_reading_the_fixture_warehouse_run_before_test_marts():
    readers = {
        path.name
        for path in HERE.glob("test_*.py")
        if "oltp_warehouse" in path.read_text()
        and path.name not in ("test_marts.py", Path(__file__).name)
    }
    assert readers, "no module reads oltp_warehouse: the check reads nothing"
    assert readers <= set(FIRST), sorted(readers - set(FIRST))
    marts = FIRST.index("test_marts.py")
    assert all(FIRST.index(name) < marts for name in readers), readers


def test_make_test_keeps_that_order():
    """pytest-xdist's loadfile hands modules out by their number of tests
    unless told to keep the collection's order."""
    recipe = (HERE.parents[1] / "Makefile").read_text().split("\ntest:", 1)[1]
    command = recipe.split("\n\n", 1)[0]
    assert "--dist loadfile --no-loadscope-reorder" in command, command


def test_the_longest_tests_of_a_module_are_collected_first():
    """A worker is handed its next module while the last two tests of the
    current one run: those must not be its longest (conftest)."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist"]
        + [str(HERE / "test_dbt_oltp.py")],
        cwd=HERE.parents[1],
        # -q's one node id a line, whatever options the caller's run adds
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
        text=True,
        capture_output=True,
        check=True,
    ).stdout.splitlines()
    names = [line.split("::", 1)[1] for line in collected if "::" in line]
    assert len(names) > len(LONGEST_IN_MODULE) + 2, names
    assert sorted(names[: len(LONGEST_IN_MODULE)]) == sorted(LONGEST_IN_MODULE)
