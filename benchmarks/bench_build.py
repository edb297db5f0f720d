"""Time ``hakusho build`` against plain papermill + nbconvert, in one run on this machine.

Measured, each as the median of ``--repeat`` runs (every run a fresh process, as a person would
type it):

  (a) cold   — the full report (both languages, HTML and PDF) with an empty cache;
  (a') cold, one fresh kernel per notebook (``--fresh-kernels``): what the kernel pool saves;
  (b) no-op  — the same build again: nothing changed;
  (c) filter — one chapter rebuilt with a filter it has not seen (a new one every run);
  (d) baseline — the chapter notebooks executed one after another by the ``papermill`` command and
      each converted by ``jupyter nbconvert --to html`` (no PDF, no cache: the usual way);
  (e) cold build with 100 times the respondents (``hakusho synthesize --scale 100``).

Ratios are against the baseline (d) measured in the same run, and (e) against (a). Nothing is
asserted: the numbers are printed (and written as JSON with ``--json FILE``).

Everything runs on a snapshot of the project (package, notebooks, data, templates) copied into a
temporary folder first, so that editing the checkout while the benchmark runs changes nothing.

    python benchmarks/bench_build.py                 # everything, 3 runs each
    python benchmarks/bench_build.py --repeat 1 --skip scaled
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HAKUSHO = [sys.executable, "-m", "hakusho.cli"]
GOALS = {
    "cold": "≤ 0.5 × baseline and ≤ 10 s",
    "noop": "≤ 0.5 s",
    "filter": "≤ 4 s",
    "notebook": "≤ 4 s",
    "scaled": "≤ 1.5 × cold",
}
# A filter per run, each new to the cache: employees at or above a bucket boundary of the codebook.
FILTER_CHAPTER = "ch4"
FILTERS = [("employees", ">=", "100"), ("employees", ">=", "300"), ("employees", "<", "1000"),
           ("employees", "<", "300"), ("employees", ">=", "1000")]


class StepFailed(Exception):
    """A command of a measurement failed: that measurement is reported as failed."""


ENV: dict[str, str] = dict(os.environ)


def snapshot(project: Path, dest: Path) -> Path:
    """Copy what a build reads; the commands below import the package from the copy."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for folder in ("src", "notebooks", "data", "templates"):
        if (project / folder).is_dir():
            shutil.copytree(project / folder, dest / folder, ignore=ignore)
    shutil.copyfile(project / "hakusho.toml", dest / "hakusho.toml")
    (dest / "report").mkdir()
    ENV.update({"HAKUSHO_PROJECT": str(dest), "PYTHONPATH": str(dest / "src"),
                "SOURCE_DATE_EPOCH": ENV.get("SOURCE_DATE_EPOCH", "1700000000")})
    return dest


def run(cmd: list[str], *, cwd: Path | None = None) -> float:
    """Seconds one command takes; its output is shown only if it fails."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        error = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise StepFailed(f"{' '.join(cmd[2:6])} …: {error[0] if error else proc.returncode}")
    return took


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def notebooks(project: Path) -> list[Path]:
    from hakusho.pipeline.plan import discover_notebooks, report_chapters

    found = discover_notebooks(project / "notebooks")
    return [found[c] for c in report_chapters() if c in found]


def bench_cold(tmp: Path, repeat: int, *extra: str) -> list[float]:
    """The first plain cold build is the canonical report of the snapshot, whose cache the no-op
    and filter measurements then use; the others go to folders of their own (empty caches)."""
    times = []
    for i in range(repeat):
        out = [] if (i == 0 and not extra) else ["--out", str(tmp / f"cold{'-'.join(extra)}-{i}" / "report")]
        times.append(run([*HAKUSHO, "build", "--quiet", *out, *extra], cwd=tmp / "project"))
    return times


def bench_noop(tmp: Path, repeat: int) -> list[float]:
    """The canonical report built again, nothing changed."""
    if not (tmp / "project" / "report" / "2025").exists():
        run([*HAKUSHO, "build", "--quiet"], cwd=tmp / "project")
    return [run([*HAKUSHO, "build", "--quiet"], cwd=tmp / "project") for _ in range(repeat)]


def bench_filter(tmp: Path, repeat: int, command: str) -> list[float]:
    """One chapter with a filter the cache has not seen, as a report (``build``) or as the
    executed notebook alone (``notebook``), after the canonical report was built."""
    times = []
    for i in range(repeat):
        var, op, value = FILTERS[(i + (command == "notebook")) % len(FILTERS)]
        if command == "build":
            cmd = [*HAKUSHO, "build", "--quiet", "--chapters", FILTER_CHAPTER]
        else:
            cmd = [*HAKUSHO, "notebook", FILTER_CHAPTER, "--quiet", "--out", str(tmp / f"n{i}.ipynb")]
        times.append(run([*cmd, "--filter", var, op, value, "--allow-small-base"], cwd=tmp / "project"))
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
        times.append(run([*HAKUSHO, "build", "--quiet", "--data-dir", str(data), "--out", str(out)]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--skip", default="", help="comma-separated: baseline,cold,fresh,noop,filter,notebook,scaled")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    from hakusho import config

    tmp = Path(tempfile.mkdtemp(prefix="hakusho-bench-"))
    project = snapshot(config.PROJECT_ROOT, tmp / "project")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"hakusho build benchmark — {cores} core(s), {platform.python_implementation()} "
          f"{platform.python_version()}, {args.repeat} run(s) each", flush=True)
    results: dict[str, list[float]] = {}
    steps = [
        ("baseline", "(d) papermill + nbconvert, one by one", lambda: bench_baseline(tmp, args.repeat, project)),
        ("cold", "(a) cold full build", lambda: bench_cold(tmp, args.repeat)),
        ("fresh", "(a') cold, a fresh kernel per notebook", lambda: bench_cold(tmp, args.repeat, "--fresh-kernels")),
        ("noop", "(b) no-op rebuild", lambda: bench_noop(tmp, args.repeat)),
        ("filter", f"(c) {FILTER_CHAPTER} report, a new filter",
         lambda: bench_filter(tmp, args.repeat, "build")),
        ("notebook", f"(c') {FILTER_CHAPTER} notebook, a new filter",
         lambda: bench_filter(tmp, args.repeat, "notebook")),
        ("scaled", "(e) cold build, 100× respondents", lambda: bench_scaled(tmp, args.repeat)),
    ]
    labels = {}
    failed: dict[str, str] = {}
    try:
        for key, label, fn in steps:
            if key in skip:
                continue
            labels[key] = label
            try:
                results[key] = fn()
                print(f"  {label:<44} {' '.join(f'{t:.2f}' for t in results[key])} s", flush=True)
            except StepFailed as exc:
                failed[key] = str(exc)
                print(f"  {label:<44} FAILED: {exc}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    base = median(results.get("baseline", []))
    cold = median(results.get("cold", []))
    print()
    print(f"{'measurement':<44} {'median s':>9} {'runs':>22} {'vs baseline':>12}  goal")
    for key, label in labels.items():
        if key in failed:
            print(f"{label:<44} {'failed':>9}")
            continue
        m = median(results[key])
        ratio = m / base if base == base and key != "baseline" else float("nan")
        extra = f"  ({m / cold:.2f}× cold)" if key == "scaled" and cold == cold else ""
        runs = " ".join(f"{t:.2f}" for t in results[key])
        ratio_text = f"{ratio:.2f}×" if ratio == ratio else ""
        print(f"{label:<44} {m:9.2f} {runs:>22} {ratio_text:>12}  {GOALS.get(key, '')}{extra}")
    if args.json:
        args.json.write_text(json.dumps({"cores": cores, "repeat": args.repeat, "failed": failed,
                                         "runs": results, "medians": {k: median(v) for k, v in results.items()}},
                                        indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
