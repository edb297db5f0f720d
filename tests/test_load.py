"""Reading raw exports: encodings, Excel and SPSS files, broken files reported where they break,
typed responses, and raw files left exactly as they were."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho.errors import DataError, Problem
from hakusho.survey.codebook import Codebook
from hakusho.survey.load import load_wave, to_responses
from hakusho.survey.raw import cell_numbers, decode_text, find_raw_file, read_raw


def _text(en: str) -> dict:
    return {"ja": f"{en}（ja）", "en": en}


def _choice(code: int, key: str, **extra: object) -> dict:
    return {"code": code, "key": key, "ja": f"{key}（ja）", "en": key, **extra}


CODEBOOK = {
    "wave": "2025",
    "survey": {"title": _text("t"), "publisher": _text("p"), "method": _text("m"), "target": _text("t"),
               "period_start": "2025-01-06", "period_end": "2025-01-31"},
    "id_column": "ID",
    "questions": [
        {"id": "cs_status", "column": "Q1", "type": "single", "text": _text("CS status"),
         "choices": [_choice(1, "doing"), _choice(2, "planning"), _choice(3, "not_doing")]},
        {"id": "tools", "column": "Q2", "type": "multi", "text": _text("Tools"), "other_column": "Q2_FA",
         "asked": [["cs_status", "==", "doing"]],
         "choices": [_choice(1, "crm"), _choice(2, "bi"), _choice(3, "other", other_text=True)]},
        {"id": "csm_count", "column": "Q3", "type": "numeric", "text": _text("CSMs"),
         "asked": [["cs_status", "==", "doing"]]},
        {"id": "comment", "column": "自由記述", "type": "text", "text": _text("Comment"), "required": False},
    ],
}
HEADER = ["ID", "Q1", "Q2_1", "Q2_2", "Q2_3", "Q2_FA", "Q3", "自由記述"]
# Characters only CP932 has (㈱, 髙, ①) make sure the file is not read as plain Shift_JIS.
ROWS = [
    ["R001", "1", "1", "0", "1", "㈱髙橋の自社ツール①", "3", "顧客の成功が第一"],
    ["R002", "2", "", "", "", "", "", ""],
    ["R003", "1", "0", "1", "0", "", "2.5", "カスタマーサクセス、始めました"],
    ["R004", "3", "", "", "", "", "", ""],
]


def codebook() -> Codebook:
    return Codebook.model_validate(CODEBOOK)


def csv_text(rows: list[list[str]] | None = None, newline: str = "\n") -> str:
    lines = [HEADER, *(ROWS if rows is None else rows)]
    return "".join(",".join(line) + newline for line in lines)


def write_bytes(folder: Path, data: bytes, name: str = "responses.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- encodings ------------------------------------------------------------------------------------


ENCODINGS = [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")]


@pytest.mark.parametrize(("encoding", "detected"), ENCODINGS)
def test_encoding_is_detected(here: Path, encoding: str, detected: str) -> None:
    data = csv_text().encode(encoding)
    text, found = decode_text(data, Path("x.csv"))
    assert found == detected
    assert text == csv_text()


def test_same_table_in_every_encoding_reads_and_types_identically(here: Path) -> None:
    frames = [read_raw(write_bytes(here / enc, csv_text().encode(enc))) for enc, _ in ENCODINGS]
    typed = [to_responses(frame, codebook()) for frame in frames]
    for frame, types in zip(frames[1:], typed[1:], strict=True):
        pd.testing.assert_frame_equal(frame, frames[0])
        pd.testing.assert_frame_equal(types, typed[0])
    assert frames[0].loc[2, "Q2_FA"] == "㈱髙橋の自社ツール①"
    assert list(frames[0].columns) == HEADER


def test_windows_line_endings_read_like_unix_ones(here: Path) -> None:
    unix = read_raw(write_bytes(here / "lf", csv_text().encode("cp932")))
    windows = read_raw(write_bytes(here / "crlf", csv_text(newline="\r\n").encode("cp932")))
    pd.testing.assert_frame_equal(windows, unix)


def test_euc_jp_is_read_too(here: Path) -> None:
    rows = [[cell.replace("㈱髙橋の", "").replace("①", "") for cell in row] for row in ROWS]
    frame = read_raw(write_bytes(here, csv_text(rows).encode("euc_jp")))
    assert frame.loc[4, "自由記述"] == "カスタマーサクセス、始めました"


def test_file_in_no_known_encoding_names_the_first_bad_byte(here: Path) -> None:
    data = csv_text().encode("utf-8").replace(b"R003", b"R\xff03")
    path = write_bytes(here / "2025", data)
    with pytest.raises(DataError) as info:
        read_raw(path)
    offset = data.index(b"\xff")
    assert info.value.message == ("2025/responses.csv: cannot read the text; it is not UTF-8, CP932 (Shift_JIS) "
                                  "or EUC-JP")
    assert info.value.problems == [Problem(f"undecodable byte at byte offset {offset}", file="2025/responses.csv",
                                           row=4, value="0xFF",
                                           expected="UTF-8, CP932 (Shift_JIS) or EUC-JP text")]


def test_damaged_utf8_is_not_taken_for_cp932(here: Path) -> None:
    data = csv_text().encode("utf-8")
    cut = data.index("顧客".encode())
    damaged = data[: cut + 1] + data[cut + 3:]  # half a character: mojibake if read as CP932
    with pytest.raises(DataError) as info:
        read_raw(write_bytes(here, damaged))
    (problem,) = info.value.problems
    assert (problem.row, problem.message) == (2, f"undecodable byte at byte offset {cut}")


def test_utf8_with_a_byte_order_mark_and_a_bad_byte(here: Path) -> None:
    data = "\ufeff".encode() + csv_text().encode("utf-8").replace(b"R004", b"R\xe304")
    with pytest.raises(DataError) as info:
        read_raw(write_bytes(here, data))
    offset = data.index(b"R\xe304") + 1
    assert info.value.message == ("responses.csv: cannot read the text; it is not UTF-8 although it starts with "
                                  "a UTF-8 byte-order mark")
    assert info.value.problems == [Problem(f"undecodable byte at byte offset {offset}", file="responses.csv", row=5,
                                           value="0xE3", expected="UTF-8 text")]


# --- CSV structure ----------------------------------------------------------------------------------

FILE = "2025/responses.csv"
FIELDS = "8 comma-separated fields"
BROKEN = [
    ("row with an extra field", csv_text().replace("R002,2,,,,,,", "R002,2,,,,,,,"),
     "cannot read the file as a table",
     [Problem("the row has 9 fields; the header has 8", file=FILE, row=3, respondent="R002", expected=FIELDS)]),
    ("row with a field missing", csv_text().replace("R004,3,,,,,,", "R004,3,,,,,"),
     "cannot read the file as a table",
     [Problem("the row has 7 fields; the header has 8", file=FILE, row=5, respondent="R004", expected=FIELDS)]),
    ("every ragged row is listed",
     csv_text().replace("R002,2,,,,,,", "R002,2").replace("R004,3,,,,,,", "R004,,,,,,,,,"),
     "cannot read the file as a table",
     [Problem("the row has 2 fields; the header has 8", file=FILE, row=3, respondent="R002", expected=FIELDS),
      Problem("the row has 10 fields; the header has 8", file=FILE, row=5, respondent="R004", expected=FIELDS)]),
    ("ragged row below a value spanning two lines",
     csv_text().replace("顧客の成功が第一", '"顧客の成功が\n第一"').replace("R004,3,,,,,,", "R004,3,,,,,,,"),
     "cannot read the file as a table",
     [Problem("the row has 9 fields; the header has 8", file=FILE, row=6, respondent="R004", expected=FIELDS)]),
    ("quote never closed", csv_text().replace("R003,1,0,1,0,,", 'R003,1,0,1,0,"'),
     "cannot read the file as a table",
     [Problem("a quoted value is never closed", file=FILE, row=4,
              expected='a closing quote (") before the end of the file')]),
    ("text after a closing quote", csv_text().replace(",2.5,", ',"2"5,'),
     "cannot read the file as a table",
     [Problem("malformed quoting (',' expected after '\"')", file=FILE, row=4,
              expected="a quoted value followed directly by a comma or a line end")]),
    ("empty file", "", "the file is empty",
     [Problem("empty file", file=FILE, expected="a header line and one line per respondent")]),
    ("only blank lines and a byte-order mark", "\ufeff\n\n  \n", "the file is empty",
     [Problem("empty file", file=FILE, expected="a header line and one line per respondent")]),
    ("header only", ",".join(HEADER) + "\n", "no respondents, only a header",
     [Problem("header only", file=FILE, expected="one row per respondent below the header")]),
    ("header and blank rows only", ",".join(HEADER) + "\n,,,,,,,\n\n", "no respondents, only a header",
     [Problem("header only", file=FILE, expected="one row per respondent below the header")]),
    ("column name repeated", csv_text().replace("Q2_FA,Q3", "Q2_FA,Q2_1"), "the header is not usable",
     [Problem("column name repeated (columns 3 and 7)", file=FILE, row=1, column="Q2_1",
              expected="each column name once")]),
    ("column without a name", csv_text().replace("Q2_FA,Q3", "Q2_FA, "), "the header is not usable",
     [Problem("column 7 of the header has no name", file=FILE, row=1, value=" ", expected="a column name")]),
]


@pytest.mark.parametrize(("content", "message", "problems"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_csv_is_reported_with_file_and_line(here: Path, content: str, message: str,
                                                   problems: list[Problem]) -> None:
    path = write_bytes(here / "2025", content.encode("utf-8"))
    with pytest.raises(DataError) as info:
        read_raw(path, id_column="ID")
    assert info.value.message == f"{FILE}: {message}"
    assert info.value.problems == problems


def test_rows_are_numbered_as_lines_of_the_file(here: Path) -> None:
    text = csv_text(newline="\r\n").replace("顧客の成功が第一", '"顧客の成功が\r\n第一"')
    text = text.replace("R002", "\r\nR002")  # a blank line before R002
    frame = read_raw(write_bytes(here, text.encode("cp932")))
    assert list(frame.index) == [2, 5, 6, 7]
    assert frame.loc[2, "自由記述"] == "顧客の成功が\r\n第一"
    assert frame.index.name == "row"


def test_quoted_values_keep_commas_and_quotes(here: Path) -> None:
    text = csv_text().replace("カスタマーサクセス、始めました", '"CS, ""at last"""')
    frame = read_raw(write_bytes(here, text.encode("utf-8")))
    assert frame.loc[4, "自由記述"] == 'CS, "at last"'


def test_every_cell_is_text_and_blanks_are_empty(here: Path) -> None:
    frame = read_raw(write_bytes(here, csv_text().encode("utf-8")))
    assert all(str(dtype) == "str" for dtype in frame.dtypes)
    assert frame.loc[3, "Q2_1"] == ""
    assert frame.loc[4, "Q3"] == "2.5"
    assert not frame.isna().any().any()


# --- Excel and SPSS ---------------------------------------------------------------------------------


def _as_number(text: str) -> object:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def write_xlsx(path: Path, rows: list[list[str]], *, floats: bool = False) -> Path:
    """The table as Excel would hold it: numbers as numbers (as floats if ``floats``), blanks empty."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        cells = [row[0]] + [_as_number(v) for v in row[1:]]
        sheet.append([float(v) if floats and isinstance(v, int) else v for v in cells])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_sav(path: Path, rows: list[list[str]]) -> Path:
    """The table as SPSS would hold it: numeric variables as doubles with system-missing blanks."""
    frame = pd.DataFrame(rows, columns=HEADER)
    for col in ["Q1", "Q2_1", "Q2_2", "Q2_3", "Q3"]:
        frame[col] = pd.to_numeric(frame[col].replace("", np.nan)).astype(float)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(frame, str(path))
    return path


@pytest.mark.parametrize("floats", [False, True], ids=["integers", "floats"])
def test_xlsx_round_trip(here: Path, floats: bool) -> None:
    from_csv = read_raw(write_bytes(here / "csv", csv_text().encode("utf-8")))
    from_xlsx = read_raw(write_xlsx(here / "xlsx" / "responses.xlsx", ROWS, floats=floats))
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
    pd.testing.assert_frame_equal(to_responses(from_xlsx, codebook()), to_responses(from_csv, codebook()))


def test_sav_round_trip(here: Path) -> None:
    from_csv = read_raw(write_bytes(here / "csv", csv_text().encode("utf-8")))
    from_sav = read_raw(write_sav(here / "sav" / "responses.sav", ROWS))
    assert list(from_sav.index) == [1, 2, 3, 4]  # SPSS numbers cases, it has no header row
    pd.testing.assert_frame_equal(from_sav.reset_index(drop=True), from_csv.reset_index(drop=True))
    pd.testing.assert_frame_equal(to_responses(from_sav, codebook()), to_responses(from_csv, codebook()))


def test_xlsx_problems_name_the_spreadsheet_row(here: Path) -> None:
    from hakusho.survey.validate import find_problems

    rows = [list(r) for r in ROWS]
    rows[2][1] = "7"
    path = write_xlsx(here / "2025" / "responses.xlsx", rows)
    (problem,) = find_problems(read_raw(path), codebook(), path, others=[])
    assert (problem.file, problem.row, problem.respondent, problem.column, problem.value) == (
        "2025/responses.xlsx", 4, "R003", "Q1", "7")


def test_sav_problems_name_the_case_number(here: Path) -> None:
    from hakusho.survey.validate import find_problems

    rows = [list(r) for r in ROWS]
    rows[3][2] = "1"  # R004 does not practise CS, yet ticks a tool
    path = write_sav(here / "2025" / "responses.sav", rows)
    (problem,) = find_problems(read_raw(path), codebook(), path, others=[])
    assert (problem.row, problem.respondent, problem.column, problem.message) == (
        4, "R004", "Q2_1", "answer where the question was not asked")


def test_empty_sheet_and_header_only_sheet(here: Path) -> None:
    empty = here / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(DataError) as info:
        read_raw(empty)
    assert info.value.message == "empty.xlsx: the file is empty"
    header_only = write_xlsx(here / "header.xlsx", [])
    with pytest.raises(DataError) as info:
        read_raw(header_only)
    assert info.value.message == "header.xlsx: no respondents, only a header"


def test_sav_without_cases(here: Path) -> None:
    path = write_sav(here / "none.sav", [])
    with pytest.raises(DataError) as info:
        read_raw(path)
    assert info.value.message == "none.sav: no respondents, only a header"


def test_damaged_workbook(here: Path) -> None:
    path = write_bytes(here, b"PK\x03\x04 not really a workbook", name="responses.xlsx")
    with pytest.raises(DataError) as info:
        read_raw(path)
    assert info.value.message.startswith("responses.xlsx: cannot open the workbook")


# --- finding the file -------------------------------------------------------------------------------


def test_find_raw_file(here: Path) -> None:
    folder = here / "2025"
    folder.mkdir()
    with pytest.raises(DataError, match=r"^2025: no raw export found \(expected a .csv, .xlsx or .sav file\)$"):
        find_raw_file(folder)
    (folder / "notes.txt").write_text("not data", encoding="utf-8")
    path = write_bytes(folder, csv_text().encode("utf-8"))
    assert find_raw_file(folder) == path
    assert find_raw_file(path) == path
    write_bytes(folder, b"", name="responses.xlsx")
    with pytest.raises(DataError, match=r"^2025: more than one raw export \(responses.csv, responses.xlsx\)"):
        find_raw_file(folder)
    with pytest.raises(DataError, match=r"^missing: no such file or folder$"):
        find_raw_file(here / "missing")


def test_unsupported_file_type(here: Path) -> None:
    path = write_bytes(here, b"ID\tQ1\n", name="responses.tsv")
    with pytest.raises(DataError, match=r"cannot read '.tsv' files"):
        read_raw(path)


# --- typed responses and load_wave ------------------------------------------------------------------


def test_typed_responses_follow_the_survey_layout(here: Path) -> None:
    typed = to_responses(read_raw(write_bytes(here, csv_text().encode("utf-8"))), codebook())
    assert list(typed.index) == ["R001", "R002", "R003", "R004"]
    assert typed.index.name == "respondent_id"
    assert str(typed["cs_status"].dtype) == "Int64"
    assert typed["cs_status"].tolist() == [1, 2, 1, 3]
    assert str(typed["tools__crm"].dtype) == "boolean"
    assert typed["tools__crm"].tolist() == [True, pd.NA, False, pd.NA]
    assert str(typed["csm_count"].dtype) == "Float64"
    assert typed["csm_count"].tolist() == [3.0, pd.NA, 2.5, pd.NA]
    assert typed["tools__other_text"].tolist() == ["㈱髙橋の自社ツール①", pd.NA, pd.NA, pd.NA]
    assert str(typed["comment"].dtype) == "string"


def test_load_wave_reads_validates_and_types(here: Path) -> None:
    path = write_bytes(here / "2025", csv_text().encode("cp932"))
    survey = load_wave("2025", raw_path=here / "2025", codebook=codebook())
    assert (survey.n, survey.wave, survey.source) == (4, "2025", path)
    assert survey.asked("tools").tolist() == [True, False, True, False]


def test_load_wave_refuses_invalid_data_unless_told_not_to_check(here: Path) -> None:
    write_bytes(here / "2025", csv_text().replace("R004,3", "R004,4").encode("utf-8"))
    with pytest.raises(DataError) as info:
        load_wave("2025", raw_path=here / "2025", codebook=codebook())
    assert [str(p) for p in info.value.problems] == [
        "2025/responses.csv, row 5, respondent R004, column Q1: code out of range "
        "(value '4'; expected one of 1–3 (doing, planning, not_doing))"]
    assert load_wave("2025", raw_path=here / "2025", codebook=codebook(), validate=False).n == 4


def test_load_wave_with_the_codebook_of_another_wave(here: Path) -> None:
    write_bytes(here / "2025", csv_text().encode("utf-8"))
    with pytest.raises(DataError) as info:
        load_wave("2023", raw_path=here / "2025", codebook=codebook())
    assert [p.message for p in info.value.problems] == [
        "codebook 2025 does not describe this file; expected codebook 2023"]


# --- raw files are never modified -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "csv-invalid", "csv-broken", "xlsx", "sav"])
def test_raw_file_is_left_untouched(here: Path, kind: str) -> None:
    folder = here / "2025"
    if kind == "csv":
        path = write_bytes(folder, csv_text().encode("cp932"))
    elif kind == "csv-invalid":
        path = write_bytes(folder, csv_text().replace("R004,3", "R004,9").encode("cp932"))
    elif kind == "csv-broken":
        path = write_bytes(folder, csv_text().replace("R004,3,", "R004,3").encode("utf-8"))
    elif kind == "xlsx":
        path = write_xlsx(folder / "responses.xlsx", ROWS)
    else:
        path = write_sav(folder / "responses.sav", ROWS)
    os.chmod(path, 0o444)  # a write attempt fails (except as root); the hash catches the rest
    before = (sha256(path), path.stat().st_mtime_ns, path.stat().st_size)
    try:
        load_wave("2025", raw_path=folder, codebook=codebook())
    except DataError:
        assert kind != "csv"
    assert (sha256(path), path.stat().st_mtime_ns, path.stat().st_size) == before
    assert sorted(p.name for p in folder.iterdir()) == [path.name]


# --- numbers in text cells ---------------------------------------------------------------------------


@given(st.integers(-10**9, 10**9))
def test_cell_numbers_reads_plain_padded_and_decimal_integers(n: int) -> None:
    cells = pd.Series([str(n), f" {n} ", f"{n}.0", "", "x"], dtype="str")
    expected = [n, n, n, np.nan, np.nan]
    np.testing.assert_array_equal(cell_numbers(cells), expected)
    np.testing.assert_array_equal(cell_numbers(cells.to_numpy()), expected)
