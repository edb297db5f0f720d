"""The charts' typefaces, and setting text in them: where the fonts are, what they can draw, how
wide a text is, and where a label may break.

- Japanese: IPAexGothic, taken from the installed ``matplotlib-fontja`` package (hakusho ships no
  font). It is registered with matplotlib's font manager by file path.
- English: DejaVu Sans, the face matplotlib itself ships. Its Latin typography is right where
  IPAexGothic's is not (IPAexGothic sets curly quotes and dashes full-width), and it has no
  Japanese glyphs at all, so Japanese that leaks into an English chart cannot be drawn and is
  reported (:func:`missing_glyphs`) instead of passing unnoticed.
- Japanese charts fall back to DejaVu Sans for the few symbols IPAexGothic lacks (≥, ≤): the SVG
  names both families, and matplotlib, browsers and Typst all pick per glyph.

The PDF stage hands :func:`font_dirs` to Typst as font paths: Typst then draws the SVG text of the
charts in the same faces the layout was measured with.

``matplotlib-fontja`` is located with ``importlib.util.find_spec`` rather than imported (or opened
with ``importlib.resources.files``, which imports it): importing it runs its ``japanize()``, which
rewrites matplotlib's global ``font.family``. The charts never rely on global state, and looking
up a font must not change it behind anyone's back either.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font, LoadFlags

from hakusho.errors import BuildError
from hakusho.i18n import LANGS

JA_PACKAGE = "matplotlib_fontja"
JA_FILE = "ipaexg.ttf"
JA_FAMILY = "IPAexGothic"
LATIN_FAMILY = "DejaVu Sans"
# Per language, the families a chart is set in, first choice first (a fallback list).
FAMILIES: dict[str, tuple[str, ...]] = {"ja": (JA_FAMILY, LATIN_FAMILY), "en": (LATIN_FAMILY,)}
_FILES_BY_FAMILY = {JA_FAMILY: "ja", LATIN_FAMILY: "en"}


def _check_lang(lang: str) -> None:
    if lang not in FAMILIES:
        raise BuildError(f"unknown language '{lang}' (valid: {', '.join(LANGS)})")


@cache
def _ja_file() -> Path:
    spec = importlib.util.find_spec(JA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(
            f"the Japanese chart font is missing: install the 'matplotlib-fontja' package (it holds {JA_FILE})"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "fonts" / JA_FILE
        if path.is_file():
            return path
    raise BuildError(f"{JA_FILE} not found in the installed {JA_PACKAGE} package (expected in fonts/)")


def font_file(lang: str = "ja") -> Path:
    """Path of the ``.ttf`` of the first family the charts of ``lang`` are set in."""
    _check_lang(lang)
    if lang == "ja":
        return _ja_file()
    path = Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    if not path.is_file():
        raise BuildError(f"DejaVuSans.ttf is missing from matplotlib's data folder ({path.parent.name})")
    return path


def font_dir(lang: str = "ja") -> Path:
    """The folder holding :func:`font_file` of ``lang``."""
    return font_file(lang).parent


def font_dirs() -> list[Path]:
    """Every folder Typst needs as a font path to draw the charts' SVG text, in both languages."""
    return [font_dir(lang) for lang in LANGS]


@cache
def register_fonts() -> None:
    """Make both faces known to matplotlib (once per process), checking their family names.

    A face whose name differs from the one the charts ask for fails here, not as a silent
    fallback to another font.
    """
    for family, lang in _FILES_BY_FAMILY.items():
        path = font_file(lang)
        if lang == "ja":
            font_manager.fontManager.addfont(str(path))
        name = FontProperties(fname=str(path)).get_name()
        if name != family:
            raise BuildError(f"{path.name}: font family is '{name}', expected '{family}'")
        found = Path(font_manager.findfont(FontProperties(family=family), fallback_to_default=False))
        if found.resolve() != path.resolve():
            raise BuildError(f"matplotlib resolves '{family}' to {found.name}, expected {path.name}")


def font_family(lang: str) -> tuple[str, ...]:
    """The families the charts of ``lang`` are set in, first choice first (registered first)."""
    _check_lang(lang)
    register_fonts()
    return FAMILIES[lang]


@cache
def _family_charmap(family: str) -> frozenset[int]:
    return frozenset(FT2Font(str(font_file(_FILES_BY_FAMILY[family]))).get_charmap())


@cache
def _charmap(lang: str) -> frozenset[int]:
    return frozenset().union(*(_family_charmap(family) for family in FAMILIES[lang]))


def missing_glyphs(text: str, lang: str) -> list[str]:
    """Characters of ``text`` no face of ``lang`` can draw (matplotlib would only warn)."""
    _check_lang(lang)
    charmap = _charmap(lang)
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in charmap})


# --------------------------------------------------------------------------- measuring

_MEASURE_SIZE = 100.0  # points; advances are read once at this size and scaled


@cache
def _face(family: str) -> FT2Font:
    face = FT2Font(str(font_file(_FILES_BY_FAMILY[family])))
    face.set_size(_MEASURE_SIZE, 72)  # at 72 dpi one pixel is one point
    return face


@cache
def _advance(ch: str, families: tuple[str, ...]) -> float:
    """Unhinted advance of ``ch`` at 1 pt, from the first face that has it (matplotlib's fallback)."""
    for family in families:
        if ord(ch) in _family_charmap(family):
            glyph = _face(family).load_char(ord(ch), flags=LoadFlags.NO_HINTING)
            return glyph.linearHoriAdvance / 65536 / _MEASURE_SIZE
    return 0.5  # undrawable; reported by missing_glyphs before anything is drawn


@cache
def text_width(text: str, family: str | tuple[str, ...], size: float) -> float:
    """Width in inches of ``text`` (its widest line) set in ``family`` at ``size`` points.

    The sum of the glyphs' advance widths: kerning is left out, so a measure errs on the wide
    side and a label measured to fit does fit. Fast enough to try every line break.
    """
    families = (family,) if isinstance(family, str) else tuple(family)
    unknown = [f for f in families if f not in _FILES_BY_FAMILY]
    if unknown:
        raise BuildError(f"no font file known for family '{unknown[0]}' (known: {', '.join(_FILES_BY_FAMILY)})")
    register_fonts()
    return max(sum(_advance(ch, families) for ch in line) for line in text.split("\n")) * size / 72


# --------------------------------------------------------------------------- line breaking

# Kinsoku: closing punctuation and small kana never start a line, opening brackets never end one.
_CLOSING = set("、。，．・：；？！）」』】〕〉》％),.:;!?%]}")
_NO_LINE_START = _CLOSING | set("ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
_NO_LINE_END = set("（「『【〔〈《([{")
_SCRIPT_BREAKS = {("C", "K"), ("K", "C"), ("C", "L"), ("L", "C"), ("K", "L"), ("L", "K")}
# One-character particles after which a phrase ends; a longer hiragana run ends one too. A single
# other hiragana between kanji is okurigana inside a word (取り組む, 立ち上がり) and holds.
_PARTICLES = set("のをにはがへとでもや")


def _script(ch: str) -> str:
    """H hiragana, K katakana, C kanji, L narrow (Latin, digits), P other wide (punctuation)."""
    code = ord(ch)
    if 0x3041 <= code <= 0x309F:
        return "H"
    if 0x30A0 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
        return "K"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or ch == "々":
        return "C"
    return "P" if unicodedata.east_asian_width(ch) in ("W", "F") else "L"


def _may_break(word: str, i: int) -> bool:
    """May a line break between ``word[i - 1]`` and ``word[i]``? A phrase boundary of unspaced
    text: after punctuation, before an opening bracket, where a particle or a run of kana ends, or
    where the script changes between word-like runs (kanji, katakana, Latin)."""
    before, after = word[i - 1], word[i]
    if after in _NO_LINE_START or before in _NO_LINE_END:
        return False
    if before in _CLOSING or after in _NO_LINE_END:
        return True
    scripts = (_script(before), _script(after))
    if scripts[0] == "H" and scripts[1] in ("C", "K", "L"):
        run = 0
        while run < i and _script(word[i - 1 - run]) == "H":
            run += 1
        return run >= 2 or before in _PARTICLES
    return scripts in _SCRIPT_BREAKS


def _phrases(text: str) -> list[str]:
    """``text`` as pieces between break opportunities; a single space stands for a space."""
    pieces: list[str] = []
    for word in text.split():
        parts = []
        start = 0
        for i in range(1, len(word)):
            if _may_break(word, i):
                parts.append(word[start:i])
                start = i
        parts.append(word[start:])
        if pieces and (word[0] in _NO_LINE_START or pieces[-1][-1] in _NO_LINE_END):
            pieces[-1] += " " + parts.pop(0)  # no break at a space next to a bracket or mark
        elif pieces:
            pieces.append(" ")
        pieces += parts
    return pieces


def _characters(piece: str) -> list[str]:
    """A phrase too wide for a line, split between characters (kinsoku still holds, Latin words whole)."""
    chars: list[str] = []
    for ch in piece:
        # A space inside a phrase is glued to the mark before it, so the mark that decides whether
        # a line may end here is the last one that is not a space (a line is stripped when set).
        last = chars[-1].rstrip()[-1] if chars else ""
        glue = chars and (
            ch in _NO_LINE_START
            or ch == " "  # only a space next to a closing mark or an opening bracket is inside a phrase
            or last in _NO_LINE_END
            or (_script(ch) == "L" and _script(last) == "L")
        )
        if glue:
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars


def wrap_label(text: str, max_width: float, *, family: str | tuple[str, ...], size: float) -> str:
    """``text`` broken into lines no wider than ``max_width`` inches, lines of even length.

    Japanese breaks at phrase boundaries (after particles and punctuation, between kanji and
    katakana words) and inside a phrase only when the phrase alone is wider than a line, never
    against the kinsoku rules; Latin text breaks between words, and a single word wider than the
    limit stays whole. Among the breakings with the fewest lines, the one whose longest line is
    shortest is kept (a small dynamic programme over the break opportunities).
    """

    def width(pieces: Sequence[str]) -> float:
        return text_width("".join(pieces).strip(), family, size)

    pieces: list[str] = []
    for piece in _phrases(text):
        pieces += [piece] if piece == " " or width([piece]) <= max_width else _characters(piece)
    if not pieces:
        return ""
    # best[j]: (lines, longest line, start of the last line) for the first j pieces.
    best: list[tuple[int, float, int] | None] = [(0, 0.0, 0)] + [None] * len(pieces)
    for j in range(1, len(pieces) + 1):
        if pieces[j - 1] == " ":
            best[j] = best[j - 1]  # a trailing space changes nothing
            continue
        for i in range(j - 1, -1, -1):
            line = width(pieces[i:j])
            if line > max_width and i < j - 1:
                break
            previous = best[i]
            if previous is None:
                continue
            candidate = (previous[0] + 1, max(previous[1], line), i)
            current = best[j]
            if current is None or candidate[:2] < current[:2]:
                best[j] = candidate
    lines: list[str] = []
    j = len(pieces)
    while j > 0:
        entry = best[j]
        assert entry is not None
        if pieces[j - 1] == " ":
            j -= 1
            continue
        lines.append("".join(pieces[entry[2]:j]).strip())
        j = entry[2]
    return "\n".join(reversed(lines))
