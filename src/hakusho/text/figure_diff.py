"""What moved between two builds: every figure whose value changed, and where the report quotes it.

An editor who receives a corrected data export rebuilds the report and runs
``hakusho diff OLD_REPORT NEW_REPORT``: each changed figure comes with its old and new value, the
change (in points for percentages), the slide that shows it (figure id → chart → slide of the
spec) and the commentary lines that reference it — the places to re-read.

A report is read through :func:`hakusho.build_folder.read_figures`: a merged ``figures.json`` at
its root (``report/<wave>/figures.json``), per-chapter ``figures/<chapter>.json`` — the cross
analysis's ``figures/cross.json`` with its chi-square, p-values and Cramér's V included — or a
build directory's ``chapters/<chapter>/figures.json``. A test statistic that moved is a change
like a share that moved: listed with every digit the build wrote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from hakusho import build_folder, config
from hakusho.build_folder import CROSS_PART, Figures, read_figures
from hakusho.errors import BuildError
from hakusho.messages import Listed, Msg
from hakusho.text.commentary import quotes_by_figure

Status = Literal["changed", "added", "removed"]
FORMATS = ("text", "csv", "json")
_STATISTICS = ("statistic", "p_value")  # test results: shown with every digit the build wrote


@dataclass(frozen=True)
class FigureChange:
    """One figure that differs between two builds."""

    figure_id: str
    kind: str
    status: Status
    old: Any
    new: Any
    change: float | int | None  # new − old: points for pct/points, a difference for counts
    slides: tuple[str, ...] = ()
    quoted_in: tuple[str, ...] = ()  # "data/commentary/2025/ch3.ja.md:12"


def _same(old: Any, new: Any) -> bool:
    """Equal values; 221 and 221.0 are the same number, True is not 1."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return Decimal(repr(old)) == Decimal(repr(new))
    return old == new


def _change(kind: str, old: Any, new: Any) -> float | int | None:
    numeric = (int, float)
    if not isinstance(old, numeric) or not isinstance(new, numeric) or isinstance(old, bool) or isinstance(new, bool):
        return None
    if kind in ("count", "n"):
        return int(new) - int(old)
    if kind in ("pct", "points", *_STATISTICS):
        return float(Decimal(repr(float(new))) - Decimal(repr(float(old))))
    return None


def diff_figures(old: Figures, new: Figures) -> list[FigureChange]:
    """Figures whose value differs, appeared or disappeared, sorted by id (pure; no locations)."""
    changes = []
    for fid in sorted(set(old) | set(new)):
        before, after = old.get(fid), new.get(fid)
        if before is not None and after is not None:
            if _same(before.get("value"), after.get("value")):
                continue
            kind = str(after.get("kind") or before.get("kind"))
            changes.append(FigureChange(fid, kind, "changed", before.get("value"), after.get("value"),
                                        _change(kind, before.get("value"), after.get("value"))))
        elif after is not None:
            changes.append(FigureChange(fid, str(after.get("kind")), "added", None, after.get("value"), None))
        elif before is not None:
            changes.append(FigureChange(fid, str(before.get("kind")), "removed", before.get("value"), None, None))
    return changes


def slides_by_chart(wave: str | None = None) -> dict[str, str]:
    """{chart id: slide id} of an edition's spec, {``cross.<id>``: slide id} of every cross, and
    the page's Explore part for the explorer's figures (``explore.…``)."""
    from hakusho.analysis.cross_spec import load_crosses, slide_id
    from hakusho.analysis.explore import EXPLORE_ID
    from hakusho.analysis.spec import default_spec

    slides = {chart.id: slide.id for chapter in default_spec(wave).chapters for slide in chapter.slides
              for chart in slide.charts}
    crosses = {f"{CROSS_PART}.{cross.id}": slide_id(cross.id) for cross in load_crosses(wave=wave)}
    return slides | crosses | {EXPLORE_ID: EXPLORE_ID}


def _chart_of(figure_id: str) -> str:
    """The chart a figure belongs to: ``retention`` of ``retention.r80_90.pct``, and
    ``cross.retention_by_tools`` of ``cross.retention_by_tools.chi2``."""
    parts = figure_id.split(".")
    return ".".join(parts[:2]) if parts[0] == CROSS_PART else parts[0]


def locate(
    changes: list[FigureChange], slides: Mapping[str, str], quotes: Mapping[str, list[str]]
) -> list[FigureChange]:
    """The changes with the slide of each figure's chart and the commentary lines quoting it."""
    located = []
    for c in changes:
        slide = slides.get(_chart_of(c.figure_id))
        located.append(FigureChange(c.figure_id, c.kind, c.status, c.old, c.new, c.change,
                                    (slide,) if slide else (), tuple(quotes.get(c.figure_id, ()))))
    return located


def report_wave(path: Path) -> str:
    """The wave of a built report (its manifest) or build folder (its survey.json), else a
    folder named like a year, else the default wave."""
    wave = build_folder.report_wave(path)
    if wave:
        return wave
    if path.name.isdigit() and len(path.name) == 4:
        return path.name
    return config.DEFAULT_WAVE


def diff_reports(
    old_report: Path, new_report: Path, *, wave: str | None = None, commentary_root: Path | None = None
) -> list[FigureChange]:
    """Changed figures between two built reports, located in the spec and the new commentary."""
    old, new = read_figures(old_report), read_figures(new_report)
    wave = wave or report_wave(Path(new_report))
    return locate(diff_figures(old, new), slides_by_chart(wave), quotes_by_figure(wave, commentary_root))


# --------------------------------------------------------------------------- output


def show_value(kind: str, value: Any) -> str:
    """A value as the diff prints it (language-neutral: keys, not labels)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "pct":
        return f"{float(value):.1f}%"
    if kind == "points":
        return f"{float(value):+.1f} pt"
    if kind in ("count", "n"):
        return f"{int(value):,}"
    if kind in _STATISTICS and isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


def show_change(change: FigureChange) -> str:
    if change.status != "changed":
        return change.status
    if change.change is None:
        return ""
    if change.kind in ("pct", "points"):
        return f"{change.change:+.1f} pt"
    if change.kind in _STATISTICS:
        return f"{change.change:+.4g}"
    return f"{change.change:+,d}"


def format_text(changes: list[FigureChange]) -> Msg:
    """For editors: one line per figure, then where it appears, indented (a message: English as
    text, printed in the user's language)."""
    if not changes:
        return Msg("diff.none")
    rows = [(c.figure_id, show_value(c.kind, c.old), show_value(c.kind, c.new), show_change(c)) for c in changes]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines: list[str] = [Msg("diff.changed", n=len(changes)), ""]
    for c, (fid, old, new, delta) in zip(changes, rows, strict=True):
        lines.append(f"  {fid:<{widths[0]}}  {old:>{widths[1]}} → {new:<{widths[2]}}  {delta}".rstrip())
        where = []
        if c.slides:
            where.append(Msg("diff.slides", slides=", ".join(c.slides)))
        if c.quoted_in:
            where.append(Msg("diff.quoted", places=", ".join(c.quoted_in)))
        if where:
            lines.append(Msg("diff.where", where=Listed(where, "list.semicolon")))
    return Msg("diff.text", lines=Listed(lines, "list.newline"))


CSV_COLUMNS = ["figure_id", "kind", "status", "old", "new", "change", "slides", "quoted_in"]


def _record(c: FigureChange) -> dict[str, Any]:
    record = asdict(c)
    record["slides"] = list(c.slides)
    record["quoted_in"] = list(c.quoted_in)
    if isinstance(c.change, float):
        record["change"] = float(f"{c.change:.6g}") if c.kind in _STATISTICS else round(c.change, 1)
    return record


def format_csv(changes: list[FigureChange]) -> str:
    """For spreadsheets: raw values; several slides or quotes joined by ';'."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for c in changes:
        record = _record(c)
        record["slides"] = ";".join(c.slides)
        record["quoted_in"] = ";".join(c.quoted_in)
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def format_json(changes: list[FigureChange]) -> str:
    """For tools: ``{"changed": n, "figures": [records]}``, keys sorted."""
    return json.dumps({"changed": len(changes), "figures": [_record(c) for c in changes]},
                      ensure_ascii=False, indent=2, sort_keys=True)


def format_changes(changes: list[FigureChange], fmt: str = "text") -> str:
    if fmt not in FORMATS:
        raise BuildError(Msg("diff.unknown_format", name=fmt, valid=", ".join(FORMATS)))
    return {"text": format_text, "csv": format_csv, "json": format_json}[fmt](changes)
