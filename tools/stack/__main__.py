"""python -m tools.stack up|down|status|psql|exec (see tools.stack.cli)."""

import sys

from extract.errors import run_main
from tools.stack.cli import main

run_main(lambda: main(sys.argv[1:]))
