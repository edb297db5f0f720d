"""The HTML pages: self-contained, escaped, linked across languages, stable byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fixtures_build import METHODOLOGY_STATES, copy_chapters, fake_chapters, set_label, survey_doc, write_build
from html_page import parse
from syrupy.extensions.amber import AmberSnapshotExtension

from hakusho.i18n import Translator
from hakusho.render.page import inline_svg, render_html

JAPANESE = re.compile(r"[\u203b\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")
SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


class SnapshotsFolder(AmberSnapshotExtension):
    """Snapshots live in tests/snapshots/, reviewed like any other file."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(SNAPSHOT_DIR)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html")
    chapters = copy_chapters(fake_chapters())
    set_label(chapters, "cs_status", "unknown", "en", "<script>alert('x')</script> & more")
    set_label(chapters, "cs_status", "unknown", "ja", "<b>わからない</b>")
    build = write_build(root / "build", chapters)
    for lang in ("ja", "en"):
        render_html(build, root / "out", lang, commentary_root=root / "no-commentary")
    return root


def page_text(site: Path, lang: str) -> str:
    return (site / "out" / lang / "index.html").read_text(encoding="utf-8")


def test_one_page_per_language(site: Path) -> None:
    for lang in ("ja", "en"):
        html = page_text(site, lang)
        assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">')


def test_pages_are_self_contained(site: Path) -> None:
    for lang in ("ja", "en"):
        html = page_text(site, lang)
        page = parse(html)
        assert page.sources == []
        assert "<link rel=\"stylesheet\"" not in html and "@import" not in html
        assert not re.search(r"url\((?!data:|#)", html)
        external = [h for h in page.links if re.match(r"[a-z]+:", h)]
        assert external == []
        assert "@font-face" in html and "data:font/woff;base64," in html


def test_labels_are_escaped(site: Path) -> None:
    en, ja = page_text(site, "en"), page_text(site, "ja")
    assert "<script>alert(" not in en
    assert "&lt;script&gt;alert(" in en
    assert "<b>わからない</b>" not in ja and "&lt;b&gt;わからない&lt;/b&gt;" in ja
    assert "<script>alert('x')</script> & more" in "".join(parse(en).text)


def test_contents_and_language_links_resolve(site: Path) -> None:
    pages = {lang: parse(page_text(site, lang)) for lang in ("ja", "en")}
    for lang, other in (("ja", "en"), ("en", "ja")):
        page = pages[lang]
        for href in page.links:
            if href.startswith("#"):
                assert href[1:] in page.ids, href
            elif href.startswith(f"../{other}/index.html"):
                anchor = href.partition("#")[2]
                assert not anchor or anchor in pages[other].ids, href
            else:
                assert re.fullmatch(r"\.\./data/[a-z0-9_]+\.csv", href), href
        assert f"../{other}/index.html#ch2-status" in page.links
        assert {"ch1", "ch2-status", "methodology", "colophon", "contents"} <= page.ids


def test_every_chart_has_svg_with_a_name_table_and_csv(site: Path) -> None:
    html = page_text(site, "en")
    figures = re.findall(r'<figure class="chart[^"]*" id="chart-([a-z0-9_]+)">(.*?)</figure>', html, re.S)
    assert len(figures) == 53
    for chart_id, body in figures:
        assert f'aria-labelledby="chart-{chart_id}-title"' in body and 'role="img"' in body
        assert f'<title id="chart-{chart_id}-title">Chart: ' in body
        assert "<details class=\"chart-data\">" in body and "<table class=\"data-table\">" in body
        assert f'href="../data/{chart_id}.csv"' in body
        assert "n=" in body


def test_svg_ids_are_unique_in_the_page(site: Path) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page_text(site, "ja"))
    assert len(ids) == len(set(ids))


def test_synthetic_data_is_stated_in_the_pages_language(site: Path, tmp_path: Path) -> None:
    assert "合成サンプルデータ" in page_text(site, "ja")
    assert "Synthetic sample data" in page_text(site, "en")
    build = write_build(tmp_path / "build", survey=survey_doc(synthetic=False))
    real = render_html(build, tmp_path / "out", "en", commentary_root=tmp_path).read_text(encoding="utf-8")
    assert "ynthetic" not in "".join(parse(real).text)


def test_english_page_text_has_no_japanese_outside_the_allow_list(site: Path) -> None:
    survey = json.loads((site / "build" / "survey.json").read_text(encoding="utf-8"))
    allowed = [survey["survey"]["publisher"]["ja"], Translator("en")("ui.other_language")]
    text = "".join(parse(page_text(site, "en")).text)
    for word in allowed:
        text = text.replace(word, "")
    assert JAPANESE.findall(text) == []


def test_renders_are_byte_identical(site: Path, tmp_path: Path) -> None:
    again = render_html(site / "build", tmp_path, "ja", commentary_root=site / "no-commentary")
    assert again.read_bytes() == (site / "out" / "ja" / "index.html").read_bytes()


def test_inline_svg_prefixes_ids_and_names_the_image() -> None:
    svg = ('<?xml version="1.0"?>\n<!-- made by hand -->\n<svg width="10pt" viewBox="0 0 10 10" '
           'xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="p1"><rect/></clipPath></defs>'
           '<g id="patch_1" clip-path="url(#p1)"><use xlink:href="#p1"/></g></svg>')
    out = str(inline_svg(svg, "chart-x", 'A & "B" <c>'))
    assert out.startswith('<svg width="10pt"') and "<?xml" not in out and "made by hand" not in out
    assert 'id="chart-x-p1"' in out and 'url(#chart-x-p1)' in out and 'href="#chart-x-p1"' in out
    assert 'id="chart-x-patch_1"' not in out and '<g clip-path="url(#chart-x-p1)">' in out  # ids nothing points to go
    assert '<title id="chart-x-title">A &amp; &#34;B&#34; &lt;c&gt;</title>' in out


def test_one_slide_matches_its_snapshot(site: Path, snapshot) -> None:
    html = page_text(site, "en")
    match = re.search(r'<section class="slide" id="ch2-status".*?</section>', html, re.S)
    assert match is not None
    assert match.group(0) == snapshot(extension_class=SnapshotsFolder)


def test_templates_do_no_arithmetic() -> None:
    """Renderers never compute: no template (HTML or Quarto) holds an arithmetic expression."""
    from jinja2 import Environment, nodes

    from hakusho import config

    arithmetic = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg)
    env = Environment()
    found = []
    for path in sorted((config.TEMPLATES_DIR / "html").glob("*.j2")) + sorted(
            (config.TEMPLATES_DIR / "quarto").glob("*.j2")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.parent.name}/{path.name}:{node.lineno}" for node in tree.find_all(arithmetic)]
    assert found == []


def test_a_bar_gets_a_native_tooltip_with_its_value_and_base() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g id="bar-saas-doing"><path d="M0 0"/></g></svg>'
    html = inline_svg(svg, "chart-cs_status", "CS status", {"bar-saas-doing": "Doing: 86.0% (n=257) <b>"})
    assert '<g id="chart-cs_status-bar-saas-doing"><title>Doing: 86.0% (n=257) &lt;b&gt;</title><path' in html


def test_the_methodology_states_sampling_tests_adjustments_perturbation_and_thresholds(site: Path) -> None:
    for lang in ("ja", "en"):
        html = page_text(site, lang)
        section = html[html.index('id="methodology"'):html.index('id="colophon"')]
        text = "".join(parse(section).text)
        assert [words for words in METHODOLOGY_STATES[lang] if words not in text] == [], lang

def test_font_subsets_are_cut_once_per_text_and_kept_by_content(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from hakusho import config
    from hakusho.render import page

    cut: list[str] = []
    original = page._subset

    def counting(path: Path, chars: str) -> bytes:
        cut.append(path.name)
        return original(path, chars)

    monkeypatch.setattr(page, "_subset", counting)
    monkeypatch.delenv(config.CACHE_ENV, raising=False)
    plain = page.font_face_css("顧客の成功 Customer success")
    assert len(cut) == 3
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    assert page.font_face_css("顧客の成功 Customer success") == plain  # cut again, then kept
    assert page.font_face_css("Customer success 顧客の成功") == plain  # the same characters
    assert len(cut) == 6
    assert page.font_face_css("顧客の成功 Customer success!") != plain
    assert len(cut) == 9
