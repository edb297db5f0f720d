"""Series side by side, and the comparison of two series with its significance tests.

Two comparisons use the same tests:

* year over year: the report wave and the comparison wave in one table *in the report wave's
  choice terms* — the comparison wave's answers are mapped through the crosswalk first
  (:func:`hakusho.survey.crosswalk.share_in_target_terms`), so both series have the same rows;
* between segments (the integrated report): SaaS and non-SaaS respondents of the same wave.

Each test entry names the two series it compares (``series: [first, second]``); the difference
is always first minus second. Change is measured in percentage points between the *rounded*
shares, so that it equals what a reader subtracts on the chart. Significance is tested at the
95 % level on the counts:

* single and multiple answers: a two-proportion z-test per choice (pooled variance, two-sided);
* ordinal answers: a chi-square test of homogeneity on the whole bucket distribution — buckets are
  parts of one distribution, so testing them one by one would test the same shift many times.
  Every bucket row of an ordinal chart carries the distribution's p-value and flag.

No test is run when either base is below the suppression line (see :mod:`hakusho.analysis.disclosure`):
with no percentage shown, there is no difference to test.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd
from scipy import stats

from hakusho.analysis.disclosure import SUPPRESS_BELOW
from hakusho.analysis.tabulate import one_series, round_pct, series_ids

ALPHA = 0.05
Z_TEST = "two-proportion z-test"
CHI2_TEST = "chi-square test"
P_DIGITS = 4  # p-values are stored rounded so that outputs do not depend on the last float bits


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
    test against: the p-value is 1.
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
    """p-value of the chi-square test that two bucket distributions come from the same one.

    Buckets nobody chose in either wave carry no information and are dropped; with fewer than two
    buckets left there is nothing to compare and the p-value is 1.
    """
    observed = np.array([list(counts_a), list(counts_b)], dtype=float)
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] < 2 or (observed.sum(axis=1) == 0).any():
        return 1.0
    result = stats.chi2_contingency(observed, correction=False)
    return float(result.pvalue)


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


def series_tests(table: pd.DataFrame, *, answer: str, first: str, second: str,
                 keys: Sequence[str]) -> list[dict[str, object]]:
    """One entry per choice in ``keys``: the two series, first minus second in points, p-value,
    95 % flag and the test's name.

    ``table`` is a long series table holding both series in the same choice terms; ``keys`` are
    the choices inside the base (the caller leaves "don't know" out). A choice the second series
    has no count for (an answer option its wave did not offer) gets no difference and no test.
    """
    a = one_series(table, first).set_index("choice_key")
    b = one_series(table, second).set_index("choice_key").reindex(a.index)
    base_a = int(a["base"].iloc[0]) if len(a) else 0
    base_b = int(b["base"].dropna().iloc[0]) if b["base"].notna().any() else 0
    testable = base_a >= SUPPRESS_BELOW and base_b >= SUPPRESS_BELOW
    changes = change_points(table, first, second)
    known = [k for k in keys if pd.notna(b.at[k, "count"])]

    chi2_p: float | None = None
    if answer == "ordinal" and testable:
        chi2_p = distribution_chi2_test([int(a.at[k, "count"]) for k in known],
                                        [int(b.at[k, "count"]) for k in known])
    tests = []
    for key in keys:
        p_value: float | None = None
        if testable and key in known:
            if answer == "ordinal":
                p_value = chi2_p
            else:
                p_value = proportion_z_test(int(a.at[key, "count"]), base_a, int(b.at[key, "count"]), base_b)
        tests.append({
            "key": key,
            "series": [first, second],
            "change_pt": changes.get(key) if p_value is not None else None,
            "p_value": None if p_value is None else round(p_value, P_DIGITS),
            "significant": None if p_value is None else bool(p_value < ALPHA),
            "test": None if p_value is None else (CHI2_TEST if answer == "ordinal" else Z_TEST),
        })
    return tests


def yoy_tests(table: pd.DataFrame, *, answer: str, report_series: str, compare_series: str,
              keys: Sequence[str]) -> list[dict[str, object]]:
    """:func:`series_tests` of the report wave against the comparison wave (change = report − compare)."""
    return series_tests(table, answer=answer, first=report_series, second=compare_series, keys=keys)
