"""The explorer's tables: every question of the report broken down by every profile variable.

The HTML page lets a reader pick any question behind a chart of the report, a breakdown (company
size, revenue, route, department, position, CS team size, years practising, the segment, and any
variable the codebook marks ``breakdown: true``), a segment (SaaS, non-SaaS, everyone) and see one
row per group. The page never sees a respondent: this module computes, at build time, every
question × breakdown × segment table, and the page carries only those tables.

Each table is tabulated the way a chart is (:func:`hakusho.analysis.tabulate.shares_by_group`, the
counting behind :func:`~hakusho.analysis.tabulate.share_of_base`):

* its population is the base of the question's first chart, taken inside the segment (``nrr`` in
  the SaaS segment: SaaS respondents practising CS), cut to the respondents the breakdown places in
  a group (a "don't know" revenue, or a team size nobody was asked, places nobody); its first row,
  ``total``, is that whole population;
* groups are the breakdown's substantive choices (a multiple-answer breakdown, such as department,
  has overlapping groups); the segment breakdown splits everyone into SaaS and non-SaaS and is
  offered only where the segment holds both;
* the disclosure rules are the report's (:mod:`hakusho.analysis.disclosure`): a group under 10
  respondents shows counts and no share, one under 30 is indicative; a group of nobody is empty;
* each group is tested against the rest of the table's population (total minus the group) with
  the report's tests (:mod:`hakusho.analysis.compare`): a two-proportion z-test per choice for
  single and multiple answers (Fisher's exact test where Cochran's rule finds the 2×2 table
  sparse), a chi-square test of the whole distribution for ordinal ones (Monte Carlo where
  sparse), only where both the group and the rest reach the suppression line. The p-values are
  adjusted as the report's are (:mod:`hakusho.analysis.multiplicity`): Holm within each table,
  Benjamini–Hochberg across every test of the explorer; the adjusted p decides every mark at the
  report's 95 % level;
* a researcher's run (a filter, or a segment the spec does not publish) perturbs every count with
  the project's secret (:mod:`hakusho.analysis.perturbation`), exactly as the chapters do; shares,
  disclosure levels and tests then rest on the perturbed counts.

What is written (``write_explorer``): ``explore.json`` (the tables, language-neutral; labels from
the codebook and the spec) and ``figures.json`` (every published number under
``explore.<segment>.<question>.<breakdown>.<group>…``, so ``hakusho diff`` lists what moved).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hakusho.analysis.compare import ALPHA, CHI2_TEST, Z_TEST, distribution_chi2_test, proportion_z_tests
from hakusho.analysis.contingency import FISHER_TEST, MONTE_CARLO_TEST, SMALL_EXPECTED, two_proportions
from hakusho.analysis.disclosure import (
    INDICATIVE_BELOW,
    NOTES_DOMAIN,
    SUPPRESS_BELOW,
    chart_disclosure,
    shows_percentages,
)
from hakusho.analysis.multiplicity import BENJAMINI_HOCHBERG, HOLM, adjust_arrays, stored_p
from hakusho.analysis.perturbation import AUTO, Protection, run_protection
from hakusho.analysis.population import filter_report, report_base, split_segments
from hakusho.analysis.spec import Spec, default_spec
from hakusho.analysis.tabulate import shares_by_group
from hakusho.build_folder import EXPLORE_DOC, FIGURES, write_text
from hakusho.errors import CodebookError, FilterError
from hakusho.i18n import Translator
from hakusho.messages import Msg
from hakusho.survey.codebook import Codebook
from hakusho.survey.wave import Survey

EXPLORE_ID = "explore"  # the notebook's chapter id, parts/explore/ of the build, figure ids explore.…
TOTAL = "total"  # the first row of every table: the whole population of the table
SEGMENT_BREAKDOWN = "segment"  # the breakdown into the report's segments (SaaS / non-SaaS)
LANGS = ("ja", "en")

TABLE_COLUMNS = ["segment", "question", "breakdown", "group", "choice_key", "count", "base", "pct",
                 "disclosure", "p_value", "significant", "direction"]


# ============================================================================ what can be explored


@dataclass(frozen=True)
class ExploreQuestion:
    """A question of the report: the codebook variable behind a chart, with that chart's base."""

    id: str
    chart: str  # the first chart of the report that shows it
    chapter: str
    base: str  # population id of that chart (spec)
    answer: str  # single | multi | ordinal


@dataclass(frozen=True)
class Group:
    key: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Breakdown:
    """A profile variable: who is in which group. ``segments``: where it divides anyone."""

    id: str
    label: Mapping[str, str]
    groups: tuple[Group, ...]
    segments: tuple[str, ...]


def explore_questions(spec: Spec, codebook: Codebook) -> list[ExploreQuestion]:
    """Every variable a chart of the report wave shows, in report order, once each.

    Charts of the comparison wave (``wave: compare``) are left out: the explorer shows the
    report's own respondents; so are questions the wave's codebook does not have.
    """
    seen: dict[str, ExploreQuestion] = {}
    for chapter in spec.chapters:
        for chart in chapter.charts:
            # A wave's questionnaire may lack a chart's question (an earlier edition): nothing to show.
            if chart.wave != "report" or chart.variable in seen or chart.variable not in codebook.by_id:
                continue
            question = codebook.question(chart.variable)
            seen[chart.variable] = ExploreQuestion(chart.variable, chart.id, chapter.id, chart.base, question.type)
    return list(seen.values())


def breakdowns(spec: Spec, codebook: Codebook) -> list[Breakdown]:
    """The codebook's breakdown variables in questionnaire order, then the segment breakdown."""
    every_segment = tuple(spec.segments)
    if not any(q.breakdown for q in codebook.questions):
        raise CodebookError(Msg("explore.no_breakdown", wave=codebook.wave))
    out = []
    for q in codebook.questions:
        if not q.breakdown:
            continue
        groups = tuple(Group(c.key, {"ja": c.ja, "en": c.en}) for c in q.choices if c.in_base)
        out.append(Breakdown(q.id, {lang: q.label(lang) for lang in LANGS}, groups, every_segment))
    split = split_segments(spec)
    whole = tuple(s for s, seg in spec.segments.items() if not seg.where)
    if len(split) > 1 and whole:
        groups = tuple(Group(s, {"ja": spec.segments[s].ja, "en": spec.segments[s].en}) for s in split)
        label = {lang: Translator(lang, NOTES_DOMAIN)("label.segment_breakdown") for lang in LANGS}
        out.append(Breakdown(SEGMENT_BREAKDOWN, label, groups, whole))
    return out


def group_masks(survey: Survey, breakdown: Breakdown, spec: Spec) -> dict[str, pd.Series]:
    """Who is in each group of ``breakdown`` (booleans over the survey's respondents)."""
    if breakdown.id == SEGMENT_BREAKDOWN:
        return {g.key: survey.where(spec.segments[g.key].where, source=f"segment {g.key}") for g in breakdown.groups}
    question = survey.question(breakdown.id)
    if question.type == "multi":
        answers = survey.multi(breakdown.id)
        return {g.key: answers[g.key].fillna(False).astype(bool) for g in breakdown.groups}
    codes = survey.codes(breakdown.id)
    return {g.key: (codes == question.choice(g.key).code).fillna(False).astype(bool) for g in breakdown.groups}


def segment_base(survey: Survey, question: ExploreQuestion, segment: str, spec: Spec) -> pd.Series:
    """The base population of ``question`` inside ``segment``: the chart's base, as a report of
    that segment takes it, and only the segment's respondents."""
    pop = survey.population(report_base(spec, question.base, segment), segment=segment, spec=spec)
    return pop & survey.where(spec.segments[segment].where, source=f"segment {segment}")


def table_groups(masks: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """A breakdown's rows: the total (whoever it places in any group: the population of its
    tables), then its groups."""
    return {TOTAL: pd.concat(list(masks.values()), axis=1).any(axis=1), **masks}


# ============================================================================ one table


def group_tests(answer: str, in_base: Sequence[bool], counts: np.ndarray,
                bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group against the rest of its table, with the report's tests.

    ``counts`` (rows × choices) and ``bases`` have the table's total in row 0 and one group per
    further row; the rest of a group is the total minus the group. Returns p-values and directions
    (+1: the group's share is higher than the rest's, −1: lower) for rows 1…, NaN / 0 where no test
    is run: a choice outside the base, or a group or rest under the suppression line. An ordinal
    question's distribution is tested once per group; its p-value stands on every base choice and
    it has no direction.
    """
    total, total_base = counts[0], int(bases[0])
    groups, group_bases = counts[1:], bases[1:]
    # Perturbed counts may put a group a unit above its total: the rest is never below zero, nor
    # above its own base.
    rest_bases = np.maximum(total_base - group_bases, 0)
    rest = np.clip(total[None, :] - groups, 0, rest_bases[:, None])
    choice = np.asarray(in_base, dtype=bool)[None, :]
    testable = ((group_bases >= SUPPRESS_BELOW) & (rest_bases >= SUPPRESS_BELOW))[:, None] & choice
    p_values = np.full(groups.shape, np.nan)
    directions = np.zeros(groups.shape, dtype=np.int64)
    if answer == "ordinal":
        keep = np.flatnonzero(choice[0])
        for i in np.flatnonzero(testable.any(axis=1)):
            p_values[i, keep] = distribution_chi2_test([int(c) for c in groups[i, keep]],
                                                       [int(c) for c in rest[i, keep]])
        return p_values, directions
    a_base = np.broadcast_to(group_bases[:, None], groups.shape)
    b_base = np.broadcast_to(rest_bases[:, None], groups.shape)
    p_values[testable] = proportion_z_tests(groups[testable], a_base[testable], rest[testable], b_base[testable])
    # Cochran's rule on each 2×2 table (group / rest × chose / did not): a small expected count
    # makes it sparse, and Fisher's exact test replaces the z-test there, as in the chapters.
    chose = groups + rest
    whole = a_base + b_base
    smallest = np.minimum.reduce([a_base * chose, a_base * (whole - chose), b_base * chose, b_base * (whole - chose)])
    sparse = testable & (smallest < SMALL_EXPECTED * np.maximum(whole, 1))
    for i, j in zip(*np.nonzero(sparse), strict=True):
        exact = two_proportions(int(groups[i, j]), int(a_base[i, j]), int(rest[i, j]), int(b_base[i, j]))
        p_values[i, j] = 1.0 if exact is None else exact.p_value
    # Compared as fractions (cross-multiplied): no rounding decides a direction.
    directions[testable] = np.sign(groups * b_base - rest * a_base)[testable]
    return p_values, directions


def _figure(value: Any, kind: str) -> dict[str, Any]:
    # Value and kind only: that is what ``hakusho diff`` compares, and the explorer's tens of
    # thousands of figures are quoted by no text (the chapters' figures carry base and disclosure
    # for the editors' commentary).
    return {"value": value, "kind": kind}


@dataclass(frozen=True, eq=False)
class ExploreTable:
    """One question broken down by one variable in one segment: the total row, then each group.

    ``counts`` and ``pcts`` are rows × choices (choices in questionnaire order); ``pcts`` is NaN
    where the disclosure rules withhold a share and for choices outside the base. ``p_values`` and
    ``directions`` come from :func:`group_tests`, with an untested total row in front.
    """

    segment: str
    question: str
    breakdown: str
    population: str  # the spec population the base is of (inside the segment)
    answer: str
    groups: tuple[str, ...]
    choices: tuple[str, ...]
    counts: np.ndarray
    bases: np.ndarray
    pcts: np.ndarray
    levels: tuple[str, ...]
    p_values: np.ndarray
    directions: np.ndarray
    p_adjusted: np.ndarray | None = None  # after Holm within the table and BH across the explorer

    def family(self) -> np.ndarray:
        """The table's tests as one family: a p-value per tested choice, or (ordinal: one test of
        the distribution per group, standing on every choice) per tested group."""
        if self.answer == "ordinal":
            return np.array([row[~np.isnan(row)][0] if (~np.isnan(row)).any() else np.nan for row in self.p_values])
        return self.p_values.reshape(-1)

    def with_family_adjusted(self, adjusted: np.ndarray) -> ExploreTable:
        """The table with :meth:`family`'s adjusted p-values in place (see :func:`adjust_tests`)."""
        if self.answer == "ordinal":
            spread = np.where(np.isnan(self.p_values), np.nan, np.asarray(adjusted)[:, None])
        else:
            spread = np.asarray(adjusted).reshape(self.p_values.shape)
        return replace(self, p_adjusted=spread)

    @cached_property
    def _marks(self) -> list[tuple[list[float | None], list[bool | None], list[int | None]]]:
        """Per row: adjusted p-values (as stored), 95 % flags (on the stored value) and directions."""
        out = []
        directed = self.answer != "ordinal"
        final = self.p_values if self.p_adjusted is None else self.p_adjusted
        for row_p, row_d in zip(final, self.directions, strict=True):
            tested = ~np.isnan(row_p)
            stored = [stored_p(float(p)) if t else None for p, t in zip(row_p, tested, strict=True)]
            out.append((stored, [None if p is None else bool(p < ALPHA) for p in stored],
                        [int(d) if t and directed else None for d, t in zip(row_d, tested, strict=True)]))
        return out

    def _cells(self, i: int) -> tuple[list[float | None], list[bool | None], list[int | None]]:
        return self._marks[i]

    def document(self) -> dict[str, Any]:
        """The table as explore.json holds it: a row per group with n, level and per-choice lists."""
        rows = []
        for i, group in enumerate(self.groups):
            p_values, flags, directions = self._cells(i)
            rows.append({
                "group": group, "n": int(self.bases[i]), "disclosure": self.levels[i],
                "counts": [int(c) for c in self.counts[i]],
                "pcts": [None if np.isnan(v) else float(v) for v in self.pcts[i]],
                "p_values": p_values, "significant": flags, "directions": directions,
            })
        return {"segment": self.segment, "question": self.question, "breakdown": self.breakdown,
                "population": self.population, "rows": rows}

    def tidy(self) -> pd.DataFrame:
        """One row per group and choice (TABLE_COLUMNS), as the notebook and tests read it."""
        cells = [self._cells(i) for i in range(len(self.groups))]
        k, g = len(self.choices), len(self.groups)
        return pd.DataFrame({
            "segment": self.segment, "question": self.question, "breakdown": self.breakdown,
            "group": np.repeat(self.groups, k), "choice_key": list(self.choices) * g,
            "count": self.counts.reshape(-1), "base": np.repeat(self.bases, k), "pct": self.pcts.reshape(-1),
            "disclosure": np.repeat(self.levels, k),
            "p_value": [v for c in cells for v in c[0]],
            "significant": [v for c in cells for v in c[1]],
            "direction": [v for c in cells for v in c[2]],
        }, columns=TABLE_COLUMNS)

    def figures(self) -> dict[str, Any]:
        """This table's figures (see :func:`explore_figures`)."""
        out: dict[str, Any] = {}
        head = f"{EXPLORE_ID}.{self.segment}.{self.question}.{self.breakdown}"
        for i, group in enumerate(self.groups):
            out[f"{head}.{group}.base"] = _figure(int(self.bases[i]), "n")
            _, flags, _ = self._cells(i)
            for j, key in enumerate(self.choices):
                pct = self.pcts[i, j]
                out[f"{head}.{group}.{key}.count"] = _figure(int(self.counts[i, j]), "count")
                out[f"{head}.{group}.{key}.pct"] = _figure(None if np.isnan(pct) else float(pct), "pct")
                if flags[j] is not None:
                    out[f"{head}.{group}.{key}.significant"] = _figure(flags[j], "flag")
        return out


def breakdown_tables(survey: Survey, question: ExploreQuestion, cuts: Sequence[Breakdown], segment: str, *,
                     spec: Spec, rows: Mapping[str, Mapping[str, pd.Series]] | None = None,
                     base: pd.Series | None = None, protection: Protection | None = None) -> list[ExploreTable]:
    """The tables of one question in one segment, one per breakdown; every group of every
    breakdown is counted in one pass.

    ``rows`` (breakdown id → :func:`table_groups`) and ``base`` (:func:`segment_base`) may be
    passed in when many tables share them. Shares of groups under the suppression line are
    withheld; counts stay. ``protection`` perturbs the counts (a researcher's run). The p-values
    are raw: :func:`adjust_tests` adjusts a whole explorer's.
    """
    if rows is None:
        rows = {cut.id: table_groups(group_masks(survey, cut, spec)) for cut in cuts}
    if base is None:
        base = segment_base(survey, question, segment, spec)
    groups = {f"{cut.id}\t{key}": mask for cut in cuts for key, mask in rows[cut.id].items()}
    long = shares_by_group(survey, question.id, base, groups, protection=protection)
    choices = survey.question(question.id).choices
    k = len(choices)
    in_base = [c.in_base for c in choices]
    all_counts = long["count"].to_numpy(dtype=np.int64).reshape(len(groups), k)
    all_bases = long["base"].to_numpy(dtype=np.int64)[::k]
    all_pcts = long["pct"].to_numpy(dtype=float).reshape(len(groups), k)
    position = {key: i for i, key in enumerate(groups)}
    tables = []
    for cut in cuts:
        keys = tuple(rows[cut.id])
        at = [position[f"{cut.id}\t{key}"] for key in keys]
        counts, bases = all_counts[at], all_bases[at]
        levels = tuple(chart_disclosure(int(b)) for b in bases)
        shown = np.array([shows_percentages(level) for level in levels], dtype=bool)
        p, d = group_tests(question.answer, in_base, counts, bases)
        tables.append(ExploreTable(
            segment=segment, question=question.id, breakdown=cut.id, population=question.base,
            answer=question.answer, groups=keys, choices=tuple(c.key for c in choices), counts=counts,
            bases=bases, pcts=np.where(shown[:, None], all_pcts[at], np.nan), levels=levels,
            p_values=np.vstack([np.full((1, k), np.nan), p]),
            directions=np.vstack([np.zeros((1, k), dtype=np.int64), d])))
    return tables


def explore_table(survey: Survey, question: ExploreQuestion, breakdown: Breakdown, segment: str, *,
                  spec: Spec) -> ExploreTable:
    """One table of the explorer (see :func:`breakdown_tables`), adjusted as if it were the whole
    explorer."""
    return adjust_tests(breakdown_tables(survey, question, [breakdown], segment, spec=spec))[0]


def adjust_tests(tables: Sequence[ExploreTable]) -> list[ExploreTable]:
    """The tables with adjusted p-values: Holm within each table, Benjamini–Hochberg across all."""
    adjusted = adjust_arrays([t.family() for t in tables])
    return [t.with_family_adjusted(a) for t, a in zip(tables, adjusted, strict=True)]


def explore_figures(tables: Sequence[ExploreTable]) -> dict[str, Any]:
    """Every number the explorer publishes, by id (written sorted): ``explore.<segment>.<question>.<breakdown>.<group>``
    then ``.base`` (n), ``.<choice>.count``, ``.<choice>.pct`` (null where withheld) and, where a
    test ran, ``.<choice>.significant``."""
    figures: dict[str, Any] = {}
    for table in tables:
        figures.update(table.figures())
    return figures


# ============================================================================ every table


@dataclass(frozen=True)
class ExploreResult:
    """The explorer, computed: explore.json (``document``), every table, and the figures."""

    document: Mapping[str, Any]
    tables: tuple[ExploreTable, ...]
    figures: Mapping[str, Any]
    output_dir: Path | None = field(default=None, compare=False)

    def table(self, question: str, breakdown: str, segment: str) -> ExploreTable:
        for t in self.tables:
            if (t.question, t.breakdown, t.segment) == (question, breakdown, segment):
                return t
        raise KeyError(f"no explorer table of {question} by {breakdown} in segment {segment}")

    def tidy(self) -> pd.DataFrame:
        """Every table stacked, one row per group and choice (TABLE_COLUMNS)."""
        return pd.concat([t.tidy() for t in self.tables], ignore_index=True)

    def view(self, question: str, breakdown: str, segment: str, lang: str = "ja") -> pd.DataFrame:
        """One table for people: a row per group (total first), n and the share of each choice;
        where the disclosure rules withhold a share, its count in brackets."""
        t = self.table(question, breakdown, segment)
        q = next(x for x in self.document["questions"] if x["id"] == question)
        b = next(x for x in self.document["breakdowns"] if x["id"] == breakdown)
        names = {TOTAL: self.document["total_label"][lang],
                 **{g["key"]: g["label"][lang] for g in b["groups"]}}
        rows = {}
        for i, group in enumerate(t.groups):
            rows[names[group]] = [int(t.bases[i]), *(f"{p:.1f}" if not np.isnan(p) else f"({c})"
                                                     for c, p in zip(t.counts[i], t.pcts[i], strict=True))]
        return pd.DataFrame.from_dict(rows, orient="index", columns=["n", *(c["label"][lang] for c in q["choices"])])

    def summary(self, lang: str = "ja") -> pd.DataFrame:
        """What was computed, for the top of the notebook."""
        doc = self.document
        rows = [("wave", doc["wave"]), ("filter", doc["filter_label"][lang] or "-"),
                ("questions", len(doc["questions"])), ("breakdowns", len(doc["breakdowns"])),
                ("segments", ", ".join(s["id"] for s in doc["segments"])), ("tables", len(doc["tables"])),
                ("figures", len(self.figures))]
        return pd.DataFrame(rows, columns=["", EXPLORE_ID]).set_index("")


def _question_doc(question: ExploreQuestion, codebook: Codebook) -> dict[str, Any]:
    q = codebook.question(question.id)
    return {
        "id": q.id, "chart": question.chart, "chapter": question.chapter, "answer": q.type,
        "population": question.base,
        "label": {lang: q.label(lang) for lang in LANGS},
        "text": {"ja": q.text.ja, "en": q.text.en},
        "choices": [{"key": c.key, "code": c.code, "label": {"ja": c.ja, "en": c.en}, "in_base": c.in_base}
                    for c in q.choices],
    }


def compute_explorer(survey: Survey, *, filters: Sequence[Any] = (), segment: str = "saas",
                     allow_small_base: bool = False, spec: Spec | None = None,
                     segments: Sequence[str] | None = None,
                     protection: Protection | str | None = AUTO) -> ExploreResult:
    """Every question × breakdown × segment table of the report wave (pure: survey in, result out).

    The report's filters apply first and are checked as a chapter checks them against the report's
    ``segment`` (:func:`hakusho.analysis.population.filter_report`). Tables come segment by
    segment, then in report order of the questions, then in the order of the breakdowns; a
    question is never broken down by itself. ``segments`` defaults to every segment of the spec.
    ``protection``: see :func:`hakusho.analysis.perturbation.run_protection` (a researcher's run
    is perturbed, the published reports are exact).
    """
    spec = spec or default_spec(survey.wave)
    segments = list(segments or spec.segments)
    unknown = [s for s in segments if s not in spec.segments]
    if unknown:
        raise FilterError(Msg("population.unknown_segment", name=unknown[0], valid=", ".join(spec.segments)))
    population = filter_report(survey, filters, segment=segment, spec=spec, allow_small_base=allow_small_base)
    guard = run_protection(spec, segment, bool(population.conditions), protection)
    survey, triples, text, label = population.report.survey, population.triples, population.text, population.label
    questions = explore_questions(spec, survey.codebook)
    cuts = breakdowns(spec, survey.codebook)
    rows = {cut.id: table_groups(group_masks(survey, cut, spec)) for cut in cuts}
    bases: dict[tuple[str, str], pd.Series] = {}
    tables: list[ExploreTable] = []
    for segment in segments:
        for question in questions:
            here = [c for c in cuts if segment in c.segments and c.id != question.id]
            key = (question.base, segment)
            if key not in bases:
                bases[key] = segment_base(survey, question, segment, spec)
            tables += breakdown_tables(survey, question, here, segment, spec=spec, rows=rows, base=bases[key],
                                       protection=guard)
    tables = adjust_tests(tables)
    document = {
        "chapter": EXPLORE_ID,
        "wave": survey.wave,
        "filters": triples,
        "filter_text": text,
        "filter_label": label,
        "method": {"tests": {"single": [Z_TEST, FISHER_TEST], "multi": [Z_TEST, FISHER_TEST],
                             "ordinal": [CHI2_TEST, MONTE_CARLO_TEST]}, "alpha": ALPHA,
                   "adjustment": {"table": HOLM, "explorer": BENJAMINI_HOCHBERG},
                   "counts": "perturbed" if guard is not None else "exact",
                   "against": "rest", "suppress_below": SUPPRESS_BELOW, "indicative_below": INDICATIVE_BELOW},
        "segments": [{"id": s, "label": {"ja": spec.segments[s].ja, "en": spec.segments[s].en}} for s in segments],
        "total_label": {lang: Translator(lang, NOTES_DOMAIN)("label.total") for lang in LANGS},
        "questions": [_question_doc(q, survey.codebook) for q in questions],
        "breakdowns": [{"id": c.id, "label": dict(c.label),
                        "groups": [{"key": g.key, "label": dict(g.label)} for g in c.groups],
                        "segments": [s for s in c.segments if s in segments]} for c in cuts],
        "tables": [t.document() for t in tables],
    }
    return ExploreResult(document=document, tables=tuple(tables), figures=explore_figures(tables))


# ============================================================================ writing


def figures_text(figures: Mapping[str, Any]) -> str:
    """figures.json with one figure per line: tens of thousands of figures stay a file that
    ``hakusho diff`` and a line diff read quickly."""
    # One encoder each, made once: json.dumps with options makes a new one per call, which was
    # most of the time spent writing the explorer's 170,000 figures. The text is the same.
    name = json.JSONEncoder(ensure_ascii=False).encode
    figure = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
    lines = [f"{name(fid)}:{figure(fig)}" for fid, fig in sorted(figures.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_explorer(result: ExploreResult, output_dir: str | Path) -> ExploreResult:
    """Write explore.json and figures.json into ``output_dir`` (the same bytes on every run)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    document = json.dumps(result.document, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_text(out / EXPLORE_DOC, document + "\n")
    write_text(out / FIGURES, figures_text(result.figures))
    return replace(result, output_dir=out)


def run_explorer(survey: Survey, *, filters: Sequence[Any] = (), segment: str = "saas", allow_small_base: bool = False,
                 output_dir: str | Path = "explore_out", spec: Spec | None = None,
                 protection: Protection | str | None = AUTO) -> ExploreResult:
    """Compute every explorer table and write them; the one call the explorer notebook makes."""
    result = compute_explorer(survey, filters=filters, segment=segment, allow_small_base=allow_small_base, spec=spec,
                              protection=protection)
    return write_explorer(result, output_dir)
