"""The house style of every chart: one style sheet, the language's font, the palettes, and
deterministic saving.

:func:`house_style` loads ``resources/hakusho.mplstyle`` on top of matplotlib's defaults and sets
the font for the language, around everything that creates artists (nothing global). Saving uses a
fixed ``svg.hashsalt`` and writes no date or creator, so the same figure gives the same bytes in
any process (see :mod:`hakusho.charts.draw` for why SVG text stays text).
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import matplotlib.style  # mpl.style is not loaded by ``import matplotlib``
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from hakusho import config
from hakusho.charts import fonts
from hakusho.errors import BuildError

STYLE_FILE = "resources/hakusho.mplstyle"  # the project's own copy, else the package's
SVG_HASH_SALT = "hakusho"
SVG_METADATA = {"Date": None, "Creator": None}

# Figure widths in inches: half of a 16:9 slide (two charts side by side) and its full width.
WIDTHS = {"half": 6.4, "full": 12.8}


@contextmanager
def house_style(lang: str) -> Iterator[None]:
    """matplotlib's defaults, the house style sheet and the language's font — nothing global."""
    family = fonts.font_family(lang)
    with mpl.style.context(["default", config.resource(STYLE_FILE)]), mpl.rc_context({"font.family": list(family)}):
        yield


def house_palette() -> list[str]:
    """The categorical colours of the style sheet (read inside :func:`house_style`)."""
    return [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]


def tint(color: str, amount: float) -> str:
    """``color`` mixed with white (``amount`` 1 = white)."""
    r, g, b = to_rgb(color)
    return to_hex((r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount))


def _shade(color: str, amount: float) -> str:
    """``color`` darkened in lightness, hue kept (for text in the accent colour)."""
    h, l_, s = colorsys.rgb_to_hls(*to_rgb(color))
    return to_hex(colorsys.hls_to_rgb(h, l_ * (1 - amount), s))


def _luminance(color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21; small text wants 4.5)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(color: str) -> str:
    """Dark text on light fills, white on dark ones (the one with the larger contrast)."""
    dark = mpl.rcParams["text.color"]
    return "#FFFFFF" if contrast_ratio("#FFFFFF", color) >= contrast_ratio(dark, color) else dark


def categorical_colors(n: int) -> list[str]:
    """``n`` colours for unordered choices: the house palette, then its tints."""
    base = house_palette()
    return [base[i] if i < len(base) else tint(base[i % len(base)], 0.5) for i in range(n)]


def sequential_colors(n: int) -> list[str]:
    """``n`` colours for ordered buckets, light teal to navy (first bucket lightest)."""
    import seaborn as sns  # palette tools only; imported where used to keep the CLI start quick

    navy, teal = house_palette()[:2]
    ramp = sns.blend_palette([tint(teal, 0.78), teal, navy], n_colors=max(n, 2))
    return [to_hex(c) for c in ramp[:n]] if n > 1 else [to_hex(ramp[0])]


def current_family() -> tuple[str, ...]:
    """The font families of the current style (set per language by :func:`house_style`)."""
    return tuple(mpl.rcParams["font.family"])


def muted() -> str:
    return mpl.rcParams["axes.labelcolor"]


def accent_text() -> str:
    """Amber darkened to a readable text colour (notes about small bases)."""
    return _shade(house_palette()[2], 0.55)


@contextmanager
def _saving(text: str) -> Iterator[None]:
    if text not in ("text", "paths"):
        raise BuildError(f"SVG text mode '{text}' (expected 'text' or 'paths')")
    rc = {"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "none" if text == "text" else "path", "svg.id": None}
    with mpl.style.context(["default", config.resource(STYLE_FILE)]), mpl.rc_context(rc):
        yield


def save_svg(fig: Figure, path: str | Path, *, text: str = "text") -> Path:
    """Write ``fig`` as deterministic SVG (fixed hash salt, no date, no creator).

    ``text="text"`` keeps labels as text set in IPAexGothic (see the module notes);
    ``text="paths"`` draws them as outlines for viewers that cannot be given the font.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _saving(text):
        fig.savefig(path, format="svg", metadata=SVG_METADATA, facecolor="white", edgecolor="white")
    return path


def save_png(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG, for looking at a chart (the report itself uses SVG)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _saving("paths"):
        fig.savefig(path, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white", edgecolor="white")
    return path
