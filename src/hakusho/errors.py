"""Errors meant for people: each carries where the problem is and what was expected.

The CLI prints them one per line and exits non-zero, never with a traceback (unless --debug).
One family per stage: bad input data, bad filters, bad specs/codebooks, a failed build, an
output destination that must not be written.

Messages are :class:`hakusho.messages.Msg` values (English as text, translated when printed), so
``str(error)`` is English and :meth:`HakushoError.report` gives the same lines in the user's
language, with the location — file, row, respondent, column, value — left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hakusho.messages import Msg, language, text, tr


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    row: int | None = None  # 1-based line/row number in the file as a person sees it
    respondent: str | None = None
    column: str | None = None
    value: object = None
    expected: str | None = None

    def __str__(self) -> str:
        return self.render("en")

    def render(self, lang: str) -> str:
        """The problem in one line of ``lang``: where, what, the value found and what was expected."""
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(tr("where.row", lang, n=self.row))
        if self.respondent is not None:
            where.append(tr("where.respondent", lang, id=self.respondent))
        if self.column:
            where.append(tr("where.column", lang, column=self.column))
        message = text(self.message, lang)
        line = tr("problem.at", lang, where=tr("where.separator", lang).join(where), message=message) if where \
            else message
        # A value is quoted as found; a value that is a message (all 0) in the reader's language.
        value = repr(text(self.value, lang)) if isinstance(self.value, Msg) else repr(self.value)
        if self.value is not None and self.expected:
            line += tr("problem.value_expected", lang, value=value, expected=text(self.expected, lang))
        elif self.value is not None:
            line += tr("problem.value", lang, value=value)
        elif self.expected:
            line += tr("problem.expected", lang, expected=text(self.expected, lang))
        return line


class HakushoError(Exception):
    """Base of every error the CLI reports as a message instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        # What a traceback shows (a notebook's failing cell): the message in the process's language.
        return text(self.message, language())

    def report(self, limit: int = 20, lang: str = "en") -> str:
        """The message and its first ``limit`` problems, one per line, then a count of the rest,
        in ``lang``."""
        lines = [text(self.message, lang)]
        lines += [f"  - {p.render(lang)}" for p in self.problems[:limit]]
        hidden = len(self.problems) - limit
        if hidden > 0:
            lines.append(tr("problem.more", lang, n=hidden))
        return "\n".join(lines)


class DataError(HakushoError):
    """The raw data cannot be read or does not match its codebook."""

    exit_code = 2


class CodebookError(HakushoError):
    """A codebook, crosswalk or chapter spec is malformed or inconsistent."""

    exit_code = 2


class FilterError(HakushoError):
    """A filter names an unknown variable or choice, has the wrong type, or leaves no one."""

    exit_code = 3


class BuildError(HakushoError):
    """A build stage (notebook, assembly, PDF, publish) failed."""

    exit_code = 4


class OutputError(HakushoError):
    """A command was told to write where it must not: into its inputs, over files it did not
    write, or into a folder it cannot write. Raised before anything is created."""

    exit_code = 5


class KpiError(HakushoError):
    """A KPI cannot be computed: impossible inputs, an empty period, or a malformed customer ledger."""

    exit_code = 2


@dataclass
class ProblemCollector:
    """Gathers problems so that a person sees all of them at once, not one per run."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error: type[HakushoError], message: str) -> None:
        if self.problems:
            raise error(message, self.problems)
