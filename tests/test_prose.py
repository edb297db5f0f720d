"""Headlines and commentary: written from the figures, and changing when the figures change."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fixtures_build import copy_chapters, fake_chapters, set_counts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hakusho.analysis.figures import chapter_figures
from hakusho.errors import BuildError, CodebookError
from hakusho.text import numbers
from hakusho.text.prose import Clause, ProseContext, SlideProse, load_rules, resolve_id, slide_prose

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def base_chapters() -> dict[str, dict[str, Any]]:
    return fake_chapters()


@pytest.fixture
def chapters(base_chapters: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return copy_chapters(base_chapters)


def context(chapters: dict[str, dict[str, Any]], lang: str) -> ProseContext:
    figures: dict[str, Any] = {}
    charts: dict[str, Any] = {}
    for doc in chapters.values():
        figures.update(chapter_figures(doc))
        charts.update({c["id"]: c for s in doc["slides"] for c in s["charts"]})
    return ProseContext(figures, charts, lang, "2025", "2023")


def slide_of(chapters: dict[str, dict[str, Any]], slide_id: str) -> dict[str, Any]:
    return next(s for doc in chapters.values() for s in doc["slides"] if s["id"] == slide_id)


def prose(chapters: dict[str, dict[str, Any]], slide_id: str, lang: str) -> SlideProse:
    return slide_prose(context(chapters, lang), slide_of(chapters, slide_id))


def test_every_slide_has_a_headline_and_commentary_in_both_languages(chapters) -> None:
    ctx = {lang: context(chapters, lang) for lang in ("ja", "en")}
    for doc in chapters.values():
        for slide in doc["slides"]:
            ja, en = (slide_prose(ctx[lang], slide) for lang in ("ja", "en"))
            for text in (ja, en):
                assert text.headline and 1 <= len(text.commentary) <= 2, slide["id"]
            assert all(JAPANESE.search(s) for s in (ja.headline, *ja.commentary)), slide["id"]
            assert not any(JAPANESE.search(s) for s in (en.headline, *en.commentary)), slide["id"]
            assert ja.headline != en.headline


def test_headline_quotes_the_figure(chapters) -> None:
    text = prose(chapters, "ch2-status", "en")
    assert text.headline == "86.0% of SaaS respondents already practise customer success"
    assert "cs_status.doing.pct" in text.figures
    ja = prose(chapters, "ch2-status", "ja")
    assert ja.headline.startswith("SaaS企業の86.0%が")


def test_a_different_first_choice_changes_the_headline(chapters) -> None:
    set_counts(chapters, "cs_status", {"doing": 60, "planning": 150, "not_doing": 27, "unknown": 20})
    en = prose(chapters, "ch2-status", "en")
    ja = prose(chapters, "ch2-status", "ja")
    assert en.headline.startswith("“About to start” is the most common answer")
    assert "58.4%" in en.headline and "23.3%" in en.headline
    assert "「これから取り組む予定」" in ja.headline


def _flat_kpis(chapters) -> None:
    """Every KPI tracked by the same share in both waves: nothing changes, nothing is significant."""
    chart = slide_of(chapters, "ch4-practice")["charts"][0]
    keys = [r["key"] for r in chart["rows"]]
    set_counts(chapters, "kpis_tracked", dict.fromkeys(keys, 100), series="2025")
    set_counts(chapters, "kpis_tracked", dict.fromkeys(keys, 85), series="2023")


def test_no_significant_change_is_said_so(chapters) -> None:
    _flat_kpis(chapters)
    assert "No item differs significantly from 2023." in prose(chapters, "ch4-practice", "en").commentary
    assert any("有意な差がみられた項目はない" in s for s in prose(chapters, "ch4-practice", "ja").commentary)


def test_a_significant_rise_and_a_fall_read_differently(chapters) -> None:
    _flat_kpis(chapters)
    set_counts(chapters, "kpis_tracked", {"nps": 160}, series="2025")
    rise = prose(chapters, "ch4-practice", "en").commentary[0]
    assert rise == "Since 2023, “Net Promoter Score (NPS)” has gained 27.2 points, a statistically significant rise."
    assert "27.2ポイント増え" in prose(chapters, "ch4-practice", "ja").commentary[0]

    set_counts(chapters, "kpis_tracked", {"nps": 40}, series="2025")
    fall = prose(chapters, "ch4-practice", "en").commentary[0]
    assert fall == "“Net Promoter Score (NPS)” is down 27.1 points on 2023, a statistically significant fall."
    assert "27.1ポイント減り" in prose(chapters, "ch4-practice", "ja").commentary[0]


def test_an_ordinal_comparison_follows_median_and_test(chapters) -> None:
    same = {"under_80": 20, "n80_90": 20, "n90_100": 60, "n100_110": 60, "n110_120": 30, "n120_plus": 31}
    set_counts(chapters, "nrr", same, series="2025")
    set_counts(chapters, "nrr", {k: round(v * 188 / 221) for k, v in same.items()}, series="2023")
    unchanged = prose(chapters, "ch4-retention", "en").commentary[0]
    assert unchanged.startswith("Median net revenue retention is unchanged from 2023 at 100% to under 110%")

    set_counts(chapters, "nrr", {"under_80": 5, "n80_90": 5, "n90_100": 20, "n100_110": 40, "n110_120": 60,
                                 "n120_plus": 91}, series="2025")
    moved = prose(chapters, "ch4-retention", "en").commentary[0]
    assert moved.startswith("Median net revenue retention moved from 100% to under 110% in 2023 to 110% to under 120%")
    assert moved.endswith("a statistically significant shift.")


def test_a_small_base_says_no_trend_can_be_read(chapters) -> None:
    en = prose(chapters, "ch2-not-reasons", "en")
    assert en.small_base
    assert en.headline == "With only 4 respondents (SaaS respondents not practising CS), no clear pattern can be read"
    assert "%" not in en.headline + " ".join(en.commentary)
    ja = prose(chapters, "ch2-not-reasons", "ja")
    assert "4件にとどまり" in ja.headline


def test_a_base_becoming_small_switches_the_slide_to_counts(chapters) -> None:
    set_counts(chapters, "cs_status", {"doing": 5, "planning": 2, "not_doing": 1, "unknown": 0}, size=8)
    text = prose(chapters, "ch2-status", "en")
    assert text.small_base and "only 8 respondents" in text.headline


def test_an_indicative_base_is_marked(chapters) -> None:
    en = prose(chapters, "ch2-planning", "en")
    ja = prose(chapters, "ch2-planning", "ja")
    assert en.headline.endswith(" (indicative)")
    assert ja.headline.endswith("（参考値）")
    assert ja.commentary[0].endswith("（参考値）。")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=200), min_size=4, max_size=4).filter(lambda c: sum(c) >= 40))
def test_the_headline_always_quotes_the_first_choice(base_chapters, counts: list[int]) -> None:
    chapters = copy_chapters(base_chapters)
    keys = ["doing", "planning", "not_doing", "unknown"]
    chart = set_counts(chapters, "cs_status", dict(zip(keys, counts, strict=True)), size=sum(counts))
    top = chart["ranking"][0]
    row = next(r for r in chart["rows"] if r["key"] == top)
    share = numbers.pct(row["values"]["saas"]["pct"], "en")
    headline = prose(chapters, "ch2-status", "en").headline
    assert share in headline
    if top != "doing":
        assert row["label"]["en"] in headline


def test_placeholders_resolve_on_the_chart_named_first(chapters) -> None:
    ctx = context(chapters, "en")
    assert resolve_id(ctx, "cs_status.{top1}.pct") == "cs_status.doing.pct"
    assert resolve_id(ctx, "cs_purpose.saas_planning.{top1@saas_planning}.pct").startswith("cs_purpose.saas_planning.")
    assert resolve_id(ctx, "nrr.{compare}.median") == "nrr.2023.median"
    assert resolve_id(ctx, "route.{compare}.median") is None
    with pytest.raises(BuildError, match="unknown placeholder"):
        resolve_id(ctx, "route.{nonsense}.pct")


def test_a_clause_needs_exactly_one_test() -> None:
    with pytest.raises(ValidationError):
        Clause(figure="x.base", above=1, below=3)
    with pytest.raises(ValidationError):
        Clause(figure="x.base")


def test_malformed_rules_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "headlines.yml"
    path.write_text("small_base: {}\nsummaries: {}\nslides: {}\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="malformed"):
        load_rules(path)


def test_a_headline_without_a_fitting_variant_stops_the_build(chapters, tmp_path: Path) -> None:
    path = tmp_path / "headlines.yml"
    path.write_text(
        "small_base:\n"
        "  headline: {key: prose.small_base.headline, params: {n: '{chart}.base', base: '@base:{chart}'}}\n"
        "  commentary: {key: prose.small_base.comment}\n"
        "summaries: {}\n"
        "slides:\n"
        "  ch2-status:\n"
        "    headline:\n"
        "      - {key: slide.ch2-status.headline.doing_first, params: {share: cs_status.nothing.pct}}\n"
        "    commentary:\n"
        "      - - {key: prose.small_base.comment}\n", encoding="utf-8")
    rules = load_rules(path)
    with pytest.raises(BuildError, match="ch2-status headline: no variant fits"):
        slide_prose(context(chapters, "en"), slide_of(chapters, "ch2-status"), rules)
