"""The report in one language, ready to draw: the build directory turned into plain data.

Every visible string is resolved here — labels from the chapters (codebook), everything else
from the ``report`` message catalogs — and every number is formatted for the language by
:mod:`hakusho.text.numbers`. Headlines and commentary come from :mod:`hakusho.text.prose` (or from the
editors' commentary files, for chapter summaries and discussion). The renderers (HTML, Typst,
Quarto) receive this model and only place what it holds: no arithmetic, no lookups, no wording.

The model is plain JSON (dicts, lists, strings, booleans): the PDF stage hands it to Typst as
JSON through ``sys_inputs`` so no text is ever escaped by hand.

Input (the contract): ``build_dir/survey.json`` and ``build_dir/chapters/<id>/{chapter.json,
figures.json, tables/*.csv, charts/*.{ja,en}.svg}``; when the build ran the cross analysis, also
``build_dir/parts/cross/{cross.json, figures.json, tables/*.csv, charts/*.{ja,en}.svg}`` (the
special-analysis part, placed after the chapters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hakusho.analysis.compare import ALPHA, CHI2_TEST, Z_TEST
from hakusho.analysis.cross import decimal
from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW
from hakusho.analysis.spec import Spec, default_spec
from hakusho.errors import BuildError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.text import numbers
from hakusho.text.commentary import SUMMARY, commentary_model, load_figures
from hakusho.text.prose import ProseContext, chapter_summary, slide_prose

TEST_KEYS = {Z_TEST: "test.z", CHI2_TEST: "test.chi2"}
ALT_VALUES = 6  # values read out in a chart's alt text per series; the data table holds them all
CHAPTER_NUMBER = re.compile(r"ch(\d+)$")
CROSS_PART = "cross"  # parts/<id>/ of the build folder holding the cross analysis
# Notes every cross carries that the part's introduction states once for all of them.
CROSS_QUIET_NOTES = frozenset({"note.row_pct", "note.test", "note.trend"})

# Labels the templates place as they are (headings, table heads, link texts).
UI_KEYS = (
    "skip", "contents", "other_language", "other_language_hint", "synthetic_badge", "synthetic_notice",
    "summary", "discussion", "base", "notes", "note_mark", "question", "data_table", "back_to_contents",
)


def other_lang(lang: str) -> str:
    return next(x for x in LANGS if x != lang)


# ------------------------------------------------------------------------------ the build


@dataclass(frozen=True)
class Build:
    """A build directory, read: survey.json, the chapters in spec order, every figure."""

    root: Path
    survey: Mapping[str, Any]
    chapters: tuple[Mapping[str, Any], ...]
    cross: Mapping[str, Any] | None = None  # parts/cross/cross.json, when the build has the part
    cross_figures: Mapping[str, Any] = field(default_factory=dict)  # its figures.json

    @cached_property
    def figures(self) -> dict[str, dict[str, Any]]:
        return load_figures(self.root)

    @cached_property
    def charts(self) -> dict[str, Mapping[str, Any]]:
        return {c["id"]: c for ch in self.chapters for s in ch["slides"] for c in s["charts"]}

    def chapter_dir(self, chapter_id: str) -> Path:
        return self.root / "chapters" / chapter_id

    def chart_file(self, chart_id: str, relative: str) -> Path:
        chapter = next(ch for ch in self.chapters
                       if any(c["id"] == chart_id for s in ch["slides"] for c in s["charts"]))
        return self.chapter_dir(chapter["chapter"]) / relative

    @property
    def wave(self) -> str:
        return str(self.survey["wave"])

    @property
    def compare_wave(self) -> str:
        return str(self.survey.get("compare_wave") or "")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{what} is missing: {path.name} not found in {path.parent.name}/") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{what} cannot be read", [Problem(str(exc), file=path.name)]) from None


def load_build(build_dir: Path | str, spec: Spec | None = None) -> Build:
    """Read a build directory; chapters come in the spec's order, unknown ones are an error."""
    root = Path(build_dir)
    spec = spec or default_spec()
    survey = _read_json(root / "survey.json", "the survey description")
    folder = root / "chapters"
    present = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    known = [ch.id for ch in spec.chapters]
    unknown = [c for c in present if c not in known]
    if unknown:
        raise BuildError(f"the build holds chapters the spec does not know: {', '.join(unknown)}",
                         [Problem("unknown chapter folder", file="chapters/", value=c, expected=", ".join(known))
                          for c in unknown])
    if not present:
        raise BuildError("the build holds no chapters (expected chapters/<id>/chapter.json)")
    chapters = tuple(_read_json(folder / c / "chapter.json", f"chapter {c}") for c in known if c in present)
    for doc in chapters:
        if doc.get("wave") != survey.get("wave"):
            raise BuildError(f"chapter {doc.get('chapter')} is of wave {doc.get('wave')}, the build of wave "
                             f"{survey.get('wave')}")
    cross, cross_figures = _load_cross(root, survey)
    return Build(root, survey, chapters, cross, cross_figures)


def _load_cross(root: Path, survey: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, dict[str, Any]]:
    """The cross-analysis part of a build (``parts/cross/``), or None when the build has none."""
    folder = root / "parts" / CROSS_PART
    if not (folder / "cross.json").is_file():
        return None, {}
    doc = _read_json(folder / "cross.json", "the cross-analysis part")
    if doc.get("wave") != survey.get("wave") or doc.get("segment") != survey.get("segment"):
        raise BuildError(f"the cross-analysis part is of wave {doc.get('wave')} ({doc.get('segment')}), the build "
                         f"of wave {survey.get('wave')} ({survey.get('segment')})")
    figures = _read_json(folder / "figures.json", "the figures of the cross-analysis part")
    return doc, figures


# ------------------------------------------------------------------------------ pieces


class _Text:
    """Catalog look-ups and number formatting for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.t = Translator(lang)

    def __call__(self, key: str, **params: object) -> str:
        return self.t(key, **params)

    def join(self, items: Sequence[str]) -> str:
        return self.t("ui.list_separator").join(items)

    def label(self, obj: Mapping[str, str]) -> str:
        return str(obj[self.lang])


def _period(info: Mapping[str, Any], lang: str) -> str:
    return numbers.date_range(info["period_start"], info["period_end"], lang)


def _chapter_label(chapter_id: str, tx: _Text) -> str:
    m = CHAPTER_NUMBER.match(chapter_id)
    if m:
        return tx("ui.chapter_number", n=int(m.group(1)))
    return tx("ui.appendix")


def _cell(row: Mapping[str, Any], series_id: str) -> Mapping[str, Any]:
    """A row's value in one series; empty where the series' wave did not offer the choice."""
    return row["values"].get(series_id) or {"count": None, "base": None, "pct": None}


def _series_base(series: Mapping[str, Any], tx: _Text) -> str:
    return tx("ui.base_value", label=tx.label(series["label"]), n=numbers.base_n(series["base_n"], tx.lang))


def _base_line(chart: Mapping[str, Any], tx: _Text) -> str:
    series = chart["series"]
    if len(series) == 1:
        return tx("ui.base_value", label=tx.label(chart["base_label"]), n=numbers.base_n(chart["base_n"], tx.lang))
    return tx.join([_series_base(s, tx) for s in series])


def _alt_text(chart: Mapping[str, Any], tx: _Text) -> str:
    """What a screen reader hears for a chart: title, base and the shares (or counts) shown."""
    parts = []
    for series in chart["series"]:
        sid = series["id"]
        values = []
        rows = chart["rows"]
        for row in rows[:ALT_VALUES]:
            cell = _cell(row, sid)
            value = (numbers.pct(cell["pct"], tx.lang) if cell["pct"] is not None
                     else numbers.count(cell["count"], tx.lang) if cell["count"] is not None else numbers.DASH)
            values.append(tx("ui.alt_value", label=tx.label(row["label"]), value=value))
        if len(rows) > ALT_VALUES:
            values.append(tx("ui.alt_more", n=len(rows) - ALT_VALUES))
        text = tx.join(values)
        parts.append(tx("ui.alt_series", series=tx.label(series["label"]), values=text) if len(chart["series"]) > 1
                     else text)
    return tx("ui.chart_alt", title=tx.label(chart["title"]), base=_base_line(chart, tx), values=tx.join(parts))


def _tests_by_key(chart: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {t["key"]: t for t in chart.get("tests") or []}


def _test_name(test: str | None, tx: _Text) -> str:
    if test not in TEST_KEYS:
        raise BuildError(f"unknown significance test '{test}' (known: {', '.join(TEST_KEYS)})")
    return tx(TEST_KEYS[test])


def _difference_key(chart: Mapping[str, Any]) -> str:
    """The label of the difference column: a segment comparison is SaaS minus non-SaaS, not a
    change over time."""
    return "ui.segment_difference" if chart.get("compare") == "by_segment" else "ui.change"


def _difference(test: Mapping[str, Any]) -> Any:
    """The difference a test carries, in points (the chapter stage names it change_pt or diff_pt)."""
    return test.get("change_pt", test.get("diff_pt"))


def _table(chart: Mapping[str, Any], tx: _Text) -> dict[str, Any]:
    """The data table behind a chart: every row, count and share per series, and changes."""
    lang = tx.lang
    series = chart["series"]
    single = len(series) == 1
    header = [tx("ui.answer")]
    for s in series:
        if single:
            header += [tx("ui.count"), tx("ui.share")]
        else:
            name = tx.label(s["label"])
            header += [tx("ui.series_count", series=name), tx("ui.series_share", series=name)]
    tests = _tests_by_key(chart)
    per_row_marks = bool(tests) and chart["answer"] != "ordinal"
    if tests:
        header.append(tx(_difference_key(chart)))
        if per_row_marks:
            header.append(tx("ui.significant"))
    rows = []
    for row in chart["rows"]:
        cells = []
        for s in series:
            cell = _cell(row, s["id"])
            cells.append(numbers.count(cell["count"], lang) if cell["count"] is not None else numbers.DASH)
            cells.append(numbers.pct_cell(cell["pct"], lang))
        if tests:
            test = tests.get(row["key"], {})
            cells.append(numbers.points_cell(_difference(test), lang))
            if per_row_marks:
                cells.append(tx("ui.significant_mark") if test.get("significant") else "")
        rows.append({"label": tx.label(row["label"]), "cells": cells, "in_base": bool(row["in_base"])})
    caption = f"{tx.label(chart['title'])} — {_base_line(chart, tx)}"
    return {"caption": caption, "header": header, "rows": rows}


def _compare(chart: Mapping[str, Any], build: Build, tx: _Text) -> dict[str, Any] | None:
    """The comparison block: both waves (or both segments), the difference, marks, the test and,
    across waves, the caveat. A segment comparison reads SaaS minus non-SaaS."""
    tests = chart.get("tests")
    series = chart["series"]
    segments = chart.get("compare") == "by_segment"
    if chart.get("compare") not in ("yoy", "by_segment") or not tests or len(series) < 2:
        return None
    lang = tx.lang
    now, before = series[0], series[1]
    by_key = _tests_by_key(chart)
    ordinal = chart["answer"] == "ordinal"
    rows = []
    for row in chart["rows"]:
        test = by_key.get(row["key"])
        if test is None:
            continue
        rows.append({
            "label": tx.label(row["label"]),
            "before": numbers.pct_cell(_cell(row, before["id"])["pct"], lang),
            "after": numbers.pct_cell(_cell(row, now["id"])["pct"], lang),
            "change": numbers.points_cell(_difference(test), lang),
            "mark": tx("ui.significant_mark") if (test.get("significant") and not ordinal) else "",
        })
    tested = [t for t in tests if t.get("test")]
    distribution = None
    legend = None
    if tested:
        name = _test_name(tested[0]["test"], tx)
        if ordinal:
            first = tested[0]
            result = tx("ui.result.significant" if first["significant"] else "ui.result.not_significant")
            distribution = tx("ui.distribution_test", test=name, result=result,
                              p=numbers.p_value(first["p_value"], lang))
        elif segments:
            legend = tx("ui.segment_significance_legend", alpha=numbers.level(ALPHA, lang), test=name)
        else:
            legend = tx("ui.significance_legend", compare_wave=build.compare_wave, alpha=numbers.level(ALPHA, lang),
                        test=name)
    if segments:
        return {
            "title": tx("ui.segment_compare_title"),
            "header": [tx("ui.answer"), tx.label(before["label"]), tx.label(now["label"]),
                       tx("ui.segment_difference")] + ([] if ordinal else [tx("ui.significant")]),
            "per_row_marks": not ordinal,
            "rows": rows,
            "distribution": distribution,
            "legend": legend,
            "caveat": tx("ui.segment_compare_caveat"),
        }
    survey, other = build.survey["survey"], build.survey["compare_survey"]
    caveat = tx("ui.compare_caveat", compare_wave=before["wave"], wave=now["wave"],
                c_publisher=tx.label(other["publisher"]), c_period=_period(other, lang),
                c_n=numbers.base_n(before["base_n"], lang), publisher=tx.label(survey["publisher"]),
                period=_period(survey, lang), n=numbers.base_n(now["base_n"], lang))
    return {
        "title": tx("ui.compare_title", compare_wave=before["wave"]),
        "header": [tx("ui.answer"), tx.label(before["label"]), tx.label(now["label"]), tx("ui.change")]
        + ([] if ordinal else [tx("ui.significant")]),
        "per_row_marks": not ordinal,
        "rows": rows,
        "distribution": distribution,
        "legend": legend,
        "caveat": caveat,
    }


def _chart_view(chart: Mapping[str, Any], build: Build, tx: _Text) -> dict[str, Any]:
    lang = tx.lang
    badges = []
    if chart.get("compare") == "yoy" and len(chart["series"]) > 1:
        badges.append({"kind": "compare", "text": tx("ui.compare_badge", compare_wave=chart["series"][1]["wave"])})
    reference = None
    if chart.get("compare") == "ref_2023" or chart.get("wave") != build.wave:
        info = build.survey["compare_survey"]
        badges.append({"kind": "reference", "text": tx("ui.reference_badge", compare_wave=chart["wave"])})
        reference = tx("ui.reference_source", title=tx.label(info["title"]), publisher=tx.label(info["publisher"]),
                       period=_period(info, lang))
    if chart["disclosure"] == "indicative":
        badges.append({"kind": "indicative", "text": tx("ui.indicative")})
    elif chart["disclosure"] == "suppressed":
        badges.append({"kind": "suppressed", "text": tx("ui.suppressed")})
    elif chart["disclosure"] == "empty":
        badges.append({"kind": "empty", "text": tx("ui.empty")})
    svg = None  # an empty base has no drawing: its notes stand in the chart's place
    if chart.get("svg"):
        svg_path = build.chart_file(chart["id"], chart["svg"][lang])
        try:
            svg = svg_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BuildError(f"chart {chart['id']}: {chart['svg'][lang]} is missing from the build") from None
    csv_name = f"{chart['id']}.csv"
    return {
        "id": chart["id"],
        "anchor": f"chart-{chart['id']}",
        "title": tx.label(chart["title"]),
        "question": tx.label(chart["question"]["text"]),
        "base": _base_line(chart, tx),
        "disclosure": chart["disclosure"],
        "badges": badges,
        "reference": reference,
        "svg": svg,
        "alt": _alt_text(chart, tx),
        "notes": [str(n[lang]) for n in chart.get("notes") or []],
        "table": _table(chart, tx),
        "compare": _compare(chart, build, tx),
        "csv": {"href": f"../data/{csv_name}", "name": csv_name, "label": tx("ui.download_csv", file=csv_name)},
    }


# ------------------------------------------------------------------------------ methodology


def _condition_text(cond: Any, book: Codebook, tx: _Text) -> str:
    question = book.question(cond.var)
    values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
    labels = []
    for value in values:
        try:
            labels.append(question.choice(value).label(tx.lang))
        except KeyError:
            labels.append(str(value))
    choice = tx.join(labels)
    name = question.label(tx.lang)
    if cond.op == "includes":
        return tx("method.condition.includes", question=name, choice=choice)
    if cond.op == "excludes":
        return tx("method.condition.excludes", question=name, choice=choice)
    if cond.op == "==":
        return tx("method.condition.equals", question=name, choice=choice)
    return tx("method.condition.other", question=name, op=cond.op, choice=choice)


def population_definition(pop_id: str, spec: Spec, segment: str, book: Codebook, tx: _Text) -> str:
    """A base population in words, from the spec's conditions and the codebook's labels."""
    pop = spec.populations[pop_id]
    conditions = list(spec.segments[segment].where) if pop.segment else []
    conditions += [c for c in pop.where if c not in conditions]
    if not conditions:
        return tx("method.condition.everyone")
    joiner = tx("method.condition.join")
    clauses = [_condition_text(c, book, tx) for c in conditions]
    text = joiner.join(clauses) if tx.lang == "ja" else f" {joiner} ".join(clauses)
    return tx("method.condition.respondents", conditions=text)


def _used_populations(build: Build, spec: Spec) -> list[str]:
    used = set()
    for chart in build.charts.values():
        if chart.get("wave") != build.wave:
            continue
        used.add(chart["base"])
        used.update(s["id"] for s in chart["series"] if s["id"] in spec.populations)
    return [p for p in spec.populations if p in used]


def _methodology(build: Build, spec: Spec, book: Codebook, tx: _Text) -> dict[str, Any]:
    lang = tx.lang
    info, other = build.survey["survey"], build.survey.get("compare_survey")
    segment = str(build.survey["segment"])
    rows = [
        {"label": tx("method.label.publisher"), "value": tx.label(info["publisher"])},
        {"label": tx("method.label.method"), "value": tx.label(info["method"])},
        {"label": tx("method.label.target"), "value": tx.label(info["target"])},
    ]
    if info.get("sampling"):
        rows.append({"label": tx("method.label.sampling"),
                     "value": "\n".join(f"({i}) {tx.label(s)}" for i, s in enumerate(info["sampling"], 1))})
    rows.append({"label": tx("method.label.period"), "value": _period(info, lang)})
    rows.append({"label": tx("method.label.n_total"),
                 "value": tx("method.value.n_total", n=numbers.count(build.survey["n_total"], lang))})
    rows.append({"label": tx("method.label.n_segment"),
                 "value": tx("method.value.n_segment", segment=spec.segments[segment].label(lang),
                             n=numbers.count(build.survey["n_segment"], lang))})
    route = build.charts.get("route")
    if route is not None:
        sid = route["series"][0]["id"]
        items = [tx("method.value.route_item", label=tx.label(r["label"]),
                    share=numbers.pct_cell(_cell(r, sid)["pct"], lang),
                    count=numbers.count(_cell(r, sid)["count"], lang)) for r in route["rows"]]
        rows.append({"label": tx("method.label.route"), "value": tx.join(items)})
    if info.get("vendor"):
        rows.append({"label": tx("method.label.vendor"), "value": tx.label(info["vendor"])})
    if build.survey.get("filter_text"):
        rows.append({"label": tx("method.label.filter"), "value": str(build.survey["filter_text"])})
    if build.compare_wave and other:
        rows.append({"label": tx("method.label.compare"),
                     "value": tx("method.value.compare_no_n", title=tx.label(other["title"]),
                                 publisher=tx.label(other["publisher"]), period=_period(other, lang))})

    saas = book.question("industry").choice("saas").label(lang)
    bases = [{"label": spec.populations[p].label(lang),
              "definition": population_definition(p, spec, segment, book, tx)}
             for p in _used_populations(build, spec)]
    provenance = tx("method.provenance.synthetic" if build.survey.get("synthetic") else "method.provenance.real")
    rules = [
        {"label": tx("method.label.segments"), "text": tx("method.segments", saas_label=saas)},
        {"label": tx("method.label.rounding"), "text": tx("method.rounding")},
        {"label": tx("method.label.small_base"),
         "text": tx("method.small_base", indicative=INDICATIVE_BELOW, suppress=SUPPRESS_BELOW)},
        {"label": tx("method.label.dont_know"), "text": tx("method.dont_know")},
        {"label": tx("method.label.significance"),
         "text": tx("method.significance", z=tx("test.z"), chi2=tx("test.chi2"), alpha=numbers.level(ALPHA, lang))},
        {"label": tx("method.label.provenance"), "text": provenance},
    ]
    return {"anchor": "methodology", "title": tx("ui.methodology"), "survey_title": tx("ui.methodology_survey"),
            "rows": rows, "rules_title": tx("ui.methodology_rules"), "rules": rules,
            "bases_title": tx("method.label.bases"), "bases": bases}


def _colophon(build: Build, part: str, tx: _Text) -> dict[str, Any]:
    info = build.survey["survey"]
    publisher = tx.label(info["publisher"])
    title = tx.label(info["title"])
    rows = [
        {"label": tx("colophon.label.title"), "value": f"{title} {part}" if tx.lang == "ja" else f"{title}, {part}"},
        {"label": tx("colophon.label.publisher"),
         "value": tx("colophon.publisher", publisher=publisher, publisher_native=info["publisher"]["ja"])},
        {"label": tx("colophon.label.data"),
         "value": tx("method.provenance.synthetic" if build.survey.get("synthetic") else "method.provenance.real")},
        {"label": tx("colophon.label.generated"), "value": tx("colophon.generated")},
        {"label": tx("colophon.label.citation"), "value": tx("colophon.citation", publisher=publisher, title=title)},
        {"label": tx("colophon.label.font"), "value": tx("colophon.font")},
    ]
    return {"anchor": "colophon", "title": tx("ui.colophon"), "rows": rows,
            "copyright": tx("colophon.copyright", publisher=publisher)}


def _glossary(lang: str) -> dict[str, Any] | None:
    """The KPI glossary appendix, when the glossary module is part of this installation."""
    try:
        from hakusho.text import glossary  # type: ignore[attr-defined]
    except ModuleNotFoundError as exc:
        if exc.name == "hakusho.text.glossary":
            return None
        raise
    return glossary.glossary_model(lang)


# ------------------------------------------------------------------------------ the cross-analysis part


def _digits(build: Build, cross_id: str, name: str) -> int:
    """The decimals the report prints a statistic with, as the part's figures.json records them."""
    try:
        return int(build.cross_figures[f"cross.{cross_id}.{name}"]["digits"])
    except (KeyError, TypeError, ValueError):
        raise BuildError(f"cross {cross_id}: figures.json of the cross-analysis part gives no digits for "
                         f"cross.{cross_id}.{name}") from None


def _cross_statistics(doc: Mapping[str, Any], build: Build, tx: _Text) -> dict[str, Any] | None:
    """The test of one cross, each number as printed (None when it was not tested)."""
    s = doc["statistics"]
    if s is None:
        return None
    lang = tx.lang
    return {
        "chi2": decimal(s["chi2"], _digits(build, doc["id"], "chi2")),
        "dof": numbers.count(s["dof"], lang),
        "p": numbers.p_value(s["p_value"], lang),
        "v": decimal(s["cramers_v"], _digits(build, doc["id"], "cramers_v")),
        "strength": tx.label(s["strength_label"]),
        "significant": bool(s["significant"]),
    }


def _cross_base(n: int, level: str, tx: _Text) -> str:
    count = numbers.count(n, tx.lang)
    return tx("ui.cross.base_indicative", n=count) if level == "indicative" else count


def _cross_table(doc: Mapping[str, Any], base: str, tx: _Text) -> dict[str, Any]:
    """The cross as a table: row percentages with counts, each row's base, and the column bases.

    A share withheld by the disclosure rules (row or column under 10) prints as a dash; its count
    stays.
    """
    lang = tx.lang
    rows, cols = doc["rows"], doc["cols"]
    header = [tx.label(rows["label"]), *(tx.label(b["label"]) for b in cols["bands"]), tx("ui.cross.row_base")]
    body = []
    for i, band in enumerate(rows["bands"]):
        cells = [tx("ui.cross.cell", pct=numbers.pct_cell(doc["row_pct"][i][j], lang),
                    count=numbers.count(doc["counts"][i][j], lang)) for j in range(len(cols["bands"]))]
        cells.append(_cross_base(band["base"], band["disclosure"], tx))
        body.append({"label": tx.label(band["label"]), "cells": cells, "disclosure": band["disclosure"]})
    totals = [_cross_base(b["base"], b["disclosure"], tx) for b in cols["bands"]]
    totals.append(numbers.count(doc["base_n"], lang))
    caption = tx("ui.cross.caption", title=tx.label(doc["title"]), base=base, rows=tx.label(rows["label"]),
                 cols=tx.label(cols["label"]))
    return {"caption": caption, "header": header, "rows": body,
            "total": {"label": tx("ui.cross.col_base"), "cells": totals}}


def _cross_alt(doc: Mapping[str, Any], base: str, tx: _Text) -> str:
    """What a screen reader hears for a cross chart: the share of the focus band in every row."""
    cols = doc["cols"]
    j = next(k for k, b in enumerate(cols["bands"]) if b["key"] == cols["focus"])
    values = []
    for i, band in enumerate(doc["rows"]["bands"]):
        share = doc["row_pct"][i][j]
        value = (numbers.pct(share, tx.lang) if share is not None
                 else tx("ui.cross.alt_suppressed", n=numbers.count(band["base"], tx.lang)))
        values.append(tx("ui.alt_value", label=tx.label(band["label"]), value=value))
    return tx("ui.cross.alt", title=tx.label(doc["title"]), base=base, band=tx.label(cols["bands"][j]["label"]),
              rows=tx.label(doc["rows"]["label"]), values=tx.join(values))


def _cross_finding(doc: Mapping[str, Any], stats: Mapping[str, Any] | None, tx: _Text) -> str:
    title = tx.label(doc["title"])
    if stats is None:
        return tx("ui.cross.finding.untested", title=title)
    if stats["significant"]:
        return tx("ui.cross.finding.significant", title=title, strength=stats["strength"], v=stats["v"],
                  p=stats["p"])
    return tx("ui.cross.finding.not_significant", title=title, v=stats["v"], p=stats["p"])


def _cross_view(doc: Mapping[str, Any], build: Build, tx: _Text) -> dict[str, Any]:
    lang = tx.lang
    cross_id = doc["id"]
    base = tx("ui.base_value", label=tx.label(doc["population_label"]), n=numbers.base_n(doc["base_n"], lang))
    stats = _cross_statistics(doc, build, tx)
    trend = None
    if doc["trend"] is not None:
        focus = next(b for b in doc["cols"]["bands"] if b["key"] == doc["trend"]["focus"])
        trend = tx("ui.cross.trend", band=tx.label(focus["label"]), p=numbers.p_value(doc["trend"]["p_value"], lang))
    badges = []
    if doc["disclosure"] in ("indicative", "suppressed"):
        badges.append({"kind": doc["disclosure"], "text": tx(f"ui.{doc['disclosure']}")})
    svg_path = build.root / "parts" / CROSS_PART / doc["svg"][lang]
    try:
        svg = svg_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(f"cross {cross_id}: {doc['svg'][lang]} is missing from the build") from None
    csv_name = f"{cross_id}.csv"
    return {
        "id": cross_id,
        "anchor": f"cross-{cross_id}",
        "figure_anchor": f"cross-chart-{cross_id}",
        "title": tx.label(doc["title"]),
        "headline": str(doc["headline"][lang]),
        "finding": _cross_finding(doc, stats, tx),
        "base": base,
        "disclosure": doc["disclosure"],
        "badges": badges,
        "stats": stats,
        "statistics": tx("ui.cross.statistics", **{k: stats[k] for k in ("chi2", "dof", "p", "v", "strength")})
        if stats is not None else tx("ui.cross.untested"),
        "trend": trend,
        "svg": svg,
        "alt": _cross_alt(doc, base, tx),
        "notes": [str(n[lang]) for n in doc.get("notes") or [] if n.get("key") not in CROSS_QUIET_NOTES],
        "table": _cross_table(doc, base, tx),
        "csv": {"href": f"../data/{csv_name}", "name": csv_name, "label": tx("ui.download_csv", file=csv_name)},
        "other_href": f"../{other_lang(lang)}/index.html#cross-{cross_id}",
    }


def _cross_part(build: Build, tx: _Text) -> dict[str, Any] | None:
    """The special-analysis part (cross analysis), when the build has one: its introduction, one
    finding per cross, and per cross the headline, chart, test, notes and table."""
    doc = build.cross
    if doc is None:
        return None
    crosses = [_cross_view(c, build, tx) for c in doc["crosses"]]
    bases = list(dict.fromkeys(tx.label(c["population_label"]) for c in doc["crosses"]))
    return {
        "id": CROSS_PART,
        "anchor": CROSS_PART,
        "number": tx("ui.cross.number"),
        "title": tx.label(doc["title"]),
        "scope": tx("ui.cross.scope", bases=tx.join(bases)) if bases else "",
        "findings_title": tx("ui.cross.findings"),
        "findings": [c["finding"] for c in crosses],
        "about_title": tx("ui.cross.about"),
        "about": tx.label(doc["method"]["text"]),
        "labels": {"statistics": tx("ui.cross.statistics_label"), "trend": tx("ui.cross.trend_label")},
        "crosses": crosses,
        "other_href": f"../{other_lang(tx.lang)}/index.html#{CROSS_PART}",
    }


# ------------------------------------------------------------------------------ the model


def _chapter_view(doc: Mapping[str, Any], build: Build, ctx: ProseContext, tx: _Text,
                  commentary_root: Path | None) -> dict[str, Any]:
    lang = tx.lang
    other = other_lang(lang)
    slides = []
    headlines = {}
    for slide in doc["slides"]:
        prose = slide_prose(ctx, slide)
        headlines[slide["id"]] = prose.headline
        slides.append({
            "id": slide["id"],
            "anchor": slide["id"],
            "title": tx(_slide_title_key(slide["id"], build, tx), compare_wave=build.compare_wave),
            "headline": prose.headline,
            "commentary": list(prose.commentary),
            "charts": [_chart_view(c, build, tx) for c in slide["charts"]],
            "other_href": f"../{other}/index.html#{slide['id']}",
        })
    editorial = _editorial(build, doc["chapter"], lang, commentary_root)
    bases = list(dict.fromkeys(tx.label(c["base_label"]) for s in doc["slides"] for c in s["charts"]
                               if c.get("wave") == build.wave))
    return {
        "id": doc["chapter"],
        "anchor": doc["chapter"],
        "number": _chapter_label(doc["chapter"], tx),
        "title": tx.label(doc["title"]),
        "scope": tx("ui.scope", bases=tx.join(bases)) if bases else "",
        "summary": list(editorial["summary_points"]) if editorial else chapter_summary(doc["chapter"], headlines),
        "summary_source": "editors" if editorial else "generated",
        "discussion_html": list(editorial["paragraphs_html"]) if editorial else [],
        "discussion_blocks": list(editorial["blocks"]) if editorial else [],
        "slides": slides,
        "other_href": f"../{other}/index.html#{doc['chapter']}",
    }


def _slide_title_key(slide_id: str, build: Build, tx: _Text) -> str:
    """A slide's title; a title that names the SaaS segment has a variant for the other reports."""
    key = f"slide.{slide_id}.title"
    segment = str(build.survey.get("segment") or "saas")
    return f"{key}.{segment}" if tx.t.has(f"{key}.{segment}") else key


def _filter_line(build: Build, tx: _Text) -> str:
    """A filtered build's filter in words and the n it leaves, for the cover and every slide."""
    if not build.survey.get("filter_text"):
        return ""
    labels = (doc.get("filter_label") or {} for doc in build.chapters)
    words = next((str(label[tx.lang]) for label in labels if label.get(tx.lang)), str(build.survey["filter_text"]))
    return tx("ui.filter_badge", filter=words, n=numbers.base_n(build.survey["n_segment"], tx.lang))


def _editorial(build: Build, chapter: str, lang: str, root: Path | None) -> dict[str, Any] | None:
    """The editors' commentary of a chapter (or the summary). It is written about the whole,
    unfiltered SaaS report — its figures, population and comparisons across chapters — so the
    non-SaaS and integrated reports, filtered builds and builds of some chapters only use the
    generated text instead."""
    if str(build.survey.get("segment") or "saas") != "saas" or build.survey.get("filters"):
        return None
    if not {ch.id for ch in default_spec().chapters} <= {str(doc["chapter"]) for doc in build.chapters}:
        return None
    return commentary_model(build.root, build.wave, chapter, lang, root=root)


def _report_summary(build: Build, tx: _Text, commentary_root: Path | None) -> dict[str, Any] | None:
    """The editors' opening summary of the whole report (``summary.<lang>.md``), when there is one."""
    editorial = _editorial(build, SUMMARY, tx.lang, commentary_root)
    if editorial is None:
        return None
    return {"anchor": "summary", "title": tx("ui.report_summary"), "points": list(editorial["summary_points"]),
            "discussion_html": list(editorial["paragraphs_html"]), "discussion_blocks": list(editorial["blocks"])}


def report_model(build_dir: Path | str, lang: str, *, commentary_root: Path | None = None,
                 spec: Spec | None = None) -> dict[str, Any]:
    """The whole report in ``lang``: cover, contents, summary, chapters with slides, the special-analysis
    part (cross analysis, when the build ran it), methods, colophon.

    ``commentary_root`` replaces data/commentary (tests); editors' files, where present, supply
    the report's opening summary and a chapter's summary points and discussion; generated
    headlines the rest (the opening summary is then left out).
    """
    if lang not in LANGS:
        raise BuildError(f"unknown language '{lang}' (valid: {', '.join(LANGS)})")
    spec = spec or default_spec()
    build = load_build(build_dir, spec)
    tx = _Text(lang)
    book = load_codebook(build.wave)
    ctx = ProseContext(build.figures, build.charts, lang, build.wave, build.compare_wave,
                       segment=str(build.survey.get("segment") or "saas"))
    info = build.survey["survey"]
    segment = str(build.survey["segment"])
    part = tx(f"ui.part.{segment}")
    title = tx.label(info["title"])
    chapters = [_chapter_view(doc, build, ctx, tx, commentary_root) for doc in build.chapters]
    glossary = _glossary(lang)
    summary = _report_summary(build, tx, commentary_root)
    contents = [{"anchor": "summary", "number": "", "title": summary["title"], "slides": []}] if summary else []
    contents += [{"anchor": c["anchor"], "number": c["number"], "title": c["title"],
                  "slides": [{"anchor": s["anchor"], "title": s["title"]} for s in c["slides"]]} for c in chapters]
    cross = _cross_part(build, tx)
    if cross is not None:
        contents.append({"anchor": cross["anchor"], "number": cross["number"], "title": cross["title"],
                         "slides": [{"anchor": c["anchor"], "title": c["title"]} for c in cross["crosses"]]})
    back = [{"anchor": "methodology", "number": "", "title": tx("ui.methodology"), "slides": []}]
    if glossary is not None:
        back.append({"anchor": "glossary", "number": "", "title": str(glossary["title"]), "slides": []})
    back.append({"anchor": "colophon", "number": "", "title": tx("ui.colophon"), "slides": []})
    synthetic = bool(build.survey.get("synthetic"))
    return {
        "lang": lang,
        "other_lang": other_lang(lang),
        "wave": build.wave,
        "compare_wave": build.compare_wave,
        "title": title,
        "part": part,
        "page_title": tx("ui.page_title", title=title, part=part),
        "publisher": tx.label(info["publisher"]),
        "cover_line": tx("ui.cover_line", period=_period(info, lang), n=numbers.count(build.survey["n_total"], lang)),
        "synthetic": synthetic,
        "filter": _filter_line(build, tx),
        "ui": {key: tx(f"ui.{key}") for key in UI_KEYS},
        "contents": contents + back,
        "summary": summary,
        "chapters": chapters,
        "cross": cross,
        "methodology": _methodology(build, spec, book, tx),
        "glossary": glossary,
        "colophon": _colophon(build, part, tx),
    }
