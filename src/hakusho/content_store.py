"""Files kept by the hash of everything that made them: drawn charts and font subsets.

Some outputs are pure functions of inputs that recur from build to build: a chart's SVG of its
chart dict, language, size, style sheet, fonts and drawing code; a font subset of the font file
and the characters a page uses. The build's cache keeps each such file under the sha256 of those
inputs (``<cache>/<kind>/<key>``), so the same drawing is made once — a notebook run in English
after the Japanese one, a preview rebuild after an edit that left most charts alone, a report
built again with a filter seen before — and found again by content, never by name or date.

Which cache: the one of the build running this process, named by ``HAKUSHO_CACHE``
(:func:`hakusho.config.shared_cache`), which the build sets for itself, its kernels and its
renderers. Without it nothing is kept and everything is made afresh: a notebook opened by hand
or a test writes nothing. A file that cannot be read back is a miss; one that cannot be written
is skipped — the store only ever saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from hakusho import config


def key(*parts: Any) -> str:
    """The sha256 of ``parts`` as canonical JSON (keys sorted; bytes as their own sha256)."""
    def encodable(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return {"sha256": hashlib.sha256(value).hexdigest()}
        raise TypeError(f"cannot key a {type(value).__name__}")

    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=encodable)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, remembered per process for as long as its size and mtime hold."""
    stat = Path(path).stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    found = _DIGESTS.get((path, size, mtime_ns))
    if found is None:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        found = _DIGESTS[(path, size, mtime_ns)] = digest.hexdigest()
    return found


def files_digest(paths: Iterable[Path]) -> str:
    """One digest of the contents of several files, in the order given (their place on disk is
    left out, so a project moved elsewhere finds its cache again)."""
    return key([file_digest(p) for p in paths])


def folder(kind: str) -> Path | None:
    """``<cache>/<kind>`` of the build this process works for, or None outside a build."""
    return config.shared_cache(kind)


def get(kind: str, name: str) -> bytes | None:
    """The bytes stored under ``name``, or None."""
    where = folder(kind)
    if where is None:
        return None
    path = where / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest when the cache is pruned
    return data


def put(kind: str, name: str, data: bytes) -> None:
    """Store ``data`` under ``name`` (atomically: written aside, then renamed into place)."""
    where = folder(kind)
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{name[:12]}-", dir=where)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, where / name)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def made(kind: str, name: str, make: Callable[[], bytes]) -> bytes:
    """The stored bytes under ``name``, or ``make()``'s, stored for next time."""
    data = get(kind, name)
    if data is None:
        data = make()
        put(kind, name, data)
    return data
