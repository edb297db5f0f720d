"""A chart of ``chapter.json`` read for one language: what the drawing functions need, checked once.

:func:`chart_view` turns a language-neutral chart dict into a :class:`ChartView` (labels in the
language, series with their colours, rows in the base and outside it, the tests that mark bars);
a malformed chart is a BuildError naming it. Nothing here computes a share: values are the
document's, and :func:`format_pct` prints them with their one decimal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hakusho.build_folder import check_chart
from hakusho.charts.style import house_palette, tint
from hakusho.errors import BuildError
from hakusho.messages import Msg
from hakusho.text import numbers

TESTED_COMPARES = ("yoy", "by_segment")  # comparisons whose tests mark bars ▲/▼
DRAWABLE = ("ok", "indicative", "suppressed")  # an empty base has no drawing



def bar_gid(series_id: str, choice_key: str) -> str:
    """The SVG id of the bar of one choice in one series. The page gives each such bar a native
    tooltip (a ``<title>``) with its value and base, found by this id."""
    return f"bar-{series_id}-{choice_key}"

@dataclass(frozen=True)
class SeriesView:
    """One population or wave of a chart, in one language, with its colour."""

    id: str
    label: str
    wave: str
    base_n: int
    disclosure: str
    color: str
    is_report: bool


@dataclass(frozen=True)
class RowView:
    key: str
    label: str
    values: Mapping[str, Mapping[str, Any]]

    def offered(self, series: SeriesView) -> bool:
        """Was the choice offered to this series (a wave's questionnaire may lack it)?"""
        value = self.values.get(series.id)
        return value is not None and value.get("count") is not None

    def count(self, series: SeriesView) -> int | None:
        value = self.values.get(series.id)
        return None if value is None or value.get("count") is None else int(value["count"])

    def pct(self, series: SeriesView) -> float | None:
        value = self.values.get(series.id)
        return None if value is None or value.get("pct") is None else float(value["pct"])


@dataclass(frozen=True)
class ChartView:
    """A chart dict read for one language: what the drawing functions need, checked once."""

    id: str
    lang: str
    answer: str
    compare: str | None
    wave: str
    title: str
    base_label: str
    base_n: int
    series: tuple[SeriesView, ...]
    rows: tuple[RowView, ...]  # counted in the base, questionnaire order
    excluded: tuple[RowView, ...]  # counted but outside the base ("don't know")
    counts_only: bool
    median_key: str | None
    tests: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    distribution: Mapping[str, Any] | None = None  # an ordinal chart's one test of the whole distribution
    source: str | None = None  # a chart of another wave: that wave's survey title (its codebook's)

    @property
    def primary(self) -> SeriesView:
        """The series rows are ranked by: the report wave, else the first one."""
        return next((s for s in self.series if s.is_report), self.series[0])

    def value(self, row: RowView, series: SeriesView) -> float | None:
        """The bar length: the share, or the count on a counts-only chart."""
        if self.counts_only:
            count = row.count(series)
            return None if count is None else float(count)
        return None if series.disclosure == "suppressed" else row.pct(series)

    def ordered_rows(self) -> list[RowView]:
        """Multiple answers by share (largest first, ties in questionnaire order); others as asked."""
        if self.answer != "multi":
            return list(self.rows)
        return sorted(self.rows, key=lambda r: -(self.value(r, self.primary) or 0.0))

    def marker(self, row: RowView, series: SeriesView) -> str:
        """▲/▼ on the report wave where a per-choice test finds the change significant; on a
        segment comparison (integrated report), on the first series of the test (SaaS) where it
        differs significantly from the second.

        A distribution test (ordinal answers) says nothing about one bucket: it gets a note
        (:meth:`distribution_test`), never a mark on a bar.
        """
        test = self.tests.get(row.key)
        if self.counts_only or self.compare not in TESTED_COMPARES or not test:
            return ""
        if not (series.is_report if self.compare == "yoy" else series.id == self.tested_series()[0]):
            return ""
        if not test.get("test") or test.get("scope") == "bucket" or not test.get("significant"):
            return ""
        return "▲" if float(test.get("change_pt") or 0) > 0 else "▼"

    def marked_tests(self) -> list[str]:
        """The tests behind the chart's marks (z-test, Fisher's exact test), in a fixed order."""
        return sorted({str(self.tests[r.key]["test"]) for r in self.rows for s in self.series if self.marker(r, s)})

    def distribution_test(self) -> Mapping[str, Any] | None:
        """The one test of the whole distribution, when the chart carries one."""
        found = self.distribution
        if self.counts_only or self.compare not in TESTED_COMPARES or not found or found.get("p_value") is None:
            return None
        return found

    def tested_series(self) -> tuple[str, str]:
        """The two series a segment comparison's tests compare (first minus second)."""
        for test in self.tests.values():
            pair = test.get("series")
            if pair and len(pair) == 2:
                return str(pair[0]), str(pair[1])
        return self.series[0].id, self.series[-1].id if len(self.series) > 1 else ""

    def series_label(self, series_id: str) -> str:
        return next((s.label for s in self.series if s.id == series_id), series_id)




def _text(chart_id: str, value: Any, lang: str, what: str) -> str:
    if isinstance(value, Mapping) and isinstance(value.get(lang), str) and value[lang].strip():
        return value[lang]
    raise BuildError(Msg("chart.no_text", id=chart_id, what=what, lang=lang, value=repr(value)))


def chart_view(chart: Mapping[str, Any], lang: str) -> ChartView:
    """Read and check a chart of ``chapter.json`` for ``lang``: the chart schema of
    :mod:`hakusho.build_folder`, then what drawing needs (a drawable disclosure level, a text in
    ``lang`` for every label, a share for every shown value); a BuildError names the chart."""
    chart = check_chart(chart)
    cid = chart["id"]
    answer = chart["answer"]
    disclosure = chart["disclosure"]
    if disclosure not in DRAWABLE:
        raise BuildError(Msg("chart.not_drawable", id=cid, disclosure=disclosure, valid=", ".join(DRAWABLE)))
    compare = chart["compare"]
    wave = chart["wave"]
    raw_series = list(chart["series"])
    if not raw_series:
        raise BuildError(Msg("chart.no_series", id=cid))
    if compare == "yoy":  # chronological: the comparison wave first
        raw_series.sort(key=lambda s: (str(s.get("wave", wave)) == wave, str(s.get("wave", wave))))
    palette = house_palette()
    # A series across several waves: the comparison wave in slate, waves before it in lighter slate.
    latest_other = max((str(s.get("wave", wave)) for s in raw_series if str(s.get("wave", wave)) != wave), default="")
    series = []
    for i, raw in enumerate(raw_series):
        s_disclosure = raw.get("disclosure", disclosure)
        if s_disclosure not in DRAWABLE:
            raise BuildError(Msg("chart.series_not_drawable", id=cid, series=raw.get("id"), disclosure=s_disclosure))
        s_wave = str(raw.get("wave", wave))
        is_report = s_wave == wave
        # Year over year: the report wave in navy, the comparison wave in slate.
        if compare == "yoy":
            color = palette[0] if is_report else palette[3] if s_wave == latest_other else tint(palette[3], 0.55)
        else:
            color = palette[i % len(palette)]
        series.append(
            SeriesView(
                id=str(raw["id"]),
                label=_text(cid, raw.get("label"), lang, f"series {raw.get('id')} label"),
                wave=s_wave,
                base_n=int(raw["base_n"]),
                disclosure=s_disclosure,
                color=color,
                is_report=is_report,
            )
        )
    if len(series) == 1 and disclosure == "suppressed":
        series[0] = replace(series[0], disclosure="suppressed")
    counts_only = all(s.disclosure == "suppressed" for s in series)

    rows, excluded = [], []
    for raw in chart["rows"]:
        row = RowView(key=str(raw["key"]), label=_text(cid, raw.get("label"), lang, f"row {raw.get('key')}"),
                      values=raw.get("values") or {})
        (rows if raw.get("in_base", True) else excluded).append(row)
        if raw.get("in_base", True) and not counts_only:
            for s in series:
                if s.disclosure != "suppressed" and row.offered(s) and row.pct(s) is None:
                    raise BuildError(Msg("chart.no_share", id=cid, row=row.key, series=s.id, n=s.base_n))
    if not rows:
        raise BuildError(Msg("chart.no_rows", id=cid))

    median = chart.get("median") or {}
    tests = {str(t["key"]): t for t in (chart.get("tests") or [])}
    notes = tuple(_text(cid, n, lang, "note") for n in (chart.get("notes") or []))
    return ChartView(
        id=cid,
        lang=lang,
        answer=answer,
        compare=compare,
        wave=wave,
        title=_text(cid, chart["title"], lang, "title"),
        base_label=_text(cid, chart["base_label"], lang, "base_label"),
        base_n=int(chart["base_n"]),
        series=tuple(series),
        rows=tuple(rows),
        excluded=tuple(excluded),
        counts_only=counts_only,
        median_key=median.get(series[0].id) if len(series) == 1 else None,
        tests=tests,
        notes=notes,
        distribution=chart.get("distribution_test"),
        source=_text(cid, chart["source"], lang, "source") if chart.get("source") else None,
    )


def chart_kind(chart: Mapping[str, Any]) -> str:
    """``bars``, ``stacked``, ``grouped`` or ``trend``: how :func:`draw_chart` draws this chart.
    A question asked in three or more waves is a trend; two series stand side by side."""
    series = chart.get("series") or []
    if len(series) > 2 and chart.get("compare") == "yoy":
        return "trend"
    if len(series) > 1:
        return "grouped"
    if chart.get("disclosure") == "suppressed" or (series and series[0].get("disclosure") == "suppressed"):
        return "bars"
    return "bars" if chart.get("answer") == "multi" else "stacked"


# --------------------------------------------------------------------------- value labels


def format_pct(pct: float, lang: str, chart_id: str = "?") -> str:
    """A share as printed: its one given decimal, never re-rounded (an unrounded value is an error)."""
    if not math.isfinite(pct) or abs(round(pct * 10) - pct * 10) > 1e-6:
        raise BuildError(Msg("chart.not_rounded", id=chart_id, value=repr(pct)))
    return numbers.pct(pct, lang)
