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
  crosswalk in the report wave's choices, with significance tests (:mod:`hakusho.compare`);
* ``wave: compare`` (``ref_2023``): the comparison wave's own question and choices, its base
  population evaluated on the comparison wave. Without a comparison wave these charts (and
  slides left empty by them) are left out of the chapter.

Filters apply to the report wave before anything is tabulated. They apply to the comparison
wave too when it can express them (every variable and value exists in its codebook), so that a
year-over-year change compares like with like; otherwise the comparison wave stays unfiltered
and every chart drawing on it says so. Each CSV row records the filter its own wave was
tabulated under. A filter that leaves nobody stops the chapter; one that leaves fewer than 30
respondents in the segment stops it unless ``allow_small_base`` is set (disclosure rules then
still mark or suppress the small bases).
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
from hakusho.codebook import Codebook, Condition, Question, load_codebook
from hakusho.compare import side_by_side, yoy_tests
from hakusho.disclosure import (
    INDICATIVE_BELOW,
    base_notes,
    disclosure_level,
    note,
    suppress_shares,
)
from hakusho.errors import CodebookError, FilterError, HakushoError, Problem
from hakusho.figures import chapter_figures
from hakusho.filters import describe_filters, parse_filter, resolve_choice
from hakusho.spec import Chart, Spec, default_spec
from hakusho.survey import Survey
from hakusho.tabulate import (
    group_shares,
    median_by_series,
    one_series,
    ranking,
    share_of_base,
    stack_series,
)

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
        line saying so instead of failing the notebook.
        """
        from IPython.display import SVG, Markdown

        from hakusho.i18n import Translator

        if chart_id not in self.chart_ids:
            return [Markdown("*" + Translator(lang, "notes")("notebook.left_out", chart=chart_id) + "*")]
        return [self.view(chart_id, lang), SVG(filename=str(self.svg_path(chart_id, lang)))]

    def svg_path(self, chart_id: str, lang: str = "ja") -> Path:
        """Where the chart's SVG in ``lang`` was written (after :func:`write_chapter`)."""
        if self.output_dir is None:
            raise FileNotFoundError("the chapter has not been written yet; call write_chapter first")
        return self.output_dir / self.chart(chart_id)["svg"][lang]


# ------------------------------------------------------------------------------ filters


def normalize_filters(filters: Sequence[Any]) -> tuple[list[Condition], list[list[Any]]]:
    """Conditions from a researcher's filters, and the same filters as JSON-able triples.

    Each filter is ``[variable, operator, value]`` or a text such as ``"employees >= 1000"``;
    triples keep the value as given (a number stays a number in chapter.json). A single text is
    one filter (what ``papermill -p filters "employees >= 1000"`` passes).
    """
    conditions: list[Condition] = []
    triples: list[list[Any]] = []
    if isinstance(filters, str):
        filters = [filters] if filters.strip() else []
    for item in filters:
        cond = parse_filter(item)
        conditions.append(cond)
        if isinstance(item, str):
            triples.append([cond.var, cond.op, cond.value])
        else:
            value = item[2]
            triples.append([cond.var, cond.op, list(value) if isinstance(value, tuple | set) else value])
    return conditions, triples


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


# ------------------------------------------------------------------------------ one chart


@dataclass(frozen=True)
class _Series:
    id: str
    wave: str
    population: str
    label: dict[str, str]
    filter_text: str
    table: pd.DataFrame  # TABLE_COLUMNS, before disclosure


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


def _bilingual(obj: Any) -> dict[str, str]:
    return {"ja": obj.ja, "en": obj.en}


def _population_label(spec: Spec, pop_id: str) -> dict[str, str]:
    return _bilingual(spec.populations[pop_id])


def _population_series(ctx: _Context, survey: _Filtered, qid: str, pop_id: str, series_id: str) -> _Series:
    mask = survey.survey.population(pop_id, segment=ctx.segment, spec=ctx.spec)
    return _Series(series_id, survey.survey.wave, pop_id, _population_label(ctx.spec, pop_id), survey.text,
                   share_of_base(survey.survey, qid, mask))


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


def _plan_series(chart: Chart, ctx: _Context) -> tuple[list[_Series], Question, list[dict[str, Any]]]:
    """The chart's series (tables before disclosure), the question whose choices are the rows,
    and the notes that follow from where the data came from."""
    notes: list[dict[str, Any]] = []
    qid = chart.variable
    if chart.wave == "compare":
        assert ctx.compare is not None  # charts of the comparison wave are skipped without one
        source = ctx.compare
        question = source.survey.question(qid)
        _check_answer(chart, question, source.survey.codebook)
        notes.append(note("note.reference_wave", wave=source.survey.wave))
        return [_population_series(ctx, source, qid, chart.base, chart.base)], question, notes

    report = ctx.report
    question = report.survey.question(qid)
    _check_answer(chart, question, report.survey.codebook)
    if chart.compare == "yoy":
        wave = report.survey.wave
        mine = _population_series(ctx, report, qid, chart.base, wave)
        mine = replace(mine, label=_wave_label(wave))
        if ctx.compare is None:
            notes.append(note("note.yoy_no_compare", wave=wave))
            return [mine], question, notes
        other_wave = ctx.compare.survey.wave
        vmap = ctx.crosswalk.variable(qid) if ctx.crosswalk is not None else None
        if vmap is None:
            notes.append(note("note.yoy_not_asked", wave=wave, compare=other_wave))
            return [mine], question, notes
        from hakusho.crosswalk import share_in_target_terms

        compare_survey = ctx.compare.survey
        mask = compare_survey.population(chart.base, segment=ctx.segment, spec=ctx.spec)
        theirs_table = share_in_target_terms(compare_survey, mask, qid, report.survey.codebook, ctx.crosswalk)
        # A choice new in the report wave has no counterpart: no count, rather than a false zero
        # (it is left out of the comparison wave's values and rows).
        new = [c.key for c in question.choices if not vmap.sources(c.key)]
        theirs_table["count"] = theirs_table["count"].astype("Int64").mask(theirs_table["choice_key"].isin(new))
        theirs_table["pct"] = theirs_table["pct"].mask(theirs_table["choice_key"].isin(new))
        theirs = _Series(other_wave, other_wave, chart.base, _wave_label(other_wave), ctx.compare.text,
                         theirs_table)
        notes.append(note("note.yoy_crosswalk", wave=wave, compare=other_wave))
        if vmap.note is not None:
            notes.append({"key": "crosswalk.note", "params": {"variable": qid}, **_bilingual(vmap.note)})
        notes.append(note("note.test_chi2" if chart.answer == "ordinal" else "note.test_z"))
        return [mine, theirs], question, notes

    if chart.compare == "by_segment":
        pops = _by_segment_order(ctx.segment)
    elif chart.series:
        pops = list(chart.series)
    else:
        pops = [chart.base]
    return [_population_series(ctx, report, qid, p, p) for p in pops], question, notes


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


def compute_chart(chart: Chart, ctx: _Context) -> tuple[dict[str, Any], pd.DataFrame]:
    """One chart dict (chapter.json) and its tidy table."""
    series, question, source_notes = _plan_series(chart, ctx)
    raw = stack_series({s.id: s.table for s in series})
    shown = suppress_shares(raw)
    bases = {s.id: int(s.table["base"].iloc[0]) if len(s.table) else 0 for s in series}
    levels = {sid: disclosure_level(b) for sid, b in bases.items()}
    first = series[0]

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

    notes: list[dict[str, Any]] = []
    if chart.answer == "multi":
        notes.append(note("note.multi"))
    notes += base_notes(levels[first.id], bases[first.id])
    for s in series[1:]:
        if levels[s.id] in ("suppressed", "indicative"):
            notes.append(note(f"note.series_{levels[s.id]}", series=s.label, n=bases[s.id]))
    for choice in question.choices:
        if not choice.in_base:
            notes.append(note("note.outside_base", choice={"ja": choice.ja, "en": choice.en}))
    notes += source_notes
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

    in_base_keys = [c.key for c in question.choices if c.in_base]
    tests = None
    if chart.compare == "yoy" and len(series) == 2:
        tests = yoy_tests(raw, answer=chart.answer, report_series=series[0].id,
                          compare_series=series[1].id, keys=in_base_keys)
    groups = group_shares(shown, {g.id: g.keys for g in chart.groups}) if chart.groups else {}

    chart_dict = {
        "id": chart.id,
        "title": _bilingual(chart.title),
        "answer": chart.answer,
        "compare": chart.compare,
        "wave": first.wave,
        "base": chart.base,
        "base_label": _population_label(ctx.spec, chart.base),
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
        "svg": {lang: f"charts/{chart.id}.{lang}.svg" for lang in LANGS},
        "notes": notes,
    }
    return chart_dict, _tidy(chart.id, series, shown)


# ------------------------------------------------------------------------------ the chapter


def compute_chapter(chapter_id: str, survey: Survey, compare_survey: Survey | None = None, *,
                    segment: str = "saas", filters: Sequence[Any] = (), allow_small_base: bool = False,
                    crosswalk: Any = None, spec: Spec | None = None) -> ChapterResult:
    """Every chart of one chapter from the report wave (and the comparison wave, if any).

    ``crosswalk`` maps the comparison wave onto the report wave for year-over-year charts; it is
    read from the project's data when a chapter needs it and none is given.
    """
    spec = spec or default_spec()
    chapter = spec.chapter(chapter_id)
    if segment not in spec.segments:
        raise FilterError(f"unknown segment '{segment}' (valid: {', '.join(spec.segments)})")
    conditions, triples = normalize_filters(filters)
    filter_text = describe_filters(conditions)
    report, n_total, n_segment = _filter_report(survey, conditions, segment=segment, spec=spec,
                                                allow_small_base=allow_small_base)
    compare, unfiltered_vars = _filter_compare(compare_survey, conditions)
    if compare is not None and crosswalk is None and any(c.compare == "yoy" for c in chapter.charts):
        from hakusho.crosswalk import load_crosswalk

        crosswalk = load_crosswalk()
    ctx = _Context(spec, segment, _Filtered(report, filter_text), compare, tuple(unfiltered_vars), crosswalk,
                   filter_text, filter_label(conditions, survey.codebook))

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
        "filter_label": filter_label(conditions, survey.codebook),
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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_chapter(result: ChapterResult, output_dir: Path | str, *, draw_charts: bool = True) -> ChapterResult:
    """Write the chapter's outputs into ``output_dir`` (created if missing); returns the result
    with ``output_dir`` set. ``draw_charts=False`` writes the numbers only (for quick checks)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "chapter.json", _json_text(result.chapter))
    _write(out / "figures.json", _json_text(result.figures))
    for chart_id, table in result.tables.items():
        _write(out / "tables" / f"{chart_id}.csv", csv_text(table))
    if draw_charts:
        _write_charts(result, out)
    return replace(result, output_dir=out)


def _write_charts(result: ChapterResult, out: Path) -> None:
    # Charts draw on plain Figures (no pyplot), so nothing is left open between charts.
    from hakusho.charts import draw_chart, save_svg

    for slide in result.slides:
        for chart in slide["charts"]:
            for lang in LANGS:
                save_svg(draw_chart(_plain(chart), lang), out / chart["svg"][lang])


def load_waves(wave: str, compare_wave: str = "", *, data_dir: str | Path = "",
               codebook_dir: str | Path = "") -> tuple[Survey, Survey | None]:
    """The report wave and the comparison wave (None for ``""``), from the given folders."""
    books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR

    def one(w: str) -> Survey:
        raw = Path(data_dir) / w if data_dir else None
        return _load_wave(w, raw_path=raw, codebook=load_codebook(books / f"{w}.yml"))

    return one(str(wave)), (one(str(compare_wave)) if compare_wave else None)


def _load_wave(wave: str, *, raw_path: Path | None, codebook: Codebook) -> Survey:
    from hakusho.load import load_wave

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
            from hakusho.crosswalk import load_crosswalk

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
