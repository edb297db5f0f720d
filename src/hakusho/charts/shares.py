"""A chapter's drawings shared out over the cores a build leaves idle.

A one-chapter build, or ``hakusho notebook``, runs one kernel while the machine's other cores
wait, and drawing is most of that kernel's time (12 to 48 SVG files a chapter). The drawings do
not depend on one another — the chart store already relies on it: a drawing's bytes follow from
its inputs alone (:mod:`hakusho.charts.svg`) — so the kernel forks and each process draws a share.
Forking, not starting processes, because a fork has matplotlib imported and the chapter computed
already; a new process would spend longer importing than the drawings take.

A share's process must not change what the notebook shows: its output and warnings would be lost
to the notebook, and its error would not reach it. So it records them instead, and one that
printed, warned or failed (or was killed) hands its share back: the kernel draws it again
itself, where the output, the warning or the error appears exactly as without sharing. A share's
process dies with the kernel (``PR_SET_PDEATHSIG``) and never outlives the call.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

Job = TypeVar("Job")

MIN_SHARE = 2  # drawings per process below which forking costs more than it saves
# A share's process still drawing this long after this process finished its own (shares are even)
# is stopped and its share drawn here: a fork that hangs costs seconds, not the build.
PATIENCE = 4.0  # times what this process's own share took
MIN_PATIENCE = 10.0  # seconds
_POLL = 0.005


def processes_for(kernels: int, cores: int | None = None, *, most: int = 4) -> int:
    """How many processes each of ``kernels`` kernels may draw in: the cores they leave idle,
    shared equally (at least one, at most ``most``)."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(most, cores // max(1, kernels)))


def draw_all(jobs: Sequence[Job], draw: Callable[[Job], object], processes: int) -> None:
    """Call ``draw`` on every job, in ``processes`` processes (this one and forks of it).

    Job ``i`` goes to process ``i % processes`` (neighbouring drawings are alike in cost, so the
    shares come out even). This process draws its own share first, then whatever a fork handed
    back, in order."""
    processes = min(processes, len(jobs) // MIN_SHARE) if hasattr(os, "fork") else 1
    if processes <= 1:
        for job in jobs:
            draw(job)
        return
    children: dict[int, Sequence[Job]] = {}
    finished = False
    kernel = os.getpid()
    started = time.monotonic()
    try:
        for k in range(1, processes):
            share = jobs[k::processes]
            pid = _fork()
            if pid == 0:
                _draw_share(share, draw, kernel)
            children[pid] = share
        for job in jobs[0::processes]:
            draw(job)
        finished = True
    finally:
        patience = max(MIN_PATIENCE, PATIENCE * (time.monotonic() - started)) if finished else 0.0
        handed_back = _reap(children, stop=not finished, deadline=time.monotonic() + patience)
    for job in handed_back:
        draw(job)


def _fork() -> int:
    # Python 3.12 and later warn that forking a process with threads (a kernel has several) may
    # deadlock the child. Drawing takes none of the kernel's other threads' locks; should a child
    # hang all the same, it is stopped once this process's patience runs out, and its share drawn here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _draw_share(share: Sequence[Job], draw: Callable[[Job], object], parent: int) -> NoReturn:
    """In the fork: draw the share; exit 0 only if nothing was printed, warned or raised."""
    code = 1
    try:
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        if os.getppid() == parent:
            said = io.StringIO()
            with (warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(said),
                  contextlib.redirect_stderr(said)):
                for job in share:
                    draw(job)
            code = 0 if not caught and not said.getvalue() else 1
    finally:  # an error too ends here, quietly: the kernel draws the share again and meets it itself
        os._exit(code)


def _reap(children: dict[int, Sequence[Job]], *, stop: bool, deadline: float) -> list[Job]:
    """Wait for every share's process until ``deadline`` (stopping them first with ``stop``); the
    jobs of those that did not draw their share. Interrupted while waiting, it stops and reaps them
    all first: no share's process goes on writing once the call is over."""
    handed_back: list[Job] = []
    waiting = dict(children)
    try:
        for pid, share in children.items():
            if not _succeeded(pid, stop=stop, deadline=deadline):
                handed_back.extend(share)
            del waiting[pid]
    except BaseException:
        for pid in waiting:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in waiting:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        raise
    return handed_back


def _succeeded(pid: int, *, stop: bool, deadline: float) -> bool:
    """Wait for one share's process until ``deadline`` (killing it first with ``stop``, or then);
    whether it drew its share."""
    if stop:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return not stop and os.waitstatus_to_exitcode(status) == 0
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return False
            time.sleep(_POLL)
    except ChildProcessError:  # reaped by someone else: whether it drew is unknown
        return False
