"""`make lint` in `make test`: ruff over the Python and sqlfluff (through
dbt's templater, so the SQL checked is what dbt compiles) over models, tests
and snapshots, with the house style in .sqlfluff. sqlfluff runs against a
fresh, empty database of the test stack: the templater asks the warehouse
whether incremental models exist, and an empty one answers for a first
build."""

from __future__ import annotations

import os

from conftest import ROOT, fresh_database, run

VENV_BIN = ROOT / ".venv" / "bin"


def _lines(output: str, marker: str) -> str:
    return "\n".join(line for line in output.splitlines() if marker in line)


def test_python_passes_ruff_check_and_format():
    env = dict(os.environ)
    checked = run([str(VENV_BIN / "ruff"), "check", "extract", "tools", "tests"], env)
    assert "All checks passed" in checked.stdout
    formatted = run(
        [str(VENV_BIN / "ruff"), "format", "--check", "extract", "tools", "tests"],
        env,
    )
    assert "would be reformatted" not in formatted.stdout


def test_sql_passes_sqlfluff_with_the_dbt_templater(stack_env):
    with fresh_database(stack_env) as env:
        env["PYTHONWARNINGS"] = "ignore::UserWarning"
        result = run(
            [
                str(VENV_BIN / "sqlfluff"),
                "lint",
                "models",
                "tests",
                "snapshots",
                "--format",
                "github-annotation-native",
            ],
            env,
            check=False,
        )
    # A file the templater could not compile is skipped, not failed: count
    # that as a failure too, or a broken model would pass the lint unseen.
    skipped = _lines(result.stdout, "Skipped file")
    assert not skipped, skipped
    assert result.returncode == 0, _lines(result.stdout, "::") or result.stdout
