"""The trend chart: one question asked in three or more waves, every wave on a time axis.

A series across waves (``--compare 2025,2023``) is read as a trend, not as bars side by side: one
small panel per choice, the waves from left to right, a line through each wave's share. Every
panel shares one share scale, so that a steeper line is a larger change and panels compare at a
glance; the value is printed at each point, so no axis needs reading.

Each step between consecutive waves has its own test (``chart["tests"]`` for the report wave and
the comparison wave, ``chart["steps"]`` for the steps before). ▲/▼ by a point mark a significant
change from the wave before it, by the same rule as the bar charts: only a per-choice test marks a
choice; a test of the whole distribution (ordinal answers) is a note, never a mark. Points carry
the same ids as bars (:func:`hakusho.charts.view.bar_gid`), so the page's tooltips find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hakusho.charts.fonts import wrap_label
from hakusho.charts.style import WIDTHS, current_family, house_style, muted
from hakusho.charts.view import ChartView, RowView, SeriesView, bar_gid, chart_view, format_pct

# Panels per row of the grid, per figure width; a panel's plot height and the room its title may
# take, in inches.
COLUMNS = {"half": 3, "full": 5, "phone": 2}
PANEL_HEIGHT = 0.95
TITLE_LINES = 2
VALUE_SIZE = 7.0
TICK_SIZE = 7.0
TITLE_SIZE = 7.5


def step_tests(chart: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Mapping[str, Any]]]:
    """Per step ``(newer, older)``, its tests by choice key: the report wave's test against the
    comparison wave, and each further step's."""
    steps: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    tests = list(chart.get("tests") or [])
    for step in chart.get("steps") or []:
        tests += list(step.get("tests") or [])
    for test in tests:
        pair = test.get("series") or []
        if len(pair) == 2:
            steps.setdefault((str(pair[0]), str(pair[1])), {})[str(test["key"])] = test
    return steps


def _choice_tests() -> tuple[str, str]:
    """The per-choice tests (imported when a chart is read: the tests' module pulls in scipy)."""
    from hakusho.analysis.contingency import FISHER_TEST, Z_TEST

    return Z_TEST, FISHER_TEST


def step_marker(tests: Mapping[tuple[str, str], Mapping[str, Mapping[str, Any]]], row: RowView,
                newer: SeriesView, older: SeriesView) -> str:
    """▲/▼ where the per-choice test of this step finds the change significant, else nothing."""
    test = tests.get((newer.id, older.id), {}).get(row.key)
    # A choice's own test (z-test, or Fisher's exact test on a sparse table), significant after
    # adjustment; a bucket of a distribution carries no test of its own.
    if not test or test.get("test") not in _choice_tests() or not test.get("significant"):
        return ""
    return "▲" if float(test.get("change_pt") or 0) > 0 else "▼"


def marked_steps(chart: Mapping[str, Any], lang: str) -> list[str]:
    """The tests behind the trend's ▲/▼ marks, sorted (empty: no point is marked, and the footer
    has nothing to explain)."""
    view = chart_view(chart, lang)
    if view.counts_only:
        return []
    tests = step_tests(chart)
    return sorted({str(tests[(newer.id, older.id)][row.key]["test"])
                   for row in view.rows for older, newer in zip(view.series, view.series[1:], strict=False)
                   if step_marker(tests, row, newer, older)})


def panel_rows(view: ChartView, size: str) -> int:
    return math.ceil(len(view.rows) / COLUMNS[size])


def panel_columns(view: ChartView, size: str) -> int:
    """Panels per row: as many as the width holds, spread evenly over the rows (six buckets on a
    wide slide are two rows of three, not five and one)."""
    return math.ceil(len(view.rows) / panel_rows(view, size))


def content_height(view: ChartView, size: str) -> float:
    """The plot's height: the grid of panels, each with room for its title."""
    title = TITLE_LINES * TITLE_SIZE * 1.3 / 72
    return panel_rows(view, size) * (PANEL_HEIGHT + title + 0.25)


def plot_trend(chart: Mapping[str, Any], *, lang: str, ax: Axes | None = None, size: str = "half") -> Axes:
    """Small multiples, one panel per choice: each wave's share, oldest on the left.

    ``ax`` is the area the grid fills (its own frame is hidden); without one a figure is made.
    """
    with house_style(lang):
        view = chart_view(chart, lang)
        if ax is None:
            fig = Figure(figsize=(WIDTHS[size], content_height(view, size) + 1))
            FigureCanvasAgg(fig)
            ax = fig.add_axes((0.05, 0.1, 0.9, 0.8))
        ax.set_axis_off()
        rows = view.ordered_rows()
        columns = panel_columns(view, size)
        grid_rows = panel_rows(view, size)
        tests = step_tests(chart)
        values = [v for r in rows for s in view.series if (v := view.value(r, s)) is not None]
        top = max(values, default=0.0) or 1.0
        fig_width = ax.get_position().width * ax.figure.get_figwidth()
        family = current_family()
        for i, row in enumerate(rows):
            line, column = divmod(i, columns)
            cell_w, cell_h = 1 / columns, 1 / grid_rows
            panel = ax.inset_axes((column * cell_w + 0.12 * cell_w, 1 - (line + 1) * cell_h + 0.2 * cell_h,
                                   0.76 * cell_w, 0.5 * cell_h))
            _panel(panel, view, row, tests, top)
            title = wrap_label(row.label, 0.9 * fig_width * cell_w, family=family, size=TITLE_SIZE)
            title = "\n".join(title.split("\n")[:TITLE_LINES])
            panel.set_title(title, fontsize=TITLE_SIZE, fontweight="normal", loc="left", pad=4,
                            color=mpl.rcParams["text.color"])
    return ax


def _panel(panel: Axes, view: ChartView, row: RowView, tests: Mapping[tuple[str, str], Any], top: float) -> None:
    series: Sequence[SeriesView] = view.series
    xs = list(range(len(series)))
    ys = [view.value(row, s) for s in series]
    line_color = next((s.color for s in series if s.is_report), series[-1].color)
    panel.plot(xs, [math.nan if y is None else y for y in ys], color=line_color, linewidth=1.4, zorder=2)
    for x, (s, y) in enumerate(zip(series, ys, strict=True)):
        if y is None:
            continue
        point = panel.plot([x], [y], marker="o", markersize=4.5, color=s.color, linestyle="none", zorder=3)[0]
        point.set_gid(bar_gid(s.id, row.key))
        text = str(int(y)) if view.counts_only else format_pct(y, view.lang, view.id)
        marker = step_marker(tests, row, s, series[x - 1]) if x > 0 and not view.counts_only else ""
        panel.annotate(f"{text} {marker}" if marker else text, xy=(x, y), xytext=(0, 5), textcoords="offset points",
                       ha="center", va="bottom", fontsize=VALUE_SIZE, color=mpl.rcParams["text.color"])
    panel.set_xlim(-0.45, len(series) - 0.55)
    panel.set_ylim(0, top * 1.35)
    panel.set_xticks(xs, labels=[s.wave for s in series], fontsize=TICK_SIZE, color=muted())
    panel.tick_params(axis="x", length=0, pad=2)
    panel.set_yticks([])
    for side in ("left", "right", "top"):
        panel.spines[side].set_visible(False)
    panel.spines["bottom"].set_color(muted())
