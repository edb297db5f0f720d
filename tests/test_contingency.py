"""Tests of tables of counts: Cochran's rule picks the test, and each test agrees with scipy and
statsmodels computed independently (exact, permutation and stratified tests)."""

from __future__ import annotations

import itertools
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from hakusho.analysis import contingency
from hakusho.analysis.contingency import (
    CHI2_TEST,
    FISHER_TEST,
    MONTE_CARLO_TEST,
    Z_TEST,
    is_sparse,
    stratified_test,
    table_test,
    two_proportions,
)


def test_cochrans_rule_reads_the_share_of_small_expected_counts() -> None:
    # expected counts 2.5 everywhere: every cell small
    assert is_sparse([[3, 2], [2, 3]])
    # 2x5 with 2 of 10 expected under 5 (20 %): not more than 20 %, so not sparse
    table = np.array([[20, 20, 20, 20, 2], [20, 20, 20, 20, 2]])
    expected = contingency.expected_counts(table)
    assert (expected < 5).mean() == pytest.approx(0.2)
    assert not is_sparse(table)
    assert is_sparse(np.array([[20, 20, 20, 2, 2], [20, 20, 20, 2, 2]]))


def test_a_large_table_gets_the_asymptotic_chi_square_test() -> None:
    table = [[40, 30, 20], [20, 35, 45]]
    result = table_test(table)
    assert result is not None and result.test == CHI2_TEST and not result.sparse
    assert result.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    two = two_proportions(45, 60, 50, 70)
    assert two is not None and two.test == Z_TEST
    assert two.p_value == pytest.approx(stats.chi2_contingency([[45, 15], [50, 20]], correction=False).pvalue)


def test_a_sparse_two_by_two_table_gets_fishers_exact_test() -> None:
    result = two_proportions(3, 8, 20, 25)  # expected counts of "not chosen" under 5
    assert result is not None and result.test == FISHER_TEST and result.sparse
    assert result.p_value == pytest.approx(stats.fisher_exact([[3, 5], [20, 5]]).pvalue)


def _scipy_fisher(table: list[list[int]]) -> float:
    return float(stats.fisher_exact(table).pvalue)


def test_fishers_exact_p_value_is_scipys_float_on_every_small_table() -> None:
    # Every 2×2 table with cells 0…6: both tails, the mode, empty rows and columns, ties.
    for a, b, c, d in itertools.product(range(7), repeat=4):
        table = [[a, b], [c, d]]
        assert contingency.fisher_exact_p(table) == _scipy_fisher(table), table


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 600), min_size=4, max_size=4), st.integers(0, 3))
def test_fishers_exact_p_value_is_scipys_float_on_large_and_lopsided_tables(cells, small) -> None:
    # The explorer's sparse tables: a small group or rare choice beside a large rest.
    cells[small] %= 6
    table = [cells[:2], cells[2:]]
    assert contingency.fisher_exact_p(table) == _scipy_fisher(table)


def test_fishers_exact_p_value_takes_arrays_and_lists_alike() -> None:
    for table in ([[3, 5], [20, 5]], [[0, 7], [9, 1]], [[12, 0], [0, 12]], [[1, 400], [9, 52]]):
        assert contingency.fisher_exact_p(np.array(table, dtype=float)) == _scipy_fisher(table)
        assert contingency.fisher_exact_p(table) < 1.0


def test_a_sparse_larger_table_gets_a_seeded_monte_carlo_p_value_close_to_a_permutation_test() -> None:
    table = np.array([[1, 2, 9, 0], [3, 20, 20, 4]])
    result = table_test(table)
    assert result is not None and result.test == MONTE_CARLO_TEST and result.sparse
    assert result == table_test(table), "the same table always gets the same p-value"
    # The same hypothesis tested independently: shuffle which group each respondent belongs to.
    groups = np.repeat([0, 1], table.sum(axis=1))
    answers = np.concatenate([np.repeat(np.arange(table.shape[1]), row) for row in table])

    def statistic(group: np.ndarray) -> float:
        observed = np.array([[np.sum((group == g) & (answers == a)) for a in range(table.shape[1])] for g in (0, 1)])
        observed = observed[:, observed.sum(axis=0) > 0]
        return float(stats.chi2_contingency(observed, correction=False).statistic)

    permuted = stats.permutation_test((groups,), statistic, permutation_type="pairings", n_resamples=4999,
                                      alternative="greater", rng=np.random.default_rng(7))
    # Two Monte Carlo estimates of one p-value: within a few standard errors of each other.
    assert result.p_value == pytest.approx(permuted.pvalue, abs=0.02)
    # ... and not the asymptotic p-value, which is off on a table this sparse.
    asymptotic = stats.chi2_contingency(table, correction=False).pvalue
    assert abs(result.p_value - asymptotic) > 0.005


def _scipy_table_test(table: np.ndarray) -> tuple[float, float]:
    """(statistic, p-value) as scipy's chi2_contingency gives them for the test table_test picks."""
    table = np.asarray(table, dtype=float)
    statistic = float(stats.chi2_contingency(table, correction=False).statistic)
    if not is_sparse(table):
        return statistic, float(stats.chi2_contingency(table, correction=False).pvalue)
    method = stats.MonteCarloMethod(n_resamples=contingency.MONTE_CARLO_RESAMPLES,
                                    rng=np.random.default_rng(contingency.MONTE_CARLO_SEED))
    return statistic, float(stats.chi2_contingency(table.astype(int), correction=False, method=method).pvalue)


def test_chi_square_and_monte_carlo_results_are_scipys_floats_on_a_grid_of_tables() -> None:
    # 2×3 tables with cells 0…3 (sparse: Monte Carlo), and wider or taller ones, sparse or not.
    tables = [np.array([[a, b, c], [d, 3 - a, 2]]) for a, b, c, d in itertools.product(range(4), repeat=4)]
    rng = np.random.default_rng(3)
    for shape, high in [((2, 5), 40), ((2, 7), 8), ((3, 4), 60), ((4, 3), 6), ((2, 11), 25), ((2, 4), 300)]:
        tables += [rng.integers(0, high, size=shape) for _ in range(16)]
    checked = {CHI2_TEST: 0, MONTE_CARLO_TEST: 0}
    for table in tables:
        result = table_test(table)
        informative = contingency._informative(table)
        if result is None or result.test == FISHER_TEST:
            continue
        checked[result.test] += 1
        assert (result.statistic, result.p_value) == _scipy_table_test(informative), table.tolist()
    assert min(checked.values()) >= 40, checked


def test_a_table_of_fractional_counts_is_refused_not_truncated() -> None:
    # A count is a number of respondents: a fraction means something upstream went wrong, and
    # testing the truncated table would publish a p-value for a table nobody answered.
    for table in ([[1.5, 2, 9, 0], [3, 20, 20, 4]], [[10.25, 30], [15, 25]], [[40, 30, 20], [20, 35, 45.5]]):
        with pytest.raises(ValueError, match=r"^a table of counts holds whole numbers of respondents$"):
            table_test(table)
    assert table_test(np.array([[1.0, 2, 9, 0], [3, 20, 20, 4]])) == table_test([[1, 2, 9, 0], [3, 20, 20, 4]])


def test_empty_rows_and_columns_are_dropped_and_nothing_varies_is_none() -> None:
    assert table_test([[10, 0, 20], [15, 0, 25]]) == table_test([[10, 20], [15, 25]])
    assert table_test([[10, 0], [15, 0]]) is None
    assert two_proportions(0, 20, 0, 30) is None


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60), st.data())
def test_every_p_value_is_a_probability(base_a: int, base_b: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, base_a))
    b = data.draw(st.integers(0, base_b))
    result = two_proportions(a, base_a, b, base_b)
    assert result is None or 0.0 <= result.p_value <= 1.0


def test_the_stratified_test_of_two_by_two_tables_is_statsmodels_cmh() -> None:
    strata = [np.array([[30, 10], [20, 25]]), np.array([[5, 15], [8, 40]])]
    result = stratified_test(strata)
    expected = StratifiedTable(strata).test_null_odds(correction=False)
    assert result is not None and result.p_value == pytest.approx(expected.pvalue)
    assert result.dof == 1 and result.strata == 2


def test_the_generalized_cmh_equals_the_two_by_two_cmh_and_handles_wider_tables() -> None:
    strata = [np.array([[30, 10], [20, 25]]), np.array([[5, 15], [8, 40]])]
    generalized = contingency._generalized_cmh([np.asarray(t, dtype=float) for t in strata])
    assert generalized is not None
    assert generalized.p_value == pytest.approx(StratifiedTable(strata).test_null_odds(correction=False).pvalue)
    wide = [np.array([[10, 20, 30], [30, 20, 10]]), np.array([[5, 5, 5], [6, 5, 4]])]
    result = stratified_test(wide)
    assert result is not None and result.dof == 2 and 0 < result.p_value < 0.001
    # One stratum alone: the generalized CMH is the chi-square test scaled by (n - 1) / n.
    single = np.array([[10, 20, 30], [30, 20, 10]])
    chi2 = stats.chi2_contingency(single, correction=False).statistic
    alone = stratified_test([single])
    assert alone is not None and alone.statistic == pytest.approx(chi2 * (single.sum() - 1) / single.sum())


def test_a_stratum_without_both_groups_says_nothing() -> None:
    assert stratified_test([np.array([[5, 5], [0, 0]])]) is None
    with pytest.raises(ValueError):
        stratified_test([np.array([[1, 2, 3]])])


# --- each number a test reports, at the edges of Cochran's rule and of the strata


def test_expected_counts_are_row_total_times_column_total_over_n() -> None:
    assert contingency.expected_counts([[1, 0], [0, 0]]).tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert contingency.expected_counts([[2, 6], [2, 0]]).tolist() == [[3.2, 4.8], [0.8, 1.2]]
    nobody = contingency.expected_counts([[0, 0], [0, 0]])
    assert nobody.tolist() == [[0.0, 0.0], [0.0, 0.0]], "a table of nobody expects nobody, not NaN"


def test_an_expected_count_of_exactly_five_is_not_small() -> None:
    assert contingency.small_expected_share([[5.0, 5.0], [4.99, 6.0]]) == 0.25
    assert contingency.small_expected_share(np.zeros((0, 0))) == 0.0


def test_a_table_of_exactly_a_fifth_small_expected_counts_gets_the_chi_square_test() -> None:
    table = [[20, 20, 20, 20, 2], [20, 20, 20, 20, 2]]
    result = table_test(table)
    assert result is not None and result.test == CHI2_TEST and result.expected_small_share == pytest.approx(0.2)


@pytest.mark.parametrize(("table", "shape", "dof"), [
    ([[10, 20, 30], [30, 20, 10]], (2, 3), 2),
    ([[10, 20, 30, 12], [30, 20, 10, 12], [9, 9, 9, 9]], (3, 4), 6),
    ([[10, 1, 30], [30, 0, 10]], (2, 3), 2),  # a column of one answer still counts
    ([[10, 20], [0, 1], [30, 20]], (3, 2), 2),  # so does a row of one respondent
])
def test_a_test_reports_the_table_it_tested(table: list[list[int]], shape: tuple[int, int], dof: int) -> None:
    result = table_test(table)
    assert result is not None
    assert (result.shape, result.dof, result.n) == (shape, dof, int(np.sum(table)))
    expected = contingency.expected_counts(np.asarray(table, dtype=float))
    assert result.expected_min == pytest.approx(expected.min())
    if result.test != FISHER_TEST:
        assert result.statistic == pytest.approx(stats.chi2_contingency(table, correction=False).statistic)


def test_a_monte_carlo_test_reports_the_chi_square_statistic() -> None:
    table = np.array([[1, 2, 9, 0], [3, 20, 20, 4]])
    result = table_test(table)
    assert result is not None and result.test == MONTE_CARLO_TEST
    assert result.statistic == pytest.approx(stats.chi2_contingency(table, correction=False).statistic)
    assert result.shape == (2, 4) and result.dof == 3 and result.n == 59


def test_the_two_by_two_name_is_only_for_two_by_two_tables() -> None:
    assert table_test([[40, 30, 20], [20, 35, 45]], two_by_two=Z_TEST).test == CHI2_TEST
    assert table_test([[40, 30], [20, 35]], two_by_two=Z_TEST).test == Z_TEST
    assert table_test([[40, 30], [20, 35]]).test == CHI2_TEST


@pytest.mark.parametrize("table", [[[1, 2, 3]], [[1], [2], [3]], [[0, 0], [0, 0]], [[4, 0, 0], [0, 0, 0]]])
def test_a_table_without_two_informative_rows_and_columns_has_no_test(table: list[list[int]]) -> None:
    assert table_test(table) is None


def test_a_table_of_nobody_is_not_sparse() -> None:
    assert contingency.is_sparse([[0, 0], [0, 0]]) is False
    assert contingency.is_sparse(np.zeros((2, 3), dtype=int)) is False


@pytest.mark.parametrize(("base_a", "base_b"), [(0, 10), (10, 0), (-2, 10), (10, -1)])
def test_two_proportions_refuse_a_base_of_nobody(base_a: int, base_b: int) -> None:
    with pytest.raises(ValueError, match=r"^both bases must be positive$"):
        two_proportions(0, base_a, 0, base_b)


def test_a_stratified_test_takes_two_rows_per_stratum() -> None:
    for tables in ([np.array([[1, 2, 3]])], [np.array([[1, 2], [3, 4], [5, 6]])], [np.array([1, 2])], []):
        with pytest.raises(ValueError, match=r"^a stratified test takes one 2×c table per stratum$"):
            stratified_test(tables)


def test_uninformative_strata_are_dropped_and_counted_out() -> None:
    informative = [np.array([[30, 10], [20, 25]]), np.array([[5, 15], [8, 40]])]
    expected = StratifiedTable(informative).test_null_odds(correction=False)
    for extra in (np.array([[5, 5], [0, 0]]), np.array([[5, 0], [7, 0]]), np.array([[0, 0], [0, 0]])):
        result = stratified_test([*informative, extra])
        assert result is not None and result.strata == 2
        assert result.p_value == pytest.approx(expected.pvalue)
        assert result.statistic == pytest.approx(float(expected.statistic))
    tiny = np.array([[1, 0], [0, 2]])  # one respondent in a row, and in a column: still a stratum
    both = stratified_test([*informative, tiny])
    assert both is not None and both.strata == 3
    assert both.p_value == pytest.approx(StratifiedTable([*informative, tiny]).test_null_odds(correction=False).pvalue)


def test_the_generalized_cmh_of_one_stratum_among_empty_ones_is_the_scaled_chi_square() -> None:
    single = np.array([[10, 20, 30, 0], [30, 20, 10, 0]])
    chi2 = stats.chi2_contingency(single[:, :3], correction=False).statistic
    scaled = chi2 * (single.sum() - 1) / single.sum()
    useless = [np.array([[4, 0, 3, 0], [0, 0, 0, 0]]),  # one group only
               np.array([[0, 0, 3, 0], [0, 0, 5, 0]]),  # one column only
               np.array([[1, 0, 0, 0], [0, 0, 0, 0]])]  # one respondent
    for strata in ([single], [single, *useless], [*useless, single]):
        result = stratified_test(strata)
        assert result is not None and (result.dof, result.strata) == (2, 1)
        assert result.statistic == pytest.approx(scaled)
        assert result.p_value == pytest.approx(stats.chi2.sf(scaled, 2))


def test_the_generalized_cmh_counts_every_informative_stratum_and_every_answered_column() -> None:
    # The last column is answered only in the first stratum; it is still one of the columns.
    strata = [np.array([[10, 20, 5], [30, 20, 9]]), np.array([[5, 5, 0], [6, 5, 0]]), np.array([[7, 3, 0], [2, 8, 0]])]
    result = stratified_test(strata)
    assert result is not None and (result.dof, result.strata) == (2, 3)
    reversed_order = stratified_test(strata[::-1])
    assert reversed_order is not None and reversed_order.statistic == pytest.approx(result.statistic)


def test_strata_answering_different_columns_still_give_a_test() -> None:
    # Each stratum's answers fall in columns the other does not use: the covariance is singular.
    # With these margins the singular covariance is exact, so the pseudo-inverse takes over.
    for strata in ([np.array([[10, 5, 0, 0], [4, 12, 0, 0]]), np.array([[0, 0, 8, 3], [0, 0, 2, 9]])],
                   [np.array([[6, 2, 0, 0], [2, 6, 0, 0]]), np.array([[0, 0, 5, 3], [0, 0, 3, 5]])]):
        result = stratified_test(strata)
        assert result is not None and result.dof == 2 and result.strata == 2
        # Strata sharing no column add up: the statistic is the sum of each stratum's own.
        alone = [stratified_test([s[:, s.sum(axis=0) > 0]]) for s in strata]
        assert result.statistic == pytest.approx(sum(a.statistic for a in alone))
        assert result.p_value == pytest.approx(stats.chi2.sf(result.statistic, 2))


def test_small_strata_count_when_both_groups_and_two_columns_are_there() -> None:
    wide = np.array([[10, 20, 30], [30, 20, 10]])
    for small in (np.array([[1, 0, 0], [0, 1, 0]]), np.array([[1, 1, 0], [0, 1, 0]])):
        result = stratified_test([wide, small])
        assert result is not None and result.strata == 2
    once = np.array([[10, 20, 30, 1], [30, 20, 10, 0]])  # a column answered once is a column
    result = stratified_test([once])
    assert result is not None and result.dof == 3


# --- Pearson's statistic and the Monte Carlo p-value, called on their own


def test_pearsons_statistic_reads_counts_of_any_number_type_as_float64() -> None:
    # Counts kept in pandas' nullable columns reach numpy as arrays of Python objects; summed as
    # objects, the terms would add up one by one, not in numpy's pairwise order that scipy's sum
    # uses, and the last bit of the statistic would differ on some tables.
    rng = np.random.default_rng(5)
    tables = [rng.integers(1, 30, size=shape) for shape in [(2, 3), (3, 3), (2, 5), (3, 4)] for _ in range(10)]
    for table in tables:
        scipys = float(stats.chi2_contingency(table, correction=False).statistic)
        expected = contingency.expected_counts(table)
        counts = pd.DataFrame(table).astype("Int64").to_numpy()
        nullable_expected = pd.DataFrame(expected).astype("Float64").to_numpy()
        for observed, expect in [(counts, expected), (table, nullable_expected), (counts, nullable_expected)]:
            statistic = contingency.pearson_statistic(observed, expect)
            assert type(statistic) is np.float64 and statistic == scipys, table.tolist()
    # Counts and expected counts kept exact (Decimal, Fraction): their floats, scipy's statistic.
    table = np.array([[12, 3, 7], [5, 9, 14]])
    exact_counts = [[Decimal(int(x)) for x in row] for row in table]
    exact_expected = [[Fraction(x) for x in row] for row in contingency.expected_counts(table).tolist()]
    statistic = contingency.pearson_statistic(exact_counts, exact_expected)
    assert type(statistic) is np.float64
    assert statistic == stats.chi2_contingency(table, correction=False).statistic


def test_a_monte_carlo_p_value_reads_expected_counts_of_any_number_type_as_float64() -> None:
    table = np.array([[1, 2, 9, 0], [3, 20, 20, 4]])
    expected = contingency.expected_counts(table)
    p_value = contingency.monte_carlo_p(table, expected)
    assert p_value == _scipy_table_test(table)[1]
    # Expected counts kept exact, or in a nullable pandas column: their floats, the same p-value.
    for exact in (Decimal, Fraction):
        assert contingency.monte_carlo_p(table, [[exact(repr(x)) for x in row] for row in expected.tolist()]) == p_value
    assert contingency.monte_carlo_p(table, pd.DataFrame(expected).astype("Float64").to_numpy()) == p_value


def _scipy_monte_carlo_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """The p-value of scipy's Monte Carlo test of Pearson's statistic against any expected counts:
    the steps of ``chi2_contingency`` with ``MonteCarloMethod`` (tables drawn by ``random_table``
    with the observed margins, ``monte_carlo_test`` counting those at least as far from the
    expected counts), through scipy's public functions."""
    drawn = stats.random_table(observed.sum(axis=1), observed.sum(axis=0),
                               seed=np.random.default_rng(contingency.MONTE_CARLO_SEED))
    flat = np.asarray(expected, dtype=float).ravel()
    result = stats.monte_carlo_test(observed.ravel(), lambda size: drawn.rvs(size=size[0]).reshape(size),
                                    lambda t, axis: np.sum((t - flat) ** 2 / flat, axis=axis),
                                    alternative="greater", n_resamples=contingency.MONTE_CARLO_RESAMPLES)
    return float(result.pvalue)


def test_a_resampled_statistic_counts_as_large_as_the_observed_within_scipys_tolerance() -> None:
    # A drawn table whose statistic equals the observed one in exact arithmetic can come out a few
    # ulps lower in floats, so scipy counts a drawn statistic within 100 machine epsilons of the
    # observed one (relative to it) as at least as large. Here the mirror image of the observed
    # table has the same statistic while every expected count is 3; raising one expected count an
    # ulp at a time lowers the mirror's statistic by about one epsilon (relative) a step, across
    # the tolerance: counted at first, then not, at the same step as in scipy.
    observed = np.array([[1, 5], [5, 1]])
    mirror = np.array([5.0, 1.0, 1.0, 5.0])
    eps = np.finfo(np.float64).eps
    last = 3.0
    p_values, gaps = set(), []
    for _ in range(140):
        expected = np.array([[3.0, 3.0], [3.0, last]])
        p_value = contingency.monte_carlo_p(observed, expected)
        assert p_value == _scipy_monte_carlo_p(observed, expected), last
        p_values.add(p_value)
        statistic = contingency.pearson_statistic(observed, expected)
        gaps.append((statistic - contingency.pearson_statistic(mirror, expected)) / (eps * statistic))
        last = float(np.nextafter(last, 4.0))
    assert len(p_values) == 2, "the mirror is counted, then not"
    assert any(98.5 < gap < 100 for gap in gaps) and any(100 < gap < 101 for gap in gaps), "steps on both sides"


def test_tests_of_tables_raise_no_warnings() -> None:
    # Including a table that is its own expected table (statistic 0: every drawn table counts).
    tables = [[[1, 2, 3], [1, 2, 3]], [[1, 2, 9, 0], [3, 20, 20, 4]], [[0, 1, 0], [2, 0, 3]], [[3, 5], [20, 5]],
              [[40, 30, 20], [20, 35, 45]]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [table_test(table) for table in tables]
    assert [r.test for r in results] == [MONTE_CARLO_TEST] * 3 + [FISHER_TEST, CHI2_TEST]
    assert (results[0].statistic, results[0].p_value) == (0.0, 1.0)
    for table, result in zip(tables, results, strict=True):
        if result.test != FISHER_TEST:
            informative = contingency._informative(np.array(table))
            assert (result.statistic, result.p_value) == _scipy_table_test(informative), table
