"""The script Streamlit runs: `streamlit run tools/app/main.py`."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tools.app import shell  # noqa: E402

shell.render()
