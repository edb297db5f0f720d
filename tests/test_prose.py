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
from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError, CodebookError
from hakusho.text import numbers
from hakusho.text.numbers import format_figure
from hakusho.text.prose import (
    Clause,
    ProseContext,
    SlideProse,
    default_rules,
    load_rules,
    lookup,
    resolve_id,
    slide_prose,
    write_sentence,
)

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
    """Every slide's text exists in both languages, in its own language, and quotes each figure it
    names with that figure's value, formatted for the language."""
    ctx = {lang: context(chapters, lang) for lang in ("ja", "en")}
    for doc in chapters.values():
        for slide in doc["slides"]:
            ja, en = (slide_prose(ctx[lang], slide) for lang in ("ja", "en"))
            for lang, text in (("ja", ja), ("en", en)):
                assert text.headline and 1 <= len(text.commentary) <= 2, slide["id"]
                written = " ".join((text.headline, *text.commentary))
                assert text.figures, slide["id"]
                for figure_id in text.figures:
                    figure = lookup(ctx[lang], figure_id)
                    assert figure is not None, (slide["id"], figure_id)
                    assert format_figure(figure, lang, signed=False) in written, (slide["id"], lang, figure_id)
            assert all(JAPANESE.search(s) for s in (ja.headline, *ja.commentary)), slide["id"]
            assert not any(JAPANESE.search(s) for s in (en.headline, *en.commentary)), slide["id"]
            assert ja.headline != en.headline


def _rows_behind(chart: dict[str, Any], figure_id: str) -> list[str] | None:
    """The rows of the chart's first series whose counts make a quoted share (``<chart>.<key>.pct``,
    ``<chart>.<first series>.<key>.pct`` or a combined ``<chart>.group.<id>.pct``); None otherwise."""
    parts = figure_id.split(".")
    if parts[0] != chart["id"] or parts[-1] != "pct":
        return None
    middle = parts[1:-1]
    if middle[0] == "group" and len(middle) == 2:
        return next(list(g.keys) for g in default_spec().charts[chart["id"]].groups if g.id == middle[1])
    if len(middle) == 2 and middle[0] == chart["series"][0]["id"]:
        return middle[1:]
    return middle if len(middle) == 1 else None


def _headline_figures(chapters: dict[str, dict[str, Any]], slide_id: str, lang: str) -> list[str]:
    rules = default_rules().slides[slide_id].headline
    filled = write_sentence(context(chapters, lang), rules, slide_id)
    assert filled is not None
    return filled.figures


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_headline_changes_with_the_share_it_quotes(base_chapters, lang: str) -> None:
    """One respondent fewer in the rows behind a share a headline quotes: the share moves, and the
    headline quotes the new value (never the old one left in place)."""
    tried = []
    for doc in base_chapters.values():
        for slide in doc["slides"]:
            if slide["charts"][0]["disclosure"] == "suppressed":
                continue
            quoted = [(f, chart, rows) for f in _headline_figures(base_chapters, slide["id"], lang)
                      for chart in slide["charts"] if (rows := _rows_behind(chart, f))]
            if not quoted:
                continue
            figure_id, chart, rows = quoted[0]
            series = chart["series"][0]["id"]
            counts = {r["key"]: r["values"][series]["count"] for r in chart["rows"] if series in r["values"]}
            key = next(k for k in rows if counts[k] > 0)
            chapters = copy_chapters(base_chapters)
            before = lookup(context(chapters, lang), figure_id)
            old = prose(chapters, slide["id"], lang).headline
            set_counts(chapters, chart["id"], {key: counts[key] - 1}, series=series)
            ctx = context(chapters, lang)
            after = lookup(ctx, figure_id)
            assert before is not None and after is not None
            assert after["value"] != before["value"], (slide["id"], figure_id)
            new = slide_prose(ctx, slide_of(chapters, slide["id"])).headline
            assert new != old, (slide["id"], figure_id)
            if figure_id in _headline_figures(chapters, slide["id"], lang):
                assert format_figure(after, lang, signed=False) in new, (slide["id"], figure_id, new)
                assert format_figure(before, lang, signed=False) not in new, (slide["id"], figure_id, new)
            tried.append(slide["id"])
    # Every slide whose headline quotes a share (all but those quoting only medians) is exercised.
    assert len(tried) >= 23, tried


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
    # The median's band is read off the chart; "no significant difference" is the test's, never "the same".
    assert unchanged.startswith("Median net revenue retention is in the same band as in 2023, 100% to under 110%")
    assert unchanged.endswith("the distribution as a whole shows no significant difference.")

    set_counts(chapters, "nrr", {"under_80": 5, "n80_90": 5, "n90_100": 20, "n100_110": 40, "n110_120": 60,
                                 "n120_plus": 91}, series="2025")
    moved = prose(chapters, "ch4-retention", "en").commentary[0]
    assert moved.startswith("Median net revenue retention moved from 100% to under 110% in 2023 to 110% to under 120%")
    assert moved.endswith("and the distribution as a whole differs significantly from 2023.")


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


def test_a_reworded_choice_is_never_headlined_without_its_caveat(chapters) -> None:
    _flat_kpis(chapters)
    chart = set_counts(chapters, "kpis_tracked", {"logo_retention": 160}, series="2025")
    entry = next(t for t in chart["tests"] if t["key"] == "logo_retention")
    assert entry["significant"] is True
    earlier = {"ja": "継続率・契約更新率", "en": "Retention or renewal rate"}
    entry["crosswalk"] = {"kind": "reworded", "compared_with": earlier}
    en = prose(chapters, "ch4-practice", "en").commentary[0]
    assert "a statistically significant rise" in en and "“Retention or renewal rate”" in en and "wording" in en
    ja = prose(chapters, "ch4-practice", "ja").commentary[0]
    assert "「継続率・契約更新率」" in ja and "表現の違い" in ja
    entry["crosswalk"]["kind"] = "same"
    assert "wording" not in prose(chapters, "ch4-practice", "en").commentary[0]


def test_a_small_first_series_does_not_silence_a_readable_one(chapters) -> None:
    """The integrated report: SaaS respondents not practising CS are 4, non-SaaS ones 138. The
    headline reads the non-SaaS series and says why the SaaS one cannot be read."""
    chart = slide_of(chapters, "ch2-not-reasons")["charts"][0]
    assert chart["series"][0]["disclosure"] == "suppressed"
    chart["series"].append({"id": "non_saas", "wave": "2025", "label": {"ja": "非SaaS", "en": "Non-SaaS"},
                            "base_n": 138, "disclosure": "ok"})
    counts = [60, 45, 30, 20, 10, 5, 3, 2, 1, 1, 1, 1, 1, 1, 1]
    for row, count in zip(chart["rows"], counts, strict=False):
        row["values"]["non_saas"] = {"count": count, "base": 138, "pct": round(100 * count / 138, 1)}
    first = chart["rows"][0]
    for lang, label in (("en", first["label"]["en"]), ("ja", first["label"]["ja"])):
        ctx = context(chapters, lang)
        text = slide_prose(ProseContext(ctx.figures, ctx.charts, lang, "2025", "2023", segment="all"),
                           slide_of(chapters, "ch2-not-reasons"))
        assert label in text.headline and numbers.pct(first["values"]["non_saas"]["pct"], lang) in text.headline
        assert ("Non-SaaS" if lang == "en" else "非SaaS") in text.headline
        assert "4" in text.commentary[0] and "%" not in text.commentary[0]


@pytest.mark.slow
def test_the_integrated_report_follows_saas_sentences_with_the_tested_non_saas_answer() -> None:
    """Every slide of the integrated report whose sentences quote only SaaS figures adds how
    non-SaaS respondents answer, worded by the adjusted test of the gap: never "significant"
    where the test is not."""
    from hakusho.analysis.chapter import compute_chapter, report_tests
    from hakusho.survey.load import load_waves

    survey, compare = load_waves("2025", "2023")
    report = report_tests(survey, compare, segment="all")
    result = compute_chapter("ch3", survey, compare, segment="all", report=report)
    charts = {c["id"]: c for s in result.slides for c in s["charts"]}
    added = 0
    for lang, lead, yes, no in (("en", "Among non-SaaS respondents", "significantly", "not statistically"),
                                ("ja", "非SaaS企業", "有意である", "有意ではない")):
        ctx = ProseContext(dict(result.figures), charts, lang, "2025", "2023", segment="all")
        for slide in result.slides:
            text = slide_prose(ctx, slide)
            said = [s for s in text.commentary if s.startswith(lead) and (yes in s or no in s)]
            if not said:
                continue
            added += 1
            quoted = next(f for f in text.figures if f.endswith("diff_significant") or ".non_saas." in f)
            chart_id = quoted.split(".", 1)[0]
            flags = [v["value"] for k, v in result.figures.items()
                     if k.startswith(chart_id + ".") and k.endswith(".diff_significant")]
            if not any(flags):
                assert no in said[0], (slide["id"], said[0])
    assert added >= 2
