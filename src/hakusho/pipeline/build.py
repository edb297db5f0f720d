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
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hakusho import __version__, config
from hakusho.errors import BuildError, FilterError, HakushoError, Problem
from hakusho.pipeline import publish
from hakusho.pipeline.cache import (
    CACHE_FORMAT,
    Cache,
    assembly_library_versions,
    cache_dir_for,
    chapter_library_versions,
    digest,
    is_assembly_only,
    sha256_file,
    tree_hashes,
)
from hakusho.pipeline.manifest import (
    changed_inputs,
    compare_trees,
    compare_with_manifest,
    manifest_document,
    output_hashes,
    outputs_intact,
    read_manifest,
    write_manifest,
)

SEGMENTS = ("saas", "non_saas", "all")
DEFAULT_SEGMENT = "saas"
LANGS = ("ja", "en")
FORMATS = ("html", "pdf", "quarto")
DEFAULT_FORMATS = ("html", "pdf")
ENGINES = ("internal", "quarto")
# The date chapters see (their outputs must not depend on it) and the report's date when neither
# SOURCE_DATE_EPOCH nor a git commit gives one: 1980-01-01, the earliest date zip files can hold.
FIXED_EPOCH = 315532800

# format -> (module, function). Renderers are imported only when something must be rendered.
RENDERERS: dict[str, tuple[str, str]] = {
    "html": ("hakusho.render.page", "render_html"),
    "pdf": ("hakusho.render.deck", "render_pdf"),
    "quarto": ("hakusho.render.quarto", "render_quarto"),
}
QUARTO_RUNNER = ("hakusho.render.quarto", "run_quarto")

# Folders of data/ that are not assembly inputs: raw exports and codebooks are hashed on their
# own (chapters and validation read them), the synthetic generator's targets feed no build.
_NOT_ASSEMBLY_DATA = ("raw/*", "codebook/*", "synthetic/*")


class BuildInterrupted(BuildError):
    """Ctrl-C or SIGTERM during a build: nothing was published."""

    exit_code = 130


# ------------------------------------------------------------------------------ options & plan


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``hakusho build`` can be told. Defaults build the full SaaS report."""

    wave: str = config.DEFAULT_WAVE
    compare_wave: str = config.DEFAULT_COMPARE_WAVE  # "" for no comparison
    segment: str = DEFAULT_SEGMENT
    chapters: tuple[str, ...] = ()  # () = every chapter
    langs: tuple[str, ...] = LANGS
    formats: tuple[str, ...] = DEFAULT_FORMATS
    engine: str = "internal"
    filters: tuple[tuple[str, str, Any], ...] = ()  # (variable, operator, value)
    allow_small_base: bool = False
    data_dir: Path | None = None  # folder holding <wave>/ raw folders; None = data/raw
    out: Path | None = None
    force: bool = False
    jobs: int = 0  # 0 = one per core
    reuse_kernels: bool = True
    cache_dir: Path | None = None
    source_date_epoch: int | None = None  # None = SOURCE_DATE_EPOCH, else the last commit
    strict: bool = False  # numbers typed literally in the editors' commentary are errors


@dataclass(frozen=True)
class Task:
    """One assembly step: a renderer for one format (and language)."""

    name: str  # "html ja", "pdf en", "quarto"
    fmt: str
    lang: str | None
    key: str


@dataclass
class Plan:
    options: BuildOptions
    target: Path
    cache: Cache
    epoch: int
    notebooks: dict[str, Path]  # chapter id -> notebook, the chapters built, in report order
    parts: list[str]  # of those, notebooks that are not chapters of the report (cross analysis)
    params: dict[str, dict[str, Any]]
    chapter_keys: dict[str, str]
    validate_key: str
    filters_key: str  # "" without filters
    tasks: list[Task]
    inputs: dict[str, str]  # logical path -> sha256, for the manifest
    record: dict[str, Any]  # the options as the manifest records them
    build_key: str


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


def split_list(text: str | Sequence[str] | None, *, valid: Sequence[str] | None = None,
               what: str = "value") -> tuple[str, ...]:
    """``"ja,en"`` → ``("ja", "en")``, checked against ``valid`` (order of ``valid`` kept)."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else [t for part in text for t in str(part).split(",")]
    items = [t.strip() for t in items if t.strip()]
    if valid is not None:
        unknown = [t for t in items if t not in valid]
        if unknown:
            raise BuildError(f"unknown {what} '{unknown[0]}' (valid: {', '.join(valid)})")
        return tuple(v for v in valid if v in items)
    return tuple(dict.fromkeys(items))


def _typed(value: Any) -> Any:
    """A filter value from the command line: numbers become numbers, as in a notebook."""
    if isinstance(value, str):
        if re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        if re.fullmatch(r"-?\d+\.\d+", value.strip()):
            return float(value)
    if isinstance(value, list | tuple):
        return [_typed(v) for v in value]
    return value


def parse_filters(filters: Sequence[Sequence[str] | str], *,
                  wave: str = "2025") -> tuple[tuple[str, str, Any], ...]:
    """Researchers' filters (``("employees", ">=", "1000")``, ``"employees >= 1000"`` or by label,
    ``("従業員規模", "==", "1,000〜2,999名")``) as checked triples; a malformed one raises
    FilterError before anything runs. Variables named by a column code or a label are resolved
    against ``wave``'s codebook (loaded only then), so the triples carry variable ids."""
    if not filters:
        return ()
    from hakusho.analysis.chapter import normalize_filters  # imports pandas: only for filtered builds

    items = [item if isinstance(item, str) else list(item) for item in filters]
    try:
        conditions, _ = normalize_filters(items)
    except FilterError:
        conditions = []  # perhaps a label (「従業員規模 >= 1000」): read again with the codebook
    if not conditions or any(not re.fullmatch(r"[a-z_][a-z0-9_]*", c.var) for c in conditions):
        from hakusho.survey.codebook import load_codebook

        book = load_codebook(config.CODEBOOK_DIR / f"{wave}.yml")
        conditions, _ = normalize_filters(items, book)
    return tuple((c.var, c.op, _typed(c.value)) for c in conditions)


_PARAM_CHAPTER = re.compile(r"""^\s*chapter\s*=\s*["']([A-Za-z0-9_-]+)["']""", re.MULTILINE)
_NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_-]+\.ipynb$")


def discover_notebooks(folder: Path | None = None) -> dict[str, Path]:
    """Chapter id → notebook, for ``notebooks/NN_name.ipynb`` in file-name order.

    The id is read from the notebook's ``parameters`` cell (``chapter = "ch1"``), so the notebook
    itself says which chapter it computes.
    """
    folder = Path(folder or config.NOTEBOOKS_DIR)
    found: dict[str, Path] = {}
    if not folder.is_dir():
        raise BuildError(f"no notebooks folder at {publish.display(folder)}")
    for path in sorted(folder.iterdir()):
        if not _NOTEBOOK_NAME.match(path.name):
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BuildError(f"{path.name}: not a readable notebook ({exc})") from None
        chapter = None
        for cell in doc.get("cells", []):
            if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
                source = cell.get("source", "")
                m = _PARAM_CHAPTER.search("".join(source) if isinstance(source, list) else source)
                chapter = m.group(1) if m else None
                break
        if chapter is None:
            raise BuildError(f"{path.name}: no cell tagged 'parameters' setting chapter = \"...\"")
        if chapter in found:
            raise BuildError(f"{path.name} and {found[chapter].name} both compute chapter {chapter}")
        found[chapter] = path
    if not found:
        raise BuildError(f"no chapter notebooks (NN_name.ipynb) in {publish.display(folder)}")
    return found


def report_chapters() -> list[str]:
    """The chapter ids of the spec, in report order (read without building the whole spec
    model: a no-op rebuild needs only the ids)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(config.SPEC_PATH.read_text(encoding="utf-8"), Loader=loader)
        return [str(c["id"]) for c in doc["chapters"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise BuildError(f"cannot read the chapter list from {config.SPEC_PATH.name}: {exc}") from None


def source_date_epoch(explicit: int | None = None) -> int:
    """The report's date: explicit, else SOURCE_DATE_EPOCH, else the last commit, else fixed."""
    if explicit is not None:
        return int(explicit)
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not env.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not '{env}'")
        return int(env)
    try:
        out = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return FIXED_EPOCH


def default_target(options: BuildOptions, all_chapters: Sequence[str], chapters: Sequence[str]) -> Path:
    """Where a build goes: ``report/<wave>`` for the canonical report; any build that shows
    something else (another segment, a filter, a comparison, some chapters) gets its own
    folder so it can never overwrite the canonical one."""
    if options.out is not None:
        return Path(options.out).absolute()
    parts = [options.wave]
    subset = list(chapters) != list(all_chapters)
    canonical = (options.segment == DEFAULT_SEGMENT and not options.filters and not subset
                 and options.compare_wave == config.DEFAULT_COMPARE_WAVE)
    if not canonical:
        parts.append(options.segment)
        if options.compare_wave != config.DEFAULT_COMPARE_WAVE:
            parts.append(f"vs{options.compare_wave or 'none'}")
        if options.filters:
            from hakusho.survey.codebook import Condition
            from hakusho.survey.filters import filter_slug

            parts.append(filter_slug([Condition(var=v, op=o, value=x) for v, o, x in options.filters]))
        if subset:
            parts.append("+".join(chapters))
    return config.REPORT_DIR / "-".join(parts)


def _check_options(o: BuildOptions) -> None:
    if o.segment not in SEGMENTS:
        raise BuildError(f"unknown segment '{o.segment}' (valid: {', '.join(SEGMENTS)})")
    if o.engine not in ENGINES:
        raise BuildError(f"unknown engine '{o.engine}' (valid: {', '.join(ENGINES)})")
    for lang in o.langs:
        if lang not in LANGS:
            raise BuildError(f"unknown language '{lang}' (valid: {', '.join(LANGS)})")
    for fmt in o.formats:
        if fmt not in FORMATS:
            raise BuildError(f"unknown format '{fmt}' (valid: {', '.join(FORMATS)})")
    if not o.langs:
        raise BuildError("no language to build (--lang ja,en)")
    if not o.formats:
        raise BuildError("no format to build (--format html,pdf)")
    if not re.fullmatch(r"\d{4}", o.wave) or (o.compare_wave and not re.fullmatch(r"\d{4}", o.compare_wave)):
        raise BuildError(f"a wave is a year such as 2025 (got '{o.wave}' / '{o.compare_wave}')")
    if o.compare_wave == o.wave:
        raise BuildError(f"--compare {o.compare_wave} is the report wave itself")
    if o.data_dir is not None and not Path(o.data_dir).is_dir():
        raise BuildError(f"--data-dir {o.data_dir}: no such folder")


def options_record(o: BuildOptions, chapters: Sequence[str]) -> dict[str, Any]:
    """The options that decide what a report contains (not where or how fast it is built)."""
    return {
        "wave": o.wave, "compare_wave": o.compare_wave, "segment": o.segment,
        "chapters": list(chapters), "langs": list(o.langs), "formats": list(o.formats),
        "engine": o.engine, "filters": [list(f) for f in o.filters],
        "allow_small_base": bool(o.allow_small_base),
        "data_dir": "" if o.data_dir is None else "<data-dir>",
    }


def make_plan(options: BuildOptions) -> Plan:
    """Everything a build will do, decided from hashes alone (cheap: no pandas, no kernels)."""
    _check_options(options)
    every = discover_notebooks()
    # The report is the spec's chapters and, after them, the parts other notebooks compute (the
    # cross-analysis part), whose outputs go to parts/<id>/ of the build folder. Naming chapters
    # builds only those.
    spec_chapters = report_chapters()
    in_report = [c for c in every if c in spec_chapters]
    chosen = options.chapters or tuple(every)
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise BuildError(f"unknown chapter '{unknown[0]}' (valid: {', '.join(every)})")
    notebooks = {c: every[c] for c in every if c in chosen}
    parts = [c for c in notebooks if c not in in_report]
    target = default_target(options, list(every), list(notebooks))
    cache = Cache(Path(options.cache_dir) if options.cache_dir else cache_dir_for(target))
    epoch = source_date_epoch(options.source_date_epoch)

    data_root = Path(options.data_dir).absolute() if options.data_dir else config.RAW_DIR
    data_label = "data/raw" if options.data_dir is None else "<data-dir>"
    waves = [w for w in (options.wave, options.compare_wave) if w]
    raw = {}
    for w in waves:
        raw.update(tree_hashes(data_root / w, prefix=f"{data_label}/{w}/"))
    if not any(k.startswith(f"{data_label}/{options.wave}/") for k in raw):
        raise BuildError(f"no raw data for wave {options.wave} in {publish.display(data_root / options.wave)}")
    codebooks = tree_hashes(config.CODEBOOK_DIR, prefix="data/codebook/")
    package = tree_hashes(config.PACKAGE_DIR, prefix="hakusho/")
    chapter_package = {k: v for k, v in package.items() if not is_assembly_only(k[len("hakusho/"):])}
    templates = tree_hashes(config.TEMPLATES_DIR, prefix="templates/")
    extra_data = tree_hashes(config.DATA_DIR, prefix="data/", exclude=_NOT_ASSEMBLY_DATA)
    nb_hashes = {f"notebooks/{p.name}": sha256_file(p) for p in notebooks.values()}

    params: dict[str, dict[str, Any]] = {}
    chapter_keys: dict[str, str] = {}
    libs = chapter_library_versions()
    for chapter, path in notebooks.items():
        params[chapter] = {
            "chapter": chapter,
            "wave": options.wave,
            "compare_wave": options.compare_wave,
            "segment": options.segment,
            "filters": [list(f) for f in options.filters],
            "allow_small_base": bool(options.allow_small_base),
            "data_dir": "" if options.data_dir is None else str(data_root),
            "codebook_dir": "",
            "output_dir": chapter,
        }
        chapter_keys[chapter] = digest({
            "stage": "chapter", "cache": CACHE_FORMAT, "notebook": nb_hashes[f"notebooks/{path.name}"],
            "parameters": {**params[chapter], "data_dir": params[chapter]["data_dir"] and data_label},
            "raw": raw, "codebooks": codebooks, "package": chapter_package, "libraries": libs,
        })

    record = options_record(options, list(notebooks))
    validate_key = digest({
        "stage": "validate", "cache": CACHE_FORMAT, "waves": waves, "raw": raw, "codebooks": codebooks,
        "package": package, "libraries": libs,
    })
    filters_key = digest({"stage": "filters", "cache": CACHE_FORMAT, "wave": options.wave, "codebooks": codebooks,
                          "package": package, "filters": record["filters"]}) if options.filters else ""
    # A renderer's output depends on what the report contains, not on which other languages or
    # formats are built alongside it.
    contents = {k: v for k, v in record.items() if k not in ("langs", "formats")}
    assembly_common = {
        "stage": "assemble", "cache": CACHE_FORMAT, "options": contents, "epoch": epoch,
        "chapters": [chapter_keys[c] for c in notebooks], "codebooks": codebooks, "templates": templates,
        "data": extra_data, "package": package, "libraries": assembly_library_versions(),
    }
    tasks: list[Task] = []
    if len(parts) == len(notebooks):
        pass  # nothing for the renderers: the report holds the part's tables and notebook
    elif options.engine == "quarto":
        tasks.append(Task("quarto", "quarto", None, digest({**assembly_common, "task": "quarto-engine"})))
    else:
        for fmt in (f for f in FORMATS if f in options.formats):
            if fmt == "quarto":
                tasks.append(Task("quarto", "quarto", None, digest({**assembly_common, "task": "quarto"})))
                continue
            for lang in (lang for lang in LANGS if lang in options.langs):
                tasks.append(Task(f"{fmt} {lang}", fmt, lang, digest({**assembly_common, "task": f"{fmt}-{lang}"})))

    inputs = {**nb_hashes, **raw, **codebooks, **package, **templates, **extra_data}
    build_key = digest({"record": record, "epoch": epoch, "chapters": chapter_keys,
                        "tasks": {t.name: t.key for t in tasks}, "hakusho": __version__})
    return Plan(options=options, target=target, cache=cache, epoch=epoch, notebooks=notebooks, parts=parts,
                params=params, chapter_keys=chapter_keys, validate_key=validate_key, filters_key=filters_key,
                tasks=tasks, inputs=inputs, record=record, build_key=build_key)


def up_to_date(plan: Plan) -> bool:
    """Whether the published report is exactly what this build would produce."""
    manifest = read_manifest(plan.target)
    return bool(manifest) and manifest.get("build_key") == plan.build_key and outputs_intact(plan.target, manifest)


# ------------------------------------------------------------------------------ progress


class Reporter:
    """Progress of a build, one line per stage and per step. Thread-safe."""

    def stage(self, name: str) -> None: ...
    def step(self, key: str, label: str) -> None: ...
    def start(self, key: str) -> None: ...
    def done(self, key: str, *, cached: bool = False, note: str = "") -> None: ...
    def fail(self, key: str) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


class PlainReporter(Reporter):
    """Plain log lines (not a terminal, or --quiet): one per finished step."""

    def __init__(self, stream: Any = None, *, verbose: bool = True) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.t0 = time.perf_counter()
        self.lock = threading.Lock()
        self.started: dict[str, float] = {}
        self.labels: dict[str, str] = {}

    def _line(self, text: str) -> None:
        with self.lock:
            print(f"[{time.perf_counter() - self.t0:6.2f}s] {text}", file=self.stream, flush=True)

    def stage(self, name: str) -> None:
        if self.verbose:
            self._line(f"{name} …")

    def step(self, key: str, label: str) -> None:
        self.labels[key] = label

    def start(self, key: str) -> None:
        self.started[key] = time.perf_counter()

    def done(self, key: str, *, cached: bool = False, note: str = "") -> None:
        label = self.labels.get(key, key)
        if cached:
            self._line(f"  {label:<12} cached{(' ' + note) if note else ''}")
        else:
            took = time.perf_counter() - self.started.get(key, time.perf_counter())
            self._line(f"  {label:<12} {note or 'done'} in {took:.2f}s")

    def fail(self, key: str) -> None:
        self._line(f"  {self.labels.get(key, key):<12} FAILED")

    def message(self, text: str) -> None:
        self._line(text)


class RichReporter(Reporter):
    """A live display: a line per stage and per step with its elapsed time; cache hits marked."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
        from rich.text import Text

        class Seconds(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text("" if task.elapsed is None else f"{task.elapsed:6.2f}s", style="yellow")

        self.console = Console()
        self.progress = Progress(SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description}"),
                                 TextColumn("{task.fields[status]:<10}"), Seconds(),
                                 console=self.console, redirect_stdout=False, redirect_stderr=False,
                                 transient=False)
        self.tasks: dict[str, Any] = {}
        self.current_stage: str | None = None
        self.progress.start()

    def _finish_stage(self) -> None:
        if self.current_stage is not None:
            task = self.tasks[f"stage:{self.current_stage}"]
            self.progress.update(task, completed=1, status="")
            self.progress.stop_task(task)

    def stage(self, name: str) -> None:
        self._finish_stage()
        self.current_stage = name
        self.tasks[f"stage:{name}"] = self.progress.add_task(f"[bold]{name:<24}[/bold]", total=1, status="")

    def step(self, key: str, label: str) -> None:
        self.tasks[key] = self.progress.add_task(f"  {label:<22}", total=1, start=False, status="[dim]waiting")

    def start(self, key: str) -> None:
        self.progress.start_task(self.tasks[key])
        self.progress.update(self.tasks[key], status="running")

    def done(self, key: str, *, cached: bool = False, note: str = "") -> None:
        task = self.tasks[key]
        status = f"[cyan]cached{(' ' + note) if note else ''}" if cached else (note or "done")
        self.progress.update(task, completed=1, status=status)
        self.progress.stop_task(task)

    def fail(self, key: str) -> None:
        self.progress.update(self.tasks[key], status="[red]failed")
        self.progress.stop_task(self.tasks[key])

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self._finish_stage()
        self.progress.stop()


def make_reporter(*, quiet: bool = False) -> Reporter:
    """Rich on a terminal; plain lines when piped, on a dumb terminal or with --quiet."""
    if not quiet and sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
        return RichReporter()
    return PlainReporter(verbose=not quiet)


# ------------------------------------------------------------------------------ the build


def validate_inputs(plan: Plan) -> None:
    """Stage 1: the raw data of both waves against their codebooks (what ``hakusho validate``
    checks). Raises the loader's DataError/CodebookError with every problem listed."""
    from hakusho.analysis.chapter import load_waves

    options = plan.options
    data_dir = str(Path(options.data_dir).absolute()) if options.data_dir else ""
    load_waves(options.wave, options.compare_wave, data_dir=data_dir, codebook_dir="")


def check_filters(plan: Plan) -> None:
    """The filters against the report wave's codebook: unknown variables or choices and wrong
    operators fail here, with suggestions, before a notebook runs. It needs no data (filters are
    evaluated on an empty table of the codebook's layout), so a new filter does not re-validate
    the data; whether a filter leaves enough respondents the chapters decide."""
    import pandas as pd

    from hakusho.analysis.chapter import normalize_filters
    from hakusho.survey.codebook import load_codebook
    from hakusho.survey.filters import conditions_mask
    from hakusho.survey.load import to_responses

    book = load_codebook(config.CODEBOOK_DIR / f"{plan.options.wave}.yml")
    conditions, _ = normalize_filters([list(f) for f in plan.options.filters], book)
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in book.expected_columns()})
    conditions_mask(book, to_responses(empty, book), conditions, source="filter")


@contextlib.contextmanager
def _interrupts() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C, so either way the staged build is removed."""
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
    try:
        with publish.locked(plan.target):
            publish.clean_stale(plan.target)
            from hakusho.pipeline.runner import clean_stale_run_dirs

            clean_stale_run_dirs()
            if not options.force and up_to_date(plan):
                result.up_to_date = True
            else:
                with _interrupts(), publish.Staging(plan.target) as staging:
                    _Build(plan, staging.root, staging.tree, reporter, result, publish=staging.publish).run()
                with contextlib.suppress(OSError):
                    plan.cache.prune()
    finally:
        reporter.close()
    result.seconds = time.perf_counter() - t0
    return result


class _Build:
    """One build's run: ``root`` is its scratch space, ``tree`` the report being staged."""

    def __init__(self, plan: Plan, root: Path, tree: Path, reporter: Reporter, result: BuildResult,
                 *, publish: Callable[[], None] | None = None) -> None:
        self.plan = plan
        self.options = plan.options
        self.root = root
        self.tree = tree
        self.work = root / "work"
        self._publish = publish
        self.reporter = reporter
        self.result = result
        self.build_dir = self.work / "build"
        self.chapters_dir = self.build_dir / "chapters"
        self.chapters_dir.mkdir(parents=True)
        self.parts_dir = self.build_dir / "parts"
        self.stage_name = "plan"

    # -- driver

    def run(self) -> None:
        self.run_stages(and_publish=True)

    def run_stages(self, *, and_publish: bool) -> None:
        """validate → chapters (→ assemble → publish); a failure names its stage, in one line."""
        pool = None
        where = publish.display(self.plan.target)
        unchanged = f"{where} is unchanged" if and_publish else "nothing was written"
        try:
            todo = [c for c in self.plan.notebooks
                    if self.options.force or not self.plan.cache.get("chapters", self.plan.chapter_keys[c])]
            if todo:
                pool = self._pool(len(todo))  # kernels warm up while the data is validated
            self._stage("validate", self.validate)
            self._stage("chapters", lambda: self.chapters(pool, todo))
            if pool is not None:
                pool.close()
                pool = None
            if and_publish:
                self._stage("assemble", self.assemble)
                self._stage("publish", self.publish)
        except KeyboardInterrupt:
            raise BuildInterrupted(f"interrupted during stage '{self.stage_name}': nothing was published; "
                                   f"{unchanged}") from None
        except HakushoError as exc:
            exc.message = f"stage '{self.stage_name}' failed: {exc.message}"
            if self.stage_name != "publish":
                exc.message += f" ({unchanged})"
            exc.args = (exc.message,)
            raise
        finally:
            if pool is not None:
                pool.kill()
                pool.close(wait=False)

    def folder(self, chapter: str) -> Path:
        """Where a notebook runs (its outputs go to ``<folder>/<chapter>/``)."""
        return self.parts_dir if chapter in self.plan.parts else self.chapters_dir

    def _stage(self, name: str, fn: Callable[[], None]) -> None:
        self.stage_name = name
        self.reporter.stage(name)
        started = time.perf_counter()
        fn()
        self.result.stages[name] = time.perf_counter() - started

    def _pool(self, n: int) -> Any:
        from hakusho.pipeline.runner import KernelPool, notebook_imports

        jobs = self.options.jobs or os.cpu_count() or 1
        return KernelPool(min(jobs, n), warm=notebook_imports(self.plan.notebooks.values()),
                          reuse=self.options.reuse_kernels, env={"SOURCE_DATE_EPOCH": str(FIXED_EPOCH)},
                          on_start=self.reporter.start)

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
        from hakusho.pipeline.runner import NotebookFailed, NotebookJob, wait_all, write_notebook

        jobs = [NotebookJob(name=c, notebook=self.plan.notebooks[c], parameters=self.plan.params[c],
                            cwd=self.folder(c), output=self.folder(c) / c / self.plan.notebooks[c].name,
                            scrub={str(self.root): "<build>"})
                for c in todo]

        def finished(job_result: Any) -> None:
            chapter = job_result.name
            out = self.folder(chapter) / chapter
            if chapter not in self.plan.parts and not (out / "chapter.json").is_file():
                raise BuildError(f"{chapter} ({self.plan.notebooks[chapter].name}) wrote no chapter.json "
                                 f"into its output_dir")
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
                exc.message += f"; executed notebook kept at {publish.display(kept)}"
                exc.args = (exc.message,)
            raise

    def assemble(self) -> None:
        plan = self.plan
        tree = self.tree
        self._check_commentary()
        todo = [t for t in plan.tasks if self.options.force or not plan.cache.get("assembly", t.key)]
        for task in plan.tasks:
            self.reporter.step(f"task:{task.name}", task.name)
        if todo:
            self._write_survey_json()
        placed = self.work / "assembly"
        for task in plan.tasks:
            if task not in todo:
                entry = plan.cache.get("assembly", task.key)
                assert entry is not None
                _merge(entry, tree)
                self.result.reused.append(task.name)
                self.reporter.done(f"task:{task.name}", cached=True)
        if todo:
            self._render(todo, placed)
            for task in todo:
                out = placed / task.name.replace(" ", "-")
                if self.options.force:
                    shutil.rmtree(plan.cache.entry("assembly", task.key), ignore_errors=True)
                plan.cache.put("assembly", task.key, out)
                _merge(out, tree)
        self._copy_tables_and_notebooks(tree)
        document = manifest_document(
            build_key=plan.build_key, options=plan.record, source_date_epoch=plan.epoch, inputs=plan.inputs,
            outputs=output_hashes(tree), libraries=assembly_library_versions(), hakusho_version=__version__)
        write_manifest(tree, document)

    def publish(self) -> None:
        self.reporter.step("publish", publish.display(self.plan.target))
        self.reporter.start("publish")
        assert self._publish is not None
        self._publish()
        self.reporter.done("publish", note="published")

    # -- assembly helpers

    def _check_commentary(self) -> None:
        """The editors' text, before anything is rendered from it: a reference that does not
        resolve stops the build; a number typed literally is a warning (an error with --strict);
        chapters without text are named, since their generated headlines stand in."""
        o = self.options
        if o.segment != DEFAULT_SEGMENT or o.chapters or o.filters:
            return  # the commentary is about the whole, unfiltered SaaS report
        from hakusho.text import commentary, commentary_lint

        missing = commentary.missing_commentary(o.wave, langs=o.langs)
        if missing:
            names = ", ".join(f"{m.chapter} ({m.lang})" for m in missing)
            print(f"note: no editorial text for {names}; the generated headlines stand in", file=sys.stderr)
        if not commentary.commentary_files(o.wave):
            return
        commentary.check_commentary(self.build_dir, o.wave)
        for finding in commentary_lint.lint_commentary(self.build_dir, o.wave, strict=o.strict):
            print(f"warning: {finding}", file=sys.stderr)

    def _write_survey_json(self) -> None:
        o = self.options
        first = next(c for c in self.plan.notebooks if c not in self.plan.parts)
        chapter = json.loads((self.chapters_dir / first / "chapter.json").read_text(encoding="utf-8"))
        survey = _survey_info(o.wave)
        doc = {
            "wave": o.wave, "compare_wave": o.compare_wave, "segment": o.segment,
            "filters": chapter.get("filters", [list(f) for f in o.filters]),
            "filter_text": chapter.get("filter_text", ""),
            "n_total": chapter.get("n_total"), "n_segment": chapter.get("n_segment"),
            "survey": survey,
            "compare_survey": _survey_info(o.compare_wave) if o.compare_wave else None,
            "synthetic": bool(survey.get("synthetic")),
        }
        _write_json(self.build_dir / "survey.json", doc)

    def _render(self, todo: list[Task], placed: Path) -> None:
        jobs = min(self.options.jobs or os.cpu_count() or 1, len(todo))
        args = [(t, str(self.build_dir), str(placed / t.name.replace(" ", "-")), self.plan.epoch,
                 self.options.engine) for t in todo]
        if jobs <= 1:
            for a in args:
                self.reporter.start(f"task:{a[0].name}")
                _render_one(*a)
                self.result.rendered.append(a[0].name)
                self.reporter.done(f"task:{a[0].name}", note="rendered")
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        # fork: a render process starts at once, with the package already imported.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_child_init) as pool:
            futures = {}
            for a in args:
                self.reporter.start(f"task:{a[0].name}")
                futures[pool.submit(_render_one, *a)] = a[0]
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        future.result()
                    except BrokenProcessPool:
                        raise BuildError(f"{task.name}: the renderer crashed") from None
                    self.result.rendered.append(task.name)
                    self.reporter.done(f"task:{task.name}", note="rendered")
            except BaseException:
                for f in futures:
                    f.cancel()
                for proc in list(getattr(pool, "_processes", {}).values()):
                    with contextlib.suppress(OSError):
                        proc.kill()
                raise
        order = [t.name for t in self.plan.tasks]
        self.result.rendered.sort(key=order.index)

    def _copy_tables_and_notebooks(self, tree: Path) -> None:
        data = tree / "data"
        notebooks = tree / "notebooks"
        for chapter, nb in self.plan.notebooks.items():
            out = self.folder(chapter) / chapter
            for table in sorted((out / "tables").glob("*.csv")):
                dest = data / table.name
                if dest.exists() and dest.read_bytes() != table.read_bytes():
                    raise BuildError(f"two chapters wrote different tables named {table.name}")
                data.mkdir(exist_ok=True)
                shutil.copyfile(table, dest)
            figures = out / "figures.json"
            if figures.is_file():  # published so that editors can diff two builds' figures
                (tree / "figures").mkdir(exist_ok=True)
                shutil.copyfile(figures, tree / "figures" / f"{chapter}.json")
            executed = out / nb.name
            if not executed.is_file():
                raise BuildError(f"{chapter}: the executed notebook {nb.name} is missing")
            notebooks.mkdir(exist_ok=True)
            shutil.copyfile(executed, notebooks / nb.name)


def _survey_info(wave: str) -> dict[str, Any]:
    """The codebook's description of a wave (its ``survey`` section, checked by the codebook's
    model). Only that section is read: the codebooks were validated with the data already."""
    import yaml

    from hakusho.survey.codebook import SurveyInfo

    path = config.CODEBOOK_DIR / f"{wave}.yml"
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return SurveyInfo.model_validate(doc["survey"]).model_dump(mode="json")
    except Exception as exc:  # the full check (validation stage) says what exactly is wrong
        raise BuildError(f"cannot read the survey description of {path.name}: {exc}") from None


def _child_init() -> None:
    """In a render process: die with the build, and keep away from the parent's console."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))
    sys.stdout = sys.__stdout__
    sys.stderr = sys.__stderr__
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _renderer(fmt: str) -> Callable[..., Any]:
    module, name = RENDERERS[fmt]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise BuildError(f"the {fmt} renderer {module}.{name} is not available ({exc})") from None


def _render_one(task: Task, build_dir: str, out_dir: str, epoch: int, engine: str) -> None:
    """Run one renderer into an empty folder and lay its output out as the report expects.

    Per-language renderers may write ``<out>/index.html`` or ``<out>/<lang>/index.html``; either
    way the files end up under ``<lang>/`` of the report. The Quarto project goes to ``quarto/``.
    """
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    out = Path(out_dir)
    raw = out.parent / f".raw-{out.name}"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    raw.mkdir(parents=True)
    fn = _renderer(task.fmt)
    try:
        if task.fmt == "quarto":
            produced = Path(fn(Path(build_dir), raw))
            if engine == "quarto":
                module, name = QUARTO_RUNNER
                try:
                    runner = getattr(importlib.import_module(module), name)
                except (ImportError, AttributeError) as exc:
                    raise BuildError(f"the Quarto engine {module}.{name} is not available ({exc})") from None
                runner(produced if produced.is_dir() else produced.parent)
            prefix = Path("quarto")
        else:
            produced = Path(fn(Path(build_dir), raw, task.lang))
            try:
                rel = produced.resolve().relative_to(raw.resolve())
            except ValueError:
                raise BuildError(f"{task.name}: the renderer wrote {produced.name} outside its output folder") from None
            prefix = Path() if rel.parts and rel.parts[0] == task.lang else Path(str(task.lang))
        if not produced.exists():
            raise BuildError(f"{task.name}: the renderer returned {produced.name}, which does not exist")
    except HakushoError:
        raise
    except Exception as exc:
        raise BuildError(f"{task.name}: {type(exc).__name__}: {exc}") from None
    if prefix == Path():
        os.rename(raw, out)
    else:
        (out / prefix).parent.mkdir(parents=True, exist_ok=True)
        os.rename(raw, out / prefix)


def _merge(source: Path, tree: Path) -> None:
    """Copy a folder into the report tree; a file two steps write must be the same bytes."""
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(source)
        dest = tree / rel
        if dest.exists():
            if dest.read_bytes() != path.read_bytes():
                raise BuildError(f"two renderers wrote different files at {rel.as_posix()}")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n")


# ------------------------------------------------------------------------------ notebook, verify


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
        out_file = Path.cwd() / f"{nb.stem}{suffix}.ipynb"
    out_file = Path(out_file)
    plan.cache.root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="notebook-", dir=plan.cache.root))
    try:
        run = _Build(plan, work, work / "tree", reporter, BuildResult(target=plan.target))
        with _interrupts():
            run.run_stages(and_publish=False)
        out_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run.folder(chapter) / chapter / nb.name, out_file)
    finally:
        reporter.close()
        shutil.rmtree(work, ignore_errors=True)
    return out_file


def options_from_manifest(manifest: dict[str, Any], *, data_dir: Path | None = None) -> BuildOptions:
    """The options a report was built with, read back from its manifest."""
    o = manifest.get("options") or {}
    if o.get("data_dir") and data_dir is None:
        raise BuildError("this report was built from another data folder: pass it with --data-dir")
    return BuildOptions(
        wave=str(o["wave"]), compare_wave=str(o.get("compare_wave", "")),
        segment=str(o.get("segment", DEFAULT_SEGMENT)),
        chapters=tuple(o.get("chapters") or ()), langs=tuple(o.get("langs") or LANGS),
        formats=tuple(o.get("formats") or DEFAULT_FORMATS), engine=str(o.get("engine", "internal")),
        filters=tuple(tuple(f) for f in o.get("filters") or ()), allow_small_base=bool(o.get("allow_small_base")),
        data_dir=data_dir if o.get("data_dir") else None,
        source_date_epoch=int(manifest.get("source_date_epoch", FIXED_EPOCH)),
    )


@dataclass
class VerifyResult:
    folder: Path
    files: int
    differences: list[str]
    changed_inputs: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(folder: Path, *, data_dir: Path | None = None, jobs: int = 0,
           reporter: Reporter | None = None) -> VerifyResult:
    """Rebuild the report in ``folder`` from scratch in a temporary folder and compare.

    Differences are files whose bytes differ from the rebuild, files only one side has, and
    files that no longer match the folder's own manifest (tampering). Inputs changed since the
    report was built are listed too: they explain a difference rather than hide it.
    """
    folder = Path(folder).absolute()
    manifest = read_manifest(folder)
    if manifest is None:
        raise BuildError(f"{publish.display(folder)} has no readable manifest.json: is it a hakusho report?")
    options = options_from_manifest(manifest, data_dir=data_dir)
    tampered = compare_with_manifest(folder, manifest).lines()
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.verify-", dir=folder.parent))
    try:
        rebuilt = tmp / "report"
        result = build(replace(options, out=rebuilt, cache_dir=tmp / "cache", force=True, jobs=jobs),
                       reporter=reporter)
        plan_inputs = read_manifest(result.target) or {}
        inputs = changed_inputs(manifest.get("inputs") or {}, plan_inputs.get("inputs") or {})
        diff = compare_trees(folder, rebuilt)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [f"does not match its manifest: {line}" for line in tampered] + diff.lines()
    files = len(manifest.get("outputs") or {}) + 1
    return VerifyResult(folder=folder, files=files, differences=lines, changed_inputs=inputs)


def verify_error(result: VerifyResult) -> BuildError:
    problems = [Problem(line) for line in result.differences + result.changed_inputs]
    return BuildError(f"{publish.display(result.folder)} differs from a fresh rebuild "
                      f"({len(result.differences)} difference(s))", problems)
