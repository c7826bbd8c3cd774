"""Writing the archive's files: each replaced in one step, with its compressed copies, under one lock.

A reader (nginx, Caddy, the middleware) sees a file whole or not at all: every write goes to a temporary
file in the same folder, then `os.replace`. Compressed copies are written before the page they belong to
and removed after it, so a server that finds the page also finds copies at least as new.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import os
import threading
from collections.abc import Iterator
from pathlib import Path

try:  # Brotli copies only where the module is installed (it is not a requirement)
    import brotli
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None

# Bodies this small are sent faster as they are than compressed.
COMPRESS_FROM_BYTES = 512
LOCK_FILE = ".lock"


def compressed_copies(body: bytes) -> dict[str, bytes]:
    """The copies a server may send instead of `body`, by file suffix. gzip's timestamp is fixed, so the
    same page always gives the same bytes (and an unchanged page is not written again)."""
    if len(body) < COMPRESS_FROM_BYTES:
        return {}
    copies = {".gz": gzip.compress(body, compresslevel=9, mtime=0)}
    if brotli is not None:
        copies[".br"] = brotli.compress(body)
    return copies


def file_replace(target: Path, data: bytes) -> None:
    # Opened plainly, not with tempfile: the file gets the usual permissions (0644 under a 022 umask),
    # which a web server running as another user needs, not tempfile's 0600.
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def page_write(target: Path, body: bytes) -> bool:
    """Write the page and its compressed copies; False when the file already held these bytes."""
    if target.is_file() and target.read_bytes() == body:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    copies = compressed_copies(body)
    for suffix, data in copies.items():
        file_replace(target.with_name(target.name + suffix), data)
    for suffix in {".gz", ".br"} - copies.keys():
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    file_replace(target, body)
    return True


def page_remove(target: Path) -> bool:
    """Remove the page, then its copies; False when there was none."""
    existed = target.is_file()
    target.unlink(missing_ok=True)
    for suffix in (".gz", ".br"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    return existed


@contextlib.contextmanager
def writers_lock(root: Path) -> Iterator[None]:
    """One writer at a time in the folder (web processes, workers, commands, on one machine or sharing the
    folder): each renders what the database says once it holds the lock, so the last to write wrote the
    newest state."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pages_on_disk(root: Path) -> Iterator[Path]:
    """Every page file under the folder (not its compressed copies, the lock or half-written files)."""
    for folder, _subfolders, names in os.walk(root):
        for name in names:
            if not name.startswith(".") and not name.endswith((".gz", ".br")):
                yield Path(folder) / name
