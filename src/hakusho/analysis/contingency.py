"""Tests of contingency tables, chosen by how many answers each cell can be expected to hold.

Every significance test in the report is a test of a table of counts: two series against the
choices of a question (a chart's comparison), or two questions against each other (a cross).
The chi-square approximation behind the usual p-value needs enough respondents per cell, so the
test is chosen by **Cochran's rule**: when more than 20 % of the counts expected under the null
hypothesis are below 5, the table is *sparse* and

* a 2×2 table (one choice, two series) is tested with **Fisher's exact test** (two-sided:
  ``scipy.stats.fisher_exact``'s p-value, computed by :func:`fisher_exact_p`);
* a larger table is tested with a **Monte Carlo chi-square test**: the same statistic, its
  p-value estimated from tables drawn at random with the observed margins
  (what ``scipy.stats.chi2_contingency`` with ``MonteCarloMethod`` computes, step for step:
  :func:`monte_carlo_p`). The generator is seeded with a fixed number, so the same table always
  gets the same p-value and builds stay byte-identical.

Otherwise the asymptotic chi-square test (no continuity correction) is used; on a 2×2 table it is
the pooled two-proportion z-test (z² = χ²), which is how chapters name it.

Rows or columns nobody falls into carry no information and are dropped before testing; a table
left with fewer than two rows or columns has nothing to test (``None``).

:func:`stratified_test` is the Cochran–Mantel–Haenszel test of the same comparison within strata
(the response route), for differences between segments whose samples came through different
routes.
"""

from __future__ import annotations

# scipy is imported where a test needs it: the renderers read this module's names only, and
# importing scipy.stats costs them half a second each build.
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SMALL_EXPECTED = 5.0  # an expected count under this is "small"
SMALL_EXPECTED_SHARE = 0.2  # Cochran's rule: more than this share of small expected counts is sparse
MONTE_CARLO_RESAMPLES = 9999  # p-values resolve to 1/10,000; their standard error at p = 0.05 is 0.002
MONTE_CARLO_SEED = 20250  # fixed: the same table always gets the same p-value

Z_TEST = "two-proportion z-test"
FISHER_TEST = "Fisher's exact test"
CHI2_TEST = "chi-square test"
MONTE_CARLO_TEST = "Monte Carlo chi-square test"
CMH_TEST = "Cochran-Mantel-Haenszel test"

# The test names as their catalog keys (test.<slug>), for every text that names a test.
TEST_SLUGS = {Z_TEST: "z", FISHER_TEST: "fisher", CHI2_TEST: "chi2", MONTE_CARLO_TEST: "monte_carlo",
              CMH_TEST: "cmh"}


@dataclass(frozen=True)
class TableTest:
    """The test of one table: which test, its statistic and p-value, and why it was chosen."""

    test: str
    p_value: float
    statistic: float | None  # chi-square (None for Fisher's exact test)
    dof: int
    n: int
    shape: tuple[int, int]  # rows × columns actually tested
    expected_min: float
    expected_small_share: float

    @property
    def sparse(self) -> bool:
        """Whether Cochran's rule ruled out the chi-square approximation for this table."""
        return self.expected_small_share > SMALL_EXPECTED_SHARE


def expected_counts(observed: np.ndarray) -> np.ndarray:
    """Counts expected under independence: row total × column total / n."""
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    if n == 0:
        return observed * 0.0
    return np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n


def small_expected_share(expected: np.ndarray) -> float:
    """The share of cells whose expected count is under 5 (the quantity Cochran's rule reads)."""
    expected = np.asarray(expected, dtype=float)
    return float((expected < SMALL_EXPECTED).mean()) if expected.size else 0.0


def is_sparse(observed: np.ndarray) -> bool:
    """Cochran's rule: more than 20 % of the expected counts are under 5."""
    return small_expected_share(expected_counts(_informative(observed))) > SMALL_EXPECTED_SHARE


def _informative(observed: np.ndarray) -> np.ndarray:
    table = np.asarray(observed, dtype=float)
    table = table[table.sum(axis=1) > 0]
    return table[:, table.sum(axis=0) > 0] if table.size else table.reshape(0, 0)


def table_test(observed: np.ndarray | list[list[int]], *, two_by_two: str = CHI2_TEST) -> TableTest | None:
    """The test of independence of a table of counts, by Cochran's rule (see the module notes).

    ``two_by_two`` names the asymptotic test of a 2×2 table (chapters call it the two-proportion
    z-test; crosses the chi-square test): the p-value is the same.
    """
    table = _informative(np.asarray(observed))
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        return None
    if not np.array_equal(table, np.round(table)):
        raise ValueError("a table of counts holds whole numbers of respondents")
    n = int(table.sum().round())
    expected = expected_counts(table)
    share = small_expected_share(expected)
    common = {"n": n, "shape": (int(table.shape[0]), int(table.shape[1])),
              "expected_min": float(expected.min()), "expected_small_share": share,
              "dof": int((table.shape[0] - 1) * (table.shape[1] - 1))}
    if share <= SMALL_EXPECTED_SHARE:
        from scipy import special

        statistic = pearson_statistic(table, expected)
        name = two_by_two if table.shape == (2, 2) else CHI2_TEST
        p_value = float(special.chdtrc(float(common["dof"]), statistic))
        return TableTest(test=name, p_value=p_value, statistic=float(statistic), **common)
    if table.shape == (2, 2):
        return TableTest(test=FISHER_TEST, p_value=fisher_exact_p(table), statistic=None, **common)
    statistic = pearson_statistic(table, expected)
    return TableTest(test=MONTE_CARLO_TEST, p_value=monte_carlo_p(table.astype(int), expected),
                     statistic=float(statistic), **common)


def pearson_statistic(observed: np.ndarray, expected: np.ndarray) -> np.float64:
    """Pearson's chi-square statistic, summed in the order ``scipy.stats.chi2_contingency`` sums it.

    Written out because the explorer tests thousands of tables per build, and scipy's function
    spends most of each call on checking and broadcasting its arguments. The floats are the same:
    the same terms over the flattened table, in the same order (the tests compare both on a grid
    of tables); the p-value is then the same ``chdtrc`` scipy's chi-square distribution calls.
    """
    observed = np.asarray(observed, dtype=np.float64).ravel()
    expected = np.asarray(expected, dtype=np.float64).ravel()
    return np.sum((observed - expected) ** 2 / expected, axis=-1)


def monte_carlo_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """The Monte Carlo chi-square p-value ``scipy.stats.chi2_contingency`` gives with
    ``MonteCarloMethod(n_resamples=MONTE_CARLO_RESAMPLES, rng=default_rng(MONTE_CARLO_SEED))``.

    The same steps as scipy's: tables drawn by ``scipy.stats.random_table`` with the observed
    margins from a generator seeded afresh (so the same tables), Pearson's statistic of each, and
    the share at least as large as the observed one (within scipy's relative tolerance of
    100 machine epsilons), counting the observed table: (k + 1) / (resamples + 1). Without
    scipy's checking of arguments, shared with the asymptotic test, it costs the sampling alone.
    """
    from scipy import stats

    observed = np.asarray(observed)
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    drawn = stats.random_table(observed.sum(axis=1), observed.sum(axis=0), seed=rng)
    resamples = drawn.rvs(size=MONTE_CARLO_RESAMPLES).reshape(MONTE_CARLO_RESAMPLES, observed.size)
    flat_expected = np.asarray(expected, dtype=np.float64).ravel()
    null = np.sum((resamples - flat_expected) ** 2 / flat_expected, axis=-1)
    statistic = np.sum((observed.ravel() - flat_expected) ** 2 / flat_expected, axis=-1)
    gamma = np.abs(np.finfo(np.float64).eps * 100 * statistic)
    at_least = np.sum(null >= statistic - gamma, axis=0, dtype=np.float64)
    return float(np.clip((at_least + 1.0) / (MONTE_CARLO_RESAMPLES + 1.0), 0.0, 1.0))


def fisher_exact_p(table: np.ndarray | list[list[int]]) -> float:
    """The two-sided p-value of Fisher's exact test on a 2×2 table: ``scipy.stats.fisher_exact``'s,
    the same float.

    The explorer runs this test thousands of times per build, and the public function spends most
    of each call checking the arguments of every hypergeometric probability it asks for. Here the
    distribution's own functions are called directly, on the few points scipy's steps ask for (the
    same mode, relative tolerance, search for the other tail and tail functions, followed one by
    one), so the published p-values do not move; the tests compare both on every table of a grid.
    """
    c = np.asarray(table, dtype=np.int64)
    if (c.sum(axis=0) == 0).any() or (c.sum(axis=1) == 0).any():
        return 1.0
    n1, n2, n = int(c[0].sum()), int(c[1].sum()), int(c[:, 0].sum())
    total, x = n1 + n2, int(c[0, 0])
    low, high = max(n - n2, 0), min(n1, n)
    from scipy import stats

    dist = stats.hypergeom
    known: dict[int, np.float64] = {}

    def pmf(k: int) -> np.float64:
        if k < low or k > high:
            return np.float64(0.0)
        if k not in known:
            known[k] = np.clip(dist._pmf(np.int64(k), total, n1, n), 0, 1)
        return known[k]

    def cdf(k: int) -> np.float64:
        if k < low or k >= high:
            return np.float64(0.0 if k < low else 1.0)
        return np.clip(dist._cdf(np.int64(k), total, n1, n), 0, 1)

    def sf(k: int) -> np.float64:
        if k < low or k >= high:
            return np.float64(1.0 if k < low else 0.0)
        return np.clip(dist._sf(np.int64(k), total, n1, n), 0, 1)

    mode = int((n + 1) * (n1 + 1) / (total + 2))
    exact, at_mode = pmf(x), pmf(mode)
    gamma = 1 + 1e-14
    if np.abs(exact - at_mode) / np.maximum(exact, at_mode) <= 1e-14:
        return 1.0
    if x < mode:
        lower = cdf(x)
        if pmf(n) > exact * gamma:
            return float(lower)
        p_value = lower + sf(_last_at_most(lambda k: -pmf(k), -exact * gamma, mode, n))
    else:
        upper = sf(x - 1)
        if pmf(0) > exact * gamma:
            return float(upper)
        p_value = upper + cdf(_last_at_most(pmf, exact * gamma, 0, mode))
    return float(min(p_value, 1.0))


def _last_at_most(values: Callable[[int], np.float64], target: np.float64, lo: int, hi: int) -> int:
    """The i in lo…hi with values(i) ≤ target < values(i + 1), ``values`` rising on lo…hi: the
    binary search scipy's two-sided binomial and Fisher tests use, step for step."""
    while lo < hi:
        mid = lo + (hi - lo) // 2
        value = values(mid)
        if value < target:
            lo = mid + 1
        elif value > target:
            hi = mid - 1
        else:
            return mid
    return lo if values(lo) <= target else lo - 1


def two_proportions(count_a: int, base_a: int, count_b: int, base_b: int) -> TableTest | None:
    """The per-choice test of count_a/base_a against count_b/base_b: the z-test, or Fisher's exact
    test on a sparse table. ``None`` when both groups answered identically (nothing varies)."""
    if base_a <= 0 or base_b <= 0:
        raise ValueError("both bases must be positive")
    return table_test([[count_a, base_a - count_a], [count_b, base_b - count_b]], two_by_two=Z_TEST)


# ------------------------------------------------------------------------------ stratified


@dataclass(frozen=True)
class StratifiedTest:
    """The Cochran–Mantel–Haenszel test of one comparison across strata."""

    p_value: float
    statistic: float
    dof: int
    strata: int  # strata that held both groups and some variation


def stratified_test(tables: list[np.ndarray]) -> StratifiedTest | None:
    """Cochran–Mantel–Haenszel test of two groups against the columns, within strata.

    ``tables`` are 2×c tables (the two series against the choices), one per stratum. A stratum
    holding only one of the groups, or answers in one column only, says nothing about the
    association and is dropped. For 2×2 tables this is ``statsmodels``' ``StratifiedTable``
    test of a common odds ratio of 1 (without continuity correction); for 2×c tables it is the
    generalized CMH statistic of general association (Landis, Heyman & Koch 1978), on c − 1
    degrees of freedom, which equals the former when c = 2. ``None`` when no stratum is left.
    """
    arrays = [np.asarray(t, dtype=float) for t in tables]
    if not arrays or any(a.ndim != 2 or a.shape[0] != 2 for a in arrays):
        raise ValueError("a stratified test takes one 2×c table per stratum")
    if {a.shape[1] for a in arrays} == {2}:
        # A stratum with one group missing, or with everyone in one column, has no variance.
        kept = [a for a in arrays if (a.sum(axis=1) > 0).all() and (a.sum(axis=0) > 0).all()]
        if not kept:
            return None
        from statsmodels.stats.contingency_tables import StratifiedTable

        result = StratifiedTable(kept).test_null_odds(correction=False)
        if not math.isfinite(float(result.statistic)):
            return None
        return StratifiedTest(float(result.pvalue), float(result.statistic), 1, len(kept))
    return _generalized_cmh(arrays)


def _generalized_cmh(tables: list[np.ndarray]) -> StratifiedTest | None:
    """General association CMH for 2×c tables: Q = (O − E)' V⁻¹ (O − E) summed over strata, on the
    first c − 1 columns of the first row (the last is determined by the margins)."""
    arrays = [np.asarray(t, dtype=float) for t in tables]
    width = max(a.shape[1] for a in arrays)
    keep = np.zeros(width, dtype=bool)
    for a in arrays:
        keep |= a.sum(axis=0) > 0
    arrays = [a[:, keep] for a in arrays]
    c = int(keep.sum())
    if c < 2:
        return None
    diff = np.zeros(c - 1)
    var = np.zeros((c - 1, c - 1))
    used = 0
    for a in arrays:
        n = a.sum()
        rows, cols = a.sum(axis=1), a.sum(axis=0)
        if n < 2 or (rows == 0).any() or (cols > 0).sum() < 2:
            continue
        used += 1
        p = cols[:-1] / n
        diff += a[0, :-1] - rows[0] * p
        # Hypergeometric covariance of the first row's counts given both margins.
        var += rows[0] * rows[1] / (n - 1) * (np.diag(p) - np.outer(p, p))
    if used == 0:
        return None
    try:
        statistic = float(diff @ np.linalg.solve(var, diff))
    except np.linalg.LinAlgError:
        statistic = float(diff @ np.linalg.pinv(var) @ diff)
    dof = int(np.linalg.matrix_rank(var))
    if dof == 0 or not math.isfinite(statistic):
        return None
    from scipy import stats

    return StratifiedTest(float(stats.chi2.sf(statistic, dof)), statistic, dof, used)
