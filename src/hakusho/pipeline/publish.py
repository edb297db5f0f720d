"""Atomic publishing: the report folder is replaced whole, or not at all.

A build writes into a staging folder next to its target (``report/.2025.tmp-<pid>-<random>/``,
same file system, so renames are atomic) and swaps it in only after every stage succeeded. The
swap exchanges the two folders in one ``renameat2(RENAME_EXCHANGE)`` call where the kernel and
file system offer it; elsewhere it renames the old tree aside, renames the new one in, and only
then deletes the old one. Either way the old tree stays whole until the new one is in place.

A failed, interrupted or killed build therefore leaves the previous report exactly as it was,
plus at most a staging folder, which the next build of the same target removes (and, should a
kill land between the two renames of the fallback, puts the old tree back). One build at a time
writes a target: a lock file next to it says so, and the lock dies with its process.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hakusho.errors import BuildError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def _old_prefix(target: Path) -> str:
    return f".{target.name}.old-"


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the target's build lock (non-blocking: a second build is told, not queued)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is writing {display(target)}; wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed builds of ``target`` left behind; returns what was removed.

    Call it holding :func:`locked`: no other build of this target is running then, so every
    staging folder found belongs to a build that died. If the target is missing but an old tree
    set aside by an interrupted swap survives, it is put back first.
    """
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return []
    removed: list[Path] = []
    olds = sorted(p for p in parent.iterdir() if p.name.startswith(_old_prefix(target)))
    if olds and not target.exists():
        os.rename(olds[-1], target)
        olds = olds[:-1]
    for path in olds + sorted(p for p in parent.iterdir() if p.name.startswith(_tmp_prefix(target))):
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


class Staging:
    """A staging area next to ``target``: ``tree`` becomes the report, ``work`` is scratch.

    Used as a context manager: leaving it removes everything staged — after :meth:`publish` that
    is the previous report, otherwise the unpublished build.
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{_tmp_prefix(self.target)}{os.getpid()}-",
                                          dir=self.target.parent))
        self.tree = self.root / "tree"
        self.work = self.root / "work"
        self.tree.mkdir()
        self.work.mkdir()
        self.published = False

    def publish(self) -> None:
        """Swap the staged tree in for the target."""
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tree, 0o777 & ~umask)
        swap_in(self.tree, self.target)
        self.published = True

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.discard()


def display(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and Path.cwd() in path.parents else str(path)
    except ValueError:
        return str(path)
