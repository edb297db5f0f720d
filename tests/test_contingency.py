"""Tests of tables of counts: Cochran's rule picks the test, and each test agrees with scipy and
statsmodels computed independently (exact, permutation and stratified tests)."""

from __future__ import annotations

import numpy as np
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
