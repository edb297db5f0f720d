"""Editions: next year's white paper from data and text alone, and released editions kept exact.

An edition is a wave's report. Its content contract — chapters, slides and charts
(``chapters.yml``), headline rules (``headlines.yml``) and crosses (``crosses.yml``) — lives in
the project at ``data/editions/<wave>/`` where the edition needs its own (the package's spec
serves the others), and its editors' text in ``data/commentary/<wave>/``. Nothing of an edition
is in the package: a new edition never needs a code change.

``hakusho edition new 2026 --from 2025`` (:func:`new_edition`) starts the 2026 edition as a copy
of 2025's: the codebook copy to edit, the contract (without the charts whose question is gone,
and without reference charts of the earlier wave that are now compared year over year),
commentary stubs that keep the 2025 files' summary and references as notes, and the inferred
crosswalk. It never replaces a file, and it lists what the editor still has to do.

``hakusho edition release 2025`` (:func:`release`) records a published edition's figures in the
project (``data/editions/2025/released/figures/``), the way a snapshot is recorded;
:func:`moved_figures` compares a build with that record, so any later change that moves a
released figure is named (the test suite checks the 2025 edition this way). Updating the record
is deliberate: ``--update``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hakusho import build_folder, config
from hakusho.errors import BuildError, Problem
from hakusho.messages import Msg

RELEASED = "released"
# The Explore part's tables (every question by every breakdown, about 16 MB) are not recorded:
# they come from the same tabulation as the chapters, whose figures are.
NOT_RECORDED = ("explore.json",)
REFERENCE = re.compile(r"\$\{\s*([a-z0-9_]+(?:\.[a-z0-9_]+)+)\s*\}")


@dataclass
class NewEdition:
    """What :func:`new_edition` wrote and what is left for the editor."""

    wave: str
    source: str
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already there: left as they were
    todo: list[str] = field(default_factory=list)


def _write_new(result: NewEdition, path: Path, text: str) -> None:
    if path.exists():
        result.kept.append(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    result.written.append(path)


def codebook_copy(text: str, source: str, wave: str) -> str:
    """A codebook for ``wave`` from ``source``'s: the wave, and the year in its titles, changed."""
    text = re.sub(rf'(?m)^wave:\s*"?{source}"?\s*$', f'wave: "{wave}"', text, count=1)
    out = []
    for line in text.split("\n"):
        if re.match(r"^\s+(title|short_title):", line):
            line = line.replace(source, wave)
        out.append(line)
    return "\n".join(out)


def _variables(book: Any) -> set[str]:
    return set(book.by_id)


def _contract(source: str, book_new: Any, book_from: Any, comparable: set[str]) -> tuple[dict, list[str]]:
    """The source edition's chapters.yml for the new wave, and why each chart left."""
    doc = yaml.safe_load(config.edition_file("chapters.yml", source).read_text(encoding="utf-8"))
    notes = []
    for chapter in doc["chapters"]:
        slides = []
        for slide in chapter["slides"]:
            charts = []
            for chart in slide["charts"]:
                var = chart.get("question") or chart["id"]
                if chart.get("wave") == "compare":
                    if var not in _variables(book_from):
                        notes.append(Msg("edition.removed.not_in_codebook", chart=chart["id"], var=var, wave=source))
                        continue
                    if var in comparable:
                        notes.append(Msg("edition.removed.now_compared", chart=chart["id"], var=var,
                                         wave=book_new.wave))
                        continue
                elif var not in _variables(book_new):
                    notes.append(Msg("edition.removed.not_in_codebook", chart=chart["id"], var=var, wave=book_new.wave))
                    continue
                charts.append(chart)
            if charts:
                slides.append({**slide, "charts": charts})
            else:
                notes.append(Msg("edition.removed.slide", slide=slide["id"]))
        chapter["slides"] = slides
    return doc, notes


def _yaml_text(doc: Any, header: str) -> str:
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None)
    return header + body


def _stub(lang: str, chapter: str, title: str, previous: str, references: list[str], source: str) -> str:
    from hakusho.scaffold import commentary_stub

    stub = commentary_stub(lang, chapter, title, references)
    head = f"{source}年版の文章:" if lang == "ja" else f"The {source} edition's text:"
    kept = previous.replace("-->", "--&gt;").strip()
    return stub.replace("-->", f"\n{head}\n{kept}\n-->", 1) if kept else stub


def new_edition(wave: str, source: str) -> NewEdition:
    """Start edition ``wave`` as a copy of edition ``source`` (see the module docstring)."""
    from hakusho.analysis.spec import load_spec
    from hakusho.survey.codebook import load_codebook
    from hakusho.survey.crosswalk import compare_codebooks, crosswalk_path, draft_text, load_crosswalk
    from hakusho.text.commentary import commentary_files, read_commentary

    if not re.fullmatch(r"\d{4}", wave) or not re.fullmatch(r"\d{4}", source) or wave == source:
        raise BuildError(Msg("edition.bad_wave", wave=repr(wave), source=repr(source)))
    project = config.current_project()
    result = NewEdition(wave=wave, source=source)
    source_book = project.codebook_path(source)
    if not source_book.is_file():
        raise BuildError(Msg("edition.no_codebook", wave=source),
                         [Problem(Msg("project.missing"), file=str(source_book),
                                  expected=Msg("edition.expected.codebook", wave=source))])

    # 1. The codebook to edit (an editor's own copy, made first, is kept as it is).
    book_path = project.codebook_path(wave)
    _write_new(result, book_path, codebook_copy(source_book.read_text(encoding="utf-8"), source, wave))
    book_from, book_new = load_codebook(source_book), load_codebook(book_path)

    # 2. The crosswalk between the two waves, as inferred from the codebooks.
    pair = crosswalk_path(source, wave, project.crosswalk_dir)
    listed = load_crosswalk(pair) if pair.is_file() else None
    comparison = compare_codebooks(book_from, book_new, listed)
    _write_new(result, pair, draft_text(book_from, book_new, comparison))

    # 3. The content contract, copied, without what no longer applies.
    comparable = set(comparison.identical) | set(comparison.mapped)
    contract, removed = _contract(source, book_new, book_from, comparable)
    folder = project.edition_dir(wave)
    header = (f"# The content contract of the {wave} edition, started from the {source} edition by\n"
              f"# `hakusho edition new {wave} --from {source}`. Edit it freely: it belongs to this edition.\n")
    _write_new(result, folder / "chapters.yml", _yaml_text(contract, header))
    for name in ("headlines.yml", "crosses.yml"):
        text = config.edition_file(name, source).read_text(encoding="utf-8")
        _write_new(result, folder / name, header + text)
    spec = load_spec(folder / "chapters.yml")
    owners = set(spec.charts) | {ch.id for ch in spec.chapters} | {"cross"}

    def resolves(ref: str) -> bool:
        # A figure of a chart, chapter or the cross part the edition has, naming no wave but its own two.
        parts = ref.split(".")
        return parts[0] in owners and all(p in (wave, source) for p in parts[1:] if re.fullmatch(r"\d{4}", p))

    # 4. Commentary stubs keeping the previous text and its references as notes.
    titles = {"summary": {"ja": "報告書全体の要約", "en": "the report's opening summary"}}
    titles.update({ch.id: {"ja": ch.title.ja, "en": ch.title.en} for ch in spec.chapters})
    broken: list[str] = []
    for path in commentary_files(source, project.commentary_dir):
        doc = read_commentary(path)
        refs = list(dict.fromkeys(REFERENCE.findall("\n".join(doc.lines))))
        gone = [r for r in refs if not resolves(r)]
        broken += [f"{path.name}: ${{{r}}}" for r in gone]
        previous = "\n".join(doc.lines)
        title = titles.get(doc.chapter, {"ja": doc.chapter, "en": doc.chapter})[doc.lang]
        _write_new(result, project.commentary_dir / wave / path.name,
                   _stub(doc.lang, doc.chapter, title, previous, refs, source))

    # 5. What is left to do.
    todo = result.todo
    todo.append(Msg("edition.todo.period", path=_rel(book_path)))
    raw = project.raw_wave_dir(wave)
    if not raw.is_dir() or not any(raw.iterdir()):
        todo.append(Msg("edition.todo.export", wave=wave, path=_rel(raw)))
    for var in comparison.changed:
        todo.append(Msg("edition.todo.changed", var=var, source=source, path=_rel(pair)))
    todo += removed
    todo += [Msg("edition.todo.broken", ref=b) for b in broken]
    todo.append(Msg("edition.todo.commentary", wave=wave, path=_rel(project.commentary_dir / wave)))
    todo.append(Msg("edition.todo.build", wave=wave, source=source))
    return result


def _rel(path: Path) -> str:
    try:
        return Path(path).relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------ released editions


def released_dir(wave: str) -> Path:
    """Where a released edition's figures are recorded."""
    return config.current_project().edition_dir(wave) / RELEASED / "figures"


def release(wave: str, report: Path | None = None, *, update: bool = False) -> Path:
    """Record the figures of the built report of ``wave`` as the released edition's."""
    source = Path(report) if report else config.REPORT_DIR / wave / build_folder.REPORT_FIGURES
    if source.is_dir() and (source / build_folder.REPORT_FIGURES).is_dir():
        source = source / build_folder.REPORT_FIGURES
    files = sorted(p for p in source.glob("*.json") if p.name not in NOT_RECORDED) if source.is_dir() else []
    if not files:
        raise BuildError(Msg("edition.no_figures", path=_rel(source), wave=wave))
    target = released_dir(wave)
    if target.is_dir() and any(target.iterdir()) and not update:
        raise BuildError(Msg("edition.released", wave=wave, path=_rel(target)))
    for path in files:
        try:
            build_folder.read_figures(path)
        except BuildError:
            raise BuildError(Msg("edition.not_figures", name=path.name)) from None
    if target.is_dir() and update:
        shutil.rmtree(target)  # the record is hakusho's own file set, replaced whole on purpose
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
    return target


def moved_figures(wave: str, report: Path) -> list[Any]:
    """Every figure of the released record of ``wave`` whose value differs in ``report`` (a
    built report folder) or that it no longer has, located in the edition's slides; empty when
    nothing moved. Figures the record does not hold (a part added since) are not moves."""
    from hakusho.text.figure_diff import diff_reports

    record = released_dir(wave)
    if not record.is_dir():
        raise BuildError(Msg("edition.no_record", wave=wave, path=_rel(record)))
    return [c for c in diff_reports(record.parent, Path(report), wave=wave) if c.status != "added"]
