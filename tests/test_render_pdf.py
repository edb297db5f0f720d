"""The slide decks, read back: pages as the spec says, text extractable, fonts embedded, stable bytes."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pypdf
import pytest
from fixtures_build import METHODOLOGY_STATES, write_build

from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.i18n import Translator
from hakusho.render import deck
from hakusho.render.viewmodel import report_model

JAPANESE = re.compile(r"[\u203b\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")
LANGS = ("ja", "en")


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("pdf")
    build = write_build(root / "build")
    no_commentary = root / "no-commentary"
    out: dict[str, Any] = {"root": root, "build": build, "no_commentary": no_commentary}
    for lang in LANGS:
        path = deck.render_pdf(build, root / "out", lang, commentary_root=no_commentary)
        with pdfplumber.open(path) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
        out[lang] = {"path": path, "pages": pages,
                     "model": report_model(build, lang, commentary_root=no_commentary)}
    return out


def squeeze(text: str) -> str:
    """Text as extraction gives it back: without the spaces put between Japanese and Latin runs,
    and with one tilde for the wave dash and the full-width tilde (one glyph in IPAexGothic)."""
    return re.sub(r"\s+", "", text).replace("\u301c", "~").replace("\uff5e", "~")


def test_page_count_follows_the_spec(decks) -> None:
    spec = default_spec()
    glossary = importlib.util.find_spec("hakusho.text.glossary") is not None
    expected = (deck.FRONT_PAGES + len(spec.chapters) + sum(len(ch.slides) for ch in spec.chapters)
                + deck.METHODOLOGY_PAGES + (deck.GLOSSARY_PAGES if glossary else 0) + deck.BACK_PAGES)
    for lang in LANGS:
        assert len(decks[lang]["pages"]) == expected, lang
        assert deck.expected_pages(decks[lang]["model"]) == expected


def test_pages_are_16_by_9(decks) -> None:
    box = pypdf.PdfReader(decks["en"]["path"]).pages[5].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)


def test_slide_titles_headlines_and_key_figures_are_in_the_text(decks) -> None:
    for lang in LANGS:
        text = squeeze("\n".join(decks[lang]["pages"]))
        model = decks[lang]["model"]
        for chapter in model["chapters"]:
            assert squeeze(chapter["title"]) in text
            for slide in chapter["slides"]:
                assert squeeze(slide["title"]) in text, slide["id"]
                assert squeeze(slide["headline"]) in text, slide["id"]
        assert "86.0%" in text and "781" in text
        assert squeeze(model["methodology"]["title"]) in text
    assert "カスタマーサクセス白書2025" in squeeze(decks["ja"]["pages"][0])


def test_the_methodology_states_sampling_tests_adjustments_perturbation_and_thresholds(decks) -> None:
    for lang in LANGS:
        pages = decks[lang]["pages"]
        title = squeeze(decks[lang]["model"]["methodology"]["title"])
        start = max(i for i, page in enumerate(pages) if title in squeeze(page))  # not the contents page
        text = squeeze("".join(pages[start:start + deck.METHODOLOGY_PAGES]))
        missing = [words for words in METHODOLOGY_STATES[lang] if squeeze(words) not in text]
        assert missing == [], lang


def _slide_pages(model: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(page number, slide) for every slide, by the deck's layout: the front pages, the editors'
    summary when there is one, then per chapter its title slide followed by one page per slide."""
    number = deck.FRONT_PAGES + (deck.SUMMARY_PAGES if model.get("summary") else 0)
    placed = []
    for chapter in model["chapters"]:
        number += 1  # the chapter's title slide
        for slide in chapter["slides"]:
            number += 1
            placed.append((number, slide))
    return placed


def test_each_slide_sits_on_its_own_page(decks) -> None:
    """Slide N of the spec is on page N of the layout and carries that page number; its headline is
    on no other slide's page."""
    for lang in LANGS:
        pages = decks[lang]["pages"]
        placed = _slide_pages(decks[lang]["model"])
        assert len(placed) == sum(len(ch.slides) for ch in default_spec().chapters)
        for number, slide in placed:
            page = squeeze(pages[number - 1])
            assert squeeze(slide["title"]) in page, (lang, number, slide["id"])
            assert squeeze(slide["headline"]) in page, (lang, number, slide["id"])
            assert pages[number - 1].rstrip().endswith(str(number)), (lang, number, slide["id"])
            # Two slides on tiny bases may share the same small-base headline; no other page has it.
            same = {other for other, s in placed if s["headline"] == slide["headline"]}
            shown = {other for other, _ in placed if squeeze(slide["headline"]) in squeeze(pages[other - 1])}
            assert shown == same, (lang, slide["id"], sorted(shown - same))
        first_chapter = decks[lang]["model"]["chapters"][0]
        title_page = placed[0][0] - 1
        assert squeeze(first_chapter["title"]) in squeeze(pages[title_page - 1]), lang


def test_pages_are_numbered_and_say_the_data_is_synthetic(decks) -> None:
    badge = {"ja": "合成サンプルデータ", "en": "Synthetic sample data"}
    for lang in LANGS:
        pages = decks[lang]["pages"]
        for number, page in enumerate(pages, start=1):
            assert squeeze(badge[lang]) in squeeze(page), (lang, number)
            if number > 1:
                assert page.rstrip().endswith(str(number)), (lang, number)


def test_english_deck_has_no_japanese_outside_the_allow_list(decks) -> None:
    survey = decks["en"]["model"]
    allowed = [survey["colophon"]["rows"][1]["value"].partition("(")[2].rstrip(")"),
               Translator("en")("ui.other_language")]
    text = squeeze("\n".join(decks["en"]["pages"]))
    for word in allowed:
        text = text.replace(squeeze(word), "")
    assert JAPANESE.findall(text) == []


def _fonts(path: Path) -> dict[str, bool]:
    """Every font of the PDF and whether its glyphs are embedded."""
    found: dict[str, bool] = {}
    for page in pypdf.PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def test_fonts_are_embedded(decks) -> None:
    ja = _fonts(decks["ja"]["path"])
    assert any("IPAexGothic" in name for name in ja)
    assert all(ja.values()), ja
    en = _fonts(decks["en"]["path"])
    assert any("DejaVuSans" in name for name in en)
    assert all(en.values()), en


def test_renders_are_byte_identical(decks, tmp_path: Path) -> None:
    again = deck.render_pdf(decks["build"], tmp_path, "ja", commentary_root=decks["no_commentary"])
    assert again.read_bytes() == decks["ja"]["path"].read_bytes()
    assert again.name == "hakusho-2025-ja.pdf" and again.parent.name == "ja"


def test_a_font_warning_stops_the_build(decks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deck, "deck_fonts", lambda lang: ["No Such Typeface"])
    with pytest.raises(BuildError, match=r"Typst warned .* \(font\)") as info:
        deck.compile_deck(decks["en"]["model"])
    assert any("no such typeface" in p.message.lower() for p in info.value.problems)


def test_deck_fonts_lead_with_the_languages_face() -> None:
    assert deck.deck_fonts("ja")[0] == "IPAexGothic"
    assert deck.deck_fonts("en")[0] == "DejaVu Sans"
    assert set(deck.deck_fonts("ja")) == set(deck.deck_fonts("en"))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pages_render_to_images(decks, tmp_path: Path) -> None:
    for lang in LANGS:
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "3", str(decks[lang]["path"]),
                        str(tmp_path / lang)], check=True)
    images = sorted(tmp_path.glob("*.png"))
    assert len(images) == 6 and all(p.stat().st_size > 2000 for p in images)


def test_a_build_without_glossary_leaves_its_pages_out(decks) -> None:
    model = dict(decks["en"]["model"], glossary=None)
    pdf = deck.compile_deck(model)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages == deck.expected_pages(model) == deck.expected_pages(decks["en"]["model"]) - (
        deck.GLOSSARY_PAGES if decks["en"]["model"]["glossary"] else 0)


def test_an_editors_summary_adds_its_page(decks) -> None:
    summary = {"anchor": "summary", "title": "Summary of findings", "points": ["First point.", "Second point."],
               "discussion_html": ["<p>One paragraph.</p>"],
               "discussion_blocks": [{"kind": "paragraph", "runs": [{"text": "One ", "strong": False, "em": False},
                                                                    {"text": "paragraph.", "strong": True,
                                                                     "em": False}]}]}
    model = dict(decks["en"]["model"], summary=summary)
    reader = pypdf.PdfReader(io.BytesIO(deck.compile_deck(model)))
    assert len(reader.pages) == deck.expected_pages(model) == deck.expected_pages(decks["en"]["model"]) + 1
    assert "Summary of findings" in reader.pages[2].extract_text()
