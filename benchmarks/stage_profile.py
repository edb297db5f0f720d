"""Where the CPU of a cold build goes, stage by stage and chapter by chapter.

Each unit runs in a fresh interpreter, as it does in a build, with the package's stage
functions wrapped by timers that count *exclusive* CPU seconds (``time.process_time``: the
machine's load inflates it far less than wall-clock time):

* ``start``: interpreter, CLI and the build plan (hashing the inputs);
* ``validate``: reading, checking and typing both waves, as the build's first stage does;
* ``kernel``: what a kernel imports before its first notebook (the modules the notebooks import,
  and the stage modules they load on first use);
* one row per chapter notebook: loading the waves, computing, writing the tables, drawing the
  charts, saving the SVGs — the calls the notebook makes, in the order it makes them, in a
  process that has already imported what a warm kernel has (those imports are left out of the
  row's total: a pool pays them once per kernel, in the ``kernel`` row);
* one row per renderer (HTML, PDF and the workbook per language): imports, the view model,
  font subsets, the template, the Typst compile, the workbook's sheets.

Chapters and renderers read and write a scratch copy of the project, so the profile of a cold
build is the profile of an empty cache. Nothing is asserted; the table is printed.

    python benchmarks/stage_profile.py                    # the checkout's project
    python benchmarks/stage_profile.py --project DIR      # another snapshot (for a before/after)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# (module, attribute, category): the stage functions whose time is counted under a category.
# Functions a snapshot lacks are skipped, so one profiler serves the code before and after a change.
TIMED = [
    ("hakusho.survey.load", "read_raw", "read"),
    ("hakusho.survey.load", "to_responses", "type"),
    ("hakusho.survey.validate", "find_problems", "check"),
    ("hakusho.survey.codebook", "load_codebook", "codebook"),
    ("hakusho.survey.crosswalk", "load_crosswalk", "codebook"),
    ("hakusho.survey.store", "read_wave", "read"),
    ("hakusho.survey.store", "write_wave", "store"),
    ("hakusho.analysis.chapter", "compute_chapter", "compute"),
    ("hakusho.analysis.cross", "compute_crosses", "compute"),
    ("hakusho.analysis.chapter", "write_text", "write"),
    ("hakusho.build_folder", "write_text", "write"),
    ("hakusho.analysis.chapter", "csv_text", "write"),
    ("hakusho.analysis.cross", "csv_text", "write"),
    ("hakusho.charts.draw", "draw_chart", "draw"),
    ("hakusho.analysis.cross", "draw_cross", "draw"),
    ("hakusho.charts.cross", "draw_cross", "draw"),
    ("hakusho.charts.draw", "save_svg", "save"),
    ("hakusho.charts.style", "save_svg", "save"),
    ("hakusho.render.viewmodel", "report_model", "view model"),
    ("hakusho.render.page", "font_face_css", "fonts"),
    ("hakusho.render.page", "render_page", "template"),
    ("hakusho.render.deck", "compile_deck", "typst"),
    ("hakusho.render.workbook", "build_workbook", "workbook"),
    ("hakusho.render.sheets", "workbook_bytes", "workbook"),
]
CATEGORIES = ["import", "codebook", "read", "check", "type", "store", "compute", "write", "draw", "save",
              "view model", "fonts", "template", "typst", "workbook", "other"]


class Timers:
    """Exclusive CPU seconds per category: time in a nested timed call counts only there."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list[Any]] = []

    @contextlib.contextmanager
    def timing(self, category: str) -> Iterator[None]:
        frame = [category, time.process_time(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            took = time.process_time() - frame[1]
            self.seconds[category] = self.seconds.get(category, 0.0) + took - frame[2]
            if self._stack:
                self._stack[-1][2] += took

    def wrap(self, fn: Callable[..., Any], category: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing(category):
                return fn(*args, **kwargs)

        return timed

    def install(self, *packages: str) -> None:
        """Wrap every TIMED function of ``packages`` that exists, in its module and wherever it
        was imported by name. Modules not imported yet are imported here, counted as imports."""
        for module_name, attr, category in TIMED:
            if not module_name.startswith(packages):
                continue
            try:
                with self.timing("import"):
                    module = importlib.import_module(module_name)
            except ImportError:
                continue
            fn = getattr(module, attr, None)
            if fn is None:
                continue
            timed = self.wrap(fn, category)
            for mod in list(sys.modules.values()):  # names imported with ``from … import``
                if getattr(mod, "__name__", "").startswith("hakusho") and getattr(mod, attr, None) is fn:
                    setattr(mod, attr, timed)


# ------------------------------------------------------------------------------ one unit, in-process


def _find(name: str, *modules: str) -> Any:
    """``name`` from the first of ``modules`` that has it (the package's layout changes over time,
    and the profile of an older snapshot is what a before/after comparison needs)."""
    for module in modules:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise ImportError(f"{name} is in none of {', '.join(modules)}")


def _discover_notebooks() -> dict[str, Path]:
    return _find("discover_notebooks", "hakusho.pipeline.plan", "hakusho.pipeline.build")()


def _notebook_imports(paths: Any) -> list[str]:
    """The modules a warm kernel imports for ``paths`` (``module:name`` entries name the module)."""
    try:
        found = _find("warm_imports", "hakusho.pipeline.kernel")(paths)
    except ImportError:
        found = _find("notebook_imports", "hakusho.pipeline.kernel", "hakusho.pipeline.runner")(paths)
    return list(dict.fromkeys(m.partition(":")[0] for m in found))


def _make_plan(**options: Any) -> Any:
    options_type = _find("BuildOptions", "hakusho.pipeline.options", "hakusho.pipeline.build")
    return _find("make_plan", "hakusho.pipeline.plan", "hakusho.pipeline.build")(options_type(**options))


def _notebook_code(notebook: Path) -> list[str]:
    """The code cells of a notebook, its parameters cell first, as the kernel runs them."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def _unit_chapter(name: str, timers: Timers, work: Path) -> None:
    """Run the chapter's notebook code in this process, as a kernel runs it: the parameters cell,
    the build's overrides (an output folder of the profile's own), then every other cell."""
    notebook = _discover_notebooks()[name]
    with timers.timing("import"):
        for module in _notebook_imports([notebook]):
            importlib.import_module(module)
    timers.install("hakusho.survey", "hakusho.analysis", "hakusho.charts", "hakusho.build_folder")
    cells = _notebook_code(notebook)
    namespace: dict[str, Any] = {}
    exec(cells[0], namespace)
    namespace["output_dir"] = str(work / name)
    with contextlib.redirect_stdout(None):  # what a kernel would send to the notebook
        for source in cells[1:]:
            exec(compile(source, f"{notebook.name}", "exec"), namespace)


def _unit_validate(timers: Timers, cache: Path) -> None:
    with timers.timing("import"):
        from hakusho.pipeline.build import validate_inputs
    timers.install("hakusho.survey")
    # The cache is the profile's own, whose waves/ folder the chapter units are given.
    validate_inputs(_make_plan(cache_dir=cache))


def _unit_kernel(timers: Timers) -> None:
    modules = _notebook_imports(_discover_notebooks().values())
    with timers.timing("import"):
        importlib.import_module("ipykernel.kernelapp")
        for module in modules:
            importlib.import_module(module)
    timers.install("hakusho.survey", "hakusho.analysis", "hakusho.charts", "hakusho.build_folder")


def _unit_start(timers: Timers) -> None:
    with timers.timing("import"):
        importlib.import_module("hakusho.cli")
        _find("make_plan", "hakusho.pipeline.plan", "hakusho.pipeline.build")
    with timers.timing("other"):
        _make_plan()


def _unit_render(task_name: str, timers: Timers, build_dir: Path, out: Path) -> None:
    fmt, lang = task_name.split()
    with timers.timing("import"):
        module, attr = _find("RENDERERS", "hakusho.pipeline.render_pool", "hakusho.pipeline.build")[fmt]
        fn = getattr(importlib.import_module(module), attr)
        # what a build imports with the renderer, before it forks the render processes
        for name in getattr(sys.modules[module], "FIRST_USE_IMPORTS", ()):
            importlib.import_module(name)
    timers.install("hakusho.survey", "hakusho.render")
    fn = getattr(importlib.import_module(module), attr)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    fn(build_dir, out, lang)


def run_unit(argv: list[str]) -> None:
    """``--unit KIND NAME WORK``: profile one unit here and print its categories as JSON."""
    kind, name, work = argv
    timers = Timers()
    started, wall = time.process_time(), time.perf_counter()
    with timers.timing("other"):
        if kind == "chapter":
            _unit_chapter(name, timers, Path(work))
        elif kind == "validate":
            _unit_validate(timers, Path(work).parent)
        elif kind == "kernel":
            _unit_kernel(timers)
        elif kind == "start":
            _unit_start(timers)
        elif kind == "render":
            _unit_render(name, timers, Path(work) / "build", Path(work) / "out" / name.replace(" ", "-"))
    seconds = dict(timers.seconds)
    seconds["total"] = time.process_time() - started
    if kind == "chapter":  # a warm kernel has imported these already
        seconds["total"] -= seconds.pop("import", 0.0)
    seconds["wall"] = time.perf_counter() - wall
    print(json.dumps(seconds))


# ------------------------------------------------------------------------------ the whole profile


def _unit(project: Path, env: dict[str, str], kind: str, name: str, work: Path) -> dict[str, float]:
    started = time.process_time()
    proc = subprocess.run([sys.executable, __file__, "--unit", kind, name, str(work)], env=env, cwd=project,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {name}: {proc.stderr.strip().splitlines()[-1:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # The interpreter's own start-up happens before the unit's clock starts.
    result.setdefault("cpu_outside", time.process_time() - started)
    return result


def _build_dir(project: Path, env: dict[str, str], work: Path) -> Path:
    """A build folder as the renderers see it: copied from a real build just before rendering."""
    code = (
        "import shutil, sys\n"
        "from pathlib import Path\n"
        "keep = Path(sys.argv[1])\n"
        "try:\n"
        "    from hakusho.pipeline import assemble, render_pool\n"
        "    original = render_pool.render_tasks\n"
        "    def render_tasks(todo, build_dir, *args, **kwargs):\n"
        "        shutil.copytree(build_dir, keep)\n"
        "        return original(todo, build_dir, *args, **kwargs)\n"
        "    assemble.render_tasks = render_tasks\n"
        "    from hakusho.pipeline.options import BuildOptions\n"
        "except ImportError:  # before the pipeline was split into modules\n"
        "    from hakusho.pipeline.build import BuildOptions, _Build\n"
        "    original = _Build._render\n"
        "    def _render(self, todo, placed):\n"
        "        shutil.copytree(self.build_dir, keep)\n"
        "        original(self, todo, placed)\n"
        "    _Build._render = _render\n"
        "from hakusho.pipeline.build import build\n"
        "build(BuildOptions(out=keep.parent / 'report', formats=('html',)))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(work / "build")], env=env, cwd=project, check=True,
                   capture_output=True)
    return work / "build"


def profile(project: Path, *, units: list[tuple[str, str]] | None = None) -> list[tuple[str, dict[str, float]]]:
    """Profile every unit of a cold build of ``project`` (a scratch copy is made first)."""
    tmp = Path(tempfile.mkdtemp(prefix="hakusho-profile-"))
    try:
        copy = tmp / "project"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "report")
        for folder in ("src", "notebooks", "data", "templates"):
            if (project / folder).is_dir():
                shutil.copytree(project / folder, copy / folder, ignore=ignore)
        if (project / "hakusho.toml").is_file():
            shutil.copyfile(project / "hakusho.toml", copy / "hakusho.toml")
        (copy / "report").mkdir()
        # The build's cache, as the build hands it to its kernels and renderers: the validate unit
        # fills its wave store, the chapter units read it (older snapshots ignore the variable).
        env = dict(os.environ, HAKUSHO_PROJECT=str(copy), HAKUSHO_ROOT=str(copy), PYTHONPATH=str(copy / "src"),
                   PYTHONHASHSEED="0",
                   SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1700000000"), MPLBACKEND="agg",
                   HAKUSHO_CACHE=str(tmp))
        notebooks = sorted(p.name for p in (copy / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        chapters = [_chapter_of(copy / "notebooks" / n) for n in notebooks]
        if units is None:
            units = [("start", "-"), ("validate", "-"), ("kernel", "-")] + [("chapter", c) for c in chapters]
            formats = ["html", "pdf"] + (["xlsx"] if (copy / "src/hakusho/render/workbook.py").is_file() else [])
            units += [("render", f"{fmt} {lang}") for fmt in formats for lang in ("ja", "en")]
        rows = []
        work = tmp / "work"
        work.mkdir()
        if any(kind == "render" for kind, _ in units):
            _build_dir(copy, dict(env, HAKUSHO_CACHE=""), work)
        for kind, name in units:
            rows.append((name if kind in ("chapter", "render") else kind,
                         _unit(copy, env, kind, name, work)))
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _chapter_of(notebook: Path) -> str:
    """The chapter id a notebook's parameters cell sets (``chapter = "ch1"``)."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in source.splitlines():
                name, _, value = line.partition("=")
                if name.strip() == "chapter":
                    return value.split("#")[0].strip().strip("\"'")
    raise ValueError(f"{notebook.name} sets no chapter")


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """The profile as a text table: CPU seconds per category, one row per unit, and a total."""
    used = [c for c in CATEGORIES if any(r.get(c, 0) >= 0.005 for _, r in rows)]
    head = f"{'unit':<10}" + "".join(f"{c:>11}" for c in used) + f"{'CPU s':>9}{'wall s':>9}"
    lines = [head, "-" * len(head)]
    totals: dict[str, float] = {}
    for name, r in rows:
        cells = "".join(f"{r.get(c, 0):11.2f}" for c in used)
        lines.append(f"{name:<10}{cells}{r['total']:9.2f}{r['wall']:9.2f}")
        for c in [*used, "total", "wall"]:
            totals[c] = totals.get(c, 0.0) + r.get(c, 0.0)
    lines.append("-" * len(head))
    lines.append(f"{'all':<10}" + "".join(f"{totals[c]:11.2f}" for c in used)
                 + f"{totals['total']:9.2f}{totals['wall']:9.2f}")
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--unit"]:
        run_unit(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the project (a checkout or snapshot) to profile")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    rows = profile(args.project.resolve())
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
