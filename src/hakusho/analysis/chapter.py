"""A chapter's result: every chart of one part of the report, computed from the raw data.

``compute_chapter`` is pure: surveys in, a frozen :class:`ChapterResult` out (the chapter.json
document, the tidy table behind each chart, the figure registry). ``write_chapter`` writes it as
the contract lays out (chapter.json, figures.json, tables/*.csv, charts/*.{ja,en}.svg), byte for
byte the same on every run. ``run_chapter`` is the one call a chapter notebook makes.

How each kind of chart finds its series (``series`` ids are population ids, or wave ids for
year-over-year charts):

* plain charts: one series, the chart's base population in the report wave;
* ``series: [...]`` in the spec: those populations side by side (practising vs about to start);
* ``compare: by_segment``: SaaS and non-SaaS side by side, the report's segment first (the
  integrated report, segment ``all``, leads with everyone);
* ``compare: yoy``: the report wave and the comparison wave, the latter read through the
  crosswalk in the report wave's choices, with significance tests (:mod:`hakusho.analysis.compare`);
* ``wave: compare`` (``ref_2023``): the comparison wave's own question and choices, its base
  population evaluated on the comparison wave. Without a comparison wave these charts (and
  slides left empty by them) are left out of the chapter.

Segments. The spec is written for the SaaS report (part 2); the same chapters build the
non-SaaS report (``segment="non_saas"``, part 3) and the integrated report (``segment="all"``,
part 1):

* populations marked ``segment: true`` (practising, about to start, not practising) are taken
  inside the report's segment, and a chart based on the SaaS segment's own population (``saas``:
  CS adoption, purpose, services and tools) is based on the report's segment instead. Labels of
  segment-relative populations come from the ``populations`` catalogs for segments other than
  SaaS (the spec's own wording is the SaaS report's), so a non-SaaS chart never says "SaaS".
* The integrated report shows every chart for SaaS and non-SaaS side by side (series ``saas``
  and ``non_saas``: the chart's base inside each segment — practising SaaS vs practising
  non-SaaS — or everyone of each segment for charts of all respondents and of the SaaS
  segment's population; a chart with a ``series`` list compares the segments on its base). Such
  charts are ``compare: by_segment`` and carry the tests of :func:`hakusho.analysis.compare.series_tests`
  (z-test per choice, chi-square on an ordinal distribution) as ``tests`` entries naming both
  series; figures ``<chart>.<key>.diff_pt`` / ``diff_significant``. Charts that are already
  ``by_segment`` keep their series (everyone, SaaS, non-SaaS) and gain the same tests. Two kinds
  of chart are not split, with a note: a question that itself separates the segments (industry)
  and a base that is a fixed group of respondents (IT and telecom outside SaaS).
* Year over year in the integrated report: the 2023 survey asked SaaS companies only, so a
  comparison of all respondents with 2023 would compare different populations. A ``yoy`` chart
  therefore compares the segments within the report wave, and says where the comparison with
  the earlier wave is found (the SaaS report, when the comparison wave has one segment only).
  Charts of the comparison wave (``ref_2023``) keep their wave and are split like the others; a
  segment the comparison wave has no respondents of is left out with a note saying so.
* A series with nobody in its base is left out of a chart with a note; a chart with nobody in
  any series is ``disclosure: "empty"`` with a note instead of a drawing (``svg`` null, no SVG
  files) — the non-SaaS report meets these in the charts of the SaaS-only 2023 survey.

Filters apply to the report wave before anything is tabulated. They apply to the comparison
wave too when it can express them (every variable and value exists in its codebook), so that a
year-over-year change compares like with like; otherwise the comparison wave stays unfiltered
and every chart drawing on it says so. Each CSV row records the filter its own wave was
tabulated under. A filter that leaves nobody stops the chapter; one that leaves fewer than 30
respondents in the segment stops it unless ``allow_small_base`` is set (disclosure rules then
still mark or suppress the small bases). Filters are data (variable, operator, value): a
variable is named by its id, its column code or its label in either language, a choice by its
key, code or label; the value must be a text, a number or a list of those, and nothing in a
filter is ever evaluated as code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.analysis.compare import series_tests, side_by_side
from hakusho.analysis.disclosure import (
    INDICATIVE_BELOW,
    base_notes,
    chart_disclosure,
    note,
    suppress_shares,
)
from hakusho.analysis.figures import chapter_figures
from hakusho.analysis.spec import Chart, Spec, default_spec
from hakusho.analysis.tabulate import (
    group_shares,
    median_by_series,
    one_series,
    ranking,
    share_of_base,
    stack_series,
)
from hakusho.errors import CodebookError, FilterError, HakushoError, Problem
from hakusho.survey.codebook import Codebook, Condition, Question, load_codebook
from hakusho.survey.filters import ALL_OPS, ORDER_OPS, describe_filters, parse_filter, resolve_choice
from hakusho.survey.wave import Survey

CSV_COLUMNS = ["chart_id", "wave", "population", "series", "filter", "choice_code", "choice_key",
               "label_ja", "label_en", "count", "base", "pct"]
LANGS = ("ja", "en")
MIN_FILTERED_SEGMENT = INDICATIVE_BELOW


@dataclass(frozen=True)
class ChapterResult:
    """One chapter, computed: what chapter.json, figures.json and the tables hold.

    ``chapter`` is the chapter.json document; ``tables`` the tidy table behind each chart
    (CSV_COLUMNS, in file order); ``figures`` the registry. ``output_dir`` is set once the
    result has been written, so a notebook can show the SVGs it produced.
    """

    chapter: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Any]
    output_dir: Path | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return str(self.chapter["chapter"])

    @property
    def slides(self) -> list[Mapping[str, Any]]:
        return list(self.chapter["slides"])

    @property
    def chart_ids(self) -> list[str]:
        return [c["id"] for s in self.slides for c in s["charts"]]

    def chart(self, chart_id: str) -> Mapping[str, Any]:
        for slide in self.slides:
            for chart in slide["charts"]:
                if chart["id"] == chart_id:
                    return chart
        raise KeyError(f"chapter {self.id} has no chart '{chart_id}' (charts: {', '.join(self.chart_ids)})")

    def table(self, chart_id: str) -> pd.DataFrame:
        """The tidy table behind a chart (as written to tables/<chart_id>.csv)."""
        return self.tables[chart_id].copy()

    def view(self, chart_id: str, lang: str = "ja") -> pd.DataFrame:
        """The chart's numbers for people: one row per choice, n and % per series."""
        table = self.tables[chart_id].drop(columns=["chart_id", "wave", "population", "filter"])
        return side_by_side(table, lang=lang)

    def summary(self, lang: str = "ja") -> pd.DataFrame:
        """What this run covers, for the top of a notebook: waves, segment, filter, respondents."""
        doc = self.chapter
        rows = [("chapter", doc["title"][lang]), ("wave", doc["wave"]), ("compare_wave", doc["compare_wave"] or "-"),
                ("segment", doc["segment"]), ("filter", doc["filter_label"][lang] or "-"),
                ("n_total", doc["n_total"]), ("n_segment", doc["n_segment"])]
        return pd.DataFrame(rows, columns=["", self.id]).set_index("")

    def show(self, chart_id: str, lang: str = "ja") -> list[Any]:
        """What a notebook displays for one chart: its numbers and its SVG in ``lang``.

        A chart this run leaves out (a chart of the comparison wave when there is none) shows a
        line saying so instead of failing the notebook; a chart with nobody in its base shows its
        numbers and the line saying so, as it has no drawing.
        """
        from IPython.display import SVG, Markdown

        from hakusho.i18n import Translator

        if chart_id not in self.chart_ids:
            return [Markdown("*" + Translator(lang, "notes")("notebook.left_out", chart=chart_id) + "*")]
        if self.chart(chart_id)["svg"] is None:
            return [self.view(chart_id, lang), Markdown("*" + Translator(lang, "notes")("note.empty_base") + "*")]
        return [self.view(chart_id, lang), SVG(filename=str(self.svg_path(chart_id, lang)))]

    def svg_path(self, chart_id: str, lang: str = "ja") -> Path:
        """Where the chart's SVG in ``lang`` was written (after :func:`write_chapter`)."""
        if self.output_dir is None:
            raise FileNotFoundError("the chapter has not been written yet; call write_chapter first")
        svg = self.chart(chart_id)["svg"]
        if svg is None:
            raise FileNotFoundError(f"chart {chart_id} has nobody in its base and no drawing")
        return self.output_dir / svg[lang]


# ------------------------------------------------------------------------------ filters


def normalize_filters(filters: Sequence[Any],
                      codebook: Codebook | None = None) -> tuple[list[Condition], list[list[Any]]]:
    """Conditions from a researcher's filters, and the same filters as JSON-able triples.

    Each filter is ``[variable, operator, value]`` or a text such as ``"employees >= 1000"``;
    triples keep the value as given (a number stays a number in chapter.json). A single text is
    one filter (what ``papermill -p filters "employees >= 1000"`` passes). With ``codebook``, a
    variable may also be named by its column code (``Q1``) or its label in either language
    (「従業員規模」, "Employees"); conditions and triples then carry the variable's id.

    Only texts, numbers and lists of those are accepted as values, and nothing is evaluated:
    anything else is a FilterError before a single respondent is looked at.
    """
    conditions: list[Condition] = []
    triples: list[list[Any]] = []
    if isinstance(filters, str):
        filters = [filters] if filters.strip() else []
    elif isinstance(filters, Mapping) or not isinstance(filters, Sequence):
        raise FilterError(f"filters must be a list of [variable, operator, value] triples, got "
                          f"{type(filters).__name__}",
                          [Problem("wrong type", value=repr(filters)[:80], expected="a list of filters")])
    for item in filters:
        if isinstance(item, str):
            cond = _text_filter(item, codebook)
            value = cond.value
        elif isinstance(item, Sequence) and len(item) == 3:
            var, op, value = item
            cond = _triple_filter(var, op, value)
        else:
            raise FilterError(f"a filter has three parts (variable, operator, value), got {item!r}"[:200],
                              [Problem("expected VARIABLE OPERATOR VALUE", value=repr(item)[:80])])
        if codebook is not None:
            cond = Condition(var=resolve_variable(codebook, cond.var), op=cond.op, value=cond.value)
        conditions.append(cond)
        triples.append([cond.var, cond.op, list(value) if isinstance(value, tuple | list) else value])
    return conditions, triples


def resolve_variable(codebook: Codebook, name: str) -> str:
    """The id of the variable ``name`` names: an id, a column code or a label in either language.

    An unknown name is returned as it is, for the evaluator to reject with the valid ids listed.
    """
    if name in codebook.by_id:
        return name
    wanted = name.strip().casefold()
    for question in codebook.questions:
        names = {question.column, *(question.label(lang) for lang in LANGS)}
        if wanted in {n.strip().casefold() for n in names}:
            return question.id
    return name


def _scalar_ok(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def _triple_filter(var: object, op: object, value: object) -> Condition:
    """A condition from a triple whose parts are checked for type, never interpreted as code."""
    if not isinstance(var, str) or not var.strip():
        raise FilterError(f"a filter's variable must be a name, got {var!r}"[:200],
                          [Problem("wrong type", value=repr(var)[:80], expected="a variable name")])
    if not isinstance(op, str) or op.strip() not in ALL_OPS:
        raise FilterError(f"unknown operator {op!r} in filter (valid: {', '.join(sorted(ALL_OPS))})"[:300],
                          [Problem("unknown operator", column=var, value=repr(op)[:80],
                                   expected=", ".join(sorted(ALL_OPS)))])
    op = op.strip()
    listed = isinstance(value, list | tuple)
    items = list(value) if listed else [value]  # type: ignore[call-overload]
    if not items or not all(_scalar_ok(v) for v in items):
        raise FilterError(f"filter on '{var}': {value!r} is not a value a filter can take"[:200],
                          [Problem("wrong type", column=var, value=repr(value)[:80],
                                   expected="a text, a number, or a list of them")])
    if op in ("in", "not in") and not listed and isinstance(value, str):
        # A text list as the command line writes it: "doing,planning".
        items = [v.strip() for v in value.split(",") if v.strip()]
        listed = True
    if listed and op in ORDER_OPS:
        raise FilterError(f"filter on '{var}': {op} takes one value, got a list",
                          [Problem("wrong type", column=var, value=repr(value)[:80], expected="one value")])
    return Condition(var=var.strip(), op=op, value=items if listed else value)  # type: ignore[arg-type]


_LOOSE_FILTER = re.compile(r"^\s*(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$"
                           r"|^\s*(.+?)\s+(not in|in|includes|excludes)\s+(.+?)\s*$")


def _text_filter(text: str, codebook: Codebook | None) -> Condition:
    """A text filter; with a codebook its variable may be a label (「従業員規模 >= 1000」)."""
    try:
        return parse_filter(text)
    except FilterError:
        if codebook is None:
            raise
        match = _LOOSE_FILTER.match(text)
        if not match or resolve_variable(codebook, (match.group(1) or match.group(4))) not in codebook.by_id:
            raise
        var, op, raw = (match.group(1), match.group(2), match.group(3)) if match.group(1) else \
            (match.group(4), match.group(5), match.group(6))
        cond = parse_filter(f"x {op} {raw}")  # the value read as any text filter's value
        return Condition(var=var.strip(), op=cond.op, value=cond.value)


_ORDER_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def filter_label(conditions: Sequence[Condition], codebook: Codebook) -> dict[str, str]:
    """The filter in words, per language, with the codebook's labels (for notes under charts).

    ``filter_text`` ("employees >= 1000") stays the machine form recorded in the outputs; this is
    what a reader sees: 「従業員規模 ≥ 1000」 / "Employees ≥ 1000".
    """
    from hakusho.i18n import Translator

    out = {}
    for lang in LANGS:
        t = Translator(lang, "notes")
        parts = []
        for cond in conditions:
            question = codebook.question(cond.var)
            values = list(cond.value) if isinstance(cond.value, list | tuple) else [cond.value]

            def name(value: object, question: Question = question, t: Translator = t, lang: str = lang) -> str:
                try:
                    choice = question.choice(resolve_choice(question, value))
                except FilterError:
                    return str(value)
                return t("filter.value", value=choice.label(lang))

            label = question.label(lang)
            if cond.op in _ORDER_SIGNS:
                parts.append(t("filter.order", variable=label, op=_ORDER_SIGNS[cond.op], value=name(cond.value)))
                continue
            listed = t("filter.or").join(name(v) for v in values)
            key = {"==": "filter.is", "in": "filter.is", "!=": "filter.is_not", "not in": "filter.is_not",
                   "includes": "filter.includes", "excludes": "filter.excludes"}[cond.op]
            parts.append(t(key, variable=label, values=listed))
        out[lang] = t("filter.and").join(parts)
    return out


@dataclass(frozen=True)
class _Filtered:
    survey: Survey
    text: str  # the filter this wave was tabulated under ("" = none)


def _filter_report(survey: Survey, conditions: list[Condition], *, segment: str, spec: Spec,
                   allow_small_base: bool) -> tuple[Survey, int, int]:
    mask = survey.where(conditions, source="filter") if conditions else pd.Series(True, index=survey.responses.index)
    filtered = survey.subset(mask, conditions)
    seg = spec.segments[segment]
    n_segment = int(filtered.where(seg.where, source=f"segment {segment}").sum())
    if conditions:
        text = describe_filters(conditions)
        if filtered.n == 0 or n_segment == 0:
            raise FilterError(
                f"filter '{text}' leaves no respondents in the {segment} segment of wave {survey.wave}",
                [Problem("empty result", value=text, expected="a filter that keeps some respondents")],
            )
        if n_segment < MIN_FILTERED_SEGMENT and not allow_small_base:
            raise FilterError(
                f"filter '{text}' leaves {n_segment} respondents in the {segment} segment of wave "
                f"{survey.wave}, fewer than {MIN_FILTERED_SEGMENT}; pass allow_small_base=True to build "
                "the chapter anyway (small bases are then marked or shown as counts only)",
                [Problem("base too small", value=n_segment, expected=f"at least {MIN_FILTERED_SEGMENT}")],
            )
    return filtered, filtered.n, n_segment


def _filter_compare(survey: Survey | None, conditions: list[Condition]) -> tuple[_Filtered | None, list[str]]:
    """The comparison wave under the same filter if it can express it; else unfiltered.

    Returns the wave and the filter variables it could not express (empty when filtered).
    """
    if survey is None:
        return None, []
    if not conditions:
        return _Filtered(survey, ""), []
    failed = []
    for cond in conditions:
        try:
            survey.where([cond])
        except FilterError:
            failed.append(cond.var)
    if failed:
        return _Filtered(survey, ""), failed
    mask = survey.where(conditions, source="filter")
    return _Filtered(survey.subset(mask, conditions), describe_filters(conditions)), []


# ------------------------------------------------------------------------------ segments and populations

HOME_SEGMENT = "saas"  # the segment the spec's population labels are worded for (the SaaS report)
POPULATIONS_DOMAIN = "populations"


def population_label(spec: Spec, pop_id: str, segment: str) -> dict[str, str]:
    """The label of a population in a report of ``segment``, per language.

    Fixed populations (``segment: false``) keep the spec's label in every report; a population
    inside the report's segment keeps it in the SaaS report and takes the ``populations``
    catalog's ``population.<id>.<segment>`` otherwise (a missing entry is an error, never the
    SaaS wording).
    """
    pop = spec.populations[pop_id]
    if not pop.segment or segment == HOME_SEGMENT:
        return {"ja": pop.ja, "en": pop.en}
    from hakusho.i18n import Translator

    return {lang: Translator(lang, POPULATIONS_DOMAIN)(f"population.{pop_id}.{segment}") for lang in LANGS}


def segment_name(segment: str) -> dict[str, str]:
    """A segment as named inside a sentence ("non-SaaS companies"), per language."""
    from hakusho.i18n import Translator

    return {lang: Translator(lang, POPULATIONS_DOMAIN)(f"segment.{segment}") for lang in LANGS}


def split_segments(spec: Spec) -> list[str]:
    """The segments the integrated report puts side by side: every segment with conditions."""
    return [sid for sid, seg in spec.segments.items() if seg.where]


def is_integrated(spec: Spec, segment: str) -> bool:
    """The integrated report's segment is the one without conditions (everyone)."""
    return not spec.segments[segment].where


def _segment_variables(spec: Spec) -> set[str]:
    return {cond.var for seg in spec.segments.values() for cond in seg.where}


def _everyone(spec: Spec) -> str:
    return next((pid for pid, p in spec.populations.items() if not p.where and not p.segment), "all")


def report_base(spec: Spec, pop_id: str, segment: str) -> str:
    """The population a chart based on ``pop_id`` describes in a (single-segment) report of ``segment``.

    The SaaS segment's own population (``saas``) stands for "the report's segment": in the
    non-SaaS report it is ``non_saas``. Everything else is itself.
    """
    if pop_id == HOME_SEGMENT and segment != HOME_SEGMENT and segment in spec.populations:
        return segment
    return pop_id


def _series_segment(spec: Spec, pop_id: str, segment: str) -> str | None:
    """The segment a series' population lies inside (for saying why it is empty), if any."""
    pop = spec.populations[pop_id]
    if pop.segment:
        return segment
    return pop_id if pop_id in spec.segments and spec.segments[pop_id].where else None


# ------------------------------------------------------------------------------ one chart


@dataclass(frozen=True)
class _Series:
    id: str
    wave: str
    population: str
    label: dict[str, str]
    filter_text: str
    table: pd.DataFrame  # TABLE_COLUMNS, before disclosure
    segment: str | None = None  # the segment the series lies inside, if one
    notes: tuple[dict[str, Any], ...] = ()  # notes that hold only while this series is shown

    @property
    def base(self) -> int:
        return int(self.table["base"].iloc[0]) if len(self.table) else 0


@dataclass(frozen=True)
class _Context:
    spec: Spec
    segment: str
    report: _Filtered
    compare: _Filtered | None
    compare_unfiltered_vars: tuple[str, ...]
    crosswalk: Any
    filter_text: str
    filter_label: dict[str, str]
    segment_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # wave → segment → n (unfiltered)

    @property
    def integrated(self) -> bool:
        return is_integrated(self.spec, self.segment)

    def lacks(self, wave: str, segment: str | None) -> bool:
        """Whether the wave as a whole has nobody of ``segment`` (2023: no non-SaaS respondents)."""
        return segment is not None and self.segment_counts.get(wave, {}).get(segment, 1) == 0


@dataclass
class _Plan:
    """Where a chart's numbers come from, before empty series are left out and tests are run."""

    series: list[_Series]
    question: Question
    base: str
    base_label: dict[str, str]
    compare: str | None
    notes: list[dict[str, Any]] = field(default_factory=list)
    test_pair: tuple[str, str] | None = None
    test_kind: str = "yoy"  # yoy | segments
    # Integrated report: a series is labelled by its segment beside the other one ("SaaS"), and by
    # its full population ("CSに取り組んでいるSaaS企業") when it is the only one left.
    alone_labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _bilingual(obj: Any) -> dict[str, str]:
    return {"ja": obj.ja, "en": obj.en}


def _population_series(ctx: _Context, source: _Filtered, qid: str, pop_id: str, series_id: str, *,
                       segment: str | None = None, label: dict[str, str] | None = None) -> _Series:
    """``pop_id`` evaluated in ``segment`` (default: the report's), and further restricted to
    the segment's respondents when one is given (a series of the integrated report)."""
    survey = source.survey
    seg = segment or ctx.segment
    mask = survey.population(pop_id, segment=seg, spec=ctx.spec)
    if segment is not None:
        mask &= survey.where(ctx.spec.segments[segment].where, source=f"segment {segment}")
    return _Series(series_id, survey.wave, pop_id, label or population_label(ctx.spec, pop_id, seg), source.text,
                   share_of_base(survey, qid, mask), segment=_series_segment(ctx.spec, pop_id, seg) or segment)


def _by_segment_order(segment: str) -> list[str]:
    if segment == "non_saas":
        return ["non_saas", "saas"]
    if segment == "all":
        return ["all", "saas", "non_saas"]
    return ["saas", "non_saas"]


def _check_answer(chart: Chart, question: Question, codebook: Codebook) -> None:
    if (chart.answer == "multi") != (question.type == "multi"):
        raise CodebookError(
            f"chart {chart.id} is a {chart.answer} chart but {question.id} is {question.type} in codebook "
            f"{codebook.wave}",
            [Problem("answer type differs", file=codebook.source, column=question.id, value=question.type,
                     expected=chart.answer)],
        )


def _wave_label(wave: str) -> dict[str, str]:
    from hakusho.i18n import Translator

    return {lang: Translator(lang, "notes")("label.wave", wave=wave) for lang in LANGS}


def _question(chart: Chart, source: _Filtered) -> Question:
    question = source.survey.question(chart.variable)
    _check_answer(chart, question, source.survey.codebook)
    return question


def _segment_pair(ctx: _Context) -> tuple[str, str] | None:
    split = split_segments(ctx.spec)
    return (split[0], split[1]) if len(split) >= 2 else None


def _plan_yoy(chart: Chart, ctx: _Context, base: str, base_label: dict[str, str]) -> _Plan:
    report = ctx.report
    question = _question(chart, report)
    qid = chart.variable
    wave = report.survey.wave
    mine = _population_series(ctx, report, qid, base, wave, label=_wave_label(wave))
    plan = _Plan([mine], question, base, base_label, chart.compare)
    if ctx.compare is None:
        plan.notes.append(note("note.yoy_no_compare", wave=wave))
        return plan
    other_wave = ctx.compare.survey.wave
    vmap = ctx.crosswalk.variable(qid) if ctx.crosswalk is not None else None
    if vmap is None:
        plan.notes.append(note("note.yoy_not_asked", wave=wave, compare=other_wave))
        return plan
    from hakusho.survey.crosswalk import share_in_target_terms

    compare_survey = ctx.compare.survey
    mask = compare_survey.population(base, segment=ctx.segment, spec=ctx.spec)
    theirs_table = share_in_target_terms(compare_survey, mask, qid, report.survey.codebook, ctx.crosswalk)
    # A choice new in the report wave has no counterpart: no count, rather than a false zero
    # (it is left out of the comparison wave's values and rows).
    new = [c.key for c in question.choices if not vmap.sources(c.key)]
    theirs_table["count"] = theirs_table["count"].astype("Int64").mask(theirs_table["choice_key"].isin(new))
    theirs_table["pct"] = theirs_table["pct"].mask(theirs_table["choice_key"].isin(new))
    own_notes = [note("note.yoy_crosswalk", wave=wave, compare=other_wave)]
    if vmap.note is not None:
        own_notes.append({"key": "crosswalk.note", "params": {"variable": qid}, **_bilingual(vmap.note)})
    theirs = _Series(other_wave, other_wave, base, _wave_label(other_wave), ctx.compare.text, theirs_table,
                     segment=_series_segment(ctx.spec, base, ctx.segment), notes=tuple(own_notes))
    plan.series.append(theirs)
    plan.test_pair = (wave, other_wave)
    return plan


def _plan_segment(chart: Chart, ctx: _Context) -> _Plan:
    """A chart of one segment's report (and the charts the integrated report does not split)."""
    qid = chart.variable
    base = report_base(ctx.spec, chart.base, ctx.segment)
    base_label = population_label(ctx.spec, base, ctx.segment)
    if chart.wave == "compare":
        assert ctx.compare is not None  # charts of the comparison wave are skipped without one
        question = _question(chart, ctx.compare)
        series = [_population_series(ctx, ctx.compare, qid, base, base)]
        return _Plan(series, question, base, base_label, chart.compare,
                     [note("note.reference_wave", wave=ctx.compare.survey.wave)])
    if chart.compare == "yoy":
        return _plan_yoy(chart, ctx, base, base_label)
    question = _question(chart, ctx.report)
    plan = _Plan([], question, base, base_label, chart.compare)
    if chart.compare == "by_segment":
        pops = _by_segment_order(ctx.segment)
        if ctx.integrated:
            plan.test_pair, plan.test_kind = _segment_pair(ctx), "segments"
    elif chart.series:
        pops = list(chart.series)
    else:
        pops = [base]
    plan.series = [_population_series(ctx, ctx.report, qid, p, p) for p in pops]
    return plan


def _plan_integrated(chart: Chart, ctx: _Context) -> _Plan:
    """A chart of the integrated report: its base inside each segment, side by side."""
    spec = ctx.spec
    pair = _segment_pair(ctx)
    names = {"first": segment_name(pair[0]), "second": segment_name(pair[1])} if pair else {}
    pop = spec.populations[chart.base]
    if chart.compare == "by_segment" or pair is None:
        return _plan_segment(chart, ctx)
    if chart.variable in _segment_variables(spec):
        plan = _plan_segment(chart, ctx)
        plan.notes.append(note("note.not_split_variable", **names))
        return plan
    relative = pop.segment
    if not relative and pop.where and chart.base not in spec.segments:
        plan = _plan_segment(chart, ctx)
        plan.notes.append(note("note.not_split_population", **names))
        return plan

    base = chart.base if relative else _everyone(spec)
    source = ctx.compare if chart.wave == "compare" else ctx.report
    assert source is not None  # charts of the comparison wave are skipped without one
    question = _question(chart, source)
    series = []
    alone = {}
    for seg in split_segments(spec):
        alone[seg] = (population_label(spec, base, seg) if relative
                      else population_label(spec, seg, seg) if seg in spec.populations
                      else _bilingual(spec.segments[seg]))
        series.append(_population_series(ctx, source, chart.variable, base, seg, segment=seg,
                                         label=_bilingual(spec.segments[seg])))
    compare = chart.compare if chart.compare == "ref_2023" else "by_segment"
    plan = _Plan(series, question, base, population_label(spec, base, ctx.segment), compare,
                 test_pair=pair, test_kind="segments", alone_labels=alone)
    if chart.wave == "compare":
        plan.notes.append(note("note.reference_wave", wave=source.survey.wave))
    elif chart.compare == "yoy" and ctx.compare is not None and ctx.crosswalk is not None \
            and ctx.crosswalk.variable(chart.variable) is not None:
        other = ctx.compare.survey.wave
        present = [seg for seg in split_segments(spec) if not ctx.lacks(other, seg)]
        if len(present) == 1:
            plan.notes.append(note("note.yoy_home_only", compare=other, segment=segment_name(present[0])))
        else:
            plan.notes.append(note("note.yoy_segment_reports", wave=ctx.report.survey.wave, compare=other))
    return plan


def _plan(chart: Chart, ctx: _Context) -> _Plan:
    return _plan_integrated(chart, ctx) if ctx.integrated else _plan_segment(chart, ctx)


def _empty_series_note(ctx: _Context, series: _Series) -> dict[str, Any]:
    if ctx.lacks(series.wave, series.segment):
        return note("note.wave_lacks_segment", wave=series.wave, segment=segment_name(str(series.segment)))
    return note("note.series_empty", series=series.label)


def _tidy(chart_id: str, series: list[_Series], shown: pd.DataFrame) -> pd.DataFrame:
    meta = {s.id: s for s in series}
    tidy = shown[shown["count"].notna()].copy()  # choices a wave did not offer have no row
    tidy.insert(0, "chart_id", chart_id)
    tidy["wave"] = [meta[s].wave for s in tidy["series"]]
    tidy["population"] = [meta[s].population for s in tidy["series"]]
    tidy["filter"] = [meta[s].filter_text for s in tidy["series"]]
    tidy["choice_code"] = tidy["choice_code"].astype(int)
    tidy["base"] = tidy["base"].astype(int)
    return tidy[CSV_COLUMNS].reset_index(drop=True)


def _json_number(value: Any) -> Any:
    """A plain Python number for JSON (numpy scalars and missing values converted)."""
    if value is None or pd.isna(value):
        return None
    return int(value) if isinstance(value, int | np.integer) else float(value)


def _test_note(kind: str, answer: str, pair: tuple[str, str]) -> dict[str, Any]:
    if kind == "yoy":
        return note("note.test_chi2" if answer == "ordinal" else "note.test_z")
    return note("note.segment_test_chi2" if answer == "ordinal" else "note.segment_test_z",
                first=segment_name(pair[0]), second=segment_name(pair[1]))


def compute_chart(chart: Chart, ctx: _Context) -> tuple[dict[str, Any], pd.DataFrame]:
    """One chart dict (chapter.json) and its tidy table."""
    plan = _plan(chart, ctx)
    question = plan.question
    series = plan.series
    left_out: list[dict[str, Any]] = []
    if any(s.base == 0 for s in series) and any(s.base > 0 for s in series):
        # A series of nobody is not drawn as a row of zeros: it is left out, and a note says why.
        left_out = [_empty_series_note(ctx, s) for s in series if s.base == 0]
        series = [s for s in series if s.base > 0]
    base_label = plan.base_label
    if len(series) == 1 and series[0].id in plan.alone_labels:
        series = [replace(series[0], label=plan.alone_labels[series[0].id])]
        base_label = series[0].label
    raw = stack_series({s.id: s.table for s in series})
    shown = suppress_shares(raw)
    bases = {s.id: s.base for s in series}
    levels = {sid: chart_disclosure(b) for sid, b in bases.items()}
    first = series[0]
    empty = levels[first.id] == "empty"

    cells = {s.id: one_series(shown, s.id).set_index("choice_key").to_dict("index") for s in series}
    rows = []
    for choice in question.choices:
        values = {}
        for s in series:
            cell = cells[s.id][choice.key]
            if pd.isna(cell["count"]):
                continue  # a choice this wave did not offer has no value at all (not a zero)
            values[s.id] = {"count": int(cell["count"]), "base": int(cell["base"]), "pct": _json_number(cell["pct"])}
        rows.append({"key": choice.key, "code": choice.code, "label": {"ja": choice.ja, "en": choice.en},
                     "in_base": choice.in_base, "values": values})

    ids = [s.id for s in series]
    pair = plan.test_pair if plan.test_pair and all(p in ids for p in plan.test_pair) else None
    tests = None
    if pair is not None:
        in_base_keys = [c.key for c in question.choices if c.in_base]
        tests = series_tests(raw, answer=chart.answer, first=pair[0], second=pair[1], keys=in_base_keys)

    notes: list[dict[str, Any]] = []
    if chart.answer == "multi":
        notes.append(note("note.multi"))
    # One series: the base's note; several: each small series is named (SaaS n=4 beside non-SaaS n=138).
    named = series if len(series) > 1 and not empty else series[1:]
    if not named or named[0] is not first:
        notes += base_notes(levels[first.id], bases[first.id])
    if empty and ctx.lacks(first.wave, first.segment):
        notes.append(_empty_series_note(ctx, first))
    for s in named:
        if levels[s.id] in ("suppressed", "indicative"):
            notes.append(note(f"note.series_{levels[s.id]}", series=s.label, n=bases[s.id]))
    notes += left_out
    for choice in question.choices:
        if not choice.in_base:
            notes.append(note("note.outside_base", choice={"ja": choice.ja, "en": choice.en}))
    notes += plan.notes
    for s in series:
        notes += s.notes
    if pair is not None:
        notes.append(_test_note(plan.test_kind, chart.answer, pair))
    if ctx.filter_text:
        notes.append(note("note.filtered", filter=ctx.filter_label, n=bases[first.id]))
        if any(s.wave != ctx.report.survey.wave for s in series):
            other = next(s.wave for s in series if s.wave != ctx.report.survey.wave)
            if ctx.compare_unfiltered_vars:
                book = ctx.report.survey.codebook
                names = {lang: [book.question(v).label(lang) for v in ctx.compare_unfiltered_vars] for lang in LANGS}
                notes.append(note("note.compare_unfiltered", compare=other,
                                  variables={"ja": "」「".join(names["ja"]), "en": '", "'.join(names["en"])}))
            else:
                notes.append(note("note.compare_filtered", compare=other))

    groups = group_shares(shown, {g.id: g.keys for g in chart.groups}) if chart.groups else {}
    chart_dict = {
        "id": chart.id,
        "title": _bilingual(chart.title),
        "answer": chart.answer,
        "compare": plan.compare,
        "wave": first.wave,
        "base": plan.base,
        "base_label": base_label,
        "base_n": bases[first.id],
        "disclosure": levels[first.id],
        "question": {"id": question.id, "text": _bilingual(question.text)},
        "series": [{"id": s.id, "wave": s.wave, "label": s.label, "base_n": bases[s.id],
                    "disclosure": levels[s.id]} for s in series],
        "rows": rows,
        "median": median_by_series(shown) if chart.answer == "ordinal" else None,
        "ranking": ranking(one_series(raw, first.id)),
        "groups": groups,
        "tests": tests,
        "table": f"tables/{chart.id}.csv",
        "svg": None if empty else {lang: f"charts/{chart.id}.{lang}.svg" for lang in LANGS},
        "notes": notes,
    }
    return chart_dict, _tidy(chart.id, series, shown)


# ------------------------------------------------------------------------------ the chapter


def _segment_counts(surveys: Sequence[Survey | None], spec: Spec) -> dict[str, dict[str, int]]:
    return {s.wave: {sid: int(s.where(seg.where, source=f"segment {sid}").sum()) for sid, seg in spec.segments.items()}
            for s in surveys if s is not None}


def compute_chapter(chapter_id: str, survey: Survey, compare_survey: Survey | None = None, *,
                    segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                    crosswalk: Any = None, spec: Spec | None = None) -> ChapterResult:
    """Every chart of one chapter from the report wave (and the comparison wave, if any).

    ``segment`` is ``saas`` (part 2), ``non_saas`` (part 3) or ``all`` (part 1, integrated; see
    the module notes). ``crosswalk`` maps the comparison wave onto the report wave for
    year-over-year charts; it is read from the project's data when a chapter needs it and none
    is given.
    """
    spec = spec or default_spec()
    chapter = spec.chapter(chapter_id)
    if segment not in spec.segments:
        raise FilterError(f"unknown segment '{segment}' (valid: {', '.join(spec.segments)})",
                          [Problem("unknown segment", value=segment, expected=", ".join(spec.segments))])
    conditions, triples = normalize_filters(filters, survey.codebook)
    filter_text = describe_filters(conditions)
    report, n_total, n_segment = _filter_report(survey, conditions, segment=segment, spec=spec,
                                                allow_small_base=allow_small_base)
    compare, unfiltered_vars = _filter_compare(compare_survey, conditions)
    if compare is not None and crosswalk is None and any(c.compare == "yoy" for c in chapter.charts):
        from hakusho.survey.crosswalk import load_crosswalk

        crosswalk = load_crosswalk()
    labels = filter_label(conditions, survey.codebook)
    ctx = _Context(spec, segment, _Filtered(report, filter_text), compare, tuple(unfiltered_vars), crosswalk,
                   filter_text, labels, _segment_counts([survey, compare_survey], spec))

    slides = []
    tables: dict[str, pd.DataFrame] = {}
    for slide in chapter.slides:
        charts = []
        for chart in slide.charts:
            if chart.wave == "compare" and compare is None:
                continue
            chart_dict, table = compute_chart(chart, ctx)
            charts.append(chart_dict)
            tables[chart.id] = table
        if charts:
            slides.append({"id": slide.id, "charts": charts})

    doc = {
        "chapter": chapter.id,
        "title": _bilingual(chapter.title),
        "wave": survey.wave,
        "compare_wave": compare_survey.wave if compare_survey is not None else "",
        "segment": segment,
        "filters": triples,
        "filter_text": filter_text,
        "filter_label": labels,
        "n_total": n_total,
        "n_segment": n_segment,
        "slides": slides,
    }
    return ChapterResult(chapter=_freeze(doc), tables=MappingProxyType(tables),
                         figures=MappingProxyType(chapter_figures(doc)))


def _freeze(doc: dict[str, Any]) -> Mapping[str, Any]:
    # A read-only view on the top level; the document is rebuilt, never edited, so deeper levels
    # are left as plain JSON values for the writers and the notebooks.
    return MappingProxyType(doc)


# ------------------------------------------------------------------------------ writing


def _json_text(obj: Any) -> str:
    return json.dumps(_plain(obj), sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def csv_text(table: pd.DataFrame) -> str:
    """The tidy table as CSV: fixed columns and row order, one decimal for shares, blanks for none."""
    out = table[CSV_COLUMNS].copy()
    out["pct"] = [("" if pd.isna(v) else f"{float(v):.1f}") for v in out["pct"]]
    out["count"] = [("" if pd.isna(v) else str(int(v))) for v in out["count"]]
    return out.to_csv(index=False, lineterminator="\n")


def write_text(path: Path, text: str) -> None:
    """UTF-8 with LF line ends, whatever the platform: outputs must be byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_chapter(result: ChapterResult, output_dir: Path | str, *, draw_charts: bool = True) -> ChapterResult:
    """Write the chapter's outputs into ``output_dir`` (created if missing); returns the result
    with ``output_dir`` set. ``draw_charts=False`` writes the numbers only (for quick checks)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "chapter.json", _json_text(result.chapter))
    write_text(out / "figures.json", _json_text(result.figures))
    for chart_id, table in result.tables.items():
        write_text(out / "tables" / f"{chart_id}.csv", csv_text(table))
    if draw_charts:
        _write_charts(result, out)
    return replace(result, output_dir=out)


def chart_size(slide: Mapping[str, Any]) -> str:
    """``full`` for a chart alone on its slide, ``half`` for one of two (see charts.draw_chart)."""
    return "full" if len(slide["charts"]) == 1 else "half"


def _write_charts(result: ChapterResult, out: Path) -> None:
    # Charts draw on plain Figures (no pyplot), so nothing is left open between charts. A
    # filtered run prints its filter, in the chart's language, under every chart.
    from hakusho.charts.draw import draw_chart, save_svg

    doc = result.chapter
    label = doc["filter_label"] if doc["filter_text"] else None
    for slide in result.slides:
        for chart in slide["charts"]:
            if chart["svg"] is None:  # nobody in the base: the chart's note says so, nothing is drawn
                continue
            for lang in LANGS:
                fig = draw_chart(_plain(chart), lang, size=chart_size(slide),
                                 filter_text=label[lang] if label else None)
                save_svg(fig, out / chart["svg"][lang])


def load_waves(wave: str, compare_wave: str = "", *, data_dir: str | Path = "",
               codebook_dir: str | Path = "") -> tuple[Survey, Survey | None]:
    """The report wave and the comparison wave (None for ``""``), from the given folders."""
    books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR

    def one(w: str) -> Survey:
        raw = Path(data_dir) / w if data_dir else None
        return _load_wave(w, raw_path=raw, codebook=load_codebook(books / f"{w}.yml"))

    return one(str(wave)), (one(str(compare_wave)) if compare_wave else None)


def _load_wave(wave: str, *, raw_path: Path | None, codebook: Codebook) -> Survey:
    from hakusho.survey.load import load_wave

    return load_wave(wave, raw_path=raw_path, codebook=codebook)


def run_chapter(chapter: str, wave: str = config.DEFAULT_WAVE, compare_wave: str = config.DEFAULT_COMPARE_WAVE,
                segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                data_dir: str | Path = "", codebook_dir: str | Path = "",
                output_dir: str | Path = "chapter_out", *, draw_charts: bool = True) -> ChapterResult:
    """Load the waves, compute the chapter, write its outputs; the one call a notebook makes.

    Empty ``data_dir`` / ``codebook_dir`` mean the project's own data/raw and data/codebook.
    """
    try:
        survey, compare = load_waves(wave, compare_wave, data_dir=data_dir, codebook_dir=codebook_dir)
        crosswalk = None
        if compare is not None and any(c.compare == "yoy" for c in default_spec().chapter(chapter).charts):
            from hakusho.survey.crosswalk import load_crosswalk

            books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR
            crosswalk = load_crosswalk(books / "crosswalk.yml")
        result = compute_chapter(chapter, survey, compare, segment=segment, filters=filters,
                                 allow_small_base=allow_small_base, crosswalk=crosswalk)
    except HakushoError as exc:
        # A notebook shows an error as its one-line str(): fold the located problems (the valid
        # variables, the row of a bad cell) into the message so the researcher sees them there.
        if not exc.problems:
            raise
        raise type(exc)(exc.report()) from None
    return write_chapter(result, output_dir, draw_charts=draw_charts)
