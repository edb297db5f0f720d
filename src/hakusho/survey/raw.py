"""Reading a wave's raw export: every cell as the file wrote it.

Raw files are opened read-only and never written. Reading keeps every cell as text ('' for a
blank) so that validation (:mod:`hakusho.survey.validate`) can report exactly what the file said;
conversion to codes happens only after the data has passed it (:mod:`hakusho.survey.load`).

The table :func:`read_raw` returns is indexed by the row number a person sees when opening the
file: for CSV the line number (the header is line 1, so the first respondent is usually line 2,
and a quoted value spanning lines moves later rows down), for ``.xlsx`` the spreadsheet row, for
SPSS ``.sav`` the case number. Rows whose cells are all blank are dropped: they carry no answer,
and spreadsheets leave them behind when rows are cleared.

Editors hand over CSV in whatever Excel wrote: UTF-8, UTF-8 with a byte-order mark, or CP932
(Shift_JIS, Excel's Japanese default). The encoding is detected, never asked for.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from datetime import date, datetime, time
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from hakusho.config import display_path
from hakusho.errors import DataError, Problem
from hakusho.messages import Msg

RAW_SUFFIXES = (".csv", ".xlsx", ".sav")
# Besides UTF-8 (tried first, because it almost never decodes by accident): Excel's Japanese
# default and the older Unix one. charset-normalizer picks between them by how readable the
# result is, so a UTF-8 file with a damaged byte is refused instead of being read as mojibake.
LEGACY_ENCODINGS = ("cp932", "euc_jp")
ROW_INDEX = "row"
TEXT = "str"  # pandas' text dtype; every raw column has it


def find_raw_file(path: Path) -> Path:
    """The export inside a wave folder (exactly one responses file), or the file itself."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.exists():
        raise DataError(Msg("load.no_such_path", path=display_path(path)))
    candidates = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in RAW_SUFFIXES)
    if not candidates:
        raise DataError(Msg("load.no_export", path=display_path(path)))
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise DataError(Msg("load.several_exports", path=display_path(path), names=names))
    return candidates[0]


def read_raw(path: Path, *, id_column: str | None = None) -> pd.DataFrame:
    """The export as a table of text cells ('' for blanks), columns as the vendor named them.

    The index is the row number as a person sees it in the file (see the module docstring).
    Raises DataError for a file that cannot be read as a table: unknown encoding, ragged rows,
    an unclosed quote, repeated or blank column names, no columns or no respondents.
    ``id_column`` only lets those messages name the respondent of a broken row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(path, id_column)
    elif suffix == ".xlsx":
        frame = _read_xlsx(path)
    elif suffix == ".sav":
        frame = _read_sav(path)
    else:
        raise DataError(Msg("load.unknown_suffix", path=display_path(path), suffix=path.suffix))
    return _drop_blank_rows(frame, path)


# --- CSV ---------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was written in (UTF-8 preferred when it decodes)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:  # offsets count from after the mark
            raise _undecodable(data, path, exc.start + len(codecs.BOM_UTF8), "UTF-8", bom=True) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    import charset_normalizer  # only needed for files that are not UTF-8

    best = charset_normalizer.from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except UnicodeDecodeError:  # the detector samples; a later byte may still be bad
            pass
    raise _undecodable(data, path, utf8_error, Msg("load.encodings"))  # UTF-8, CP932 (Shift_JIS) or EUC-JP


def _undecodable(data: bytes, path: Path, offset: int, expected: str | Msg, *, bom: bool = False) -> DataError:
    line = data.count(b"\n", 0, offset) + 1
    name = display_path(path)
    return DataError(
        Msg("load.undecodable_bom", path=name, expected=expected) if bom
        else Msg("load.undecodable", path=name, expected=expected),
        [Problem(Msg("load.bad_byte", offset=offset), file=name, row=line,
                 value=f"0x{data[offset]:02X}", expected=Msg("load.expected.text", encoding=expected))],
    )


def _read_csv(path: Path, id_column: str | None) -> pd.DataFrame:
    data = path.read_bytes()
    if not data.replace(codecs.BOM_UTF8, b"", 1).strip():
        raise _empty(path, Msg("load.expected.csv_lines"))
    text, _ = decode_text(data, path)
    records = _scan_records(data.removeprefix(codecs.BOM_UTF8))
    if records is None:
        return _read_csv_slowly(text, path, id_column)
    lines, n_fields = records
    header = next(csv.reader(io.StringIO(text[_first_record_offset(text):], newline="")))
    _check_header(header, lines[0], path)
    if len(lines) == 1:
        raise _header_only(path)
    if (n_fields[1:] != len(header)).any():
        return _read_csv_slowly(text, path, id_column)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=TEXT, keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, engine="c")
    except (pd.errors.ParserError, ValueError):
        return _read_csv_slowly(text, path, id_column)
    if len(frame) != len(lines) - 1 or len(frame.columns) != len(header):
        return _read_csv_slowly(text, path, id_column)
    frame.columns = header  # pandas renames repeated names; ours are checked unique already
    frame.index = pd.Index(lines[1:], name=ROW_INDEX)
    return frame


def _first_record_offset(text: str) -> int:
    """Where the header starts (blank lines before it are skipped, as everywhere else)."""
    match = re.match(r"(?:[ \t\r]*\n)*", text)
    return match.end() if match else 0


def _scan_records(data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Start line and field count of every non-blank record, found without parsing cells.

    Works on the raw bytes, which is safe for every accepted encoding: none of them uses the
    bytes of ``"``, ``,`` or a newline inside a multi-byte character. Quote parity says which
    newlines and commas sit inside quoted values. Returns None when quoting is anything but
    plain (a quote left open, text after a closing quote, a quote inside an unquoted value): the
    slow reader then decides, and says where a problem is.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = arr == ord('"')
    flat = data
    if quotes.any():
        inside = np.logical_xor.accumulate(quotes)
        if inside[-1] or not _plain_quoting(arr, inside):
            return None
        # Blank out quoted text so that splitting on newlines finds records, not lines.
        flat = np.where(inside, np.uint8(ord(" ")), arr).tobytes()
    records = flat.split(b"\n")
    lengths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    newlines = np.flatnonzero(arr == ord("\n"))
    lines = np.searchsorted(newlines, starts) + 1
    blank = np.fromiter((not r.strip() for r in records), dtype=bool, count=len(records))
    n_fields = np.fromiter(map(bytes.count, records, repeat(b",")), dtype=np.int64, count=len(records)) + 1
    return lines[~blank], n_fields[~blank]


def _plain_quoting(arr: np.ndarray, inside: np.ndarray) -> bool:
    """Every opening quote starts a value and every closing quote ends one (or doubles a quote)."""
    positions = np.flatnonzero(arr == ord('"'))
    opening = inside[positions]
    before = np.where(positions > 0, arr[np.maximum(positions - 1, 0)], ord(","))
    after = np.where(positions < len(arr) - 1, arr[np.minimum(positions + 1, len(arr) - 1)], ord(","))
    starts_value = np.isin(before, [ord(","), ord("\n"), ord('"')])
    ends_value = np.isin(after, [ord(","), ord("\n"), ord("\r"), ord('"')])
    return bool(starts_value[opening].all() and ends_value[~opening].all())


def _read_csv_slowly(text: str, path: Path, id_column: str | None) -> pd.DataFrame:
    """Read record by record with the csv module, collecting every structural problem.

    Used only when the fast scan saw something wrong, so that the report can list each ragged
    row and an unclosed quote with its line.
    """
    name = display_path(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    previous_line = 0
    while True:
        start = previous_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if reader.line_num <= previous_line or "end of data" in str(exc):
                problems.append(Problem(Msg("load.unclosed_quote"), file=name, row=start,
                                        expected=Msg("load.expected.closing_quote")))
                break
            problems.append(Problem(Msg("load.bad_quoting", detail=str(exc)), file=name, row=reader.line_num,
                                    expected=Msg("load.expected.quoting")))
            previous_line = reader.line_num
            continue
        previous_line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        rows.append(row)
        lines.append(start)
    if not rows:
        raise _empty(path, Msg("load.expected.csv_lines"))
    header = rows[0]
    _check_header(header, lines[0], path)
    id_position = header.index(id_column) if id_column in header else None
    for row, line in zip(rows[1:], lines[1:], strict=True):
        if len(row) != len(header):
            respondent = None
            if id_position is not None and id_position < len(row):
                respondent = row[id_position].strip() or None
            problems.append(Problem(Msg("load.ragged_row", n=len(row), header=len(header)), file=name,
                                    row=line, respondent=respondent,
                                    expected=Msg("load.expected.fields", n=len(header))))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise DataError(Msg("load.not_a_table", path=name), problems)
    if len(rows) == 1:
        raise _header_only(path)
    columns = list(zip(*rows[1:], strict=True))
    frame = pd.DataFrame({col: pd.array(values, dtype=TEXT) for col, values in zip(header, columns, strict=True)})
    frame.index = pd.Index(lines[1:], name=ROW_INDEX)
    return frame


def _check_header(header: list[str], line: int, path: Path) -> None:
    """Column names must be present and unique: every later message names a column."""
    name = display_path(path)
    problems = []
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if not column.strip():
            problems.append(Problem(Msg("load.unnamed_column", position=position), file=name, row=line,
                                    value=column, expected=Msg("load.expected.column_name")))
        elif column in seen:
            problems.append(Problem(Msg("load.repeated_column", first=seen[column], position=position), file=name,
                                    row=line, column=column, expected=Msg("load.expected.unique_names")))
        else:
            seen[column] = position
    if problems:
        raise DataError(Msg("load.bad_header", path=name), problems)


def _empty(path: Path, expected: Msg) -> DataError:
    name = display_path(path)
    return DataError(Msg("load.empty", path=name), [Problem(Msg("load.empty_file"), file=name, expected=expected)])


def _header_only(path: Path) -> DataError:
    name = display_path(path)
    return DataError(Msg("load.header_only", path=name),
                     [Problem(Msg("load.header_only_file"), file=name, expected=Msg("load.expected.rows"))])


# --- Excel and SPSS ------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet; its first row is the header (row 1 as Excel numbers it)."""
    try:
        cells = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise DataError(Msg("load.bad_workbook", path=display_path(path),
                            detail=f"{type(exc).__name__}: {exc}")) from None
    if cells.empty:
        raise _empty(path, Msg("load.expected.sheet_rows"))
    header = [_cell_text(v) for v in cells.iloc[0]]
    _check_header(header, 1, path)
    body = cells.iloc[1:]
    if body.empty:
        raise _header_only(path)
    frame = pd.DataFrame({col: _text_column(body[pos]) for pos, col in zip(cells.columns, header, strict=True)})
    frame.index = pd.Index(np.arange(2, len(body) + 2), name=ROW_INDEX)
    return frame


def _read_sav(path: Path) -> pd.DataFrame:
    """An SPSS file's cases with their stored codes (value labels are not applied)."""
    import pyreadstat  # heavy; only needed for .sav

    try:
        cells, _ = pyreadstat.read_sav(str(path), apply_value_formats=False, dates_as_pandas_datetime=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(Msg("load.bad_sav", path=display_path(path), detail=str(exc))) from None
    if cells.columns.empty:
        raise _empty(path, Msg("load.expected.cases"))
    if cells.empty:
        raise _header_only(path)
    frame = pd.DataFrame({str(col): _text_column(cells[col]) for col in cells.columns})
    frame.index = pd.Index(np.arange(1, len(cells) + 1), name=ROW_INDEX)
    return frame


def _cell_text(value: object) -> str:
    """One spreadsheet or SPSS value as the text a CSV export would hold (1.0 -> "1")."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if value is pd.NaT:
        return ""
    return str(value)


def _text_column(values: pd.Series) -> pd.Series:
    """A column of mixed cells as text; numeric columns are converted without a Python loop."""
    array = values.to_numpy()
    if array.dtype.kind == "f":
        out = np.full(len(array), "", dtype=object)
        present = ~np.isnan(array)
        whole = np.isfinite(array) & (np.abs(array) < 2**53) & (array == np.floor(array))
        out[whole] = array[whole].astype(np.int64).astype(str)
        rest = present & ~whole
        out[rest] = [repr(float(v)) for v in array[rest]]
        return pd.Series(pd.array(out, dtype=TEXT))
    return pd.Series(pd.array([_cell_text(v) for v in array], dtype=TEXT))


def _drop_blank_rows(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    first = frame.iloc[:, 0]
    candidates = frame.loc[first.to_numpy() == ""]
    if candidates.empty:
        return frame
    blank = candidates.index[(candidates == "").all(axis=1).to_numpy()]
    if len(blank) == 0:
        return frame
    frame = frame.drop(index=blank)
    if frame.empty:
        raise _header_only(path)
    return frame


# --- numbers in text cells -----------------------------------------------------------------------------


def cell_numbers(cells: pd.Series | np.ndarray) -> np.ndarray:
    """Text cells as floats: NaN where blank or not a number; surrounding spaces are ignored.

    A raw column holds a handful of distinct texts ("", "1", "2" …): they are found in one hashed
    pass and each is parsed once, which keeps a 78,000-row, 400-column export quick.
    """
    values = cells.to_numpy(dtype=object) if isinstance(cells, pd.Series) else np.asarray(cells, dtype=object)
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object).astype(str).str.strip(), errors="coerce")
    return np.append(parsed.to_numpy(dtype=float, na_value=np.nan), np.nan)[positions]  # -1 (NA) -> NaN
