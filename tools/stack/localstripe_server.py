"""Run localstripe on 127.0.0.1 with its store in a project folder.

localstripe's own entry point listens on all interfaces and pickles its whole
store to /tmp after every write. Here the store lives in memory while the
server runs and is written to the given folder a few seconds after writes
settle (at most every SAVE_EVERY seconds) and when it stops (SIGTERM or
SIGINT), so the fake Stripe survives `make down` / `make up` and a killed
process like the warehouse does, and nothing lands in a shared path.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import signal
import socket
import sys
from pathlib import Path

SAVE_EVERY = 5.0  # seconds


def _persist_store(store: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe import resources, server

    args.state_dir.mkdir(parents=True, exist_ok=True)
    store_file = args.state_dir / "store.pickle"
    # No write-through dump to /tmp: a write marks the store dirty, and the
    # event loop (the only thread that touches it) saves it now and then.
    dirty = False

    def mark_dirty(self) -> None:
        nonlocal dirty
        dirty = True

    resources.Store.dump_to_disk = mark_dirty

    async def save_when_dirty(app: web.Application) -> None:
        nonlocal dirty
        while True:
            await asyncio.sleep(SAVE_EVERY)
            if dirty:
                dirty = False
                _persist_store(resources.store, store_file)

    async def start_saving(app: web.Application) -> None:
        app["saver"] = asyncio.get_running_loop().create_task(save_when_dirty(app))

    server.app.on_startup.append(start_saving)
    if store_file.exists():
        with open(store_file, "rb") as handle:
            resources.store.update(pickle.load(handle))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))

    def stop(signum: int, frame: object) -> None:
        _persist_store(resources.store, store_file)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(
        server.app, sock=sock, print=None, handle_signals=False, access_log=None
    )


if __name__ == "__main__":
    main()
