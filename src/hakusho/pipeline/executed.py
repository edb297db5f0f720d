"""The executed notebook: the chapter's log, made a function of its inputs, and a failing cell
told in one line.

Executed notebooks are normalised so that two runs give the same bytes: papermill's timings and
absolute paths removed, nbclient's timing metadata off, cell ids stable, absolute paths and
memory addresses in text outputs replaced (:func:`normalise_notebook`).

papermill reports a failing cell as ``PapermillExecutionError`` with the kernel's traceback — fine
for a developer, not for the person building the report. :func:`cell_failure` names what they
need to know in one line: the chapter, the notebook, the cell (its number as the executed
notebook shows it), the error — a hakusho error raised inside the notebook (a filter naming an
unknown variable, say) arrives with its own message and located problems — and the line of the
cell that raised. The executed notebook, kept by the build, holds the full traceback.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError
from hakusho.messages import Msg

INJECTED_CELL_ID = "injected-parameters"

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ARROW = re.compile(r"^-*>\s*(\d+)\s(.*)$")


class NotebookFailed(BuildError):
    """A notebook cell raised: says which notebook, which cell and what, in one line."""

    def __init__(self, message: str, *, executed: Any = None) -> None:
        super().__init__(message)
        self.executed = executed  # the executed notebook up to the failing cell, for inspection


def one_line(ename: str, evalue: str) -> str:
    """An exception's name and message on one line (its own lines joined by " / ")."""
    text = _ANSI.sub("", f"{ename}: {evalue}" if evalue else ename)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " / ".join(lines)[:400]


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 100 else line[:99] + "…"


def failing_line(source: str, traceback: list[str]) -> str:
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


def cell_failure(exc: Any, *, name: str, notebook: str | Path, executed: Any = None) -> NotebookFailed:
    """The one-line error of a failing cell (a ``PapermillExecutionError``): ``<name>
    (<notebook>) cell <n>: <error>; the cell runs: <line>``."""
    ename = str(getattr(exc, "ename", type(exc).__name__))
    evalue = str(getattr(exc, "evalue", exc))
    exec_count = getattr(exc, "exec_count", None)
    cell = exec_count if exec_count is not None else f"#{int(getattr(exc, 'cell_index', 0)) + 1}"
    where = {"name": name, "notebook": Path(notebook).name, "cell": cell, "error": one_line(ename, evalue)}
    code = failing_line(str(getattr(exc, "source", "")), list(getattr(exc, "traceback", []) or []))
    message = Msg("executed.cell_failed_code", code=code, **where) if code else Msg("executed.cell_failed", **where)
    return NotebookFailed(message, executed=executed)


def path_prefixes(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Absolute prefixes replaced in notebook text outputs, longest first."""
    from hakusho import project

    try:
        root = str(project.current().root)
    except project.NoProjectError:
        root = ""
    prefixes = {
        root: "<project>",
        sys.prefix: "<python>",
        sys.base_prefix: "<python>",
        str(Path.home()): "~",
        tempfile.gettempdir(): "<tmp>",
    }
    prefixes.update(extra or {})
    prefixes = {k: v for k, v in prefixes.items() if k and k != os.sep}
    return dict(sorted(prefixes.items(), key=lambda kv: -len(kv[0])))


def _scrub_text(text: str, prefixes: Mapping[str, str]) -> str:
    for prefix, replacement in prefixes.items():
        if prefix in text:
            text = text.replace(prefix, replacement)
    return _ADDRESS.sub("0x0", text)


def _scrub_value(value: Any, prefixes: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, prefixes)
    if isinstance(value, list):
        return [_scrub_value(v, prefixes) for v in value]
    return value


def _coalesce_streams(outputs: list[Any]) -> list[Any]:
    """One output per run of stdout (or stderr) text: how the kernel batched its writes into
    messages depends on timing, what was written does not."""
    merged: list[Any] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            previous = merged[-1]
            text = previous.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            more = out.get("text", "")
            previous["text"] = text + ("".join(more) if isinstance(more, list) else more)
            continue
        merged.append(out)
    return merged


def normalise_notebook(nb: Any, *, source: Path, scrub: Mapping[str, str] | None = None) -> Any:
    """Make an executed notebook a function of its inputs only (see the module docstring)."""
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    prefixes = path_prefixes(scrub)
    try:
        source_ids = {c.get("id") for c in json.loads(Path(source).read_text(encoding="utf-8")).get("cells", [])}
    except (OSError, ValueError):
        source_ids = set()
    source_ids.discard(None)

    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in ("start_time", "end_time", "duration"):
            pm.pop(key, None)
        pm["input_path"] = Path(source).name
        pm["output_path"] = Path(source).name
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = INJECTED_CELL_ID
        elif cell.get("id") not in source_ids:
            cell["id"] = f"cell-{index}"
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        cpm = meta.get("papermill")
        if cpm is not None:
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = _coalesce_streams(cell.get("outputs", []))
        for out in cell["outputs"]:
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = _scrub_value(out.get("text", ""), prefixes)
            elif kind == "error":
                out["evalue"] = _scrub_value(out.get("evalue", ""), prefixes)
                out["traceback"] = _scrub_value(out.get("traceback", []), prefixes)
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                for mime in list(data):
                    if mime.startswith("text/"):
                        data[mime] = _scrub_value(data[mime], prefixes)
            out.get("metadata", {}).pop("execution", None)
    return nb


def write_notebook(nb: Any, path: Path) -> None:
    """Write a notebook as nbformat does (sorted keys, one-space indent), LF line ends."""
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
