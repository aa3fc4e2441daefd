"""The order `make test` hands modules to its workers keeps test_marts,
which changes the session's fixture warehouse, after every module that
reads that warehouse."""

from __future__ import annotations

from pathlib import Path

from conftest import FIRST

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
