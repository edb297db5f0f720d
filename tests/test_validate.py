"""Validation of raw exports against a codebook: a catalogue of malformed inputs, each with the
exact place and wording of its report, built from a small questionnaire defined here."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakusho.errors import CodebookError, DataError, Problem
from hakusho.survey.codebook import Codebook
from hakusho.survey.load import to_responses
from hakusho.survey.raw import read_raw
from hakusho.survey.validate import (
    build_schema,
    code_span,
    expected_codes,
    find_problems,
    validate_raw,
    wave_of_path,
)


def _choice(code: int, key: str, **extra: object) -> dict:
    return {"code": code, "key": key, "ja": f"{key}（ja）", "en": key.replace("_", " "), **extra}


def _text(en: str) -> dict:
    return {"ja": f"{en}（ja）", "en": en}


SURVEY = {"title": _text("t"), "publisher": _text("p"), "method": _text("m"), "target": _text("t"),
          "period_start": "2025-01-06", "period_end": "2025-01-31"}

DOING = [["cs_status", "==", "doing"]]

CODEBOOK = {
    "wave": "2025",
    "survey": SURVEY,
    "id_column": "ID",
    "questions": [
        {"id": "route", "column": "Q1", "type": "single", "text": _text("Route"),
         "choices": [_choice(1, "sns"), _choice(2, "panel"), _choice(3, "event"), _choice(4, "other")]},
        {"id": "industry", "column": "Q2", "type": "single", "text": _text("Industry"),
         "choices": [_choice(i, k) for i, k in enumerate(
             ["saas", "it_other", "manufacturing", "finance", "retail", "services", "public", "other"], start=1)]},
        {"id": "employees", "column": "Q3", "type": "ordinal", "text": _text("Employees"),
         "choices": [_choice(1, "under_100", lower=0, upper=100), _choice(2, "from_100", lower=100, upper=1000),
                     _choice(3, "over_1000", lower=1000), _choice(9, "dont_know", in_base=False)]},
        {"id": "cs_status", "column": "Q4", "type": "single", "text": _text("CS status"),
         "choices": [_choice(1, "doing"), _choice(2, "planning"), _choice(3, "not_doing")]},
        {"id": "tools", "column": "Q5", "type": "multi", "text": _text("Tools"), "asked": DOING,
         "other_column": "Q5_other",
         "choices": [_choice(1, "crm"), _choice(2, "cs_platform"), _choice(3, "bi"),
                     _choice(4, "other", other_text=True)]},
        {"id": "csm_count", "column": "Q6", "type": "numeric", "text": _text("CSMs"), "asked": DOING},
        {"id": "kpi_nrr", "column": "Q7", "type": "single", "text": _text("NRR as a KPI"),
         "asked": [*DOING, ["employees", ">=", 100]], "choices": [_choice(1, "yes"), _choice(2, "no")]},
        {"id": "comment", "column": "Q8", "type": "text", "text": _text("Comment"), "required": False},
        {"id": "plan_reason", "column": "Q9", "type": "single", "text": _text("Why planning"),
         "asked": [["cs_status", "==", "planning"]],
         "choices": [_choice(1, "growth"), _choice(2, "churn"), _choice(3, "board")]},
        {"id": "channels", "column": "Q10", "type": "multi", "text": _text("Channels"), "required": False,
         "choices": [_choice(1, "email"), _choice(2, "chat"), _choice(3, "phone")]},
    ],
}

HEADER = ["ID", "Q1", "Q2", "Q3", "Q4", "Q5_1", "Q5_2", "Q5_3", "Q5_4", "Q5_other", "Q6", "Q7", "Q8", "Q9",
          "Q10_1", "Q10_2", "Q10_3"]

# One respondent per line, lines 2-6 of the file. R001 and R005 practise CS with 100+ staff (asked
# everything), R002 practises CS in a small firm (Q7 skipped), R003 plans (Q9 only), R004 does not.
VALID = [
    ["R001", "1", "1", "2", "1", "1", "0", "0", "1", "自社開発のツール", "3", "1", "", "", "1", "0", "0"],
    ["R002", "2", "3", "1", "1", "0", "1", "0", "0", "", "2", "", "よい調査", "", "", "", ""],
    ["R003", "3", "2", "9", "2", "", "", "", "", "", "", "", "", "2", "0", "1", "0"],
    ["R004", "4", "8", "3", "3", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["R005", "1", "1", "3", "1", "0", "0", "1", "0", "", "12", "2", "", "", "0", "0", "1"],
]

FILE = "2025/responses.csv"


def codebook(**changes: object) -> Codebook:
    return Codebook.model_validate({**CODEBOOK, **changes})


def table(rows: list[list[str]] | None = None, header: list[str] | None = None) -> list[list[str]]:
    return [list(header or HEADER)] + [list(r) for r in (rows if rows is not None else VALID)]


def write(tmp_path: Path, lines: list[list[str]], folder: str = "2025") -> Path:
    path = tmp_path / folder / "responses.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(lines)
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work inside tmp_path, so that reports name files as a person there would see them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_of(tmp_path: Path, lines: list[list[str]], book: Codebook | None = None,
                **kwargs: object) -> list[Problem]:
    path = write(tmp_path, lines)
    book = book or codebook()
    return find_problems(read_raw(path, id_column=book.id_column), book, path, others=[], **kwargs)


def set_cell(respondent: str, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def change(lines: list[list[str]]) -> None:
        row = next(r for r in lines[1:] if r[0] == respondent)
        row[lines[0].index(column)] = value
    return change


def set_cells(respondent: str, **values: str) -> Callable[[list[list[str]]], None]:
    def change(lines: list[list[str]]) -> None:
        for column, value in values.items():
            set_cell(respondent, column, value)(lines)
    return change


def drop_column(column: str) -> Callable[[list[list[str]]], None]:
    def change(lines: list[list[str]]) -> None:
        position = lines[0].index(column)
        for row in lines:
            del row[position]
    return change


def add_column(column: str, value: str = "") -> Callable[[list[list[str]]], None]:
    def change(lines: list[list[str]]) -> None:
        lines[0].append(column)
        for row in lines[1:]:
            row.append(value)
    return change


def cell(message: str, row: int, respondent: str | None, column: str, value: object, expected: str) -> Problem:
    return Problem(message, file=FILE, row=row, respondent=respondent, column=column, value=value, expected=expected)


ROUTE = "one of 1–4 (sns, panel, event, other)"
EMPLOYEES = "one of 1, 2, 3, 9 (under_100, from_100, over_1000, dont_know)"
INDUSTRY = "one of 1–8 (saas, it_other, manufacturing, finance, retail, services …)"
NOT_ASKED_Q7 = "blank: Q7 is asked only when cs_status == doing and employees >= 100"
NOT_ASKED_Q5 = "blank: Q5 is asked only when cs_status == doing"

# (case id, change to the valid table, the problems it must produce — all of them, in order)
CATALOGUE: list[tuple[str, Callable[[list[list[str]]], None], list[Problem]]] = [
    ("unknown code between valid codes", set_cell("R002", "Q3", "5"),
     [cell("unknown code", 3, "R002", "Q3", "5", EMPLOYEES)]),
    ("code above the range", set_cell("R001", "Q1", "7"),
     [cell("code out of range", 2, "R001", "Q1", "7", ROUTE)]),
    ("code below the range", set_cell("R004", "Q1", "0"),
     [cell("code out of range", 5, "R004", "Q1", "0", ROUTE)]),
    ("long choice lists are abbreviated", set_cell("R003", "Q2", "12"),
     [cell("code out of range", 4, "R003", "Q2", "12", INDUSTRY)]),
    ("a label instead of a code", set_cell("R004", "Q1", "sns"),
     [cell("not a choice code", 5, "R004", "Q1", "sns", ROUTE)]),
    ("a decimal instead of a code", set_cell("R005", "Q1", "1.5"),
     [cell("not a choice code", 6, "R005", "Q1", "1.5", ROUTE)]),
    ("multi-answer cell that is 2", set_cell("R001", "Q5_2", "2"),
     [cell("not 0 or 1", 2, "R001", "Q5_2", "2", "0 or 1")]),
    ("multi-answer cell that is text", set_cell("R003", "Q10_3", "yes"),
     [cell("not 0 or 1", 4, "R003", "Q10_3", "yes", "0 or 1")]),
    ("numeric answer that is a word", set_cell("R002", "Q6", "two"),
     [cell("not a number", 3, "R002", "Q6", "two", "a number")]),
    ("missing single-answer column", drop_column("Q7"),
     [Problem("missing column", file=FILE, column="Q7", expected="a column for the single-answer question kpi_nrr")]),
    ("missing multi-answer column", drop_column("Q5_3"),
     [Problem("missing column", file=FILE, column="Q5_3", expected="a column for the multi-answer question tools")]),
    ("missing free-text column", drop_column("Q5_other"),
     [Problem("missing column", file=FILE, column="Q5_other", expected="a column for the free text of tools")]),
    ("missing id column", drop_column("ID"),
     [Problem("missing column", file=FILE, column="ID", expected="a column for the respondent id")]),
    ("unexpected column", add_column("Q99", "1"),
     [Problem("unexpected column", file=FILE, column="Q99", expected="only the columns codebook 2025 describes")]),
    ("duplicate respondent id", set_cell("R004", "ID", "R002"),
     [cell("duplicate respondent id", 5, "R002", "ID", "R002", "an id used once (also on row 3)")]),
    ("duplicate id differing only in spaces", set_cell("R005", "ID", " R001 "),
     [cell("duplicate respondent id", 6, "R001", "ID", " R001 ", "an id used once (also on row 2)")]),
    ("blank respondent id", set_cell("R003", "ID", ""),
     [cell("blank respondent id", 4, None, "ID", "", "a respondent id")]),
    ("answer where routing skipped the question", set_cell("R003", "Q7", "1"),
     [cell("answer where the question was not asked", 4, "R003", "Q7", "1", NOT_ASKED_Q7)]),
    ("answer skipped by the second routing condition", set_cell("R002", "Q7", "2"),
     [cell("answer where the question was not asked", 3, "R002", "Q7", "2", NOT_ASKED_Q7)]),
    ("multi answer where not asked, reported once", set_cells("R004", Q5_1="0", Q5_2="1", Q5_3="0", Q5_4="0"),
     [cell("answer where the question was not asked", 5, "R004", "Q5_1", "0", NOT_ASKED_Q5)]),
    ("free text where the question was not asked", set_cell("R003", "Q5_other", "メモ"),
     [cell("answer where the question was not asked", 4, "R003", "Q5_other", "メモ", NOT_ASKED_Q5)]),
    ("numeric answer where not asked", set_cell("R004", "Q6", "4"),
     [cell("answer where the question was not asked", 5, "R004", "Q6", "4", "blank: Q6 is asked only when "
                                                                             "cs_status == doing")]),
    ("required answer missing where asked", set_cell("R001", "Q7", ""),
     [cell("required answer missing", 2, "R001", "Q7", "",
           "an answer: Q7 is asked when cs_status == doing and employees >= 100")]),
    ("required answer missing, asked of everyone", set_cell("R002", "Q2", ""),
     [cell("required answer missing", 3, "R002", "Q2", "", "an answer: everyone is asked Q2")]),
    ("multi-answer cell blank where asked", set_cell("R005", "Q5_3", ""),
     [cell("required answer missing", 6, "R005", "Q5_3", "", "0 or 1: Q5 is asked when cs_status == doing")]),
    ("optional multi answer half filled", set_cells("R004", Q10_2="1"),
     [cell("required answer missing", 5, "R004", "Q10_1", "", "0 or 1: everyone is asked Q10")]),
    ("routed multi answer with nothing ticked", set_cells("R002", Q5_2="0"),
     [cell("no choice ticked", 3, "R002", "Q5_1…Q5_4", "all 0",
           "at least one 1: Q5 is asked when cs_status == doing")]),
    ("other text without the other choice", set_cell("R002", "Q5_other", "独自ツール"),
     [cell("free text without its choice", 3, "R002", "Q5_other", "独自ツール", "blank: filled only when Q5_4 is 1")]),
    ("invalid routing answer is reported alone", set_cell("R003", "Q4", "planning"),
     [cell("not a choice code", 4, "R003", "Q4", "planning", "one of 1–3 (doing, planning, not_doing)")]),
    ("a problem on a row below a quoted line break", lambda lines: (set_cell("R002", "Q8", "一行目\n二行目")(lines),
                                                                    set_cell("R004", "Q1", "5")(lines)),
     [cell("code out of range", 6, "R004", "Q1", "5", ROUTE)]),
]


def test_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) >= 20
    assert len({case for case, _, _ in CATALOGUE}) == len(CATALOGUE)


def test_the_valid_table_is_valid(here: Path) -> None:
    assert problems_of(here, table()) == []


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in CATALOGUE], ids=[i for i, _, _ in CATALOGUE])
def test_malformed_input_is_reported_where_it_is(here: Path, change: Callable, expected: list[Problem]) -> None:
    lines = table()
    change(lines)
    assert problems_of(here, lines) == expected


# Problems on different rows and columns; within a row, in column order.
COMBINED = ["unexpected column", "code above the range", "unknown code between valid codes",
            "answer where routing skipped the question", "multi-answer cell that is text",
            "duplicate respondent id", "multi-answer cell blank where asked"]


def test_every_problem_is_reported_at_once_in_file_order(here: Path) -> None:
    cases = {case: (change, expected) for case, change, expected in CATALOGUE}
    lines = table()
    for case in COMBINED:
        cases[case][0](lines)
    expected = [p for case in COMBINED for p in cases[case][1]]
    expected.sort(key=lambda p: (p.row is not None, p.row or 0))
    with pytest.raises(DataError) as info:
        validate_raw(read_raw(write(here, lines)), codebook(), here / FILE, others=[])
    assert info.value.message == f"{FILE} does not match codebook 2025: 7 problems"
    assert info.value.problems == expected


def test_report_shows_twenty_problems_and_counts_the_rest(here: Path) -> None:
    rows = [[f"R{i:03d}", "7", "1", "1", "3"] + [""] * 12 for i in range(25)]
    with pytest.raises(DataError) as info:
        validate_raw(read_raw(write(here, table(rows))), codebook(), here / FILE, others=[])
    report = info.value.report().splitlines()
    assert report[0] == f"{FILE} does not match codebook 2025: 25 problems"
    assert report[1] == (f"  - {FILE}, row 2, respondent R000, column Q1: code out of range "
                         f"(value '7'; expected {ROUTE})")
    assert len(report) == 1 + 20 + 1
    assert report[-1] == "  … and 5 more problem(s)"


# --- the wrong codebook ------------------------------------------------------------------------


OTHER_WAVE = {
    "wave": "2023",
    "survey": SURVEY,
    "id_column": "SampleNo",
    "questions": [
        {"id": "route", "column": "A1", "type": "single", "text": _text("Route"),
         "choices": [_choice(1, "sns"), _choice(2, "panel")]},
        {"id": "acv", "column": "A2", "type": "ordinal", "text": _text("Contract value"),
         "choices": [_choice(1, "low"), _choice(2, "high")]},
        {"id": "nrr_kpi", "column": "A3", "type": "multi", "text": _text("KPIs"),
         "choices": [_choice(1, "nrr"), _choice(2, "grr"), _choice(3, "churn")]},
    ],
}


def test_codebook_of_another_wave_than_the_folder(here: Path) -> None:
    book = codebook(wave="2023")
    assert problems_of(here, table(), book) == [
        Problem("codebook 2023 does not describe this file; expected codebook 2025", file=FILE,
                expected="the codebook of folder 2025")]


def test_codebook_of_another_wave_than_declared(here: Path) -> None:
    found = problems_of(here, table(), codebook(), wave="2023")
    assert found == [Problem("codebook 2025 does not describe this file; expected codebook 2023", file=FILE,
                             expected="the codebook of wave 2023")]


def test_columns_of_another_wave(here: Path) -> None:
    other = Codebook.model_validate(OTHER_WAVE)
    lines = [["SampleNo", "A1", "A2", "A3_1", "A3_2", "A3_3"], ["S1", "1", "2", "1", "0", "0"]]
    path = write(here, lines)
    found = find_problems(read_raw(path), codebook(), path, others=[other])
    assert found == [Problem("codebook 2025 does not describe this file; expected codebook 2023", file=FILE,
                             expected="columns of wave 2025; the file has those of wave 2023")]


def test_columns_of_no_known_wave(here: Path) -> None:
    lines = [["SampleNo", "A1", "A2"], ["S1", "1", "2"]]
    path = write(here, lines)
    assert find_problems(read_raw(path), codebook(), path, others=[]) == [
        Problem("codebook 2025 does not describe this file", file=FILE,
                expected="its 17 columns; the file has 0 of them and 3 others")]


def test_codebooks_next_to_each_other_are_compared(here: Path) -> None:
    """A codebook read from a file looks for its neighbours to name the wave a file belongs to."""
    import yaml

    from hakusho.survey.codebook import load_codebook

    books = here / "codebooks"
    books.mkdir()
    (books / "2025.yml").write_text(yaml.safe_dump(CODEBOOK, allow_unicode=True), encoding="utf-8")
    (books / "2023.yml").write_text(yaml.safe_dump(OTHER_WAVE, allow_unicode=True), encoding="utf-8")
    path = write(here, [["SampleNo", "A1", "A2", "A3_1", "A3_2", "A3_3"], ["S1", "1", "2", "1", "0", "0"]],
                 folder="incoming")
    found = find_problems(read_raw(path), load_codebook(books / "2025.yml"), path)
    assert [p.message for p in found] == ["codebook 2025 does not describe this file; expected codebook 2023"]


def test_wave_of_path(tmp_path: Path) -> None:
    (tmp_path / "2025").mkdir()
    assert wave_of_path(tmp_path / "2025") == "2025"
    assert wave_of_path(tmp_path / "2025" / "responses.csv") == "2025"
    assert wave_of_path(tmp_path / "exports" / "responses.csv") is None


def test_routing_rule_naming_an_unknown_choice_is_a_codebook_error(here: Path) -> None:
    questions = [dict(q) for q in CODEBOOK["questions"]]
    questions[6] = {**questions[6], "asked": [["cs_status", "==", "sometimes"]]}
    with pytest.raises(CodebookError) as info:
        problems_of(here, table(), codebook(questions=questions))
    assert info.value.message == "codebook 2025: a routing rule cannot be evaluated"
    assert [p.message for p in info.value.problems] == [
        "routing of kpi_nrr: 'sometimes' is not a choice of cs_status"]


# --- what passes ---------------------------------------------------------------------------------


def test_codes_written_with_spaces_or_decimals_pass_and_type_alike(here: Path) -> None:
    lines = table()
    set_cells("R001", Q1=" 1", Q3="2.0", Q5_1="1.0", Q5_2=" 0", Q6="3.0")(lines)
    path = write(here, lines)
    assert find_problems(read_raw(path), codebook(), path, others=[]) == []
    plain = to_responses(read_raw(write(here, table(), folder="plain")), codebook())
    pd.testing.assert_frame_equal(to_responses(read_raw(path), codebook()), plain)


def test_optional_questions_may_be_left_blank(here: Path) -> None:
    lines = table()
    set_cells("R001", Q8="", Q10_1="", Q10_2="", Q10_3="")(lines)
    assert problems_of(here, lines) == []


def test_all_blank_rows_are_not_respondents(here: Path) -> None:
    lines = table()
    lines.insert(3, [""] * len(HEADER))
    path = write(here, lines)
    raw = read_raw(path)
    assert list(raw.index) == [2, 3, 5, 6, 7]
    assert find_problems(raw, codebook(), path, others=[]) == []


def test_schema_has_a_column_per_raw_column() -> None:
    schema = build_schema(codebook())
    assert list(schema.columns) == codebook().expected_columns()
    assert schema.strict is True
    assert [c.name for c in schema.checks] == ["blank_where_not_asked", "answer_where_asked",
                                                "a_choice_ticked", "other_text_with_its_choice"]


def test_expected_codes_wording() -> None:
    book = codebook()
    assert expected_codes(book.by_id["route"]) == ROUTE
    assert expected_codes(book.by_id["industry"]) == INDUSTRY
    assert code_span([1, 2]) == "1, 2"
    assert code_span([1, 2, 3, 9]) == "1, 2, 3, 9"


# --- properties ----------------------------------------------------------------------------------


CODE_COLUMNS = {"Q1": "not a choice code", "Q2": "not a choice code", "Q3": "not a choice code",
                "Q4": "not a choice code", "Q5_1": "not 0 or 1", "Q5_2": "not 0 or 1", "Q6": "not a number",
                "Q7": "not a choice code", "Q10_1": "not 0 or 1"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, len(VALID) - 1), column=st.sampled_from(sorted(CODE_COLUMNS)),
       junk=st.text(alphabet="abcxyzあいう-_/", min_size=1, max_size=6))
def test_one_bad_answer_gives_one_problem_at_its_cell(here: Path, row: int, column: str, junk: str) -> None:
    lines = table()
    position = HEADER.index(column)
    if lines[row + 1][position] == "":  # a blank cell was not asked; junk there is two problems
        return
    lines[row + 1][position] = junk
    found = problems_of(here, lines)
    assert [(p.row, p.respondent, p.column, p.value, p.message) for p in found] == [
        (row + 2, VALID[row][0], column, junk, CODE_COLUMNS[column])]


# --- many rows, many columns: the vectorised paths at scale (no timing asserted) ------------------


def test_many_respondents_with_scattered_problems(here: Path) -> None:
    """Two hundred respondents copied from the valid five, one bad cell in every seventh row: each
    is found, on its own line, and nothing else is."""
    rng = np.random.default_rng(7)
    rows = [[f"R{i:04d}", *VALID[i % len(VALID)][1:]] for i in range(200)]
    bad = sorted(rng.choice(200, size=200 // 7, replace=False).tolist())
    for i in bad:
        rows[i][1] = "9"
    found = problems_of(here, table(rows))
    assert [(p.row, p.respondent, p.column) for p in found] == [(i + 2, f"R{i:04d}", "Q1") for i in bad]


def wide_codebook(n_multi: int = 20, n_choices: int = 19) -> Codebook:
    """A questionnaire about as wide as a real export: 2 + 20 × 19 = 382 columns."""
    questions = [CODEBOOK["questions"][3]]  # cs_status, column Q4
    for i in range(n_multi):
        questions.append({"id": f"m{i}", "column": f"M{i}", "type": "multi", "text": _text(f"M{i}"),
                          "asked": DOING if i % 2 else [],
                          "choices": [_choice(c, f"c{c}") for c in range(1, n_choices + 1)]})
    return codebook(questions=questions)


def test_wide_file_with_problems_in_every_kind_of_check(here: Path) -> None:
    book = wide_codebook()
    n = 1000
    rng = np.random.default_rng(11)
    status = rng.integers(1, 4, n)
    columns: dict[str, np.ndarray] = {"ID": np.array([f"R{i:05d}" for i in range(n)]), "Q4": status.astype(str)}
    for q in book.questions[1:]:
        ticks = rng.random((n, len(q.choices))) < 0.2
        ticks[np.arange(n), rng.integers(0, len(q.choices), n)] = True
        asked = status == 1 if q.asked else np.ones(n, dtype=bool)
        for k, choice in enumerate(q.choices):
            columns[q.multi_column(choice)] = np.where(asked, ticks[:, k].astype(int).astype(str), "")
    frame = pd.DataFrame(columns)
    doing = np.flatnonzero(status == 1)
    others = np.flatnonzero(status != 1)
    frame.loc[doing[5], "M1_3"] = "7"  # not 0 or 1
    frame.loc[others[8], "M3_19"] = "0"  # answered where not asked
    frame.loc[doing[40], [f"M5_{c}" for c in range(1, 20)]] = "0"  # nothing ticked
    frame.loc[doing[90], "M7_2"] = ""  # blank where asked
    frame.loc[700, "ID"] = frame.loc[3, "ID"]  # duplicate id
    path = write(here, [list(frame.columns), *frame.to_numpy().tolist()])
    assert len(frame.columns) == len(book.expected_columns()) == 382
    found = find_problems(read_raw(path), book, path, others=[])
    expected = sorted([
        (doing[5] + 2, "M1_3", "not 0 or 1"),
        (others[8] + 2, "M3_19", "answer where the question was not asked"),
        (doing[40] + 2, "M5_1…M5_19", "no choice ticked"),
        (doing[90] + 2, "M7_2", "required answer missing"),
        (702, "ID", "duplicate respondent id"),
    ])
    assert [(p.row, p.column, p.message) for p in found] == expected


def test_problem_text_names_file_row_respondent_column_value_and_expectation(here: Path) -> None:
    lines = table()
    set_cell("R003", "Q7", "1")(lines)
    (problem,) = problems_of(here, lines)
    assert str(problem) == (f"{FILE}, row 4, respondent R003, column Q7: answer where the question was not asked "
                            f"(value '1'; expected {NOT_ASKED_Q7})")
    assert not re.search(r"/(tmp|work|home|root)/", str(problem))
