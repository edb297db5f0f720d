"""One chart of a chapter in the page's language: title, base, badges, drawing, alt text, the
data table behind it and, where two waves or two segments are compared, the comparison block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakusho.analysis.multiplicity import ALPHA
from hakusho.build_folder import Build, series_value, tests_by_key
from hakusho.charts.view import bar_gid
from hakusho.render.wording import Wording, period, test_name
from hakusho.text import numbers

ALT_VALUES = 6  # values read out in a chart's alt text per series; the data table holds them all


def _series_base(series: Mapping[str, Any], tx: Wording) -> str:
    return tx("ui.base_value", label=tx.label(series["label"]), n=numbers.base_n(series["base_n"], tx.lang))


def _base_line(chart: Mapping[str, Any], tx: Wording) -> str:
    series = chart["series"]
    if len(series) == 1:
        return tx("ui.base_value", label=tx.label(chart["base_label"]), n=numbers.base_n(chart["base_n"], tx.lang))
    return tx.join([_series_base(s, tx) for s in series])


def _alt_text(chart: Mapping[str, Any], tx: Wording) -> str:
    """What a screen reader hears for a chart: title, base and the shares (or counts) shown."""
    parts = []
    for series in chart["series"]:
        sid = series["id"]
        values = []
        rows = chart["rows"]
        for row in rows[:ALT_VALUES]:
            cell = series_value(row, sid)
            value = (numbers.pct(cell["pct"], tx.lang) if cell["pct"] is not None
                     else numbers.count(cell["count"], tx.lang) if cell["count"] is not None else numbers.DASH)
            values.append(tx("ui.alt_value", label=tx.label(row["label"]), value=value))
        if len(rows) > ALT_VALUES:
            values.append(tx("ui.alt_more", n=len(rows) - ALT_VALUES))
        text = tx.join(values)
        parts.append(tx("ui.alt_series", series=tx.label(series["label"]), values=text) if len(chart["series"]) > 1
                     else text)
    return tx("ui.chart_alt", title=tx.label(chart["title"]), base=_base_line(chart, tx), values=tx.join(parts))




def _difference_key(chart: Mapping[str, Any]) -> str:
    """The label of the difference column: a segment comparison is SaaS minus non-SaaS, not a
    change over time."""
    return "ui.segment_difference" if chart.get("compare") == "by_segment" else "ui.change"


def difference(test: Mapping[str, Any]) -> Any:
    """The difference a test carries, in points (the chapter stage names it change_pt or diff_pt)."""
    return test.get("change_pt", test.get("diff_pt"))


def _table(chart: Mapping[str, Any], tx: Wording) -> dict[str, Any]:
    """The data table behind a chart: every row, count and share per series, and changes."""
    lang = tx.lang
    series = chart["series"]
    single = len(series) == 1
    header = [tx("ui.answer")]
    for s in series:
        if single:
            header += [tx("ui.count"), tx("ui.share")]
        else:
            name = tx.label(s["label"])
            header += [tx("ui.series_count", series=name), tx("ui.series_share", series=name)]
    tests = tests_by_key(chart)
    per_row_marks = bool(tests) and chart["answer"] != "ordinal"
    if tests:
        header.append(tx(_difference_key(chart)))
        if per_row_marks:
            header.append(tx("ui.significant"))
    rows = []
    for row in chart["rows"]:
        cells = []
        for s in series:
            cell = series_value(row, s["id"])
            cells.append(numbers.count(cell["count"], lang) if cell["count"] is not None else numbers.DASH)
            cells.append(numbers.pct_cell(cell["pct"], lang))
        if tests:
            test = tests.get(row["key"], {})
            cells.append(numbers.points_cell(difference(test), lang))
            if per_row_marks:
                cells.append(tx("ui.significant_mark") if test.get("significant") else "")
        rows.append({"label": tx.label(row["label"]), "cells": cells, "in_base": bool(row["in_base"])})
    caption = f"{tx.label(chart['title'])} — {_base_line(chart, tx)}"
    return {"caption": caption, "header": header, "rows": rows}


def _compare(chart: Mapping[str, Any], build: Build, tx: Wording) -> dict[str, Any] | None:
    """The comparison block: both waves (or both segments), the difference, marks, the test and,
    across waves, the caveat. A segment comparison reads SaaS minus non-SaaS."""
    tests = chart.get("tests")
    series = chart["series"]
    segments = chart.get("compare") == "by_segment"
    if chart.get("compare") not in ("yoy", "by_segment") or not tests or len(series) < 2:
        return None
    lang = tx.lang
    now, before = series[0], series[1]
    by_key = tests_by_key(chart)
    ordinal = chart["answer"] == "ordinal"
    # Per-choice tests print their adjusted p-value, and a segment comparison the same test within
    # response routes beside it: the flag and the number a reader sees come from the same value.
    routes = segments and any("route" in t for t in tests)
    rows = []
    for row in chart["rows"]:
        test = by_key.get(row["key"])
        if test is None:
            continue
        tested = test.get("p_adjusted") is not None and not ordinal
        route = test.get("route")
        route_text = numbers.DASH
        if tested and route:
            route_text = numbers.p_value(route["p_adjusted"], lang) + (tx("ui.significant_mark")
                                                                        if route["significant"] else "")
        rows.append({
            "label": tx.label(row["label"]),
            "before": numbers.pct_cell(series_value(row, before["id"])["pct"], lang),
            "after": numbers.pct_cell(series_value(row, now["id"])["pct"], lang),
            "change": numbers.points_cell(difference(test), lang),
            "mark": tx("ui.significant_mark") if (test.get("significant") and not ordinal) else "",
            "p": numbers.p_value(test["p_adjusted"], lang) if tested else numbers.DASH,
            "route": route_text,
        })
    distribution = None
    legend = None
    final = chart.get("distribution_test")
    if ordinal and final is not None and final.get("p_adjusted") is not None:
        result = tx("ui.result.significant" if final["significant"] else "ui.result.not_significant")
        distribution = tx("ui.distribution_test", test=test_name(final["test"], tx), result=result,
                          p=numbers.p_value(final["p_adjusted"], lang))
        route = final.get("route")
        if route:
            distribution += tx("ui.route_result", result=tx("ui.result.significant" if route["significant"]
                                                            else "ui.result.not_significant"),
                               p=numbers.p_value(route["p_adjusted"], lang))
    names = sorted({str(t["test"]) for t in tests if t.get("test")})
    if names and not ordinal:
        name = tx.join([test_name(n, tx) for n in names])
        if segments:
            legend = tx("ui.segment_significance_legend", alpha=numbers.level(ALPHA, lang), test=name)
        else:
            legend = tx("ui.significance_legend", compare_wave=build.compare_wave, alpha=numbers.level(ALPHA, lang),
                        test=name)
    marks = [] if ordinal else [tx("ui.significant"), tx("ui.p_adjusted")] + ([tx("ui.p_route")] if routes else [])
    if segments:
        return {
            "title": tx("ui.segment_compare_title"),
            "header": [tx("ui.answer"), tx.label(before["label"]), tx.label(now["label"]),
                       tx("ui.segment_difference"), *marks],
            "per_row_marks": not ordinal,
            "route_column": routes and not ordinal,
            "rows": rows,
            "distribution": distribution,
            "legend": legend,
            "caveat": tx("ui.segment_compare_caveat"),
        }
    survey, other = build.survey["survey"], build.survey["compare_survey"]
    caveat = tx("ui.compare_caveat", compare_wave=before["wave"], wave=now["wave"],
                c_publisher=tx.label(other["publisher"]), c_period=period(other, lang),
                c_n=numbers.base_n(before["base_n"], lang), publisher=tx.label(survey["publisher"]),
                period=period(survey, lang), n=numbers.base_n(now["base_n"], lang))
    return {
        "title": tx("ui.compare_title", compare_wave=before["wave"]),
        "header": [tx("ui.answer"), tx.label(before["label"]), tx.label(now["label"]), tx("ui.change"), *marks],
        "per_row_marks": not ordinal,
        "route_column": False,
        "rows": rows,
        "distribution": distribution,
        "legend": legend,
        "caveat": caveat,
    }


def _tooltips(chart: Mapping[str, Any], tx: Wording) -> dict[str, str]:
    """The native tooltip of every bar the chart draws, by its SVG id: the answer, its share (or
    its count, where the base is too small for a share) and the base; the series is named when
    the chart has several."""
    lang = tx.lang
    several = len(chart["series"]) > 1
    out = {}
    for series in chart["series"]:
        for row in chart["rows"]:
            cell = series_value(row, series["id"])
            if cell["count"] is None:
                continue
            value = numbers.pct(cell["pct"], lang) if cell["pct"] is not None else numbers.count(cell["count"], lang)
            params = {"label": tx.label(row["label"]), "value": value, "n": numbers.base_n(cell["base"], lang)}
            out[bar_gid(series["id"], row["key"])] = (
                tx("ui.tooltip_series", series=tx.label(series["label"]), **params) if several
                else tx("ui.tooltip", **params))
    return out


def _steps(chart: Mapping[str, Any], build: Build, tx: Wording) -> list[dict[str, Any]]:
    """A series across waves: one comparison block per further step between consecutive waves
    (its own test and caveat), read like the block of the latest step."""
    from dataclasses import replace

    infos = {str(s["wave"]): s for s in build.survey.get("series_surveys") or []}
    by_id = {s["id"]: s for s in chart["series"]}
    blocks = []
    for step in chart.get("steps") or []:
        newer, older = (str(w) for w in step["pair"])
        if newer not in by_id or older not in by_id or newer not in infos or older not in infos:
            continue
        view = replace(build, survey={**build.survey, "survey": infos[newer], "compare_survey": infos[older],
                                      "compare_wave": older})
        block = _compare({**chart, "tests": step["tests"], "distribution_test": step.get("distribution_test"),
                          "series": [by_id[newer], by_id[older]]}, view, tx)
        if block is not None:
            blocks.append({**block, "title": tx("ui.step_title", older=older, newer=newer)})
    return blocks


def chart_view(chart: Mapping[str, Any], build: Build, tx: Wording) -> dict[str, Any]:
    """A chart dict of chapter.json as the page shows it (see the module docstring)."""
    lang = tx.lang
    badges = []
    if chart.get("compare") == "yoy" and len(chart["series"]) > 1:
        badges.append({"kind": "compare", "text": tx("ui.compare_badge", compare_wave=chart["series"][1]["wave"])})
    reference = None
    if chart.get("compare") == "ref_2023" or chart.get("wave") != build.wave:
        info = build.survey["compare_survey"]
        badges.append({"kind": "reference", "text": tx("ui.reference_badge", compare_wave=chart["wave"])})
        reference = tx("ui.reference_source", title=tx.label(info["title"]), publisher=tx.label(info["publisher"]),
                       period=period(info, lang))
    if chart["disclosure"] == "indicative":
        badges.append({"kind": "indicative", "text": tx("ui.indicative")})
    elif chart["disclosure"] == "suppressed":
        badges.append({"kind": "suppressed", "text": tx("ui.suppressed")})
    elif chart["disclosure"] == "empty":
        badges.append({"kind": "empty", "text": tx("ui.empty")})
    svg = build.chart_svg(chart, lang)  # None for an empty base: its notes stand in the chart's place
    svg_phone = build.chart_svg(chart, lang, phone=True)
    csv_name = f"{chart['id']}.csv"
    compare, steps = _compare(chart, build, tx), _steps(chart, build, tx)
    return {
        "id": chart["id"],
        "anchor": f"chart-{chart['id']}",
        "title": tx.label(chart["title"]),
        "question": tx.label(chart["question"]["text"]),
        "base": _base_line(chart, tx),
        "disclosure": chart["disclosure"],
        "badges": badges,
        "reference": reference,
        "svg": svg,
        "svg_phone": svg_phone,  # the drawing for narrow screens, where the build has one
        "alt": _alt_text(chart, tx),
        "tooltips": _tooltips(chart, tx),
        "notes": [str(n[lang]) for n in chart.get("notes") or []],
        "table": _table(chart, tx),
        "compare": compare,
        "steps": steps,
        "comparisons": ([compare] if compare else []) + steps,  # what the page shows, in order
        "csv": {"href": f"../data/{csv_name}", "name": csv_name, "label": tx("ui.download_csv", file=csv_name)},
    }
