"""The build folder: where every stage leaves its outputs for the next, the typed documents in it,
and the one way they are read and written.

Layout of a build folder (the pipeline stages one; renderers read it)::

    survey.json                      SurveyDoc: waves, segment, filter, who was asked
    chapters/<id>/                   one chapter's outputs (a notebook of the spec's chapters)
    parts/<id>/                      a part that is not a chapter (the cross analysis: parts/cross/)

and inside each chapter's or part's folder::

    chapter.json | cross.json        ChapterDoc | CrossDoc: every chart or cross, numbers and notes
    figures.json                     Figures: every number prose may quote, by stable id
    tables/<id>.csv                  the tidy table behind each chart or cross
    charts/<id>.<lang>.svg           each chart, per language
    charts/<id>.<lang>.phone.svg     the same chart drawn for a phone's width (the HTML page)
    NN_name.ipynb                    the executed notebook

A published report keeps ``data/<id>.csv``, ``figures/<chapter>.json``, ``notebooks/`` and
``manifest.json`` beside the pages (:data:`REPORT_DATA` …).

Documents are typed (``TypedDict`` schemas checked by pydantic when read and when written): a
document that does not fit its schema is a BuildError naming the file and the field, and a
reader can rely on every key it uses. They stay plain JSON values (dicts and lists) so that
templates, notebooks and tests read them as they are. They are written one way — UTF-8, LF line
ends, sorted keys, one-space indent — so that two runs give the same bytes on every platform.

This module is the only one that spells a path inside a build folder or parses its JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NotRequired

from typing_extensions import TypedDict

from hakusho import content_store
from hakusho.config import display_path
from hakusho.errors import BuildError, Problem
from hakusho.messages import Msg, pydantic_message

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

# ------------------------------------------------------------------------------ layout

CHAPTERS = "chapters"
PARTS = "parts"
CROSS_PART = "cross"  # parts/<id>/ of the build folder holding the cross analysis
SURVEY = "survey.json"
CHAPTER_DOC = "chapter.json"
CROSS_DOC = "cross.json"
EXPLORE_DOC = "explore.json"  # parts/explore/: the explorer's pre-aggregated tables
FIGURES = "figures.json"
TABLES = "tables"
CHARTS = "charts"

# The published report, beside the pages.
REPORT_DATA = "data"  # the tidy tables behind every chart, data/<id>.csv
REPORT_FIGURES = "figures"  # every chapter's figures, figures/<chapter>.json
REPORT_NOTEBOOKS = "notebooks"  # the executed notebooks
MANIFEST = "manifest.json"


def table_file(item_id: str) -> str:
    """Where the tidy table behind a chart or cross lies in its output folder."""
    return f"{TABLES}/{item_id}.csv"


def chart_files(item_id: str, langs: Sequence[str], *, phone: bool = False) -> dict[str, str]:
    """Where a chart's or cross's SVG per language lies in its output folder (``phone``: the
    same chart drawn for a phone's width, which the HTML page shows on narrow screens)."""
    return {lang: f"{CHARTS}/{item_id}.{lang}{'.phone' if phone else ''}.svg" for lang in langs}


DRAWINGS = ("svg", "svg_phone")  # the document keys of an item's drawings: a slide's, a phone's


def notebook_folder(build_dir: Path, *, part: bool) -> Path:
    """Where a notebook runs: its outputs go to ``<folder>/<id>/`` (chapters/ or parts/)."""
    return Path(build_dir) / (PARTS if part else CHAPTERS)


def output_folder(build_dir: Path, item_id: str, *, part: bool) -> Path:
    """The folder of one chapter's (or part's) outputs."""
    return notebook_folder(build_dir, part=part) / item_id


def tables_of(folder: Path) -> list[Path]:
    """The tidy tables a chapter (or part) wrote, by name."""
    return sorted((Path(folder) / TABLES).glob("*.csv"))


# ------------------------------------------------------------------------------ documents

FORBID_EXTRA = {"extra": "forbid"}  # pydantic's config for every document: unknown keys are errors
Disclosure = Literal["ok", "indicative", "suppressed", "empty"]
Number = int | float


class Words(TypedDict):
    """A visible text in both report languages."""

    __pydantic_config__ = FORBID_EXTRA
    ja: str
    en: str


class Note(Words):
    """A note under a chart or cross: its catalog key and parameters, and its text per language."""

    __pydantic_config__ = FORBID_EXTRA
    key: str
    params: dict[str, Any]


class SeriesValue(TypedDict):
    """One choice in one series: count, base and the rounded share (None where not shown). A
    choice the series' wave did not offer has no value at all (or a count of None)."""

    __pydantic_config__ = FORBID_EXTRA
    count: int | None
    base: int | None
    pct: Number | None


class Row(TypedDict):
    """One choice of a chart's question, with its value in each series that offered it."""

    __pydantic_config__ = FORBID_EXTRA
    key: str
    code: int
    label: Words
    in_base: bool
    values: dict[str, SeriesValue]


class ChartSeries(TypedDict):
    """A population (or wave) a chart shows."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    wave: str
    label: Words
    base_n: int
    disclosure: Disclosure


class QuestionRef(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    id: str
    text: Words


class Adjusted(TypedDict):
    """A p-value after multiplicity control: Holm within its chart (``p_family``), Benjamini–
    Hochberg across the report (``p_report``); ``p_adjusted``, the larger, decides the flag."""

    __pydantic_config__ = FORBID_EXTRA
    p_family: Number
    p_report: Number
    p_adjusted: Number


class RouteTest(Adjusted):
    """The same comparison tested within response routes (Cochran–Mantel–Haenszel)."""

    __pydantic_config__ = FORBID_EXTRA
    test: str
    p_value: Number
    significant: bool


class Comparability(TypedDict):
    """How a choice is compared with the earlier wave: same, reworded or folded, and the earlier
    wording."""

    __pydantic_config__ = FORBID_EXTRA
    kind: Literal["same", "reworded", "folded"]
    compared_with: Words


class SeriesTest(TypedDict):
    """The test of one choice between two series (first minus second, in points), or (``scope``
    distribution) of an ordinal chart's whole distribution; a bucket of a distribution carries
    its change only. The adjusted p-value decides ``significant``."""

    __pydantic_config__ = FORBID_EXTRA
    key: str
    series: list[str]
    scope: NotRequired[Literal["choice", "bucket", "distribution"]]
    change_pt: NotRequired[Number | None]
    p_value: Number | None
    significant: bool | None
    test: str | None
    sparse: NotRequired[bool]  # Cochran's rule failed: an exact or Monte Carlo test was used
    p_family: NotRequired[Number]
    p_report: NotRequired[Number]
    p_adjusted: NotRequired[Number]
    route: NotRequired[RouteTest | None]
    crosswalk: NotRequired[Comparability]


class SeriesStep(TypedDict):
    """A step of a series across waves (two consecutive waves) and its tests."""

    __pydantic_config__ = FORBID_EXTRA
    pair: list[str]  # the newer wave, the older one
    tests: list[SeriesTest]
    distribution_test: NotRequired[SeriesTest | None]  # an ordinal chart's one test of the step


class Chart(TypedDict):
    """One chart of chapter.json: language-neutral, every number already rounded."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    title: Words
    answer: Literal["single", "multi", "ordinal"]
    compare: str | None
    wave: str
    base: str
    base_label: Words
    base_n: int
    disclosure: Disclosure
    question: QuestionRef
    series: list[ChartSeries]
    rows: list[Row]
    median: dict[str, str | None] | None  # per series: the median bucket (None when not shown)
    ranking: list[str]
    groups: dict[str, dict[str, Number | None]]
    tests: list[SeriesTest] | None
    distribution_test: NotRequired[SeriesTest | None]  # an ordinal chart's one test of the whole distribution
    table: str
    svg: Words | None  # per language; None when nobody is in the base (nothing is drawn)
    svg_phone: NotRequired[Words | None]  # the same, drawn for a phone's width
    notes: list[Note]
    steps: NotRequired[list[SeriesStep]]  # a series across waves: a test per further step
    source: NotRequired[Words]  # a chart of the comparison wave: that survey's title


class Slide(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    id: str
    charts: list[Chart]


class SamplingChoice(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    key: str
    label: Words
    count: int
    pct: Number | None


class SamplingSegment(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    id: str
    label: Words
    base: int
    choices: list[SamplingChoice]


class Sampling(TypedDict):
    """How each segment's respondents came in, by stratum (the response route)."""

    __pydantic_config__ = FORBID_EXTRA
    question: str
    label: Words
    segments: list[SamplingSegment]


Counts = Literal["exact", "perturbed"]  # a published report's counts, or a researcher's run's


class ChapterDoc(TypedDict):
    """chapter.json: one chapter of the report, as its notebook computed it."""

    __pydantic_config__ = FORBID_EXTRA
    chapter: str
    title: Words
    wave: str
    compare_wave: str
    segment: str
    filters: list[list[Any]]
    filter_text: str
    filter_label: Words
    n_total: int
    n_segment: int
    counts: NotRequired[Counts]
    sampling: NotRequired[Sampling | None]
    slides: list[Slide]
    series_n: NotRequired[dict[str, int]]  # a series across waves: every wave's respondents


class Band(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    key: str
    label: Words
    base: int
    disclosure: Disclosure


class CrossAxis(TypedDict):
    """The rows or columns of a cross: a question's choices (maybe folded) or a count of ticks."""

    __pydantic_config__ = FORBID_EXTRA
    source: str
    kind: Literal["choice", "count"]
    name: str
    label: Words
    ordered: bool
    bands: list[Band]
    counted: NotRequired[list[str]]  # count axes: the choices counted
    focus: NotRequired[str]  # the columns: the band the headline follows


class CrossStatistics(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    test: str
    yates_correction: bool
    alpha: float
    chi2: Number
    dof: int
    p_value: Number
    p_adjusted: NotRequired[Number]  # after Benjamini–Hochberg across the part's crosses: decides the flag
    adjustment: NotRequired[str]
    significant: bool
    n: int
    tested_shape: list[int]
    cramers_v: Number
    cramers_v_bias_corrected: bool
    strength: str
    strength_label: Words
    expected_min: Number
    expected_under_5_share: Number
    expected_warning: bool


class CrossTrend(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    test: str
    focus: str
    z: Number
    p_value: Number
    significant: bool
    direction: str | None


class CrossHeadline(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    keys: list[str]
    params: dict[str, Any]
    values: dict[str, Any]
    direction: str | None
    indicative: NotRequired[bool]  # it quotes a share on a base of 10–29, marked as indicative
    ja: str
    en: str


class Cross(TypedDict):
    """One cross of cross.json: counts, row shares, test, trend, headline and notes."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    title: Words
    population: str
    population_label: Words
    base_n: int
    disclosure: Disclosure
    counts_kind: NotRequired[Counts]
    rows: CrossAxis
    cols: CrossAxis
    counts: list[list[int]]
    row_pct: list[list[Number | None]]
    cell_disclosure: list[list[str]]
    expected: list[list[Number | None]] | None
    statistics: CrossStatistics | None
    trend: CrossTrend | None
    headline: CrossHeadline
    notes: list[Note]
    table: str
    svg: Words
    svg_phone: NotRequired[Words]  # the same, drawn for a phone's width


class CrossMethod(TypedDict):
    __pydantic_config__ = FORBID_EXTRA
    test: str
    yates_correction: bool
    alpha: float
    effect_size: str
    strength_bands: list[dict[str, Any]]
    trend_test: str
    suppress_below: int
    indicative_below: int
    adjustment: NotRequired[str]
    counts: NotRequired[Counts]
    text: Words


class CrossDoc(TypedDict):
    """cross.json: the cross-analysis part."""

    __pydantic_config__ = FORBID_EXTRA
    chapter: str
    title: Words
    wave: str
    segment: str
    filters: list[list[Any]]
    filter_text: str
    filter_label: Words
    n_total: int
    n_segment: int
    method: CrossMethod
    crosses: list[Cross]


FIGURE_KINDS = ("pct", "count", "n", "choice", "points", "flag", "statistic", "p_value")


class Figure(TypedDict):
    """One number prose may quote: its value and what kind of number it is, its base, its
    disclosure level and the filter it was computed under."""

    __pydantic_config__ = FORBID_EXTRA
    value: Any
    kind: Literal["pct", "count", "n", "choice", "points", "flag", "statistic", "p_value"]
    base: NotRequired[int | None]
    disclosure: NotRequired[str]
    filter: NotRequired[str]
    label: NotRequired[Words | None]  # choices: the choice's label
    digits: NotRequired[int]  # statistics: the decimals the report prints


Figures = dict[str, Figure]


class FigureTable(dict[str, Figure]):
    """The figures of a build as :func:`read_figures` returns them: ``digest`` names their content
    (the digests of the files they were read from), so work done from them can be found again
    (:class:`hakusho.content_store.Remembered`). Shared between readers: never changed."""

    digest: tuple[bytes, ...] = ()


class SurveyDoc(TypedDict):
    """survey.json: what the renderers need to know about the waves and the report's population."""

    __pydantic_config__ = FORBID_EXTRA
    wave: str
    compare_wave: str
    segment: str
    filters: list[list[Any]]
    filter_text: str
    n_total: int | None
    n_segment: int | None
    counts: NotRequired[Counts]  # exact (a published report) or perturbed (a researcher's run)
    survey: dict[str, Any]  # the codebook's survey description (SurveyInfo), as JSON
    compare_survey: dict[str, Any] | None
    synthetic: bool
    series_surveys: NotRequired[list[dict[str, Any]]]  # a series across waves: each wave's n and description


DOCUMENTS: dict[str, Any] = {SURVEY: SurveyDoc, CHAPTER_DOC: ChapterDoc, CROSS_DOC: CrossDoc, FIGURES: Figures}


@cache
def _adapter(schema: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter  # imported when a document is checked: a no-op build checks none

    return TypeAdapter(schema)


def _validation_error() -> type[ValidationError]:
    from pydantic import ValidationError

    return ValidationError


def _problems(exc: ValidationError, file: str) -> list[Problem]:
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(document)"
        if e["type"] == "missing":
            out.append(Problem(Msg("folder.key_missing", where=where), file=file))
        else:
            out.append(Problem(Msg("codebook.at_field", field=where, message=pydantic_message(e)), file=file,
                               value=e.get("input")))
    return out


def check(schema: Any, doc: Any, *, what: str | Msg, file: str) -> Any:
    """``doc`` checked against a document schema (a BuildError naming the field otherwise). The
    survey descriptions of survey.json are checked by the codebook's own model (one schema)."""
    try:
        checked = _adapter(schema).validate_python(doc)
        if schema is SurveyDoc:
            from hakusho.survey.codebook import SurveyInfo

            for info in (checked["survey"], checked["compare_survey"]):
                if info is not None:
                    SurveyInfo.model_validate(info)
        return checked
    except _validation_error() as exc:
        raise BuildError(Msg("folder.schema", what=what), _problems(exc, file)) from None


def check_chart(chart: Mapping[str, Any]) -> Chart:
    """A chart dict checked against the Chart schema; a BuildError names the chart and the field
    (``chart purpose: disclosure 'hidden' …``, ``chart purpose: key 'base_label' is missing``)."""
    try:
        return _adapter(Chart).validate_python(chart)
    except _validation_error() as exc:
        cid = chart.get("id", "?") if isinstance(chart, Mapping) else "?"
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "missing":
            raise BuildError(Msg("folder.chart_key_missing", id=cid, where=where)) from None
        raise BuildError(Msg("folder.chart_field", id=cid, where=where, value=repr(first.get("input")),
                             message=pydantic_message(first))) from None


# ------------------------------------------------------------------------------ reading a chart


def series_value(row: Row | Mapping[str, Any], series_id: str) -> Mapping[str, Any]:
    """A row's value in one series; empty (all None) where the series' wave did not offer the choice."""
    return row["values"].get(series_id) or {"count": None, "base": None, "pct": None}


def ranked_keys(chart: Chart | Mapping[str, Any], series_id: str) -> list[str]:
    """A series' choices by count, largest first, ties in questionnaire order; shown shares only."""
    rows = [r for r in chart["rows"] if r["in_base"] and series_id in r["values"]
            and r["values"][series_id]["pct"] is not None]
    return [r["key"] for r in sorted(rows, key=lambda r: -r["values"][series_id]["count"])]


def tests_by_key(chart: Chart | Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """A chart's tests by choice key (empty when it carries none)."""
    return {str(t["key"]): t for t in chart.get("tests") or []}


def drawings_missing(document: Mapping[str, Any], folder: Path, langs: Sequence[str],
                     keys: Sequence[str] = DRAWINGS) -> bool:
    """Whether a chapter.json (or cross.json) in ``folder`` lacks a drawing (of ``keys``) of an
    item in one of ``langs``."""
    items = [c for s in document.get("slides", []) for c in s.get("charts", [])] + list(document.get("crosses", []))
    return any(c.get(key) and not (Path(folder) / c[key][lang]).is_file()
               for c in items for lang in langs for key in keys)


# ------------------------------------------------------------------------------ writing


def plain(obj: Any) -> Any:
    """Mappings and sequences as dicts and lists, numpy scalars as Python numbers (checked by
    module, so that writing a document does not import numpy)."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        return obj.item()
    return obj


def json_text(obj: Any) -> str:
    """A document as the build folder holds it (NaN is an error, never written)."""
    return json.dumps(plain(obj), sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> None:
    """UTF-8 with LF line ends, whatever the platform: outputs must be byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_document(path: Path, doc: Any) -> None:
    """Write one of the build folder's documents (named by its file: survey.json, chapter.json,
    cross.json, figures.json), checked against its schema first."""
    path = Path(path)
    schema = DOCUMENTS[path.name]
    write_text(path, json_text(check(schema, plain(doc), what=path.name, file=display_path(path))))


# ------------------------------------------------------------------------------ reading


def read_json(path: Path, what: str | Msg) -> Any:
    """A JSON file of a build or a report; a missing or unreadable one is a BuildError naming it."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(Msg("folder.missing", what=what, name=path.name, folder=path.parent.name)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(Msg("folder.unreadable", what=what), [Problem(str(exc), file=path.name)]) from None


# Large documents read by content (the explorer's): a preview's rebuild after an edit of the
# text parses none of them again.
_KEPT: content_store.Remembered[Any] = content_store.Remembered(8)


def read_kept_json(path: Path, what: str | Msg) -> tuple[Any, bytes]:
    """A JSON file as :func:`read_json` reads it, with the digest of its bytes; the document is
    kept by that digest and shared with later readers of the same bytes, so it is never changed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BuildError(Msg("folder.missing", what=what, name=path.name, folder=path.parent.name)) from None
    digest = content_store.bytes_digest(raw)

    def parse() -> Any:
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BuildError(Msg("folder.unreadable", what=what), [Problem(str(exc), file=path.name)]) from None

    return _KEPT.get(digest, parse), digest


def read_document(path: Path, what: str | Msg) -> Any:
    """A document of the build folder, read and checked against its schema."""
    path = Path(path)
    return check(DOCUMENTS[path.name], read_json(path, what), what=what, file=display_path(path))


def read_survey(build_dir: Path) -> SurveyDoc:
    return read_document(Path(build_dir) / SURVEY, Msg("folder.what.survey"))


def read_chapter(folder: Path) -> ChapterDoc:
    """The chapter.json of one chapter's output folder."""
    return read_document(Path(folder) / CHAPTER_DOC, Msg("folder.what.chapter", id=Path(folder).name))


def read_figures(source: Path | str | Mapping[str, Any]) -> FigureTable:
    """The flat ``{figure_id: figure}`` map of a build, a published report or one file.

    ``source`` may be a mapping already, a ``figures.json`` file, or a folder holding either a
    merged ``figures.json``, per-chapter ``figures/<chapter>.json`` files (a published report), or
    ``chapters/<chapter>/figures.json`` (a build folder: the chapters' figures, which the editors'
    commentary quotes). A figure defined twice must be the same figure.
    """
    if isinstance(source, FigureTable):
        return source
    if isinstance(source, Mapping):
        return FigureTable({str(k): dict(v) for k, v in source.items()})  # type: ignore[misc]
    path = Path(source)
    if path.is_file():
        files = [path]
    elif (path / FIGURES).is_file():
        files = [path / FIGURES]
    elif sorted((path / REPORT_FIGURES).glob("*.json")):
        files = sorted((path / REPORT_FIGURES).glob("*.json"))
    elif sorted(path.glob(f"{CHAPTERS}/*/{FIGURES}")):
        files = sorted(path.glob(f"{CHAPTERS}/*/{FIGURES}"))
    else:
        raise BuildError(
            Msg("commentary.no_figures", path=display_path(path)),
            [Problem(Msg("commentary.problem.figure_files"), file=display_path(path))],
        )
    contents = []
    for file in files:
        try:
            contents.append(file.read_bytes())
        except OSError as exc:
            raise BuildError(Msg("commentary.figures_unreadable", name=display_path(file), detail=exc)) from None
    digest = tuple(content_store.bytes_digest(raw) for raw in contents)
    return _MERGED.get(digest, lambda: _merged_figures(path, files, contents, digest))


def _merged_figures(path: Path, files: list[Path], contents: list[bytes], digest: tuple[bytes, ...]) -> FigureTable:
    merged: dict[str, Figure] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    for file, raw, key in zip(files, contents, digest, strict=True):
        name = display_path(file)
        try:
            figures = _FIGURE_FILES.get(key, lambda: _figure_file(raw, name))  # noqa: B023 (called at once)
        except _NotFigures as exc:
            problems += exc.problems
            figures = exc.figures
        for fid, checked in figures.items():
            if fid in merged and merged[fid] != checked:
                problems.append(Problem(Msg("commentary.problem.defined_twice", other=origin[fid]), file=name,
                                        column=fid))
                continue
            merged[fid], origin[fid] = checked, name
    if problems:
        raise BuildError(Msg("commentary.figures_malformed", path=display_path(path)), problems)
    ordered = FigureTable(sorted(merged.items()))
    ordered.digest = digest
    return ordered


# The checked figures of a figures file, by its bytes: a build reads each several times (the
# commentary's check, lint and rendering), a preview again after every edit of the text.
_FIGURE_FILES: content_store.Remembered[dict[str, Figure]] = content_store.Remembered(256)
_MERGED: content_store.Remembered[FigureTable] = content_store.Remembered(16)


class _NotFigures(Exception):
    """A figures file holding entries that are not figures (the others are in ``figures``)."""

    def __init__(self, figures: dict[str, Figure], problems: list[Problem]) -> None:
        super().__init__()
        self.figures = figures
        self.problems = problems


def _figure_file(raw: bytes, name: str) -> dict[str, Figure]:
    """One figures file, each entry checked; raises _NotFigures when some are not figures."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(Msg("commentary.figures_unreadable", name=name, detail=exc)) from None
    if not isinstance(data, dict):
        raise BuildError(Msg("commentary.figures_not_object", name=name))
    figures: dict[str, Figure] = {}
    problems: list[Problem] = []
    for fid, figure in data.items():
        try:
            figures[fid] = _adapter(Figure).validate_python(figure)
        except _validation_error():
            problems.append(Problem(Msg("commentary.problem.not_a_figure"), file=name, column=fid,
                                    expected=Msg("commentary.expected.figure", kinds=", ".join(FIGURE_KINDS))))
    if problems:
        raise _NotFigures(figures, problems)
    return figures


def report_wave(path: Path) -> str | None:
    """The wave of a build folder (its survey.json) or a published report (its manifest)."""
    path = Path(path)
    for name, where in ((SURVEY, ("wave",)), (MANIFEST, ("wave",)), (MANIFEST, ("options", "wave"))):
        file = path / name
        if not file.is_file():
            continue
        try:
            value: Any = json.loads(file.read_text(encoding="utf-8"))
            for key in where:
                value = value.get(key)
        except (ValueError, AttributeError):
            value = None
        if value:
            return str(value)
    return None


@dataclass(frozen=True)
class Build:
    """A build folder, read: survey.json, the chapters in the spec's order, the cross-analysis
    part when the build ran it, and every figure."""

    root: Path
    survey: SurveyDoc
    chapters: tuple[ChapterDoc, ...]
    cross: CrossDoc | None = None  # parts/cross/cross.json, when the build has the part
    cross_figures: Mapping[str, Figure] = field(default_factory=dict)  # its figures.json
    # False for a renderer that shows no phone drawings (the PDF deck): they are then neither read
    # nor required, and a build that renders no HTML page does not draw them.
    phone_drawings: bool = True

    @cached_property
    def figures(self) -> dict[str, Figure]:
        return read_figures(self.root)

    @cached_property
    def charts(self) -> dict[str, Chart]:
        return {c["id"]: c for ch in self.chapters for s in ch["slides"] for c in s["charts"]}

    def chapter_dir(self, chapter_id: str) -> Path:
        return output_folder(self.root, chapter_id, part=False)

    def part_dir(self, part_id: str) -> Path:
        return output_folder(self.root, part_id, part=True)

    def chart_file(self, chart_id: str, relative: str) -> Path:
        """A file of a chart (its table, its SVG), in its chapter's folder."""
        chapter = next(ch for ch in self.chapters
                       if any(c["id"] == chart_id for s in ch["slides"] for c in s["charts"]))
        return self.chapter_dir(chapter["chapter"]) / relative

    def cross_file(self, relative: str) -> Path:
        """A file of the cross-analysis part (a cross's table or SVG)."""
        return self.part_dir(CROSS_PART) / relative

    def chart_svg(self, chart: Chart, lang: str, *, phone: bool = False) -> str | None:
        """A chart's drawing in ``lang`` (``phone``: the one for narrow screens); None for a chart
        with nobody in its base, or for a phone's drawing a build without one lacks (or one read
        without phone drawings)."""
        files = chart.get("svg_phone" if phone else "svg")
        if not files or (phone and not self.phone_drawings):
            return None
        return _drawing(self.chart_file(chart["id"], files[lang]), Msg("folder.what.chart", id=chart["id"]),
                        files[lang])

    def cross_svg(self, cross: Cross, lang: str, *, phone: bool = False) -> str | None:
        """A cross's drawing in ``lang`` (``phone``: the one for narrow screens, None when the
        build has none, or it is read without phone drawings)."""
        files = cross.get("svg_phone" if phone else "svg")
        if not files or (phone and not self.phone_drawings):
            return None
        return _drawing(self.cross_file(files[lang]), Msg("folder.what.cross_item", id=cross["id"]), files[lang])

    @property
    def wave(self) -> str:
        return str(self.survey["wave"])

    @property
    def compare_wave(self) -> str:
        return str(self.survey.get("compare_wave") or "")


def _drawing(path: Path, what: Msg, relative: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(Msg("folder.drawing_missing", what=what, path=relative)) from None


def build_wave(build_dir: Path | str) -> str | None:
    """The wave a build directory is of (its edition), from survey.json; None when unreadable."""
    try:
        return str(json.loads((Path(build_dir) / SURVEY).read_text(encoding="utf-8"))["wave"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # load_build then says what is wrong with the folder


def load_build(build_dir: Path | str, chapter_ids: Sequence[str]) -> Build:
    """Read a build folder; chapters come in the order of ``chapter_ids`` (the spec's), unknown
    ones are an error."""
    root = Path(build_dir)
    survey = read_survey(root)
    folder = root / CHAPTERS
    present = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    known = list(chapter_ids)
    unknown = [c for c in present if c not in known]
    if unknown:
        raise BuildError(Msg("folder.unknown_chapters", chapters=", ".join(unknown)),
                         [Problem(Msg("folder.problem.unknown_chapter"), file=f"{CHAPTERS}/", value=c,
                                  expected=", ".join(known)) for c in unknown])
    if not present:
        raise BuildError(Msg("folder.no_chapters"))
    chapters = tuple(read_chapter(folder / c) for c in known if c in present)
    for doc in chapters:
        if doc["wave"] != survey["wave"]:
            raise BuildError(Msg("folder.chapter_wave", chapter=doc["chapter"], wave=doc["wave"], build=survey["wave"]))
    cross, cross_figures = _load_cross(root, survey)
    return Build(root, survey, chapters, cross, cross_figures)


def _load_cross(root: Path, survey: SurveyDoc) -> tuple[CrossDoc | None, dict[str, Figure]]:
    """The cross-analysis part of a build (``parts/cross/``), or None when the build has none."""
    folder = output_folder(root, CROSS_PART, part=True)
    if not (folder / CROSS_DOC).is_file():
        return None, {}
    doc: CrossDoc = read_document(folder / CROSS_DOC, Msg("folder.what.cross"))
    if doc["wave"] != survey["wave"] or doc["segment"] != survey["segment"]:
        raise BuildError(Msg("folder.cross_wave", wave=doc["wave"], segment=doc["segment"],
                             build=survey["wave"], build_segment=survey["segment"]))
    figures = read_document(folder / FIGURES, Msg("folder.what.cross_figures"))
    return doc, figures
