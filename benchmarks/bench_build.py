"""Time what people type, against plain papermill (+ nbconvert), in one run on this machine.

Measured, each as the median of ``--repeat`` runs, every run a fresh process as a person would
type it, on a snapshot of the project:

  (d)  baseline — the chapter notebooks executed one after another by the ``papermill`` command,
       each converted by ``jupyter nbconvert --to html`` (no PDF, no cache: the usual way);
  (a)  cold — ``hakusho build``: the full report (both languages; HTML, PDF and the tabulation
       workbook, the project's formats), empty cache; (a") the same with ``--format html,pdf``,
       the formats a build had when the goals were set;
  (b)  no-op — the same build again, nothing changed;
  (c)  notebook — ``hakusho notebook ch4 --filter …`` with a filter this run has not used before
       (the cache holds the canonical report, as it does for a researcher who built it once):
       "first try" with no kernel kept (each run after stopping it), then "next try", the next
       command, which takes the kernel the previous one kept (:mod:`hakusho.pipeline.kept`);
  (c') report — ``hakusho build --chapters ch4 --format html,pdf --filter …`` (ja + en, HTML +
       PDF, as the goal names it), a new filter, first and next try as in (c); (c‴) the next try
       again without ``--format``, so with the workbook too (what the project builds by default);
  (c") one notebook by papermill — the ``papermill`` command running ch4's notebook with a new
       filter: what (c') is compared with;
  (e)  scaled — a cold build on 100 times the respondents, with the peak memory of its processes
       (proportional set size: pages shared by forked render processes counted once; the sum of
       resident sizes, which counts them in every process, is printed beside it);
  (f)  preview — ``hakusho preview`` open in Chromium, as an editor has it: once the page is open
       and the preview has settled, from saving a sentence added to a chapter's commentary to the
       open page showing it, by itself (the preview's rebuild and the page's reload).

Every filter is used by one run only: a filter that some earlier run had built would be answered
from the cache, and would time the cache instead of the chapter (which is how an earlier version
of this script printed 1.5–2.0 s for a researcher's 6–10 s).

Ratios are against the baselines measured in the same run: (a) against (d), (c') against (c"),
(e) against (a). Nothing is asserted; the table, and the CPU profile of a cold build stage by
stage (``benchmarks/stage_profile.py``), are printed (and written as JSON with ``--json``).

    python benchmarks/bench_build.py                       # everything, 3 runs each
    python benchmarks/bench_build.py --repeat 1 --skip scaled,profile
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

BIN = Path(sys.executable).parent
HAKUSHO = [sys.executable, "-m", "hakusho.cli"]
CHAPTER = "ch4"
CHROMIUM = Path("/usr/bin/chromium")
GiB = 1 << 30

STEPS = {
    "baseline": "(d) papermill + nbconvert, one by one",
    "cold": "(a) cold full build",
    "fresh": "(a') cold, a fresh kernel per notebook",
    "cold_html_pdf": '(a") cold, HTML + PDF only',
    "noop": "(b) no-op rebuild",
    "notebook_first": f"(c) {CHAPTER} notebook, new filter, first try",
    "notebook": f"(c) {CHAPTER} notebook, new filter, next try",
    "report_first": f"(c') {CHAPTER} report, new filter, first try",
    "report": f"(c') {CHAPTER} report ja+en HTML+PDF, next try",
    "report_all": f"(c‴) {CHAPTER} report with the workbook, next try",
    "nb_baseline": f'(c") papermill, {CHAPTER} notebook, new filter',
    "scaled": "(e) cold build, 100× respondents",
    "preview": "(f) preview: commentary edit → page",
}
GOALS = {
    "cold": "≤ 6 s and ≤ 0.15× (d)",
    "noop": "≤ 0.3 s",
    "notebook_first": "≤ 2.5 s",
    "notebook": "≤ 2.5 s",
    "report_first": '≤ 4 s and ≤ 0.8× (c")',
    "report": '≤ 4 s and ≤ 0.8× (c")',
    "scaled": "≤ 1.5× (a), peak ≤ 1 GiB",
    "preview": "≤ 1 s",
}
# Filters a researcher might try on ch4, each used by one run only (see the module docstring).
FILTERS = [
    ("employees", "<", "300"), ("revenue", ">=", "1000"), ("route", "==", "panel"),
    ("employees", ">=", "100"), ("revenue", "<", "10"), ("route", "==", "sns"),
    ("employees", ">=", "300"), ("revenue", ">=", "10"), ("route", "!=", "panel"),
    ("employees", "<", "1000"), ("revenue", "<", "100"), ("employees", ">=", "1000"),
    ("revenue", ">=", "100"), ("employees", "<", "100"), ("route", "!=", "sns"),
    ("employees", ">=", "50"), ("revenue", "<", "30"), ("revenue", ">=", "30"),
    ("employees", "<", "500"), ("employees", ">=", "500"), ("revenue", "<", "5"),
]


class StepFailed(Exception):
    """A command of a measurement failed: that measurement is reported as failed."""


ENV: dict[str, str] = dict(os.environ)


class Filters:
    """Hands out each filter once; running out is an error rather than a silent cache hit."""

    def __init__(self) -> None:
        self._left: Iterator[tuple[str, str, str]] = iter(FILTERS)

    def new(self) -> tuple[str, str, str]:
        try:
            return next(self._left)
        except StopIteration:
            raise StepFailed("out of unused filters: lower --repeat or add filters") from None


def snapshot(project: Path, dest: Path) -> Path:
    """Copy what a build reads; the commands below import the package from the copy."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for folder in ("src", "notebooks", "data", "templates"):
        if (project / folder).is_dir():
            shutil.copytree(project / folder, dest / folder, ignore=ignore)
    shutil.copyfile(project / "hakusho.toml", dest / "hakusho.toml")
    (dest / "report").mkdir()
    ENV.update({"HAKUSHO_PROJECT": str(dest), "PYTHONPATH": str(dest / "src"),
                "SOURCE_DATE_EPOCH": ENV.get("SOURCE_DATE_EPOCH", "1700000000"),
                "HAKUSHO_KEEP_KERNEL": "600"})  # the default, whatever the shell says
    return dest


def _tree_memory(root: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in bytes (Linux /proc): the sum of their
    proportional set sizes (shared pages divided among the processes sharing them) and the sum of
    their resident sizes (shared pages counted in each)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid and child not in tree]
    pss = rss = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return pss, rss


PEAKS: dict[str, list[int]] = {}  # proportional set size
RSS_PEAKS: dict[str, list[int]] = {}  # resident sizes summed


def run(cmd: list[str], *, cwd: Path | None = None, memory: str | None = None) -> float:
    """Seconds one command takes; its output is shown only if it fails. With ``memory``, the
    peak resident memory of its process tree is recorded under that name."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            pss, rss = _tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    out, err = proc.communicate()
    took = time.perf_counter() - started
    done.set()
    if memory:
        sampler.join()
        PEAKS.setdefault(memory, []).append(peak[0])
        RSS_PEAKS.setdefault(memory, []).append(peak[1])
    if proc.returncode != 0:
        error = (err.strip() or out.strip()).splitlines()
        raise StepFailed(f"{' '.join(cmd[2:6])} …: {error[0] if error else proc.returncode}")
    return took


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def notebooks(project: Path) -> list[Path]:
    from hakusho.pipeline.plan import discover_notebooks

    return list(discover_notebooks(project / "notebooks").values())


# ------------------------------------------------------------------------------ the measurements


def bench_cold(tmp: Path, repeat: int, *extra: str) -> list[float]:
    """The first plain cold build is the canonical report of the snapshot, whose cache the no-op
    and filter measurements then use; the others go to folders of their own (empty caches)."""
    times = []
    for i in range(repeat):
        out = [] if (i == 0 and not extra) else ["--out", str(tmp / f"cold{'-'.join(extra)}-{i}" / "report")]
        times.append(run([*HAKUSHO, "build", "--quiet", *out, *extra], cwd=tmp / "project"))
    return times


def _canonical(tmp: Path) -> None:
    if not (tmp / "project" / "report" / "2025").exists():
        run([*HAKUSHO, "build", "--quiet"], cwd=tmp / "project")


def bench_noop(tmp: Path, repeat: int) -> list[float]:
    """The canonical report built again, nothing changed."""
    _canonical(tmp)
    return [run([*HAKUSHO, "build", "--quiet"], cwd=tmp / "project") for _ in range(repeat)]


def stop_kept_kernels(tmp: Path) -> None:
    """Stop the kernels the commands kept (:mod:`hakusho.pipeline.kept`), as if none had run.

    An older checkout measured for a before/after keeps none: nothing to stop there."""
    try:
        from hakusho.pipeline.kept import INFO, kept_folder
    except ImportError:
        return

    for purpose in ("notebook", "build"):
        folder = kept_folder(tmp / "project" / "report" / ".hakusho-cache", purpose)
        try:
            pid = int(json.loads((folder / INFO).read_text(encoding="utf-8"))["pid"])
            os.kill(pid, 9)
        except (OSError, ValueError, KeyError):
            pass
        shutil.rmtree(folder, ignore_errors=True)


def bench_notebook(tmp: Path, repeat: int, filters: Filters, *, first: bool) -> list[float]:
    """What a researcher types in the project folder: one chapter's executed notebook. ``first``:
    each run with no kernel kept; else each run taking the kernel the run before it kept."""
    _canonical(tmp)
    times = []
    for i in range(repeat):
        if first:
            stop_kept_kernels(tmp)
        var, op, value = filters.new()
        times.append(run([*HAKUSHO, "notebook", CHAPTER, "--quiet", "--out", str(tmp / f"n{first}{i}.ipynb"),
                          "--filter", var, op, value, "--allow-small-base"], cwd=tmp / "project"))
    return times


def bench_report(tmp: Path, repeat: int, filters: Filters, *, first: bool, formats: str | None = "html,pdf"
                 ) -> list[float]:
    """One chapter as a report (validation, ja + en, ``formats``; None: the project's) with a new
    filter, first or next try (see :func:`bench_notebook`)."""
    _canonical(tmp)
    times = []
    for _ in range(repeat):
        if first:
            stop_kept_kernels(tmp)
        var, op, value = filters.new()
        fmt = ["--format", formats] if formats else []
        times.append(run([*HAKUSHO, "build", "--quiet", "--chapters", CHAPTER, *fmt, "--filter", var, op, value,
                          "--allow-small-base"], cwd=tmp / "project"))
    return times


def bench_nb_baseline(tmp: Path, repeat: int, filters: Filters, project: Path) -> list[float]:
    """The papermill command running the one chapter notebook with a filter (no HTML, no PDF)."""
    from hakusho.pipeline.plan import discover_notebooks

    nb = discover_notebooks(project / "notebooks")[CHAPTER]
    times = []
    for i in range(repeat):
        var, op, value = filters.new()
        work = tmp / f"nb-baseline-{i}"
        work.mkdir(parents=True)
        spec = json.dumps([[var, op, int(value) if value.isdigit() else value]])
        times.append(run([str(BIN / "papermill"), str(nb), str(work / nb.name), "-p", "output_dir", "out",
                          "-y", f"filters: {spec}", "-p", "allow_small_base", "True", "--no-progress-bar"],
                         cwd=work))
    return times


def bench_baseline(tmp: Path, repeat: int, project: Path) -> list[float]:
    times = []
    for i in range(repeat):
        work = tmp / f"baseline-{i}"
        work.mkdir(parents=True)
        started = time.perf_counter()
        for nb in notebooks(project):
            executed = work / nb.name
            run([str(BIN / "papermill"), str(nb), str(executed), "-p", "output_dir", str(work / nb.stem),
                 "--no-progress-bar"], cwd=work)
            run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)], cwd=work)
        times.append(time.perf_counter() - started)
    return times


def bench_scaled(tmp: Path, repeat: int) -> list[float]:
    data = tmp / "data100"
    for wave in ("2025", "2023"):
        run([*HAKUSHO, "synthesize", "--wave", wave, "--scale", "100", "--out", str(data / wave)])
    times = []
    for i in range(repeat):
        out = tmp / f"scaled-{i}" / "report"
        times.append(run([*HAKUSHO, "build", "--quiet", "--data-dir", str(data), "--out", str(out)],
                         memory="scaled"))
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_preview(tmp: Path, repeat: int) -> list[float]:
    """``hakusho preview`` with the page open in Chromium: from saving an edit of a chapter's
    commentary (the first file by name) to the page showing the edited sentence, by itself."""
    if not CHROMIUM.exists():
        raise StepFailed(f"needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    project = tmp / "project"
    _canonical(tmp)
    commentary = sorted((project / "data" / "commentary").glob("*/*.ja.md"))
    if not commentary:
        raise StepFailed("the project has no commentary to edit")
    target = commentary[0]
    original = target.read_text(encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen([*HAKUSHO, "preview", "--port", str(port), "--lang", "ja"], cwd=project, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    times = []
    try:
        url = f"http://127.0.0.1:{port}/ja/"
        _wait_for(lambda: _http_ok(url), 120, "the preview server did not come up")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("main", timeout=120_000)
            _wait_idle(server.pid)  # the editor reads the page before editing: the preview has settled
            for i in range(repeat):
                marker = f"プレビュー計測{i}回目の一文です。"
                text = original.rstrip("\n") + f"\n\n{marker}\n"
                started = time.perf_counter()
                target.write_text(text, encoding="utf-8")
                page.wait_for_function("m => document.body && document.body.innerText.includes(m)", arg=marker,
                                       timeout=60_000, polling=20)
                times.append(time.perf_counter() - started)
            browser.close()
    finally:
        target.write_text(original, encoding="utf-8")
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return times


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux /proc), or -1 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return -1.0


def _wait_idle(pid: int, *, quiet: float = 1.0, seconds: float = 60) -> None:
    """Until a process has used no CPU for ``quiet`` seconds (at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    last, since = _cpu_seconds(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.2)
        now = _cpu_seconds(pid)
        if now != last:
            last, since = now, time.monotonic()


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_for(check: Callable[[], bool], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise StepFailed(message)


# ------------------------------------------------------------------------------ the table


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if a == a and b == b and b > 0 else ""


def report_table(results: dict[str, list[float]], failed: dict[str, str]) -> list[str]:
    m = {k: median(v) for k, v in results.items()}
    against = {"cold": ("baseline", "(d)"), "fresh": ("baseline", "(d)"), "report": ("nb_baseline", '(c")'),
               "report_all": ("nb_baseline", '(c")'), "cold_html_pdf": ("baseline", "(d)"),
               "report_first": ("nb_baseline", '(c")'), "scaled": ("cold", "(a)")}
    lines = [f"{'measurement':<46} {'median s':>9} {'runs':>22} {'ratio':>12}  goal"]
    for key, label in STEPS.items():
        if key in failed:
            lines.append(f"{label:<46} {'failed':>9}  {failed[key]}")
            continue
        if key not in results:
            continue
        ratio = ""
        if key in against and against[key][0] in m:
            ratio = f"{_ratio(m[key], m[against[key][0]])} {against[key][1]}"
        extra = ""
        if key in PEAKS:
            summed = max(RSS_PEAKS[key]) / GiB
            extra = f"  peak {max(PEAKS[key]) / GiB:.2f} GiB (resident sizes summed {summed:.2f} GiB)"
        runs = " ".join(f"{t:.2f}" for t in results[key])
        lines.append(f"{label:<46} {m[key]:9.2f} {runs:>22} {ratio:>12}  {GOALS.get(key, '')}{extra}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--skip", default="", help="comma-separated: " + ",".join([*STEPS, "profile"]))
    parser.add_argument("--with-fresh", action="store_true", help="also time (a'), a fresh kernel per notebook")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if not args.with_fresh:
        skip.add("fresh")

    from hakusho import config

    tmp = Path(tempfile.mkdtemp(prefix="hakusho-bench-"))
    project = snapshot(config.PROJECT_ROOT, tmp / "project")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"hakusho benchmark — {cores} core(s), load {load:.1f}, {platform.python_implementation()} "
          f"{platform.python_version()}, {args.repeat} run(s) each", flush=True)
    filters = Filters()
    results: dict[str, list[float]] = {}
    failed: dict[str, str] = {}
    steps: dict[str, Callable[[], list[float]]] = {
        "baseline": lambda: bench_baseline(tmp, args.repeat, project),
        "cold": lambda: bench_cold(tmp, args.repeat),
        "fresh": lambda: bench_cold(tmp, args.repeat, "--fresh-kernels"),
        "cold_html_pdf": lambda: bench_cold(tmp, args.repeat, "--format", "html,pdf"),
        "noop": lambda: bench_noop(tmp, args.repeat),
        "notebook_first": lambda: bench_notebook(tmp, args.repeat, filters, first=True),
        "notebook": lambda: bench_notebook(tmp, args.repeat, filters, first=False),
        "report_first": lambda: bench_report(tmp, args.repeat, filters, first=True),
        "report": lambda: bench_report(tmp, args.repeat, filters, first=False),
        "report_all": lambda: bench_report(tmp, args.repeat, filters, first=False, formats=None),
        "nb_baseline": lambda: bench_nb_baseline(tmp, args.repeat, filters, project),
        "scaled": lambda: bench_scaled(tmp, args.repeat),
        "preview": lambda: bench_preview(tmp, args.repeat),
    }
    profile_rows = None
    try:
        for key, fn in steps.items():
            if key in skip:
                continue
            try:
                results[key] = fn()
                print(f"  {STEPS[key]:<46} {' '.join(f'{t:.2f}' for t in results[key])} s", flush=True)
            except StepFailed as exc:
                failed[key] = str(exc)
                print(f"  {STEPS[key]:<46} FAILED: {exc}", flush=True)
        if "profile" not in skip:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from stage_profile import profile, table

            print("\nwhere the CPU of a cold build goes (CPU seconds, benchmarks/stage_profile.py):", flush=True)
            profile_rows = profile(project)
            print(table(profile_rows))
    finally:
        stop_kept_kernels(tmp)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print("\n".join(report_table(results, failed)))
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average {load:.1f} at the start, {load_after:.1f} at the end)")
    if args.json:
        args.json.write_text(json.dumps({
            "cores": cores, "repeat": args.repeat, "load": [load, load_after], "failed": failed, "runs": results,
            "medians": {k: median(v) for k, v in results.items()}, "peak_bytes": {k: max(v) for k, v in PEAKS.items()},
            "peak_rss_sum_bytes": {k: max(v) for k, v in RSS_PEAKS.items()},
            "profile": profile_rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
