"""The chart of one cross: 100 % stacked bars, one per row band, in the house style.

It draws a cross.json entry as it is (shares, bases, disclosure levels, tests and notes are the
document's; nothing is computed here) with the labels of the cross catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from hakusho.analysis.contingency import TEST_SLUGS
from hakusho.charts import fonts
from hakusho.charts.style import WIDTHS, categorical_colors, house_style, sequential_colors, texts_drawn
from hakusho.charts.view import bar_gid, format_pct
from hakusho.errors import BuildError
from hakusho.i18n import Translator
from hakusho.text import numbers

CATALOG = "cross"  # the message catalog the cross charts' own words come from

_PITCH = 0.42  # inches per row band
_BAR = 0.62  # bar height as a share of the pitch
_TITLE_SIZE, _SUB_SIZE, _VALUE_SIZE, _NOTE_SIZE = 12.0, 8.5, 8.0, 7.5
_MARGIN, _GAP = 0.14, 0.12
_LABEL_WIDTHS = {"full": 2.6, "phone": 1.2}  # widest row label before it wraps, per figure width
_NOT_SHOWN = "#D5DBE1"


def _tr(key: str, lang: str, **params: object) -> str:
    return Translator(lang, CATALOG)(key, **params)


def _ink(color: str) -> str:
    """White on dark fills, the text colour on light ones."""
    r, g, b = to_rgb(color)
    return "#FFFFFF" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#26323D"


def _footer(doc: Mapping[str, Any], lang: str, filter_text: str | None) -> list[str]:
    lines = [_tr("chart.footer_base", lang, n=numbers.base_n(doc["base_n"], lang), base=doc["population_label"][lang])]
    s = doc["statistics"]
    if s is None:
        lines.append(_tr("chart.footer_untested", lang))
    else:
        # The test actually used (chi-square, or exact / Monte Carlo on a sparse table) and the
        # adjusted p-value that decides the verdict.
        name = _tr(f"test.{TEST_SLUGS.get(s['test'], 'chi2')}", lang)
        lines.append(_tr("chart.footer_test", lang, test=name, chi2=numbers.decimal(s["chi2"], 1), dof=s["dof"],
                         p=numbers.p_value(s.get("p_adjusted", s["p_value"]), lang),
                         v=numbers.decimal(s["cramers_v"], 3), strength=s["strength_label"][lang]))
    t = doc["trend"]
    if t is not None:
        band = next(b["label"][lang] for b in doc["cols"]["bands"] if b["key"] == t["focus"])
        lines.append(_tr("chart.footer_trend", lang, band=band, p=numbers.p_value(t["p_value"], lang)))
    if filter_text:
        lines.append(_tr("chart.footer_filter", lang, filter=filter_text))
    quiet = {"note.row_pct", "note.test", "note.trend", "note.filtered"}
    lines += [_tr("chart.footer_note", lang, text=n[lang]) for n in doc["notes"] if n["key"] not in quiet]
    return lines


def draw_cross(doc: Mapping[str, Any], lang: str, *, filter_text: str | None = None, size: str = "full") -> Any:
    """100 % stacked bars of one cross (a cross.json entry), one bar per row band, in ``lang``.

    Column bands are stacked left to right in a sequential palette when they are ordered, the
    house's categorical one otherwise; each bar ends with its n (marked when indicative). A row
    under 10 respondents gets no bar, only its count; columns under 10 leave a grey "not shown"
    remainder. Above the plot the title, what rows and bars are, and the legend; under it n and
    base, the test, the trend and the notes. Nothing is computed here: shares are the document's.

    >>> fig = draw_cross(result.cross("retention_by_tools"), "en")   # doctest: +SKIP
    """
    with house_style(lang):
        family = fonts.font_family(lang)
        width = WIDTHS[size]
        fig = Figure(figsize=(width, 4.0))
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        muted = mpl.rcParams["axes.labelcolor"]
        room = width - 2 * _MARGIN

        rows, cols = doc["rows"]["bands"], doc["cols"]["bands"]
        colors = sequential_colors(len(cols)) if doc["cols"]["ordered"] else categorical_colors(len(cols))
        row_labels = [fonts.wrap_label(b["label"][lang], _LABEL_WIDTHS[size], family=family,
                                       size=mpl.rcParams["ytick.labelsize"]) for b in rows]
        n_texts = [_tr("chart.row_n_indicative" if b["disclosure"] == "indicative" else "chart.row_n", lang,
                       n=numbers.base_n(b["base"], lang)) for b in rows]
        left = _MARGIN + max(fonts.text_width(s, family, mpl.rcParams["ytick.labelsize"]) for s in row_labels) + 0.12
        right = _MARGIN + max(fonts.text_width(s, family, _VALUE_SIZE) for s in n_texts) + 0.15
        plot_w = width - left - right

        # Header: title (with the indicative badge on its line), what the rows and bars are.
        badge = _tr("chart.badge_indicative", lang) if doc["disclosure"] == "indicative" else ""
        badge_w = fonts.text_width(badge, family, _SUB_SIZE) + 0.2 if badge else 0.0
        title = fig.text(0, 0, fonts.wrap_label(doc["title"][lang], room - badge_w, family=family, size=_TITLE_SIZE),
                         ha="left", va="top", fontsize=_TITLE_SIZE, color=mpl.rcParams["axes.titlecolor"])
        badge_text = fig.text(0, 0, badge, ha="right", va="top", fontsize=_SUB_SIZE, color="#7A4E0E") if badge else None
        subtitle = fig.text(0, 0, fonts.wrap_label(
            _tr("chart.subtitle", lang, rows=doc["rows"]["label"][lang], cols=doc["cols"]["label"][lang]),
            room, family=family, size=_SUB_SIZE), ha="left", va="top", fontsize=_SUB_SIZE, color=muted)
        footer = [fig.text(0, 0, fonts.wrap_label(line, room, family=family, size=_NOTE_SIZE), ha="left", va="top",
                           fontsize=_NOTE_SIZE, color=muted) for line in _footer(doc, lang, filter_text)]

        plot_h = len(rows) * _PITCH
        ax = fig.add_axes((left / width, 0.3, plot_w / width, 0.4))
        ys = list(range(len(rows)))
        any_hidden = False
        texts: list[str] = [*row_labels, *n_texts]
        for i, band in enumerate(rows):
            shares = doc["row_pct"][i]
            if band["disclosure"] == "suppressed":
                text = _tr("chart.row_suppressed", lang, n=numbers.count(band["base"], lang))
                texts.append(text)
                ax.text(0.5, i, text, ha="left", va="center", fontsize=_VALUE_SIZE, color=muted)
                continue
            start = 0.0
            for j, share in enumerate(shares):
                if share is None:
                    continue
                bars = ax.barh(i, share, left=start, height=_BAR, color=colors[j], edgecolor="white", linewidth=0.8)
                bars.patches[0].set_gid(bar_gid(band["key"], doc["cols"]["bands"][j]["key"]))  # the page's tooltip
                label = format_pct(share, lang, doc["id"])
                if fonts.text_width(label, family, _VALUE_SIZE) + 0.08 <= share / 100 * plot_w:
                    ax.text(start + share / 2, i, label, ha="center", va="center", fontsize=_VALUE_SIZE,
                            color=_ink(colors[j]))
                    texts.append(label)
                start += share
            if any(s is None for s in shares):
                any_hidden = True
                ax.barh(i, max(0.0, 100.0 - start), left=start, height=_BAR, color=_NOT_SHOWN, edgecolor="white",
                        linewidth=0.8)
            # Rounded shares may add up to 100.1: the axis holds the longest bar, the n follows it.
            ax.annotate(n_texts[i], xy=(max(100.0, start), i), xytext=(6, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=_VALUE_SIZE, color=muted, annotation_clip=False)
        ax.set_xlim(0, max([100.0] + [sum(s for s in r if s is not None) for r in doc["row_pct"]]))
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_yticks(ys, labels=row_labels)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)

        legend_labels = [b["label"][lang] for b in cols]
        handles = [Patch(color=c) for c in colors]
        if any_hidden:
            legend_labels.append(_tr("chart.not_shown", lang))
            handles.append(Patch(color=_NOT_SHOWN))
        texts += legend_labels
        ncols = len(legend_labels)
        legend = ax.legend(handles=handles, labels=legend_labels, loc="lower left", bbox_to_anchor=(0, 1),
                           ncols=ncols, borderaxespad=0.5, fontsize=mpl.rcParams["legend.fontsize"])
        # The legend starts at the plot's left edge and may run to the figure's right margin.
        while ncols > 1 and legend.get_window_extent(renderer).width / fig.dpi > width - left - _MARGIN:
            ncols -= 1
            legend.remove()
            legend = ax.legend(handles=handles, labels=legend_labels, loc="lower left", bbox_to_anchor=(0, 1),
                               ncols=ncols, borderaxespad=0.5, fontsize=mpl.rcParams["legend.fontsize"])

        texts += [title.get_text(), subtitle.get_text(), badge, *(f.get_text() for f in footer)]
        missing = sorted({ch for s in texts for ch in fonts.missing_glyphs(s, lang)})
        if missing:
            raise BuildError(f"cross {doc['id']} ({lang}): the {lang} fonts have no glyph for "
                             + ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing))

        def height(text: Text) -> float:
            return text.get_window_extent(renderer).height / fig.dpi if text.get_text() else 0.0

        legend_h = legend.get_window_extent(renderer).height / fig.dpi + 0.1
        head = height(title) + 0.08 + height(subtitle)
        foot = sum(height(f) + 0.04 for f in footer)
        total = _MARGIN + head + _GAP + legend_h + plot_h + _GAP + foot + _MARGIN
        fig.set_size_inches(width, total)
        y = total - _MARGIN
        title.set_position((_MARGIN / width, y / total))
        if badge_text is not None:
            badge_text.set_position(((width - _MARGIN) / width, y / total))
        y -= height(title) + 0.08
        subtitle.set_position((_MARGIN / width, y / total))
        y -= height(subtitle) + _GAP + legend_h + plot_h
        ax.set_position((left / width, y / total, plot_w / width, plot_h / total))
        y -= _GAP
        for f in footer:
            f.set_position((_MARGIN / width, y / total))
            y -= height(f) + 0.04
        # Write the family into every text (ticks too), so a notebook's global style changes nothing.
        for tick in ax.yaxis.get_major_ticks():
            tick.label1.set_fontfamily(family)
        for text in texts_drawn(fig):
            text.set_fontfamily(family)
            text.set_parse_math(False)
    return fig
