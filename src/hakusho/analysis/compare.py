"""Series side by side, and the comparison of two series with its significance tests.

Two comparisons use the same tests:

* year over year: the report wave and the comparison wave in one table *in the report wave's
  choice terms* — the comparison wave's answers are mapped through the crosswalk first
  (:func:`hakusho.survey.crosswalk.share_in_target_terms`), so both series have the same rows;
* between segments: SaaS and non-SaaS respondents of the same wave.

Each test entry names the two series it compares (``series: [first, second]``); the difference
is always first minus second. Change is measured in percentage points between the *rounded*
shares, so that it equals what a reader subtracts on the chart. Significance is tested at the
95 % level on the counts (:mod:`hakusho.analysis.contingency` chooses the test of each table):

* single and multiple answers: one test per choice (``scope: choice``) — the pooled two-proportion
  z-test, or Fisher's exact test where the 2×2 table is sparse (Cochran's rule);
* ordinal answers: one test of the whole bucket distribution — the chi-square test of homogeneity,
  or its seeded Monte Carlo version on a sparse table. Buckets are parts of one distribution, so
  testing them one by one would test the same shift many times; the distribution test says
  nothing about any one bucket, and bucket entries carry their change but no p-value or flag
  (the test is the chart's ``distribution`` entry).

Every p-value is adjusted for the number of tests (:mod:`hakusho.analysis.multiplicity`: Holm
within the chart's choices, Benjamini–Hochberg across the report) and the adjusted p decides
``significant``. :func:`series_tests` adjusts as if the chart were the whole report;
:func:`readjust` redoes it with the p-values of every test of the report.

A comparison of segments may also be tested within strata (the response route): each entry then
carries a ``route`` entry, the Cochran–Mantel–Haenszel test of the same comparison, adjusted the
same way in its own family. A difference that holds overall but not within routes may come from
how the two segments were sampled rather than from the segments.

No test is run when either base is below the suppression line (see :mod:`hakusho.analysis.disclosure`):
with no percentage shown, there is no difference to test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from hakusho.analysis import contingency
from hakusho.analysis.contingency import CHI2_TEST, CMH_TEST, Z_TEST
from hakusho.analysis.disclosure import SUPPRESS_BELOW
from hakusho.analysis.multiplicity import ALPHA, adjust, is_significant, stored_p
from hakusho.analysis.tabulate import one_series, round_pct, series_ids

__all__ = [
    "ALPHA",
    "CHI2_TEST",
    "CMH_TEST",
    "DISTRIBUTION",
    "P_DIGITS",
    "Z_TEST",
    "ChartTests",
    "change_points",
    "distribution_chi2_test",
    "proportion_z_test",
    "proportion_z_tests",
    "raw_families",
    "readjust",
    "series_tests",
    "side_by_side",
    "yoy_tests",
]

DISTRIBUTION = "distribution"  # the test key of an ordinal chart's one test
P_DIGITS = 4  # decimals of a p-value where a table prints it rounded (the explorer's tables)


def side_by_side(table: pd.DataFrame, *, lang: str = "ja") -> pd.DataFrame:
    """A wide view of a long series table for people: one row per choice, count and % per series.

    Columns are ``"<series> n"`` / ``"<series> %"`` after the choice label; a suppressed share
    stays empty. Meant for display (notebooks); outputs keep the long form.
    """
    label = "label_ja" if lang == "ja" else "label_en"
    first = one_series(table, series_ids(table)[0]) if len(table) else table
    wide = pd.DataFrame({"choice": first[label].to_list()}, index=first["choice_key"].to_list())
    for series_id in series_ids(table):
        rows = one_series(table, series_id).set_index("choice_key")
        wide[f"{series_id} n"] = rows["count"].reindex(wide.index).astype("Int64")
        wide[f"{series_id} %"] = rows["pct"].reindex(wide.index)
    wide.index.name = "key"
    return wide


def proportion_z_test(count_a: int, base_a: int, count_b: int, base_b: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test of count_a/base_a vs count_b/base_b.

    When the pooled share is 0 or 1 both groups answered identically and there is no variance to
    test against: the p-value is 1. (The chapters use :func:`hakusho.analysis.contingency.two_proportions`,
    which falls back to Fisher's exact test on sparse tables; this is the asymptotic test alone.)
    """
    if base_a <= 0 or base_b <= 0:
        raise ValueError("both bases must be positive")
    return float(proportion_z_tests(np.array([count_a]), np.array([base_a]), np.array([count_b]),
                                    np.array([base_b]))[0])


def proportion_z_tests(count_a: np.ndarray, base_a: np.ndarray, count_b: np.ndarray,
                       base_b: np.ndarray) -> np.ndarray:
    """:func:`proportion_z_test` element-wise over arrays (one call for a whole table's tests).

    Every base must be positive; a pair with no variance (pooled share 0 or 1) gets p = 1.
    """
    from scipy import stats

    count_a, base_a, count_b, base_b = (np.asarray(x, dtype=float) for x in (count_a, base_a, count_b, base_b))
    if (base_a <= 0).any() or (base_b <= 0).any():
        raise ValueError("both bases must be positive")
    pooled = (count_a + count_b) / (base_a + base_b)
    variance = pooled * (1 - pooled) * (1 / base_a + 1 / base_b)
    tested = variance > 0
    z = np.zeros_like(variance)
    z[tested] = (count_a[tested] / base_a[tested] - count_b[tested] / base_b[tested]) / np.sqrt(variance[tested])
    return np.where(tested, 2 * stats.norm.sf(np.abs(z)), 1.0)


def distribution_chi2_test(counts_a: Sequence[int], counts_b: Sequence[int]) -> float:
    """p-value of the test that two bucket distributions come from the same one (chi-square, or
    Monte Carlo on a sparse table). Buckets nobody chose carry no information and are dropped;
    with fewer than two buckets left there is nothing to compare and the p-value is 1."""
    result = contingency.table_test(np.array([list(counts_a), list(counts_b)], dtype=float))
    return 1.0 if result is None else result.p_value


def change_points(table: pd.DataFrame, first: str, second: str) -> dict[str, float | None]:
    """First minus second series' share per choice key, in points (None where either is not shown)."""
    a = one_series(table, first).set_index("choice_key")["pct"]
    b = one_series(table, second).set_index("choice_key")["pct"].reindex(a.index)
    out: dict[str, float | None] = {}
    for key in a.index:
        if pd.isna(a[key]) or pd.isna(b[key]):
            out[str(key)] = None
        else:
            # Exact decimal subtraction: shares carry one decimal, so the change does too.
            out[str(key)] = round_pct(float(Decimal(repr(float(a[key]))) - Decimal(repr(float(b[key])))))
    return out


@dataclass(frozen=True)
class ChartTests:
    """The tests of one chart: an entry per choice, and the distribution's test (ordinal charts).

    ``choices`` holds one entry per choice asked about (in the order given); on an ordinal chart
    these carry the change only. ``distribution`` is the ordinal chart's one test, or None.
    """

    choices: list[dict[str, Any]]
    distribution: dict[str, Any] | None = None
    family: str = ""  # the id the report's adjustment knows this chart by (its chart id)
    route_raw: dict[str, float] | None = None  # CMH raw p per tested key; None: not stratified

    def tested(self) -> list[dict[str, Any]]:
        """The entries that carry a p-value: the choices' tests, or the distribution's."""
        entries = [e for e in self.choices if e.get("p_value") is not None]
        return entries + ([self.distribution] if self.distribution is not None else [])


def _entry_key(entry: Mapping[str, Any]) -> str:
    return DISTRIBUTION if entry.get("scope") == DISTRIBUTION else str(entry["key"])


def _result(test: contingency.TableTest | None, name: str) -> dict[str, Any]:
    if test is None:  # nothing varies (both series answered alike): nothing to find, p = 1
        return {"test": name, "p_value": 1.0, "sparse": False}
    return {"test": test.test, "p_value": stored_p(test.p_value), "sparse": test.sparse}


def _series_counts(table: pd.DataFrame, series_id: str) -> pd.DataFrame:
    return one_series(table, series_id).set_index("choice_key")


def _base(rows: pd.DataFrame) -> int:
    bases = rows["base"].dropna()
    return int(bases.iloc[0]) if len(bases) else 0


def _route_tests(strata: Mapping[str, pd.DataFrame], *, answer: str, first: str, second: str,
                 known: Sequence[str]) -> dict[str, float]:
    """CMH p-value per choice (or for the distribution) across the strata's tables."""
    parts = []
    for table in strata.values():
        if first not in set(table["series"]) or second not in set(table["series"]):
            continue
        a, b = _series_counts(table, first), _series_counts(table, second)
        parts.append((a, b, _base(a), _base(b)))
    if not parts:
        return {}
    out: dict[str, float] = {}
    if answer == "ordinal":
        tables = [np.array([[int(a.at[k, "count"]) for k in known], [int(b.at[k, "count"]) for k in known]])
                  for a, b, _, _ in parts]
        result = contingency.stratified_test(tables)
        if result is not None:
            out[DISTRIBUTION] = stored_p(result.p_value)
        return out
    for key in known:
        tables = [np.array([[int(a.at[key, "count"]), ba - int(a.at[key, "count"])],
                            [int(b.at[key, "count"]), bb - int(b.at[key, "count"])]]) for a, b, ba, bb in parts]
        result = contingency.stratified_test(tables)
        if result is not None:
            out[key] = stored_p(result.p_value)
    return out


def series_tests(table: pd.DataFrame, *, answer: str, first: str, second: str, keys: Sequence[str],
                 strata: Mapping[str, pd.DataFrame] | None = None, family: str = "chart") -> ChartTests:
    """The tests of one chart comparing two series, adjusted as if the chart were the whole report.

    ``table`` is a long series table holding both series in the same choice terms; ``keys`` are
    the choices inside the base (the caller leaves "don't know" out). A choice the second series
    has no count for (an answer option its wave did not offer) gets no difference and no test.
    ``strata`` (stratum id → a long table of both series within that stratum) adds the
    route-stratified test beside each plain one. Use :func:`readjust` with the whole report's
    p-values to adjust across the report.
    """
    a = _series_counts(table, first)
    b = _series_counts(table, second).reindex(a.index)
    base_a, base_b = _base(a), _base(b)
    testable = base_a >= SUPPRESS_BELOW and base_b >= SUPPRESS_BELOW
    changes = change_points(table, first, second)
    known = [k for k in keys if pd.notna(b.at[k, "count"])]
    pair = [first, second]

    choices: list[dict[str, Any]] = []
    distribution: dict[str, Any] | None = None
    if answer == "ordinal":
        for key in keys:
            tested = testable and key in known
            choices.append({"key": key, "series": pair, "scope": "bucket",
                            "change_pt": changes.get(key) if tested else None,
                            "test": None, "p_value": None, "significant": None})
        if testable and known:
            observed = np.array([[int(a.at[k, "count"]) for k in known], [int(b.at[k, "count"]) for k in known]])
            distribution = {"key": DISTRIBUTION, "series": pair, "scope": DISTRIBUTION,
                            **_result(contingency.table_test(observed), CHI2_TEST)}
    else:
        for key in keys:
            entry: dict[str, Any] = {"key": key, "series": pair, "scope": "choice", "change_pt": None,
                                     "test": None, "p_value": None, "significant": None}
            if testable and key in known:
                result = contingency.two_proportions(int(a.at[key, "count"]), base_a, int(b.at[key, "count"]), base_b)
                entry.update(change_pt=changes.get(key), **_result(result, Z_TEST))
            choices.append(entry)
    route = None
    if strata is not None:
        route = _route_tests(strata, answer=answer, first=first, second=second, known=known) if testable else {}
    chart = ChartTests(choices, distribution, family, route)
    return readjust({family: chart})[family]


def raw_families(charts: Mapping[str, ChartTests]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """The raw p-values of every test of ``charts``, by chart and key: the plain tests, and the
    route-stratified ones (each their own family of the report)."""
    plain: dict[str, dict[str, float]] = {}
    route: dict[str, dict[str, float]] = {}
    for chart_id, tests in charts.items():
        found = {_entry_key(e): float(e["p_value"]) for e in tests.tested()}
        if found:
            plain[chart_id] = found
        if tests.route_raw:
            route[chart_id] = dict(tests.route_raw)
    return plain, route


def readjust(charts: Mapping[str, ChartTests], *, report: Mapping[str, Mapping[str, float]] | None = None,
             report_route: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, ChartTests]:
    """The charts' tests with adjusted p-values and flags (see :mod:`hakusho.analysis.multiplicity`).

    ``report`` / ``report_route`` are the raw p-values of every test of the report, by chart and
    key (:func:`raw_families` of every chart of every chapter); by default ``charts`` are the
    whole report. Each chart of ``charts`` must be part of the report given.
    """
    plain, route = raw_families(charts)
    report_plain = dict(report) if report is not None else plain
    report_routes = dict(report_route) if report_route is not None else route
    for chart_id, found in plain.items():
        if dict(report_plain.get(chart_id, {})) != found:
            raise ValueError(f"chart {chart_id}: its tests are not those the report was adjusted with")
    adjusted = adjust(report_plain)
    adjusted_route = adjust(report_routes)
    out = {}
    for chart_id, tests in charts.items():
        def finish(entry: dict[str, Any], chart_id: str = chart_id, tests: ChartTests = tests) -> dict[str, Any]:
            entry = dict(entry)
            key = _entry_key(entry)
            if entry.get("p_value") is None:
                return entry
            entry.update(adjusted[chart_id][key])
            entry["significant"] = is_significant(entry["p_adjusted"])
            if tests.route_raw is not None:
                r = adjusted_route.get(chart_id, {}).get(key)
                entry["route"] = None if r is None else {"test": CMH_TEST, "p_value": tests.route_raw[key], **r,
                                                         "significant": is_significant(r["p_adjusted"])}
            return entry

        out[chart_id] = ChartTests([finish(e) for e in tests.choices],
                                   finish(tests.distribution) if tests.distribution is not None else None,
                                   tests.family, tests.route_raw)
    return out


def yoy_tests(table: pd.DataFrame, *, answer: str, report_series: str, compare_series: str,
              keys: Sequence[str]) -> ChartTests:
    """:func:`series_tests` of the report wave against the comparison wave (change = report − compare)."""
    return series_tests(table, answer=answer, first=report_series, second=compare_series, keys=keys)
