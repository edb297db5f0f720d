"""Checking a raw export against its codebook before anything is computed from it.

The checks are a schema built from the codebook: one column per raw column, each with the
values it may hold (choice codes, 0/1, a number, a unique respondent id), and table-level checks
for what depends on other columns — the routing. Routing conditions name other variables and
their choice keys; they are evaluated with :mod:`hakusho.survey.filters` on the typed values of
the columns they refer to, so "asked" means here exactly what it means in the report.

Every check is vectorised over whole columns, and all of them run, so that an editor sees every
problem at once. Each failure becomes a :class:`~hakusho.errors.Problem` naming the file, the row
as the file shows it, the respondent, the column, the value and what was expected.

The schema is a small data structure of our own rather than a pandera schema: the checks were
vectorised functions already, and running them through pandera cost 0.4 s per wave of
bookkeeping (plus 0.45 s to import it) for a table of a few hundred rows — a hundred times the
checks themselves. Here a check costs milliseconds per thousand rows.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.config import display_path
from hakusho.errors import CodebookError, DataError, FilterError, HakushoError, Problem
from hakusho.messages import Listed, Msg
from hakusho.survey.codebook import Codebook, Question, load_codebook
from hakusho.survey.filters import conditions_mask
from hakusho.survey.raw import cell_numbers, find_raw_file, read_raw

MAX_LISTED_KEYS = 6
WAVE_FOLDER = re.compile(r"\d{4}")
# How well a file's columns must fit another wave's codebook, in Jaccard similarity, before the
# report says the codebook is the wrong one rather than listing every missing column.
OTHER_WAVE_FIT = 0.8
OTHER_WAVE_MARGIN = 0.1
POOR_FIT = 0.5

CHECK_ID_BLANK = "respondent_id_present"
CHECK_ID_UNIQUE = "respondent_id_unique"
CHECK_CODE = "choice_code"
CHECK_BINARY = "zero_or_one"
CHECK_NUMBER = "number"
CHECK_NOT_ASKED = "blank_where_not_asked"
CHECK_REQUIRED = "answer_where_asked"
CHECK_NO_CHOICE = "a_choice_ticked"
CHECK_OTHER_TEXT = "other_text_with_its_choice"


# --- describing what was expected --------------------------------------------------------------


def code_span(codes: Sequence[int]) -> str:
    """``1–4`` for a run of consecutive codes, else the codes listed."""
    if len(codes) > 2 and list(codes) == list(range(codes[0], codes[0] + len(codes))):
        return f"{codes[0]}–{codes[-1]}"
    return ", ".join(str(c) for c in codes)


def expected_codes(question: Question) -> Msg:
    """``one of 1–4 (sns, panel, event, other)``: the codes and, to read them by, their keys."""
    keys = question.choice_keys
    listed = ", ".join(keys[:MAX_LISTED_KEYS]) + (" …" if len(keys) > MAX_LISTED_KEYS else "")
    return Msg("validate.expected.codes", codes=code_span([c.code for c in question.choices]), keys=listed)


def routing_text(question: Question) -> Listed:
    return Listed([c.describe() for c in question.asked], "list.and")


def _asked_phrase(question: Question) -> Msg:
    if question.asked:
        return Msg("validate.asked.when", column=question.column, routing=routing_text(question))
    return Msg("validate.asked.everyone", column=question.column)


def _column_range(question: Question) -> str:
    cols = [question.multi_column(c) for c in question.choices]
    return f"{cols[0]}…{cols[-1]}"


# --- column checks ------------------------------------------------------------------------------


# A column check takes the column's text cells and says, per row, whether the cell passes.
CellTest = Callable[[pd.Series], np.ndarray]
# A table check takes the whole table and lists, per column, the positions of failing rows.
TableTest = Callable[[pd.DataFrame], list[tuple[str, np.ndarray]]]


@dataclass(frozen=True)
class ColumnCheck:
    name: str
    test: CellTest


@dataclass(frozen=True)
class TableCheck:
    name: str
    test: TableTest


@dataclass(frozen=True)
class Failure:
    """One failed check: a cell (row label, column, its text), or a column missing or unexpected."""

    check: str
    column: str
    row: int | None = None
    value: str | None = None


MISSING_COLUMN = "column_present"
UNEXPECTED_COLUMN = "column_described"


@dataclass(frozen=True)
class Schema:
    """What a raw export must look like: its columns, each with its checks, and the checks that
    read several columns. ``strict``: columns the schema does not name are failures too."""

    name: str
    columns: Mapping[str, tuple[ColumnCheck, ...]]
    checks: tuple[TableCheck, ...]
    strict: bool = True

    def failures(self, frame: pd.DataFrame) -> list[Failure]:
        """Every failure of ``frame``: unexpected columns, missing columns, then each column's
        checks in schema order, then the table checks (ties in a report keep this order)."""
        found: list[Failure] = []
        if self.strict:
            found += [Failure(UNEXPECTED_COLUMN, str(c)) for c in frame.columns if c not in self.columns]
        found += [Failure(MISSING_COLUMN, c) for c in self.columns if c not in frame.columns]
        rows = frame.index.to_numpy()
        for column, checks in self.columns.items():
            if column not in frame.columns:
                continue
            cells = frame[column]
            for check in checks:
                failed = np.flatnonzero(~np.asarray(check.test(cells), dtype=bool))
                if len(failed):
                    values = cells.to_numpy()[failed]
                    found += [Failure(check.name, column, int(r), str(v))
                              for r, v in zip(rows[failed], values, strict=True)]
        for check in self.checks:
            cells = [(frame.columns.get_loc(col), col, positions) for col, positions in check.test(frame)
                     if len(positions)]
            # Row by row, each row's cells in column order: the order a person reads the file in.
            by_row: dict[int, list[tuple[int, str]]] = {}
            for position, col, positions in cells:
                for p in positions:
                    by_row.setdefault(int(p), []).append((position, col))
            for p in sorted(by_row):
                for position, col in sorted(by_row[p]):
                    found.append(Failure(check.name, col, int(rows[p]), str(frame.iat[p, position])))
        return found


def _accepts(expected: Sequence[float]) -> CellTest:
    """A check passing blanks and the given numbers (``" 1"`` and ``"1.0"`` count as 1).

    Each distinct text of the column is judged once: hashing the column is the only pass over
    its cells.
    """

    def check(cells: pd.Series) -> np.ndarray:
        positions, texts = pd.factorize(cells.to_numpy())
        ok = (texts == "") | np.isin(cell_numbers(texts), expected)
        return ok[positions]

    return check


def _check_number(cells: pd.Series) -> np.ndarray:
    values = cells.to_numpy()
    ok = values == ""
    ok[~ok] = np.isfinite(cell_numbers(values[~ok]))
    return ok


def _check_id_present(cells: pd.Series) -> np.ndarray:
    return (cells.str.strip() != "").to_numpy(dtype=bool)


def _check_id_unique(cells: pd.Series) -> np.ndarray:
    ids = cells.str.strip()
    return (~(ids.duplicated(keep="first") & (ids != ""))).to_numpy(dtype=bool)


# --- routing: who was asked what ------------------------------------------------------------------


@dataclass(frozen=True)
class Routing:
    """Who was asked each question, worked out once per table.

    ``asked[qid]`` is true where the routing sent the respondent to the question; ``known[qid]``
    is false where that cannot be told because a column the routing reads holds an invalid value
    (that value is reported on its own; guessing the routing would only add noise).
    """

    asked: dict[str, np.ndarray]
    known: dict[str, np.ndarray]


def typed_for_routing(codebook: Codebook, frame: pd.DataFrame,
                      variables: Iterable[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The variables routing refers to, typed as :mod:`hakusho.survey.wave` types them.

    Invalid cells become missing; the second result marks them per variable.
    """
    typed: dict[str, object] = {}
    invalid: dict[str, np.ndarray] = {}
    n = len(frame)
    for var in variables:
        q = codebook.by_id[var]
        cols = [q.multi_column(c) for c in q.choices] if q.type == "multi" else [q.column]
        if any(c not in frame.columns for c in cols):
            invalid[var] = np.ones(n, dtype=bool)
            cols = []
        bad = np.zeros(n, dtype=bool)
        if q.type == "multi":
            for choice in q.choices:
                col = q.multi_column(choice)
                if col in frame.columns:
                    numbers = cell_numbers(frame[col])
                    ok = (numbers == 0) | (numbers == 1)
                    bad |= (frame[col].to_numpy() != "") & ~ok
                    values = pd.array(np.where(ok, numbers == 1, False), dtype="boolean")
                    values[~ok] = pd.NA
                else:
                    values = pd.array([pd.NA] * n, dtype="boolean")
                typed[f"{q.id}__{choice.key}"] = values
        elif q.type in ("single", "ordinal", "numeric") and cols:
            cells = frame[q.column]
            codes = [c.code for c in q.choices]
            numbers = cell_numbers(cells)
            ok = np.isin(numbers, codes) if q.type != "numeric" else np.isfinite(numbers)
            bad |= (cells.to_numpy() != "") & ~ok
            dtype = "Float64" if q.type == "numeric" else "Int64"
            typed[q.id] = pd.array(np.where(ok, numbers, np.nan), dtype="Float64").astype(dtype)
        elif cols:
            typed[q.id] = pd.array(frame[q.column].to_numpy(), dtype="string")
        else:
            typed[q.id] = pd.array([pd.NA] * n, dtype="Int64")
        invalid[var] = invalid.get(var, np.zeros(n, dtype=bool)) | bad
    return pd.DataFrame(typed, index=frame.index), invalid


def routed_variables(codebook: Codebook) -> list[str]:
    return sorted({c.var for q in codebook.questions for c in q.asked})


def check_routing_rules(codebook: Codebook) -> None:
    """Evaluate every routing rule once on an empty table, so that a rule naming an unknown
    choice is reported as a codebook error before any data is blamed for it."""
    variables = routed_variables(codebook)
    columns = [c for v in variables for c in codebook.by_id[v].raw_columns()]
    empty = pd.DataFrame({c: pd.array([], dtype="str") for c in columns})
    typed, _ = typed_for_routing(codebook, empty, variables)
    problems = []
    for q in codebook.questions:
        if not q.asked:
            continue
        try:
            conditions_mask(codebook, typed, q.asked, source=f"routing of {q.id}")
        except FilterError as exc:
            problems.append(Problem(exc.message, file=codebook.source))
    if problems:
        raise CodebookError(Msg("validate.routing_unusable", wave=codebook.wave), problems)


def routing(codebook: Codebook, frame: pd.DataFrame) -> Routing:
    variables = routed_variables(codebook)
    typed, invalid = typed_for_routing(codebook, frame, variables)
    everyone = np.ones(len(frame), dtype=bool)
    asked: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for q in codebook.questions:
        if not q.asked:
            asked[q.id], known[q.id] = everyone, everyone
            continue
        mask = conditions_mask(codebook, typed, q.asked, source=f"routing of {q.id}")
        asked[q.id] = mask.to_numpy(dtype=bool)
        unknown = np.zeros(len(frame), dtype=bool)
        for cond in q.asked:
            unknown |= invalid[cond.var]
        known[q.id] = ~unknown
    return Routing(asked, known)


class _RoutingChecks:
    """The table-level checks of one schema.

    They share, per table, one routing evaluation and one "is this cell blank" pass per column.
    """

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        # A weak reference: a schema may be kept after validation, and the table must not live
        # as long as it does.
        self._frame: weakref.ref[pd.DataFrame] | None = None
        self._routing: Routing | None = None
        self._blank: dict[str, np.ndarray] = {}

    def routing(self, frame: pd.DataFrame) -> Routing:
        if self._routing is None or self._frame is None or self._frame() is not frame:
            self._frame, self._routing, self._blank = weakref.ref(frame), routing(self.codebook, frame), {}
        return self._routing

    def blank(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        self.routing(frame)
        if column not in self._blank:
            self._blank[column] = frame[column].to_numpy() == ""
        return self._blank[column]

    @staticmethod
    def _first(rows: np.ndarray, flags: list[np.ndarray]) -> list[np.ndarray]:
        """Positions, among ``rows``, where each flag is the first one set: a question then
        fails once per respondent, at the first offending column."""
        seen = np.zeros(len(rows), dtype=bool)
        out = []
        for flag in flags:
            out.append(rows[flag & ~seen])
            seen |= flag
        return out

    def not_asked(self, frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        route = self.routing(frame)
        failures = []
        for q in self.codebook.questions:
            skipped = np.flatnonzero(~route.asked[q.id] & route.known[q.id])
            if not q.asked or not len(skipped):
                continue
            cols = [c for c in q.raw_columns() if c in frame.columns]
            flags = [~self.blank(frame, c)[skipped] for c in cols]
            failures += zip(cols, self._first(skipped, flags), strict=True)
        return failures

    def required(self, frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        route = self.routing(frame)
        failures = []
        for q in self.codebook.questions:
            sent = np.flatnonzero(route.asked[q.id] & route.known[q.id])
            if q.type == "multi":
                cols = [q.multi_column(c) for c in q.choices if q.multi_column(c) in frame.columns]
                blanks = [self.blank(frame, c)[sent] for c in cols]
                if not q.required and blanks:
                    # An optional question may be left out entirely, not half answered.
                    answered = ~np.logical_and.reduce(blanks)
                    sent, blanks = sent[answered], [b[answered] for b in blanks]
                failures += zip(cols, self._first(sent, blanks), strict=True)
            elif q.required and q.column in frame.columns:
                failures.append((q.column, sent[self.blank(frame, q.column)[sent]]))
        return failures

    def a_choice_ticked(self, frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        route = self.routing(frame)
        failures = []
        for q in self.codebook.questions:
            cols = [q.multi_column(c) for c in q.choices]
            if q.type != "multi" or not q.required or any(c not in frame.columns for c in cols):
                continue
            rows = np.flatnonzero(route.asked[q.id] & route.known[q.id])
            # Nearly everyone ticks a plain "1" somewhere; only the others are looked at closely.
            for col in cols:
                rows = rows[frame[col].to_numpy()[rows] != "1"]
            for col in cols:
                values = frame[col].to_numpy()[rows]
                zero = values == "0"
                unusual = ~zero & (values != "")
                if unusual.any():  # " 1", "0.0" …
                    zero[unusual] = cell_numbers(values[unusual]) == 0
                rows = rows[zero]
            failures.append((cols[0], rows))
        return failures

    def other_text(self, frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        route = self.routing(frame)
        failures = []
        for q in self.codebook.questions:
            other = _other_choice(q)
            source = q.multi_column(other) if other and q.type == "multi" else q.column
            if other is None or q.other_column not in frame.columns or source not in frame.columns:
                continue
            sent = np.flatnonzero(route.asked[q.id] & route.known[q.id])
            sent = sent[~self.blank(frame, q.other_column)[sent]]
            codes = [0, 1] if q.type == "multi" else [c.code for c in q.choices]
            numbers = cell_numbers(frame[source].to_numpy()[sent])
            chosen = numbers == (1 if q.type == "multi" else other.code)
            # An invalid choice cell is reported by its own check; blank or another choice is not.
            valid = np.isnan(numbers) | np.isin(numbers, codes)
            failures.append((q.other_column, sent[valid & ~chosen]))
        return failures


def _other_choice(question: Question):  # -> Choice | None
    if not question.other_column:
        return None
    return next((c for c in question.choices if c.other_text), None)


# --- the schema ------------------------------------------------------------------------------------


def build_schema(codebook: Codebook) -> Schema:
    """The schema of a raw export described by ``codebook``."""
    binary = (ColumnCheck(CHECK_BINARY, _accepts((0, 1))),)
    columns: dict[str, tuple[ColumnCheck, ...]] = {
        codebook.id_column: (ColumnCheck(CHECK_ID_BLANK, _check_id_present),
                             ColumnCheck(CHECK_ID_UNIQUE, _check_id_unique)),
    }
    for q in codebook.questions:
        if q.type == "multi":
            for choice in q.choices:
                columns[q.multi_column(choice)] = binary
        elif q.type in ("single", "ordinal"):
            columns[q.column] = (ColumnCheck(CHECK_CODE, _accepts([c.code for c in q.choices])),)
        elif q.type == "numeric":
            columns[q.column] = (ColumnCheck(CHECK_NUMBER, _check_number),)
        else:
            columns[q.column] = ()
        if q.other_column:
            columns[q.other_column] = ()
    routing_checks = _RoutingChecks(codebook)
    return Schema(
        name=f"codebook {codebook.wave}",
        columns=columns,
        checks=(
            TableCheck(CHECK_NOT_ASKED, routing_checks.not_asked),
            TableCheck(CHECK_REQUIRED, routing_checks.required),
            TableCheck(CHECK_NO_CHOICE, routing_checks.a_choice_ticked),
            TableCheck(CHECK_OTHER_TEXT, routing_checks.other_text),
        ),
    )


# --- the wrong codebook -------------------------------------------------------------------------


def wave_of_path(path: Path) -> str | None:
    """The wave a raw file's folder names (``data/raw/2025/x.csv`` -> ``2025``), if it names one."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    return folder.name if WAVE_FOLDER.fullmatch(folder.name) else None


def _fit(columns: set[str], codebook: Codebook) -> float:
    expected = set(codebook.expected_columns())
    return len(columns & expected) / len(columns | expected)


def neighbour_codebooks(codebook: Codebook) -> list[Codebook]:
    """The other waves' codebooks next to ``codebook``'s file (none for one built in code)."""
    if not codebook.source:
        return []
    found = []
    for path in sorted(Path(codebook.source).parent.glob("*.yml")):
        if path.stem == codebook.wave or not WAVE_FOLDER.fullmatch(path.stem):
            continue
        try:
            found.append(load_codebook(path))
        except HakushoError:
            continue  # a broken neighbour says nothing about this file; its own checks report it
    return found


def wrong_codebook(raw: pd.DataFrame, codebook: Codebook, path: Path, *, wave: str | None = None,
                   others: Sequence[Codebook] | None = None) -> Problem | None:
    """A problem when ``codebook`` plainly belongs to another wave than the file."""
    name = display_path(path)
    declared = wave or wave_of_path(path)
    if declared and declared != codebook.wave:
        where = Msg("validate.of_wave", name=declared) if wave else Msg("validate.of_folder", name=declared)
        return Problem(Msg("validate.other_codebook", wave=codebook.wave, other=declared),
                       file=name, expected=Msg("validate.expected.codebook_of", where=where))
    columns = set(map(str, raw.columns))
    own = _fit(columns, codebook)
    if own == 1.0:
        return None
    candidates = neighbour_codebooks(codebook) if others is None else others
    scored = sorted(((_fit(columns, other), other.wave) for other in candidates if other.wave != codebook.wave),
                    reverse=True)
    if scored and scored[0][0] >= OTHER_WAVE_FIT and scored[0][0] - own >= OTHER_WAVE_MARGIN:
        other = scored[0][1]
        return Problem(Msg("validate.other_codebook", wave=codebook.wave, other=other),
                       file=name, expected=Msg("validate.expected.columns_of", wave=codebook.wave, other=other))
    if own < POOR_FIT:
        present = len(columns & set(codebook.expected_columns()))
        return Problem(Msg("validate.not_this_file", wave=codebook.wave), file=name,
                       expected=Msg("validate.expected.its_columns", n=len(codebook.expected_columns()),
                                    present=present, others=len(columns) - present))
    return None


# --- from failures to problems -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    row: int
    column: str
    value: str


class _Reporter:
    """Turns each failed check into Problems worded for the person who fixes the file."""

    def __init__(self, raw: pd.DataFrame, codebook: Codebook, path: Path) -> None:
        self.raw = raw
        self.codebook = codebook
        self.file = display_path(path)
        self.owner: dict[str, Question] = {c: q for q in codebook.questions for c in q.raw_columns()}
        id_col = codebook.id_column
        self.ids = raw[id_col].str.strip() if id_col in raw.columns else None
        self._first_rows: dict[str, int] | None = None
        self.position = {c: i for i, c in enumerate(raw.columns)}

    def respondent(self, row: int) -> str | None:
        if self.ids is None:
            return None
        rid = self.ids.at[row]
        return rid or None

    def cell(self, where: _Where, message: Msg, expected: Msg, *, column: str | None = None,
             value: object = ...) -> tuple[tuple, Problem]:
        problem = Problem(message, file=self.file, row=where.row, respondent=self.respondent(where.row),
                          column=column or where.column, value=where.value if value is ... else value,
                          expected=expected)
        return (1, where.row, self.position.get(where.column, 0)), problem

    def column_problem(self, failure: Failure, order: int) -> tuple[tuple, Problem]:
        col = failure.column
        if failure.check == MISSING_COLUMN:
            q = self.owner.get(col)
            what = Msg(f"validate.what.{q.type}", id=q.id) if q else Msg("validate.what.id")
            if q and col == q.other_column:
                what = Msg("validate.what.free_text", id=q.id)
            return (0, 0, order), Problem(Msg("validate.missing_column"), file=self.file, column=col,
                                          expected=Msg("validate.expected.column_for", what=what))
        return (0, 1, self.position.get(col, order)), Problem(
            Msg("validate.unexpected_column"), file=self.file, column=col,
            expected=Msg("validate.expected.described_columns", wave=self.codebook.wave))

    def problems(self, failures: Sequence[Failure]) -> list[Problem]:
        """Problems in the order a person fixes them: missing columns, unexpected columns, then
        cell by cell in reading order (row, then column)."""
        keyed: list[tuple[tuple, Problem]] = []
        for order, failure in enumerate(failures):
            if failure.check in (MISSING_COLUMN, UNEXPECTED_COLUMN):
                keyed.append(self.column_problem(failure, order))
                continue
            assert failure.row is not None and failure.value is not None
            keyed.append(self.describe(failure.check, _Where(failure.row, failure.column, failure.value)))
        keyed.sort(key=lambda item: item[0])
        return [p for _, p in keyed]

    def describe(self, check: str | None, where: _Where) -> tuple[tuple, Problem]:
        q = self.owner.get(where.column)
        if check == CHECK_ID_BLANK:
            return self.cell(where, Msg("validate.blank_id"), Msg("validate.expected.id"))
        if check == CHECK_ID_UNIQUE:
            assert self.ids is not None
            if self._first_rows is None:
                firsts = self.ids.drop_duplicates(keep="first")
                self._first_rows = dict(zip(firsts.to_numpy(), firsts.index, strict=True))
            first = self._first_rows[where.value.strip()]
            return self.cell(where, Msg("validate.duplicate_id"), Msg("validate.expected.unique_id", row=first))
        assert q is not None, f"check {check} failed on column {where.column} outside the codebook"
        if check == CHECK_CODE:
            return self.cell(where, _code_message(q, where.value), expected_codes(q))
        if check == CHECK_BINARY:
            return self.cell(where, Msg("validate.not_binary"), Msg("validate.expected.binary"))
        if check == CHECK_NUMBER:
            return self.cell(where, Msg("validate.not_number"), Msg("validate.expected.number"))
        if check == CHECK_NOT_ASKED:
            return self.cell(where, Msg("validate.not_asked"),
                             Msg("validate.expected.blank_unless", column=q.column, routing=routing_text(q)))
        if check == CHECK_REQUIRED:
            if q.type == "multi":
                return self.cell(where, Msg("validate.required"), Msg("validate.expected.binary_because",
                                                                      asked=_asked_phrase(q)))
            return self.cell(where, Msg("validate.required"), Msg("validate.expected.answer_because",
                                                                  asked=_asked_phrase(q)))
        if check == CHECK_NO_CHOICE:
            return self.cell(where, Msg("validate.no_choice"),
                             Msg("validate.expected.one_ticked", asked=_asked_phrase(q)),
                             column=_column_range(q), value=Msg("validate.value.all_zero"))
        if check == CHECK_OTHER_TEXT:
            other = _other_choice(q)
            assert other is not None
            chosen = (Msg("validate.chosen.multi", column=q.multi_column(other)) if q.type == "multi"
                      else Msg("validate.chosen.single", column=q.column, code=other.code, key=other.key))
            return self.cell(where, Msg("validate.free_text_alone"),
                             Msg("validate.expected.filled_when", chosen=chosen))
        raise RuntimeError(f"validation check {check} has no wording")


def _code_message(question: Question, value: str) -> Msg:
    number = pd.to_numeric(pd.Series([value.strip()]), errors="coerce").iloc[0]
    if pd.isna(number) or not float(number).is_integer():
        return Msg("validate.not_a_code")
    codes = [c.code for c in question.choices]
    if number < min(codes) or number > max(codes):
        return Msg("validate.code_out_of_range")
    return Msg("validate.unknown_code")


# --- entry points ------------------------------------------------------------------------------------


def find_problems(raw: pd.DataFrame, codebook: Codebook, path: Path, *, wave: str | None = None,
                  others: Sequence[Codebook] | None = None) -> list[Problem]:
    """Every problem of ``raw`` (as :func:`hakusho.survey.raw.read_raw` returns it) against ``codebook``.

    ``wave`` is the wave the file is meant to be (default: its folder's name, when it names one);
    ``others`` the other waves' codebooks, used to recognise a file from another wave (default:
    the codebooks next to ``codebook``'s file).
    """
    mismatch = wrong_codebook(raw, codebook, path, wave=wave, others=others)
    if mismatch is not None:
        return [mismatch]
    check_routing_rules(codebook)
    failures = build_schema(codebook).failures(raw)
    return _Reporter(raw, codebook, path).problems(failures) if failures else []


def validate_raw(raw: pd.DataFrame, codebook: Codebook, path: Path, *, wave: str | None = None,
                 others: Sequence[Codebook] | None = None) -> None:
    """Raise a DataError listing every problem :func:`find_problems` finds."""
    problems = find_problems(raw, codebook, path, wave=wave, others=others)
    if problems:
        params = {"path": display_path(path), "wave": codebook.wave, "n": len(problems)}
        message = (Msg("validate.mismatch.one", **params) if len(problems) == 1
                   else Msg("validate.mismatch.many", **params))
        raise DataError(message, problems)



def validate_path(path: Path, *, codebook: Path | None = None, wave: str | None = None) -> str:
    """Validate a wave folder or export file; the one-line summary when it passes.

    The wave comes from ``wave`` or the folder's name; the codebook from ``codebook`` or that
    wave's codebook in the project.
    """
    file = find_raw_file(Path(path))
    wave_name = wave or wave_of_path(file)
    if codebook is None and not wave_name:
        raise DataError(Msg("validate.wave_unknown", path=display_path(file)))
    codebook = Path(codebook) if codebook is not None else config.codebook_path(str(wave_name))
    if not codebook.is_file():
        raise CodebookError(Msg("validate.no_codebook", codebook=display_path(codebook), path=display_path(file)))
    book = load_codebook(codebook)
    raw = read_raw(file, id_column=book.id_column)
    validate_raw(raw, book, file, wave=wave)
    return Msg("validate.ok", path=display_path(file), n=len(raw), columns=len(raw.columns), wave=book.wave)
