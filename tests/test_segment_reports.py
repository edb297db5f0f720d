"""The non-SaaS and the integrated reports, built end to end from the bundled data.

Each segment's chapters are computed once per module (the real data, charts drawn) and rendered
as HTML and PDF in both languages; the tests then read what a reader would see. Slow: the chapter
stage runs for every chapter of two segments.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hakusho.analysis import chapter
from hakusho.errors import FilterError
from hakusho.pipeline.assemble import survey_info
from hakusho.pipeline.options import parse_filters
from hakusho.pipeline.plan import report_chapters
from hakusho.render.deck import render_pdf
from hakusho.render.page import render_html

pytestmark = pytest.mark.slow

LANGS = ("ja", "en")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# "SaaS respondents" not preceded by "non-" (any case): the SaaS segment named as such.
SAAS_RESPONDENTS = re.compile(r"(?<![Nn]on-)SaaS respondents")


def _build(segment: str, root: Path) -> dict[str, dict[str, Path]]:
    """Chapter outputs of every report chapter, survey.json, and the four renders."""
    chapters = report_chapters()
    for ch in chapters:
        chapter.run_chapter(ch, segment=segment, output_dir=root / "chapters" / ch, draw_charts=True)
    first = json.loads((root / "chapters" / chapters[0] / "chapter.json").read_text(encoding="utf-8"))
    info = survey_info("2025")
    survey = {"wave": "2025", "compare_wave": "2023", "segment": segment, "filters": [], "filter_text": "",
              "n_total": first["n_total"], "n_segment": first["n_segment"], "survey": info,
              "compare_survey": survey_info("2023"), "synthetic": bool(info.get("synthetic"))}
    (root / "survey.json").write_text(json.dumps(survey, ensure_ascii=False), encoding="utf-8")
    out: dict[str, dict[str, Path]] = {}
    for lang in LANGS:
        out[lang] = {"html": render_html(root, root / "out" / lang, lang),
                     "pdf": render_pdf(root, root / "out" / lang, lang)}
    return out


def _html_text(path: Path) -> str:
    """The visible text of a rendered page, without the language switch (it names the other language)."""
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<a [^>]*hreflang="ja"[^>]*>.*?</a>', " ", html, flags=re.S)
    html = re.sub(r'<a [^>]*lang="ja"[^>]*>.*?</a>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _chapter_docs(root: Path) -> Iterator[dict]:
    for ch in report_chapters():
        yield json.loads((root / "chapters" / ch / "chapter.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def non_saas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Path]]]:
    root = tmp_path_factory.mktemp("non_saas")
    return root, _build("non_saas", root)


@pytest.fixture(scope="module")
def integrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Path]]]:
    root = tmp_path_factory.mktemp("all")
    return root, _build("all", root)


@pytest.mark.parametrize("lang", LANGS)
def test_non_saas_renders(non_saas, lang):
    _, out = non_saas
    assert out[lang]["html"].is_file() and out[lang]["html"].stat().st_size > 0
    assert out[lang]["pdf"].read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("lang", LANGS)
def test_integrated_renders(integrated, lang):
    _, out = integrated
    assert out[lang]["html"].is_file() and out[lang]["html"].stat().st_size > 0
    assert out[lang]["pdf"].read_bytes().startswith(b"%PDF")


def test_non_saas_english_has_no_japanese(non_saas):
    """The one Japanese the English report prints on purpose is the publisher's legal name, given
    in its own script beside the English one in the colophon."""
    _, out = non_saas
    native = survey_info("2025")["publisher"]["ja"]
    html = _html_text(out["en"]["html"]).replace(native, "")
    pdf = re.sub(r"\s+", "", _pdf_text(out["en"]["pdf"])).replace(re.sub(r"\s+", "", native), "")
    assert not JAPANESE.findall(html), JAPANESE.findall(html)[:10]
    assert not JAPANESE.findall(pdf), JAPANESE.findall(pdf)[:10]


def test_non_saas_headlines_name_their_own_segment(non_saas):
    """Where the report speaks of its own population it says non-SaaS: a headline or comment of
    a slide whose charts show only non-SaaS respondents never says "SaaS respondents"."""
    root, out = non_saas
    html = out["en"]["html"].read_text(encoding="utf-8")
    checked = 0
    for doc in _chapter_docs(root):
        for slide in doc["slides"]:
            series = {s["id"] for c in slide["charts"] for s in c["series"]}
            if "saas" in series:
                continue  # a slide that shows SaaS respondents too may name them
            match = re.search(rf'id="{re.escape(slide["id"])}".*?</h3>(.*?)</section>', html, re.S)
            section = match.group(0) if match else ""
            assert section, slide["id"]
            head = re.sub(r"<[^>]+>", " ", section.split('class="chart')[0])
            assert not SAAS_RESPONDENTS.search(head), (slide["id"], head[:300])
            checked += 1
    assert checked > 10


def test_non_saas_status_headline_names_non_saas(non_saas):
    _, out = non_saas
    assert "of non-SaaS respondents already practise customer success" in _html_text(out["en"]["html"])
    assert "非SaaS企業の" in _html_text(out["ja"]["html"])
    assert "Where non-SaaS companies stand on customer success" in _html_text(out["en"]["html"])


def test_empty_base_slides_say_so(non_saas):
    """Slides of the 2023 wave (SaaS only) have no non-SaaS respondents: no drawing, a headline
    and the chart's note saying there is no one in the base, in both formats and languages."""
    root, out = non_saas
    empty = [s for doc in _chapter_docs(root) for s in doc["slides"] if s["charts"][0]["disclosure"] == "empty"]
    assert empty, "the non-SaaS report has slides of the SaaS-only 2023 wave"
    for lang, phrase in (("en", "has no respondents, so the slide shows no chart"),
                         ("ja", "に該当する回答者はおらず")):
        html = out[lang]["html"].read_text(encoding="utf-8")
        pdf = re.sub(r"\s+", "", _pdf_text(out[lang]["pdf"]))
        for slide in empty:
            match = re.search(rf'id="{re.escape(slide["id"])}".*?</section>', html, re.S)
            assert match, slide["id"]
            section = match.group(0)
            assert phrase in re.sub(r"<[^>]+>", "", section), (lang, slide["id"])
            assert 'class="chart-empty"' in section
            assert f'id="chart-{slide["charts"][0]["id"]}-' not in section  # no inlined SVG
        assert re.sub(r"\s+", "", phrase) in pdf, lang


def test_integrated_shows_both_segments_and_significance(integrated):
    root, out = integrated
    tested = [c for doc in _chapter_docs(root) for s in doc["slides"] for c in s["charts"]
              if c.get("compare") == "by_segment" and c.get("tests")]
    assert tested
    assert any({"saas", "non_saas"} <= {s["id"] for s in c["series"]} for c in tested)
    for lang, saas, non_saas, difference in (("en", "SaaS respondents", "Non-SaaS respondents",
                                              "Difference (SaaS − non-SaaS)"),
                                             ("ja", "SaaS", "非SaaS", "差（SaaS − 非SaaS）")):
        html = out[lang]["html"].read_text(encoding="utf-8")
        assert saas in html and non_saas in html
        assert difference in html
        assert "▲" in html or "▼" in html  # marks drawn in the charts' SVG
    svg = (root / "chapters" / "ch2" / "charts" / "cs_status.en.svg").read_text(encoding="utf-8")
    assert "significantly higher / lower than" in svg


def test_integrated_headline_quotes_the_segment_difference(integrated):
    root, out = integrated
    figures = json.loads((root / "chapters" / "ch2" / "figures.json").read_text(encoding="utf-8"))
    diff = figures["cs_status.doing.diff_pt"]["value"]
    assert figures["cs_status.doing.diff_significant"]["value"] is True
    word = "more" if diff > 0 else "less"
    text = _html_text(out["en"]["html"])
    assert f"SaaS respondents are {abs(diff):.1f} points {word} likely than non-SaaS respondents" in text
    assert f"{abs(diff):.1f}ポイント" in _html_text(out["ja"]["html"])


def test_filters_by_label_resolve_to_the_codebook_ids():
    assert parse_filters([("従業員規模", "==", "1,000〜2,999名"), "Employees >= 1000"]) == (
        ("employees", "==", "1,000〜2,999名"), ("employees", ">=", 1000))
    with pytest.raises(FilterError):
        parse_filters([("従業員規模", "==", "__import__('os')"), "x ~ 1"])


def test_quarto_export_leaves_out_pictures_of_empty_charts(non_saas, tmp_path):
    """The Quarto project of the non-SaaS report: no image for a chart with nobody in its base,
    every image it does reference exists."""
    from hakusho.render.quarto import render_quarto

    root, _ = non_saas
    project = render_quarto(root, tmp_path / "quarto")
    empty = {c["id"] for doc in _chapter_docs(root) for s in doc["slides"] for c in s["charts"]
             if c["disclosure"] == "empty"}
    assert empty
    for qmd in sorted(project.rglob("*.qmd")):
        text = qmd.read_text(encoding="utf-8")
        for chart_id in empty:
            assert f"figures/{chart_id}." not in text, (qmd.name, chart_id)
        for ref in re.findall(r"\]\((\.\./figures/[^)]+)\)", text):
            assert (qmd.parent / ref).is_file(), ref


def test_a_filtered_report_states_its_filter_and_n_on_the_cover_every_slide_and_every_csv(tmp_path):
    """A researcher's filter, in the report's words, with the n it leaves: cover, each slide's
    header (HTML) and footer (PDF), and every row of every table."""
    root = tmp_path / "build"
    result = chapter.run_chapter("ch1", filters=[["employees", ">=", 1000]], output_dir=root / "chapters" / "ch1")
    doc = json.loads((root / "chapters" / "ch1" / "chapter.json").read_text(encoding="utf-8"))
    info = survey_info("2025")
    survey = {"wave": "2025", "compare_wave": "2023", "segment": "saas", "filters": doc["filters"],
              "filter_text": doc["filter_text"], "n_total": doc["n_total"], "n_segment": doc["n_segment"],
              "survey": info, "compare_survey": survey_info("2023"), "synthetic": True}
    (root / "survey.json").write_text(json.dumps(survey, ensure_ascii=False), encoding="utf-8")
    assert result is not None and doc["filter_text"]
    n = f"n={doc['n_segment']:,}"
    slides = len(doc["slides"])
    for lang in LANGS:
        words = doc["filter_label"][lang]
        text = re.sub(r"<[^>]+>", "", render_html(root, root / "out" / lang, lang).read_text(encoding="utf-8"))
        assert text.count(words) >= slides + 1 and n in text, lang
        pdf = re.sub(r"\s+", "", _pdf_text(render_pdf(root, root / "out" / lang, lang)))
        assert pdf.count(re.sub(r"\s+", "", words)) >= slides, lang
    for table in sorted((root / "chapters" / "ch1" / "tables").glob("*.csv")):
        rows = table.read_text(encoding="utf-8").splitlines()[1:]
        assert rows and all("employees" in row for row in rows), table.name
