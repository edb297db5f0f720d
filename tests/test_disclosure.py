"""Small-base rules: the three classes, suppression of shares, and the notes in both languages."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho.analysis.disclosure import (
    INDICATIVE_BELOW,
    SUPPRESS_BELOW,
    base_notes,
    chart_disclosure,
    disclosure_level,
    note,
    shows_percentages,
    suppress_shares,
)
from hakusho.errors import BuildError
from hakusho.i18n import missing_keys


@pytest.mark.parametrize(("base", "level"), [
    (0, "suppressed"), (4, "suppressed"), (9, "suppressed"), (10, "indicative"), (24, "indicative"),
    (29, "indicative"), (30, "ok"), (257, "ok"),
])
def test_disclosure_levels_follow_the_thresholds(base: int, level: str) -> None:
    assert disclosure_level(base) == level


def test_thresholds_are_the_published_ones() -> None:
    assert (SUPPRESS_BELOW, INDICATIVE_BELOW) == (10, 30)


def test_suppress_shares_blanks_only_small_bases_and_keeps_counts() -> None:
    table = pd.DataFrame({"series": ["a", "a", "b", "b"], "count": [2, 2, 5, 15], "base": [4, 4, 20, 20],
                          "pct": [50.0, 50.0, 25.0, 75.0]})
    out = suppress_shares(table)
    assert out["pct"].isna().tolist() == [True, True, False, False]
    assert out["count"].tolist() == [2, 2, 5, 15]
    assert table["pct"].notna().all(), "the input table must not be changed"


@pytest.mark.parametrize("base", [SUPPRESS_BELOW - 1, SUPPRESS_BELOW, SUPPRESS_BELOW + 1])
def test_the_suppression_line_is_the_first_base_shown(base: int) -> None:
    out = suppress_shares(pd.DataFrame({"count": [1], "base": [base], "pct": [100.0 / base]}))
    assert out["pct"].isna().tolist() == [base < SUPPRESS_BELOW]
    assert disclosure_level(base) == ("suppressed" if base < SUPPRESS_BELOW else "indicative")


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=20))
def test_suppressed_rows_never_show_a_share_and_other_rows_keep_theirs(pairs: list[tuple[int, int]]) -> None:
    rows = [(min(c, b), b, 100.0 * min(c, b) / b if b else math.nan) for c, b in pairs]
    out = suppress_shares(pd.DataFrame(rows, columns=["count", "base", "pct"]))
    assert out["count"].tolist() == [c for c, _, _ in rows]
    for (_, base, share), pct in zip(rows, out["pct"], strict=True):
        if base < SUPPRESS_BELOW:
            assert math.isnan(pct)
        else:
            assert pct == share


def test_small_base_note_says_no_trend_can_be_read_in_both_languages() -> None:
    (n,) = base_notes("suppressed", 4)
    assert n["key"] == "note.suppressed" and n["params"] == {"n": 4}
    assert "4件" in n["ja"] and "傾向を読み取ることはできません" in n["ja"]
    assert "4 respondents" in n["en"] and "No trend can be read" in n["en"]
    assert not any("\u3040" <= ch <= "\u9fff" for ch in n["en"]), "English note contains Japanese"


def test_indicative_note_and_no_note_for_a_large_base() -> None:
    (n,) = base_notes("indicative", 24)
    assert "参考値" in n["ja"] and "24" in n["ja"]
    assert "Indicative" in n["en"] and "24" in n["en"]
    assert base_notes("ok", 257) == []


def test_bilingual_parameters_are_filled_per_language() -> None:
    n = note("note.series_indicative", series={"ja": "これから取り組む", "en": "About to start"}, n=24)
    assert "これから取り組む" in n["ja"] and "About to start" in n["en"]
    assert "About to start" not in n["ja"] and "これから" not in n["en"], "each language gets its own label only"
    assert n["params"]["series"] == {"ja": "これから取り組む", "en": "About to start"}
    plain = note("note.series_indicative", series="S1", n=24)
    assert "S1" in plain["ja"] and "S1" in plain["en"], "a parameter that is not a label is used as it is"


def test_notes_catalogs_have_the_same_keys() -> None:
    assert missing_keys("notes") == {}


def test_unknown_note_key_is_an_error() -> None:
    with pytest.raises(BuildError, match=r"note\.nonexistent"):
        note("note.nonexistent")


@pytest.mark.parametrize(("base", "level"), [(0, "empty"), (1, "suppressed"), (9, "suppressed"), (10, "indicative"),
                                             (30, "ok")])
def test_a_chart_of_nobody_is_empty_and_shows_no_percentage(base: int, level: str) -> None:
    assert chart_disclosure(base) == level
    assert shows_percentages(level) is (level in ("ok", "indicative"))


def test_empty_base_note_says_there_is_nothing_to_chart_in_both_languages() -> None:
    (n,) = base_notes("empty", 0)
    assert n["key"] == "note.empty_base" and "回答者がいない" in n["ja"] and "No respondents" in n["en"]


# The thresholds written as numbers next to what they mean ("n<30", "fewer than 10", 「30件未満」).
_TYPED_THRESHOLD = re.compile(
    r"n\s*[<＜]\s*(?:10|30)\b|(?:fewer than|under|below|less than)\s+(?:10|30)\b"
    r"|(?<![0-9])(?:10|30)\s*(?:件|名|人)(?:未満|に満たない)")


def test_no_catalog_types_a_disclosure_threshold() -> None:
    """The thresholds live in hakusho.analysis.disclosure; catalogs quote them as placeholders."""
    from hakusho.i18n import LOCALE_DIR, messages

    typed = [(lang, domain.stem, key) for lang in ("ja", "en")
             for domain in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))
             for key, text in messages(lang, domain.stem).items() if _TYPED_THRESHOLD.search(text)]
    assert typed == []


def test_threshold_placeholders_are_filled_from_disclosure(monkeypatch) -> None:
    from hakusho.analysis import disclosure
    from hakusho.i18n import Translator, catalog_constants

    assert "{indicative_below}" in messages_of("en", "charts")["badge.indicative"]
    assert Translator("en", "charts")("badge.indicative") == f"Indicative (n<{INDICATIVE_BELOW})"
    catalog_constants.cache_clear()
    monkeypatch.setattr(disclosure, "INDICATIVE_BELOW", 50)
    try:
        assert Translator("en", "charts")("badge.indicative") == "Indicative (n<50)"
        assert "50" in note("note.indicative", n=24)["en"]
    finally:
        catalog_constants.cache_clear()


def messages_of(lang: str, domain: str) -> dict[str, str]:
    from hakusho.i18n import messages

    return messages(lang, domain)
