"""The special-analysis part (cross analysis) in the report: view model, HTML page, PDF deck, Quarto.

The part is computed once per module from the real 2025 data — the crosses of ``spec/crosses.yml``
plus one cross fine enough to leave a row and two columns under the disclosure line — and written
into ``parts/cross/`` of a build whose chapters are the fixtures' (as the build lays them out).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdf
import pytest
import yaml
from fixtures_build import write_build
from html_page import parse
from scipy import stats

from hakusho import config
from hakusho.analysis.cross import compute_crosses
from hakusho.analysis.cross_spec import load_crosses, parse_crosses
from hakusho.i18n import Translator
from hakusho.pipeline.options import BuildOptions
from hakusho.pipeline.plan import make_plan
from hakusho.render import deck
from hakusho.render.page import render_html
from hakusho.render.quarto import md, render_quarto
from hakusho.render.viewmodel import report_model
from hakusho.survey.load import load_waves

JAPANESE = re.compile(r"[\u203b\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")
LANGS = ("ja", "en")
DASH = "\u2014"
# Employees in ten bands against retention in five: the smallest company size (9 respondents) and
# the two lowest retention bands (4 and 6) fall under the line of 10.
FINE = {"id": "retention_by_size",
        "title": {"ja": "従業員規模別にみた年間継続率", "en": "Annual retention by company size"},
        "population": "saas_doing", "rows": {"variable": "employees"}, "cols": {"variable": "retention"}}


def section(html: str, anchor: str) -> str:
    """The HTML of the ``<section>`` with this id (cross sections hold no nested sections)."""
    match = re.search(rf'<section class="[^"]*" id="{re.escape(anchor)}".*?</section>', html, re.S)
    assert match is not None, anchor
    return match.group(0)


def visible(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())


def squeeze(text: str) -> str:
    """Text as PDF extraction gives it back: no spaces, one tilde for the wave dashes."""
    return re.sub(r"\s+", "", text).replace("\u301c", "~").replace("\uff5e", "~")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("cross")
    build = write_build(root / "build")
    survey, _ = load_waves("2025")
    result = compute_crosses(survey, crosses=[*load_crosses(), *parse_crosses([FINE])])
    result.write(build / "parts" / "cross", draw_charts=True)
    none = root / "no-commentary"
    out: dict[str, Any] = {"root": root, "build": build, "doc": result.document, "none": none}
    for lang in LANGS:
        model = report_model(build, lang, commentary_root=none)
        html = render_html(build, root / "out", lang, commentary_root=none).read_text(encoding="utf-8")
        pdf = deck.render_pdf(build, root / "out", lang, commentary_root=none)
        # Text is read back only around the part (from the last chapter slide to the methodology):
        # reading all fifty pages would take most of the module's time.
        start = _part_start(model)
        with pdfplumber.open(pdf) as reader:
            count = len(reader.pages)
            stop = min(count, start + deck.CROSS_TITLE_PAGES + len(model["cross"]["crosses"]) + 1)
            pages = {i: reader.pages[i].extract_text() or "" for i in range(start - 1, stop)}
        out[lang] = {"model": model, "html": html, "pdf": pdf, "count": count, "start": start, "pages": pages}
    out["quarto"] = render_quarto(build, root / "quarto", commentary_root=none)
    return out


def _part_start(model: dict[str, Any]) -> int:
    """Where the layout puts the part's title slide (0-based): after the chapters' pages."""
    summary = deck.SUMMARY_PAGES if model.get("summary") else 0
    return deck.FRONT_PAGES + summary + len(model["chapters"]) + sum(len(c["slides"]) for c in model["chapters"])


def _cross_page(pages: dict[int, str], title: str) -> int:
    """The index of one cross's PDF page: the page whose heading (second line) is the cross's title."""
    hits = [i for i, p in pages.items() if len(p.splitlines()) > 1 and squeeze(p.splitlines()[1]) == squeeze(title)]
    assert len(hits) == 1, title
    return hits[0]


def _panels(report: dict[str, Any], lang: str, title: str) -> tuple[str, str]:
    """The text under a cross's chart, read apart: the table (left) and the base, test and notes (right).

    The chart's own text (Typst keeps the SVG's text) sits above both; the right panel starts at its
    "Base" label, the right-most one on the page (the chart's footer says "Base" too, further left).
    """
    cache = report.setdefault("panels", {})
    if (lang, title) not in cache:
        index = _cross_page(report[lang]["pages"], title)
        label = report[lang]["model"]["ui"]["base"]
        with pdfplumber.open(report[lang]["pdf"]) as pdf:
            page = pdf.pages[index]
            base = max(page.search(label, regex=False), key=lambda m: m["x0"])
            below = page.crop((0, base["top"] - 1, page.width, page.height))
            table = below.crop((0, below.bbox[1], base["x0"] - 1, page.height)).extract_text() or ""
            panel = below.crop((base["x0"] - 1, below.bbox[1], page.width, page.height)).extract_text() or ""
        cache[(lang, title)] = (table, panel)
    return cache[(lang, title)]


def _printed_statistics(cross: dict[str, Any], lang: str) -> list[str]:
    """How cross.json's statistics must read in the report, formatted here independently."""
    s = cross["statistics"]
    p = "p<0.001" if s["p_value"] < 0.001 else f"p={s['p_value']:.3f}"
    chi2 = f"{s['chi2']:.1f}"
    v = f"{s['cramers_v']:.3f}"
    if lang == "en":
        return [f"χ² = {chi2} (df = {s['dof']})", p, f"Cramér's V = {v} ({s['strength_label']['en']})"]
    return [f"χ²＝{chi2}（自由度{s['dof']}）", p, f"クラメールのV＝{v}（{s['strength_label']['ja']}）"]


# ------------------------------------------------------------------------------ the view model


def test_the_model_has_the_part_after_the_chapters_only_when_the_build_ran_it(report, tmp_path: Path) -> None:
    ids = [c["id"] for c in report["doc"]["crosses"]]
    for lang in LANGS:
        model = report[lang]["model"]
        assert [c["id"] for c in model["cross"]["crosses"]] == ids
        anchors = [c["anchor"] for c in model["contents"]]
        assert anchors.index("cross") == anchors.index("appendix") + 1
        assert anchors[anchors.index("cross") + 1] == "methodology"
        entry = model["contents"][anchors.index("cross")]
        assert [s["anchor"] for s in entry["slides"]] == [f"cross-{i}" for i in ids]
    assert report["ja"]["model"]["cross"]["number"] == "特別分析"
    assert report["en"]["model"]["cross"]["number"] == "Special analysis"
    assert report["ja"]["model"]["cross"]["findings_title"] == "この部のポイント"  # a part, not a chapter

    plain = write_build(tmp_path / "build")
    model = report_model(plain, "en", commentary_root=report["none"])
    assert model["cross"] is None and "cross" not in [c["anchor"] for c in model["contents"]]
    (plain / "parts" / "cross").mkdir(parents=True)  # a part folder without cross.json is no part
    assert report_model(plain, "ja", commentary_root=report["none"])["cross"] is None


def test_the_cross_json_statistics_are_scipys(report) -> None:
    for cross in report["doc"]["crosses"]:
        counts = np.array(cross["counts"])
        table = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        s = cross["statistics"]
        assert s["chi2"] == pytest.approx(chi2, abs=5e-4) and s["dof"] == dof
        expected = (table.size and (stats.contingency.expected_freq(table) < 5).mean()) or 0.0
        if expected > 0.2:  # Cochran's rule: a sparse table takes the exact or Monte Carlo test
            assert s["test"] in ("Fisher's exact test", "Monte Carlo chi-square test")
            if s["test"] == "Fisher's exact test":
                assert s["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)
        else:
            assert s["test"] == "chi-square test of independence"
            assert s["p_value"] == pytest.approx(p, rel=1e-9)
        # Adjusted across the part's crosses (Benjamini–Hochberg): never below the raw p-value.
        assert s["p_adjusted"] >= s["p_value"] and s["significant"] is (s["p_adjusted"] < 0.05)
        v = np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))
        assert s["cramers_v"] == pytest.approx(v, abs=5e-4)


def test_english_strings_of_the_part_hold_no_japanese(report) -> None:
    def strings(obj: Any) -> list[str]:
        if isinstance(obj, str):
            return [obj]
        if isinstance(obj, dict):
            return [s for k, v in obj.items() if k != "svg" for s in strings(v)]
        if isinstance(obj, list):
            return [s for v in obj for s in strings(v)]
        return []

    leaks = [s for s in strings(report["en"]["model"]["cross"]) if JAPANESE.search(s)]
    assert leaks == []
    assert all(JAPANESE.search(f) for f in report["ja"]["model"]["cross"]["findings"])


# ------------------------------------------------------------------------------ HTML


def test_the_page_has_the_part_with_every_cross(report) -> None:
    for lang in LANGS:
        html = report[lang]["html"]
        part = re.search(r'<section class="chapter cross-part" id="cross".*?\n</section>', html, re.S)
        assert part is not None
        assert html.index('id="cross"') > html.index('id="appendix"')
        assert html.index('id="cross"') < html.index('id="methodology"')
        for cross in report[lang]["model"]["cross"]["crosses"]:
            body = section(html, cross["anchor"])
            text = visible(body)
            assert cross["title"] in text and cross["headline"] in text
            assert f'aria-labelledby="cross-chart-{cross["id"]}-title"' in body and 'role="img"' in body
            assert f'<title id="cross-chart-{cross["id"]}-title">' in body
            assert cross["alt"] in visible(body) and cross["base"] in text
            assert '<details class="chart-data">' in body and "<caption>" in body and 'scope="row"' in body
            assert f'href="../data/{cross["id"]}.csv"' in body


def test_anchors_and_language_links_resolve(report) -> None:
    pages = {lang: parse(report[lang]["html"]) for lang in LANGS}
    ids = [c["id"] for c in report["doc"]["crosses"]]
    for lang, other in (("ja", "en"), ("en", "ja")):
        page = pages[lang]
        assert {"cross", *(f"cross-{i}" for i in ids), *(f"cross-chart-{i}" for i in ids)} <= page.ids
        for href in page.links:
            if href.startswith("#"):
                assert href[1:] in page.ids, href
            elif href.startswith(f"../{other}/index.html"):
                anchor = href.partition("#")[2]
                assert not anchor or anchor in pages[other].ids, href
            else:
                assert re.fullmatch(r"\.\./data/[a-z0-9_]+\.csv", href), href
        assert "#cross" in page.links and f"../{other}/index.html#cross" in page.links
        for i in ids:
            assert f"#cross-{i}" in page.links and f"../{other}/index.html#cross-{i}" in page.links
            assert f"../data/{i}.csv" in page.links


def test_the_english_part_has_no_japanese(report) -> None:
    html = report["en"]["html"]
    part = html[html.index('<section class="chapter cross-part"'):html.index('id="methodology"')]
    switch = Translator("en")("ui.other_language")  # the link to the Japanese page names it in Japanese
    assert switch in visible(part) and JAPANESE.findall(visible(part).replace(switch, "")) == []
    survey = report["en"]["model"]
    allowed = [survey["colophon"]["rows"][1]["value"].partition("(")[2].rstrip(")"),
               Translator("en")("ui.other_language")]
    text = visible(html)
    for word in allowed:
        text = text.replace(word, "")
    assert JAPANESE.findall(text) == []


def test_the_page_prints_the_statistics_of_cross_json(report) -> None:
    for lang in LANGS:
        for cross in report["doc"]["crosses"]:
            body = section(report[lang]["html"], f"cross-{cross['id']}")
            line = re.search(r'<p class="cross-statistics">(.*?)</p>', body, re.S)
            assert line is not None
            text = visible(line.group(1))
            for printed in _printed_statistics(cross, lang):
                assert printed in text, (lang, cross["id"], printed)


def test_a_small_row_or_column_shows_counts_but_no_percentages_on_the_page(report) -> None:
    doc = next(c for c in report["doc"]["crosses"] if c["id"] == "retention_by_size")
    small_rows = [i for i, b in enumerate(doc["rows"]["bands"]) if b["base"] < 10]
    small_cols = [j for j, b in enumerate(doc["cols"]["bands"]) if b["base"] < 10]
    assert small_rows and small_cols  # the fixture is what it says
    for lang in LANGS:
        body = section(report[lang]["html"], "cross-retention_by_size")
        table = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
        assert table is not None
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
        assert len(rows) == len(doc["rows"]["bands"])
        for i, row in enumerate(rows):
            cells = [visible(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for j, cell in enumerate(cells[:-1]):
                if i in small_rows or j in small_cols:
                    assert "%" not in cell and cell.startswith(DASH), (lang, i, j, cell)
                    assert str(doc["counts"][i][j]) in cell
                else:
                    assert cell.startswith(f"{doc['row_pct'][i][j]:.1f}%"), (lang, i, j, cell)
        label = doc["cols"]["bands"][small_cols[0]]["label"][lang]
        assert any(label in n for n in next(c for c in report[lang]["model"]["cross"]["crosses"]
                                            if c["id"] == "retention_by_size")["notes"])


# ------------------------------------------------------------------------------ PDF


def test_the_deck_has_a_part_title_and_one_page_per_cross(report) -> None:
    for lang in LANGS:
        model, pages, first = report[lang]["model"], report[lang]["pages"], report[lang]["start"]
        assert report[lang]["count"] == deck.expected_pages(model)
        if lang == "en":  # one language suffices for the deck without the part
            without = dict(model, cross=None)
            plain = len(pypdf.PdfReader(io.BytesIO(deck.compile_deck(without))).pages)
            assert plain == deck.expected_pages(without)
            assert report[lang]["count"] - plain == deck.CROSS_TITLE_PAGES + len(report["doc"]["crosses"])
        part = model["cross"]
        assert [i for i, p in pages.items() if squeeze(part["about"])[:40] in squeeze(p)] == [first]
        assert squeeze(part["findings"][0]) in squeeze(pages[first])
        assert squeeze(model["chapters"][-1]["slides"][-1]["headline"]) in squeeze(pages[first - 1])
        for k, cross in enumerate(part["crosses"], start=1):
            index = _cross_page(pages, cross["title"])
            assert index == first + k
            assert squeeze(cross["headline"]) in squeeze(pages[index])
            assert pages[index].rstrip().endswith(str(index + 1))  # page numbers go on
        after = first + deck.CROSS_TITLE_PAGES + len(part["crosses"])
        assert squeeze(model["methodology"]["title"]) in squeeze(pages[after])


def test_the_deck_prints_the_statistics_of_cross_json(report) -> None:
    for lang in LANGS:
        for cross in report["doc"]["crosses"]:
            _, panel = _panels(report, lang, cross["title"][lang])
            for printed in _printed_statistics(cross, lang):
                assert squeeze(printed) in squeeze(panel), (lang, cross["id"], printed)


def test_a_small_row_or_column_shows_no_percentages_in_the_deck(report) -> None:
    doc = next(c for c in report["doc"]["crosses"] if c["id"] == "retention_by_size")
    for lang in LANGS:
        table, _ = _panels(report, lang, doc["title"][lang])
        lines = table.splitlines()
        for i, band in enumerate(doc["rows"]["bands"]):
            label = band["label"][lang]
            line = next(x for x in lines if squeeze(x).startswith(squeeze(label)))
            shares = re.findall(r"\d+\.\d%", line)
            expected = [f"{v:.1f}%" for v in doc["row_pct"][i] if v is not None]
            assert shares == expected, (lang, label, line)
            if band["base"] < 10:
                assert shares == [] and line.count(DASH) == len(doc["cols"]["bands"])


def test_the_english_deck_part_has_no_japanese(report) -> None:
    pages, first = report["en"]["pages"], report["en"]["start"]
    part = [pages[i] for i in range(first, first + deck.CROSS_TITLE_PAGES + len(report["doc"]["crosses"]))]
    assert all("Special analysis" in p for p in part)
    assert JAPANESE.findall("".join(part)) == []


# ------------------------------------------------------------------------------ Quarto


def test_quarto_writes_the_part_per_language(report) -> None:
    out = report["quarto"]
    for lang in LANGS:
        profile = yaml.safe_load((out / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
        files = [Path(f).name for f in profile["book"]["chapters"]]
        assert files.index("cross.qmd") == files.index("appendix.qmd") + 1
        text = (out / lang / "cross.qmd").read_text(encoding="utf-8")
        part = report[lang]["model"]["cross"]
        assert text.startswith(f"# {md(part['number'])} {md(part['title'])} {{#cross}}")
        for cross in part["crosses"]:
            assert f"{{#{cross['anchor']}}}" in text and f"**{md(cross['headline'])}**" in text
            assert md(cross["statistics"]) in text
            assert f"](../figures/{cross['id']}.{lang}.svg)" in text and f"](../data/{cross['id']}.csv)" in text
            assert (out / "figures" / f"{cross['id']}.{lang}.svg").is_file()
            assert (out / "data" / f"{cross['id']}.csv").is_file()
    assert JAPANESE.findall((out / "en" / "cross.qmd").read_text(encoding="utf-8")) == []


# ------------------------------------------------------------------------------ the build


def test_the_default_build_runs_the_cross_notebook_into_parts() -> None:
    plan = make_plan(BuildOptions())
    assert "cross" in plan.notebooks and plan.parts == ["cross", "explore"]  # the explorer's tables come last
    assert list(plan.notebooks)[-2:] == ["cross", "explore"]
    assert plan.target == config.REPORT_DIR / config.DEFAULT_WAVE
    named = make_plan(BuildOptions(chapters=("ch1",)))
    assert "cross" not in named.notebooks and "explore" not in named.notebooks and named.parts == []


def test_a_segments_cross_part_names_its_own_populations() -> None:
    from hakusho.analysis.cross import population_label
    from hakusho.analysis.population import population_label as chapter_label
    from hakusho.analysis.spec import default_spec

    spec = default_spec()
    for segment in ("saas", "non_saas", "all"):
        assert population_label(spec, "saas_doing", segment) == chapter_label(spec, "saas_doing", segment)
    assert "SaaS" not in population_label(spec, "saas_doing", "non_saas")["en"].replace("Non-SaaS", "")
