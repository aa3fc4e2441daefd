"""Serve the app on a loopback port and look at it with headless chromium.

Used by the browser test and `make app-screenshots`. Playwright drives
Debian's chromium (its own browser download is not available here); the
server is stopped by its pid when the block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAIN = Path(__file__).with_name("main.py")
READY_TIMEOUT = 90
PAGE_TIMEOUT_MS = 90_000
CHART = '[data-testid="stVegaLiteChart"]'
METRIC = '[data-testid="stMetricValue"]'
EXCEPTION = '[data-testid="stException"]'
VIEWPORT = {"width": 1440, "height": 1000}


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN),
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.toolbarMode=minimal",
    ]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the app exited {process.returncode}:\n{log.read_text()}"
            )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(
        f"the app did not answer in {READY_TIMEOUT}s:\n{log.read_text()}"
    )


@contextlib.contextmanager
def served(env: dict[str, str], port: int | None = None) -> Iterator[str]:
    """The app running on 127.0.0.1 with env's warehouse; yields its URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_dir = ROOT / "logs"
    log_dir.mkdir(exist_ok=True)
    log = log_dir / f"app-{port}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            streamlit_command(port),
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def chromium():
    """A headless chromium browser driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not executable:
        raise RuntimeError("no chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, slug: str, charts: int = 1, **context):
    """A browser page showing the app's page `slug`, once its script has run
    and at least `charts` charts have drawn."""
    page = browser.new_page(viewport=context.get("viewport", VIEWPORT))
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(f"{url}/?page={slug}")
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_selector("h1")
    _wait_drawn(page, charts)
    return page


def switch_to(page, title: str, charts: int = 1) -> None:
    """Pick another page in the sidebar (no reload: the app's frontend stays
    loaded) and wait until it has run and drawn `charts` charts."""
    sidebar = page.locator('[data-testid="stSidebar"] [data-testid="stRadioOption"]')
    sidebar.filter(has_text=title).first.click()
    page.wait_for_function(
        "title => document.querySelector('h1')?.innerText === title", arg=title
    )
    _wait_drawn(page, charts)


_DRAWN_CHARTS = """(selector) => [...document.querySelectorAll(selector)].filter(
    (chart) => !chart.closest('[data-stale="true"]')
        && chart.querySelector('canvas, svg.marks')).length"""


def drawn_charts(page) -> int:
    """Charts of the current run (not left over from the page before) that
    have drawn their marks."""
    return page.evaluate(_DRAWN_CHARTS, CHART)


def _wait_drawn(page, charts: int) -> None:
    """Until the script has finished (no running indicator, no element left
    stale from the run before) and `charts` charts have drawn."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && !document.querySelector('[data-stale="true"]')"""
    )
    if charts:
        page.wait_for_function(
            f"(count) => ({_DRAWN_CHARTS})({CHART!r}) >= count", arg=charts
        )
    page.wait_for_timeout(300)  # the last deltas paint


# Tall enough for each page's content: Streamlit scrolls inside its main
# area, so a full-page screenshot is only as tall as the window.
SCREENSHOT_HEIGHTS = {"overview": 820, "mrr": 1880}
SCREENSHOT_CHARTS = {"overview": 2, "mrr": 4}


def screenshot(browser, url: str, slug: str, target: Path) -> None:
    viewport = {"width": 1440, "height": SCREENSHOT_HEIGHTS.get(slug, 1000)}
    page = open_page(
        browser, url, slug, charts=SCREENSHOT_CHARTS.get(slug, 0), viewport=viewport
    )
    try:
        page.screenshot(path=str(target))
    finally:
        page.close()
