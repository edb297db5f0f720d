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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from hakusho import config


def key(*parts: Any) -> str:
    """The sha256 of ``parts`` as canonical JSON (keys sorted; bytes as their own sha256)."""
    def encodable(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return {"sha256": hashlib.sha256(value).hexdigest()}
        raise TypeError(f"cannot key a {type(value).__name__}")

    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=encodable)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


T = TypeVar("T")


def file_digest(path: Path | str) -> str:
    """sha256 of a file's bytes, remembered per process for as long as the file is the same one
    (inode), of the same size, last modified at the same nanosecond and its status last changed
    at the same nanosecond — what any write changes (the status change time cannot be set back).
    A build checks its outputs against their manifest more than once; a preview hashes its inputs
    again after every edit. The file system keeps those times to a clock tick, so (as git does)
    a file changed in the last seconds is hashed every time: a second write within the same tick
    would leave them as they were."""
    stat = os.stat(path)
    state = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    found = _DIGESTS.get((str(path), state))
    if found is None:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        found = digest.hexdigest()
        if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS:
            _DIGESTS[(str(path), state)] = found
    return found


_DIGESTS: dict[tuple[str, tuple[int, ...]], str] = {}
_SETTLED_NS = 2_000_000_000  # a file unchanged for this long is not being written any more


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


# ------------------------------------------------------------------------------ in memory


def bytes_digest(data: bytes | str) -> bytes:
    """A short digest of some content, for keying what :class:`Remembered` keeps."""
    return hashlib.blake2b(data.encode("utf-8") if isinstance(data, str) else data, digest_size=20).digest()


class Remembered(Generic[T]):
    """Values made from content, kept in this process under a key that holds all of that content
    (its digest, never a file's name or date): the same content gives the value already made.

    Builds read the same documents and redo the same work several times (the commentary is
    checked, linted and rendered from one set of figures), and ``hakusho preview`` builds again
    after every edit in the same process: what an edit left unchanged — a chapter's parsed
    figures, a checked commentary file, a chart made ready for the page — is found here instead
    of being made again, so a sentence of commentary re-renders in a fraction of a second. The
    values are shared, so they are never changed by whoever receives them. At most ``size``
    values are kept, the least recently used going first.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under ``key``, or ``make()``'s, kept for next time (a failure is not kept)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
