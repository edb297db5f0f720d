"""Atomic publishing: the report folder is replaced whole, or not at all.

A build writes into a staging folder next to its target (``report/.2025.tmp-<pid>-<random>/``,
same file system, so renames are atomic) and swaps it in only after every stage succeeded. The
swap exchanges the two folders in one ``renameat2(RENAME_EXCHANGE)`` call where the kernel and
file system offer it; elsewhere it renames the old tree aside, renames the new one in, and only
then deletes the old one. Either way the old tree stays whole until the new one is in place.

A failed, interrupted or killed build therefore leaves the previous report exactly as it was,
plus at most a staging folder, which the next build of the same target removes (and, should a
kill land between the two renames of the fallback, puts the old tree back). One build at a time
writes a target: a lock file next to it says so; the lock dies with its process and the file is
removed when the build ends. Ctrl-C or SIGTERM during the swap and the clean-up after it is held
until they are done, so an interrupt never leaves a published report half cleaned up or is
reported as "nothing published" when the new report is already in place.

Whether a folder may be replaced at all is decided before staging, by
:mod:`hakusho.pipeline.outputs`; this module only makes the replacement atomic.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from hakusho.config import display_path
from hakusho.errors import BuildError, OutputError
from hakusho.messages import Msg

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def _old_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def lock_path(target: Path) -> Path:
    """The lock file of a target (next to it: the target itself is swapped away)."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the target's build lock (non-blocking: a second build is told, not queued).

    The lock file is removed on release. A build that opened the file just before it was
    removed finds, after locking, that the path no longer names its file, and starts over.
    """
    target = Path(target)
    path = lock_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise BuildError(Msg("publish.locked", path=display_path(target), lock=display_path(path))) from None
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
            os.close(fd)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, display_path(target))) from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _leftover(path: Path, prefix: str) -> bool:
    """Whether ``path`` is a folder a killed publish of this target left: the exact name
    pattern this module gives them, holding nothing but what it puts there."""
    if not re.fullmatch(re.escape(prefix) + r"\d+-[A-Za-z0-9_]+", path.name):
        return False
    if path.is_symlink() or not path.is_dir():
        return False
    if prefix.endswith(".tmp-"):
        return all(p.name in ("tree", "work") for p in path.iterdir())
    return True


def is_staging(path: Path) -> bool:
    """Whether ``path`` is a staging folder a build makes next to its target (named and shaped
    as :class:`Staging` makes them): what a build writes while it runs, not a user's folder."""
    match = re.fullmatch(r"\.(.+)\.tmp-\d+-[A-Za-z0-9_]+", Path(path).name)
    return match is not None and _leftover(Path(path), _tmp_prefix(Path(path).with_name(match.group(1))))


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed builds of ``target`` left behind; returns what was removed.

    Call it holding :func:`locked`: no other build of this target is running then, so every
    staging folder found belongs to a build that died. If the target is missing but an old tree
    set aside by an interrupted swap survives, it is put back first. Only folders named and
    shaped as this module makes them are touched.
    """
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return []
    removed: list[Path] = []
    olds = sorted(p for p in parent.iterdir() if _leftover(p, _old_prefix(target)))
    if olds and not os.path.lexists(target):
        os.rename(olds[-1], target)
        olds = olds[:-1]
    for path in olds + sorted(p for p in parent.iterdir() if _leftover(p, _tmp_prefix(target))):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``; afterwards ``new`` holds the previous tree (if any).

    ``new`` and ``target`` must be on one file system (staging folders are created next to the
    target for that reason).
    """
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    old = Path(tempfile.mkdtemp(prefix=f"{_old_prefix(target)}{os.getpid()}-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    os.rename(old, new)


class _HeldSignals:
    """SIGINT and SIGTERM recorded instead of acted on, until :meth:`release` (main thread
    only: Python runs signal handlers there). ``caught`` lists what arrived meanwhile."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.caught: list[int] = []
        self.previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.previous[signum] = signal.signal(signum, lambda s, _frame: self.caught.append(s))

    def release(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self.previous = {}


@contextlib.contextmanager
def held_signals() -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM for a step that must not stop half-way (yields what arrived)."""
    held = _HeldSignals()
    try:
        yield held.caught
    finally:
        held.release()


class Staging:
    """A staging area next to ``target``: ``tree`` becomes the report, ``work`` is scratch.

    Used as a context manager: leaving it removes everything staged — after :meth:`publish` that
    is the previous report, otherwise the unpublished build. From the swap to the end of that
    clean-up, Ctrl-C and SIGTERM are held (see :attr:`late_signal`).
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=f"{_tmp_prefix(self.target)}{os.getpid()}-",
                                              dir=self.target.parent))
        except OSError as exc:
            message = describe_os_error(exc, display_path(self.target))
            raise OutputError(Msg("os.nothing_changed", message=message)) from None
        self.tree = self.root / "tree"
        self.work = self.root / "work"
        self.tree.mkdir()
        self.work.mkdir()
        self.published = False
        self.late_signal: int | None = None  # a signal that arrived once the swap had begun
        self._held: _HeldSignals | None = None

    def publish(self) -> None:
        """Swap the staged tree in for the target. Should the swap fail, the target is as it
        was and the failure is an :class:`OutputError`."""
        os.chmod(self.tree, 0o777 & ~current_umask())
        self._held = _HeldSignals()
        try:
            swap_in(self.tree, self.target)
        except OSError as exc:
            self._release()
            raise OutputError(Msg("os.nothing_published", message=describe_os_error(exc, display_path(self.target)),
                                  path=display_path(self.target))) from None
        except BaseException:
            self._release()
            raise
        self.published = True

    def _release(self) -> None:
        if self._held is not None:
            self._held.release()
            if self._held.caught and self.late_signal is None:
                self.late_signal = self._held.caught[0]
            self._held = None

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.discard()
        finally:
            self._release()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def describe_os_error(exc: OSError, what: str | Msg) -> Msg:
    """A failure of the operating system while writing ``what``, in words: no traceback, no
    errno number."""
    reasons = {
        errno.ENOSPC: Msg("os.enospc"),
        errno.EDQUOT: Msg("os.edquot"),
        errno.EACCES: Msg("os.eacces"),
        errno.EPERM: Msg("os.eperm"),
        errno.EROFS: Msg("os.erofs"),
        errno.EXDEV: Msg("os.exdev"),
        errno.ENOTDIR: Msg("os.enotdir"),
        errno.EBUSY: Msg("os.ebusy"),
        errno.EIO: Msg("os.eio"),
    }
    number, filename = exc.errno, exc.filename
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        # copytree gathers the failures of its files as (source, destination, "[Errno n] …").
        _, filename, why = exc.args[0][0]
        found = re.search(r"\[Errno (\d+)\]", str(why))
        number = int(found.group(1)) if found else None
    reason = reasons.get(number or 0, exc.strerror or (os.strerror(number) if number else Msg("os.failed")))
    if filename:
        return Msg("os.cannot_write_at", what=what, reason=reason, path=display_path(Path(filename)))
    return Msg("os.cannot_write", what=what, reason=reason)
