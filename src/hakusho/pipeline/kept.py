"""A kernel kept warm between ``hakusho notebook`` commands (and builds of one chapter), the way
build tools keep a daemon.

A researcher tries one filter after another. Each command used to start a kernel and import
pandas, matplotlib and scipy into it before the first cell ran: about two seconds of every try.
``hakusho notebook`` now leaves its kernel running when it finishes, and the next command of the
same project takes it over; so does ``hakusho build --chapters`` naming one chapter (a full build
keeps nothing):

* A kept kernel serves only a command that would have started the very same kernel: the same
  Python, the same ``hakusho`` code (every file of the package, by content), the same notebook
  imports and the same environment (its volatile shell variables aside). Anything else starts a
  new kernel, and the old one is stopped.
* A command takes the kernel under an exclusive lock; a second command running at the same time
  starts a kernel of its own, as before. Between two notebooks the kernel is reset exactly as the
  build's pool resets its kernels (:data:`hakusho.pipeline.kernel.RESET`), so a notebook run on a
  kept kernel is byte-identical to one run on a fresh kernel (tested).
* The kernel stops by itself once nobody has used it for ``HAKUSHO_KEEP_KERNEL`` seconds (600 by
  default; ``0`` keeps no kernel), or when its folder is removed. A failed, interrupted or killed
  command kills it: the next one starts clean.

The kernel's folder (its sockets, connection file, log, lock) is a short folder in the system's
temporary directory, named after the project's cache, since socket paths must stay short.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from hakusho import config
from hakusho.pipeline.cache import tree_hashes
from hakusho.pipeline.kernel import Kernel, launch_code, process_alive, write_kernelspec

KEEP_ENV = config.KEEP_KERNEL_ENV
DEFAULT_KEEP_SECONDS = float(config.DEFAULT_KEEP_KERNEL_SECONDS)
FOLDER_PREFIX = "hakusho-keep-"
INFO = "kept.json"
LOCK = "lock"
USED = "used"  # touched by every command that uses the kernel: its idle time is this file's age
ATTACH_TIMEOUT = 10.0
# Shell variables that differ between two commands typed in the same terminal and mean nothing
# to a notebook: a kernel started under other values still serves.
VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES", "JPY_PARENT_PID"})


def keep_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long an idle kept kernel lives: ``HAKUSHO_KEEP_KERNEL`` seconds, 600 if unset; 0 (or
    anything that is not a number of seconds) keeps none."""
    raw = (os.environ if environ is None else environ).get(KEEP_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        return 0.0
    return seconds if seconds > 0 and seconds != float("inf") else 0.0


def kept_folder(cache_root: Path, purpose: str = "notebook") -> Path:
    """The kept kernel's folder for a project's cache and a kind of command (``notebook``, or
    ``build`` of one chapter, whose kernels draw other charts): short, the same for every command
    of that kind, so that a researcher alternating the two keeps both kernels."""
    name = f"{Path(cache_root).absolute()}\0{purpose}"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"{FOLDER_PREFIX}{os.getuid()}-{digest}"


def package_digest() -> str:
    """Every file of the ``hakusho`` package, by content: a kept kernel has imported them."""
    files = sorted(tree_hashes(config.PACKAGE_DIR).items())
    return hashlib.sha256(json.dumps(files).encode("utf-8")).hexdigest()


def kernel_key(env: Mapping[str, str], warm: str, seconds: float) -> str:
    """What a kept kernel must have been started with to serve a command."""
    fixed = {k: v for k, v in env.items() if k not in VOLATILE}
    facts = {"python": sys.executable, "env": sorted(fixed.items()), "warm": warm, "keep": seconds,
             "package": package_digest()}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode("utf-8")).hexdigest()


class KeptKernel:
    """The kept kernel of one project, as one command sees it: taken, used, then left or stopped."""

    def __init__(self, cache_root: Path, *, seconds: float, purpose: str = "notebook") -> None:
        self.folder = kept_folder(cache_root, purpose)
        self.seconds = seconds
        self.kernel: Kernel | None = None
        self._lock: IO[str] | None = None

    # -- taking it

    def acquire(self) -> bool:
        """Lock the folder for this command; False if another command holds it now, or if the
        folder is not this user's alone (anyone who can read the connection file can run code
        in the kernel: a folder someone else made, or a link, is never used)."""
        with contextlib.suppress(FileExistsError):
            self.folder.mkdir(mode=0o700)
        info = os.lstat(self.folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return False
        handle = (self.folder / LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        return True

    def take(self, env: Mapping[str, str], warm: str) -> Kernel | None:
        """The kept kernel if it serves this command (connected, ready), else None: the caller
        then starts one with :meth:`start` and warms it."""
        key = kernel_key(env, warm, self.seconds)
        info = self._info()
        pid = int(info.get("pid") or 0)
        if pid and info.get("key") == key and self._is_ours(pid):
            kernel = Kernel.attach(self.folder / str(info["connection"]), pid, self.folder / str(info["log"]))
            try:
                kernel.wait_ready(ATTACH_TIMEOUT)
            except Exception:
                kernel.close_client()
            else:
                self.kernel = kernel
                self._touch()
                return kernel
        self.stop()
        return None

    def start(self, env: Mapping[str, str], cwd: Path, stop: threading.Event | None = None) -> Kernel:
        """Start a kernel that outlives this command (not started with the command's death
        signal, in a session of its own, and with an idle watchdog), and record it."""
        for stale in [*self.folder.glob("k0-ipc-*"), self.folder / "k0.log"]:  # the last kernel's
            stale.unlink(missing_ok=True)
        spec = self.folder / "spec"
        write_kernelspec(spec, launch=launch_code(kept=(str(self.folder / USED), str(self.folder / LOCK),
                                                        self.seconds)))
        self._touch()
        kernel = Kernel(0, self.folder, env, cwd, spec_dir=spec)
        self.kernel = kernel
        kernel.start(stop)
        return kernel

    def record(self, env: Mapping[str, str], warm: str) -> None:
        """Name the started, warmed kernel as the project's kept kernel."""
        assert self.kernel is not None and self.kernel.pid is not None
        # A copy of the connection file: the manager that started the kernel deletes its own
        # when this process lets go of it.
        connection = self.folder / "connection.json"
        shutil.copyfile(self.kernel.km.connection_file, connection)
        info = {"key": kernel_key(env, warm, self.seconds), "pid": self.kernel.pid,
                "connection": connection.name, "log": self.kernel.log_path.name}
        target = self.folder / INFO
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(info), encoding="utf-8")
        partial.replace(target)

    # -- leaving it

    def release(self) -> None:
        """Leave the kernel running for the next command, and let go of the lock."""
        if self.kernel is not None:
            self.kernel.close_client()
            self.kernel.release_manager()
        self._touch()
        self._unlock()

    @property
    def held(self) -> bool:
        """Whether this command holds the kept kernel's lock (only then may it stop the kernel)."""
        return self._lock is not None

    def stop(self) -> None:
        """Stop the kept kernel (a failure, a mismatch) and forget it; only under the lock."""
        if not self.held:
            return
        info = self._info()
        pid = int(info.get("pid") or 0)
        if self.kernel is not None:
            self.kernel.close_client()
            pid = self.kernel.pid or pid
            self.kernel = None
        if pid and self._is_ours(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        (self.folder / INFO).unlink(missing_ok=True)

    def _is_ours(self, pid: int) -> bool:
        """Whether process ``pid`` runs and is this folder's kept kernel. A kernel that died is
        recorded with its old process id, which the system may since have given to any other
        program of the user's: that one is neither attached to nor killed. A kept kernel is
        started with this folder's ``used`` file on its command line; where /proc tells the
        command line, it must be there."""
        if not process_alive(pid):
            return False
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return False  # gone meanwhile
        except OSError:
            return True  # no /proc here: the process id is all there is to go by
        return os.fsencode(str(self.folder / USED)) in argv

    def stop_and_unlock(self) -> None:
        """Stop the kept kernel (if this command holds it) and let go of the lock."""
        self.stop()
        self._unlock()

    def _info(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _touch(self) -> None:
        used = self.folder / USED
        used.touch()
        now = time.time()
        os.utime(used, (now, now))

    def _unlock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
