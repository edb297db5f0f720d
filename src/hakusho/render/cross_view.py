"""The special-analysis part (cross analysis) in the page's language: an introduction, one
finding per cross, and per cross its headline, chart, test, notes and table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakusho.analysis.cross_spec import slide_id
from hakusho.build_folder import CROSS_PART, Build
from hakusho.charts.view import bar_gid
from hakusho.errors import BuildError
from hakusho.render.wording import Wording, other_lang, test_name
from hakusho.text import numbers

# Notes every cross carries that the part's introduction states once for all of them.
CROSS_QUIET_NOTES = frozenset({"note.row_pct", "note.test", "note.trend"})


def _digits(build: Build, cross_id: str, name: str) -> int:
    """The decimals the report prints a statistic with, as the part's figures.json records them."""
    try:
        return int(build.cross_figures[f"cross.{cross_id}.{name}"]["digits"])
    except (KeyError, TypeError, ValueError):
        raise BuildError(f"cross {cross_id}: figures.json of the cross-analysis part gives no digits for "
                         f"cross.{cross_id}.{name}") from None


def _cross_statistics(doc: Mapping[str, Any], build: Build, tx: Wording) -> dict[str, Any] | None:
    """The test of one cross, each number as printed (None when it was not tested)."""
    s = doc["statistics"]
    if s is None:
        return None
    lang = tx.lang
    return {
        "chi2": numbers.decimal(s["chi2"], _digits(build, doc["id"], "chi2")),
        "dof": numbers.count(s["dof"], lang),
        "p": numbers.p_value(s.get("p_adjusted", s["p_value"]), lang),
        "test": test_name(s["test"], tx),
        "v": numbers.decimal(s["cramers_v"], _digits(build, doc["id"], "cramers_v")),
        "strength": tx.label(s["strength_label"]),
        "significant": bool(s["significant"]),
    }


def _cross_base(n: int, level: str, tx: Wording) -> str:
    count = numbers.count(n, tx.lang)
    return tx("ui.cross.base_indicative", n=count) if level == "indicative" else count


def _cross_table(doc: Mapping[str, Any], base: str, tx: Wording) -> dict[str, Any]:
    """The cross as a table: row percentages with counts, each row's base, and the column bases.

    A share withheld by the disclosure rules (row or column under 10) prints as a dash; its count
    stays.
    """
    lang = tx.lang
    rows, cols = doc["rows"], doc["cols"]
    header = [tx.label(rows["label"]), *(tx.label(b["label"]) for b in cols["bands"]), tx("ui.cross.row_base")]
    body = []
    for i, band in enumerate(rows["bands"]):
        cells = [tx("ui.cross.cell", pct=numbers.pct_cell(doc["row_pct"][i][j], lang),
                    count=numbers.count(doc["counts"][i][j], lang)) for j in range(len(cols["bands"]))]
        cells.append(_cross_base(band["base"], band["disclosure"], tx))
        body.append({"label": tx.label(band["label"]), "cells": cells, "disclosure": band["disclosure"]})
    totals = [_cross_base(b["base"], b["disclosure"], tx) for b in cols["bands"]]
    totals.append(numbers.count(doc["base_n"], lang))
    caption = tx("ui.cross.caption", title=tx.label(doc["title"]), base=base, rows=tx.label(rows["label"]),
                 cols=tx.label(cols["label"]))
    return {"caption": caption, "header": header, "rows": body,
            "total": {"label": tx("ui.cross.col_base"), "cells": totals}}


def _cross_tooltips(doc: Mapping[str, Any], tx: Wording) -> dict[str, str]:
    """The native tooltip of every drawn segment, by its SVG id: row band, column band, the row
    share and the row's base."""
    lang = tx.lang
    out = {}
    for i, band in enumerate(doc["rows"]["bands"]):
        for j, col in enumerate(doc["cols"]["bands"]):
            share = doc["row_pct"][i][j]
            if share is None:
                continue
            out[bar_gid(band["key"], col["key"])] = tx(
                "ui.tooltip_series", series=tx.label(band["label"]), label=tx.label(col["label"]),
                value=numbers.pct(share, lang), n=numbers.base_n(band["base"], lang))
    return out


def _cross_alt(doc: Mapping[str, Any], base: str, tx: Wording) -> str:
    """What a screen reader hears for a cross chart: the share of the focus band in every row."""
    cols = doc["cols"]
    j = next(k for k, b in enumerate(cols["bands"]) if b["key"] == cols["focus"])
    values = []
    for i, band in enumerate(doc["rows"]["bands"]):
        share = doc["row_pct"][i][j]
        value = (numbers.pct(share, tx.lang) if share is not None
                 else tx("ui.cross.alt_suppressed", n=numbers.count(band["base"], tx.lang)))
        values.append(tx("ui.alt_value", label=tx.label(band["label"]), value=value))
    return tx("ui.cross.alt", title=tx.label(doc["title"]), base=base, band=tx.label(cols["bands"][j]["label"]),
              rows=tx.label(doc["rows"]["label"]), values=tx.join(values))


def _cross_finding(doc: Mapping[str, Any], stats: Mapping[str, Any] | None, tx: Wording) -> str:
    title = tx.label(doc["title"])
    if stats is None:
        return tx("ui.cross.finding.untested", title=title)
    if stats["significant"]:
        return tx("ui.cross.finding.significant", title=title, strength=stats["strength"], v=stats["v"],
                  p=stats["p"])
    return tx("ui.cross.finding.not_significant", title=title, v=stats["v"], p=stats["p"])


def _cross_view(doc: Mapping[str, Any], build: Build, tx: Wording) -> dict[str, Any]:
    lang = tx.lang
    cross_id = doc["id"]
    base = tx("ui.base_value", label=tx.label(doc["population_label"]), n=numbers.base_n(doc["base_n"], lang))
    stats = _cross_statistics(doc, build, tx)
    trend = None
    if doc["trend"] is not None:
        focus = next(b for b in doc["cols"]["bands"] if b["key"] == doc["trend"]["focus"])
        trend = tx("ui.cross.trend", band=tx.label(focus["label"]), p=numbers.p_value(doc["trend"]["p_value"], lang))
    badges = []
    if doc["disclosure"] in ("indicative", "suppressed"):
        badges.append({"kind": doc["disclosure"], "text": tx(f"ui.{doc['disclosure']}")})
    svg, svg_phone = build.cross_svg(doc, lang), build.cross_svg(doc, lang, phone=True)
    csv_name = f"{cross_id}.csv"
    return {
        "id": cross_id,
        "anchor": slide_id(cross_id),
        "figure_anchor": f"cross-chart-{cross_id}",
        "title": tx.label(doc["title"]),
        "headline": str(doc["headline"][lang]),
        "finding": _cross_finding(doc, stats, tx),
        "base": base,
        "disclosure": doc["disclosure"],
        "badges": badges,
        "stats": stats,
        "statistics": tx("ui.cross.statistics", **{k: stats[k] for k in ("test", "chi2", "dof", "p", "v", "strength")})
        if stats is not None else tx("ui.cross.untested"),
        "trend": trend,
        "svg": svg,
        "svg_phone": svg_phone,  # the drawing for narrow screens, where the build has one
        "alt": _cross_alt(doc, base, tx),
        "tooltips": _cross_tooltips(doc, tx),
        "notes": [str(n[lang]) for n in doc.get("notes") or [] if n.get("key") not in CROSS_QUIET_NOTES],
        "table": _cross_table(doc, base, tx),
        "csv": {"href": f"../data/{csv_name}", "name": csv_name, "label": tx("ui.download_csv", file=csv_name)},
        "other_href": f"../{other_lang(lang)}/index.html#cross-{cross_id}",
    }


def cross_part(build: Build, tx: Wording) -> dict[str, Any] | None:
    """The special-analysis part (cross analysis), when the build has one: its introduction, one
    finding per cross, and per cross the headline, chart, test, notes and table."""
    doc = build.cross
    if doc is None:
        return None
    crosses = [_cross_view(c, build, tx) for c in doc["crosses"]]
    bases = list(dict.fromkeys(tx.label(c["population_label"]) for c in doc["crosses"]))
    return {
        "id": CROSS_PART,
        "anchor": CROSS_PART,
        "number": tx("ui.cross.number"),
        "title": tx.label(doc["title"]),
        "scope": tx("ui.cross.scope", bases=tx.join(bases)) if bases else "",
        "findings_title": tx("ui.cross.findings"),
        "findings": [c["finding"] for c in crosses],
        "about_title": tx("ui.cross.about"),
        "about": tx.label(doc["method"]["text"]),
        "labels": {"statistics": tx("ui.cross.statistics_label"), "trend": tx("ui.cross.trend_label")},
        "crosses": crosses,
        "other_href": f"../{other_lang(tx.lang)}/index.html#{CROSS_PART}",
    }
