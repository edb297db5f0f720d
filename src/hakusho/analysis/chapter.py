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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.analysis.compare import series_tests, side_by_side
from hakusho.analysis.disclosure import base_notes, chart_disclosure, note, suppress_shares
from hakusho.analysis.figures import chapter_figures
from hakusho.analysis.population import filter_compare, filter_report, segment_counts, segment_name
from hakusho.analysis.series import ChapterContext, Series, bilingual, edition_name, empty_series_note, plan_chart
from hakusho.analysis.spec import Chart, Spec, default_spec
from hakusho.analysis.tabulate import group_shares, median_by_series, one_series, ranking, stack_series
from hakusho.build_folder import write_json, write_text
from hakusho.errors import HakushoError
from hakusho.i18n import LANGS
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.wave import Survey

CSV_COLUMNS = ["chart_id", "wave", "population", "series", "filter", "choice_code", "choice_key",
               "label_ja", "label_en", "count", "base", "pct"]


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
        """Where the chart's SVG in ``lang`` is (after :func:`write_chapter`; a language it did not
        draw is drawn now, into the same folder)."""
        if self.output_dir is None:
            raise FileNotFoundError("the chapter has not been written yet; call write_chapter first")
        chart = self.chart(chart_id)
        if chart["svg"] is None:
            raise FileNotFoundError(f"chart {chart_id} has nobody in its base and no drawing")
        path = self.output_dir / chart["svg"][lang]
        if not path.is_file():
            _write_svg(self, chart, lang, self.output_dir)
        return path


# ------------------------------------------------------------------------------ one chart


def _tidy(chart_id: str, series: list[Series], shown: pd.DataFrame) -> pd.DataFrame:
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


def compute_chart(chart: Chart, ctx: ChapterContext) -> tuple[dict[str, Any], pd.DataFrame]:
    """One chart dict (chapter.json) and its tidy table."""
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
    tests = None
    in_base_keys = [c.key for c in question.choices if c.in_base]
    if pair is not None:
        tests = series_tests(raw, answer=chart.answer, first=pair[0], second=pair[1], keys=in_base_keys)
    # A series across waves: every further step between consecutive waves is tested on its own.
    steps = [{"pair": [newer, older], "tests": series_tests(raw, answer=chart.answer, first=newer, second=older,
                                                             keys=in_base_keys)}
             for newer, older in plan.steps if newer in ids and older in ids]

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
        "ranking": ranking(one_series(raw, first.id)),
        "groups": groups,
        "tests": tests,
        "table": f"tables/{chart.id}.csv",
        "svg": None if empty else {lang: f"charts/{chart.id}.{lang}.svg" for lang in LANGS},
        # the same chart drawn for a phone's width (the page shows it on narrow screens)
        "svg_phone": None if empty else {lang: f"charts/{chart.id}.{lang}.phone.svg" for lang in LANGS},
        "notes": notes,
    }
    if steps:
        chart_dict["steps"] = steps
    if chart.wave == "compare" and ctx.compare is not None:  # named from its codebook, never typed
        chart_dict["source"] = bilingual(ctx.compare.survey.codebook.survey.title)
    return chart_dict, _tidy(chart.id, series, shown)


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


def compute_chapter(chapter_id: str, survey: Survey, compare_survey: Survey | None = None, *,
                    segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                    crosswalk: Any = None, spec: Spec | None = None, earlier: Sequence[Survey] = (),
                    steps: Sequence[Any] | None = None) -> ChapterResult:
    """Every chart of one chapter from the report wave (and the comparison wave, if any).

    ``segment`` is ``saas`` (part 2), ``non_saas`` (part 3) or ``all`` (part 1, integrated; see
    the module notes). ``crosswalk`` maps the comparison wave onto the report wave for
    year-over-year charts; it is read from the project's data when a chapter needs it and none
    is given. ``earlier`` holds the waves before the comparison wave (newest first) for a series
    across waves, ``steps`` the crosswalk of each step (read from the project when not given):
    year-over-year charts then show every wave, with a test per step.
    """
    spec = spec or default_spec(survey.wave)
    chapter = spec.chapter(chapter_id)
    people = filter_report(survey, filters, segment=segment, spec=spec, allow_small_base=allow_small_base)
    compare, unfiltered_vars = filter_compare(compare_survey, people.conditions)
    if compare is not None and crosswalk is None and any(c.compare == "yoy" for c in chapter.charts):
        from hakusho.survey.crosswalk import crosswalk_between

        crosswalk = crosswalk_between(compare_survey.codebook, survey.codebook)
    older = [filter_compare(s, people.conditions)[0] for s in earlier] if compare is not None else []
    if older and steps is None:
        from hakusho.survey.crosswalk import crosswalk_between

        newer = [compare_survey, *earlier][:len(earlier)]
        steps = [crosswalk_between(o.codebook, n.codebook) for o, n in zip(earlier, newer, strict=True)]
    ctx = ChapterContext(spec, segment, people.report, compare, tuple(unfiltered_vars), crosswalk, people.text,
                         people.label, segment_counts([survey, compare_survey, *earlier], spec),
                         earlier=tuple(w for w in older if w is not None), steps=tuple(steps or ()))

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
        "title": bilingual(chapter.title),
        "wave": survey.wave,
        "compare_wave": compare_survey.wave if compare_survey is not None else "",
        "segment": segment,
        "filters": people.triples,
        "filter_text": people.text,
        "filter_label": people.label,
        "n_total": people.n_total,
        "n_segment": people.n_segment,
        "slides": slides,
    }
    if ctx.earlier:  # a series across waves: every wave's respondents, for the methodology
        doc["series_n"] = {s.wave: len(s.responses) for s in [compare_survey, *earlier] if s is not None}
    return ChapterResult(chapter=_freeze(doc), tables=MappingProxyType(tables),
                         figures=MappingProxyType(chapter_figures(doc)))


def _freeze(doc: dict[str, Any]) -> Mapping[str, Any]:
    # A read-only view on the top level; the document is rebuilt, never edited, so deeper levels
    # are left as plain JSON values for the writers and the notebooks.
    return MappingProxyType(doc)


# ------------------------------------------------------------------------------ writing


def csv_text(table: pd.DataFrame) -> str:
    """The tidy table as CSV: fixed columns and row order, one decimal for shares, blanks for none."""
    out = table[CSV_COLUMNS].copy()
    out["pct"] = [("" if pd.isna(v) else f"{float(v):.1f}") for v in out["pct"]]
    out["count"] = [("" if pd.isna(v) else str(int(v))) for v in out["count"]]
    return out.to_csv(index=False, lineterminator="\n")


def write_chapter(result: ChapterResult, output_dir: Path | str, *, draw_charts: bool = True,
                  langs: Sequence[str] | None = None) -> ChapterResult:
    """Write the chapter's outputs into ``output_dir`` (created if missing); returns the result
    with ``output_dir`` set. ``draw_charts=False`` writes the numbers only (for quick checks).
    Charts are drawn in ``langs`` (default: the report's, :func:`hakusho.config.chart_langs`);
    one in another language is drawn when it is shown (:meth:`ChapterResult.svg_path`) or
    rendered (:func:`complete_charts`)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "chapter.json", result.chapter)
    write_json(out / "figures.json", result.figures)
    for chart_id, table in result.tables.items():
        write_text(out / "tables" / f"{chart_id}.csv", csv_text(table))
    if draw_charts:
        _draw(result, out, config.chart_langs() if langs is None else langs)
    return replace(result, output_dir=out)


def _draw(result: ChapterResult, out: Path, langs: Sequence[str], *, missing_only: bool = False) -> None:
    from hakusho.charts.svg import drawing_inputs

    inputs = drawing_inputs()
    for slide in result.slides:
        for chart in slide["charts"]:
            for lang in (lang for lang in LANGS if lang in langs):
                for phone in (False, True) if chart.get("svg_phone") else (False,):
                    drawing = chart["svg_phone" if phone else "svg"]
                    if not (missing_only and drawing and (out / drawing[lang]).is_file()):
                        _write_svg(result, chart, lang, out, inputs, phone=phone)


def complete_charts(output_dir: Path, langs: Sequence[str]) -> None:
    """Draw the charts a written chapter lacks in ``langs`` (a chapter drawn for a report in
    fewer languages, reused by one in more)."""
    doc = json.loads((Path(output_dir) / "chapter.json").read_text(encoding="utf-8"))
    _draw(ChapterResult(chapter=doc, tables={}, figures={}), Path(output_dir), langs, missing_only=True)


def chart_size(slide: Mapping[str, Any]) -> str:
    """``full`` for a chart alone on its slide, ``half`` for one of two (see charts.draw_chart)."""
    return "full" if len(slide["charts"]) == 1 else "half"


def _write_svg(result: ChapterResult, chart: Mapping[str, Any], lang: str, out: Path,
               inputs: Mapping[str, Any] | None = None, *, phone: bool = False) -> Path | None:
    """Draw one chart in ``lang`` where chapter.json says its SVG is (None: nobody in its base,
    nothing is drawn), at its slide's size or, with ``phone``, at a phone's width. A filtered
    run prints its filter, in the chart's language, under it."""
    if chart["svg"] is None:
        return None
    from hakusho.charts.svg import write_svg

    doc = result.chapter
    label = doc["filter_label"][lang] if doc["filter_text"] else None
    slide = next(s for s in result.slides if any(c["id"] == chart["id"] for c in s["charts"]))
    dest, size = (chart["svg_phone"][lang], "phone") if phone else (chart["svg"][lang], chart_size(slide))
    return write_svg("chart", chart, lang, out / dest, size=size, filter_text=label, inputs=inputs)


def split_waves(compare_wave: str | Sequence[str]) -> list[str]:
    """``"2025,2023"`` → ``["2025", "2023"]``: the comparison wave first, then the waves before it."""
    items = compare_wave.split(",") if isinstance(compare_wave, str) else list(compare_wave)
    return [str(w).strip() for w in items if str(w).strip()]


def load_series(wave: str, compare_waves: Sequence[str] = (), *, data_dir: str | Path = "",
                codebook_dir: str | Path = "") -> tuple[Survey, list[Survey]]:
    """The report wave and every wave it is compared with (in the order given), each loaded and
    validated against its codebook."""
    books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR

    def one(w: str) -> Survey:
        raw = Path(data_dir) / w if data_dir else None
        return _load_wave(w, raw_path=raw, codebook=load_codebook(books / f"{w}.yml"))

    return one(str(wave)), [one(w) for w in compare_waves]


def load_waves(wave: str, compare_wave: str = "", *, data_dir: str | Path = "",
               codebook_dir: str | Path = "") -> tuple[Survey, Survey | None]:
    """The report wave and the comparison wave (None for ``""``), from the given folders; a list
    of waves (``"2025,2023"``) loads and validates every one, and the first is returned."""
    survey, others = load_series(wave, split_waves(compare_wave), data_dir=data_dir, codebook_dir=codebook_dir)
    return survey, (others[0] if others else None)


def _load_wave(wave: str, *, raw_path: Path | None, codebook: Codebook) -> Survey:
    from hakusho.survey.load import load_wave

    return load_wave(wave, raw_path=raw_path, codebook=codebook)


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
        crosswalk, steps = None, []
        if compare is not None and any(c.compare == "yoy" for c in spec.chapter(chapter).charts):
            from hakusho.survey.crosswalk import crosswalk_between

            folder = (Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR) / "crosswalk"
            crosswalk = crosswalk_between(compare.codebook, survey.codebook, folder)
            steps = [crosswalk_between(o.codebook, n.codebook, folder)
                     for o, n in zip(earlier, [compare, *earlier][:len(earlier)], strict=True)]
        result = compute_chapter(chapter, survey, compare, segment=segment, filters=filters,
                                 allow_small_base=allow_small_base, crosswalk=crosswalk, spec=spec,
                                 earlier=earlier, steps=steps)
    except HakushoError as exc:
        # A notebook shows an error as its one-line str(): fold the located problems (the valid
        # variables, the row of a bad cell) into the message so the researcher sees them there.
        if not exc.problems:
            raise
        raise type(exc)(exc.report()) from None
    return write_chapter(result, output_dir, draw_charts=draw_charts, langs=langs)
