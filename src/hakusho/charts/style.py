"""The house style of every chart: one style sheet, the language's font, the palettes, and
deterministic saving.

:func:`house_style` loads ``resources/hakusho.mplstyle`` on top of matplotlib's defaults and sets
the font for the language, around everything that creates artists (nothing global). Saving uses a
fixed ``svg.hashsalt`` and writes no date or creator, so the same figure gives the same bytes in
any process (see :mod:`hakusho.charts.draw` for why SVG text stays text).
"""

from __future__ import annotations

import colorsys
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.style  # mpl.style is not loaded by ``import matplotlib``
import matplotlib.text
from matplotlib.axis import Axis
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text

from hakusho import config
from hakusho.charts import fonts
from hakusho.errors import BuildError

STYLE_FILE = "resources/hakusho.mplstyle"  # the project's own copy, else the package's
SVG_HASH_SALT = "hakusho"
SVG_METADATA = {"Date": None, "Creator": None}

# Figure widths in inches: half of a 16:9 slide (two charts side by side), its full width, and a
# phone held upright (the HTML page shows that drawing on narrow screens, where a slide's would
# have to shrink below legibility).
WIDTHS = {"half": 6.4, "full": 12.8, "phone": 3.9}


@contextmanager
def house_style(lang: str) -> Iterator[None]:
    """matplotlib's defaults, the house style sheet and the language's font — nothing global."""
    with _style(("font.family", tuple(fonts.font_family(lang)))):
        yield


@contextmanager
def _style(*extra: tuple[str, Any]) -> Iterator[None]:
    """What ``style.context(["default", <style sheet>])`` with ``rc_context(dict(extra))`` does:
    the same parameters set, the previous ones restored on the way out. The parameters come from
    :func:`_style_values`, computed once per sheet: applying the style anew for every chart
    (reading the sheet, validating some 300 parameters) cost more than drawing many charts."""
    sheet = config.resource(STYLE_FILE)
    params = mpl.rcParams
    update = getattr(params, "_update_raw", None) or functools.partial(dict.update, params)
    before = dict(dict.items(params))
    values = _style_values(str(sheet), sheet.read_bytes(), extra)
    update(values)
    try:
        with _shared_text_metrics(id(values)):
            yield
    finally:
        update(before)


# Text sizes measured under one style, shared by every figure drawn under it: matplotlib keeps
# them per renderer, that is per figure, and measuring a label (FreeType setting the string in
# IPAexGothic) was a third of a chart's drawing. A size is a function of the key alone — the
# style's parameters (the scope, fixed while its context is open), the kind of renderer, the
# string, the font properties, math or not, and the dots per inch — so sharing it changes no byte.
_METRICS: dict[tuple[Any, ...], Any] = {}
_METRICS_LIMIT = 200_000  # a long ``hakusho preview`` starts again rather than growing for ever


@contextmanager
def _shared_text_metrics(scope: int) -> Iterator[None]:
    original = getattr(matplotlib.text, "_get_text_metrics_with_cache", None)
    if original is None:  # a matplotlib without the hook measures per figure, as before
        yield
        return

    def shared(renderer: Any, text: str, fontprop: Any, ismath: Any, dpi: float) -> Any:
        inner = getattr(renderer, "_renderer", renderer)  # a vector backend's mixed-mode wrapper
        key = (scope, type(renderer), type(inner), getattr(inner, "dpi", None), text, fontprop, ismath, dpi)
        found = _METRICS.get(key)
        if found is None:
            if len(_METRICS) >= _METRICS_LIMIT:
                _METRICS.clear()
            found = _METRICS[key] = original(renderer, text, fontprop.copy(), ismath, dpi)
        return found

    matplotlib.text._get_text_metrics_with_cache = shared
    try:
        yield
    finally:
        matplotlib.text._get_text_metrics_with_cache = original


@cache
def _style_values(sheet: str, content: bytes, extra: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Every style parameter as the sheet (whose ``content`` is part of the cache key: a project
    may edit its copy while ``hakusho preview`` runs) and ``extra`` set them, validated once."""
    rc = {k: list(v) if isinstance(v, tuple) else v for k, v in extra}
    with mpl.style.context(["default", sheet]), mpl.rc_context(rc):
        return {k: v for k, v in dict.items(mpl.rcParams) if k not in _not_style()}


@cache
def _not_style() -> frozenset[str]:
    """The parameters a style never sets (backend, interactive …), as matplotlib lists them."""
    names = getattr(matplotlib.style, "_STYLE_BLACKLIST", None)
    if names is None:  # matplotlib before 3.11
        from matplotlib.style.core import STYLE_BLACKLIST as names
    return frozenset(names)


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


@cache  # pages ask for the same few colours thousands of times
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


def texts_drawn(artist: Any) -> Iterator[Text]:
    """Every text of ``artist`` and its children, as ``findobj(Text)`` finds them — except the
    ticks of an axis that is not drawn (hidden, or its axes turned off): asking an axis for its
    children makes every tick its locator can place, which was a fifth of a chart's drawing time."""
    if isinstance(artist, Text):
        yield artist
    if isinstance(artist, Axis) and not (artist.get_visible() and artist.axes.axison):
        children = [artist.label, artist.offsetText]
    else:
        children = artist.get_children()
    for child in children:
        yield from texts_drawn(child)


@contextmanager
def _saving(text: str) -> Iterator[None]:
    if text not in ("text", "paths"):
        raise BuildError(f"SVG text mode '{text}' (expected 'text' or 'paths')")
    with _style(("svg.hashsalt", SVG_HASH_SALT), ("svg.fonttype", "none" if text == "text" else "path"),
                ("svg.id", None)):
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
