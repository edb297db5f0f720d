"""Executing chapter notebooks with papermill on a pool of pre-warmed, reused kernels.

papermill does the parameterising (the injected-parameters cell), the cell-by-cell execution
through nbclient, the per-cell status and the executed notebook that is the chapter's log. What it
does not do is keep kernels: by default every notebook pays a kernel start and then imports
pandas, matplotlib, seaborn and scipy again — about three seconds of CPU a chapter, more than the
chapter's own work. So a pool of ``size`` kernels (:mod:`hakusho.pipeline.kernel`) is started at
once, while the build validates the data, each driven by one worker thread; each kernel runs
chapter after chapter, reset in between. A build run serially and one run in parallel (different
chapters sharing a kernel) are compared byte for byte in the tests.

This is the one way a notebook is executed — by the build, by ``hakusho notebook`` and by the
tests — so a failing cell reads the same everywhere (:func:`hakusho.pipeline.executed.cell_failure`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError
from hakusho.messages import Msg
from hakusho.pipeline.executed import cell_failure, normalise_notebook, one_line, write_notebook
from hakusho.pipeline.kept import KeptKernel
from hakusho.pipeline.kernel import (
    ENGINE_NAME,
    RESET,
    RUN_DIR_PREFIX,
    SNAPSHOT,
    START_TIMEOUT,
    Kernel,
    KernelZygote,
    can_fork_kernels,
    clean_stale_run_dirs,
    kernel_env,
    notebook_imports,
    warm_code,
    write_kernelspec,
)


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
                 on_start: Callable[[str], None] | None = None, keep: KeptKernel | None = None,
                 on_running: Callable[[], None] | None = None) -> None:
        self.size = max(1, int(size))
        self.reuse = reuse
        # The first kernel may be one kept between commands (:mod:`hakusho.pipeline.kept`).
        self.keep = keep if reuse else None
        self._extra_env = dict(env or {})
        self._own_run_dir = run_dir is None
        # AF_UNIX socket paths are limited to ~100 bytes: keep the sockets in a short folder.
        if run_dir is None:
            clean_stale_run_dirs()
        self.run_dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_kernelspec(self.run_dir)
        self.env = kernel_env(self.run_dir, env)
        self.warm = warm_code(warm)
        # Two or more new kernels are forked from one process that imports their modules once.
        new_kernels = self.size - (1 if self.keep is not None else 0)
        self._zygote = KernelZygote(self.run_dir, self.env, self.warm) if reuse and new_kernels >= 2 and \
            can_fork_kernels() else None
        self.on_start = on_start
        self.on_running = on_running  # once a notebook's first cell runs (this process then waits)
        self._jobs: queue.Queue[tuple[NotebookJob, Future[JobResult]] | None] = queue.Queue()
        self._closed = threading.Event()
        self._kernels: dict[int, Kernel] = {}
        self._threads = [threading.Thread(target=self._worker, args=(i,), name=f"hakusho-kernel-{i}", daemon=True)
                         for i in range(self.size)]
        for t in self._threads:
            t.start()

    @property
    def closed(self) -> bool:
        """Whether the pool was closed or killed (a killed pool takes no more work)."""
        return self._closed.is_set()

    def submit(self, job: NotebookJob) -> Future[JobResult]:
        future: Future[JobResult] = Future()
        self._jobs.put((job, future))
        return future

    def _start_kernel(self, index: int) -> Kernel:
        if index == 0 and self.keep is not None:
            if self.keep.acquire():
                return self._start_kept(self.keep)
            self.keep = None  # another command is using it: this one starts its own
        if self._zygote is not None:
            return self._fork_kernel(index, self._zygote)
        kernel = Kernel(index, self.run_dir, self.env, self.run_dir)
        self._kernels[index] = kernel  # known before it starts: kill() can stop it while it boots
        if self._closed.is_set():
            return kernel
        try:
            kernel.start(self._closed)
        except BaseException:
            if self._closed.is_set():  # killed while booting: nothing to report
                return kernel
            raise
        if self._closed.is_set():  # killed as it was launched: its thread shuts it down
            return kernel
        kernel.silent(self.warm, what=Msg("kernel.what.warm"))
        kernel.silent(SNAPSHOT, what=Msg("kernel.what.snapshot"))
        return kernel

    def _fork_kernel(self, index: int, zygote: KernelZygote) -> Kernel:
        """A kernel forked from the pool's warmed process: its imports are done, so warming it
        only records its clean state."""
        kernel = zygote.fork(index, self.run_dir)
        self._kernels[index] = kernel  # known before it answers: kill() can stop it
        if self._closed.is_set():
            return kernel
        try:
            kernel.wait_ready(START_TIMEOUT)
        except RuntimeError as exc:
            if self._closed.is_set():
                return kernel
            raise BuildError(Msg("kernel.no_start", detail=exc, log=kernel.log_path.name)) from None
        kernel.silent(self.warm, what=Msg("kernel.what.warm"))
        kernel.silent(SNAPSHOT, what=Msg("kernel.what.snapshot"))
        return kernel

    def _start_kept(self, keep: KeptKernel) -> Kernel:
        """The kept kernel if it serves, else a new one started to be kept (warmed, recorded)."""
        env = kernel_env(keep.folder, self._extra_env)
        kernel = keep.take(env, self.warm)
        if kernel is not None:
            self._kernels[0] = kernel
            return kernel
        kernel = keep.start(env, keep.folder, self._closed)
        self._kernels[0] = kernel  # known before it starts: kill() can stop it while it boots
        if self._closed.is_set():
            return kernel
        kernel.silent(self.warm, what=Msg("kernel.what.warm"))
        kernel.silent(SNAPSHOT, what=Msg("kernel.what.snapshot"))
        keep.record(env, self.warm)
        return kernel

    def _finish_kernel(self, index: int, kernel: Kernel, *, failed: bool) -> None:
        """Shut a kernel down, or leave the kept one for the next command (unless this one
        failed or was stopped: then it is stopped too)."""
        keep = self.keep
        if keep is not None and kernel is keep.kernel:
            if failed or self._closed.is_set() or not self._kernel_alive(kernel):
                keep.stop_and_unlock()
            else:
                keep.release()
        else:
            kernel.shutdown()
        self._kernels.pop(index, None)

    def _worker(self, index: int) -> None:
        kernel: Kernel | None = None
        startup_error: BaseException | None = None
        failed = False
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
                    failed = True
                    future.set_exception(exc)
                    if kernel is not None and not self._kernel_alive(kernel):
                        self._finish_kernel(index, kernel, failed=True)
                        kernel = None
                finally:
                    if not self.reuse and kernel is not None:
                        kernel.shutdown()
                        self._kernels.pop(index, None)
                        kernel = None
        finally:
            if kernel is not None:
                self._finish_kernel(index, kernel, failed=failed or startup_error is not None)
            elif index == 0 and self.keep is not None:
                self.keep.stop_and_unlock()  # a kept kernel that failed to start, or none taken

    @staticmethod
    def _kernel_alive(kernel: Kernel) -> bool:
        try:
            return bool(kernel._run_sync(kernel.km.is_alive)())
        except Exception:
            return False

    def _run(self, kernel: Kernel, job: NotebookJob) -> JobResult:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        if self.on_start:
            self.on_start(job.name)
        started = time.perf_counter()
        job.cwd.mkdir(parents=True, exist_ok=True)
        kernel.silent(RESET.replace("__CWD__", repr(str(job.cwd))), what=Msg("kernel.what.reset", name=job.name))
        kernel.last_nb = None
        kernel.on_running = self.on_running
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
            raise cell_failure(exc, name=job.name, notebook=job.notebook, executed=executed) from None
        except BuildError:
            raise
        except Exception as exc:
            if not self._kernel_alive(kernel):
                raise BuildError(Msg("runner.kernel_died", name=job.name, notebook=job.notebook.name)) from None
            what = one_line(type(exc).__name__, str(exc))
            raise BuildError(Msg("runner.could_not_run", name=job.name, notebook=job.notebook.name,
                                 detail=what)) from None
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
            self._kill_kernel(kernel)
        if self._zygote is not None:
            self._zygote.kill()
        self._drain()

    @staticmethod
    def _kill_kernel(kernel: Kernel) -> None:
        pid = kernel.pid
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)

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

    def close(self) -> None:
        """Finish: no more jobs; kernels are shut down by their threads, which are waited for —
        also after :meth:`kill`, when they end at once. A thread left starting or stopping a
        kernel while the interpreter shuts down can abort the process, and leave its kernel behind."""
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(timeout=30)
        if self._zygote is not None:
            self._zygote.close()
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.kill()
        self.close()


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
