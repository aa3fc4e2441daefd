"""python -m tools.chaos (see tools.chaos.cli)."""

from extract.errors import run_main
from tools.chaos.cli import main

run_main(main)
