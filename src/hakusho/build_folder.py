"""The build folder: where every stage leaves its outputs for the next, and how they are written.

Layout (relative to the build folder the pipeline stages)::

    survey.json                      the waves, segment and filter of the report, who was asked
    chapters/<id>/                   one chapter's outputs (a notebook of the spec's chapters)
    parts/<id>/                      a part that is not a chapter (the cross analysis: parts/cross/)

and inside each chapter's or part's folder::

    chapter.json | cross.json        the document: every chart (or cross) with its numbers and notes
    figures.json                     every number prose may quote, by stable id
    tables/<id>.csv                  the tidy table behind each chart
    charts/<id>.<lang>.svg           each chart, per language
    NN_name.ipynb                    the executed notebook

Documents are written one way: UTF-8, LF line ends, sorted keys, one-space indent, so that two
runs give the same bytes on every platform.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hakusho.errors import BuildError, Problem
from hakusho.messages import Msg

CHAPTERS = "chapters"
PARTS = "parts"
CROSS_PART = "cross"  # parts/<id>/ of the build folder holding the cross analysis
SURVEY = "survey.json"


def plain(obj: Any) -> Any:
    """Mappings and sequences as dicts and lists, numpy scalars as Python numbers (checked by
    module, so that writing a document does not import numpy)."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        return obj.item()
    return obj


def json_text(obj: Any) -> str:
    """A document as the build folder holds it (NaN is an error, never written)."""
    return json.dumps(plain(obj), sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> None:
    """UTF-8 with LF line ends, whatever the platform: outputs must be byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_json(path: Path, doc: Any) -> None:
    """Write a document (see :func:`json_text`)."""
    write_text(path, json_text(doc))


# ------------------------------------------------------------------------------ reading a build


@dataclass(frozen=True)
class Build:
    """A build directory, read: survey.json, the chapters in spec order, every figure."""

    root: Path
    survey: Mapping[str, Any]
    chapters: tuple[Mapping[str, Any], ...]
    cross: Mapping[str, Any] | None = None  # parts/cross/cross.json, when the build has the part
    cross_figures: Mapping[str, Any] = field(default_factory=dict)  # its figures.json

    @cached_property
    def figures(self) -> dict[str, dict[str, Any]]:
        from hakusho.text.commentary import load_figures

        return load_figures(self.root)

    @cached_property
    def charts(self) -> dict[str, Mapping[str, Any]]:
        return {c["id"]: c for ch in self.chapters for s in ch["slides"] for c in s["charts"]}

    def chapter_dir(self, chapter_id: str) -> Path:
        return self.root / CHAPTERS / chapter_id

    def part_dir(self, part_id: str) -> Path:
        return self.root / PARTS / part_id

    def chart_file(self, chart_id: str, relative: str) -> Path:
        chapter = next(ch for ch in self.chapters
                       if any(c["id"] == chart_id for s in ch["slides"] for c in s["charts"]))
        return self.chapter_dir(chapter["chapter"]) / relative

    @property
    def wave(self) -> str:
        return str(self.survey["wave"])

    @property
    def compare_wave(self) -> str:
        return str(self.survey.get("compare_wave") or "")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(Msg("folder.missing", what=what, name=path.name, folder=path.parent.name)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(Msg("folder.unreadable", what=what), [Problem(str(exc), file=path.name)]) from None


def build_wave(build_dir: Path | str) -> str | None:
    """The wave a build directory is of (its edition), from survey.json; None when unreadable."""
    try:
        return str(json.loads((Path(build_dir) / SURVEY).read_text(encoding="utf-8"))["wave"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # load_build then says what is wrong with the folder


def load_build(build_dir: Path | str, chapter_ids: Sequence[str]) -> Build:
    """Read a build directory; chapters come in the order of ``chapter_ids`` (the spec's), unknown
    ones are an error."""
    root = Path(build_dir)
    survey = _read_json(root / SURVEY, Msg("folder.what.survey"))
    folder = root / CHAPTERS
    present = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    known = list(chapter_ids)
    unknown = [c for c in present if c not in known]
    if unknown:
        raise BuildError(Msg("folder.unknown_chapters", chapters=", ".join(unknown)),
                         [Problem(Msg("folder.problem.unknown_chapter"), file="chapters/", value=c,
                                  expected=", ".join(known)) for c in unknown])
    if not present:
        raise BuildError(Msg("folder.no_chapters"))
    chapters = tuple(_read_json(folder / c / "chapter.json", Msg("folder.what.chapter", id=c))
                     for c in known if c in present)
    for doc in chapters:
        if doc.get("wave") != survey.get("wave"):
            raise BuildError(Msg("folder.chapter_wave", chapter=doc.get("chapter"), wave=doc.get("wave"),
                                 build=survey.get("wave")))
    cross, cross_figures = _load_cross(root, survey)
    return Build(root, survey, chapters, cross, cross_figures)


def _load_cross(root: Path, survey: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, dict[str, Any]]:
    """The cross-analysis part of a build (``parts/cross/``), or None when the build has none."""
    folder = root / PARTS / CROSS_PART
    if not (folder / "cross.json").is_file():
        return None, {}
    doc = _read_json(folder / "cross.json", Msg("folder.what.cross"))
    if doc.get("wave") != survey.get("wave") or doc.get("segment") != survey.get("segment"):
        raise BuildError(Msg("folder.cross_wave", wave=doc.get("wave"), segment=doc.get("segment"),
                             build=survey.get("wave"), build_segment=survey.get("segment")))
    figures = _read_json(folder / "figures.json", Msg("folder.what.cross_figures"))
    return doc, figures
