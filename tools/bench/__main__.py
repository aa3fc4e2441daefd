"""python -m tools.bench (see tools.bench.cli)."""

from extract.errors import run_main
from tools.bench.cli import main

run_main(main)
