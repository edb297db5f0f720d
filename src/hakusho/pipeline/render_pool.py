"""Running the renderers: one process per format and language, each into its own folder.

A renderer (HTML or PDF for one language, or the Quarto project) reads the build folder and
writes into an empty folder; :func:`render_tasks` runs them in parallel in forked processes that
die with the build, and lays each one's output out as the report expects. Renderers are imported
only when something must be rendered.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError, HakushoError
from hakusho.messages import Msg
from hakusho.pipeline.plan import Task
from hakusho.pipeline.progress import Reporter
from hakusho.pipeline.publish import describe_os_error

# format -> (module, function). Renderers are imported only when something must be rendered.
RENDERERS: dict[str, tuple[str, str]] = {
    "html": ("hakusho.render.page", "render_html"),
    "pdf": ("hakusho.render.deck", "render_pdf"),
    "xlsx": ("hakusho.render.workbook", "render_xlsx"),
    "quarto": ("hakusho.render.quarto", "render_quarto"),
}
QUARTO_RUNNER = ("hakusho.render.quarto", "run_quarto")


_warming: list[threading.Thread] = []


def warm_renderers(formats: Iterable[str]) -> None:
    """Import the renderers of ``formats`` in a background thread (while the chapters run): the
    render processes forked later then start with them imported, instead of each importing them
    again — about a second of CPU per page or deck. :func:`render_tasks` waits for it first."""
    wanted = sorted(set(formats))

    def warm() -> None:
        for fmt in wanted:
            with contextlib.suppress(Exception):  # a renderer that fails to import fails later, located
                for module in first_use_imports(fmt):
                    importlib.import_module(module)

    if wanted:
        thread = threading.Thread(target=warm, name="hakusho-warm-renderers", daemon=True)
        thread.start()
        _warming.append(thread)


def first_use_imports(fmt: str) -> tuple[str, ...]:
    """What the renderer of ``fmt`` imports only once it runs (its module's ``FIRST_USE_IMPORTS``),
    imported with it so that each render process does not import it again."""
    module, _ = RENDERERS[fmt]
    _renderer(fmt)
    return tuple(getattr(sys.modules[module], "FIRST_USE_IMPORTS", ()))


def settle_warming() -> None:
    """Wait until the renderers being imported in the background are imported: before forking,
    and before a build returns (a thread left importing an extension module while the
    interpreter shuts down can abort the process)."""
    while _warming:
        _warming.pop().join()


def render_tasks(todo: Sequence[Task], build_dir: Path, placed: Path, *, epoch: int, engine: str, jobs: int,
                 reporter: Reporter) -> list[str]:
    """Run the renderers of ``todo`` into ``placed/<task>``; returns the names of the tasks rendered
    (in the order they finished). A renderer that fails or crashes stops the others."""
    settle_warming()  # never fork while another thread may hold an import lock
    jobs = min(jobs, len(todo))
    args = [(t, str(build_dir), str(placed / t.name.replace(" ", "-")), epoch, engine) for t in todo]
    rendered: list[str] = []
    if jobs <= 1:
        for a in args:
            reporter.start(f"task:{a[0].name}")
            _render_one(*a)
            rendered.append(a[0].name)
            reporter.done(f"task:{a[0].name}", note="rendered")
        return rendered
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: a render process starts at once, with the package already imported. But a process
    # that has typeset a deck itself (a test worker, anything long-lived) holds Typst's thread
    # pool, which a forked child inherits without the threads and waits on for ever: such a
    # process starts fresh render processes instead, telling them which renderers to use.
    deck = sys.modules.get("hakusho.render.deck")
    fresh = deck is not None and deck.has_typeset()
    context = multiprocessing.get_context("spawn" if fresh else "fork")
    hook = threading.excepthook
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_child_init) as pool:
            _render_in(pool, args, rendered, reporter)
    finally:
        threading.excepthook = hook  # the pool has shut down: nothing more to keep quiet
    return rendered


def _render_in(pool: Any, args: list[tuple[Any, ...]], rendered: list[str], reporter: Reporter) -> None:
    """Submit every renderer to ``pool`` and collect them; the first failure (or Ctrl-C, SIGTERM)
    cancels what has not started and kills the render processes."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    futures = {}
    for a in args:
        reporter.start(f"task:{a[0].name}")
        futures[pool.submit(_render_one, *a, RENDERERS[a[0].fmt], QUARTO_RUNNER)] = a[0]
    try:
        for future in as_completed(futures):
            task = futures[future]
            try:
                future.result()
            except BrokenProcessPool:
                raise BuildError(Msg("render.crashed", task=task.name)) from None
            rendered.append(task.name)
            reporter.done(f"task:{task.name}", note="rendered")
    except BaseException:
        _quiet_cancelled_futures()
        for f in futures:
            f.cancel()
        for proc in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                proc.kill()
        raise


def _quiet_cancelled_futures() -> None:
    """Once a build is stopping, the executor's own thread may still try to hand a result or a
    broken-pool error to a future the build cancelled, and would print that thread's traceback
    under the build's one-line message. Until the pool has shut down, that one error is dropped."""
    from concurrent.futures import InvalidStateError

    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not isinstance(args.exc_value, InvalidStateError):
            previous(args)

    threading.excepthook = hook


def _child_init() -> None:
    """In a render process: die with the build, and keep away from the parent's console."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))
    sys.stdout = sys.__stdout__
    sys.stderr = sys.__stderr__
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _renderer(fmt: str, where: tuple[str, str] | None = None) -> Callable[..., Any]:
    module, name = where or RENDERERS[fmt]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise BuildError(Msg("render.unavailable", format=fmt, name=f"{module}.{name}", detail=exc)) from None


def _render_one(task: Task, build_dir: str, out_dir: str, epoch: int, engine: str,
                renderer: tuple[str, str] | None = None, quarto_runner: tuple[str, str] | None = None) -> None:
    """Run one renderer into an empty folder and lay its output out as the report expects.

    ``renderer`` and ``quarto_runner`` name the functions to run (module, function) when the
    caller's choice must reach a freshly started process; by default they are the module's own.

    Per-language renderers may write ``<out>/index.html`` or ``<out>/<lang>/index.html``; either
    way the files end up under ``<lang>/`` of the report. The Quarto project goes to ``quarto/``.
    """
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    out = Path(out_dir)
    raw = out.parent / f".raw-{out.name}"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    raw.mkdir(parents=True)
    fn = _renderer(task.fmt, renderer)
    try:
        if task.fmt == "quarto":
            produced = Path(fn(Path(build_dir), raw))
            if engine == "quarto":
                module, name = quarto_runner or QUARTO_RUNNER
                try:
                    runner = getattr(importlib.import_module(module), name)
                except (ImportError, AttributeError) as exc:
                    raise BuildError(Msg("render.no_quarto", name=f"{module}.{name}", detail=exc)) from None
                runner(produced if produced.is_dir() else produced.parent)
            prefix = Path("quarto")
        else:
            produced = Path(fn(Path(build_dir), raw, task.lang))
            try:
                rel = produced.resolve().relative_to(raw.resolve())
            except ValueError:
                raise BuildError(Msg("render.outside", task=task.name, name=produced.name)) from None
            prefix = Path() if rel.parts and rel.parts[0] == task.lang else Path(str(task.lang))
        if not produced.exists():
            raise BuildError(Msg("render.missing", task=task.name, name=produced.name))
    except HakushoError:
        raise
    except OSError as exc:
        what = Msg("os.what.rendered")
        raise BuildError(Msg("render.failed", task=task.name, detail=describe_os_error(exc, what))) from None
    except Exception as exc:
        raise BuildError(Msg("render.failed", task=task.name, detail=f"{type(exc).__name__}: {exc}")) from None
    if prefix == Path():
        os.rename(raw, out)
    else:
        (out / prefix).parent.mkdir(parents=True, exist_ok=True)
        os.rename(raw, out / prefix)


def merge_tree(source: Path, tree: Path) -> None:
    """Copy a folder into the report tree; a file two steps write must be the same bytes."""
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(source)
        dest = tree / rel
        if dest.exists():
            if dest.read_bytes() != path.read_bytes():
                raise BuildError(Msg("render.clash", path=rel.as_posix()))
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
