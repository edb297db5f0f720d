"""One notebook kernel of the build's pool: started warm, reset between notebooks, killed with
the build, and driven by papermill through a small engine.

* A kernel is warmed by importing, silently, the modules the notebooks themselves import (read
  from their code cells: :func:`notebook_imports`), then records its clean state.
* Between two notebooks it is reset to the state right after warming — namespace and history
  cleared (so ``In [1]`` starts again), figures closed, matplotlib rc, pandas options,
  inline-backend settings, warning filters, random states, environment, ``sys.path`` and working
  directory restored — so a chapter cannot see what ran before it.
* papermill runs each notebook through :class:`PooledEngine`, which hands nbclient the pool's
  kernel instead of starting one; everything else (the parameters cell, cell status, the executed
  notebook) is papermill's own.

Kernels talk over IPC sockets (no "running over TCP without encryption" warning), keep their
history in memory, read no IPython profile, get ``PYTHONHASHSEED=0`` and ``SOURCE_DATE_EPOCH``,
and die with the build (``PR_SET_PDEATHSIG``): a killed build leaves no kernel behind.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError
from hakusho.messages import Msg, language

KERNEL_NAME = "hakusho-python"
ENGINE_NAME = "hakusho-pool"
ALIVE_POLL = 0.2  # seconds between checks that a silent cell's kernel still lives
START_TIMEOUT = 120
CELL_TIMEOUT = 1800
RUN_DIR_PREFIX = "hakusho-k"

# Started as ``python -c KERNEL_LAUNCH -f <connection file> ...``: what ipykernel_launcher does,
# plus asking Linux to kill the kernel when the thread that started it (the build) goes away.
KERNEL_LAUNCH = """\
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
try:
    import ctypes, os, signal
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))
    if os.getppid() == 1:
        sys.exit(1)
except Exception:
    pass
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""

# A kept kernel (:mod:`hakusho.pipeline.kept`) is started as ``python -c KEPT_LAUNCH USED LOCK SECONDS
# -f <connection file> ...``: it must outlive the command that starts it, so it is given no death
# signal and ipykernel is not told to watch its parent; a watchdog thread ends it once USED is
# SECONDS old and no command holds LOCK, or once its folder is gone.
KEPT_LAUNCH = """\
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import fcntl, os, threading, time
used, lock, keep = sys.argv[1], sys.argv[2], float(sys.argv[3])
del sys.argv[1:4]
os.environ.pop("JPY_PARENT_PID", None)
def __hakusho_watch():
    while True:
        time.sleep(min(5.0, keep / 4))
        try:
            if time.time() - os.stat(used).st_mtime < keep:
                continue
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            os._exit(0)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            os.unlink(os.path.join(os.path.dirname(lock), "kept.json"))
        except OSError:
            pass
        os._exit(0)
threading.Thread(target=__hakusho_watch, name="hakusho-idle", daemon=True).start()
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


# A pool of two or more kernels on Linux starts them from one process that has already imported
# what they import (``python -c ZYGOTE_LAUNCH '<the pool's warm code>'``, see :func:`warm_code`):
# it reads one request per line on its standard input — the kernel's arguments and log file —
# forks a kernel for it and answers with the kernel's process id. Each kernel dies with it
# (``PR_SET_PDEATHSIG``); it ends, stopping whatever kernel is left, once its standard input
# closes: when the pool is done, or when the command that started it is gone, however it went.
ZYGOTE_LAUNCH = """\
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import builtins, ctypes, io, json, os, signal, types
from ipykernel import kernelapp
# The modules are imported as a kernel imports them: after ipykernel (whose warning filters then
# come after theirs), and seeing what they would see in a kernel — pandas shows at most 20
# columns in one (it fits a terminal otherwise), and takes the encoding its output stream names.
pipe = sys.stdout
builtins.get_ipython = lambda: types.SimpleNamespace(kernel=types.SimpleNamespace())
sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="UTF-8")
exec(sys.argv[1], {})
sys.stdout = pipe
del builtins.get_ipython
children = []
while True:
    line = sys.stdin.readline()
    if not line:
        break
    request = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))
            if os.getppid() == 1:
                os._exit(1)
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            quiet = os.open(os.devnull, os.O_RDONLY)
            os.dup2(quiet, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(quiet)
            os.close(log)
            sys.argv = [sys.argv[0], *request["argv"]]
            kernelapp.launch_new_instance()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            os._exit(code)
    children.append(pid)
    sys.stdout.write(f"{pid}\\n")
    sys.stdout.flush()
for pid in children:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
for pid in children:
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
"""


def can_fork_kernels() -> bool:
    """Whether kernels may be forked from a warmed process: Linux only (macOS frameworks are not
    safe to use after a fork, and Windows has none)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def launch_code(*, kept: tuple[str, str, float] | None = None) -> list[str]:
    """The start of a kernel's command line after the interpreter: a build's kernel, or (``kept``
    = the used file, the lock file and the idle seconds) a kept one."""
    if kept is None:
        return ["-c", KERNEL_LAUNCH]
    used, lock, seconds = kept
    return ["-c", KEPT_LAUNCH, used, lock, repr(float(seconds))]

# Run silently once per kernel after the imports: what the reset between notebooks restores.
SNAPSHOT = """\
def __hakusho_snapshot():
    import copy, os, random, sys, types, warnings
    state = types.SimpleNamespace()
    state.cwd = os.getcwd()
    state.path = list(sys.path)
    state.environ = dict(os.environ)
    state.warnings = list(warnings.filters)
    state.random = random.getstate()
    state.np_random = None
    if "numpy" in sys.modules:
        state.np_random = sys.modules["numpy"].random.get_state()
    state.rc = None
    if "matplotlib" in sys.modules:
        state.rc = dict(dict.items(sys.modules["matplotlib"].rcParams))
    state.pandas = None
    if "pandas" in sys.modules:
        try:
            from pandas._config import config as pdc
            state.pandas = copy.deepcopy(pdc._global_config)
        except Exception:
            state.pandas = None
    ip = get_ipython()
    state.formatters = {k: (dict(f.type_printers), dict(f.deferred_printers), f.enabled)
                        for k, f in ip.display_formatter.formatters.items()}
    state.inline = None
    if "matplotlib_inline.config" in sys.modules:
        cfg = sys.modules["matplotlib_inline.config"].InlineBackend.instance()
        names = [n for n, t in cfg.traits().items() if t.metadata.get("config")]
        state.inline = {n: copy.deepcopy(getattr(cfg, n)) for n in names}
    sys.modules["__hakusho_kernel_state__"] = state
    # Everything alive now lives as long as the kernel: keep it out of every later collection
    # (the reset's collection then takes milliseconds instead of a third of a second).
    import gc
    gc.collect()
    gc.freeze()
__hakusho_snapshot()
del __hakusho_snapshot
"""

RESET = """\
def __hakusho_reset(cwd):
    import os, random, sys, warnings
    state = sys.modules["__hakusho_kernel_state__"]
    os.chdir(state.cwd)  # first: the last notebook's folder may be gone (a kept kernel's is)
    ip = get_ipython()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    ip.reset(new_session=True)
    os.chdir(state.cwd)
    sys.path[:] = state.path
    os.environ.clear()
    os.environ.update(state.environ)
    warnings.filters[:] = state.warnings
    getattr(warnings, "_filters_mutated", lambda: None)()
    random.setstate(state.random)
    if state.np_random is not None:
        sys.modules["numpy"].random.set_state(state.np_random)
    if state.rc is not None:
        import matplotlib
        dict.update(matplotlib.rcParams, state.rc)
    if state.pandas is not None:
        from pandas._config import config as pdc
        pdc._global_config.clear()
        pdc._global_config.update(__import__("copy").deepcopy(state.pandas))
    if state.inline is not None:
        cfg = sys.modules["matplotlib_inline.config"].InlineBackend.instance()
        for name, value in state.inline.items():
            if getattr(cfg, name) != value:
                setattr(cfg, name, value)
    for key, formatter in ip.display_formatter.formatters.items():
        if key in state.formatters:
            types_, deferred, enabled = state.formatters[key]
            formatter.type_printers.clear()
            formatter.type_printers.update(types_)
            formatter.deferred_printers.clear()
            formatter.deferred_printers.update(deferred)
            formatter.enabled = enabled
    os.chdir(cwd)
__hakusho_reset(__CWD__)
"""


# --------------------------------------------------------------------------------------------
# Which modules to warm a kernel with


def notebook_imports(paths: Iterable[Path]) -> list[str]:
    """What the code cells of the notebooks import at their top level, in first-seen order:
    modules (``import a.b`` → ``a.b``) and names (``from a.b import c`` → ``a.b:c``, so that a
    name a package exports lazily is loaded too). Lines that are not Python (magics) are ignored."""
    seen: dict[str, None] = {}
    for path in paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in doc.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        seen.setdefault(alias.name, None)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        seen.setdefault(node.module if alias.name == "*" else f"{node.module}:{alias.name}", None)
    return list(seen)


# What chapter code (hakusho.analysis) imports the first time it draws a chart or tests a
# difference: warmed with the notebooks' own imports when they import chapter code, so that the
# first chapter a kernel runs does not pay for them.
FIRST_USE_IMPORTS = ("hakusho.charts.draw", "hakusho.charts.svg", "seaborn", "scipy.stats")


def warm_imports(paths: Iterable[Path]) -> list[str]:
    """What a kernel running the notebooks at ``paths`` imports before the first one."""
    found = notebook_imports(paths)
    if any(m.startswith("hakusho.analysis") for m in found):
        found += [m for m in FIRST_USE_IMPORTS if m not in found]
    return found


def warm_code(modules: Iterable[str]) -> str:
    """Silent cell importing ``modules`` and names (``a.b:c``, see :func:`notebook_imports`); one
    that fails to import is left for the notebook to fail on, with its own traceback."""
    names = [m for m in modules if re.fullmatch(r"[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?", m)]
    return (
        "def __hakusho_warm(names):\n"
        "    import importlib\n"
        "    for name in names:\n"
        "        module, _, attr = name.partition(':')\n"
        "        try:\n"
        "            loaded = importlib.import_module(module)\n"
        "            if attr:\n"
        "                getattr(loaded, attr)\n"
        "        except Exception:\n"
        "            pass\n"
        f"__hakusho_warm({names!r})\n"
        "del __hakusho_warm\n"
    )


# --------------------------------------------------------------------------------------------
# papermill engine running on a kernel the pool owns


_engine_lock = threading.Lock()
_engine_registered = False


def register_engine() -> None:
    """Make :class:`PooledEngine` known to papermill (once per process)."""
    global _engine_registered
    with _engine_lock:
        if _engine_registered:
            return
        _define_engine()
        _engine_registered = True


def _define_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger as pm_logger

    class PooledEngine(NBClientEngine):
        """papermill's nbclient engine, executing on an already running kernel.

        nbclient leaves a kernel it did not start running (``owns_km`` is false) and, given a
        connected client, does not open another; everything else — the parameters cell, cell
        status, the executed notebook — is papermill's own.
        """

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     kernel: Kernel | None = None, **kwargs):
            assert kernel is not None, "the pooled engine needs a kernel"
            client = PapermillNotebookClient(
                nb_man, km=kernel.km, kernel_name=kernel_name, log=pm_logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, startup_timeout=start_timeout,
                timeout=execution_timeout or CELL_TIMEOUT, record_timing=False,
                shutdown_kernel="immediate", on_cell_execute=kernel.cell_started,
            )
            client.kc = kernel.kc
            kernel.last_nb = nb_man.nb
            return client.execute()

    papermill_engines.register(ENGINE_NAME, PooledEngine)
    pm_logger.setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# One kernel


class Kernel:
    """A kernel process and its client, used from the one thread that started it."""

    def __init__(self, index: int, run_dir: Path, env: Mapping[str, str], cwd: Path, *,
                 spec_dir: Path | None = None) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._run_sync = run_sync
        ksm = KernelSpecManager(kernel_dirs=[str((spec_dir or run_dir) / "kernels")], ensure_native_kernel=False)
        self.km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, transport="ipc")
        self.km.connection_file = str(run_dir / f"k{index}.json")
        self.log_path = run_dir / f"k{index}.log"
        self.kc: Any = None
        self.last_nb: Any = None
        self._log: Any = self.log_path.open("ab")
        self._env, self._cwd = dict(env), str(cwd)
        self._attached_pid: int | None = None
        self.on_running: Any = None  # called once the notebook's first cell runs (then cleared)

    @classmethod
    def attach(cls, connection_file: Path, pid: int, log_path: Path) -> Kernel:
        """A kernel started by an earlier command (:mod:`hakusho.pipeline.kept`), reached through
        its connection file; whether it lives is read from its process id."""
        from jupyter_core.utils import run_sync

        kernel = cls.__new__(cls)
        kernel._run_sync = run_sync
        kernel.km = _attached_manager(pid)
        kernel.km.load_connection_file(str(connection_file))
        kernel.km.connection_file = str(connection_file)
        kernel.log_path = Path(log_path)
        kernel.kc = None
        kernel.last_nb = None
        kernel._log = None
        kernel._env, kernel._cwd = {}, ""
        kernel._attached_pid = pid
        kernel.on_running = None
        return kernel

    def cell_started(self, **_: Any) -> None:
        """nbclient's hook before each cell: the first one calls ``on_running``."""
        callback, self.on_running = self.on_running, None
        if callback is not None:
            callback()

    def wait_ready(self, timeout: float) -> None:
        """Open a client and wait until the kernel answers."""
        register_engine()
        self.kc = self.km.client()
        self.kc.start_channels()
        self._run_sync(self.kc.wait_for_ready)(timeout=timeout)
        self.kc.allow_stdin = False

    def close_client(self) -> None:
        """Close this process's connection to the kernel (the kernel goes on)."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception:  # a dying kernel may have closed them already
            pass
        self.kc = None

    def release_manager(self) -> None:
        """Let go of the kernel without stopping it (a kept kernel, left for the next command)."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def start(self, stop: threading.Event | None = None) -> None:
        """Launch the process and wait until it answers. Separate from construction, so that a
        pool can know (and kill) a kernel that is still starting; once ``stop`` is set (the pool
        was killed while the process was being launched), it does not wait for an answer."""
        self._run_sync(self.km.start_kernel)(env=self._env, cwd=self._cwd, stdout=self._log, stderr=self._log)
        if stop is not None and stop.is_set():
            return
        register_engine()  # imports papermill while the kernel boots
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self._run_sync(self.kc.wait_for_ready)(timeout=START_TIMEOUT)
        except RuntimeError as exc:
            raise BuildError(Msg("kernel.no_start", detail=exc, log=self.log_path.name)) from None
        self.kc.allow_stdin = False

    @property
    def pid(self) -> int | None:
        if self._attached_pid is not None:
            return self._attached_pid
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def silent(self, code: str, *, what: Msg, timeout: float = START_TIMEOUT) -> None:
        """Run code that must leave no trace in any notebook (no output, no execution count)."""
        self._run_sync(self._silent)(code, what, timeout)

    async def _silent(self, code: str, what: Msg, timeout: float) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BuildError(Msg("kernel.timeout", what=what))
            try:  # in short waits: a kernel killed meanwhile (a failure elsewhere) is noticed at once
                reply = await self.kc.get_shell_msg(timeout=min(remaining, ALIVE_POLL))
            except Exception:
                if not await self.km.is_alive():
                    raise BuildError(Msg("kernel.died", what=what, log=self.log_path.name)) from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        # Drain the messages this produced, up to its idle status.
        while True:
            try:
                msg = await self.kc.get_iopub_msg(timeout=5)
            except Exception:
                break
            if (msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise BuildError(Msg("kernel.failed", what=what, error=f"{content.get('ename')}: {content.get('evalue')}"))

    def shutdown(self) -> None:
        self.close_client()
        if self._attached_pid is not None:  # started elsewhere: jupyter_client has nothing to stop but the process
            with contextlib.suppress(OSError):
                os.kill(self._attached_pid, 9)
            return
        try:
            self._run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:
            pid = self.pid
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
        finally:
            if self._log is not None:
                self._log.close()


class KernelZygote:
    """The process a pool's kernels are forked from (see ``ZYGOTE_LAUNCH``): the modules the
    notebooks need are imported once for the whole pool instead of once per kernel, and while the
    build validates its data. Used from several pool threads: a request and its answer go
    together under a lock."""

    def __init__(self, run_dir: Path, env: Mapping[str, str], warm: str) -> None:
        """``warm``: the pool's warming code (:func:`warm_code`), run here before any fork."""
        import subprocess

        self.log_path = run_dir / "zygote.log"
        self._log = self.log_path.open("ab")
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE_LAUNCH, warm], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, cwd=str(run_dir),
            env={**env, "JPY_PARENT_PID": str(os.getpid())})

    def fork(self, index: int, run_dir: Path) -> Kernel:
        """A new kernel, forked; its connection file is written here first. Waiting for its answer
        is the caller's (:meth:`Kernel.wait_ready`)."""
        import uuid

        from jupyter_client.connect import write_connection_file

        connection_file = run_dir / f"k{index}.json"
        log_path = run_dir / f"k{index}.log"
        write_connection_file(str(connection_file), ip=str(run_dir / f"k{index}-ipc"), transport="ipc",
                              key=uuid.uuid4().hex.encode("ascii"))
        request = {"argv": ["-f", str(connection_file), "--HistoryManager.hist_file=:memory:"],
                   "log": str(log_path)}
        with self._lock:
            answer = b""
            with contextlib.suppress(OSError, ValueError):
                assert self.process.stdin is not None and self.process.stdout is not None
                self.process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
                self.process.stdin.flush()
                answer = self.process.stdout.readline()
        if not answer.strip().isdigit():
            raise BuildError(Msg("kernel.no_start", detail=Msg("kernel.zygote_stopped"), log=self.log_path.name))
        return Kernel.attach(connection_file, int(answer), log_path)

    def close(self) -> None:
        """No more kernels: the process stops whatever kernel is left, and ends."""
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.kill()
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdout is not None:
                self.process.stdout.close()
        self._log.close()

    def kill(self) -> None:
        """Stop it now, and with it every kernel forked from it."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=10)


def _attached_manager(pid: int) -> Any:
    """A kernel manager for a kernel this process did not start: papermill's client takes it as
    running (it has a kernel) and asks it whether the kernel lives (its process does)."""
    from jupyter_client.manager import AsyncKernelManager

    class AttachedKernelManager(AsyncKernelManager):
        @property
        def has_kernel(self) -> bool:
            return process_alive(pid)

        async def is_alive(self) -> bool:
            return process_alive(pid)

        # What a client asks while it waits for the kernel's first answer (it has no launcher to ask).
        _async_is_alive = is_alive

    return AttachedKernelManager(kernel_name=KERNEL_NAME, transport="ipc")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs: it exists and (where /proc tells) has not exited unreaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def write_kernelspec(run_dir: Path, *, launch: list[str] | None = None) -> None:
    """The kernel spec the pool's kernels start from (our launcher, history in memory)."""
    spec_dir = run_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, *(launch or launch_code()), "-f", "{connection_file}",
                 "--HistoryManager.hist_file=:memory:"],
        "display_name": "Python 3 (hakusho build)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


def clean_stale_run_dirs() -> list[Path]:
    """Remove the socket folders of pools whose build process is gone (killed builds)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}*-*"):
        pid = path.name[len(RUN_DIR_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # its build is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def kernel_env(run_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a build's kernels: ours, made reproducible and isolated."""
    env = dict(os.environ)
    env.update({
        "PYTHONHASHSEED": "0",
        "IPYTHONDIR": str(run_dir / "ipython"),  # no user profile or startup files
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    })
    env.pop("JUPYTER_RUNTIME_DIR", None)
    env["HAKUSHO_LANG"] = language()  # errors raised in a notebook read in the user's language
    env.update(extra or {})
    return env
