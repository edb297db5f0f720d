"""Errors meant for people: each carries where the problem is and what was expected.

The CLI prints them one per line and exits non-zero, never with a traceback (unless --debug).
One family per stage: bad input data, bad filters, bad specs/codebooks, a failed build, an
output destination that must not be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.respondent is not None:
            where.append(f"respondent {self.respondent}")
        if self.column:
            where.append(f"column {self.column}")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.value is not None:
            text += f" (value {self.value!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class HakushoError(Exception):
    """Base of every error the CLI reports as a message instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def report(self, limit: int = 20) -> str:
        """The message and its first ``limit`` problems, one per line, then a count of the rest."""
        lines = [self.message]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        hidden = len(self.problems) - limit
        if hidden > 0:
            lines.append(f"  … and {hidden} more problem(s)")
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
