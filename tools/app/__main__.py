"""python -m tools.app serve | screenshots [directory]

`serve` runs the app on 127.0.0.1:APP_PORT (default 8501) over the warehouse
the PG* variables name (`make app` sets them). `screenshots` serves it on a
free loopback port and writes the Overview and MRR pages as PNGs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from extract.errors import UserError, run_main
from tools.app import browser

DEFAULT_PORT = 8501
SCREENSHOT_DIR = browser.ROOT / "docs" / "images"
SCREENSHOT_PAGES = ("overview", "mrr")


def app_port(environ: dict[str, str] | None = None) -> int:
    text = (os.environ if environ is None else environ).get("APP_PORT", "")
    if not text.strip():
        return DEFAULT_PORT
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise UserError(f"APP_PORT={text!r} is not a port: use e.g. APP_PORT=8502")
    return int(text)


def serve() -> int:
    port = app_port()
    if not browser.port_is_free(port):
        raise UserError(
            f"port {port} on 127.0.0.1 is taken: stop what uses it or pick"
            " another, e.g. make app APP_PORT=8502"
        )
    print(f"app: http://127.0.0.1:{port}  (Ctrl-C stops it)", flush=True)
    command = browser.streamlit_command(port)
    os.execv(command[0], command)
    return 0


def screenshots(directory: Path) -> int:
    if not browser.chromium_path():
        raise UserError(
            "no chromium to take screenshots with: apt-get install -y chromium"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with browser.served(dict(os.environ)) as url, browser.chromium() as chrome:
        for slug in SCREENSHOT_PAGES:
            target = directory / f"app-{slug}.png"
            browser.screenshot(chrome, url, slug, target)
            print(f"{slug} -> {target}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        return serve()
    if argv[:1] == ["screenshots"]:
        return screenshots(Path(argv[1]) if len(argv) > 1 else SCREENSHOT_DIR)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
