"""Numbers per language: shares, counts, bases, changes in points, p-values and periods."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho.text import numbers


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_shares_keep_one_decimal_in_both_languages(lang: str) -> None:
    assert numbers.pct(86.0, lang) == "86.0%"
    assert numbers.pct(0.4, lang) == "0.4%"
    assert numbers.pct(100, lang) == "100.0%"


def test_counts_and_bases_use_thousands_separators() -> None:
    assert numbers.count(1234, "ja") == "1,234"
    assert numbers.count(781, "en") == "781"
    assert numbers.base_n(1234, "en") == "n=1,234"


def test_points_carry_sign_and_unit_per_language() -> None:
    assert numbers.points(3.2, "en") == "+3.2 pt"
    assert numbers.points(3.2, "ja") == "+3.2ポイント"
    assert numbers.points(-1.5, "en") == "\u22121.5 pt"
    assert numbers.points(0.0, "ja") == "±0.0ポイント"
    assert numbers.magnitude(-1.5, "en") == "1.5"


def test_missing_values_are_never_formatted_silently() -> None:
    with pytest.raises(ValueError):
        numbers.pct(None, "ja")
    with pytest.raises(ValueError):
        numbers.points(None, "en")
    assert numbers.pct_cell(None, "en") == numbers.DASH
    assert numbers.points_cell(None, "ja") == numbers.DASH
    with pytest.raises(ValueError):
        numbers.pct(1.0, "fr")


def test_p_values_and_levels() -> None:
    assert numbers.p_value(0.0421, "en") == "p=0.042"
    assert numbers.p_value(0.00001, "ja") == "p<0.001"
    assert numbers.level(0.05, "ja") == "5%"


def test_survey_period_reads_naturally() -> None:
    ja = numbers.date_range("2024-12-01", "2024-12-31", "ja")
    en = numbers.date_range("2024-12-01", "2024-12-31", "en")
    assert ja.startswith("2024年12月1日") and "31日" in ja
    assert "Dec" in en and "2024" in en and "31" in en
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", en)


@given(st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: round(v, 1)))
def test_a_share_reads_back_as_its_value(value: float) -> None:
    for lang in ("ja", "en"):
        text = numbers.pct(value, lang)
        assert text.endswith("%")
        assert float(text[:-1].replace(",", "")) == pytest.approx(value)


@given(st.floats(min_value=-100, max_value=100, allow_nan=False).map(lambda v: round(v, 1)))
def test_a_change_reads_back_with_its_sign(value: float) -> None:
    text = numbers.points(value, "en")
    sign, number = text[0], float(text[1:].removesuffix(" pt"))
    assert number == pytest.approx(abs(value))
    if number == 0:
        assert sign == "±"
    else:
        assert sign == ("+" if value > 0 else numbers.MINUS)


# --------------------------------------------------------------------------- every promise, edge by edge


@pytest.mark.parametrize("call", [
    lambda: numbers.pct(1.0, "fr"), lambda: numbers.count(1, "de"), lambda: numbers.points(1.0, "zh"),
    lambda: numbers.magnitude(1.0, "ko"), lambda: numbers.p_value(0.5, "es"), lambda: numbers.level(0.05, "it"),
    lambda: numbers.date_range("2024-12-01", "2024-12-31", "pt"), lambda: numbers.base_n(3, "fr"),
    lambda: numbers.pct_cell(1.0, "fr"), lambda: numbers.points_cell(1.0, "fr"),
])
def test_an_unknown_language_is_refused_by_name(call) -> None:
    with pytest.raises(ValueError, match=r"^unknown language '[a-z]{2}' \(valid: ja, en\)$"):
        call()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_large_and_negative_numbers_group_digits_and_use_a_true_minus(lang: str) -> None:
    assert numbers.pct(1234.5, lang) == "1,234.5%"
    assert numbers.pct(-1.5, lang) == "\u22121.5%"
    assert numbers.count(1234567, lang) == "1,234,567"
    assert numbers.count(-3, lang) == "\u22123"
    assert numbers.count(12.7, lang) == "12"  # a count is whole
    assert numbers.base_n(257, lang) == "n=257"
    assert numbers.base_n(0, lang) == "n=0"


def test_a_missing_value_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match=r"^a missing value cannot be formatted$"):
        numbers.pct(float("nan"), "en")
    with pytest.raises(ValueError, match=r"^a missing value cannot be formatted$"):
        numbers.pct(None, "en")
    with pytest.raises(ValueError, match=r"^a missing count cannot be formatted$"):
        numbers.count(None, "ja")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^a missing change cannot be formatted$"):
        numbers.points(None, "ja")
    with pytest.raises(ValueError, match=r"^a missing change cannot be formatted$"):
        numbers.magnitude(None, "en")
    with pytest.raises(ValueError, match=r"^a missing p-value cannot be formatted$"):
        numbers.p_value(None, "en")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cells_show_a_dash_only_where_there_is_no_value(lang: str) -> None:
    assert numbers.pct_cell(float("nan"), lang) == numbers.DASH == "\u2014"
    assert numbers.pct_cell(None, lang) == numbers.DASH
    assert numbers.pct_cell(86.0, lang) == "86.0%"
    assert numbers.pct_cell(0.0, lang) == "0.0%"
    assert numbers.points_cell(0.0, lang) == numbers.points(0.0, lang)  # no change is a value
    assert numbers.points_cell(-2.5, lang) == numbers.points(-2.5, lang)


def test_changes_in_points_round_to_one_decimal_with_the_sign_of_what_is_shown() -> None:
    assert numbers.points(12.34, "en") == "+12.3 pt"
    assert numbers.points(1234.5, "en") == "+1,234.5 pt"
    assert numbers.points(-0.04, "en") == "±0.0 pt"  # shows as 0.0, so no sign
    assert numbers.points(0.04, "ja") == "±0.0ポイント"
    assert numbers.points(-0.06, "ja") == "\u22120.1ポイント"
    assert numbers.points(0.06, "en") == "+0.1 pt"
    assert numbers.magnitude(-12.34, "ja") == "12.3"
    assert numbers.magnitude(1234.5, "en") == "1,234.5"
    assert numbers.magnitude(0, "en") == "0.0"


def test_p_values_switch_to_a_bound_below_one_in_a_thousand() -> None:
    assert numbers.p_value(0.001, "en") == "p=0.001"
    assert numbers.p_value(0.000999, "en") == "p<0.001"
    assert numbers.p_value(0.0, "ja") == "p<0.001"
    assert numbers.p_value(1.0, "ja") == "p=1.000"
    assert numbers.p_value(0.0426, "en") == "p=0.043"


def test_levels_are_whole_percentages() -> None:
    assert numbers.level(0.01, "ja") == "1%"
    assert numbers.level(0.1, "en") == "10%"
    assert numbers.level(0.95, "en") == "95%"


@pytest.mark.parametrize(("start", "end", "ja", "en"), [
    ("2024-12-01", "2024-12-31", "2024年12月1日～31日", "Dec 1\u2009–\u200931, 2024"),
    ("2023-10-02", "2023-11-15", "2023年10月2日～11月15日", "Oct 2\u2009–\u2009Nov 15, 2023"),
    ("2024-11-20", "2025-01-10", "2024年11月20日～2025年1月10日", "Nov 20, 2024\u2009–\u2009Jan 10, 2025"),
    ("2024-12-01", "2024-12-01", "2024年12月1日", "Dec 1, 2024"),
])
def test_survey_periods_in_each_language(start: str, end: str, ja: str, en: str) -> None:
    assert numbers.date_range(start, end, "ja") == ja
    assert numbers.date_range(start, end, "en") == en


def test_a_p_value_never_prints_across_the_level_its_flag_is_decided_on() -> None:
    # Three decimals would print 0.050 beside "significant": more digits until the print agrees.
    assert numbers.p_value(0.04996, "en") == "p=0.04996"
    assert numbers.p_value(0.0504, "en") == "p=0.050"  # not significant, and printed as not below 0.05
    assert numbers.p_value(0.049, "ja") == "p=0.049"
    for p in (0.0495, 0.04999, 0.049999, 0.05, 0.050001):
        printed = float(numbers.p_value(p, "en").removeprefix("p="))
        assert (printed < 0.05) == (p < 0.05), p

def test_statistics_keep_their_decimals_and_a_true_minus() -> None:
    assert numbers.decimal(3.14159, 3) == "3.142"
    assert numbers.decimal(-1.234, 2) == "\u22121.23"
    assert numbers.decimal(0.5, 0) == "0"
    assert numbers.decimal(12.0, 1) == "12.0"
