"""Who a report counts: its segment, its filter, and the populations charts are based on.

One filter step serves chapters and crosses alike (:func:`filter_report`): the filter is read
against the codebook, applied to the report wave, and checked — a filter that leaves nobody in
the report's segment stops with one message naming the filter, the segment and the wave; one
that leaves fewer than 30 stops unless ``allow_small_base`` is set (disclosure rules then still
mark or suppress the small bases). The comparison wave takes the same filter when it can express
it (:func:`filter_compare`).

Segments and populations are the spec's; this module says how each is named in a report of a
given segment (a non-SaaS report never says "SaaS").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hakusho.analysis.disclosure import INDICATIVE_BELOW
from hakusho.analysis.spec import Spec
from hakusho.errors import FilterError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.messages import Msg
from hakusho.survey.codebook import Condition
from hakusho.survey.filters import describe_filters, filter_label, normalize_filters
from hakusho.survey.wave import Survey

MIN_FILTERED_SEGMENT = INDICATIVE_BELOW
HOME_SEGMENT = "saas"  # the segment the spec's population labels are worded for (the SaaS report)
POPULATIONS_DOMAIN = "populations"


# ------------------------------------------------------------------------------ the filter step


@dataclass(frozen=True)
class FilteredWave:
    """One wave's respondents as a report tabulates them, and the filter they were kept by."""

    survey: Survey
    text: str  # the filter this wave was tabulated under ("" = none)


@dataclass(frozen=True)
class ReportPopulation:
    """The report wave after the report's filter: who is left, and the filter in every form the
    outputs record (triples as given, the machine text, the words per language)."""

    report: FilteredWave
    conditions: tuple[Condition, ...]
    triples: list[list[Any]]
    label: dict[str, str]
    n_total: int  # respondents the filter keeps, every segment
    n_segment: int  # of those, in the report's segment

    @property
    def text(self) -> str:
        return self.report.text


def check_segment(spec: Spec, segment: str) -> None:
    """An unknown segment is a FilterError naming the valid ones."""
    if segment not in spec.segments:
        raise FilterError(Msg("population.unknown_segment", name=segment, valid=", ".join(spec.segments)),
                          [Problem(Msg("population.problem.unknown_segment"), value=segment,
                                   expected=", ".join(spec.segments))])


def filter_report(survey: Survey, filters: Sequence[Any], *, segment: str, spec: Spec,
                  allow_small_base: bool = False) -> ReportPopulation:
    """The report wave under a researcher's filters (see the module notes for the checks)."""
    check_segment(spec, segment)
    conditions, triples = normalize_filters(filters, survey.codebook)
    text = describe_filters(conditions)
    mask = survey.where(conditions, source="filter") if conditions else pd.Series(True, index=survey.responses.index)
    filtered = survey.subset(mask, conditions)
    n_segment = int(filtered.where(spec.segments[segment].where, source=f"segment {segment}").sum())
    if conditions:
        if filtered.n == 0 or n_segment == 0:
            raise FilterError(
                Msg("population.filter_empty", filter=text, segment=segment, wave=survey.wave),
                [Problem(Msg("population.problem.empty"), value=text, expected=Msg("population.expected.keeps_some"))],
            )
        if n_segment < MIN_FILTERED_SEGMENT and not allow_small_base:
            # The exact number is not printed: a count below 30 is what perturbation would hide.
            raise FilterError(
                Msg("population.filter_small", filter=text, n=n_segment, segment=segment, wave=survey.wave,
                    minimum=MIN_FILTERED_SEGMENT),
                [Problem(Msg("population.problem.small"), value=n_segment,
                         expected=Msg("population.expected.at_least", n=MIN_FILTERED_SEGMENT))],
            )
    return ReportPopulation(FilteredWave(filtered, text), tuple(conditions), triples,
                            filter_label(conditions, survey.codebook), filtered.n, n_segment)


def filter_compare(survey: Survey | None, conditions: Sequence[Condition]) -> tuple[FilteredWave | None, list[str]]:
    """The comparison wave under the same filter if it can express it; else unfiltered.

    Returns the wave and the filter variables it could not express (empty when filtered).
    """
    if survey is None:
        return None, []
    if not conditions:
        return FilteredWave(survey, ""), []
    failed = []
    for cond in conditions:
        try:
            survey.where([cond])
        except FilterError:
            failed.append(cond.var)
    if failed:
        return FilteredWave(survey, ""), failed
    mask = survey.where(list(conditions), source="filter")
    return FilteredWave(survey.subset(mask, list(conditions)), describe_filters(conditions)), []


# ------------------------------------------------------------------------------ segments and populations


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
    return {lang: Translator(lang, POPULATIONS_DOMAIN)(f"population.{pop_id}.{segment}") for lang in LANGS}


def segment_name(segment: str) -> dict[str, str]:
    """A segment as named inside a sentence ("non-SaaS companies"), per language."""
    return {lang: Translator(lang, POPULATIONS_DOMAIN)(f"segment.{segment}") for lang in LANGS}


def split_segments(spec: Spec) -> list[str]:
    """The segments the integrated report puts side by side: every segment with conditions."""
    return [sid for sid, seg in spec.segments.items() if seg.where]


def is_integrated(spec: Spec, segment: str) -> bool:
    """The integrated report's segment is the one without conditions (everyone)."""
    return not spec.segments[segment].where


def segment_variables(spec: Spec) -> set[str]:
    """The questions that separate the segments (a chart of one of them is not split by segment)."""
    return {cond.var for seg in spec.segments.values() for cond in seg.where}


def everyone(spec: Spec) -> str:
    """The population of all respondents, whatever the segment."""
    return next((pid for pid, p in spec.populations.items() if not p.where and not p.segment), "all")


def report_base(spec: Spec, pop_id: str, segment: str) -> str:
    """The population a chart based on ``pop_id`` describes in a (single-segment) report of ``segment``.

    The SaaS segment's own population (``saas``) stands for "the report's segment": in the
    non-SaaS report it is ``non_saas``. Everything else is itself.
    """
    if pop_id == HOME_SEGMENT and segment != HOME_SEGMENT and segment in spec.populations:
        return segment
    return pop_id


def series_segment(spec: Spec, pop_id: str, segment: str) -> str | None:
    """The segment a series' population lies inside (for saying why it is empty), if any."""
    pop = spec.populations[pop_id]
    if pop.segment:
        return segment
    return pop_id if pop_id in spec.segments and spec.segments[pop_id].where else None


def segment_counts(surveys: Sequence[Survey | None], spec: Spec) -> dict[str, dict[str, int]]:
    """Respondents of each segment in each wave (unfiltered): wave → segment → n."""
    return {s.wave: {sid: int(s.where(seg.where, source=f"segment {sid}").sum()) for sid, seg in spec.segments.items()}
            for s in surveys if s is not None}


def shown_counts(people: ReportPopulation, spec: Spec, segment: str, wave: str, guard: Any) -> tuple[int, int]:
    """The respondents a part says it counts (all, and in its segment): exact, or perturbed like
    every other count of a protected run (``guard``: its :class:`~hakusho.analysis.perturbation.
    Protection`, None for the published report). Chapters and crosses say the same."""
    if guard is None:
        return people.n_total, people.n_segment
    from hakusho.analysis.perturbation import ids

    filtered = people.report.survey
    everyone = pd.Series(True, index=filtered.responses.index)
    in_segment = filtered.where(spec.segments[segment].where, source=f"segment {segment}")
    return guard.count(wave, ids(everyone), ids(everyone)), guard.count(wave, ids(in_segment), ids(everyone))
