"""Snapshot directories: read `<resource>.jsonl[.gz]` or `.json`, write `.jsonl`."""

from __future__ import annotations

import gzip
import logging
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import orjson
import pyarrow as pa

from extract import settings
from extract.errors import UserError
from extract.progress import Progress
from extract.rows import RowBatch, empty_table, has_secret, parent_of

log = logging.getLogger("extract")

MANIFEST = "manifest.json"
SUFFIXES = (".jsonl", ".jsonl.gz", ".json")
# Snapshot files hold personal data: readable by their owner only.
FILE_MODE = 0o600


def _private(path: Path) -> IO[bytes]:
    """A new file (truncated if it exists) that only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


class SnapshotLineError(UserError):
    """A malformed object in a snapshot file."""


def _resource_file(directory: Path, resource: str) -> Path | None:
    found = [directory / f"{resource}{s}" for s in SUFFIXES]
    found = [path for path in found if path.is_file()]
    if len(found) > 1:
        names = ", ".join(path.name for path in found)
        raise UserError(
            f"{directory} holds {names} for the same resource; keep one of them."
        )
    return found[0] if found else None


def open_snapshot(directory: str | os.PathLike) -> tuple[dict[str, Path], dict]:
    """The resource files and manifest of a snapshot directory, checked."""
    path = Path(directory)
    if not path.is_dir():
        raise UserError(
            f"JSON_DIR={path} is not a directory; point JSON_DIR at a snapshot "
            "directory (write one with `make fetch`)."
        )
    files = {}
    for resource in settings.RESOURCES:
        found = _resource_file(path, resource.name)
        if found:
            files[resource.name] = found
    known = {found.name for found in files.values()} | {MANIFEST}
    for other in sorted(path.iterdir()):
        if other.name.endswith(SUFFIXES) and other.name not in known:
            log.info(
                "%s: no resource of the warehouse is called %s; skipped (a "
                "resource Stripe added since? docs/adding-a-resource.md)",
                other,
                _resource_name(other),
            )
    manifest_path = path / MANIFEST
    if not files:
        raise UserError(
            f"JSON_DIR={path} holds no snapshot (no <resource>.jsonl, "
            ".jsonl.gz or .json file such as customers.jsonl); write one with "
            "`make fetch` or point JSON_DIR at a snapshot directory."
        )
    if not manifest_path.is_file():
        raise UserError(
            f"{manifest_path} is missing; a snapshot names its API version "
            'there: {"api_version": "...", "captured_at": "..."}.'
        )
    try:
        manifest = orjson.loads(manifest_path.read_bytes())
        api_version = manifest["api_version"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise UserError(
            f"{manifest_path} is not a JSON object with an api_version; fix it "
            'to read {"api_version": "...", "captured_at": "..."}.'
        ) from None
    if not isinstance(api_version, str) or not api_version:
        raise UserError(f"{manifest_path}: api_version must be a non-empty string.")
    return files, manifest


def _malformed(path: Path, line: int, why: str) -> SnapshotLineError:
    return SnapshotLineError(
        f"{path}:{line}: {why}; fix or remove that line and run again (the "
        "objects loaded before it stay loaded)."
    )


def _check(obj: object, path: Path, line: int) -> dict:
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise _malformed(path, line, "not a Stripe object with a string id")
    resource = settings.RESOURCES_BY_NAME.get(_resource_name(path))
    if resource is None:
        return obj
    kind = obj.get("object")
    if kind is not None and kind != resource.object:
        raise _malformed(
            path,
            line,
            f"object {obj['id']} is a {kind!r}, and {path.name} holds "
            f"{resource.object!r} objects only",
        )
    typed = [("created", int), ("livemode", bool)]
    typed += [(field, int) for field, _ in resource.money]
    for field, kind in typed:
        value = obj.get(field)
        if value is not None and (
            not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        ):
            raise _malformed(
                path,
                line,
                f"{obj['id']}.{field} is {type(value).__name__} {value!r} where "
                f"Stripe sends {'an integer' if kind is int else 'a boolean'}",
            )
    return obj


def _resource_name(path: Path) -> str:
    name = path.name
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _decode(line: bytes, path: Path, number: int) -> object:
    if len(line) > settings.MAX_OBJECT_BYTES:
        raise _malformed(
            path,
            number,
            f"an object of {len(line) / 2**20:.0f} MiB, past the "
            f"{settings.MAX_OBJECT_BYTES // 2**20} MiB no Stripe object comes near",
        )
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _malformed(
                path,
                number,
                f"not UTF-8 (byte 0x{line[bad.start]:02x} at column "
                f"{bad.start + 1}); Stripe sends UTF-8 only: re-export the file "
                "as UTF-8",
            ) from None
        raise _malformed(path, number, f"invalid JSON ({exc})") from None


def read_objects(path: Path) -> Iterator[tuple[dict, bytes | None]]:
    """(object, raw JSON or None) per object, checked, in file order."""
    if path.name.endswith(".json"):
        yield from _read_envelope(path)
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            yield _check(_decode(line, path, number), path, number), line


def _read_envelope(path: Path) -> Iterator[tuple[dict, None]]:
    envelope = _decode(path.read_bytes(), path, 1)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
        raise _malformed(path, 1, 'not a list envelope {"object": "list", "data": []}')
    for number, obj in enumerate(envelope["data"], start=1):
        yield _check(obj, path, number), None


def embedded_parents(path: Path, field: str) -> dict[str, str]:
    """Child id -> parent id, from the lists embedded in a parent file.

    Older API shapes (and the local Stripe) leave the parent id off some
    children, e.g. a subscription item's `subscription`.
    """
    parents: dict[str, str] = {}
    for obj, _ in read_objects(path):
        for child in (obj.get(field) or {}).get("data") or []:
            if isinstance(child, dict) and "id" in child:
                parents[child["id"]] = obj["id"]
    return parents


class SnapshotWriter:
    """Writes one `<resource>.jsonl` per resource, then `manifest.json`.

    Files are written under a temporary name and renamed when complete, so an
    interrupted fetch never leaves a truncated file that looks whole.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._handles: dict[str, IO[bytes]] = {}

    def _handle(self, resource: str) -> IO[bytes]:
        if resource not in self._handles:
            tmp = self.directory / f".{resource}.jsonl.partial"
            self._handles[resource] = _private(tmp)
        return self._handles[resource]

    def write(self, resource: str, raw: bytes) -> None:
        handle = self._handle(resource)
        handle.write(raw)
        handle.write(b"\n")

    def commit(self, api_version: str) -> None:
        for resource in settings.RESOURCES:
            self._handle(resource.name).close()
            for suffix in SUFFIXES:
                (self.directory / f"{resource.name}{suffix}").unlink(missing_ok=True)
            os.replace(
                self.directory / f".{resource.name}.jsonl.partial",
                self.directory / f"{resource.name}.jsonl",
            )
        manifest = {
            "api_version": api_version,
            "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with _private(self.directory / MANIFEST) as handle:
            handle.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))

    def abort(self) -> None:
        for resource, handle in self._handles.items():
            handle.close()
            (self.directory / f".{resource}.jsonl.partial").unlink(missing_ok=True)


def erase_from_snapshot(directory: str | os.PathLike, customer_id: str) -> int:
    """Rewrite a snapshot directory's files without the customer's personal
    data (extract.erasure); the objects rewritten. Each file is replaced
    whole (written beside it, 0600, then renamed), in its own format."""
    from extract.erasure import erase_snapshot_file_objects

    files, _ = open_snapshot(directory)
    methods: set[str] = set()
    for table in ("charges", "payment_intents"):
        if table in files:
            for obj, _ in read_objects(files[table]):
                if obj.get("customer") == customer_id and obj.get("payment_method"):
                    methods.add(obj["payment_method"])
    erased = 0
    for path in files.values():
        objects, touched = [], 0
        for obj, raw in read_objects(path):
            if erase_snapshot_file_objects(obj, customer_id, methods):
                touched += 1
                raw = None
            objects.append(raw if raw is not None else orjson.dumps(obj))
        if not touched:
            continue
        erased += touched
        tmp = path.with_name(f".{path.name}.partial")
        if path.name.endswith(".json"):
            with _private(tmp) as handle:
                envelope = b",".join(objects)
                handle.write(b'{"object": "list", "has_more": false, "data": [')
                handle.write(envelope + b"]}")
        else:
            with _private(tmp) as plain:
                text = b"".join(line + b"\n" for line in objects)
                if path.name.endswith(".gz"):
                    text = gzip.compress(text)
                plain.write(text)
        os.replace(tmp, path)
    return erased


def snapshot_items(
    table: str,
    files: Mapping[str, Path],
    api_version: str,
    progress: Progress,
    errors: list[SnapshotLineError],
) -> Iterator[pa.Table]:
    """One table of a snapshot as arrow tables; an absent file is an empty table.

    A malformed line ends this table there: what came before it is loaded and
    the error is collected for the caller to report after the load.
    """
    batch = RowBatch(table, api_version)
    path = files.get(table)
    if path is None:
        yield empty_table(table)
        return
    resource = settings.RESOURCES_BY_NAME[table]
    child = resource.parent is not None
    parents: dict[str, str] | None = None
    try:
        for obj, raw in read_objects(path):
            clean = raw if raw is not None and not has_secret(raw) else None
            parent_id = parent_of(table, obj) if child else None
            if child and parent_id is None and resource.embedded:
                if parents is None:
                    parent_file = files.get(resource.parent)
                    parents = (
                        embedded_parents(parent_file, resource.embedded)
                        if parent_file
                        else {}
                    )
                parent_id = parents.get(obj["id"])
            batch.add(obj, clean, parent_id)
            if len(batch) >= settings.ARROW_BATCH_ROWS:
                progress.add(table, len(batch))
                yield batch.to_table()
    except SnapshotLineError as exc:
        errors.append(exc)
    progress.add(table, len(batch))
    yield batch.to_table()
    progress.done(table)
