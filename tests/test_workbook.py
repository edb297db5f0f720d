"""The tabulation workbook, read back as a member would open it: with openpyxl (cells, styles,
panes, formats) and with pandas (values). Every number must equal the chart tables behind the
report; marks, filter statements, widths and bytes are checked as well."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from chapter_fixtures import spec as fixture_spec
from chapter_fixtures import survey_2025
from fixtures_build import copy_chapters, fake_chapters, set_counts, survey_doc, write_build

from hakusho.analysis.cross_spec import load_crosses
from hakusho.analysis.explore import TOTAL, breakdowns, compute_explorer, explore_questions, write_explorer
from hakusho.analysis.spec import default_spec
from hakusho.i18n import LANGS, messages, missing_keys
from hakusho.pipeline import build, options, render_pool
from hakusho.render import sheets
from hakusho.render.workbook import render_xlsx, xlsx_name
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.wave import Survey
from hakusho.text.numbers import DASH

JAPANESE = re.compile(r"[\u203b\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
TABLE_ID = re.compile(r"data/([a-z0-9_]+)\.csv")
EPOCH = 1733011200  # 2024-12-01


@pytest.fixture(scope="module")
def chapters() -> dict[str, dict[str, Any]]:
    chapters = copy_chapters(fake_chapters())
    set_counts(chapters, "start_timing", {}, size=20)  # indicative
    set_counts(chapters, "reasons_not", {}, size=4)  # counts only
    return chapters


def _explorable_survey() -> Survey:
    """The fixtures' survey, with company size as the explorer's breakdown."""
    survey = survey_2025()
    data = survey.codebook.model_dump(mode="json", exclude={"source"})
    data["questions"] = [{**q, "breakdown": q["id"] == "employees"} for q in data["questions"]]
    return Survey(wave=survey.wave, codebook=Codebook.model_validate(data), responses=survey.responses)


def _write(root: Path, chapters: dict[str, dict[str, Any]], **survey: Any) -> Path:
    write_build(root, chapters, survey=survey_doc(**survey))
    write_explorer(compute_explorer(_explorable_survey(), spec=fixture_spec()), root / "parts" / "explore")
    return root


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, chapters) -> dict[str, Path]:
    root = _write(tmp_path_factory.mktemp("wb"), chapters)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        return {lang: render_xlsx(root, root / "out", lang) for lang in LANGS}


# ------------------------------------------------------------------ reading a sheet back


def _style(cell: Any) -> str:
    return str(cell.style).removeprefix(sheets.STYLE_PREFIX)


def chart_blocks(ws: Any) -> Iterator[tuple[str, list[Any], list[list[Any]], int]]:
    """(table id, base row, answer rows, index of the first answer row from 0) of every chart
    table on a chapter sheet, in order."""
    rows = list(ws.iter_rows())
    i = 0
    while i < len(rows):
        if rows[i][0].value is not None and _style(rows[i][0]) == "header":
            base = [c.value for c in rows[i + 1]]
            body, j = [], i + 2
            while j < len(rows) and rows[j][0].value is not None and _style(rows[j][0]) == "label":
                body.append([c.value for c in rows[j]])
                j += 1
            while not TABLE_ID.search(str(rows[j][0].value or "")):
                j += 1
            yield TABLE_ID.search(str(rows[j][0].value)).group(1), base, body, i + 2
            i = j
        i += 1


def _csv(root: Path, chart_id: str) -> pd.DataFrame:
    path = next((root / "chapters").glob(f"*/tables/{chart_id}.csv"))
    return pd.read_csv(path, keep_default_na=False, dtype={"series": str, "pct": str})


def _charts(chapters: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for ch in chapters.values() for s in ch["slides"] for c in s["charts"]}


# ------------------------------------------------------------------ tests


def test_sheets_contents_chapters_crosstabs_methodology_notes(books) -> None:
    ja = openpyxl.load_workbook(books["ja"]).sheetnames
    assert ja == ["目次", "第1章", "第2章", "第3章", "第4章", "第5章", "付録", "クロス集計（従業員数）",
                  "調査概要", "注記"]
    en = openpyxl.load_workbook(books["en"]).sheetnames
    assert en[0] == "Contents" and en[1] == "Chapter 1" and en[-2:] == ["Methodology", "Notes"]
    assert all(len(name) <= sheets.MAX_SHEET_NAME for name in ja + en)
    assert books["ja"].name == xlsx_name("2025", "ja") == "hakusho-2025-ja.xlsx"


@pytest.mark.parametrize("lang", LANGS)
def test_every_chart_table_reads_back_equal_to_its_csv(books, chapters, lang: str) -> None:
    path = books[lang]
    root = path.parents[2]
    wb = openpyxl.load_workbook(path)
    frames = pd.read_excel(path, sheet_name=None, header=None)
    charts = _charts(chapters)
    seen = []
    for name in wb.sheetnames[1:7]:
        ws = wb[name]
        for chart_id, base, body, first in chart_blocks(ws):
            seen.append(chart_id)
            chart = charts[chart_id]
            table = _csv(root, chart_id)
            for k, series in enumerate(chart["series"]):
                col = 1 + 2 * k
                rows = table[table["series"] == series["id"]]
                assert base[col] == series["base_n"] == int(rows["base"].iloc[0])
                by_key = {r["key"]: r for r in chart["rows"]}
                assert len(body) == len(chart["rows"])
                for row, cells in zip(chart["rows"], body, strict=True):
                    assert cells[0] == row["label"][lang]
                    csv_row = rows[rows["choice_key"] == row["key"]]
                    if csv_row.empty:  # a choice this series' wave did not offer
                        assert cells[col] == DASH and cells[col + 1] == DASH
                        continue
                    assert cells[col] == int(csv_row["count"].iloc[0])
                    pct = csv_row["pct"].iloc[0]
                    assert cells[col + 1] == (DASH if pct == "" else pytest.approx(float(pct))), (chart_id, row["key"])
                    assert by_key[row["key"]]["values"][series["id"]]["count"] == cells[col]
            # pandas reads the same values at the same places.
            frame = frames[name]
            for offset, cells in enumerate(body):
                for c, value in enumerate(cells):
                    if isinstance(value, int | float):
                        assert frame.iat[first + offset, c] == pytest.approx(value)
    assert seen == list(charts)


def test_marks_follow_the_report_indicative_and_counts_only(books, chapters) -> None:
    ws = openpyxl.load_workbook(books["ja"])
    blocks = {cid: (base, body) for name in ws.sheetnames[1:7] for cid, base, body, _ in chart_blocks(ws[name])}
    base, body = blocks["start_timing"]
    assert base[2] == "参考値"
    base, body = blocks["reasons_not"]
    assert base[1] == 4 and base[2] == "回答数のみ"
    assert all(row[2] == DASH for row in body) and all(isinstance(row[1], int) for row in body)
    ok_base, _ = blocks["cs_status"]
    assert not ok_base[2]
    # An indicative share is a value in italics, as the report sets it apart.
    sheet = ws[next(n for n in ws.sheetnames[1:7] if any(c.value == "参考値" for r in ws[n].iter_rows() for c in r))]
    italic = [c for r in sheet.iter_rows() for c in r if _style(c) == "share_indicative"]
    assert italic and all(isinstance(c.value, int | float) and c.font.i for c in italic)


@pytest.mark.parametrize("lang", LANGS)
def test_crosstab_sheet_holds_the_explorers_tables_of_the_reports_segment(books, lang: str) -> None:
    path = books[lang]
    doc = json.loads((path.parents[2] / "parts" / "explore" / "explore.json").read_text(encoding="utf-8"))
    breakdown = next(b for b in doc["breakdowns"] if b["id"] == "employees")
    tables = [t for t in doc["tables"] if t["breakdown"] == "employees" and t["segment"] == "saas"]
    questions = {q["id"]: q for q in doc["questions"]}
    wb = openpyxl.load_workbook(path)
    ws = wb[wb.sheetnames[7]]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(r for r in rows if r[0] in ("区分", "Group"))
    groups = [TOTAL, *(g["key"] for g in breakdown["groups"])]
    assert [v for v in header[1:] if v] == [doc["total_label"][lang], *(g["label"][lang] for g in breakdown["groups"])]
    base_label = messages(lang, "workbook")["row.base"]
    bases = [i for i, r in enumerate(rows) if r[0] == base_label]
    assert len(bases) == len(tables) > 3
    for i, table in zip(bases, tables, strict=True):
        by_group = {row["group"]: row for row in table["rows"]}
        assert [rows[i][1 + 2 * g] for g in range(len(groups))] == [by_group[k]["n"] for k in groups]
        for c, choice in enumerate(questions[table["question"]]["choices"]):
            cells = rows[i + 1 + c]
            assert cells[0] == choice["label"][lang]
            for g, key in enumerate(groups):
                row = by_group[key]
                assert cells[1 + 2 * g] == row["counts"][c]
                pct = row["pcts"][c] if choice["in_base"] else None
                assert cells[2 + 2 * g] == (DASH if pct is None else pytest.approx(pct))
    frozen_row = int(ws.freeze_panes[1:])
    assert ws.freeze_panes.startswith("B") and rows[frozen_row - 3][0] in ("区分", "Group")
    # A share a test finds higher or lower than the rest carries the mark in its format only.
    marked = [c for r in ws.iter_rows() for c in r if c.number_format in (sheets.marked_share(1),
                                                                          sheets.marked_share(-1))]
    assert marked and all(isinstance(c.value, int | float) for c in marked)


@pytest.mark.parametrize("lang", LANGS)
def test_values_not_formulas_with_number_formats(books, lang: str) -> None:
    wb = openpyxl.load_workbook(books[lang])
    shares = {sheets.SHARE_FORMAT, sheets.marked_share(1), sheets.marked_share(-1)}
    formats = {"share": shares, "share_indicative": shares, "count": {sheets.COUNT_FORMAT},
               "base": {sheets.COUNT_FORMAT, sheets.marked_count()}, "points": {sheets.POINTS_FORMAT[lang]}}
    kinds: dict[str, int] = {}
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and not str(cell.value or "").startswith("=")
                if isinstance(cell.value, int | float):
                    kind = _style(cell)
                    assert cell.number_format in formats[kind], (ws.title, cell.coordinate, kind)
                    kinds[kind] = kinds.get(kind, 0) + 1
    assert set(kinds) == set(formats) and kinds["share"] > 300


def test_frozen_headers_and_widths_that_fit_japanese_labels(books) -> None:
    wb = openpyxl.load_workbook(books["ja"])
    for name in wb.sheetnames[1:7]:
        ws = wb[name]
        assert ws.freeze_panes == "B4" and ws.print_title_rows == "$1:$3"
        labels = [c.value for r in ws.iter_rows(min_col=1, max_col=1) for c in r if _style(c) == "label"]
        widest = max(sheets.display_width(str(v)) for v in labels)
        width = ws.column_dimensions["A"].width
        assert width >= min(widest, 44) - 0.1, name
        assert width <= 46
    # Full-width characters count double.
    assert sheets.display_width("従業員規模") == 10 and sheets.display_width("SaaS") == 4


def test_the_workbook_is_byte_reproducible_and_dated_by_the_build(tmp_path: Path, books, monkeypatch) -> None:
    root = books["ja"].parents[2]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first = books["ja"].read_bytes()
    assert render_xlsx(root, tmp_path / "again", "ja").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        stamp = datetime.fromtimestamp(EPOCH, tz=UTC)
        assert {i.date_time for i in z.infolist()} == {stamp.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2024-12-01T00:00:00Z") == 2
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 86400))
    later = render_xlsx(root, tmp_path / "later", "ja").read_bytes()
    assert later != first
    props = openpyxl.load_workbook(io.BytesIO(later)).properties
    assert props.created == datetime(2024, 12, 2) and props.creator == "hakusho"


def test_a_filtered_build_states_its_filter_on_every_sheet(tmp_path: Path, chapters) -> None:
    filtered = copy_chapters(chapters)
    words = {"ja": "従業員規模 ≥ 1,000〜2,999名", "en": "Employees ≥ 1,000–2,999"}
    for doc in filtered.values():
        doc["filters"] = [["employees", ">=", 1000]]
        doc["filter_text"] = "employees >= 1000"
        doc["filter_label"] = words
    root = _write(tmp_path / "b", filtered, filter_text="employees >= 1000")
    for lang in LANGS:
        wb = openpyxl.load_workbook(render_xlsx(root, tmp_path / "out", lang))
        for ws in wb:
            assert words[lang] in str(ws["A2"].value), (lang, ws.title)


def test_the_english_workbook_has_no_japanese(books) -> None:
    wb = openpyxl.load_workbook(books["en"])
    leaks = [(ws.title, c.coordinate, c.value) for ws in wb for r in ws.iter_rows() for c in r
             if isinstance(c.value, str) and JAPANESE.search(c.value)]
    assert leaks == []


def test_workbook_catalogs_have_every_key_in_both_languages() -> None:
    assert missing_keys("workbook") == {}
    fields = re.compile(r"{(\w+)}")
    ja, en = messages("ja", "workbook"), messages("en", "workbook")
    assert {k: set(fields.findall(v)) for k, v in ja.items()} == {k: set(fields.findall(v)) for k, v in en.items()}
    assert [k for k, v in en.items() if JAPANESE.search(v)] == []
    assert [k for k, v in ja.items() if not JAPANESE.search(v)] == []


def test_the_build_knows_the_format_and_makes_it_by_default() -> None:
    assert "xlsx" in options.FORMATS and "xlsx" in options.DEFAULT_FORMATS
    assert render_pool.RENDERERS["xlsx"] == ("hakusho.render.workbook", "render_xlsx")
    assert render_pool._renderer("xlsx") is render_xlsx


# ------------------------------------------------------------------ the real report, built end to end


def _real_build(tmp_path: Path, **options: Any) -> Path:
    opts = build.BuildOptions(formats=("xlsx",), out=tmp_path / "report", cache_dir=tmp_path / "cache", jobs=2,
                              source_date_epoch=EPOCH, **options)
    return build.build(opts).target


def _published(target: Path, chart_id: str) -> pd.DataFrame:
    return pd.read_csv(target / "data" / f"{chart_id}.csv", keep_default_na=False,
                       dtype={"series": str, "pct": str, "wave": str})


@pytest.mark.slow
def test_the_built_workbooks_equal_the_published_chart_tables(tmp_path: Path) -> None:
    target = _real_build(tmp_path)
    for lang in LANGS:
        path = target / lang / xlsx_name("2025", lang)
        wb = openpyxl.load_workbook(path)
        seen = 0
        for name in wb.sheetnames[1:7]:
            for chart_id, base, body, _ in chart_blocks(wb[name]):
                table = _published(target, chart_id)
                for k, series in enumerate(dict.fromkeys(table["series"])):
                    rows = table[table["series"] == series]
                    assert base[1 + 2 * k] == int(rows["base"].iloc[0]), (chart_id, series)
                    for _, row in rows.iterrows():
                        cells = next(c for c in body if c[0] == row[f"label_{lang}"])
                        assert cells[1 + 2 * k] == int(row["count"])
                        shown = cells[2 + 2 * k]
                        assert shown == (DASH if row["pct"] == "" else pytest.approx(float(row["pct"])))
                seen += 1
        crosses = {c.id for c in load_crosses()}
        assert seen == len([p for p in (target / "data").glob("*.csv") if p.stem not in crosses])
        # The cross tabulations are the explorer's tables of the SaaS segment, as published.
        figures = json.loads((target / "figures" / "explore.json").read_text(encoding="utf-8"))
        spec, book = default_spec(), load_codebook("2025")
        questions = explore_questions(spec, book)
        sheets_seen = 0
        for cut in (c for c in breakdowns(spec, book) if "saas" in c.segments):
            head = "explore.saas.{}." + cut.id
            asked = [q for q in questions if f"{head.format(q.id)}.total.base" in figures]
            name = messages(lang, "workbook")["sheet.crosstab"].format(variable=cut.label[lang])[:31]
            rows = [[c.value for c in r] for r in wb[name].iter_rows()]
            bases = [i for i, r in enumerate(rows) if r[0] in ("母数（n）", "Base (n)")]
            assert len(bases) == len(asked), name
            groups = ["total", *(g.key for g in cut.groups)]
            for i, q in zip(bases, asked, strict=True):
                key = head.format(q.id)
                assert [rows[i][1 + 2 * g] for g in range(len(groups))] == [
                    figures[f"{key}.{g}.base"]["value"] for g in groups]
                for c, choice in enumerate(book.question(q.id).choices):
                    for g, group in enumerate(groups):
                        assert rows[i + 1 + c][1 + 2 * g] == figures[f"{key}.{group}.{choice.key}.count"]["value"]
                        pct = figures[f"{key}.{group}.{choice.key}.pct"]["value"]
                        assert rows[i + 1 + c][2 + 2 * g] == (DASH if pct is None else pytest.approx(pct))
            sheets_seen += 1
        assert sheets_seen >= 5


@pytest.mark.slow
def test_a_filtered_build_has_its_own_workbook_with_the_filter_on_every_sheet(tmp_path: Path) -> None:
    target = _real_build(tmp_path, filters=(("employees", ">=", 1000),))
    assert target.name != "2025"
    for lang in LANGS:
        wb = openpyxl.load_workbook(target / lang / xlsx_name("2025", lang))
        words = {"ja": "従業員規模", "en": "Employees"}[lang]
        for ws in wb:
            assert f"{words} ≥ 1000" in str(ws["A2"].value), (lang, ws.title)
        assert any(name.startswith(("クロス集計", "By ")) for name in wb.sheetnames)
        # A researcher's workbook: its counts are perturbed, the explorer's cross tabulations too,
        # and its notes say so.
        text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
        assert {"ja": "攪乱", "en": "cell-key perturbation"}[lang] in text, lang
