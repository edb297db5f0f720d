"""The assembly stage: from the chapters' outputs to the report tree.

It checks the editors' commentary against the chapters' figures, writes ``survey.json`` (what the
renderers need to know about the waves), runs the renderers that are not cached
(:mod:`hakusho.pipeline.render_pool`), copies the tables behind the charts to ``data/`` and the
executed notebooks to ``notebooks/``, and writes ``manifest.json``.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hakusho import __version__, build_folder, config, content_store
from hakusho.errors import BuildError
from hakusho.i18n import LANGS
from hakusho.messages import Msg, say
from hakusho.pipeline.cache import assembly_library_versions
from hakusho.pipeline.manifest import manifest_document, output_hashes, write_manifest
from hakusho.pipeline.options import DEFAULT_SEGMENT, BuildOptions
from hakusho.pipeline.plan import Plan
from hakusho.pipeline.progress import Reporter
from hakusho.pipeline.render_pool import merge_tree, render_tasks


@dataclass
class Assembled:
    """Which renderers ran and which were taken from the cache, in the plan's order."""

    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)


def assemble(plan: Plan, *, build_dir: Path, outputs: Mapping[str, Path], tree: Path, work: Path,
             reporter: Reporter) -> Assembled:
    """Render what is not cached, merge everything into ``tree`` and write its manifest.

    ``outputs`` maps each chapter (and part) built to the folder holding its outputs.
    """
    options = plan.options
    done = Assembled()
    check_commentary(options, build_dir)
    todo = [t for t in plan.tasks if options.force or not plan.cache.get("assembly", t.key)]
    for task in plan.tasks:
        reporter.step(f"task:{task.name}", task.name)
    if plan.tasks:  # (also when every renderer is cached: a preview renders the pages once more, to warm up)
        write_survey_json(options, build_dir, outputs[next(c for c in plan.notebooks if c not in plan.parts)])
    placed = work / "assembly"
    for task in plan.tasks:
        if task not in todo:
            entry = plan.cache.get("assembly", task.key)
            assert entry is not None
            merge_tree(entry, tree)
            done.reused.append(task.name)
            reporter.done(f"task:{task.name}", cached=True)
    if todo:
        complete_charts(outputs, sorted({lang for t in todo for lang in ([t.lang] if t.lang else LANGS)}),
                        sorted({t.lang for t in todo if t.fmt == "html" and t.lang}))
        rendered = render_tasks(todo, build_dir, placed, epoch=plan.epoch, engine=options.engine,
                                jobs=options.jobs or os.cpu_count() or 1, reporter=reporter)
        order = [t.name for t in plan.tasks]
        done.rendered = sorted(rendered, key=order.index)
        for task in todo:
            out = placed / task.name.replace(" ", "-")
            if options.force:
                shutil.rmtree(plan.cache.entry("assembly", task.key), ignore_errors=True)
            plan.cache.put("assembly", task.key, out)
            merge_tree(out, tree)
    copy_tables_and_notebooks(plan, outputs, tree)
    document = manifest_document(
        build_key=plan.build_key, options=plan.record, source_date_epoch=plan.epoch, inputs=plan.inputs,
        outputs=output_hashes(tree), libraries=assembly_library_versions(), hakusho_version=__version__)
    write_manifest(tree, document)
    return done


def complete_charts(outputs: Mapping[str, Path], langs: list[str], page_langs: list[str]) -> None:
    """Draw the charts the renderers need that the chapters did not draw: a chapter executed for a
    report in fewer languages, or without an HTML page (whose phone drawings, in ``page_langs``,
    are then missing), reused from the cache by one in more. (Each is drawn once: the content
    store remembers it for later builds.)"""
    for folder in outputs.values():
        for name in (build_folder.CHAPTER_DOC, build_folder.CROSS_DOC):
            path = folder / name
            if not path.is_file():
                continue
            document = build_folder.read_json(path, name)
            wanted = [(langs, ("svg",)), (page_langs, build_folder.DRAWINGS)]
            if any(build_folder.drawings_missing(document, folder, ls, keys) for ls, keys in wanted if ls):
                from hakusho.analysis.chapter import ChapterResult  # pandas: only when something is drawn
                from hakusho.analysis.cross import CrossResult

                result = {build_folder.CHAPTER_DOC: ChapterResult, build_folder.CROSS_DOC: CrossResult}[name]
                result.complete_charts(folder, langs, phones=False)
                if page_langs:
                    result.complete_charts(folder, page_langs)


def check_commentary(options: BuildOptions, build_dir: Path) -> None:
    """The editors' text, before anything is rendered from it: a reference that does not
    resolve stops the build; a number typed literally is a warning (an error with --strict);
    chapters without text are named, since their generated headlines stand in."""
    o = options
    if o.segment != DEFAULT_SEGMENT or o.chapters or o.filters:
        return  # the commentary is about the whole, unfiltered SaaS report
    from hakusho.text import commentary, commentary_lint

    missing = commentary.missing_commentary(o.wave, langs=o.langs)
    if missing:
        names = ", ".join(f"{m.chapter} ({m.lang})" for m in missing)
        print(say(Msg("assemble.no_commentary", names=names)), file=sys.stderr)
    if not commentary.commentary_files(o.wave):
        return
    commentary.check_commentary(build_dir, o.wave)
    for finding in commentary_lint.lint_commentary(build_dir, o.wave, strict=o.strict):
        print(say(Msg("cli.warning", message=finding)), file=sys.stderr)


def write_survey_json(options: BuildOptions, build_dir: Path, first_chapter: Path) -> None:
    """``survey.json``: the waves, segment and filter of the report, and who was asked."""
    o = options
    chapter = build_folder.read_chapter(first_chapter)
    survey = survey_info(o.wave)
    others = [w.strip() for w in o.compare_wave.split(",") if w.strip()]  # a series: newest first
    compare = others[0] if others else ""
    doc = {
        "wave": o.wave, "compare_wave": compare, "segment": o.segment,
        "filters": chapter.get("filters", [list(f) for f in o.filters]),
        "filter_text": chapter.get("filter_text", ""),
        "n_total": chapter.get("n_total"), "n_segment": chapter.get("n_segment"),
        "counts": chapter.get("counts", "exact"),
        "survey": survey,
        "compare_survey": survey_info(compare) if compare else None,
        "synthetic": bool(survey.get("synthetic")),
    }
    if len(others) > 1:  # every wave of the series, for the methodology
        counts = chapter.get("series_n") or {}
        doc["series_surveys"] = [{"wave": w, "n_total": counts.get(w), **survey_info(w)} for w in others]
    build_folder.write_document(build_dir / build_folder.SURVEY, doc)


def survey_info(wave: str) -> dict[str, Any]:
    """The codebook's description of a wave (its ``survey`` section, checked by the codebook's
    model). Only that section is read: the codebooks were validated with the data already."""
    path = config.CODEBOOK_DIR / f"{wave}.yml"
    try:
        text = path.read_text(encoding="utf-8")
        return copy.deepcopy(_SURVEYS.get(content_store.bytes_digest(text), lambda: _survey_section(text)))
    except Exception as exc:  # the full check (validation stage) says what exactly is wrong
        raise BuildError(Msg("assemble.no_survey", name=path.name, detail=exc)) from None


# A codebook's survey section by the codebook's content: the whole codebook is parsed to find it,
# once per content (a preview builds again after every edit).
_SURVEYS: content_store.Remembered[dict[str, Any]] = content_store.Remembered(8)


def _survey_section(text: str) -> dict[str, Any]:
    import yaml

    from hakusho.survey.codebook import SurveyInfo

    doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return SurveyInfo.model_validate(doc["survey"]).model_dump(mode="json")


def copy_tables_and_notebooks(plan: Plan, outputs: Mapping[str, Path], tree: Path) -> None:
    """The tables behind the charts to ``data/``, each chapter's figures to ``figures/`` and the
    executed notebooks to ``notebooks/`` of the report."""
    data = tree / build_folder.REPORT_DATA
    notebooks = tree / build_folder.REPORT_NOTEBOOKS
    for chapter, nb in plan.notebooks.items():
        out = outputs[chapter]
        for table in build_folder.tables_of(out):
            dest = data / table.name
            if dest.exists() and dest.read_bytes() != table.read_bytes():
                raise BuildError(Msg("assemble.table_clash", name=table.name))
            data.mkdir(exist_ok=True)
            shutil.copyfile(table, dest)
        figures = out / build_folder.FIGURES
        if figures.is_file():  # published so that editors can diff two builds' figures
            (tree / build_folder.REPORT_FIGURES).mkdir(exist_ok=True)
            shutil.copyfile(figures, tree / build_folder.REPORT_FIGURES / f"{chapter}.json")
        executed = out / nb.name
        if not executed.is_file():
            raise BuildError(Msg("assemble.no_notebook", chapter=chapter, name=nb.name))
        notebooks.mkdir(exist_ok=True)
        shutil.copyfile(executed, notebooks / nb.name)
