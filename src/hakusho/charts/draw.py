"""Charts of the report: one house style, both languages, deterministic SVG.

Input is a chart of ``chapter.json`` (language-neutral: rows with ``label`` ``{ja, en}`` and, per
series, ``count``/``base``/``pct``). Nothing here computes or rounds a share: bars are as long as
the given ``pct`` and their labels print it with its one decimal.

What is drawn (:func:`chart_kind`):

- ``bars``: one series, horizontal bars. Multiple answers are sorted by share, largest on top;
  single and ordinal answers keep questionnaire order. Also every chart whose base is under 10
  (``suppressed``), which shows counts only — on the bars, on the axis and nowhere a percentage —
  with a note that no trend can be read from so few answers.
- ``stacked``: one series of a single or ordinal answer as a 100 % stacked bar (ordinal buckets
  in order, in a sequential palette; the median bucket is named in the legend).
- ``grouped``: several series side by side (SaaS vs non-SaaS, practising vs about to start,
  2023 vs 2025 with ▲▼ on significant changes from ``chart["tests"]``).
- ``trend``: a question asked in three or more waves, one small panel per choice with every wave
  on a time axis and ▲▼ on each significant step (:mod:`hakusho.charts.trend`).

Every figure carries its title, "multiple answers" where it applies, the source for charts of the
2023 edition, a mark for indicative bases (n<30), and under the plot n and the base.

Style: :func:`house_style` loads ``resources/hakusho.mplstyle`` on top of matplotlib's defaults and
sets the font for the language, around everything that creates artists; fonts are then pinned on
every text of the figure, so a figure drawn or saved later — in a notebook whose global state was
changed by ``sns.set_theme()``, say — looks the same. Figures are plain ``Figure`` objects (no
pyplot): nothing accumulates in a global figure manager.

Bars are drawn with matplotlib's ``barh`` rather than seaborn's ``barplot``: a chart dict holds
values already computed and rounded, and seaborn's bar functions estimate from observations —
there is nothing left for them to do here. Seaborn supplies the colour ramps (its palette tools
blend the house colours into evenly spaced steps), and its users are served by the same shape of
API: ``plot_*(chart, lang=..., ax=None) -> Axes``.

SVG text stays text (``svg.fonttype: none``), a choice checked against both consumers:

- PDF: Typst draws SVG text with the fonts it is given. The PDF stage passes
  :func:`hakusho.charts.fonts.font_dirs` as font paths (IPAexGothic for Japanese, DejaVu Sans for English
  and for the few symbols IPAexGothic lacks); the labels land in the PDF as real, extractable text
  in those faces (``tests/test_fonts.py`` compiles one to check).
- HTML: labels stay selectable and searchable, and files stay small, where the SVG is inlined
  in the page, which ships the two faces with ``@font-face`` rules named ``IPAexGothic`` and
  ``DejaVu Sans``. A browser showing an SVG through ``<img>`` cannot load web fonts: such uses
  take ``save_svg(..., text="paths")``, which draws glyph outlines instead.

The layout is measured with these faces' metrics, which is why the same faces must draw it.

Determinism: fixed ``svg.hashsalt``, no date or creator in the metadata, no pyplot state, sorted
inputs. The same chart dict gives byte-identical SVG in any process.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, ScaledTranslation, blended_transform_factory

from hakusho.build_folder import check_chart
from hakusho.charts import fonts, trend
from hakusho.charts.fonts import text_width, wrap_label
from hakusho.charts.style import (
    WIDTHS,
    accent_text,
    categorical_colors,
    current_family,
    house_palette,
    house_style,
    ink_on,
    muted,
    save_svg,
    sequential_colors,
    texts_drawn,
    tint,
)
from hakusho.charts.view import (
    ChartView,
    RowView,
    SeriesView,
    bar_gid,
    chart_kind,
    chart_view,
    format_pct,
)
from hakusho.errors import BuildError
from hakusho.i18n import LANGS, Translator, translator
from hakusho.text import numbers

KINDS = ("bars", "stacked", "grouped", "trend")

# Widest a row label may grow before it wraps, per figure width.
LABEL_WIDTHS = {"half": 2.1, "full": 3.2, "phone": 1.35}

# Layout, in inches (text sizes are in points, from the style sheet or below).
MARGIN = 0.14
GAP = 0.1
BAR_PITCH = 0.3  # one row of a single-series bar chart
GROUP_BAR = 0.16  # one bar of a grouped chart
GROUP_GAP = 0.14  # between groups
# A full-width chart fills the height of a slide's body: rows grow up to this many times their
# pitch until the plot is at least this tall.
MIN_PLOT_HEIGHT = {"half": 0.0, "full": 3.4, "phone": 0.0}
MAX_STRETCH = 1.8
STACK_HEIGHTS = {"half": 0.5, "full": 0.7, "phone": 0.5}  # the band holding a 100 % bar
TITLE_SIZE = 12.0
SUBTITLE_SIZE = 8.5
NOTE_SIZE = 7.5
VALUE_SIZE = 8.5
GROUP_VALUE_SIZE = 7.5


def _value_text(view: ChartView, row: RowView, series: SeriesView, t: Translator) -> str:
    count = row.count(series)
    if not row.offered(series):
        return t("value.not_offered")
    if view.counts_only:
        return t("value.count", count=numbers.count(count or 0, view.lang))
    if series.disclosure == "suppressed":
        return t("value.count_only", count=numbers.count(count or 0, view.lang))
    text = format_pct(row.pct(series), view.lang, view.id)  # type: ignore[arg-type]
    marker = view.marker(row, series)
    return f"{text} {marker}" if marker else text


# --------------------------------------------------------------------------- drawing pieces


def _new_axes(size: str) -> Axes:
    fig = Figure(figsize=(_width(size), 4.0))
    FigureCanvasAgg(fig)
    return fig.add_axes((0.3, 0.15, 0.65, 0.75))


def _width(size: str) -> float:
    if size not in WIDTHS:
        raise BuildError(f"unknown chart size '{size}' (valid: {', '.join(WIDTHS)})")
    return WIDTHS[size]


def _axes_width(ax: Axes) -> float:
    return ax.get_position().width * ax.figure.get_figwidth()


def _row_labels(view: ChartView, rows: Sequence[RowView], size: str) -> list[str]:
    family = current_family()
    return [wrap_label(r.label, LABEL_WIDTHS[size], family=family, size=mpl.rcParams["ytick.labelsize"]) for r in rows]


def _fit_xlim(ax: Axes, items: Sequence[tuple[float, str]], size: float) -> None:
    """Stretch the value axis so that every label after its bar stays inside the axes."""
    family = current_family()
    width = _axes_width(ax)
    need = 0.0
    for value, label in items:
        room = 1 - (text_width(label, family, size) + 0.1) / width
        need = max(need, value / max(room, 0.2))
    ax.set_xlim(0, need if need > 0 else 1)


def _value_axis(ax: Axes, view: ChartView, t: Translator) -> None:
    """Shares are read from the labels (no axis); counts get an integer axis, labelled as counts."""
    ax.spines["left"].set_visible(True)
    if view.counts_only:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(t("axis.count"))
        ax.grid(axis="x")
    else:
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)


def _pin_fonts(fig: Figure, family: tuple[str, ...]) -> None:
    """Write the family into every text (ticks included), so later draws ignore global rcParams."""
    # Ticks made later copy their label's properties from the first one, so pinning the ticks
    # that exist is enough (asking for all would make every tick the locator can think of).
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.majorTicks:
                tick.label1.set_fontfamily(family)
                tick.label2.set_fontfamily(family)
    for text in texts_drawn(fig):
        text.set_fontfamily(family)
        text.set_parse_math(False)


def _check_glyphs(view: ChartView, texts: Sequence[str]) -> None:
    missing = sorted({ch for s in texts for ch in fonts.missing_glyphs(s, view.lang)})
    if missing:
        shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing)
        family = " / ".join(fonts.FAMILIES[view.lang])
        raise BuildError(f"chart {view.id} ({view.lang}): {family} has no glyph for {shown}; "
                         "the label must be written without it")


# --------------------------------------------------------------------------- plotting functions


def _tag_bars(bars: Any, series_id: str, keys: list[str]) -> None:
    """Give each bar its SVG id (:func:`hakusho.charts.view.bar_gid`), for the page's tooltips."""
    for patch, key in zip(bars.patches, keys, strict=True):
        patch.set_gid(bar_gid(series_id, key))


def plot_bars(chart: Mapping[str, Any], *, lang: str, ax: Axes | None = None, size: str = "half") -> Axes:
    """Horizontal bars of one series: shares, or counts only when the base is under 10.

    >>> ax = plot_bars(chart, lang="en")   # doctest: +SKIP

    Draws the bars, their labels and the axis; title, n and base are added by :func:`draw_chart`.
    """
    with house_style(lang):
        view = chart_view(chart, lang)
        t = translator(lang, "charts")
        if len(view.series) != 1:
            raise BuildError(f"chart {view.id}: plot_bars draws one series, this chart has {len(view.series)}")
        ax = ax if ax is not None else _new_axes(size)
        series = view.series[0]
        rows = view.ordered_rows()
        ys = list(range(len(rows)))
        values = [view.value(r, series) or 0.0 for r in rows]
        labels = [_value_text(view, r, series, t) for r in rows]
        _check_glyphs(view, [r.label for r in rows] + labels)
        # Counts of a tiny base in slate, not in the navy of the shares: nothing here is a finding.
        bars = ax.barh(ys, values, height=0.62, color=house_palette()[3] if view.counts_only else series.color)
        _tag_bars(bars, series.id, [r.key for r in rows])
        ax.set_yticks(ys, labels=_row_labels(view, rows, size))
        ax.set_ylim(len(rows) - 0.5, -0.5)
        for y, value, label in zip(ys, values, labels, strict=True):
            ax.annotate(label, xy=(value, y), xytext=(3, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=VALUE_SIZE)
        _fit_xlim(ax, list(zip(values, labels, strict=True)), VALUE_SIZE)
        _value_axis(ax, view, t)
        _pin_fonts(ax.figure, fonts.font_family(lang))
    return ax


def plot_grouped(chart: Mapping[str, Any], *, lang: str, ax: Axes | None = None, size: str = "half") -> Axes:
    """Bars of several series side by side per choice, with the series named above the plot.

    Multiple answers are sorted by the report series' share; on year-over-year charts ▲/▼ mark
    significant changes. A series with a base under 10 shows its counts in brackets, no bar.
    """
    with house_style(lang):
        view = chart_view(chart, lang)
        t = translator(lang, "charts")
        ax = ax if ax is not None else _new_axes(size)
        rows = view.ordered_rows()
        k = len(view.series)
        band = 0.8
        bar = band / k
        items: list[tuple[float, str]] = []
        texts: list[str] = [r.label for r in rows]
        for j, series in enumerate(view.series):
            ys = [i - band / 2 + bar * (j + 0.5) for i in range(len(rows))]
            values = [view.value(r, series) for r in rows]
            labels = [_value_text(view, r, series, t) for r in rows]
            texts += labels
            drawn = [(y, v, r.key) for y, v, r in zip(ys, values, rows, strict=True) if v is not None]
            if drawn:
                bars = ax.barh([y for y, _, _ in drawn], [v for _, v, _ in drawn], height=bar * 0.92,
                               color=series.color)
                _tag_bars(bars, series.id, [key for _, _, key in drawn])
            for y, value, label in zip(ys, values, labels, strict=True):
                color = muted() if value is None else mpl.rcParams["text.color"]
                ax.annotate(label, xy=(value or 0.0, y), xytext=(3, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=GROUP_VALUE_SIZE, color=color)
                items.append((value or 0.0, label))
        ax.set_yticks(range(len(rows)), labels=_row_labels(view, rows, size))
        ax.set_ylim(len(rows) - 0.5, -0.5)
        _fit_xlim(ax, items, GROUP_VALUE_SIZE)
        _value_axis(ax, view, t)
        legend = [_series_legend_label(view, s, t) for s in view.series]
        _check_glyphs(view, texts + legend)
        ax.legend(handles=[Patch(color=s.color) for s in view.series], labels=legend, loc="lower left",
                  bbox_to_anchor=(0, 1), ncols=k, borderaxespad=0.8)
        _pin_fonts(ax.figure, fonts.font_family(lang))
    return ax


def _series_legend_label(view: ChartView, series: SeriesView, t: Translator) -> str:
    if series.disclosure == "indicative" and not view.counts_only:
        return t("legend.indicative", series=series.label)
    return series.label


def plot_stacked(chart: Mapping[str, Any], *, lang: str, ax: Axes | None = None, size: str = "half") -> Axes:
    """One 100 % stacked bar of a single or ordinal answer, the choices named in a legend below.

    Shares that do not fit inside their segment are written above the bar, on as many levels as
    needed to keep them apart. A base under 10 cannot be drawn this way (it has no shares): such
    charts go to :func:`plot_bars`, which shows counts.
    """
    with house_style(lang):
        view = chart_view(chart, lang)
        t = translator(lang, "charts")
        if len(view.series) != 1:
            raise BuildError(f"chart {view.id}: plot_stacked draws one series; use plot_grouped for {len(view.series)}")
        if view.counts_only:
            raise BuildError(f"chart {view.id}: base n={view.base_n} is under 10, only counts may be drawn (plot_bars)")
        ax = ax if ax is not None else _new_axes(size)
        family = fonts.font_family(lang)
        series = view.series[0]
        rows = list(view.rows)
        shares = [view.value(r, series) or 0.0 for r in rows]
        labels = [_value_text(view, r, series, t) for r in rows]
        colors = sequential_colors(len(rows)) if view.answer == "ordinal" else categorical_colors(len(rows))
        total = max(100.0, sum(shares))
        ax.set_xlim(0, total)
        ax.set_ylim(-0.5, 0.5)
        height = 0.8
        lefts = [sum(shares[:i]) for i in range(len(shares))]
        bars = ax.barh([0] * len(rows), shares, left=lefts, height=height, color=colors, edgecolor="white",
                       linewidth=0.8)
        _tag_bars(bars, series.id, [r.key for r in rows])
        scale = _axes_width(ax) / total  # inches per percentage point
        outside: list[tuple[float, float, str]] = []
        for left, share, label, color in zip(lefts, shares, labels, colors, strict=True):
            if share <= 0:
                continue
            centre = left + share / 2
            needed = text_width(label, family, VALUE_SIZE) + 0.08
            if needed <= share * scale:
                ax.text(centre, 0, label, ha="center", va="center", fontsize=VALUE_SIZE, color=ink_on(color))
            else:
                outside.append((centre, needed, label))
        _place_outside_labels(ax, outside, scale, top=height / 2)
        ax.axis("off")
        legend = [
            t("legend.median", label=r.label) if r.key == view.median_key else r.label for r in rows
        ]
        _check_glyphs(view, legend + labels)
        _stack_legend(ax, legend, colors, family)
        _pin_fonts(ax.figure, family)
    return ax


def _pack(wanted: Sequence[float], widths: Sequence[float], limit: float, gap: float) -> list[float] | None:
    """Left edges as close to ``wanted`` as the order allows without overlap inside [0, limit]."""
    starts = list(wanted)
    if starts:
        starts[0] = max(starts[0], 0.0)
    for i in range(1, len(starts)):
        starts[i] = max(starts[i], starts[i - 1] + widths[i - 1] + gap)
    if starts:
        starts[-1] = min(starts[-1], limit - widths[-1])
    for i in range(len(starts) - 2, -1, -1):
        starts[i] = min(starts[i], starts[i + 1] - gap - widths[i])
    return starts if not starts or starts[0] >= 0 else None


def _place_outside_labels(ax: Axes, items: Sequence[tuple[float, float, str]], scale: float, top: float) -> None:
    """Labels of segments too narrow to hold them, above the bar, in segment order.

    They sit side by side, pushed apart where they would overlap, each joined to its segment by a
    thin line; only when one row cannot hold them all do they take turns on further rows.
    """
    items = sorted(items)
    width = _axes_width(ax)
    levels = 1
    while True:
        placed: dict[int, float] = {}
        for level in range(levels):
            members = list(range(level, len(items), levels))
            starts = _pack([items[i][0] * scale - items[i][1] / 2 for i in members],
                           [items[i][1] for i in members], width, 0.04)
            if starts is None:
                break
            placed.update(zip(members, starts, strict=True))
        if len(placed) == len(items) or levels >= len(items):
            break
        levels += 1
    # x in data units, y in points above the top of the bar: labels and leaders keep their
    # distance from the bar whatever height the plot is given later.
    fig = ax.figure
    above_bar = Affine2D().scale(1 / 72) + fig.dpi_scale_trans + ScaledTranslation(0, top, ax.transData)
    transform = blended_transform_factory(ax.transData, above_bar)
    row = VALUE_SIZE * 1.45
    for i, (centre, needed, label) in enumerate(items):
        start = placed.get(i, centre * scale - needed / 2)
        x = (start + needed / 2) / scale
        bottom = 19 + (i % levels) * row
        ax.text(x, bottom, label, transform=transform, ha="center", va="bottom", fontsize=VALUE_SIZE)
        # Down from the label, then straight to the segment: in segment order, leaders never cross.
        ax.add_line(Line2D([x, x, centre], [bottom - 1.5, 14, 1], transform=transform, color=muted(),
                           linewidth=0.6, clip_on=False))


def _stack_legend(ax: Axes, labels: Sequence[str], colors: Sequence[str], family: tuple[str, ...]) -> None:
    """The choices under the bar, read left to right then down, in as many columns as fit.

    Labels stay on one line so that the rows of the legend line up; only a label wider than the
    whole plot wraps.
    """
    fontsize = mpl.rcParams["legend.fontsize"]
    em = fontsize / 72
    handle = (mpl.rcParams["legend.handlelength"] + mpl.rcParams["legend.handletextpad"]) * em
    spacing = mpl.rcParams["legend.columnspacing"] * em
    room = _axes_width(ax)
    wrapped = [wrap_label(s, room - handle, family=family, size=fontsize) for s in labels]
    widths = [text_width(s, family, fontsize) + handle for s in wrapped]
    ncols = 1
    for candidate in range(len(wrapped), 0, -1):
        columns = [max(widths[i] for i in range(c, len(widths), candidate)) for c in range(candidate)]
        if sum(columns) + spacing * (candidate - 1) <= room:
            ncols = candidate
            break
    # matplotlib fills columns first; reorder so that the entries read row by row.
    order = [i for col in range(ncols) for i in range(col, len(wrapped), ncols)]
    handles = [Patch(color=colors[i]) for i in order]
    ax.legend(handles=handles, labels=[wrapped[i] for i in order], loc="upper left", bbox_to_anchor=(0, 0),
              ncols=ncols, borderaxespad=0.9)


PLOTTERS: dict[str, Callable[..., Axes]] = {"bars": plot_bars, "stacked": plot_stacked, "grouped": plot_grouped,
                                             "trend": trend.plot_trend}


# --------------------------------------------------------------------------- the figure


@dataclass
class _Block:
    """A text of the figure's frame (title, notes) with the space above it, in inches."""

    text: Text
    space: float = 0.0
    right: Text | None = None  # a badge sharing the line, right-aligned


def _header(fig: Figure, view: ChartView, t: Translator, width: float, title: bool) -> list[_Block]:
    family = fonts.font_family(view.lang)
    palette = house_palette()
    badge_text = ""
    if view.counts_only:
        badge_text = t("badge.suppressed")
    elif any(s.disclosure == "indicative" for s in view.series):
        badge_text = t("badge.indicative")
    badge = None
    badge_w = 0.0
    if badge_text:
        badge = fig.text(0, 0, badge_text, ha="right", va="top", fontsize=SUBTITLE_SIZE, color=accent_text(),
                         bbox={"boxstyle": "round,pad=0.35", "facecolor": tint(palette[2], 0.82), "edgecolor": "none"})
        badge_w = text_width(badge_text, family, SUBTITLE_SIZE) + 0.25
    blocks: list[_Block] = []
    room = width - 2 * MARGIN
    if title:
        wrapped = wrap_label(view.title, room - badge_w, family=family, size=TITLE_SIZE)
        blocks.append(_Block(fig.text(0, 0, wrapped, ha="left", va="top", fontsize=TITLE_SIZE,
                                      color=mpl.rcParams["axes.titlecolor"]), right=badge))
    subtitle = []
    if view.answer == "multi":
        subtitle.append(t("answer.multi"))
    if view.compare == "ref_2023":
        subtitle.append(t("source.edition", survey=view.source or view.wave))
    if subtitle:
        text = wrap_label(t("footer.separator").join(subtitle), room - (0 if title else badge_w), family=family,
                          size=SUBTITLE_SIZE)
        blocks.append(_Block(fig.text(0, 0, text, ha="left", va="top", fontsize=SUBTITLE_SIZE, color=muted()),
                             space=0.06, right=None if title else badge))
    if badge is not None and not any(b.right is badge for b in blocks):
        blocks.append(_Block(fig.text(0, 0, "", fontsize=SUBTITLE_SIZE), right=badge))
    if view.counts_only:
        text = t("note.suppressed", n=numbers.count(view.base_n, view.lang))
        note = wrap_label(text, room, family=family, size=SUBTITLE_SIZE)
        blocks.append(_Block(fig.text(0, 0, note, ha="left", va="top", fontsize=SUBTITLE_SIZE, color=accent_text()),
                             space=0.08))
    return blocks


def _footer_lines(view: ChartView, t: Translator, filter_text: str | None, notes: bool,
                  *, steps: Sequence[str] | None = None) -> list[str]:
    """The lines under the plot. ``steps`` is given for a trend: the tests behind its marked steps
    (its marks then speak of the wave before each point, not of one comparison wave)."""
    lang = view.lang
    sep = t("footer.separator")
    if len(view.series) == 1:
        n_text = numbers.base_n(view.series[0].base_n, lang)
    else:
        n_text = sep.join(t("footer.series_n", series=s.label, n=numbers.base_n(s.base_n, lang)) for s in view.series)
    lines = [n_text + sep + t("footer.base", base=view.base_label)]
    if filter_text:
        lines.append(t("footer.filter", filter=filter_text))
    if view.excluded:
        items = []
        for row in view.excluded:
            counts = [numbers.count(row.count(s) or 0, lang) for s in view.series]
            if len(view.series) == 1:
                count = counts[0]
            else:
                count = sep.join(f"{s.label} {c}" for s, c in zip(view.series, counts, strict=True))
            items.append(t("footer.excluded_item", label=row.label, count=count))
        lines.append(t("footer.excluded", items=t("footer.list_separator").join(items)))
    compare_wave = max((s.wave for s in view.series if not s.is_report), default="")  # the wave tested against
    segments = view.compare == "by_segment"
    first, second = (view.series_label(sid) for sid in view.tested_series()) if segments else ("", "")
    prefix = "note.segment_" if segments else "note."
    marked = view.marked_tests()
    if steps:
        lines.append(t("note.trend_significant", test=t("footer.list_separator").join(t("test." + _slug(name))
                                                                                      for name in steps)))
    elif steps is None and marked:
        lines.append(t(prefix + "significant", wave=compare_wave, first=first, second=second,
                       test=t("footer.list_separator").join(t("test." + _slug(name)) for name in marked)))
    distribution = view.distribution_test()
    if distribution is not None:
        key = "distribution_significant" if distribution.get("significant") else "distribution_not_significant"
        lines.append(t(prefix + key, wave=compare_wave, first=first, second=second,
                       test=t("test." + _slug(str(distribution["test"])))))
    if len(view.series) > 1 and not view.counts_only:
        for s in view.series:
            if s.disclosure == "indicative":
                lines.append(t("note.indicative_series", series=s.label))
            if s.disclosure == "suppressed":
                lines.append(t("note.suppressed_series", series=s.label))
    if notes:
        lines += [t("footer.note", text=note) for note in view.notes]
    return lines


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")


def draw_chart(
    chart: Mapping[str, Any],
    lang: str,
    *,
    size: str = "half",
    title: bool = True,
    filter_text: str | Mapping[str, str] | None = None,
    notes: bool = False,
) -> Figure:
    """The publication figure of one chart of ``chapter.json`` in ``lang``.

    Chooses the drawing by :func:`chart_kind` and frames it with the title, "multiple answers",
    the 2023 source, the indicative or counts-only mark, and n and base under the plot; then the
    filter of a filtered run (``filter_text``: the chapter's ``filter_label`` per language, or its
    machine form), the answers left out of the base, and the significance legend.
    ``notes=True`` adds the chart's ``notes`` too — off by default because the pages print them
    under the chart. ``size`` is ``half`` (two charts on a 16:9 slide) or ``full``; the height
    follows the content.

    >>> fig = draw_chart(chart, "ja")   # doctest: +SKIP
    >>> save_svg(fig, "charts/cs_status.ja.svg")   # doctest: +SKIP
    """
    with house_style(lang):
        view = chart_view(chart, lang)
        t = translator(lang, "charts")
        family = fonts.font_family(lang)
        kind = chart_kind(chart)
        width = _width(size)
        fig = Figure(figsize=(width, 4.0))
        FigureCanvasAgg(fig)
        header = _header(fig, view, t, width, title)
        footer = [
            _Block(fig.text(0, 0, wrap_label(line, width - 2 * MARGIN, family=family, size=NOTE_SIZE), ha="left",
                            va="top", fontsize=NOTE_SIZE, color=muted()), space=0.03)
            for line in _footer_lines(view, t, _in_lang(filter_text, lang), notes,
                                      steps=trend.marked_steps(chart, lang) if kind == "trend" else None)
        ]
        _check_glyphs(view, [b.text.get_text() for b in header + footer])
        if kind == "stacked":
            left, content = MARGIN, STACK_HEIGHTS[size]
        elif kind == "trend":
            left, content = MARGIN, trend.content_height(view, size)
        else:
            labels = _row_labels(view, view.ordered_rows(), size)
            left = MARGIN + max(text_width(s, family, mpl.rcParams["ytick.labelsize"]) for s in labels) + 0.1
            per_row = BAR_PITCH if kind == "bars" else len(view.series) * GROUP_BAR + GROUP_GAP
            # Wrapped labels need their lines' height, or neighbouring labels touch.
            lines = max(s.count("\n") + 1 for s in labels)
            per_row = max(per_row, lines * mpl.rcParams["ytick.labelsize"] * 1.3 / 72 + 0.1)
            content = len(view.rows) * per_row
            content = min(max(content, MIN_PLOT_HEIGHT[size]), content * MAX_STRETCH)
        right = MARGIN + 0.05
        ax = fig.add_axes((left / width, 0.3, (width - left - right) / width, 0.4))
        PLOTTERS[kind](chart, lang=lang, ax=ax, size=size)
        _arrange(fig, ax, header, footer, content)
        _pin_fonts(fig, family)
    return fig


def _in_lang(text: str | Mapping[str, str] | None, lang: str) -> str | None:
    if text is None or isinstance(text, str):
        return text or None
    return text.get(lang) or None


def _height(text: Text, renderer: RendererAgg, dpi: float) -> float:
    if not text.get_text():
        return 0.0
    return text.get_window_extent(renderer).height / dpi


def _arrange(fig: Figure, ax: Axes, header: list[_Block], footer: list[_Block], content: float) -> None:
    """Stack header, plot and footer from the top, and size the figure to hold exactly them."""
    width = fig.get_figwidth()
    dpi = fig.dpi
    renderer = fig.canvas.get_renderer()
    pos = ax.get_position()
    fig.set_size_inches(width, content + 4)
    ax.set_position((pos.x0, 2 / (content + 4), pos.width, content / (content + 4)))
    tight = ax.get_tightbbox(renderer)
    box = ax.get_window_extent(renderer)
    over_top = max(0.0, tight.y1 - box.y1) / dpi
    over_bottom = max(0.0, box.y0 - tight.y0) / dpi

    def block_height(block: _Block) -> float:
        heights = [_height(block.text, renderer, dpi)]
        if block.right is not None:
            heights.append(_height(block.right, renderer, dpi) + 0.06)
        return max(heights)

    head = sum(block_height(b) + b.space for b in header)
    foot = sum(block_height(b) + b.space for b in footer)
    total = MARGIN + head + GAP + over_top + content + over_bottom + GAP + foot + MARGIN
    fig.set_size_inches(width, total)
    bottom = MARGIN + foot + GAP + over_bottom
    ax.set_position((pos.x0, bottom / total, pos.width, content / total))
    y = total - MARGIN
    for block in header:
        y -= block.space
        block.text.set_position((MARGIN / width, y / total))
        if block.right is not None:
            block.right.set_position(((width - MARGIN - 0.04) / width, (y - 0.03) / total))
        y -= block_height(block)
    y = MARGIN + foot
    for block in footer:
        y -= block.space
        block.text.set_position((MARGIN / width, y / total))
        y -= block_height(block)


def write_chart_svgs(
    chart: Mapping[str, Any],
    output_dir: str | Path,
    *,
    size: str = "half",
    filter_text: str | Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Draw ``chart`` in both languages and save it where ``chart["svg"][lang]`` says, under ``output_dir``."""
    paths = check_chart(chart)["svg"]
    written = {}
    for lang in LANGS:
        fig = draw_chart(chart, lang, size=size, filter_text=filter_text)
        written[lang] = save_svg(fig, Path(output_dir) / paths[lang])
    return written
