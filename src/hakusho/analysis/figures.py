"""The figure registry: every number the report's text may quote, under a stable id.

Prose templates and editors' commentary refer to ``cs_status.doing.pct`` instead of typing 86.0,
so a figure can never drift from its chart. The registry is derived from the chapter result
(the chart dicts of chapter.json) and nothing else; it adds no arithmetic of its own.

Ids (see the contract): ``<chart>.base``, ``<chart>.<key>.pct|count`` (first series),
``<chart>.<series>.<key>.pct|count``, ``<chart>.<series>.base``, ``<chart>.median`` (and
``<chart>.<series>.median``), ``<chart>.top1..3``, ``<chart>.group.<group>.pct`` (and
``<chart>.<series>.group.<group>.pct``), ``<chart>.<key>.change_pt|significant`` for
year-over-year charts (``significant`` for choices tested one by one only: a bucket of an ordinal
chart has its change but no flag), ``<chart>.significant`` for the distribution test of an
ordinal year-over-year chart, and ``<chapter>.n_total|n_segment`` for the respondents after
filters. Every flag is the test's after adjustment for the number of tests.

Charts comparing segments (the integrated report: SaaS against non-SaaS) carry their tests under
their own names, so that a sentence written about a change since 2023 can never quote a gap
between segments: ``<chart>.<key>.diff_pt`` (first minus second tested series, in points — SaaS
minus non-SaaS), ``<chart>.<key>.diff_significant`` and, for an ordinal chart's distribution
test, ``<chart>.diff_significant``; ``…diff_route_significant`` says whether the same gap holds
within response routes (Cochran–Mantel–Haenszel). Which two series were compared is in the
chart's ``tests``.

Disclosure carries through: where a base is suppressed, percentages, combined shares, medians,
ranks and changes have value null; counts and bases stay. A base of nobody is ``empty``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hakusho.analysis.disclosure import chart_disclosure, disclosure_level, shows_percentages
from hakusho.errors import BuildError

TOP_RANKS = 3

Figure = dict[str, Any]


def _figure(value: object, kind: str, base: int, disclosure: str, filter_text: str,
            label: Mapping[str, str] | None = None) -> Figure:
    fig: Figure = {"value": value, "kind": kind, "base": base, "disclosure": disclosure, "filter": filter_text}
    if label is not None:
        fig["label"] = {"ja": label["ja"], "en": label["en"]}
    return fig


class _Registry:
    """Collects figures and refuses to register one id twice (ids must be unambiguous)."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}

    def add(self, figure_id: str, figure: Figure) -> None:
        if figure_id in self.figures:
            raise BuildError(f"figure id '{figure_id}' would be registered twice")
        self.figures[figure_id] = figure


def chart_figures(chart: Mapping[str, Any], *, filter_text: str = "") -> dict[str, Figure]:
    """The figures of one chart dict (as chapter.json holds it)."""
    reg = _Registry()
    cid = chart["id"]
    series = chart["series"]
    if not series:
        return {}
    first = series[0]["id"]
    labels = {row["key"]: row["label"] for row in chart["rows"]}
    shown = {s["id"]: shows_percentages(s["disclosure"]) for s in series}
    level = {s["id"]: s["disclosure"] for s in series}
    base = {s["id"]: s["base_n"] for s in series}

    reg.add(f"{cid}.base", _figure(base[first], "n", base[first], level[first], filter_text))
    for s in series:
        sid = s["id"]
        reg.add(f"{cid}.{sid}.base", _figure(base[sid], "n", base[sid], level[sid], filter_text))

    for row in chart["rows"]:
        for sid, cell in row["values"].items():
            cell_level = chart_disclosure(cell["base"])
            pct = cell["pct"] if shown[sid] else None
            count_fig = _figure(cell["count"], "count", cell["base"], cell_level, filter_text)
            pct_fig = _figure(pct, "pct", cell["base"], cell_level, filter_text)
            reg.add(f"{cid}.{sid}.{row['key']}.count", count_fig)
            reg.add(f"{cid}.{sid}.{row['key']}.pct", pct_fig)
            if sid == first:
                reg.add(f"{cid}.{row['key']}.count", dict(count_fig))
                reg.add(f"{cid}.{row['key']}.pct", dict(pct_fig))

    medians = chart.get("median") or {}
    for sid, key in medians.items():
        value = key if shown[sid] else None
        label = labels.get(key) if value is not None else None
        fig = _figure(value, "choice", base[sid], level[sid], filter_text, label)
        reg.add(f"{cid}.{sid}.median", fig)
        if sid == first:
            reg.add(f"{cid}.median", dict(fig))

    ranking = chart.get("ranking") or []
    for rank in range(1, TOP_RANKS + 1):
        key = ranking[rank - 1] if len(ranking) >= rank and shown[first] else None
        label = labels[key] if key is not None else None
        reg.add(f"{cid}.top{rank}", _figure(key, "choice", base[first], level[first], filter_text, label))

    for group_id, by_series in (chart.get("groups") or {}).items():
        for sid, pct in by_series.items():
            fig = _figure(pct if shown[sid] else None, "pct", base[sid], level[sid], filter_text)
            reg.add(f"{cid}.{sid}.group.{group_id}.pct", fig)
            if sid == first:
                reg.add(f"{cid}.group.{group_id}.pct", dict(fig))

    # Year over year: change_pt / significant; between segments: diff_pt / diff_significant (and
    # diff_route_significant, the same comparison within response routes).
    points, flag = ("change_pt", "significant") if chart.get("compare") == "yoy" else ("diff_pt", "diff_significant")

    def tested_level(test: Mapping[str, Any]) -> tuple[int, str]:
        tested = (test.get("series") or [first])[0]
        tested = tested if tested in base else first
        return base[tested], level[tested]

    for test in chart.get("tests") or []:
        n, lvl = tested_level(test)
        reg.add(f"{cid}.{test['key']}.{points}", _figure(test["change_pt"], "points", n, lvl, filter_text))
        if test.get("crosswalk"):
            # How the choice meets its earlier counterpart (same / reworded / folded), labelled with
            # the earlier wording: a sentence quoting a reworded change must say so.
            reg.add(f"{cid}.{test['key']}.crosswalk", _figure(test["crosswalk"]["kind"], "choice", n, lvl, filter_text,
                                                            test["crosswalk"]["compared_with"]))
        if test.get("scope") == "bucket":
            continue  # a bucket of a distribution is not tested on its own: no flag to quote
        reg.add(f"{cid}.{test['key']}.{flag}", _figure(test["significant"], "flag", n, lvl, filter_text))
        if "route" in test:
            route = test["route"]
            reg.add(f"{cid}.{test['key']}.diff_route_significant",
                    _figure(route["significant"] if route else None, "flag", n, lvl, filter_text))
    distribution = chart.get("distribution_test")
    if chart.get("answer") == "ordinal" and (distribution is not None or chart.get("tests")):
        n, lvl = tested_level(distribution or chart["tests"][0])
        value = distribution["significant"] if distribution else None
        reg.add(f"{cid}.{flag}", _figure(value, "flag", n, lvl, filter_text))
        if distribution is not None and "route" in distribution:
            route = distribution["route"]
            reg.add(f"{cid}.diff_route_significant",
                    _figure(route["significant"] if route else None, "flag", n, lvl, filter_text))
    return reg.figures


def chapter_figures(chapter: Mapping[str, Any]) -> dict[str, Figure]:
    """All figures of a chapter dict (chapter.json), sorted by id."""
    reg = _Registry()
    filter_text = chapter.get("filter_text", "")
    cid = chapter["chapter"]
    n_total, n_segment = chapter["n_total"], chapter["n_segment"]
    reg.add(f"{cid}.n_total", _figure(n_total, "n", n_total, disclosure_level(n_total), filter_text))
    reg.add(f"{cid}.n_segment", _figure(n_segment, "n", n_segment, disclosure_level(n_segment), filter_text))
    for chart in _charts(chapter["slides"]):
        for figure_id, figure in chart_figures(chart, filter_text=filter_text).items():
            reg.add(figure_id, figure)
    return dict(sorted(reg.figures.items()))


def _charts(slides: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for slide in slides:
        yield from slide["charts"]
