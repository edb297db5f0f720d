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


def test_a_p_value_at_the_level_is_not_below_it_and_one_a_hair_below_prints_in_full() -> None:
    assert numbers.p_value(0.05, "en") == "p=0.050"  # at the level: not significant, three decimals
    assert numbers.p_value(0.0500004, "ja") == "p=0.050"
    assert numbers.p_value(0.0499999999991, "en") == "p=0.049999999999"  # twelve decimals still tell
    # Twelve decimals would round it up to the level: the value as Python reads it back.
    assert numbers.p_value(0.0499999999999123, "en") == "p=0.0499999999999123"
    just_below = 0.05 - 2 ** -56
    assert numbers.p_value(just_below, "ja") == f"p={just_below!r}"

def test_statistics_keep_their_decimals_and_a_true_minus() -> None:
    assert numbers.decimal(3.14159, 3) == "3.142"
    assert numbers.decimal(-1.234, 2) == "\u22121.23"
    assert numbers.decimal(0.5, 0) == "0"
    assert numbers.decimal(12.0, 1) == "12.0"


# --------------------------------------------------------------------------- figures of figures.json


def _figure(value: object, kind: str, **extra: object) -> dict[str, object]:
    return {"value": value, "kind": kind, **extra}


@pytest.mark.parametrize(("figure", "ja", "en"), [
    (_figure(86.0, "pct"), "86.0%", "86.0%"),
    (_figure(86, "pct"), "86.0%", "86.0%"),  # a whole share still shows its decimal
    (_figure(0.0, "pct"), "0.0%", "0.0%"),
    (_figure(100.0, "pct"), "100.0%", "100.0%"),
    (_figure(-2.5, "pct"), "\u22122.5%", "\u22122.5%"),
    (_figure(1234.56, "pct"), "1,234.6%", "1,234.6%"),
    (_figure(221, "count"), "221", "221"),
    (_figure(1234, "count"), "1,234", "1,234"),
    (_figure(0, "count"), "0", "0"),
    (_figure(1234567, "n"), "1,234,567", "1,234,567"),
    (_figure(257.0, "n"), "257", "257"),  # a base read back from JSON as a float is still whole
    (_figure(4.0, "points"), "+4.0ポイント", "+4.0 pt"),
    (_figure(-3.25, "points"), "\u22123.2ポイント", "\u22123.2 pt"),
    (_figure(0.0, "points"), "±0.0ポイント", "±0.0 pt"),
    (_figure(-0.04, "points"), "±0.0ポイント", "±0.0 pt"),
    (_figure(1234.5, "points"), "+1,234.5ポイント", "+1,234.5 pt"),
    (_figure(0.0421, "p_value"), "p=0.042", "p=0.042"),
    (_figure(0.0004, "p_value"), "p<0.001", "p<0.001"),
    (_figure(0.04996, "p_value"), "p=0.04996", "p=0.04996"),
    (_figure(1, "p_value"), "p=1.000", "p=1.000"),
    (_figure(3.14159, "statistic"), "3.142", "3.142"),  # three decimals unless the figure says
    (_figure(-1.23456, "statistic", digits=2), "\u22121.23", "\u22121.23"),
    (_figure(2.5, "statistic", digits=0), "2", "2"),
    (_figure(7, "statistic", digits=1), "7.0", "7.0"),
])
def test_a_figure_prints_as_its_kind_says_in_both_languages(figure: dict, ja: str, en: str) -> None:
    assert numbers.format_figure(figure, "ja") == ja
    assert numbers.format_figure(figure, "en") == en
    assert numbers.format_figure(figure, "ja", signed=True) == ja


@pytest.mark.parametrize(("value", "ja", "en"), [
    (4.0, "4.0", "4.0"), (-3.25, "3.2", "3.2"), (0.0, "0.0", "0.0"), (-1234.56, "1,234.6", "1,234.6"),
])
def test_a_change_quoted_in_prose_is_its_size_alone(value: float, ja: str, en: str) -> None:
    figure = _figure(value, "points")
    assert numbers.format_figure(figure, "ja", signed=False) == ja
    assert numbers.format_figure(figure, "en", signed=False) == en


@pytest.mark.parametrize("kind", ["pct", "count", "n", "statistic", "p_value", "choice", "flag"])
def test_signed_changes_only_a_change(kind: str) -> None:
    figure = _figure(0.5, kind, label={"ja": "はい", "en": "Yes"})
    assert numbers.format_figure(figure, "en", signed=False) == numbers.format_figure(figure, "en")


def test_a_choice_prints_its_label_in_the_language_asked() -> None:
    figure = _figure("doing", "choice", label={"ja": "取り組んでいる", "en": "Practising"})
    assert numbers.format_figure(figure, "ja") == "取り組んでいる"
    assert numbers.format_figure(figure, "en") == "Practising"


@pytest.mark.parametrize("label", [None, {}, {"ja": "取り組んでいる"}, {"ja": "取り組んでいる", "en": ""}])
def test_a_choice_without_a_label_in_the_language_prints_its_key(label: object) -> None:
    figure = _figure("doing", "choice") if label is None else _figure("doing", "choice", label=label)
    assert numbers.format_figure(figure, "en") == "doing"


def test_a_choice_key_that_is_a_number_prints_as_text() -> None:
    assert numbers.format_figure(_figure(3, "choice"), "ja") == "3"


@pytest.mark.parametrize(("value", "ja", "en"), [
    (True, "有意差あり", "significant"), (False, "有意差なし", "not significant"),
    (1, "有意差あり", "significant"), (0, "有意差なし", "not significant"),
])
def test_a_flag_says_whether_the_difference_is_significant(value: object, ja: str, en: str) -> None:
    assert numbers.format_figure(_figure(value, "flag"), "ja") == ja
    assert numbers.format_figure(_figure(value, "flag"), "en") == en


@pytest.mark.parametrize("kind", ["pct", "count", "n", "points", "choice", "flag", "statistic", "p_value"])
def test_a_figure_without_a_value_is_refused_whatever_its_kind(kind: str) -> None:
    with pytest.raises(ValueError, match=r"^a figure without a value cannot be formatted$"):
        numbers.format_figure(_figure(None, kind, label={"ja": "x", "en": "x"}), "en")


def test_a_figure_of_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^unknown figure kind 'ratio'$"):
        numbers.format_figure(_figure(1.0, "ratio"), "ja")
    with pytest.raises(ValueError, match=r"^unknown figure kind 'PCT'$"):
        numbers.format_figure(_figure(1.0, "PCT"), "en")


@pytest.mark.parametrize("kind", ["pct", "count", "points", "p_value"])
def test_a_figure_in_an_unknown_language_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown language 'fr'"):
        numbers.format_figure(_figure(0.5, kind), "fr")


@pytest.mark.parametrize(("text", "lang", "marked"), [
    ("継続率は40.0%だった。", "ja", "継続率は40.0%だった（参考値）。"),
    ("継続率は40.0%", "ja", "継続率は40.0%（参考値）"),
    ("Retention was 40.0%.", "en", "Retention was 40.0% (indicative)."),
    ("Retention was 40.0%", "en", "Retention was 40.0% (indicative)"),
    ("Retention was 40.0%.", "ja", "Retention was 40.0%（参考値）."),
    ("a.b.", "en", "a.b (indicative)."),  # only the closing stop moves
    ("。", "ja", "（参考値）。"),
    ("", "en", " (indicative)"),
])
def test_the_indicative_mark_goes_before_the_closing_stop(text: str, lang: str, marked: str) -> None:
    assert numbers.with_indicative_mark(text, lang) == marked
