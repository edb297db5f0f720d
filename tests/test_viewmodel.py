"""The view model: every string resolved, every number formatted, nothing missing or stray."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fixtures_build import copy_chapters, fake_chapters, survey_doc, write_build

from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.i18n import Translator
from hakusho.render.methodology import population_definition
from hakusho.render.viewmodel import load_build, report_model

JAPANESE = re.compile(r"[\u203b\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_build(tmp_path_factory.mktemp("vm") / "build")


@pytest.fixture(scope="module")
def models(build: Path) -> dict[str, dict[str, Any]]:
    return {lang: report_model(build, lang, commentary_root=build / "no-commentary") for lang in ("ja", "en")}


def _strings(obj: Any, skip: tuple[str, ...] = ("svg",)) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v, skip)]
    return []


def _chart(model: dict[str, Any], chart_id: str) -> dict[str, Any]:
    return next(c for ch in model["chapters"] for s in ch["slides"] for c in s["charts"] if c["id"] == chart_id)


def test_the_model_is_plain_json_with_every_slide_of_the_spec(models) -> None:
    spec_slides = [s.id for ch in default_spec().chapters for s in ch.slides]
    for model in models.values():
        assert json.loads(json.dumps(model)) == model
        assert [s["id"] for ch in model["chapters"] for s in ch["slides"]] == spec_slides
        assert [c["anchor"] for c in model["contents"]][-1] == "colophon"


def test_english_strings_hold_no_japanese_but_the_publishers_name(models, build: Path) -> None:
    survey = json.loads((build / "survey.json").read_text(encoding="utf-8"))
    allowed = [survey["survey"]["publisher"]["ja"], Translator("en")("ui.other_language")]
    leaks = []
    for text in _strings(models["en"]):
        for word in allowed:
            text = text.replace(word, "")
        if JAPANESE.search(text):
            leaks.append(text)
    assert leaks == []


def test_numbers_are_formatted_for_the_language(models) -> None:
    ja, en = _chart(models["ja"], "nrr"), _chart(models["en"], "nrr")
    assert ja["base"] == "2025年調査（n=221）、2023年調査（n=188）"
    assert en["base"] == "2025 survey (n=221); 2023 survey (n=188)"
    assert re.fullmatch(r"[+\u2212±]\d+\.\dポイント|\u2014", ja["table"]["rows"][0]["cells"][-1])
    assert re.fullmatch(r"[+\u2212±]\d+\.\d pt|\u2014", en["table"]["rows"][0]["cells"][-1])


def test_a_year_over_year_chart_shows_both_waves_the_change_and_the_caveat(models) -> None:
    en = _chart(models["en"], "kpis_tracked")
    compare = en["compare"]
    assert compare["header"][1:4] == ["2023 survey", "2025 survey", "Change (points)"]
    assert compare["per_row_marks"] and "two-proportion z-test" in compare["legend"]
    assert "n=188" in compare["caveat"] and "n=221" in compare["caveat"]
    assert "HiCustomer" in compare["caveat"] and "publisher, timing and size" in compare["caveat"]
    assert any(b["kind"] == "compare" for b in en["badges"])
    ordinal = _chart(models["ja"], "nrr")["compare"]
    assert ordinal["distribution"].startswith("回答分布の差（カイ二乗検定）") and not ordinal["per_row_marks"]


def test_a_reference_chart_names_its_source(models) -> None:
    en = _chart(models["en"], "nrr_2023")
    assert en["reference"].startswith("Source: Customer Success White Paper 2023 (HiCustomer, Inc.")
    assert {"kind": "reference", "text": "From the 2023 edition"} in en["badges"]
    assert "白書2023より" in [b["text"] for b in _chart(models["ja"], "nrr_2023")["badges"]]


def test_small_bases_are_marked(models) -> None:
    assert {"kind": "suppressed", "text": "Counts only"} in _chart(models["en"], "reasons_not")["badges"]
    assert {"kind": "indicative", "text": "参考値"} in _chart(models["ja"], "start_timing")["badges"]
    cells = _chart(models["en"], "reasons_not")["table"]["rows"][0]["cells"]
    assert cells[1] == "\u2014" and cells[0].isdigit()


def test_every_chart_carries_alt_text_notes_table_and_csv(models) -> None:
    for model in models.values():
        for chapter in model["chapters"]:
            for slide in chapter["slides"]:
                for chart in slide["charts"]:
                    assert chart["title"] in chart["alt"] and "n=" in chart["alt"]
                    assert chart["svg"].lstrip().startswith("<?xml")
                    assert chart["table"]["rows"] and chart["table"]["header"][0]
                    assert chart["csv"]["href"] == f"../data/{chart['id']}.csv"


def test_methodology_states_method_period_n_routes_bases_rules_and_provenance(models) -> None:
    ja = models["ja"]["methodology"]
    facts = {r["label"]: r["value"] for r in ja["rows"]}
    assert facts["実施期間"] == "2024年12月1日～31日"
    assert facts["有効回答数"] == "781件"
    assert facts["回答経路"] == "「SNS経由」33.0%（258件）、「調査会社経由」67.0%（523件）"
    assert facts["実施委託先"] == "株式会社IDEATECH"
    rules = {r["label"]: r["text"] for r in models["en"]["methodology"]["rules"]}
    tests = {r["label"]: r["text"] for r in models["en"]["methodology"]["tests"]}
    assert "two-proportion z-test" in tests["Significance tests"] and "5% level" in tests["Significance tests"]
    assert "Fisher's exact test" in tests["Significance tests"] and "Monte Carlo" in tests["Significance tests"]
    assert "Holm" in tests["Many tests at once"] and "Benjamini–Hochberg" in tests["Many tests at once"]
    assert "Cochran–Mantel–Haenszel" in tests["Differences within routes"]
    assert "simple random sampling" in rules["How the sample was drawn"]
    assert "exact counts" in rules["Exact and perturbed counts"]
    assert "fewer than 30" in rules["Small bases"] and "Below 10" in rules["Small bases"]
    assert "synthetic sample data" in rules["Data provenance"]
    assert "Information and communications (SaaS)" in rules["SaaS and non-SaaS"]
    bases = {b["label"]: b["definition"] for b in models["en"]["methodology"]["bases"]}
    assert bases["SaaS respondents practising CS"] == (
        "Respondents who chose “Information and communications (SaaS)” for “Industry” and answered "
        "“Already practising” to “CS adoption”")


def test_population_definitions_follow_the_spec() -> None:
    from hakusho.render.wording import Wording
    from hakusho.survey.codebook import load_codebook

    spec, book = default_spec(), load_codebook("2025")
    assert population_definition("all", spec, "saas", book, Wording("en")) == "Every valid respondent"
    assert population_definition("non_saas", spec, "saas", book, Wording("ja")) == \
        "「業種」で「情報通信業（SaaS）」を選ばなかった回答者"


def test_real_data_is_not_called_synthetic(tmp_path: Path) -> None:
    build = write_build(tmp_path / "build", survey=survey_doc(synthetic=False))
    model = report_model(build, "en", commentary_root=tmp_path)
    assert model["synthetic"] is False
    assert not any("synthetic" in s.lower() for s in _strings(model["methodology"]))


def test_summary_points_are_the_headlines_of_the_named_slides(models) -> None:
    ch2 = next(c for c in models["en"]["chapters"] if c["id"] == "ch2")
    headlines = {s["id"]: s["headline"] for s in ch2["slides"]}
    assert ch2["summary"] == [headlines["ch2-status"], headlines["ch2-purpose"], headlines["ch2-exec"]]
    assert ch2["summary_source"] == "generated"
    assert ch2["number"] == "Chapter 2" and models["ja"]["chapters"][-1]["number"] == "付録"


def test_editors_commentary_replaces_the_generated_summary(build: Path, tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    (folder / "ch2.en.md").write_text(
        "---\nsummary:\n  - Almost every SaaS company practises CS (${cs_status.doing.pct}).\n---\n\n"
        "Customer success is now **routine** at SaaS companies.\n", encoding="utf-8")
    model = report_model(build, "en", commentary_root=tmp_path)
    ch2 = next(c for c in model["chapters"] if c["id"] == "ch2")
    assert ch2["summary"] == ["Almost every SaaS company practises CS (86.0%)."]
    assert ch2["summary_source"] == "editors"
    assert ch2["discussion_html"] == ["<p>Customer success is now <strong>routine</strong> at SaaS companies.</p>"]


def test_the_editors_report_summary_comes_first(build: Path, tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    (folder / "summary.ja.md").write_text(
        "---\nsummary:\n  - SaaS企業の${cs_status.doing.pct}が取り組んでいる\n---\n\n本文の段落。\n", encoding="utf-8")
    ja = report_model(build, "ja", commentary_root=tmp_path)
    assert ja["summary"]["points"] == ["SaaS企業の86.0%が取り組んでいる"]
    assert ja["summary"]["title"] == "調査結果のサマリー"
    assert ja["contents"][0] == {"anchor": "summary", "number": "", "title": "調査結果のサマリー", "slides": []}
    en = report_model(build, "en", commentary_root=tmp_path)
    assert en["summary"] is None and en["contents"][0]["anchor"] == "ch1"


def test_broken_builds_are_reported(tmp_path: Path) -> None:
    chapters = copy_chapters(fake_chapters())
    build = write_build(tmp_path / "b", {"ch2": chapters["ch2"]})
    (build / "survey.json").unlink()
    with pytest.raises(BuildError, match=r"survey\.json not found"):
        load_build(build)
    write_build(build, {"ch2": chapters["ch2"]})
    (build / "chapters" / "ch9").mkdir()
    with pytest.raises(BuildError, match="chapters the spec does not know: ch9"):
        load_build(build)
    shutil.rmtree(build / "chapters" / "ch9")
    (build / "chapters" / "ch2" / "charts" / "cs_status.en.svg").unlink()
    with pytest.raises(BuildError, match=r"cs_status\.en\.svg is missing"):
        report_model(build, "en", commentary_root=tmp_path)


def test_a_partial_build_holds_only_its_chapters(tmp_path: Path) -> None:
    chapters = copy_chapters(fake_chapters())
    build = write_build(tmp_path / "b", {"ch3": chapters["ch3"]})
    model = report_model(build, "ja", commentary_root=tmp_path)
    assert [c["id"] for c in model["chapters"]] == ["ch3"]
    assert not any(r["label"] == "回答経路" for r in model["methodology"]["rows"])


def test_every_bar_has_a_tooltip_with_its_value_and_base(models) -> None:
    from hakusho.charts.view import bar_gid

    ja, en = _chart(models["ja"], "nrr"), _chart(models["en"], "nrr")
    assert en["tooltips"][bar_gid("2025", "n100_110")].startswith("2025 survey — 100% to under 110%: ")
    assert en["tooltips"][bar_gid("2025", "n100_110")].endswith("% (n=221)")
    assert ja["tooltips"][bar_gid("2023", "under_80")].startswith("2023年調査・80%未満：")
    status = _chart(models["en"], "cs_status")
    assert status["tooltips"][bar_gid("saas", "doing")].startswith("Already practising: ")
    reasons = _chart(models["en"], "reasons_not")  # a base under 10: the tooltip gives the count
    assert all(re.search(r": \d+ \(n=4\)$", t) for t in reasons["tooltips"].values())


def test_only_the_page_reads_the_drawings_for_phones(build: Path, tmp_path: Path) -> None:
    """A build rendering no HTML page draws no phone drawings: the deck's and the workbook's
    model neither need nor read them; the page's names the one missing."""
    def phones(model: dict[str, Any]) -> list[Any]:
        return [c["svg_phone"] for ch in model["chapters"] for s in ch["slides"] for c in s["charts"]]

    page = report_model(build, "en", commentary_root=build / "no-commentary", phone_drawings=True)
    assert all(isinstance(svg, str) and "<svg" in svg for svg in phones(page) if svg is not None)
    assert any(svg is not None for svg in phones(page))
    copy = tmp_path / "build"
    shutil.copytree(build, copy)
    for path in copy.rglob("*.phone.svg"):
        path.unlink()
    deck = report_model(copy, "en", commentary_root=build / "no-commentary")
    assert phones(deck) == [None] * len(phones(deck))
    with pytest.raises(BuildError, match=r"\.en\.phone\.svg is missing from the build"):
        report_model(copy, "en", commentary_root=build / "no-commentary", phone_drawings=True)
