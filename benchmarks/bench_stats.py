"""What sound statistics cost: perturbation, the report-wide family of tests, and the exact tests.

Measured in one process on the project's data, each as the median of ``--repeat`` runs, with
its baseline measured in the same run:

  perturb   — one chapter computed for a filtered run with cell-key perturbation, against the
              same chapter with exact counts (``protection=None``);
  family    — the raw p-values of every test of a report (what Benjamini–Hochberg adjusts
              across), computed once per kernel, against computing the chapter itself;
  cross     — the cross-analysis part with perturbation, against exact;
  explore   — the explorer's tables of one segment for a filtered run, perturbed (every group of
              every table) and adjusted (Holm per table, BH across), against exact counts;
  holm      — 100 families adjusted by statsmodels' ``multipletests`` (a garbage collection per
              call), against the same steps computed by :func:`hakusho.analysis.multiplicity.holm`;
  sparse    — one sparse table: Fisher's exact test (2×2) and the seeded Monte Carlo test (2×k,
              9,999 tables), against the asymptotic chi-square test of the same table.

Nothing is asserted: the numbers are printed (and written as JSON with ``--json FILE``).

    python benchmarks/bench_stats.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from hakusho.analysis import chapter as chapters
from hakusho.analysis.contingency import table_test, two_proportions
from hakusho.analysis.cross import compute_crosses
from hakusho.analysis.explore import compute_explorer
from hakusho.analysis.multiplicity import holm
from hakusho.analysis.perturbation import Protection
from hakusho.survey.crosswalk import load_crosswalk
from hakusho.survey.load import load_waves

FILTER = [["employees", ">=", 1000]]
SECRET = bytes(range(32))  # a fixed secret: the benchmark measures cost, not protection


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of ``fn`` over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(repeat: int) -> dict[str, dict[str, float]]:
    survey, compare = load_waves("2025", "2023")
    crosswalk = load_crosswalk()
    guard = Protection(SECRET)
    out: dict[str, dict[str, float]] = {}

    def chapter(chapter_id: str, protection: Protection | None, segment: str = "saas") -> None:
        chapters.compute_chapter(chapter_id, survey, compare, segment=segment, filters=FILTER, crosswalk=crosswalk,
                                 protection=protection)

    for chapter_id in ("ch4", "appendix"):
        exact = timed(lambda c=chapter_id: chapter(c, None), repeat)
        perturbed = timed(lambda c=chapter_id: chapter(c, guard), repeat)
        out[f"perturb {chapter_id}"] = {"baseline": exact, "measured": perturbed}

    for segment in ("saas", "all"):
        def family(segment: str = segment) -> None:
            chapters._REPORT_TESTS.clear()  # measure the computation, not the memo
            chapters.report_tests(survey, compare, segment=segment, crosswalk=crosswalk, protection=None)

        one = timed(lambda s=segment: chapters.compute_chapter("ch4", survey, compare, segment=s,
                                                                crosswalk=crosswalk, protection=None), repeat)
        out[f"family {segment}"] = {"baseline": one, "measured": timed(family, repeat)}

    exact = timed(lambda: compute_crosses(survey, filters=FILTER, protection=None), repeat)
    perturbed = timed(lambda: compute_crosses(survey, filters=FILTER, protection=guard), repeat)
    out["cross"] = {"baseline": exact, "measured": perturbed}

    exact = timed(lambda: compute_explorer(survey, filters=FILTER, segments=["saas"], protection=None), repeat)
    perturbed = timed(lambda: compute_explorer(survey, filters=FILTER, segments=["saas"], protection=guard), repeat)
    out["explore saas"] = {"baseline": exact, "measured": perturbed}

    families = [np.random.default_rng(i).uniform(size=8) for i in range(100)]
    ours = timed(lambda: [holm(f) for f in families], repeat)
    out["holm statsmodels x100"] = {"baseline": ours, "measured": timed(
        lambda: [multipletests(f, method="holm") for f in families], repeat)}

    sparse_2x2 = np.array([[3, 5], [20, 5]])
    sparse_2xk = np.array([[1, 2, 9, 0, 1], [3, 20, 20, 4, 2]])
    chi2 = timed(lambda: [scipy_stats.chi2_contingency(sparse_2x2, correction=False) for _ in range(100)], repeat)
    out["sparse fisher x100"] = {"baseline": chi2, "measured": timed(
        lambda: [two_proportions(3, 8, 20, 25) for _ in range(100)], repeat)}
    chi2k = timed(lambda: scipy_stats.chi2_contingency(sparse_2xk, correction=False), repeat)
    out["sparse monte carlo"] = {"baseline": chi2k, "measured": timed(lambda: table_test(sparse_2xk), repeat)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    results = measure(args.repeat)
    print(f"{'step':<22} {'baseline':>10} {'measured':>10} {'extra':>9} {'ratio':>7}")
    for name, row in results.items():
        extra = row["measured"] - row["baseline"]
        ratio = row["measured"] / row["baseline"] if row["baseline"] else float("nan")
        print(f"{name:<22} {row['baseline']:>9.3f}s {row['measured']:>9.3f}s {extra:>+8.3f}s {ratio:>6.2f}×")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
