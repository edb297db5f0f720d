"""Where a chart's numbers come from: the series a chart shows, before disclosure and tests.

A chart of the spec names a question and a base population; which series it shows depends on
the report (see :mod:`hakusho.analysis.chapter` for the rules): one series of its base, the
populations of its ``series`` list, SaaS beside non-SaaS, the report wave beside the comparison
wave read through the crosswalk, or — in the integrated report — its base inside each segment.
:func:`plan_chart` makes that choice and tabulates each series (:func:`share_of_base`); the
chapter then leaves out empty series, applies disclosure and runs the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hakusho.analysis.disclosure import note
from hakusho.analysis.perturbation import Protection
from hakusho.analysis.population import (
    FilteredWave,
    everyone,
    is_integrated,
    population_label,
    report_base,
    segment_name,
    segment_variables,
    series_segment,
    split_segments,
)
from hakusho.analysis.spec import Chart, Spec
from hakusho.analysis.tabulate import share_of_base
from hakusho.errors import CodebookError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.survey.codebook import Codebook, Question
from hakusho.survey.wave import Survey


@dataclass(frozen=True)
class Series:
    id: str
    wave: str
    population: str
    label: dict[str, str]
    filter_text: str
    table: pd.DataFrame  # TABLE_COLUMNS, before disclosure
    segment: str | None = None  # the segment the series lies inside, if one
    notes: tuple[dict[str, Any], ...] = ()  # notes that hold only while this series is shown
    mask: pd.Series | None = field(default=None, compare=False)  # who the series counts (report wave)

    @property
    def base(self) -> int:
        return int(self.table["base"].iloc[0]) if len(self.table) else 0


@dataclass(frozen=True)
class ChapterContext:
    spec: Spec
    segment: str
    report: FilteredWave
    compare: FilteredWave | None
    compare_unfiltered_vars: tuple[str, ...]
    crosswalk: Any
    filter_text: str
    filter_label: dict[str, str]
    segment_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # wave → segment → n (unfiltered)
    protection: Protection | None = None  # a researcher's run: counts are perturbed
    # A series across waves: the waves before the comparison wave, newest first, and the crosswalk
    # of each step (earlier[0] → compare, earlier[1] → earlier[0], …).
    earlier: tuple[FilteredWave, ...] = ()
    steps: tuple[Any, ...] = ()

    @property
    def integrated(self) -> bool:
        return is_integrated(self.spec, self.segment)

    def lacks(self, wave: str, segment: str | None) -> bool:
        """Whether the wave as a whole has nobody of ``segment`` (2023: no non-SaaS respondents)."""
        return segment is not None and self.segment_counts.get(wave, {}).get(segment, 1) == 0


@dataclass
class SeriesPlan:
    """Where a chart's numbers come from, before empty series are left out and tests are run."""

    series: list[Series]
    question: Question
    base: str
    base_label: dict[str, str]
    compare: str | None
    notes: list[dict[str, Any]] = field(default_factory=list)
    test_pair: tuple[str, str] | None = None
    test_kind: str = "yoy"  # yoy | segments
    # A series across waves: each further step between consecutive waves (newer, older), tested too.
    steps: list[tuple[str, str]] = field(default_factory=list)
    # Integrated report: a series is labelled by its segment beside the other one ("SaaS"), and by
    # its full population ("CSに取り組んでいるSaaS企業") when it is the only one left.
    alone_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    # Year over year: how each choice meets its earlier counterpart (see comparability).
    comparability: dict[str, dict[str, Any]] = field(default_factory=dict)


def edition_name(survey: Survey) -> dict[str, str]:
    """How a report names another wave's edition: its codebook's short title (白書2023 / 2023
    edition), else its full title — never typed text."""
    info = survey.codebook.survey
    return bilingual(info.short_title or info.title)


def reference_note(survey: Survey) -> dict[str, Any]:
    """The note under a chart drawn from another wave, naming that wave's survey."""
    return note("note.reference_wave", wave=survey.wave, survey=bilingual(survey.codebook.survey.title))


def bilingual(obj: Any) -> dict[str, str]:
    return {"ja": obj.ja, "en": obj.en}


def _population_series(ctx: ChapterContext, source: FilteredWave, qid: str, pop_id: str, series_id: str, *,
                       segment: str | None = None, label: dict[str, str] | None = None) -> Series:
    """``pop_id`` evaluated in ``segment`` (default: the report's), and further restricted to
    the segment's respondents when one is given (a series of the integrated report)."""
    survey = source.survey
    seg = segment or ctx.segment
    mask = survey.population(pop_id, segment=seg, spec=ctx.spec)
    if segment is not None:
        mask &= survey.where(ctx.spec.segments[segment].where, source=f"segment {segment}")
    return Series(series_id, survey.wave, pop_id, label or population_label(ctx.spec, pop_id, seg), source.text,
                  share_of_base(survey, qid, mask, protection=ctx.protection),
                  segment=series_segment(ctx.spec, pop_id, seg) or segment, mask=mask)


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
    return {lang: Translator(lang, "notes")("label.wave", wave=wave) for lang in LANGS}


def _question(chart: Chart, source: FilteredWave) -> Question:
    question = source.survey.question(chart.variable)
    _check_answer(chart, question, source.survey.codebook)
    return question


def segment_pair(ctx: ChapterContext) -> tuple[str, str] | None:
    split = split_segments(ctx.spec)
    return (split[0], split[1]) if len(split) >= 2 else None


def _plan_yoy(chart: Chart, ctx: ChapterContext, base: str, base_label: dict[str, str]) -> SeriesPlan:
    report = ctx.report
    question = _question(chart, report)
    qid = chart.variable
    wave = report.survey.wave
    mine = _population_series(ctx, report, qid, base, wave, label=_wave_label(wave))
    plan = SeriesPlan([mine], question, base, base_label, chart.compare)
    if ctx.compare is None:
        plan.notes.append(note("note.yoy_no_compare", wave=wave))
        return plan
    other_wave = ctx.compare.survey.wave
    vmap = ctx.crosswalk.variable(qid) if ctx.crosswalk is not None else None
    if vmap is None:
        excluded = ctx.crosswalk.exclusion(qid) if ctx.crosswalk is not None else None
        if excluded is not None:  # the crosswalk says why it is not compared
            plan.notes.append({"key": "crosswalk.note", "params": {"variable": qid}, **bilingual(excluded.note)})
        elif qid in ctx.compare.survey.codebook.by_id:  # asked then too, but its choices changed
            plan.notes.append(note("note.yoy_changed", wave=wave, compare=other_wave))
        else:
            plan.notes.append(note("note.yoy_not_asked", wave=wave, compare=other_wave))
        return plan
    from hakusho.survey.crosswalk import share_in_target_terms

    compare_survey = ctx.compare.survey
    mask = compare_survey.population(base, segment=ctx.segment, spec=ctx.spec)
    theirs_table = share_in_target_terms(compare_survey, mask, qid, report.survey.codebook, ctx.crosswalk,
                                         protection=ctx.protection)
    # A choice new in the report wave has no counterpart: no count, rather than a false zero
    # (it is left out of the comparison wave's values and rows).
    new = [c.key for c in question.choices if not vmap.sources(c.key)]
    theirs_table["count"] = theirs_table["count"].astype("Int64").mask(theirs_table["choice_key"].isin(new))
    theirs_table["pct"] = theirs_table["pct"].mask(theirs_table["choice_key"].isin(new))
    own_notes = [note("note.yoy_crosswalk", wave=wave, compare=other_wave)]
    if vmap.note is not None:
        own_notes.append({"key": "crosswalk.note", "params": {"variable": qid}, **bilingual(vmap.note)})
    theirs = Series(other_wave, other_wave, base, _wave_label(other_wave), ctx.compare.text, theirs_table,
                     segment=series_segment(ctx.spec, base, ctx.segment), notes=tuple(own_notes))
    plan.series.append(theirs)
    plan.test_pair = (wave, other_wave)
    plan.comparability = comparability(question, compare_survey.question(vmap.from_var), vmap)
    _plan_earlier(ctx, plan, vmap, base)
    return plan


def comparability(question: Question, earlier: Question, vmap: Any) -> dict[str, dict[str, Any]]:
    """How each choice is compared with the earlier wave: ``same`` (one choice, same key and
    wording), ``reworded`` (one choice asked in other words) or ``folded`` (several earlier choices
    added up), with the earlier wording. A change of a reworded or folded choice may come partly
    from the questionnaire, so no sentence quotes it without saying so."""
    out: dict[str, dict[str, Any]] = {}
    for choice in question.choices:
        sources = [earlier.choice(k) for k in vmap.sources(choice.key)]
        if not sources:
            continue
        if len(sources) > 1:
            kind = "folded"
        elif sources[0].key != choice.key or (sources[0].ja, sources[0].en) != (choice.ja, choice.en):
            kind = "reworded"
        else:
            kind = "same"
        out[choice.key] = {"kind": kind, "compared_with": {"ja": "」「".join(c.ja for c in sources),
                                                            "en": "”, “".join(c.en for c in sources)}}
    return out


def _plan_earlier(ctx: ChapterContext, plan: SeriesPlan, vmap: Any, base: str) -> None:
    """The waves before the comparison wave, each read in the report wave's terms through the
    crosswalks of every step between them; the series stops at the first step where the question
    is not comparable (a note says so)."""
    from hakusho.survey.crosswalk import Crosswalk, VariableMap, share_in_target_terms

    report = ctx.report.survey
    qid = vmap.to_var
    newer, acc = ctx.compare.survey.wave if ctx.compare is not None else "", vmap
    for older, step in zip(ctx.earlier, ctx.steps, strict=True):
        link = step.variable(acc.from_var)
        if link is None:
            plan.notes.append(note("note.series_stops", wave=newer, compare=older.survey.wave))
            return
        # Compose: an older choice counts towards the report-wave choice its newer counterpart maps to.
        choices = {k: acc.choices[v] for k, v in link.choices.items() if v in acc.choices}
        composed = VariableMap.model_validate({"from": link.from_var, "to": qid, "choices": choices})
        walk = Crosswalk(from_wave=older.survey.wave, to_wave=report.wave, variables=[composed])
        mask = older.survey.population(base, segment=ctx.segment, spec=ctx.spec)
        table = share_in_target_terms(older.survey, mask, qid, report.codebook, walk, protection=ctx.protection)
        new = [c.key for c in plan.question.choices if not composed.sources(c.key)]
        table["count"] = table["count"].astype("Int64").mask(table["choice_key"].isin(new))
        table["pct"] = table["pct"].mask(table["choice_key"].isin(new))
        own = [note("note.yoy_crosswalk", wave=report.wave, compare=older.survey.wave)]
        if link.note is not None:
            own.append({"key": "crosswalk.note", "params": {"variable": qid}, **bilingual(link.note)})
        label = _wave_label(older.survey.wave)
        plan.series.append(Series(older.survey.wave, older.survey.wave, base, label, older.text, table,
                                  segment=series_segment(ctx.spec, base, ctx.segment), notes=tuple(own)))
        plan.steps.append((newer, older.survey.wave))
        newer, acc = older.survey.wave, composed


def _plan_segment(chart: Chart, ctx: ChapterContext) -> SeriesPlan:
    """A chart of one segment's report (and the charts the integrated report does not split)."""
    qid = chart.variable
    base = report_base(ctx.spec, chart.base, ctx.segment)
    base_label = population_label(ctx.spec, base, ctx.segment)
    if chart.wave == "compare":
        assert ctx.compare is not None  # charts of the comparison wave are skipped without one
        question = _question(chart, ctx.compare)
        series = [_population_series(ctx, ctx.compare, qid, base, base)]
        return SeriesPlan(series, question, base, base_label, chart.compare, [reference_note(ctx.compare.survey)])
    if chart.compare == "yoy":
        return _plan_yoy(chart, ctx, base, base_label)
    question = _question(chart, ctx.report)
    plan = SeriesPlan([], question, base, base_label, chart.compare)
    if chart.compare == "by_segment":
        pops = _by_segment_order(ctx.segment)
        # Every report tests the segments it sets side by side (SaaS minus non-SaaS): no sentence
        # compares them on shares alone.
        plan.test_pair, plan.test_kind = segment_pair(ctx), "segments"
    elif chart.series:
        pops = list(chart.series)
    else:
        pops = [base]
    plan.series = [_population_series(ctx, ctx.report, qid, p, p) for p in pops]
    return plan


def _plan_integrated(chart: Chart, ctx: ChapterContext) -> SeriesPlan:
    """A chart of the integrated report: its base inside each segment, side by side."""
    spec = ctx.spec
    pair = segment_pair(ctx)
    names = {"first": segment_name(pair[0]), "second": segment_name(pair[1])} if pair else {}
    pop = spec.populations[chart.base]
    if chart.compare == "by_segment" or pair is None:
        return _plan_segment(chart, ctx)
    if chart.variable in segment_variables(spec):
        plan = _plan_segment(chart, ctx)
        plan.notes.append(note("note.not_split_variable", **names))
        return plan
    relative = pop.segment
    if not relative and pop.where and chart.base not in spec.segments:
        plan = _plan_segment(chart, ctx)
        plan.notes.append(note("note.not_split_population", **names))
        return plan

    base = chart.base if relative else everyone(spec)
    source = ctx.compare if chart.wave == "compare" else ctx.report
    assert source is not None  # charts of the comparison wave are skipped without one
    question = _question(chart, source)
    series = []
    alone = {}
    for seg in split_segments(spec):
        alone[seg] = (population_label(spec, base, seg) if relative
                      else population_label(spec, seg, seg) if seg in spec.populations
                      else bilingual(spec.segments[seg]))
        series.append(_population_series(ctx, source, chart.variable, base, seg, segment=seg,
                                         label=bilingual(spec.segments[seg])))
    compare = chart.compare if chart.compare == "ref_2023" else "by_segment"
    plan = SeriesPlan(series, question, base, population_label(spec, base, ctx.segment), compare,
                 test_pair=pair, test_kind="segments", alone_labels=alone)
    if chart.wave == "compare":
        plan.notes.append(reference_note(source.survey))
    elif chart.compare == "yoy" and ctx.compare is not None and ctx.crosswalk is not None \
            and ctx.crosswalk.variable(chart.variable) is not None:
        other = ctx.compare.survey.wave
        present = [seg for seg in split_segments(spec) if not ctx.lacks(other, seg)]
        if len(present) == 1:
            plan.notes.append(note("note.yoy_home_only", compare=other, segment=segment_name(present[0])))
        else:
            plan.notes.append(note("note.yoy_segment_reports", wave=ctx.report.survey.wave, compare=other))
    return plan


def plan_chart(chart: Chart, ctx: ChapterContext) -> SeriesPlan:
    return _plan_integrated(chart, ctx) if ctx.integrated else _plan_segment(chart, ctx)


def empty_series_note(ctx: ChapterContext, series: Series) -> dict[str, Any]:
    if ctx.lacks(series.wave, series.segment):
        return note("note.wave_lacks_segment", wave=series.wave, segment=segment_name(str(series.segment)))
    return note("note.series_empty", series=series.label)
