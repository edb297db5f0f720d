"""Executing chapter notebooks with papermill on a pool of pre-warmed, reused kernels.

papermill does the parameterising (the injected-parameters cell), the cell-by-cell execution
through nbclient, the per-cell status and the executed notebook that is the chapter's log. What it
does not do is keep kernels: by default every notebook pays a kernel start and then imports
pandas, matplotlib, seaborn and scipy again — about three seconds of CPU a chapter, more than the
chapter's own work. So:

* a pool of ``size`` kernels is started at once (while the build validates the data), each
  driven by one worker thread and warmed by importing, silently, the modules the notebooks
  themselves import (read from their code cells);
* each kernel runs chapter after chapter. Between two notebooks it is reset to the state right
  after warming — namespace and history cleared (so ``In [1]`` starts again), figures closed,
  matplotlib rc, pandas options, inline-backend settings, warning filters, random states,
  environment, ``sys.path`` and working directory restored — so a chapter cannot see what ran
  before it. A build run serially and one run in parallel (different chapters sharing a kernel)
  are compared byte for byte in the tests;
* papermill runs each notebook through a small engine (:class:`PooledEngine`) that hands
  nbclient the pool's kernel instead of starting one.

Kernels talk over IPC sockets (no "running over TCP without encryption" warning), keep their
history in memory, read no IPython profile, get ``PYTHONHASHSEED=0`` and ``SOURCE_DATE_EPOCH``,
and die with the build (``PR_SET_PDEATHSIG``): a killed build leaves no kernel behind.

Executed notebooks are normalised so that two runs give the same bytes: papermill's timings and
absolute paths removed, nbclient's timing metadata off, cell ids stable, absolute paths and
memory addresses in text outputs replaced (:func:`normalise_notebook`).
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError

KERNEL_NAME = "hakusho-python"
ENGINE_NAME = "hakusho-pool"
INJECTED_CELL_ID = "injected-parameters"
START_TIMEOUT = 120
CELL_TIMEOUT = 1800

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

# Run silently once per kernel after the imports: what the reset between notebooks restores.
_SNAPSHOT = """\
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

_RESET = """\
def __hakusho_reset(cwd):
    import os, random, sys, warnings
    state = sys.modules["__hakusho_kernel_state__"]
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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute: where it is, its parameters, where it runs and where it goes."""

    name: str  # what progress lines and errors call it (a chapter id)
    notebook: Path
    parameters: Mapping[str, Any]
    cwd: Path  # the kernel's working directory while the notebook runs
    output: Path  # the executed, normalised notebook is written here
    scrub: Mapping[str, str] = field(default_factory=dict)  # extra absolute prefixes to replace


@dataclass(frozen=True)
class JobResult:
    name: str
    seconds: float
    output: Path


class NotebookFailed(BuildError):
    """A notebook cell raised: says which notebook, which cell and what, in one line."""

    def __init__(self, message: str, *, executed: Any = None) -> None:
        super().__init__(message)
        self.executed = executed  # the executed notebook up to the failing cell, for inspection


# --------------------------------------------------------------------------------------------
# Which modules to warm a kernel with


def notebook_imports(paths: Iterable[Path]) -> list[str]:
    """Top-level modules imported by the code cells of the notebooks (``from a.b import c`` →
    ``a.b``), in first-seen order. Lines that are not Python (magics) are ignored."""
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
                    seen.setdefault(node.module, None)
    return list(seen)


def warm_code(modules: Iterable[str]) -> str:
    """Silent cell importing ``modules`` (a module that fails to import is left for the notebook
    to fail on, with its own traceback)."""
    names = [m for m in modules if re.fullmatch(r"[A-Za-z_][\w.]*", m)]
    return (
        "def __hakusho_warm(names):\n"
        "    import importlib\n"
        "    for name in names:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:\n"
        "            pass\n"
        f"__hakusho_warm({names!r})\n"
        "del __hakusho_warm\n"
    )


# --------------------------------------------------------------------------------------------
# papermill engine running on a kernel the pool owns


_engine_lock = threading.Lock()
_engine_registered = False


def _register_engine() -> None:
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
                                     kernel: _Kernel | None = None, **kwargs):
            assert kernel is not None, "the pooled engine needs a kernel"
            client = PapermillNotebookClient(
                nb_man, km=kernel.km, kernel_name=kernel_name, log=pm_logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, startup_timeout=start_timeout,
                timeout=execution_timeout or CELL_TIMEOUT, record_timing=False,
                shutdown_kernel="immediate",
            )
            client.kc = kernel.kc
            kernel.last_nb = nb_man.nb
            return client.execute()

    papermill_engines.register(ENGINE_NAME, PooledEngine)
    pm_logger.setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# One kernel


class _Kernel:
    """A kernel process and its client, used from the one thread that started it."""

    def __init__(self, index: int, run_dir: Path, env: Mapping[str, str], cwd: Path) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._run_sync = run_sync
        ksm = KernelSpecManager(kernel_dirs=[str(run_dir / "kernels")], ensure_native_kernel=False)
        self.km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, transport="ipc")
        self.km.connection_file = str(run_dir / f"k{index}.json")
        self.log_path = run_dir / f"k{index}.log"
        self.kc: Any = None
        self.last_nb: Any = None
        self._log = self.log_path.open("ab")
        run_sync(self.km.start_kernel)(env=dict(env), cwd=str(cwd), stdout=self._log, stderr=self._log)
        _register_engine()  # imports papermill while the kernel boots
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=START_TIMEOUT)
        except RuntimeError as exc:
            raise BuildError(f"a notebook kernel did not start: {exc} (log: {self.log_path.name})") from None
        self.kc.allow_stdin = False

    @property
    def pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def silent(self, code: str, *, what: str, timeout: float = START_TIMEOUT) -> None:
        """Run code that must leave no trace in any notebook (no output, no execution count)."""
        self._run_sync(self._silent)(code, what, timeout)

    async def _silent(self, code: str, what: str, timeout: float) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BuildError(f"notebook kernel: {what} timed out")
            try:
                reply = await self.kc.get_shell_msg(timeout=remaining)
            except Exception:
                if not await self.km.is_alive():
                    raise BuildError(f"notebook kernel died during {what} (log: {self.log_path.name})") from None
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
            raise BuildError(f"notebook kernel: {what} failed: {content.get('ename')}: {content.get('evalue')}")

    def shutdown(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception:  # a dying kernel may have closed them already
            pass
        try:
            self._run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:
            pid = self.pid
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
        finally:
            self._log.close()


def _write_kernelspec(run_dir: Path) -> None:
    spec_dir = run_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-c", KERNEL_LAUNCH, "-f", "{connection_file}",
                 "--HistoryManager.hist_file=:memory:"],
        "display_name": "Python 3 (hakusho build)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


RUN_DIR_PREFIX = "hakusho-k"


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
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------------------------
# The pool


class KernelPool:
    """``size`` worker threads, each owning one kernel, executing submitted notebooks.

    ``reuse=False`` gives every notebook a fresh kernel (papermill's usual way), for comparison
    and as an escape hatch. Kernels start when the pool is created, so their start-up overlaps
    whatever the caller does before submitting work.

    ``on_start(name)`` is called from a worker thread when a notebook begins.
    """

    def __init__(self, size: int, *, run_dir: Path | None = None, warm: Iterable[str] = (),
                 env: Mapping[str, str] | None = None, reuse: bool = True,
                 on_start: Callable[[str], None] | None = None) -> None:
        self.size = max(1, int(size))
        self.reuse = reuse
        self._own_run_dir = run_dir is None
        # AF_UNIX socket paths are limited to ~100 bytes: keep the sockets in a short folder.
        if run_dir is None:
            clean_stale_run_dirs()
        self.run_dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_kernelspec(self.run_dir)
        self.env = kernel_env(self.run_dir, env)
        self.warm = warm_code(warm)
        self.on_start = on_start
        self._jobs: queue.Queue[tuple[NotebookJob, Future[JobResult]] | None] = queue.Queue()
        self._closed = threading.Event()
        self._kernels: dict[int, _Kernel] = {}
        self._threads = [threading.Thread(target=self._worker, args=(i,), name=f"hakusho-kernel-{i}", daemon=True)
                         for i in range(self.size)]
        for t in self._threads:
            t.start()

    def submit(self, job: NotebookJob) -> Future[JobResult]:
        future: Future[JobResult] = Future()
        self._jobs.put((job, future))
        return future

    def _start_kernel(self, index: int) -> _Kernel:
        kernel = _Kernel(index, self.run_dir, self.env, self.run_dir)
        self._kernels[index] = kernel
        if self._closed.is_set():
            return kernel
        kernel.silent(self.warm, what="warming up")
        kernel.silent(_SNAPSHOT, what="recording the clean state")
        return kernel

    def _worker(self, index: int) -> None:
        kernel: _Kernel | None = None
        startup_error: BaseException | None = None
        try:
            if self.reuse:
                try:
                    kernel = self._start_kernel(index)
                except BaseException as exc:  # reported on the first job this thread takes
                    startup_error = exc
            while not self._closed.is_set():
                item = self._jobs.get()
                if item is None:
                    break
                job, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if startup_error is not None:
                        raise startup_error
                    if kernel is None:
                        kernel = self._start_kernel(index)
                    result = self._run(kernel, job)
                    future.set_result(result)
                except BaseException as exc:
                    future.set_exception(exc)
                    if kernel is not None and not self._kernel_alive(kernel):
                        kernel.shutdown()
                        self._kernels.pop(index, None)
                        kernel = None
                finally:
                    if not self.reuse and kernel is not None:
                        kernel.shutdown()
                        self._kernels.pop(index, None)
                        kernel = None
        finally:
            if kernel is not None:
                kernel.shutdown()
                self._kernels.pop(index, None)

    @staticmethod
    def _kernel_alive(kernel: _Kernel) -> bool:
        try:
            return bool(kernel._run_sync(kernel.km.is_alive)())
        except Exception:
            return False

    def _run(self, kernel: _Kernel, job: NotebookJob) -> JobResult:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        if self.on_start:
            self.on_start(job.name)
        started = time.perf_counter()
        job.cwd.mkdir(parents=True, exist_ok=True)
        kernel.silent(_RESET.replace("__CWD__", repr(str(job.cwd))), what=f"resetting before {job.name}")
        kernel.last_nb = None
        try:
            nb = papermill.execute_notebook(
                str(job.notebook), None, parameters=dict(job.parameters), engine_name=ENGINE_NAME,
                kernel_name="python3", language="python", progress_bar=False,
                request_save_on_cell_execute=False, kernel=kernel,
            )
        except PapermillExecutionError as exc:
            executed = kernel.last_nb
            if executed is not None:
                executed = normalise_notebook(executed, source=job.notebook, scrub=self._scrub(job))
            raise NotebookFailed(
                f"{job.name} ({job.notebook.name}) cell {exc.exec_count}: {_one_line(exc.ename, exc.evalue)}",
                executed=executed,
            ) from None
        except BuildError:
            raise
        except Exception as exc:
            if not self._kernel_alive(kernel):
                raise BuildError(f"{job.name} ({job.notebook.name}): the kernel died while running "
                                 f"(out of memory?)") from None
            what = _one_line(type(exc).__name__, str(exc))
            raise BuildError(f"{job.name} ({job.notebook.name}) could not run: {what}") from None
        nb = normalise_notebook(nb, source=job.notebook, scrub=self._scrub(job))
        write_notebook(nb, job.output)
        return JobResult(job.name, time.perf_counter() - started, job.output)

    def _scrub(self, job: NotebookJob) -> dict[str, str]:
        prefixes = {str(self.run_dir): "<kernel>", str(job.cwd): "."}
        prefixes.update(job.scrub)
        return prefixes

    def kill(self) -> None:
        """Stop every kernel at once (on Ctrl-C or a failure elsewhere)."""
        self._closed.set()
        for kernel in list(self._kernels.values()):
            pid = kernel.pid
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[1].cancel()
        for _ in self._threads:
            self._jobs.put(None)

    def close(self, *, wait: bool = True) -> None:
        """Finish: no more jobs; kernels are shut down by their threads."""
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for t in self._threads:
                t.join(timeout=30)
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.kill()
        self.close(wait=exc_type is None)


def run_notebooks(jobs: Iterable[NotebookJob], *, size: int, reuse: bool = True,
                  on_start: Callable[[str], None] | None = None,
                  on_done: Callable[[JobResult], None] | None = None,
                  env: Mapping[str, str] | None = None) -> list[JobResult]:
    """Execute notebooks on a pool and wait for all of them (first failure stops the rest)."""
    jobs = list(jobs)
    if not jobs:
        return []
    warm = notebook_imports(j.notebook for j in jobs)
    with KernelPool(min(size, len(jobs)), warm=warm, env=env, reuse=reuse, on_start=on_start) as pool:
        return wait_all(pool, [pool.submit(j) for j in jobs], on_done=on_done)


def wait_all(pool: KernelPool, futures: list[Future[JobResult]], *,
             on_done: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    """Results in submission order; on the first failure the other notebooks are stopped."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for f in sorted(done, key=futures.index):
            if f.exception() is not None:
                pool.kill()
                raise f.exception()  # type: ignore[misc]
            if on_done:
                on_done(f.result())
    return [f.result() for f in futures]


# --------------------------------------------------------------------------------------------
# Normalising executed notebooks


_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(ename: str, evalue: str) -> str:
    text = _ANSI.sub("", f"{ename}: {evalue}" if evalue else ename)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " / ".join(lines)[:400]


def path_prefixes(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Absolute prefixes replaced in notebook text outputs, longest first."""
    from hakusho import config

    prefixes = {
        str(config.PROJECT_ROOT): "<project>",
        sys.prefix: "<python>",
        sys.base_prefix: "<python>",
        str(Path.home()): "~",
        tempfile.gettempdir(): "<tmp>",
    }
    prefixes.update(extra or {})
    prefixes = {k: v for k, v in prefixes.items() if k and k != os.sep}
    return dict(sorted(prefixes.items(), key=lambda kv: -len(kv[0])))


def _scrub_text(text: str, prefixes: Mapping[str, str]) -> str:
    for prefix, replacement in prefixes.items():
        if prefix in text:
            text = text.replace(prefix, replacement)
    return _ADDRESS.sub("0x0", text)


def _scrub_value(value: Any, prefixes: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, prefixes)
    if isinstance(value, list):
        return [_scrub_value(v, prefixes) for v in value]
    return value


def _coalesce_streams(outputs: list[Any]) -> list[Any]:
    """One output per run of stdout (or stderr) text: how the kernel batched its writes into
    messages depends on timing, what was written does not."""
    merged: list[Any] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            previous = merged[-1]
            text = previous.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            more = out.get("text", "")
            previous["text"] = text + ("".join(more) if isinstance(more, list) else more)
            continue
        merged.append(out)
    return merged


def normalise_notebook(nb: Any, *, source: Path, scrub: Mapping[str, str] | None = None) -> Any:
    """Make an executed notebook a function of its inputs only (see the module docstring)."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    prefixes = path_prefixes(scrub)
    try:
        source_ids = {c.get("id") for c in json.loads(Path(source).read_text(encoding="utf-8")).get("cells", [])}
    except (OSError, ValueError):
        source_ids = set()
    source_ids.discard(None)

    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in ("start_time", "end_time", "duration"):
            pm.pop(key, None)
        pm["input_path"] = Path(source).name
        pm["output_path"] = Path(source).name
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = INJECTED_CELL_ID
        elif cell.get("id") not in source_ids:
            cell["id"] = f"cell-{index}"
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        cpm = meta.get("papermill")
        if cpm is not None:
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = _coalesce_streams(cell.get("outputs", []))
        for out in cell["outputs"]:
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = _scrub_value(out.get("text", ""), prefixes)
            elif kind == "error":
                out["evalue"] = _scrub_value(out.get("evalue", ""), prefixes)
                out["traceback"] = _scrub_value(out.get("traceback", []), prefixes)
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                for mime in list(data):
                    if mime.startswith("text/"):
                        data[mime] = _scrub_value(data[mime], prefixes)
            out.get("metadata", {}).pop("execution", None)
    return nb


def write_notebook(nb: Any, path: Path) -> None:
    """Write a notebook as nbformat does (sorted keys, one-space indent), LF line ends."""
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
