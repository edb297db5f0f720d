"""Writing worksheets the way the tabulation workbook needs them: a cursor down the rows, cell
kinds with their number formats and styles, column widths that fit Japanese labels, and a
byte-reproducible ``.xlsx``.

Kept apart from :mod:`hakusho.render.workbook` (what goes on which sheet) so that the layout code
reads as a list of rows and this module holds everything openpyxl needs to know.

Widths: Excel measures a column in widths of the digit "0" of the default font; a full-width
character (kanji, kana, full-width punctuation) takes about two. :func:`display_width` counts
East Asian wide and full-width characters as two, everything else as one.

Reproducible: openpyxl stamps the document's creation and modification time with the clock and
gives every zip entry the current date. :func:`workbook_bytes` sets both to the build's date (the
``SOURCE_DATE_EPOCH`` the renderers run under), so two builds of the same inputs write the same
bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

# Number formats. Shares are stored as the report prints them (86.0 for 86.0 %), so a cell equals
# the chart table's value and the format only adds the sign.
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = '0.0"%"'
POINTS_FORMAT = {"ja": '+0.0"ポイント";"−"0.0"ポイント";"±"0.0"ポイント"',
                 "en": '+0.0" pt";"−"0.0" pt";"±"0.0" pt"'}

# A test's verdict travels in the number format, so the cell keeps the table's value.
HIGHER, LOWER, DIFFERS = "▲", "▼", "*"


def marked_share(direction: int) -> str:
    """The share format of a cell a test finds higher (direction > 0) or lower than the rest."""
    return f'0.0"% {HIGHER if direction > 0 else LOWER}"'


def marked_count() -> str:
    """The count format of a group whose whole distribution differs from the rest (ordinal)."""
    return f'#,##0" {DIFFERS}"'


MAX_SHEET_NAME = 31  # Excel's limit
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_THIN = Side(style="thin", color="A6A6A6")
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
_BASE_FILL = PatternFill("solid", fgColor="F4F6F8")
_INK = "1F2933"
_MUTED = "5B6770"

STYLES: dict[str, dict[str, Any]] = {
    "title": {"font": Font(bold=True, size=14, color=_INK)},
    "scope": {"font": Font(size=10, color=_INK)},
    "legend": {"font": Font(size=9, color=_MUTED)},
    "heading": {"font": Font(bold=True, size=11, color=_INK)},
    "subheading": {"font": Font(bold=True, size=10, color=_INK)},
    "text": {"font": Font(size=10, color=_INK)},
    "note": {"font": Font(size=9, color=_MUTED)},
    "header": {"font": Font(bold=True, size=10, color=_INK), "fill": _HEADER_FILL,
               "alignment": Alignment(wrap_text=True, vertical="center", horizontal="center"),
               "border": Border(bottom=_THIN, top=_THIN)},
    "label": {"font": Font(size=10, color=_INK), "alignment": Alignment(wrap_text=True, vertical="top")},
    "base_label": {"font": Font(bold=True, size=10, color=_INK), "fill": _BASE_FILL},
    "count": {"font": Font(size=10, color=_INK), "number_format": COUNT_FORMAT},
    "base": {"font": Font(bold=True, size=10, color=_INK), "number_format": COUNT_FORMAT, "fill": _BASE_FILL},
    "share": {"font": Font(size=10, color=_INK), "number_format": SHARE_FORMAT},
    "share_indicative": {"font": Font(size=10, italic=True, color=_MUTED), "number_format": SHARE_FORMAT},
    "points": {"font": Font(size=10, color=_INK)},
    "mark": {"font": Font(size=9, color=_MUTED), "fill": _BASE_FILL,
             "alignment": Alignment(horizontal="center")},
    "dash": {"font": Font(size=10, color=_MUTED), "alignment": Alignment(horizontal="right")},
    "link": {"font": Font(size=10, color="1F5F99", underline="single")},
    "wrap": {"font": Font(size=10, color=_INK), "alignment": Alignment(wrap_text=True, vertical="top")},
}

STYLE_PREFIX = "hakusho "  # named styles of the workbook (Excel lists them under these names)


def add_styles(wb: Workbook) -> None:
    """Register every cell kind as a named style: a cell then refers to its style by index
    instead of carrying fonts and fills of its own (much faster to write, smaller files)."""
    for kind, attrs in STYLES.items():
        wb.add_named_style(NamedStyle(name=STYLE_PREFIX + kind, **attrs))


# Styles of cells whose text may run over the empty cells to its right: they do not widen a column.
FREE_TEXT = frozenset({"title", "scope", "legend", "heading", "subheading", "text", "note"})
LINE_HEIGHT = 15.0  # points per line of 10-11 pt text


def display_width(text: str) -> int:
    """Width of ``text`` in half-width character cells (full-width and wide characters count two)."""
    if text.isascii():  # numbers and English labels, most of a workbook's fifty thousand cells
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def sheet_name(text: str, taken: Sequence[str]) -> str:
    """A valid, unique sheet name from ``text`` (Excel forbids some characters and long names)."""
    name = _SHEET_NAME_FORBIDDEN.sub("・", text).strip() or "Sheet"
    name = name[:MAX_SHEET_NAME]
    base, i = name, 2
    while name in taken:
        suffix = f" ({i})"
        name = base[:MAX_SHEET_NAME - len(suffix)] + suffix
        i += 1
    return name


@dataclass
class Cell:
    """One cell to write: a value (number or text; None leaves it empty) and its kind (a STYLES key)."""

    value: Any
    kind: str = "text"
    number_format: str | None = None
    link: str | None = None  # a sheet of this workbook ("'Sheet'!A1")


@dataclass
class SheetWriter:
    """Rows written from the top of one worksheet, with the column widths they need."""

    ws: Worksheet
    row: int = 1
    widths: dict[int, float] = field(default_factory=dict)
    max_widths: dict[int, float] = field(default_factory=dict)
    wrap_rows: list[int] = field(default_factory=list)
    _styles: dict[str, Any] = field(default_factory=dict, repr=False)

    def cells(self, cells: Sequence[Cell | None], *, column: int = 1, height_lines: int = 0) -> int:
        """Write a row of cells starting at ``column``; returns the row written."""
        for offset, cell in enumerate(cells):
            if cell is None or cell.value is None:
                continue
            target = self.ws.cell(row=self.row, column=column + offset, value=cell.value)
            self._set_style(target, cell.kind)
            if cell.number_format:
                target.number_format = cell.number_format
            if cell.link:
                target.hyperlink = Hyperlink(ref=target.coordinate, location=cell.link)
            if cell.kind not in FREE_TEXT:
                self._fit(column + offset, cell)
        if height_lines > 1:
            self.ws.row_dimensions[self.row].height = LINE_HEIGHT * height_lines
        written = self.row
        self.row += 1
        return written

    def _set_style(self, target: Any, kind: str) -> None:
        """``target.style = STYLE_PREFIX + kind``, the style looked up once per kind.

        openpyxl finds a named style by building the list of every style's name for each cell it
        is set on: over the 50,000 cells of a workbook that was a fifth of its rendering. The first
        cell of a kind is styled by name; later ones get a copy of its style array, which is all
        that setting the name stores in a cell.
        """
        known = self._styles.get(kind)
        if known is None:
            target.style = STYLE_PREFIX + kind
            self._styles[kind] = copy(target._style)
        else:
            target._style = copy(known)

    def line(self, text: str, kind: str = "text") -> int:
        return self.cells([Cell(text, kind)])

    def blank(self, n: int = 1) -> None:
        self.row += n

    def merge(self, row: int, first: int, last: int) -> None:
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    def cap(self, column: int, width: float) -> None:
        """Never let ``column`` grow wider than ``width``: longer labels wrap."""
        self.max_widths[column] = width

    def _fit(self, column: int, cell: Cell) -> None:
        value = cell.value
        if isinstance(value, float):
            text = f"{value:,.1f}%"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = str(value)
        width = max(display_width(line) for line in text.split("\n")) + 2
        if cell.kind == "header":
            width = min(width, 16)  # headers wrap rather than widen a column of numbers
        self.widths[column] = max(self.widths.get(column, 0), width)

    def finish(self, *, freeze: str | None = None, print_rows: str | None = None, landscape: bool = True) -> None:
        """Set column widths, frozen panes and page setup once every row is written."""
        for column, width in sorted(self.widths.items()):
            limit = self.max_widths.get(column)
            self.ws.column_dimensions[get_column_letter(column)].width = round(
                min(width, limit) if limit else width, 1)
        if freeze:
            self.ws.freeze_panes = freeze
        if print_rows:
            self.ws.print_title_rows = print_rows
        self.ws.page_setup.orientation = "landscape" if landscape else "portrait"
        self.ws.page_setup.paperSize = self.ws.PAPERSIZE_A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a wrapped cell ``width`` characters wide (for row heights)."""
    usable = max(width - 1, 1)
    return max(1, sum(max(1, -(-display_width(part) // int(usable))) for part in str(text).split("\n")))


def new_workbook(*, title: str, subject: str, creator: str, language: str) -> Workbook:
    """An empty workbook with the document properties every build writes the same way."""
    wb = Workbook()
    wb.remove(wb.active)
    props = wb.properties
    props.title = title
    props.subject = subject
    props.creator = creator
    props.lastModifiedBy = creator
    props.language = language
    add_styles(wb)
    return wb


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def workbook_bytes(wb: Workbook, epoch: int) -> bytes:
    """The workbook as ``.xlsx`` bytes that depend on its content and ``epoch`` only.

    openpyxl writes the save time into docProps/core.xml and the clock's date into every zip
    entry; both become the build's date. Entries keep openpyxl's order and compression.
    """
    stamp = datetime.fromtimestamp(max(epoch, 315532800), tz=UTC)
    wb.properties.created = stamp.replace(tzinfo=None)
    raw = io.BytesIO()
    wb.save(raw)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(lambda m: m.group(1) + iso + m.group(3), data)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()
