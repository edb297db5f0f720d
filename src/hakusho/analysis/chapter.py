"""A chapter's result: every chart of one part of the report, computed from the raw data.

``compute_chapter`` is pure: surveys in, a frozen :class:`ChapterResult` out (the chapter.json
document, the tidy table behind each chart, the figure registry). Its ``write`` writes it as
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

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.analysis.chart_tests import describe_tests, sampling, strata_tables
from hakusho.analysis.compare import ChartTests, raw_families, readjust, series_tests, side_by_side
from hakusho.analysis.disclosure import base_notes, chart_disclosure, note, suppress_shares
from hakusho.analysis.figures import chapter_figures
from hakusho.analysis.perturbation import AUTO, Protection, run_protection
from hakusho.analysis.population import filter_compare, filter_report, segment_counts, shown_counts
from hakusho.analysis.result import PartResult, freeze, one_decimal, tidy_csv
from hakusho.analysis.series import ChapterContext, Series, bilingual, edition_name, empty_series_note, plan_chart
from hakusho.analysis.spec import Chart, Spec, default_spec
from hakusho.analysis.tabulate import group_shares, median_by_series, one_series, ranking, stack_series
from hakusho.build_folder import CHAPTER_DOC, chart_files, table_file
from hakusho.errors import HakushoError
from hakusho.i18n import LANGS, Translator
from hakusho.survey.load import load_series, split_waves
from hakusho.survey.wave import Survey

CSV_COLUMNS = ["chart_id", "wave", "population", "series", "filter", "choice_code", "choice_key",
               "label_ja", "label_en", "count", "base", "pct", "disclosure", "counts"]



@dataclass(frozen=True)
class ChapterResult(PartResult):
    """One chapter, computed: what chapter.json, figures.json and the tables hold.

    ``document`` (also ``chapter``) is the chapter.json document; ``tables`` the tidy table
    behind each chart (CSV_COLUMNS, in file order); ``figures`` the registry.
    """

    kind: ClassVar[str] = "chapter"
    svg_kind: ClassVar[str] = "chart"
    document_name: ClassVar[str] = CHAPTER_DOC
    item_name: ClassVar[str] = "chart"

    @property
    def chapter(self) -> Mapping[str, Any]:
        return self.document

    @property
    def slides(self) -> list[Mapping[str, Any]]:
        return list(self.document["slides"])

    @property
    def chart_ids(self) -> list[str]:
        return self.item_ids()

    def items(self) -> list[Mapping[str, Any]]:
        return [c for s in self.slides for c in s["charts"]]

    def chart(self, chart_id: str) -> Mapping[str, Any]:
        return self.item(chart_id)

    def view(self, chart_id: str, lang: str = "ja") -> pd.DataFrame:
        """The chart's numbers for people: one row per choice, n and % per series."""
        table = self.tables[chart_id].drop(columns=["chart_id", "wave", "population", "filter"])
        return side_by_side(table, lang=lang)

    def show(self, chart_id: str, lang: str = "ja") -> list[Any]:
        """What a notebook displays for one chart (see :meth:`PartResult.show`). A chart this run
        leaves out (a chart of the comparison wave when there is none) shows a line saying so
        instead of failing the notebook."""
        if chart_id not in self.chart_ids:
            from IPython.display import Markdown

            return [Markdown("*" + Translator(lang, "notes")("notebook.left_out", chart=chart_id) + "*")]
        return super().show(chart_id, lang)

    def csv_text(self, table: pd.DataFrame) -> str:
        return csv_text(table)

    def drawing_options(self, chart_id: str, lang: str) -> dict[str, Any]:
        """Full width for a chart alone on its slide; a filtered run prints its filter, in the
        chart's language, under every chart."""
        doc = self.document
        slide = next(s for s in self.slides if any(c["id"] == chart_id for c in s["charts"]))
        return {"size": chart_size(slide), "filter_text": doc["filter_label"][lang] if doc["filter_text"] else None}


# ------------------------------------------------------------------------------ one chart


def _tidy(chart_id: str, series: list[Series], shown: pd.DataFrame, levels: Mapping[str, str],
          counts: str) -> pd.DataFrame:
    """The chart's tidy table: a row per series and choice, with the series' disclosure class and
    whether its counts are exact or perturbed (a researcher's run)."""
    meta = {s.id: s for s in series}
    tidy = shown[shown["count"].notna()].copy()  # choices a wave did not offer have no row
    tidy.insert(0, "chart_id", chart_id)
    tidy["wave"] = [meta[s].wave for s in tidy["series"]]
    tidy["population"] = [meta[s].population for s in tidy["series"]]
    tidy["filter"] = [meta[s].filter_text for s in tidy["series"]]
    tidy["choice_code"] = tidy["choice_code"].astype(int)
    tidy["base"] = tidy["base"].astype(int)
    tidy["disclosure"] = [levels[s] for s in tidy["series"]]
    tidy["counts"] = counts
    return tidy[CSV_COLUMNS].reset_index(drop=True)


def _json_number(value: Any) -> Any:
    """A plain Python number for JSON (numpy scalars and missing values converted)."""
    if value is None or pd.isna(value):
        return None
    return int(value) if isinstance(value, int | np.integer) else float(value)


@dataclass(frozen=True)
class ReportTests:
    """Every test of a report, raw (what Benjamini–Hochberg adjusts across): the plain tests and
    the route-stratified ones, by chart and key; and the charts computed to find them, which the
    chapters reuse instead of computing them again."""

    plain: Mapping[str, Mapping[str, float]]
    route: Mapping[str, Mapping[str, float]]
    charts: Mapping[str, ComputedChart] = field(default_factory=dict, compare=False)


class ComputedChart(NamedTuple):
    """One chart, computed: its chapter.json entry, its tidy table, and its tests — adjusted as if
    the chart were the whole report; :func:`compute_chapter` adjusts them across the report and
    adds the notes that describe them (``test_notes(final_tests)``)."""

    chart: dict[str, Any]
    table: pd.DataFrame
    tests: ChartTests | None
    test_notes: Callable[[ChartTests], list[dict[str, Any]]]
    steps: tuple[tuple[tuple[str, str], ChartTests], ...] = ()  # a series across waves: (newer, older), tests

    def families(self) -> dict[str, ChartTests]:
        """The chart's families of tests as the report adjusts them: the chart's own, and one per
        further step of a series across waves."""
        out = {} if self.tests is None else {self.chart["id"]: self.tests}
        out.update({t.family: t for _, t in self.steps})
        return out


def step_family(chart_id: str, older: str) -> str:
    """The family id of a further step's tests (the step from ``older`` to the next wave)."""
    return f"{chart_id}@{older}"


def compute_chart(chart: Chart, ctx: ChapterContext) -> ComputedChart:
    """One chart dict (chapter.json), its tidy table and its tests (see :class:`ComputedChart`)."""
    plan = plan_chart(chart, ctx)
    question = plan.question
    series = plan.series
    left_out: list[dict[str, Any]] = []
    if any(s.base == 0 for s in series) and any(s.base > 0 for s in series):
        # A series of nobody is not drawn as a row of zeros: it is left out, and a note says why.
        left_out = [empty_series_note(ctx, s) for s in series if s.base == 0]
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
    tests: ChartTests | None = None
    in_base_keys = [c.key for c in question.choices if c.in_base]
    if pair is not None:
        strata = strata_tables(chart, ctx, series, pair) if plan.test_kind == "segments" else None
        tests = series_tests(raw, answer=chart.answer, first=pair[0], second=pair[1], keys=in_base_keys,
                             strata=strata, family=chart.id)
        for entry in tests.choices:
            if entry["key"] in plan.comparability:
                entry["crosswalk"] = plan.comparability[entry["key"]]
    # A series across waves: every further step between consecutive waves is tested on its own,
    # a family of its own in the report's adjustment.
    steps = tuple(((newer, older), series_tests(raw, answer=chart.answer, first=newer, second=older,
                                                keys=in_base_keys, family=step_family(chart.id, older)))
                  for newer, older in plan.steps if newer in ids and older in ids)

    notes: list[dict[str, Any]] = []
    if chart.answer == "multi":
        notes.append(note("note.multi"))
    # One series: the base's note; several: each small series is named (SaaS n=4 beside non-SaaS n=138).
    named = series if len(series) > 1 and not empty else series[1:]
    if not named or named[0] is not first:
        notes += base_notes(levels[first.id], bases[first.id])
    if empty and ctx.lacks(first.wave, first.segment):
        notes.append(empty_series_note(ctx, first))
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
    if ctx.protection is not None:
        notes.append(note("note.perturbed"))
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
        "title": _chart_title(chart, ctx),
        "answer": chart.answer,
        "compare": plan.compare,
        "wave": first.wave,
        "base": plan.base,
        "base_label": base_label,
        "base_n": bases[first.id],
        "disclosure": levels[first.id],
        "question": {"id": question.id, "text": bilingual(question.text)},
        "series": [{"id": s.id, "wave": s.wave, "label": s.label, "base_n": bases[s.id],
                    "disclosure": levels[s.id]} for s in series],
        "rows": rows,
        "median": median_by_series(shown) if chart.answer == "ordinal" else None,
        "ranking": ranking(one_series(shown, first.id)),  # from the shown table: a suppressed series has none
        "groups": groups,
        "tests": tests.choices if tests is not None else None,
        "distribution_test": tests.distribution if tests is not None else None,
        "table": table_file(chart.id),
        "svg": None if empty else chart_files(chart.id, LANGS),
        "svg_phone": None if empty else chart_files(chart.id, LANGS, phone=True),  # for narrow screens
        "notes": notes,
    }
    if steps:
        chart_dict["steps"] = [{"pair": list(pair_), "tests": t.choices, "distribution_test": t.distribution}
                               for pair_, t in steps]
    if chart.wave == "compare" and ctx.compare is not None:  # named from its codebook, never typed
        chart_dict["source"] = bilingual(ctx.compare.survey.codebook.survey.title)
    counts = "perturbed" if ctx.protection is not None else "exact"
    labels = {c.key: {"ja": c.ja, "en": c.en} for c in question.choices}

    def test_notes(final: ChartTests) -> list[dict[str, Any]]:
        return describe_tests(plan.test_kind, chart.answer, pair, final, labels) if pair is not None else []

    return ComputedChart(chart_dict, _tidy(chart.id, series, shown, levels, counts), tests, test_notes, steps)


def _chart_title(chart: Chart, ctx: ChapterContext) -> dict[str, str]:
    """The spec's title; a chart drawn from the comparison wave adds that wave's edition name."""
    title = bilingual(chart.title)
    if chart.wave != "compare" or ctx.compare is None:
        return title
    from hakusho.i18n import Translator

    edition = edition_name(ctx.compare.survey)
    return {lang: Translator(lang, "charts")("title.reference", title=title[lang], edition=edition[lang])
            for lang in LANGS}


# ------------------------------------------------------------------------------ the chapter


def _context(survey: Survey, compare_survey: Survey | None, *, segment: str, filters: Sequence[Any],
             allow_small_base: bool, crosswalk: Any, spec: Spec, protection: Protection | str | None,
             yoy: bool, earlier: Sequence[Survey] = (),
             steps: Sequence[Any] | None = None) -> tuple[ChapterContext, Any, int, int]:
    """The chapter's context: the filtered waves, the crosswalk and how counts are protected, and
    the respondents left (perturbed in a researcher's run, as every count is)."""
    people = filter_report(survey, filters, segment=segment, spec=spec, allow_small_base=allow_small_base)
    compare, unfiltered_vars = filter_compare(compare_survey, people.conditions)
    if compare is not None and crosswalk is None and yoy:
        from hakusho.survey.crosswalk import crosswalk_between

        crosswalk = crosswalk_between(compare_survey.codebook, survey.codebook)
    older = [filter_compare(s, people.conditions)[0] for s in earlier] if compare is not None else []
    if older and steps is None:
        from hakusho.survey.crosswalk import crosswalk_between

        newer = [compare_survey, *earlier][:len(earlier)]
        steps = [crosswalk_between(o.codebook, n.codebook) for o, n in zip(earlier, newer, strict=True)]
    guard = run_protection(spec, segment, bool(people.conditions), protection)
    n_total, n_segment = shown_counts(people, spec, segment, survey.wave, guard)
    ctx = ChapterContext(spec, segment, people.report, compare, tuple(unfiltered_vars), crosswalk, people.text,
                         people.label, segment_counts([survey, compare_survey, *earlier], spec), protection=guard,
                         earlier=tuple(w for w in older if w is not None), steps=tuple(steps or ()))
    return ctx, people, n_total, n_segment


def _tested(chart: Chart, ctx: ChapterContext) -> bool:
    """Whether a chart can carry tests (a comparison of waves or of segments)."""
    return chart.compare in ("yoy", "by_segment") or ctx.integrated


def report_tests(survey: Survey, compare_survey: Survey | None = None, *, segment: str = "saas",
                 filters: Sequence[Any] = (), allow_small_base: bool = False, crosswalk: Any = None,
                 spec: Spec | None = None, protection: Protection | str | None = AUTO,
                 earlier: Sequence[Survey] = (), steps: Sequence[Any] | None = None) -> ReportTests:
    """The raw p-values of every test of the report a chapter belongs to (every chapter of the
    spec, under the same segment and filters): the family Benjamini–Hochberg adjusts across.

    Returns the plain tests and the route-stratified ones, by chart and key. Computed once per
    process for the same data and options (the notebooks of a build share warm kernels).
    """
    spec = spec or default_spec(survey.wave)
    key = (_fingerprint(survey), _fingerprint(compare_survey), segment, repr([repr(f) for f in filters]),
           allow_small_base, _model_digest(spec), _model_digest(crosswalk),
           protection.fingerprint if isinstance(protection, Protection) else protection,
           tuple(_fingerprint(w) for w in earlier), tuple(_model_digest(w) for w in steps or ()))
    if key in _REPORT_TESTS:
        return _REPORT_TESTS[key]
    yoy = any(c.compare == "yoy" for c in spec.charts.values())
    ctx, _, _, _ = _context(survey, compare_survey, segment=segment, filters=filters,
                            allow_small_base=allow_small_base, crosswalk=crosswalk, spec=spec,
                            protection=protection, yoy=yoy, earlier=earlier, steps=steps)
    found: dict[str, ChartTests] = {}
    computed: dict[str, ComputedChart] = {}
    for chapter in spec.chapters:
        for chart in chapter.charts:
            if (chart.wave == "compare" and ctx.compare is None) or not _tested(chart, ctx):
                continue
            done = computed[chart.id] = compute_chart(chart, ctx)
            found.update(done.families())
    plain, route = raw_families(found)
    result = ReportTests(plain, route, MappingProxyType(computed))
    _REPORT_TESTS.clear()  # one report at a time per process: the charts it holds are not small
    _REPORT_TESTS[key] = result
    return result


_REPORT_TESTS: dict[tuple[Any, ...], ReportTests] = {}


def _reuse(report: ReportTests | None, chart_id: str) -> ComputedChart | None:
    """A chart the report's tests were found with: the same inputs give the same chart (a copy,
    since the chapter finishes it in place)."""
    done = report.charts.get(chart_id) if report is not None else None
    if done is None:
        return None
    return ComputedChart(copy.deepcopy(done.chart), done.table.copy(), done.tests, done.test_notes, done.steps)


def _model_digest(model: Any) -> str | None:
    """A spec or crosswalk by content (two loads of the same file are the same)."""
    if model is None:
        return None
    import hashlib

    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def _fingerprint(survey: Survey | None) -> tuple[Any, ...] | None:
    """What tells two loaded waves apart: their respondents' answers, hashed."""
    if survey is None:
        return None
    hashed = pd.util.hash_pandas_object(survey.responses, index=True)
    return survey.wave, survey.n, int(hashed.sum()), tuple(survey.responses.columns)


def compute_chapter(chapter_id: str, survey: Survey, compare_survey: Survey | None = None, *,
                    segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                    crosswalk: Any = None, spec: Spec | None = None, protection: Protection | str | None = AUTO,
                    report: ReportTests | None = None, earlier: Sequence[Survey] = (),
                    steps: Sequence[Any] | None = None) -> ChapterResult:
    """Every chart of one chapter from the report wave (and the comparison wave, if any).

    ``segment`` is ``saas`` (part 2), ``non_saas`` (part 3) or ``all`` (part 1, integrated; see
    the module notes). ``crosswalk`` maps the comparison wave onto the report wave for
    year-over-year charts; it is read from the project's data when a chapter needs it and none
    is given. ``earlier`` holds the waves before the comparison wave (newest first) for a series
    across waves, ``steps`` the crosswalk of each step (read from the project when not given):
    year-over-year charts then show every wave, with a test per step. ``protection``: see
    :func:`hakusho.analysis.perturbation.run_protection`. ``report``: the raw p-values of every
    test of the report (:func:`report_tests`), which the chapter's tests are adjusted across; by
    default the chapter is adjusted on its own (:func:`run_chapter`, what a notebook calls,
    always passes the report's).
    """
    spec = spec or default_spec(survey.wave)
    chapter = spec.chapter(chapter_id)
    ctx, people, n_total, n_segment = _context(
        survey, compare_survey, segment=segment, filters=filters, allow_small_base=allow_small_base,
        crosswalk=crosswalk, spec=spec, protection=protection, yoy=any(c.compare == "yoy" for c in chapter.charts),
        earlier=earlier, steps=steps)

    slides = []
    tables: dict[str, pd.DataFrame] = {}
    computed: dict[str, ComputedChart] = {}
    for slide in chapter.slides:
        charts = []
        for chart in slide.charts:
            if chart.wave == "compare" and ctx.compare is None:
                continue
            done = computed[chart.id] = _reuse(report, chart.id) or compute_chart(chart, ctx)
            charts.append(done.chart)
            tables[chart.id] = done.table
        if charts:
            slides.append({"id": slide.id, "charts": charts})
    found = {family: t for c in computed.values() for family, t in c.families().items()}
    adjusted = readjust(found, report=report.plain if report else None, report_route=report.route if report else None)
    for chart_id, done in computed.items():
        chart_dict = done.chart
        if chart_id in adjusted:
            final = adjusted[chart_id]
            chart_dict["tests"], chart_dict["distribution_test"] = final.choices, final.distribution
            chart_dict["notes"] = chart_dict["notes"] + done.test_notes(final)
        for step, (_, t) in zip(chart_dict.get("steps", []), done.steps, strict=True):
            step["tests"], step["distribution_test"] = adjusted[t.family].choices, adjusted[t.family].distribution

    doc = {
        "chapter": chapter.id,
        "title": bilingual(chapter.title),
        "wave": survey.wave,
        "compare_wave": compare_survey.wave if compare_survey is not None else "",
        "segment": segment,
        "filters": people.triples,
        "filter_text": people.text,
        "filter_label": people.label,
        "n_total": n_total,
        "n_segment": n_segment,
        "counts": "perturbed" if ctx.protection is not None else "exact",
        "sampling": sampling(ctx),
        "slides": slides,
    }
    if ctx.earlier:  # a series across waves: every wave's respondents, for the methodology
        doc["series_n"] = {s.wave: len(s.responses) for s in [compare_survey, *earlier] if s is not None}
    return ChapterResult(document=freeze(doc), tables=MappingProxyType(tables),
                         figures=MappingProxyType(chapter_figures(doc)))


# ------------------------------------------------------------------------------ writing


def csv_text(table: pd.DataFrame) -> str:
    """The tidy table as CSV: fixed columns and row order, one decimal for shares, blanks for none."""
    return tidy_csv(table, CSV_COLUMNS, {"pct": one_decimal, "count": _whole})


def _whole(value: Any) -> str:
    return "" if pd.isna(value) else str(int(value))


def chart_size(slide: Mapping[str, Any]) -> str:
    """``full`` for a chart alone on its slide, ``half`` for one of two (see charts.draw_chart)."""
    return "full" if len(slide["charts"]) == 1 else "half"


def run_chapter(chapter: str, wave: str | None = None, compare_wave: str | None = None,
                segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                data_dir: str | Path = "", codebook_dir: str | Path = "",
                output_dir: str | Path = "", *, draw_charts: bool = True,
                langs: Sequence[str] | None = None) -> ChapterResult:
    """Load the waves, compute the chapter, write its outputs; the one call a notebook makes.

    Charts are drawn in ``langs`` (default: the report's languages; a notebook showing another
    draws it then).

    Empty ``data_dir`` / ``codebook_dir`` mean the project's own data/raw and data/codebook;
    ``wave`` / ``compare_wave`` default to the project's edition and its comparison wave; an
    empty ``output_dir`` means report/jupyter/<chapter>/ (see ``notebook_output_dir``).
    """
    from hakusho.pipeline.outputs import notebook_output_dir

    wave = wave or config.DEFAULT_WAVE
    compare_wave = config.current_project().compare_for(wave) if compare_wave is None else compare_wave
    output_dir = notebook_output_dir(chapter, output_dir)  # refused before any work if it is an input
    try:
        survey, others = load_series(wave, split_waves(compare_wave), data_dir=data_dir, codebook_dir=codebook_dir)
        compare, earlier = (others[0], others[1:]) if others else (None, [])
        spec = default_spec(wave)
        spec.chapter(chapter)  # an unknown chapter is named before anything is computed
        crosswalk, steps = None, []
        if compare is not None and any(c.compare == "yoy" for c in spec.charts.values()):
            from hakusho.survey.crosswalk import crosswalk_between

            folder = (Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR) / "crosswalk"
            crosswalk = crosswalk_between(compare.codebook, survey.codebook, folder)
            steps = [crosswalk_between(o.codebook, n.codebook, folder)
                     for o, n in zip(earlier, [compare, *earlier][:len(earlier)], strict=True)]
        options = {"segment": segment, "filters": filters, "allow_small_base": allow_small_base,
                   "crosswalk": crosswalk, "spec": spec, "earlier": earlier, "steps": steps}
        # The chapter's tests are adjusted across every test of the report it belongs to.
        result = compute_chapter(chapter, survey, compare, report=report_tests(survey, compare, **options), **options)
    except HakushoError as exc:
        # A notebook shows an error as its one-line str(): fold the located problems (the valid
        # variables, the row of a bad cell) into the message so the researcher sees them there.
        if not exc.problems:
            raise
        raise type(exc)(exc.report()) from None
    return result.write(output_dir, draw_charts=draw_charts, langs=langs)
