"""Multiple-comparison control: Holm within a chart, Benjamini–Hochberg across a report, checked
against statsmodels; the adjusted p decides every flag."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stats_reference import multipletests

from hakusho.analysis.multiplicity import ALPHA, adjust, benjamini_hochberg, holm, is_significant, stored_p

P = st.floats(min_value=1e-12, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(P, min_size=1, max_size=30))
def test_holm_is_statsmodels_holm(p_values: list[float]) -> None:
    expected = multipletests(p_values, alpha=ALPHA, method="holm")[1]
    assert holm(p_values) == pytest.approx(list(expected), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(P, min_size=1, max_size=30))
def test_bh_is_statsmodels_fdr_bh(p_values: list[float]) -> None:
    expected = multipletests(p_values, alpha=ALPHA, method="fdr_bh")[1]
    assert benjamini_hochberg(p_values) == pytest.approx(list(expected), rel=1e-9)


def test_the_reviewed_logo_retention_case_is_not_significant_after_adjustment() -> None:
    # One per-choice hit among eleven (p = 0.0398): Holm's first threshold is 0.05 / 11 = 0.0045.
    kpis = {f"k{i:02d}": p for i, p in enumerate([0.0398, 0.21, 0.33, 0.41, 0.48, 0.52, 0.6, 0.7, 0.81, 0.9, 0.95])}
    out = adjust({"kpis_tracked": kpis})["kpis_tracked"]["k00"]
    assert out["p_family"] == pytest.approx(0.0398 * 11)
    assert out["p_report"] == pytest.approx(0.0398 * 11)
    assert out["p_adjusted"] > ALPHA and is_significant(out["p_adjusted"]) is False


def test_adjusted_p_is_the_larger_of_holm_within_and_bh_across() -> None:
    families = {"a": {"x": 0.001, "y": 0.04}, "b": {"d": 0.03}, "c": {"d": 0.9}}
    out = adjust(families)
    order = [("a", "x"), ("a", "y"), ("b", "d"), ("c", "d")]
    bh = dict(zip(order, multipletests([families[f][k] for f, k in order], method="fdr_bh")[1], strict=True))
    for fam, tests in families.items():
        within = dict(zip(sorted(tests), multipletests([tests[k] for k in sorted(tests)], method="holm")[1],
                          strict=True))
        for key in tests:
            got = out[fam][key]
            assert got["p_family"] == pytest.approx(within[key])
            assert got["p_report"] == pytest.approx(bh[(fam, key)])
            assert got["p_adjusted"] == max(got["p_family"], got["p_report"])


def test_adjustment_does_not_depend_on_the_order_tests_were_found_in() -> None:
    one = adjust({"a": {"x": 0.01, "y": 0.2}, "b": {"z": 0.03}})
    two = adjust({"b": {"z": 0.03}, "a": {"y": 0.2, "x": 0.01}})
    assert one == two


def test_stored_p_keeps_twelve_digits_and_the_flag_reads_the_stored_value() -> None:
    assert stored_p(0.049999999999987) == 0.05
    assert is_significant(stored_p(0.049999999999987)) is False
    assert stored_p(1.23456789012345e-9) == 1.23456789012e-9
    assert is_significant(None) is None
    assert holm([]) == [] and benjamini_hochberg([]) == []


def test_the_array_form_adjusts_like_the_mapping_form_and_keeps_shapes_and_untested_cells() -> None:
    import numpy as np

    from hakusho.analysis.multiplicity import adjust_arrays

    nan = float("nan")
    families = [np.array([[0.001, nan], [0.04, 0.3]]), np.array([nan, nan]), np.array([0.02]),
                np.array([0.5, 0.011, 0.049, nan, 0.0002])]
    out = adjust_arrays(families)
    as_mapping = {f"f{i}": {f"k{j:02d}": float(p) for j, p in enumerate(a.ravel()) if not np.isnan(p)}
                  for i, a in enumerate(families)}
    expected = adjust({k: v for k, v in as_mapping.items() if v})
    assert [a.shape for a in out] == [a.shape for a in families]
    for i, (family, adjusted) in enumerate(zip(families, out, strict=True)):
        assert np.array_equal(np.isnan(family), np.isnan(adjusted)), "untested cells stay untested"
        for j, p in enumerate(adjusted.ravel()):
            if not np.isnan(p):
                assert p == pytest.approx(expected[f"f{i}"][f"k{j:02d}"]["p_adjusted"], rel=1e-9)
    assert adjust_arrays([]) == [] and np.isnan(adjust_arrays([np.array([nan])])[0]).all()
