"""The tabulation workbook (集計表): every table of the report in one Excel file per language.

Survey vendors deliver a report's tables as a workbook beside it, and members ask for them in
Excel rather than copying out of the HTML. The workbook holds, in this order:

* **目次 / Contents**: every sheet, what it holds and how many tables, linked;
* **one sheet per chapter** (単純集計表): every chart's table — answers down the side, for each
  series its count and share, the base (n) with the disclosure mark of the report (参考値 /
  回答数のみ / 該当者なし), the difference and significance mark where the chart compares, and
  the chart's notes;
* **特別分析 / Special analysis** (when the build has the cross part): each cross with counts and
  row shares;
* **one クロス集計表 sheet per profile variable** (the codebook's ``breakdown: true`` variables and
  the segment, tabulated by :mod:`hakusho.analysis.explore` for the page's explorer): the groups
  across the top (frozen), every question down the side, with the explorer's tests marked;
* **調査概要 / Methodology** (the report's own methodology section) and **注記 / Notes** (how to
  read the tables).

Every sheet states the report's part, its base and its filter in its second row, so a filtered
or segment build's workbook says what it is on every page. Renderers never compute: numbers come
from the build folder as the chapters wrote them (``chapters/<id>/chapter.json``, the same values
as ``tables/<chart>.csv``; ``parts/cross/cross.json``; ``parts/explore/explore.json``), wording
from the report's view model and the ``workbook`` message catalogs. Cells hold values — counts
as integers, shares as the report prints them (86.0 for 86.0 %) with a number format for the sign
— never formulas. Written by :func:`hakusho.render.sheets.workbook_bytes`, byte-reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW
from hakusho.analysis.explore import TOTAL
from hakusho.analysis.population import segment_name
from hakusho.analysis.spec import Spec, default_spec
from hakusho.build_folder import Build, tests_by_key
from hakusho.i18n import Translator
from hakusho.render import sheets
from hakusho.render.chart_view import chart_view, difference
from hakusho.render.cross_view import cross_part
from hakusho.render.explore_view import base_label, load_explore
from hakusho.render.methodology import methodology
from hakusho.render.sheets import POINTS_FORMAT, Cell, SheetWriter
from hakusho.render.viewmodel import chapter_label, load_build
from hakusho.render.wording import Wording
from hakusho.survey.codebook import load_codebook
from hakusho.text import numbers

DOMAIN = "workbook"
LABEL_WIDTH = 44.0  # the answer column wraps beyond this
SCOPE_ROWS = 3  # title, scope, legend: frozen and printed on every page
MARKS = {"indicative": "mark.indicative", "suppressed": "mark.suppressed", "empty": "mark.empty"}


def xlsx_name(wave: str, lang: str) -> str:
    return f"hakusho-{wave}-{lang}.xlsx"


class _Book:
    """One language's workbook being laid out: wording, the scope line, the sheets so far."""

    def __init__(self, model: Mapping[str, Any], build: Build, explore: Mapping[str, Any] | None,
                 lang: str) -> None:
        self.model = model
        self.build = build
        self.explore = explore
        self.lang = lang
        self.t = Translator(lang, DOMAIN)
        self.r = Translator(lang, "report")
        survey = build.survey
        self.filter_words = ""
        if survey.get("filter_text"):
            labels = [doc.get("filter_label") or {} for doc in build.chapters]
            self.filter_words = next((str(lb[lang]) for lb in labels if lb.get(lang)), str(survey["filter_text"]))
        segment = str(survey.get("segment") or "saas")
        self.segment = segment
        self.spec = model["spec"]
        self.scope = self.t("scope.line", part=model["part"], segment=segment_name(segment)[lang],
                            n=numbers.count(survey["n_segment"], lang), n_total=numbers.count(survey["n_total"], lang),
                            filter=self.filter_words or self.t("scope.no_filter"))
        self.wb = sheets.new_workbook(title=self.t("workbook.title", title=model["title"]),
                                      subject=self.t("workbook.subject"), creator="hakusho", language=lang)
        self.contents: list[tuple[str, str, int]] = []  # sheet, what it holds, tables

    # -- common pieces

    def sheet(self, name: str, title: str) -> SheetWriter:
        ws = self.wb.create_sheet(sheets.sheet_name(name, self.wb.sheetnames))
        writer = SheetWriter(ws)
        writer.line(title, "title")
        writer.line(self.scope, "scope")
        writer.line(self.t("scope.legend"), "legend")
        writer.blank()
        return writer

    def mark(self, level: str) -> Cell | None:
        return Cell(self.t(MARKS[level]), "mark") if level in MARKS else Cell("", "mark")

    def share(self, value: float | None, level: str) -> Cell:
        if value is None or level in ("suppressed", "empty"):
            return Cell(numbers.DASH, "dash")
        return Cell(float(value), "share_indicative" if level == "indicative" else "share")

    # -- sheets

    def chapter_sheet(self, doc: Mapping[str, Any], view: Mapping[str, Any]) -> None:
        title = f"{view['number']} {view['title']}"
        w = self.sheet(view["number"], title)
        w.cap(1, LABEL_WIDTH)
        charts = view["charts"]
        count = 0
        for slide in doc["slides"]:
            for chart in slide["charts"]:
                self.chart_table(w, chart, charts[chart["id"]])
                count += 1
        w.finish(freeze=f"B{SCOPE_ROWS + 1}", print_rows=f"1:{SCOPE_ROWS}")
        self.contents.append((w.ws.title, self.t("contents.gt", chapter=title), count))

    def chart_table(self, w: SheetWriter, chart: Mapping[str, Any], view: Mapping[str, Any]) -> None:
        """One chart as the report's data table, with numbers as values."""
        lang = self.lang
        w.line(view["title"], "heading")
        w.line(self.t("table.question", text=view["question"]), "text")
        badges = "".join(f"［{b['text']}］" if lang == "ja" else f" [{b['text']}]" for b in view["badges"])
        w.line(self.t("table.base", base=view["base"]) + badges, "text")
        header = view["table"]["header"]
        w.cells([Cell(h, "header") for h in header], height_lines=2)
        series = chart["series"]
        tests = tests_by_key(chart)
        marks = bool(tests) and chart["answer"] != "ordinal"
        base = [Cell(self.t("row.base"), "base_label")]
        for s in series:
            base += [Cell(int(s["base_n"]), "base"), self.mark(s["disclosure"])]
        w.cells(base)
        for row, shown in zip(chart["rows"], view["table"]["rows"], strict=True):
            cells = [Cell(shown["label"], "label")]
            for s in series:
                value = row["values"].get(s["id"]) or {}
                count = value.get("count")
                cells.append(Cell(int(count), "count") if count is not None else Cell(numbers.DASH, "dash"))
                cells.append(self.share(value.get("pct"), s["disclosure"]))
            if tests:
                test = tests.get(row["key"], {})
                diff = difference(test)
                cells.append(Cell(float(diff), "points", POINTS_FORMAT[lang]) if diff is not None
                             else Cell(numbers.DASH, "dash"))
                if marks:
                    cells.append(Cell(self.r("ui.significant_mark") if test.get("significant") else "", "mark"))
            w.cells(cells)
        for text in view["notes"]:
            w.line(self.t("table.note", text=text), "note")
        w.line(self.t("table.id", id=chart["id"]), "note")
        w.blank()

    def cross_sheet(self, part: Mapping[str, Any]) -> None:
        """The special-analysis part: each cross with counts, row shares and both margins."""
        w = self.sheet(part["number"], f"{part['number']} {part['title']}")
        w.cap(1, LABEL_WIDTH)
        docs = {c["id"]: c for c in self.build.cross["crosses"]} if self.build.cross else {}
        for view in part["crosses"]:
            doc = docs[view["id"]]
            w.line(view["title"], "heading")
            badges = "".join(f"［{b['text']}］" if self.lang == "ja" else f" [{b['text']}]" for b in view["badges"])
            w.line(self.t("table.base", base=view["base"]) + badges, "text")
            w.line(view["statistics"], "text")
            if view["trend"]:
                w.line(view["trend"], "text")
            rows, cols = doc["rows"], doc["cols"]
            head = w.cells([Cell(rows["label"][self.lang], "header"), Cell(self.r("ui.cross.row_base"), "header")]
                           + [c for b in cols["bands"] for c in (Cell(b["label"][self.lang], "header"), None)],
                           height_lines=2)
            for j in range(len(cols["bands"])):
                w.merge(head, 3 + 2 * j, 4 + 2 * j)
            w.cells([Cell("", "header"), Cell("", "header")]
                    + [c for _ in cols["bands"] for c in (Cell(self.t("col.count"), "header"),
                                                          Cell(self.t("col.share"), "header"))])
            for i, band in enumerate(rows["bands"]):
                cells = [Cell(band["label"][self.lang], "label"), Cell(int(band["base"]), "count")]
                for j in range(len(cols["bands"])):
                    level = doc["cell_disclosure"][i][j]
                    cells += [Cell(int(doc["counts"][i][j]), "count"), self.share(doc["row_pct"][i][j], level)]
                w.cells(cells)
            w.cells([Cell(self.r("ui.cross.col_base"), "base_label"), Cell(int(doc["base_n"]), "base")]
                    + [c for b in cols["bands"] for c in (Cell(int(b["base"]), "base"), self.mark(b["disclosure"]))])
            w.line(self.t("cross.row_pct"), "note")
            for text in view["notes"]:
                w.line(self.t("table.note", text=text), "note")
            w.line(self.t("table.id", id=doc["id"]), "note")
            w.blank()
        w.finish(freeze=f"B{SCOPE_ROWS + 1}", print_rows=f"1:{SCOPE_ROWS}")
        self.contents.append((w.ws.title, self.t("contents.cross", part=part["title"]), len(part["crosses"])))

    def crosstab_sheet(self, breakdown: Mapping[str, Any], tables: Mapping[str, Mapping[str, Any]]) -> None:
        """One profile variable: its groups across the top (frozen), every question down the side.

        The tables are the explorer's (:mod:`hakusho.analysis.explore`), of the report's segment:
        each question's base cut to the respondents the variable places in a group, the total
        (計) first; shares a test finds higher or lower than the rest of the table carry ▲ / ▼ in
        their number format (an ordinal question's distribution that differs, * on its n), so
        every cell stays the table's value.
        """
        lang = self.lang
        doc = self.explore
        variable = str(breakdown["label"][lang])
        w = self.sheet(self.t("sheet.crosstab", variable=variable), self.t("crosstab.title", variable=variable))
        w.cap(1, LABEL_WIDTH)
        groups = [(TOTAL, str(doc["total_label"][lang]))] + [(g["key"], str(g["label"][lang]))
                                                           for g in breakdown["groups"]]
        head = w.cells([Cell(self.t("col.group"), "header")]
                       + [c for _, label in groups for c in (Cell(label, "header"), Cell("", "header"))],
                       height_lines=2)
        for j in range(len(groups)):
            w.merge(head, 2 + 2 * j, 3 + 2 * j)
        w.cells([Cell("", "header")] + [c for _ in groups for c in (Cell(self.t("col.count"), "header"),
                                                                    Cell(self.t("col.share"), "header"))])
        frozen = w.row
        w.line(self.t("crosstab.about", variable=variable, total=doc["total_label"][lang]), "note")
        w.line(self.t("crosstab.marks", test=self.r("test.z"), chi2=self.r("test.chi2"),
                      alpha=numbers.level(float(doc["method"]["alpha"]), lang)), "note")
        w.blank()
        count = 0
        for question in doc["questions"]:
            table = tables.get(question["id"])
            if table is None:
                continue
            chart = self.build.charts.get(question["chart"])
            title = chart["title"][lang] if chart else question["label"][lang]
            base = base_label(self.spec, question["population"], self.segment, self.r)
            w.line(self.t("crosstab.block", title=title, population=base), "heading")
            w.line(self.t("table.question", text=question["text"][lang]), "text")
            rows = {row["group"]: row for row in table["rows"]}
            ordinal = question["answer"] == "ordinal"
            base_cells = [Cell(self.t("row.base"), "base_label")]
            for key, _ in groups:
                row = rows.get(key)
                if row is None:
                    base_cells += [Cell(numbers.DASH, "dash"), Cell("", "mark")]
                    continue
                differs = ordinal and any(row["significant"] or [])
                base_cells += [Cell(int(row["n"]), "base", sheets.marked_count() if differs else None),
                               self.mark(row["disclosure"])]
            w.cells(base_cells)
            for i, choice in enumerate(question["choices"]):
                cells = [Cell(str(choice["label"][lang]), "label")]
                for key, _ in groups:
                    row = rows.get(key)
                    if row is None:
                        cells += [Cell(numbers.DASH, "dash"), Cell(numbers.DASH, "dash")]
                        continue
                    pct = row["pcts"][i] if choice["in_base"] else None
                    share = self.share(pct, row["disclosure"])
                    if share.kind != "dash" and not ordinal and row["significant"][i]:
                        share.number_format = sheets.marked_share(int(row["directions"][i]))
                    cells += [Cell(int(row["counts"][i]), "count"), share]
                w.cells(cells)
            w.blank()
            count += 1
        w.finish(freeze=f"B{frozen}", print_rows=f"1:{frozen - 1}")
        self.contents.append((w.ws.title, self.t("contents.crosstab", variable=variable), count))

    def methodology_sheet(self) -> None:
        method = self.model["methodology"]
        w = self.sheet(self.t("sheet.methodology"), method["title"])
        w.cap(1, 28.0)
        w.cap(2, 96.0)
        for heading, items, text_key in ((method["survey_title"], method["rows"], "value"),
                                         (method["rules_title"], method["rules"], "text"),
                                         (method["bases_title"], method["bases"], "definition")):
            w.line(heading, "subheading")
            for item in items:
                text = str(item[text_key])
                w.cells([Cell(item["label"], "label"), Cell(text, "wrap")],
                        height_lines=sheets.wrapped_lines(text, 96.0))
            w.blank()
        w.finish(print_rows=f"1:{SCOPE_ROWS}", landscape=False)
        self.contents.append((w.ws.title, self.t("contents.methodology"), 0))

    def notes_sheet(self) -> None:
        w = self.sheet(self.t("sheet.notes"), self.t("notes.heading"))
        w.cap(1, 110.0)
        notes = [self.t("notes.rounding"), self.t("notes.base"), self.t("notes.multi"),
                 self.t("notes.indicative", indicative=INDICATIVE_BELOW),
                 self.t("notes.suppressed", suppress=SUPPRESS_BELOW)]
        if self.build.compare_wave:
            notes.append(self.t("notes.compare"))
        if self.explore is not None:
            notes.append(self.t("notes.crosstab", explore=self.r("explore.title")))
        notes.append(self.t("notes.values"))
        notes.append(self.t("contents.files"))
        notes.append(self.t("notes.segment", part=self.model["part"]))
        if self.filter_words:
            notes.append(self.t("notes.filter", filter=self.filter_words))
        if self.build.survey.get("counts") == "perturbed":  # a researcher's build: say so on paper too
            notes.append(self.t("notes.perturbed"))
        if self.model["synthetic"]:
            notes.append(self.r("ui.synthetic_notice"))
        for i, text in enumerate(notes, 1):
            w.cells([Cell(f"{i}. {text}", "wrap")], height_lines=sheets.wrapped_lines(f"{i}. {text}", 110.0))
        w.finish(print_rows=f"1:{SCOPE_ROWS}", landscape=False)
        self.contents.append((w.ws.title, self.t("contents.notes"), 0))

    def contents_sheet(self) -> None:
        """The first sheet: every other sheet with what it holds, linked."""
        ws = self.wb.create_sheet(sheets.sheet_name(self.t("sheet.contents"), self.wb.sheetnames), 0)
        w = SheetWriter(ws)
        w.line(self.t("workbook.title", title=self.model["title"]), "title")
        w.line(self.scope, "scope")
        w.line(self.r("ui.synthetic_notice") if self.model["synthetic"] else self.t("scope.legend"), "legend")
        w.blank()
        w.line(self.t("contents.heading"), "subheading")
        w.cells([Cell(self.t("contents.sheet"), "header"), Cell(self.t("contents.what"), "header"),
                 Cell(self.t("contents.tables"), "header")])
        for name, what, count in self.contents:
            w.cells([Cell(name, "link", link=f"'{name}'!A1"), Cell(what, "label"),
                     Cell(count, "count") if count else None])
        w.blank()
        w.line(self.t("contents.files"), "note")
        w.cap(2, 70.0)
        w.finish(print_rows=f"1:{SCOPE_ROWS}", landscape=False)


def workbook_model(build_dir: Path | str, lang: str, *, spec: Spec | None = None) -> dict[str, Any]:
    """What the workbook places, in ``lang``: the report's own view of every chart, cross and the
    methodology (:mod:`hakusho.render.chart_view`, :mod:`~hakusho.render.cross_view`,
    :mod:`~hakusho.render.methodology`), without the page's prose, pictures and explorer."""
    spec = spec or default_spec()
    build = load_build(build_dir, spec)
    tx = Wording(lang)
    info = build.survey["survey"]
    chapters = [{"number": chapter_label(doc["chapter"], tx), "title": tx.label(doc["title"]),
                 "charts": {c["id"]: chart_view(c, build, tx) for s in doc["slides"] for c in s["charts"]}}
                for doc in build.chapters]
    return {
        "wave": build.wave,
        "title": tx.label(info["title"]),
        "part": tx(f"ui.part.{build.survey['segment']}"),
        "synthetic": bool(build.survey.get("synthetic")),
        "chapters": chapters,
        "cross": cross_part(build, tx),
        "methodology": methodology(build, spec, load_codebook(build.wave), tx),
        "build": build,
        "spec": spec,
    }


def build_workbook(build_dir: Path | str, lang: str) -> tuple[Any, str]:
    """The workbook of one language (an openpyxl Workbook) and the report's wave."""
    root = Path(build_dir)
    model = workbook_model(root, lang)
    build = model["build"]
    book = _Book(model, build, load_explore(root), lang)
    for doc, view in zip(build.chapters, model["chapters"], strict=True):
        book.chapter_sheet(doc, view)
    if model["cross"]:
        book.cross_sheet(model["cross"])
    segment = str(build.survey.get("segment") or "saas")
    for breakdown in (book.explore or {}).get("breakdowns", []):
        tables = {t["question"]: t for t in book.explore["tables"]
                  if t["breakdown"] == breakdown["id"] and t["segment"] == segment}
        if tables:
            book.crosstab_sheet(breakdown, tables)
    book.methodology_sheet()
    book.notes_sheet()
    book.contents_sheet()
    book.wb.active = 0
    return book.wb, str(model["wave"])


def render_xlsx(build_dir: Path | str, out_dir: Path | str, lang: str) -> Path:
    """Write ``out_dir/<lang>/hakusho-<wave>-<lang>.xlsx`` for the build; returns its path."""
    wb, wave = build_workbook(build_dir, lang)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or 0)
    target = Path(out_dir) / lang / xlsx_name(wave, lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sheets.workbook_bytes(wb, epoch))
    return target

