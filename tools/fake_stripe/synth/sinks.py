"""Where rendered objects go: the snapshot's files, or one block's buffer."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson

from tools.fake_stripe.objects import RESOURCES

dumps = orjson.dumps

# The generator's ground truth, beside the resources: `_truth/<name>.jsonl`.
# Not a resource, so the loader (which reads `<resource>.jsonl` names of the
# resource list only) never sees it.
TRUTH = "_truth/subscriptions"
STREAMS = (*RESOURCES, TRUTH)


class SnapshotSink:
    """One buffered file per resource; counts what it writes."""

    def __init__(self, directory: Path, compress: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.counts = dict.fromkeys(STREAMS, 0)
        self.files: dict[str, Any] = {}
        self.raw_files: dict[str, Any] = {}
        self.pending: dict[str, list[bytes]] = {name: [] for name in STREAMS}
        self.sizes = dict.fromkeys(STREAMS, 0)
        suffix = ".jsonl.gz" if compress else ".jsonl"
        (directory / TRUTH).parent.mkdir(exist_ok=True)
        for name in STREAMS:
            for stale in (f"{name}.jsonl", f"{name}.jsonl.gz", f"{name}.json"):
                (directory / stale).unlink(missing_ok=True)
            path = directory / f"{name}{suffix}"
            if compress:
                # No name and a zero mtime in the header: the same bytes every run.
                raw = self.raw_files[name] = open(path, "wb")  # noqa: SIM115
                self.files[name] = gzip.GzipFile(
                    filename="", mode="wb", compresslevel=1, fileobj=raw, mtime=0
                )
            else:
                self.files[name] = open(path, "wb")  # noqa: SIM115
        (directory / "manifest.json").unlink(missing_ok=True)

    def write(self, resource_name: str, value: dict) -> bytes:
        data = dumps(value)
        self.pending[resource_name].append(data)
        size = self.sizes[resource_name] + len(data)
        if size > 1 << 18:
            self.flush(resource_name)
        else:
            self.sizes[resource_name] = size
        return data

    def flush(self, resource_name: str) -> None:
        pending = self.pending[resource_name]
        if pending:
            pending.append(b"")
            self.emit(resource_name, b"\n".join(pending))
            self.counts[resource_name] += len(pending) - 1
            pending.clear()
            self.sizes[resource_name] = 0

    def emit(self, resource_name: str, chunk: bytes) -> None:
        self.files[resource_name].write(chunk)

    def write_chunk(self, resource_name: str, chunk: bytes, count: int) -> None:
        """Lines another process rendered (newline-terminated), in order."""
        self.flush(resource_name)
        self.files[resource_name].write(chunk)
        self.counts[resource_name] += count

    def sync(self) -> None:
        """Everything pending is in the files (before forking workers)."""
        for name, handle in self.files.items():
            self.flush(name)
            handle.flush()

    def close(self) -> None:
        for name, handle in self.files.items():
            self.flush(name)
            handle.close()
        for raw in self.raw_files.values():  # GzipFile leaves a given file open
            raw.close()


class BlockSink(SnapshotSink):
    """Collects one block's lines in memory for the process that writes.

    Lines are joined every 256 KiB: orjson's bytes can carry many times
    their length in spare capacity, so holding thousands of them would cost
    far more memory than the text they hold.
    """

    def __init__(self) -> None:  # no files: nothing to open or remove
        self.counts = dict.fromkeys(STREAMS, 0)
        self.pending = {name: [] for name in STREAMS}
        self.sizes = dict.fromkeys(STREAMS, 0)
        self.chunks: dict[str, list[bytes]] = {name: [] for name in STREAMS}

    def emit(self, resource_name: str, chunk: bytes) -> None:
        self.chunks[resource_name].append(chunk)

    def take(self) -> dict[str, tuple[bytes, int]]:
        taken = {}
        for name in STREAMS:
            self.flush(name)
            if self.counts[name]:
                taken[name] = (b"".join(self.chunks[name]), self.counts[name])
        return taken
