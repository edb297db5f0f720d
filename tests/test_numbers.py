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
