"""What a chapter needs around its tests: the route strata of a segment comparison, the notes
that say which test was used and how it was adjusted, and how the sample came in.

The tests themselves are :mod:`hakusho.analysis.compare` (per chart) and
:mod:`hakusho.analysis.multiplicity` (across the report); this module feeds them the strata and
writes down, in both languages, what they did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hakusho.analysis.compare import ChartTests
from hakusho.analysis.disclosure import note
from hakusho.analysis.population import segment_name, split_segments
from hakusho.analysis.series import ChapterContext, Series, bilingual
from hakusho.analysis.spec import Chart
from hakusho.analysis.tabulate import share_of_base, stack_series


def describe_tests(kind: str, answer: str, pair: tuple[str, str], tests: ChartTests,
               labels: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """What a chart's notes say about its tests: which test, how p-values were adjusted, where a
    sparse table took an exact or Monte Carlo test, and what the route-stratified test found."""
    scope = "distribution" if answer == "ordinal" else "choice"
    names = {"first": segment_name(pair[0]), "second": segment_name(pair[1])} if kind != "yoy" else {}
    prefix = "note.yoy_test" if kind == "yoy" else "note.segment_test"
    notes = [note(f"{prefix}.{scope}", **names)]
    tested = tests.tested()
    sparse = [e for e in tested if e.get("sparse")]
    if sparse and scope == "distribution":
        notes.append(note("note.sparse_distribution"))
    elif sparse:
        notes.append(note("note.sparse_choices", choices=label_list([labels[e["key"]] for e in sparse])))
    if tests.route_raw is not None and tested:
        notes.append(note(f"note.route_test.{scope}", **names))
        lost = [e for e in tested if e.get("significant") and e.get("route") is not None
                and not e["route"]["significant"]]
        if lost and scope == "distribution":
            notes.append(note("note.route_not_significant_distribution"))
        elif lost:
            notes.append(note("note.route_not_significant", choices=label_list([labels[e["key"]] for e in lost])))
    return notes


def label_list(labels: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Choice labels as one list per language (「A」「B」 / “A”, “B”)."""
    return {"ja": "".join(f"「{lab['ja']}」" for lab in labels), "en": ", ".join(f"“{lab['en']}”" for lab in labels)}


def strata_tables(chart: Chart, ctx: ChapterContext, series: Sequence[Series],
                  pair: tuple[str, str]) -> dict[str, pd.DataFrame] | None:
    """The two tested series within each stratum (response route), for the stratified test.

    None where the chart does not compare segments on the report wave's own respondents, or
    tabulates the stratifying question itself.
    """
    strata = ctx.spec.strata
    by_id = {s.id: s for s in series}
    if strata is None or chart.variable == strata or any(by_id[p].mask is None for p in pair):
        return None
    if by_id[pair[0]].wave != ctx.report.survey.wave:
        return None
    survey = ctx.report.survey
    if strata not in survey.codebook.by_id:
        return None
    codes = survey.codes(strata)
    out = {}
    for choice in survey.question(strata).choices:
        inside = (codes == choice.code).fillna(False).astype(bool)
        out[choice.key] = stack_series({p: share_of_base(survey, chart.variable, by_id[p].mask & inside,  # type: ignore[operator]
                                                         protection=ctx.protection) for p in pair})
    return out


def sampling(ctx: ChapterContext) -> dict[str, Any] | None:
    """How each segment's respondents came in, by stratum (response route): what the methodology
    says about a sample that is not random. Counts and shares as every table has them (perturbed
    in a researcher's run); None where the spec names no strata or the wave lacks the question."""
    strata, survey = ctx.spec.strata, ctx.report.survey
    if strata is None or strata not in survey.codebook.by_id:
        return None
    question = survey.question(strata)
    out: dict[str, Any] = {"question": strata, "label": {"ja": question.label("ja"), "en": question.label("en")},
                           "segments": []}
    for seg in split_segments(ctx.spec):
        mask = survey.where(ctx.spec.segments[seg].where, source=f"segment {seg}")
        table = share_of_base(survey, strata, mask, protection=ctx.protection)
        out["segments"].append({
            "id": seg, "label": bilingual(ctx.spec.segments[seg]), "base": int(table["base"].iloc[0]),
            "choices": [{"key": r.choice_key, "label": {"ja": r.label_ja, "en": r.label_en}, "count": int(r.count),
                         "pct": None if pd.isna(r.pct) else float(r.pct)} for r in table.itertuples()],
        })
    return out
