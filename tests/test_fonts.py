"""Fonts: found in the installed packages without side effects, measured, and given to Typst so
that the charts' SVG text lands in the PDF as real text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hakusho.charts import draw as charts
from hakusho.charts import fonts
from hakusho.errors import BuildError


def test_the_japanese_face_comes_from_matplotlib_fontja() -> None:
    path = fonts.font_file("ja")
    assert path.name == "ipaexg.ttf" and path.is_file()
    assert "matplotlib_fontja" in path.parts
    assert fonts.font_dir("ja") == path.parent
    assert fonts.font_file("en").name == "DejaVuSans.ttf"
    assert fonts.font_dirs() == [fonts.font_dir("ja"), fonts.font_dir("en")]
    assert fonts.font_family("ja") == ("IPAexGothic", "DejaVu Sans")
    assert fonts.font_family("en") == ("DejaVu Sans",)
    with pytest.raises(BuildError, match="unknown language"):
        fonts.font_family("fr")


def test_finding_the_font_leaves_matplotlib_global_state_alone() -> None:
    """matplotlib_fontja rewrites font.family when imported; hakusho never imports it."""
    script = (
        "import sys, matplotlib as mpl\n"
        "before = list(mpl.rcParams['font.family'])\n"
        "from hakusho.charts import fonts\n"
        "fonts.font_file('ja'); fonts.register_fonts(); fonts.text_width('継続率', fonts.font_family('ja'), 9)\n"
        "assert list(mpl.rcParams['font.family']) == before, mpl.rcParams['font.family']\n"
        "assert 'matplotlib_fontja' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env=dict(os.environ), capture_output=True, timeout=300)


def test_missing_glyphs_per_language() -> None:
    assert fonts.missing_glyphs("継続率の向上 ≥ 90%", "ja") == []  # ≥ comes from the fallback face
    assert fonts.missing_glyphs("Retention 継続", "en") == ["継", "続"]
    assert fonts.missing_glyphs("Retention “rate” – ¥4m", "en") == []


def test_text_width_grows_with_text_and_size() -> None:
    family = fonts.font_family("ja")
    one = fonts.text_width("継続率", family, 9)
    assert one == pytest.approx(3 * 9 / 72)  # full-width glyphs are one em each
    assert fonts.text_width("継続率", family, 18) == pytest.approx(2 * one)
    assert fonts.text_width("継続率\n継続率の向上", family, 9) == pytest.approx(2 * one)
    with pytest.raises(BuildError, match="no font file known"):
        fonts.text_width("x", "Comic Sans", 9)


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("継続率の向上", 3.0, ["継続率の向上"]),
        ("導入後の立ち上がり（オンボーディング）の早期化", 1.8, ["導入後の立ち上がり", "（オンボーディング）の早期化"]),
        ("顧客ロイヤリティ（NPSなど）の向上", 1.3, ["顧客ロイヤリティ", "（NPSなど）の向上"]),
        ("CSに取り組んでいるSaaS企業", 1.3, ["CSに取り組んでいる", "SaaS企業"]),
        ("Customer loyalty (NPS and the like)", 1.6, ["Customer loyalty", "(NPS and the like)"]),
    ],
)
def test_labels_break_at_phrase_boundaries(text: str, width: float, lines: list[str]) -> None:
    lang = "en" if text.isascii() else "ja"
    assert fonts.wrap_label(text, width, family=fonts.font_family(lang), size=9).split("\n") == lines


JA_TEXT = st.text(
    alphabet="継続率向上顧客のをにはがいるかアップセルー・（）「」『』、。SaaSCS (x) 12ッ々%", min_size=1, max_size=40
)
# Kinsoku, spelled out here rather than read from the module under test.
NEVER_STARTS_A_LINE = set("、。，．・：；？！）」』】〕〉》％),.:;!?%]}")
NEVER_STARTS_A_LINE |= set("ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
NEVER_ENDS_A_LINE = set("（「『【〔〈《([{")


@settings(max_examples=200, deadline=None)
@given(text=JA_TEXT, width=st.floats(min_value=0.3, max_value=3.0))
# Found by this test: a space after an opening bracket hid the bracket from the kinsoku rule.
@example(text="（ い1", width=0.3125)
@example(text="顧客（ ロイヤリティ", width=0.3125)
@example(text="顧客（ ロイヤリティ", width=0.5)
@example(text="い 」ッ", width=0.3)
def test_wrapping_keeps_every_character_and_the_kinsoku_rules(text: str, width: float) -> None:
    family = fonts.font_family("ja")
    wrapped = fonts.wrap_label(text, width, family=family, size=9)
    assert wrapped.replace("\n", "").replace(" ", "") == text.replace(" ", "")
    lines = wrapped.split("\n") if wrapped else []
    for line in lines:
        assert line and line == line.strip(), (text, wrapped)
    for line in lines[1:]:
        assert line[0] not in NEVER_STARTS_A_LINE, (text, wrapped)
    for line in lines[:-1]:
        assert line[-1] not in NEVER_ENDS_A_LINE, (text, wrapped)
    for line in lines:
        # Only an unbreakable run may be wider than the limit: wrapping it again changes nothing.
        if fonts.text_width(line, family, 9) > width + 1e-9:
            assert fonts.wrap_label(line, width, family=family, size=9) == line, (text, wrapped)


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("（ い1", 0.3125, ["（ い", "1"]),
        ("顧客（ ロイヤリティ", 0.3125, ["顧客", "（ ロ", "イヤ", "リ", "ティ"]),
        ("顧客（ ロイヤリティ", 0.8, ["顧客（ ロ", "イヤリティ"]),
    ],
)
def test_a_spaced_opening_bracket_stays_with_what_follows(text: str, width: float, lines: list[str]) -> None:
    """A space between an opening bracket and its text does not let the line end at the bracket."""
    assert fonts.wrap_label(text, width, family=fonts.font_family("ja"), size=9).split("\n") == lines


def test_typst_draws_the_chart_text_with_the_font_dirs(tmp_path: Path) -> None:
    """The PDF stage's contract: SVG text (not outlines) becomes real, extractable PDF text."""
    pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    from test_charts import multi_chart

    for lang in ("ja", "en"):
        charts.save_svg(charts.draw_chart(multi_chart(), lang), tmp_path / f"chart.{lang}.svg")
    (tmp_path / "doc.typ").write_text(
        '#set page(width: 16cm, height: 24cm, margin: 0.5cm)\n'
        '#image("chart.ja.svg", width: 100%)\n#image("chart.en.svg", width: 100%)\n',
        encoding="utf-8",
    )
    # Typst runs in a process of its own: its thread pool must not exist in this test process,
    # which may later fork render processes (hakusho.pipeline.render_pool).
    script = ("import sys, typst\n"
              "typst.compile(sys.argv[1], output=sys.argv[2], font_paths=sys.argv[3:], ignore_system_fonts=True)\n")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "doc.typ"), str(tmp_path / "doc.pdf"),
                    *[str(p) for p in fonts.font_dirs()]], check=True, capture_output=True, timeout=300)
    reader = pypdf.PdfReader(str(tmp_path / "doc.pdf"))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "継続率の向上" in text
    assert "More upsell and cross-sell" in text
    names = {name for page in reader.pages for name in _font_names(page["/Resources"])}
    assert any("IPAexGothic" in n for n in names), names
    assert any("DejaVuSans" in n for n in names), names


def _font_names(resources: object) -> set[str]:
    """Base font names in a PDF resource dictionary and in the form XObjects it holds (SVGs)."""
    resources = resources.get_object()  # type: ignore[attr-defined]
    names = {str(f.get_object()["/BaseFont"]) for f in resources.get("/Font", {}).values()}
    for xobject in resources.get("/XObject", {}).values():
        inner = xobject.get_object().get("/Resources")
        if inner is not None:
            names |= _font_names(inner)
    return names
