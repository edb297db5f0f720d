"""Running a chapter notebook with papermill, and turning a failed cell into a BuildError.

papermill reports a failing cell as ``PapermillExecutionError`` with the kernel's traceback — fine
for a developer, not for the person building the report. :func:`execution_error` names what they
need to know in one line: the chapter, the notebook, the cell (its number as the executed
notebook shows it and its first line of code) and the error; a hakusho error raised inside the
notebook (a filter naming an unknown variable, say) arrives with its own message intact. The
executed notebook, written even when a cell fails, keeps the full traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError, Problem

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


_ARROW = re.compile(r"^-*>\s*(\d+)\s(.*)$")


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 100 else line[:99] + "…"


def _failing_line(source: str, traceback: list[str]) -> str:
    """The line of the cell that raised (IPython marks it ``---->``), else its first line of code."""
    for frame in traceback:  # the cell's own frame comes first, so its arrow is the first one
        for text in _ANSI.sub("", frame).splitlines():
            m = _ARROW.match(text.strip())
            if m:
                return _short(m.group(2))
    for line in source.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            return _short(line)
    return ""


def execution_error(exc: Any, *, chapter: str, notebook: str | Path, output: str | Path | None = None) -> BuildError:
    """A BuildError naming chapter, notebook, cell and error for a ``PapermillExecutionError``."""
    name = Path(notebook).name
    ename = str(getattr(exc, "ename", type(exc).__name__))
    evalue = _ANSI.sub("", str(getattr(exc, "evalue", exc))).strip()
    first_line = evalue.splitlines()[0] if evalue else ""
    cell_index = getattr(exc, "cell_index", None)
    exec_count = getattr(exc, "exec_count", None)
    where = f"cell [{exec_count}]" if exec_count is not None else f"cell {cell_index}"
    code = _failing_line(str(getattr(exc, "source", "")), list(getattr(exc, "traceback", []) or []))
    message = f"chapter {chapter} ({name}) failed in {where}: {ename}: {first_line}"
    position = f"cell {int(cell_index) + 1} of the notebook" if cell_index is not None else "the cell"
    problems = [Problem(f"{position} runs: {code}", file=name)]
    problems += [Problem(line.strip().removeprefix("- ")) for line in evalue.splitlines()[1:] if line.strip()]
    if output is not None:
        problems.append(Problem(f"the executed notebook with the full traceback: {Path(output).name}"))
    return BuildError(message, problems)


def run_notebook(notebook: str | Path, output: str | Path, parameters: Mapping[str, Any], *,
                 cwd: str | Path | None = None, kernel_name: str = "python3") -> Path:
    """Execute ``notebook`` with papermill into ``output``; a failing cell raises BuildError.

    ``parameters`` are injected after the cell tagged ``parameters``; ``parameters["chapter"]``
    names the chapter in error messages.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    chapter = str(parameters.get("chapter", notebook.stem))
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=dict(parameters), kernel_name=kernel_name,
                                   cwd=str(cwd) if cwd is not None else None, progress_bar=False, log_output=False)
    except PapermillExecutionError as exc:
        raise execution_error(exc, chapter=chapter, notebook=notebook, output=output) from None
    return output
