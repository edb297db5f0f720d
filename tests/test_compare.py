"""Side-by-side views, year-over-year changes and the significance tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from stats_reference import multipletests
from statsmodels.stats.contingency_tables import StratifiedTable

from hakusho.analysis.compare import (
    CHI2_TEST,
    CMH_TEST,
    Z_TEST,
    change_points,
    distribution_chi2_test,
    proportion_z_test,
    raw_families,
    readjust,
    series_tests,
    side_by_side,
    yoy_tests,
)
from hakusho.analysis.contingency import FISHER_TEST, MONTE_CARLO_TEST
from hakusho.analysis.tabulate import TABLE_COLUMNS, percent, stack_series


def _table(rows: list[tuple[str, int | None]], base: int) -> pd.DataFrame:
    out = []
    for code, (key, count) in enumerate(rows, start=1):
        pct = math.nan if count is None else percent(count, base)
        out.append((code, key, key.upper(), key.upper(), count, base, pct))
    table = pd.DataFrame(out, columns=TABLE_COLUMNS)
    table["count"] = table["count"].astype("Int64")
    return table


def _yoy(now: list[tuple[str, int | None]], base_now: int, then: list[tuple[str, int | None]],
         base_then: int) -> pd.DataFrame:
    return stack_series({"2025": _table(now, base_now), "2023": _table(then, base_then)})


def test_z_test_matches_the_textbook_formula() -> None:
    # 45/60 vs 50/70: pooled p = 95/130
    p = 95 / 130
    z = (45 / 60 - 50 / 70) / math.sqrt(p * (1 - p) * (1 / 60 + 1 / 70))
    assert proportion_z_test(45, 60, 50, 70) == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_z_test_without_variance_is_not_significant() -> None:
    assert proportion_z_test(0, 50, 0, 40) == 1.0
    assert proportion_z_test(50, 50, 40, 40) == 1.0
    with pytest.raises(ValueError):
        proportion_z_test(1, 0, 1, 10)


def test_chi2_agrees_with_scipy_and_drops_empty_buckets() -> None:
    expected = stats.chi2_contingency([[10, 20, 25], [30, 20, 20]], correction=False).pvalue
    assert distribution_chi2_test([10, 0, 20, 25], [30, 0, 20, 20]) == pytest.approx(expected)
    assert distribution_chi2_test([5, 0], [7, 0]) == 1.0


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.data())
def test_p_values_are_probabilities(base_a: int, base_b: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, base_a))
    b = data.draw(st.integers(0, base_b))
    assert 0.0 <= proportion_z_test(a, base_a, b, base_b) <= 1.0


def test_change_points_are_differences_of_rounded_shares() -> None:
    table = _yoy([("x", 1), ("y", 2)], 3, [("x", 1), ("y", 5)], 6)
    # 33.3 - 16.7 = 16.6 (not 16.666… rounded to 16.7)
    assert change_points(table, "2025", "2023") == {"x": 16.6, "y": -16.6}
    exact = _yoy([("x", 1025)], 10000, [("x", 1010)], 10000)  # 10.3 - 10.1, free of float residue
    assert change_points(exact, "2025", "2023") == {"x": 0.2}


def test_yoy_tests_for_multiple_answers_are_per_choice() -> None:
    table = _yoy([("crm", 45), ("sheet", 20), ("ai", 10)], 60, [("crm", 50), ("sheet", 40), ("ai", None)], 70)
    found = yoy_tests(table, answer="multi", report_series="2025", compare_series="2023", keys=["crm", "sheet", "ai"])
    tests = {t["key"]: t for t in found.choices}
    assert found.distribution is None
    assert tests["crm"]["test"] == Z_TEST and tests["crm"]["significant"] is False
    assert tests["crm"]["change_pt"] == round(75.0 - 71.4, 1)
    # p-values are stored unrounded (twelve digits); the flag reads the adjusted one.
    assert tests["sheet"]["p_value"] == pytest.approx(proportion_z_test(20, 60, 40, 70), rel=1e-11)
    raw = [tests["crm"]["p_value"], tests["sheet"]["p_value"]]
    holm = multipletests(raw, method="holm")[1]
    assert tests["sheet"]["p_family"] == pytest.approx(holm[1]) and tests["crm"]["p_family"] == pytest.approx(holm[0])
    assert tests["sheet"]["significant"] is bool(tests["sheet"]["p_adjusted"] < 0.05)
    # a choice new in 2025 has nothing to compare with
    assert tests["ai"]["change_pt"] is None and tests["ai"]["p_value"] is None and tests["ai"]["significant"] is None


def test_yoy_tests_for_ordinal_answers_test_the_whole_distribution() -> None:
    table = _yoy([("low", 10), ("mid", 20), ("high", 25)], 55, [("low", 30), ("mid", 20), ("high", 20)], 70)
    found = yoy_tests(table, answer="ordinal", report_series="2025", compare_series="2023",
                      keys=["low", "mid", "high"])
    p = stats.chi2_contingency([[10, 20, 25], [30, 20, 20]], correction=False).pvalue
    assert found.distribution is not None and found.distribution["test"] == CHI2_TEST
    assert found.distribution["p_value"] == pytest.approx(p, rel=1e-11)
    assert found.distribution["significant"] is bool(p < 0.05)
    # The distribution test says nothing about a bucket: buckets carry their change, no flag.
    assert all(t["significant"] is None and t["p_value"] is None for t in found.choices)
    assert [t["change_pt"] for t in found.choices] == [round(18.2 - 42.9, 1), round(36.4 - 28.6, 1),
                                                       round(45.5 - 28.6, 1)]


def test_sparse_tables_take_the_exact_or_monte_carlo_test() -> None:
    table = _yoy([("a", 2), ("b", 9)], 11, [("a", 20), ("b", 30)], 50)
    found = yoy_tests(table, answer="multi", report_series="2025", compare_series="2023", keys=["a", "b"])
    a = next(t for t in found.choices if t["key"] == "a")
    assert a["test"] == FISHER_TEST and a["sparse"] is True
    assert a["p_value"] == pytest.approx(stats.fisher_exact([[2, 9], [20, 30]]).pvalue)
    ordinal = yoy_tests(_yoy([("lo", 1), ("mid", 2), ("hi", 9)], 12, [("lo", 3), ("mid", 20), ("hi", 20)], 43),
                        answer="ordinal", report_series="2025", compare_series="2023", keys=["lo", "mid", "hi"])
    assert ordinal.distribution is not None and ordinal.distribution["test"] == MONTE_CARLO_TEST


def test_readjusting_across_a_report_uses_every_test_of_it() -> None:
    table = _yoy([("crm", 45), ("sheet", 20)], 60, [("crm", 50), ("sheet", 40)], 70)
    alone = yoy_tests(table, answer="multi", report_series="2025", compare_series="2023", keys=["crm", "sheet"])
    chart = {"kpis": alone}
    plain, _ = raw_families(chart)
    report = {**plain, "other": {"x": 0.2, "y": 0.5, "z": 0.9}}
    wide = readjust(chart, report=report)["kpis"]
    sheet = next(t for t in wide.choices if t["key"] == "sheet")
    order = [p for fam in sorted(report) for _, p in sorted(report[fam].items())]
    bh = dict(zip([(fam, k) for fam in sorted(report) for k in sorted(report[fam])],
                  multipletests(order, method="fdr_bh")[1], strict=True))
    assert sheet["p_report"] == pytest.approx(bh[("kpis", "sheet")])
    assert sheet["p_adjusted"] == max(sheet["p_family"], sheet["p_report"])
    with pytest.raises(ValueError, match="not those the report"):
        readjust(chart, report={"kpis": {"crm": 0.5, "sheet": 0.5}})


def test_no_test_below_the_suppression_line() -> None:
    table = _yoy([("a", 2), ("b", 2)], 4, [("a", 30), ("b", 40)], 70)
    tests = yoy_tests(table, answer="single", report_series="2025", compare_series="2023", keys=["a", "b"]).choices
    assert all(t["p_value"] is None and t["significant"] is None and t["change_pt"] is None for t in tests)


def test_side_by_side_has_one_row_per_choice() -> None:
    table = _yoy([("a", 2), ("b", 20)], 22, [("a", 30), ("b", 40)], 70)
    wide = side_by_side(table, lang="en")
    assert wide.index.tolist() == ["a", "b"]
    assert wide.columns.tolist() == ["choice", "2025 n", "2025 %", "2023 n", "2023 %"]
    assert wide.loc["b", "2025 %"] == percent(20, 22)
    assert wide.loc["a", "choice"] == "A"


def test_series_tests_compare_any_two_series_first_minus_second() -> None:
    table = stack_series({"saas": _table([("a", 40), ("b", 10)], 50), "non_saas": _table([("a", 30), ("b", 40)], 70)})
    tests = series_tests(table, answer="single", first="saas", second="non_saas", keys=["a", "b"]).choices
    assert [t["series"] for t in tests] == [["saas", "non_saas"]] * 2
    assert tests[0]["change_pt"] == round(80.0 - 42.9, 1) and tests[1]["change_pt"] == round(20.0 - 57.1, 1)
    # the pooled z-test equals the uncorrected chi-square test of the 2x2 table
    p = stats.chi2_contingency([[40, 10], [30, 40]], correction=False).pvalue
    assert tests[0]["p_value"] == pytest.approx(p, rel=1e-11) and tests[0]["significant"] is True
    swapped = series_tests(table, answer="single", first="non_saas", second="saas", keys=["a", "b"]).choices
    assert [t["change_pt"] for t in swapped] == [-t["change_pt"] for t in tests]
    assert [t["p_value"] for t in swapped] == [t["p_value"] for t in tests]


def test_segment_tests_within_strata_are_the_cmh_test_of_statsmodels() -> None:
    table = stack_series({"saas": _table([("a", 40), ("b", 10)], 50), "non_saas": _table([("a", 30), ("b", 40)], 70)})
    strata = {
        "sns": stack_series({"saas": _table([("a", 30), ("b", 7)], 37), "non_saas": _table([("a", 5), ("b", 4)], 9)}),
        "panel": stack_series({"saas": _table([("a", 10), ("b", 3)], 13),
                               "non_saas": _table([("a", 25), ("b", 36)], 61)}),
    }
    tests = series_tests(table, answer="single", first="saas", second="non_saas", keys=["a", "b"], strata=strata)
    a = tests.choices[0]
    expected = StratifiedTable([np.array([[30, 7], [5, 4]]), np.array([[10, 3], [25, 36]])]).test_null_odds(
        correction=False).pvalue
    assert a["route"]["p_value"] == pytest.approx(expected, rel=1e-9)
    assert a["route"]["test"] == CMH_TEST and isinstance(a["route"]["significant"], bool)

# --- what each function promises at its edges: labels per language, missing rows, refused bases


def _labelled(rows: list[tuple[str, int, str, str]], base: int) -> pd.DataFrame:
    out = [(code, key, ja, en, count, base, percent(count, base))
           for code, (key, count, ja, en) in enumerate(rows, start=1)]
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


def test_side_by_side_labels_choices_in_the_language_asked_for() -> None:
    table = stack_series({"2025": _labelled([("a", 3, "はい", "Yes"), ("b", 9, "いいえ", "No")], 12)})
    assert side_by_side(table)["choice"].tolist() == ["はい", "いいえ"], "Japanese by default"
    assert side_by_side(table, lang="ja")["choice"].tolist() == ["はい", "いいえ"]
    assert side_by_side(table, lang="en")["choice"].tolist() == ["Yes", "No"]


def test_side_by_side_rows_are_the_first_series_choices_and_a_missing_count_stays_empty() -> None:
    table = stack_series({"2025": _labelled([("a", 3, "甲", "A"), ("b", 9, "乙", "B")], 12),
                          "2023": _labelled([("a", 5, "甲", "A")], 20)})
    wide = side_by_side(table, lang="en")
    assert wide.index.name == "key" and wide.index.tolist() == ["a", "b"]
    assert str(wide["2025 n"].dtype) == "Int64" and str(wide["2023 n"].dtype) == "Int64"
    assert wide["2025 n"].tolist() == [3, 9]
    assert wide.loc["a", "2023 n"] == 5 and pd.isna(wide.loc["b", "2023 n"])
    assert wide.loc["a", "2023 %"] == 25.0 and pd.isna(wide.loc["b", "2023 %"])


def test_side_by_side_of_an_empty_table_is_empty() -> None:
    wide = side_by_side(stack_series({}))
    assert len(wide) == 0 and wide.columns.tolist() == ["choice"]


@pytest.mark.parametrize(("base_a", "base_b"), [(0, 10), (10, 0), (-1, 10), (10, -3), (0, 0)])
def test_a_z_test_refuses_a_base_of_nobody(base_a: int, base_b: int) -> None:
    from hakusho.analysis.compare import proportion_z_tests

    with pytest.raises(ValueError, match=r"^both bases must be positive$"):
        proportion_z_test(0, base_a, 0, base_b)
    with pytest.raises(ValueError, match=r"^both bases must be positive$"):
        proportion_z_tests([1, 0], [5, base_a], [1, 0], [5, base_b])


def test_z_tests_over_arrays_equal_the_single_tests() -> None:
    from hakusho.analysis.compare import proportion_z_tests

    counts_a, bases_a, counts_b, bases_b = [45, 0, 7, 30], [60, 12, 7, 31], [50, 0, 3, 2], [70, 9, 9, 40]
    many = proportion_z_tests(counts_a, bases_a, counts_b, bases_b)
    singles = [proportion_z_test(*args) for args in zip(counts_a, bases_a, counts_b, bases_b, strict=True)]
    assert many.tolist() == singles
    assert many[1] == 1.0 and many[0] < 1.0


def test_a_change_needs_both_shares() -> None:
    table = _yoy([("x", 1), ("y", None), ("z", 2)], 4, [("x", None), ("y", 1), ("z", 1)], 4)
    assert change_points(table, "2025", "2023") == {"x": None, "y": None, "z": 25.0}
    assert change_points(table, "2025", "2023")["x"] is None
    fewer = _yoy([("x", 1), ("new", 2)], 4, [("x", 2)], 4)  # a choice the earlier wave did not offer
    assert change_points(fewer, "2025", "2023") == {"x": -25.0, "new": None}


def test_a_distribution_test_keeps_every_answered_bucket_and_needs_two() -> None:
    # two buckets: the uncorrected chi-square test (no Yates correction)
    assert distribution_chi2_test([12, 30], [25, 20]) == pytest.approx(
        stats.chi2_contingency([[12, 30], [25, 20]], correction=False).pvalue)
    # a bucket chosen once is still a bucket
    once = [[1, 30, 20, 25, 22, 30, 28, 26, 24, 21], [0, 25, 20, 31, 20, 26, 30, 22, 25, 28]]
    assert distribution_chi2_test(*once) == pytest.approx(stats.chi2_contingency(once, correction=False).pvalue)
    assert distribution_chi2_test([0, 9, 0], [0, 12, 0]) == 1.0, "one bucket: nothing to compare"


def test_a_distribution_against_a_series_of_nobody_is_not_tested() -> None:
    assert distribution_chi2_test([0, 0, 0], [5, 6, 7]) == 1.0
    assert distribution_chi2_test([5, 6, 7], [0, 0, 0]) == 1.0


# --- the entries a chart's tests hand to every output


UNTESTED = {"test": None, "p_value": None, "significant": None}
ADJUSTED = {"p_family", "p_report", "p_adjusted"}


def test_every_entry_says_what_it_compares_and_how() -> None:
    table = _yoy([("crm", 45), ("sheet", 20), ("ai", 10)], 60, [("crm", 50), ("sheet", 40)], 70)
    found = series_tests(table, answer="multi", first="2025", second="2023", keys=["crm", "sheet", "ai"])
    crm, sheet, ai = found.choices
    assert ai == {"key": "ai", "series": ["2025", "2023"], "scope": "choice", "change_pt": None, **UNTESTED}
    assert set(crm) == {"key", "series", "scope", "change_pt", "test", "p_value", "sparse", "significant", *ADJUSTED}
    assert (crm["key"], crm["series"], crm["scope"], crm["test"], crm["sparse"]) == (
        "crm", ["2025", "2023"], "choice", Z_TEST, False)
    assert crm["significant"] is (crm["p_adjusted"] < 0.05) and sheet["change_pt"] == round(33.3 - 57.1, 1)
    assert found.distribution is None and found.family == "chart" and found.route_raw is None
    assert found.tested() == [crm, sheet]


def test_an_ordinal_chart_has_bucket_changes_and_one_distribution_entry() -> None:
    table = _yoy([("low", 10), ("mid", 20), ("high", 25)], 55, [("low", 30), ("mid", 20), ("high", 20)], 70)
    found = series_tests(table, answer="ordinal", first="2025", second="2023", keys=["low", "mid", "high"],
                         family="satisfaction")
    assert found.choices[0] == {"key": "low", "series": ["2025", "2023"], "scope": "bucket",
                                "change_pt": round(18.2 - 42.9, 1), **UNTESTED}
    assert all(e["scope"] == "bucket" and e["test"] is None for e in found.choices)
    d = found.distribution
    assert d is not None and set(d) == {"key", "series", "scope", "test", "p_value", "sparse", "significant", *ADJUSTED}
    assert (d["key"], d["series"], d["scope"], d["test"], d["sparse"]) == (
        "distribution", ["2025", "2023"], "distribution", CHI2_TEST, False)
    assert found.family == "satisfaction" and found.tested() == [d]


def test_when_nothing_varies_the_test_is_named_and_finds_nothing() -> None:
    table = _yoy([("a", 0), ("b", 12)], 12, [("a", 0), ("b", 20)], 20)
    a = series_tests(table, answer="multi", first="2025", second="2023", keys=["a", "b"]).choices[0]
    assert (a["test"], a["p_value"], a["sparse"], a["significant"]) == (Z_TEST, 1.0, False, False)
    one_bucket = _yoy([("lo", 0), ("hi", 12)], 12, [("lo", 0), ("hi", 20)], 20)
    d = series_tests(one_bucket, answer="ordinal", first="2025", second="2023", keys=["lo", "hi"]).distribution
    assert d is not None and (d["test"], d["p_value"], d["sparse"], d["significant"]) == (CHI2_TEST, 1.0, False, False)


@pytest.mark.parametrize(("base_a", "base_b", "tested"), [(10, 10, True), (9, 40, False), (40, 9, False)])
def test_the_suppression_line_decides_what_is_tested(base_a: int, base_b: int, tested: bool) -> None:
    table = _yoy([("a", 5), ("b", base_a - 5)], base_a, [("a", 3), ("b", base_b - 3)], base_b)
    multi = series_tests(table, answer="multi", first="2025", second="2023", keys=["a", "b"])
    assert [e["p_value"] is not None for e in multi.choices] == [tested, tested]
    assert [e["change_pt"] is not None for e in multi.choices] == [tested, tested]
    ordinal = series_tests(table, answer="ordinal", first="2025", second="2023", keys=["a", "b"])
    assert (ordinal.distribution is not None) is tested
    assert [e["change_pt"] is not None for e in ordinal.choices] == [tested, tested]
    strata = {"sns": table}
    routed = series_tests(table, answer="multi", first="2025", second="2023", keys=["a", "b"], strata=strata)
    assert bool(routed.route_raw) is tested


def test_a_choice_missing_from_the_second_series_is_not_tested() -> None:
    table = _yoy([("a", 30), ("b", 20), ("new", 9)], 50, [("a", 20), ("b", 40)], 60)
    found = series_tests(table, answer="single", first="2025", second="2023", keys=["a", "b", "new"])
    assert [e["p_value"] is None for e in found.choices] == [False, False, True]
    only = _yoy([("x", 30)], 50, [("x", 20)], 60)  # a chart of one choice
    assert series_tests(only, answer="multi", first="2025", second="2023", keys=["x"]).choices[0]["p_value"] is not None
    apart = _yoy([("x", 30)], 50, [("z", 20)], 60)  # nothing in common
    assert series_tests(apart, answer="multi", first="2025", second="2023", keys=["x"]).choices[0]["p_value"] is None


def _strata_table(saas: list[tuple[str, int]], base_s: int, other: list[tuple[str, int]], base_o: int) -> pd.DataFrame:
    return stack_series({"saas": _table(saas, base_s), "non_saas": _table(other, base_o)})


def test_an_ordinal_comparison_within_strata_is_the_generalized_cmh_test() -> None:
    from hakusho.analysis.contingency import stratified_test

    keys = ["lo", "mid", "hi"]
    table = _strata_table([("lo", 20), ("mid", 30), ("hi", 25)], 75, [("lo", 30), ("mid", 30), ("hi", 10)], 70)
    strata = {
        "only_saas": stack_series({"saas": _table([("lo", 3), ("mid", 4), ("hi", 5)], 12)}),
        "sns": _strata_table([("lo", 10), ("mid", 15), ("hi", 15)], 40, [("lo", 20), ("mid", 10), ("hi", 5)], 35),
        "panel": _strata_table([("lo", 10), ("mid", 15), ("hi", 10)], 35, [("lo", 10), ("mid", 20), ("hi", 5)], 35),
    }
    found = series_tests(table, answer="ordinal", first="saas", second="non_saas", keys=keys, strata=strata)
    expected = stratified_test([np.array([[10, 15, 15], [20, 10, 5]]), np.array([[10, 15, 10], [10, 20, 5]])])
    assert expected is not None and found.route_raw == {"distribution": pytest.approx(expected.p_value, rel=1e-9)}
    route = found.distribution["route"]
    assert route["test"] == CMH_TEST and route["p_value"] == pytest.approx(expected.p_value, rel=1e-9)
    assert route["significant"] is (route["p_adjusted"] < 0.05)


def test_strata_that_never_hold_both_series_give_no_route_test() -> None:
    table = _strata_table([("a", 40), ("b", 10)], 50, [("a", 30), ("b", 40)], 70)
    strata = {"sns": stack_series({"saas": _table([("a", 40), ("b", 10)], 50)}),
              "panel": stack_series({"non_saas": _table([("a", 30), ("b", 40)], 70)})}
    found = series_tests(table, answer="single", first="saas", second="non_saas", keys=["a", "b"], strata=strata)
    assert found.route_raw == {}
    assert [e["route"] for e in found.choices] == [None, None]
    assert all(e["p_value"] is not None for e in found.choices)


def test_readjusting_keeps_the_chart_and_adjusts_route_tests_across_the_report() -> None:
    table = _strata_table([("a", 40), ("b", 10)], 50, [("a", 30), ("b", 40)], 70)
    strata = {"sns": _strata_table([("a", 30), ("b", 7)], 37, [("a", 5), ("b", 4)], 9),
              "panel": _strata_table([("a", 10), ("b", 3)], 13, [("a", 25), ("b", 36)], 61)}
    chart = series_tests(table, answer="single", first="saas", second="non_saas", keys=["a", "b"], strata=strata,
                         family="tools")
    plain, route = raw_families({"tools": chart})
    others = {"other": {"x": 0.01, "y": 0.02, "z": 0.03}}
    wide = readjust({"tools": chart}, report={**plain, **others}, report_route={**route, **others})["tools"]
    assert (wide.family, wide.route_raw, wide.distribution) == ("tools", chart.route_raw, None)
    order = [(fam, k) for fam in sorted({**route, **others}) for k in sorted({**route, **others}[fam])]
    raw = [{**route, **others}[fam][k] for fam, k in order]
    bh = dict(zip(order, multipletests(raw, method="fdr_bh")[1], strict=True))
    a = wide.choices[0]
    assert a["route"]["p_report"] == pytest.approx(bh[("tools", "a")])
    assert a["route"]["p_report"] != chart.choices[0]["route"]["p_report"]
    with pytest.raises(ValueError, match="not those the report"):
        readjust({"tools": chart}, report=others)
