"""One command builds it all: validate → chapters → assemble → publish.

* **validate** checks the raw data of both waves against their codebooks (and the filters
  against the codebook) before anything is computed; invalid data stops the build here.
* **chapters** executes one notebook per chapter with papermill on a pool of warm kernels
  (:mod:`hakusho.pipeline.runner`), in parallel, each into ``chapters/<id>/`` of the build folder.
* **assemble** runs the renderers (HTML and PDF per language, or the Quarto project) on the
  build folder, copies the tables behind the charts to ``data/`` and the executed notebooks to
  ``notebooks/``, and writes ``manifest.json``.
* **publish** swaps the staged report in for the old one (:mod:`hakusho.pipeline.publish`).

Every stage is cached by content hash (:mod:`hakusho.pipeline.cache`): a chapter runs again only when its
notebook, parameters, data, codebooks or the package changed; a renderer only when its inputs
did. A rebuild whose build key matches the published manifest — and whose files are intact —
stops before importing anything heavy.

Reproducible: kernels run with ``PYTHONHASHSEED=0`` and a fixed ``SOURCE_DATE_EPOCH`` (chapter
outputs carry no date by contract, so their cache key holds none); the renderers see the build's
date, ``SOURCE_DATE_EPOCH`` when set, else the time of the last git commit, recorded in the
manifest so that ``hakusho verify`` rebuilds with the same date.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hakusho import build_folder, config
from hakusho.config import display_path
from hakusho.errors import BuildError, HakushoError
from hakusho.messages import Msg
from hakusho.pipeline import outputs, publish
from hakusho.pipeline.assemble import assemble
from hakusho.pipeline.executed import NotebookFailed, write_notebook
from hakusho.pipeline.kernel import clean_stale_run_dirs, warm_imports
from hakusho.pipeline.options import DEFAULT_FORMATS, FIXED_EPOCH, BuildOptions
from hakusho.pipeline.plan import Plan, chart_langs, default_target, discover_notebooks, make_plan, up_to_date
from hakusho.pipeline.progress import Reporter
from hakusho.pipeline.render_pool import settle_warming, warm_renderers
from hakusho.pipeline.runner import KernelPool, NotebookJob, wait_all
from hakusho.project import PROJECT_ENV


class BuildInterrupted(BuildError):
    """Ctrl-C or SIGTERM during a build: nothing was published."""

    exit_code = 130


@dataclass
class BuildResult:
    target: Path
    up_to_date: bool = False
    validated: bool = False
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    build_dir: Path | None = None  # the build folder the renderers read (gone once a build is published)


def validate_inputs(plan: Plan) -> None:
    """Stage 1: the raw data of both waves against their codebooks (what ``hakusho validate``
    checks). Raises the loader's DataError/CodebookError with every problem listed."""
    from hakusho.survey.codebook import load_codebook
    from hakusho.survey.load import load_wave

    options = plan.options
    for wave in (w.strip() for w in (options.wave, *options.compare_wave.split(",")) if w.strip()):
        raw = Path(options.data_dir).absolute() / wave if options.data_dir else None
        load_wave(wave, raw_path=raw, codebook=load_codebook(config.codebook_path(wave)), store=wave_store(plan))
    return_freed_memory()


def return_freed_memory() -> None:
    """Hand the memory validation used back to the system. The waves are checked here and stored
    for the kernels; this process keeps none of them, but the C allocator keeps freed pages (a few
    hundred megabytes on a large export) unless asked, and the render processes forked later
    would start with them."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):
        if name:
            ctypes.CDLL(name).malloc_trim(0)  # glibc; other C libraries have no such call


def wave_store(plan: Plan) -> Path:
    """Where the build keeps typed waves for its kernels (:mod:`hakusho.survey.store`)."""
    return plan.cache.root / "waves"


def check_filters(plan: Plan) -> None:
    """The filters against the report wave's codebook: unknown variables or choices and wrong
    operators fail here, with suggestions, before a notebook runs. It needs no data (filters are
    checked against the codebook alone, without pandas, while the kernel starts), so a new filter
    does not re-validate the data; whether a filter leaves enough respondents the chapters decide."""
    from hakusho.survey.codebook import load_codebook
    from hakusho.survey.filters import check_conditions, normalize_filters

    book = load_codebook(config.CODEBOOK_DIR / f"{plan.options.wave}.yml")
    conditions, _ = normalize_filters([list(f) for f in plan.options.filters], book)
    check_conditions(book, conditions, source="filter")


@contextlib.contextmanager
def shared_cache(root: Path) -> Iterator[None]:
    """The build's cache named in ``HAKUSHO_CACHE`` while it runs (its kernels and renderers inherit
    it): typed waves, drawn charts and font subsets are kept there (:func:`config.shared_cache`)."""
    previous = os.environ.get(config.CACHE_ENV)
    os.environ[config.CACHE_ENV] = str(root)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(config.CACHE_ENV, None)
        else:
            os.environ[config.CACHE_ENV] = previous


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C (a build's staged folder is removed either way; a preview stops)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build(options: BuildOptions, *, reporter: Reporter | None = None) -> BuildResult:
    """Build the report (see the module docstring); returns what ran and what was reused."""
    t0 = time.perf_counter()
    reporter = reporter or Reporter()
    plan = make_plan(options)
    result = BuildResult(target=plan.target)
    # Where the report may go is checked before anything is created, the lock file included;
    # again under the lock, and once more just before the swap.
    guard = {"inputs": [options.data_dir] if options.data_dir else [], "caches": [plan.cache.root]}
    outputs.claim_folder(plan.target, **guard)
    try:
        with publish.locked(plan.target):
            publish.clean_stale(plan.target)
            clean_stale_run_dirs()
            claim = outputs.claim_folder(plan.target, **guard)
            outputs.check_keeps_selection(claim, plan.record, suggestion=display_path(
                default_target(replace(options, out=None), list(discover_notebooks()), list(plan.notebooks))))
            if not options.force and up_to_date(plan):
                result.up_to_date = True
            else:
                with sigterm_as_interrupt(), publish.Staging(plan.target) as staging:

                    def publish_checked() -> None:  # a file may have appeared in the folder meanwhile
                        outputs.claim_folder(plan.target, **guard)
                        staging.publish()

                    _Build(plan, staging.root, staging.tree, reporter, result, publish=publish_checked).run()
                with contextlib.suppress(OSError), publish.held_signals():  # a half-pruned entry would stay
                    plan.cache.prune()
    finally:
        reporter.close()
    result.seconds = time.perf_counter() - t0
    return result


def build_tree(options: BuildOptions, root: Path, *, reporter: Reporter | None = None,
               pool: KernelPool | None = None) -> BuildResult:
    """Build the report into ``root/tree`` and publish nothing (``hakusho preview``, which serves
    the tree; ``root`` holds the scratch folders too). The cache is the project's, as for
    :func:`build`. ``pool``: warm kernels to run chapters on, left running (a pool this build
    starts is closed); a pool a failed notebook made the build kill must be replaced."""
    t0 = time.perf_counter()
    reporter = reporter or Reporter()
    plan = make_plan(options)
    root = Path(root)
    result = BuildResult(target=root / "tree")
    try:
        with sigterm_as_interrupt():
            _Build(plan, root, root / "tree", reporter, result, publish=lambda: None, pool=pool).run()
    finally:
        reporter.close()
    result.seconds = time.perf_counter() - t0
    return result


def execution_order(todo: list[str], parts: list[str]) -> list[str]:
    """The order notebooks are queued in: the parts first, then the chapters, each in plan order.

    The parts (the cross analysis, the explorer) work through the whole questionnaire and are the
    longest notebooks; queued last, the explorer would run alone on one kernel after the other
    had finished every chapter. Longest first keeps both busy to the end. Outputs do not depend on
    the order.
    """
    return [c for c in todo if c in parts] + [c for c in todo if c not in parts]


def kernel_pool(plan: Plan, size: int, *, reporter: Reporter | None = None, render: bool = True) -> KernelPool:
    """A pool of ``size`` kernels started for ``plan``'s chapters: warmed with what their notebooks
    import, told the build's cache, chart languages, whether an HTML page will show phone
    drawings (not when nothing is ``render``-ed) and how many processes each may draw in (the
    cores the pool leaves idle), reproducible (:mod:`hakusho.pipeline.kernel`)."""
    from hakusho.charts.shares import processes_for

    phones = render and any(t.fmt == "html" for t in plan.tasks)
    keep = None
    if plan.options.keep_kernel > 0:
        from hakusho.pipeline.kept import KeptKernel

        keep = KeptKernel(plan.cache.root, seconds=plan.options.keep_kernel, purpose="build" if render else "notebook")
    return KernelPool(size, warm=warm_imports(plan.notebooks.values()), reuse=plan.options.reuse_kernels, keep=keep,
                      env={"SOURCE_DATE_EPOCH": str(FIXED_EPOCH), PROJECT_ENV: str(config.PROJECT_ROOT),
                           config.CACHE_ENV: str(plan.cache.root),
                           config.CHART_LANGS_ENV: ",".join(chart_langs(plan.options)),
                           config.PHONE_DRAWINGS_ENV: "1" if phones else "0",
                           config.DRAW_PROCESSES_ENV: str(processes_for(size))},
                      on_start=(reporter or Reporter()).start)


class _Build:
    """One build's run: ``root`` is its scratch space, ``tree`` the report being staged."""

    def __init__(self, plan: Plan, root: Path, tree: Path, reporter: Reporter, result: BuildResult,
                 *, publish: Callable[[], None] | None = None, pool: KernelPool | None = None) -> None:
        self.plan = plan
        self.options = plan.options
        self.root = root
        self.tree = tree
        self.work = root / "work"
        self._publish = publish
        self.reporter = reporter
        self.result = result
        self.build_dir = self.work / "build"
        result.build_dir = self.build_dir
        build_folder.notebook_folder(self.build_dir, part=False).mkdir(parents=True)
        self.stage_name = "plan"
        self.given_pool = pool if pool is not None and not pool.closed else None
        self._warm_lock = threading.Lock()
        self._after_validation: Callable[[], None] = lambda: None

    # -- driver

    def run(self) -> None:
        self.run_stages(and_publish=True)

    def run_stages(self, *, and_publish: bool) -> None:
        """validate → chapters (→ assemble → publish); a failure names its stage, in one line."""
        with shared_cache(self.plan.cache.root):
            self._run_stages(and_publish=and_publish)

    def _run_stages(self, *, and_publish: bool) -> None:
        pool = None
        where = display_path(self.plan.target)
        unchanged = Msg("build.unchanged", where=where) if and_publish else Msg("build.nothing_written")
        try:
            todo = [c for c in self.plan.notebooks
                    if self.options.force or not self.plan.cache.get("chapters", self.plan.chapter_keys[c])]
            if todo and self.given_pool is not None:
                self.given_pool.on_start = self.reporter.start
            elif todo:
                pool = self._pool(len(todo), render=and_publish)  # kernels warm up while the data is validated
            if and_publish:
                self._warm_renderers_later(pool or self.given_pool if todo else None)
            self._stage("validate", self.validate)
            self._after_validation()
            self._stage("chapters", lambda: self.chapters(pool or self.given_pool, todo))
            if pool is not None:
                pool.close()
                pool = None
            if and_publish:
                self._stage("assemble", self.assemble)
                self._stage("publish", self.publish)
        except KeyboardInterrupt:
            raise BuildInterrupted(Msg("build.interrupted", stage=self.stage_name, unchanged=unchanged)) from None
        except OSError as exc:  # a full disk, a folder that became unwritable…
            what = Msg("os.what.build")
            raise BuildError(Msg("build.stage_failed_unchanged", stage=self.stage_name,
                                 message=publish.describe_os_error(exc, what), unchanged=unchanged)) from None
        except HakushoError as exc:
            if self.stage_name != "publish":
                exc.message = Msg("build.stage_failed_unchanged", stage=self.stage_name, message=exc.message,
                                  unchanged=unchanged)
            else:
                exc.message = Msg("build.stage_failed", stage=self.stage_name, message=exc.message)
            exc.args = (exc.message,)
            raise
        finally:
            if pool is not None:
                # Killed kernels let their threads end at once; wait for them (and for renderers
                # still being imported), so that no thread is left in a kernel's or an extension's
                # C code while the interpreter shuts down — which aborts the process.
                pool.kill()
                pool.close()
            settle_warming()

    def folder(self, chapter: str) -> Path:
        """Where a notebook runs (its outputs go to ``<folder>/<chapter>/``)."""
        return build_folder.notebook_folder(self.build_dir, part=chapter in self.plan.parts)

    def _stage(self, name: str, fn: Callable[[], None]) -> None:
        self.stage_name = name
        self.reporter.stage(name)
        started = time.perf_counter()
        fn()
        self.result.stages[name] = time.perf_counter() - started

    def _warm_renderers_later(self, pool: KernelPool | None) -> None:
        """Import the renderers while the chapters run: once the data is validated and a notebook's
        first cell runs, when this process only waits. Importing them earlier would hold the
        interpreter while it validates and hands a notebook to a kept kernel, which is on the way
        to the first result; with no notebook to run, they are imported at once."""
        formats = [t.fmt for t in self.plan.tasks if self.options.force or not self.plan.cache.get("assembly", t.key)]
        if pool is None:
            warm_renderers(formats)
            return
        ready = {"validated": False, "running": False}

        def mark(what: str) -> None:
            with self._warm_lock:
                if ready[what]:
                    return
                ready[what] = True
                if all(ready.values()):
                    warm_renderers(formats)

        self._after_validation = lambda: mark("validated")
        pool.on_running = lambda: mark("running")

    def _pool(self, n: int, *, render: bool) -> KernelPool:
        return kernel_pool(self.plan, min(self.options.jobs or os.cpu_count() or 1, n), reporter=self.reporter,
                           render=render)

    # -- stages

    def validate(self) -> None:
        checks = [("data", "validated", self.plan.validate_key, validate_inputs)]
        if self.plan.filters_key:
            checks.append(("filters", "filters-checked", self.plan.filters_key, check_filters))
        for label, kind, key, check in checks:
            self.reporter.step(f"validate:{label}", label)
            if not self.options.force and self.plan.cache.get(kind, key):
                self.reporter.done(f"validate:{label}", cached=True)
                continue
            self.reporter.start(f"validate:{label}")
            try:
                check(self.plan)
            except BaseException:
                self.reporter.fail(f"validate:{label}")
                raise
            self.plan.cache.mark(kind, key)
            if label == "data":
                self.result.validated = True
            self.reporter.done(f"validate:{label}", note="valid")

    def chapters(self, pool: Any, todo: list[str]) -> None:
        from_cache = [c for c in self.plan.notebooks if c not in todo]
        for chapter in self.plan.notebooks:
            self.reporter.step(chapter, chapter)
        for chapter in from_cache:
            entry = self.plan.cache.get("chapters", self.plan.chapter_keys[chapter])
            assert entry is not None
            shutil.copytree(entry, self.folder(chapter) / chapter)
            self.result.cached.append(chapter)
            self.reporter.done(chapter, cached=True)
        if not todo:
            return
        queued = execution_order(todo, self.plan.parts)
        jobs = [NotebookJob(name=c, notebook=self.plan.notebooks[c], parameters=self.plan.params[c],
                            cwd=self.folder(c), output=self.folder(c) / c / self.plan.notebooks[c].name,
                            scrub={str(self.root): "<build>"})
                for c in queued]

        def finished(job_result: Any) -> None:
            chapter = job_result.name
            out = self.folder(chapter) / chapter
            if chapter not in self.plan.parts and not (out / build_folder.CHAPTER_DOC).is_file():
                raise BuildError(Msg("build.no_chapter_json", chapter=chapter,
                                     notebook=self.plan.notebooks[chapter].name))
            key = self.plan.chapter_keys[chapter]
            if self.options.force:
                shutil.rmtree(self.plan.cache.entry("chapters", key), ignore_errors=True)
            self.plan.cache.put("chapters", key, out)
            self.result.executed.append(chapter)
            self.reporter.done(chapter, note="executed")

        try:
            wait_all(pool, [pool.submit(j) for j in jobs], on_done=finished)
        except NotebookFailed as exc:
            failed = next((j for j in jobs if exc.message.startswith(j.name + " ")), None)
            if failed is not None:
                self.reporter.fail(failed.name)
            if exc.executed is not None and failed is not None:
                kept = self.plan.cache.root / "failed" / failed.notebook.name
                write_notebook(exc.executed, kept)
                exc.message = Msg("build.notebook_kept", message=exc.message, path=display_path(kept))
                exc.args = (exc.message,)
            raise

    def assemble(self) -> None:
        outputs = {c: self.folder(c) / c for c in self.plan.notebooks}
        done = assemble(self.plan, build_dir=self.build_dir, outputs=outputs, tree=self.tree, work=self.work,
                        reporter=self.reporter)
        self.result.rendered += done.rendered
        self.result.reused += done.reused

    def publish(self) -> None:
        self.reporter.step("publish", display_path(self.plan.target))
        self.reporter.start("publish")
        assert self._publish is not None
        self._publish()
        self.reporter.done("publish", note="published")


# ------------------------------------------------------------------------------ one notebook


def chapter_notebook(options: BuildOptions, chapter: str, out_file: Path | None = None, *,
                     reporter: Reporter | None = None) -> Path:
    """Execute one chapter (or take it from the cache) and write its executed notebook.

    For a researcher: the notebook opens in Jupyter with every table and chart, and its
    parameters cell says how it was run. Default file: ``<NN_name>[-<filter>].ipynb`` here.
    """
    reporter = reporter or Reporter()
    plan = make_plan(replace(options, chapters=(chapter,), formats=DEFAULT_FORMATS, engine="internal"))
    nb = plan.notebooks[chapter]
    if out_file is None:
        suffix = ""
        if options.filters:
            from hakusho.survey.codebook import Condition
            from hakusho.survey.filters import filter_slug

            suffix = "-" + filter_slug([Condition(var=v, op=o, value=x) for v, o, x in options.filters])
        out_file = Path(f"{nb.stem}{suffix}.ipynb")
    shown = Path(out_file)
    # Checked before anything runs: the file may replace only a notebook this command wrote.
    out_file = outputs.claim_file(out_file, recognise=outputs.is_executed_notebook,
                                  what=Msg("build.what.notebook"),
                                  inputs=[options.data_dir] if options.data_dir else [])
    work = Path(tempfile.mkdtemp(prefix="hakusho-notebook-"))
    try:
        run = _Build(plan, work, work / "tree", reporter, BuildResult(target=plan.target))
        with sigterm_as_interrupt():
            run.run_stages(and_publish=False)
        out_file.parent.mkdir(parents=True, exist_ok=True)
        outputs.write_file(out_file, (run.folder(chapter) / chapter / nb.name).read_bytes())
    except OSError as exc:
        raise BuildError(publish.describe_os_error(exc, str(shown))) from None
    finally:
        reporter.close()
        shutil.rmtree(work, ignore_errors=True)
    return shown
