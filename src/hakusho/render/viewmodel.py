"""The report in one language, ready to draw: the build directory turned into plain data.

Every visible string is resolved here — labels from the chapters (codebook), everything else
from the ``report`` message catalogs — and every number is formatted for the language by
:mod:`hakusho.text.numbers`. Headlines and commentary come from :mod:`hakusho.text.prose` (or from the
editors' commentary files, for chapter summaries and discussion). The renderers (HTML, Typst,
Quarto) receive this model and only place what it holds: no arithmetic, no lookups, no wording.

The model is plain JSON (dicts, lists, strings, booleans): the PDF stage hands it to Typst as
JSON through ``sys_inputs`` so no text is ever escaped by hand.

Input (the contract): ``build_dir/survey.json`` and ``build_dir/chapters/<id>/{chapter.json,
figures.json, tables/*.csv, charts/*.{ja,en}.svg}``; when the build ran the cross analysis, also
``build_dir/parts/cross/{cross.json, figures.json, tables/*.csv, charts/*.{ja,en}.svg}`` (the
special-analysis part, placed after the chapters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from hakusho import build_folder
from hakusho.analysis.spec import Spec, default_spec
from hakusho.build_folder import Build
from hakusho.errors import BuildError
from hakusho.i18n import LANGS
from hakusho.render.chart_view import chart_view
from hakusho.render.cross_view import cross_part
from hakusho.render.explore_view import contents_entry, explore_part, explore_rule
from hakusho.render.methodology import colophon, glossary, methodology
from hakusho.render.wording import Wording, other_lang, period
from hakusho.survey.codebook import load_codebook
from hakusho.text import numbers
from hakusho.text.commentary import SUMMARY, commentary_model
from hakusho.text.prose import ProseContext, chapter_summary, default_rules, slide_prose

CHAPTER_NUMBER = re.compile(r"ch(\d+)$")

# Labels the templates place as they are (headings, table heads, link texts).
UI_KEYS = (
    "skip", "contents", "other_language", "other_language_hint", "synthetic_badge", "synthetic_notice",
    "summary", "discussion", "base", "notes", "note_mark", "question", "data_table", "back_to_contents",
)


def load_build(build_dir: Path | str, spec: Spec | None = None, *, phone_drawings: bool = False) -> Build:
    """Read a build folder; chapters come in the spec's order, unknown ones are an error. Only
    the HTML page shows the drawings made for a phone's width (``phone_drawings``): other
    renderers neither read nor need them, and a build without a page does not draw them."""
    if spec is None:  # the build's own edition
        spec = default_spec(build_folder.build_wave(build_dir))
    build = build_folder.load_build(build_dir, [ch.id for ch in spec.chapters])
    return replace(build, phone_drawings=phone_drawings)


def chapter_label(chapter_id: str, tx: Wording) -> str:
    m = CHAPTER_NUMBER.match(chapter_id)
    if m:
        return tx("ui.chapter_number", n=int(m.group(1)))
    return tx("ui.appendix")


# ------------------------------------------------------------------------------ the model


def _chapter_view(doc: Mapping[str, Any], build: Build, ctx: ProseContext, tx: Wording,
                  commentary_root: Path | None) -> dict[str, Any]:
    lang = tx.lang
    other = other_lang(lang)
    slides = []
    headlines = {}
    for slide in doc["slides"]:
        prose = slide_prose(ctx, slide)
        headlines[slide["id"]] = prose.headline
        slides.append({
            "id": slide["id"],
            "anchor": slide["id"],
            "title": tx(_slide_title_key(slide["id"], build, tx), compare_wave=build.compare_wave),
            "headline": prose.headline,
            "commentary": list(prose.commentary),
            "charts": [chart_view(c, build, tx) for c in slide["charts"]],
            "other_href": f"../{other}/index.html#{slide['id']}",
        })
    editorial = _editorial(build, doc["chapter"], lang, commentary_root)
    bases = list(dict.fromkeys(tx.label(c["base_label"]) for s in doc["slides"] for c in s["charts"]
                               if c.get("wave") == build.wave))
    return {
        "id": doc["chapter"],
        "anchor": doc["chapter"],
        "number": chapter_label(doc["chapter"], tx),
        "title": tx.label(doc["title"]),
        "scope": tx("ui.scope", bases=tx.join(bases)) if bases else "",
        "summary": list(editorial["summary_points"]) if editorial else chapter_summary(doc["chapter"], headlines,
                                                                                           default_rules(build.wave)),
        "summary_source": "editors" if editorial else "generated",
        "discussion_html": list(editorial["paragraphs_html"]) if editorial else [],
        "discussion_blocks": list(editorial["blocks"]) if editorial else [],
        "slides": slides,
        "other_href": f"../{other}/index.html#{doc['chapter']}",
    }


def _slide_title_key(slide_id: str, build: Build, tx: Wording) -> str:
    """A slide's title; a title that names the SaaS segment has a variant for the other reports."""
    key = f"slide.{slide_id}.title"
    segment = str(build.survey.get("segment") or "saas")
    return f"{key}.{segment}" if tx.t.has(f"{key}.{segment}") else key


def _filter_line(build: Build, tx: Wording) -> str:
    """A filtered build's filter in words and the n it leaves, for the cover and every slide."""
    if not build.survey.get("filter_text"):
        return ""
    labels = (doc.get("filter_label") or {} for doc in build.chapters)
    words = next((str(label[tx.lang]) for label in labels if label.get(tx.lang)), str(build.survey["filter_text"]))
    return tx("ui.filter_badge", filter=words, n=numbers.base_n(build.survey["n_segment"], tx.lang))


def _editorial(build: Build, chapter: str, lang: str, root: Path | None) -> dict[str, Any] | None:
    """The editors' commentary of a chapter (or the summary). It is written about the whole,
    unfiltered SaaS report — its figures, population and comparisons across chapters — so the
    non-SaaS and integrated reports, filtered builds and builds of some chapters only use the
    generated text instead."""
    if str(build.survey.get("segment") or "saas") != "saas" or build.survey.get("filters"):
        return None
    if not {ch.id for ch in default_spec(build.wave).chapters} <= {str(doc["chapter"]) for doc in build.chapters}:
        return None
    return commentary_model(build.root, build.wave, chapter, lang, root=root)


def _report_summary(build: Build, tx: Wording, commentary_root: Path | None) -> dict[str, Any] | None:
    """The editors' opening summary of the whole report (``summary.<lang>.md``), when there is one."""
    editorial = _editorial(build, SUMMARY, tx.lang, commentary_root)
    if editorial is None:
        return None
    return {"anchor": "summary", "title": tx("ui.report_summary"), "points": list(editorial["summary_points"]),
            "discussion_html": list(editorial["paragraphs_html"]), "discussion_blocks": list(editorial["blocks"])}


def report_model(build_dir: Path | str, lang: str, *, commentary_root: Path | None = None,
                 spec: Spec | None = None, phone_drawings: bool = False) -> dict[str, Any]:
    """The whole report in ``lang``: cover, contents, summary, chapters with slides, the special-analysis
    part (cross analysis, when the build ran it), the Explore part (HTML only; when the build computed
    it), methods, colophon.

    ``commentary_root`` replaces data/commentary (tests); editors' files, where present, supply
    the report's opening summary and a chapter's summary points and discussion; generated
    headlines the rest (the opening summary is then left out). The charts carry their drawing
    for a phone's width (``svg_phone``) with ``phone_drawings`` only (see :func:`load_build`).
    """
    if lang not in LANGS:
        raise BuildError(f"unknown language '{lang}' (valid: {', '.join(LANGS)})")
    build = load_build(build_dir, spec, phone_drawings=phone_drawings)
    spec = spec or default_spec(build.wave)
    tx = Wording(lang)
    book = load_codebook(build.wave)
    ctx = ProseContext(build.figures, build.charts, lang, build.wave, build.compare_wave,
                       segment=str(build.survey.get("segment") or "saas"))
    info = build.survey["survey"]
    segment = str(build.survey["segment"])
    part = tx(f"ui.part.{segment}")
    title = tx.label(info["title"])
    chapters = [_chapter_view(doc, build, ctx, tx, commentary_root) for doc in build.chapters]
    back_glossary = glossary(lang)
    summary = _report_summary(build, tx, commentary_root)
    contents = [{"anchor": "summary", "number": "", "title": summary["title"], "slides": []}] if summary else []
    contents += [{"anchor": c["anchor"], "number": c["number"], "title": c["title"],
                  "slides": [{"anchor": s["anchor"], "title": s["title"]} for s in c["slides"]]} for c in chapters]
    cross = cross_part(build, tx)
    if cross is not None:
        contents.append({"anchor": cross["anchor"], "number": cross["number"], "title": cross["title"],
                         "slides": [{"anchor": c["anchor"], "title": c["title"]} for c in cross["crosses"]]})
    explore = explore_part(build.root, lang, segment=segment, spec=spec,
                           chapter_titles={c["id"]: c["title"] for c in chapters})
    method = methodology(build, spec, book, tx)
    if explore is not None:
        contents.append(contents_entry(explore))
        method["rules"].append(explore_rule(lang))
    back = [{"anchor": "methodology", "number": "", "title": tx("ui.methodology"), "slides": []}]
    if back_glossary is not None:
        back.append({"anchor": "glossary", "number": "", "title": str(back_glossary["title"]), "slides": []})
    back.append({"anchor": "colophon", "number": "", "title": tx("ui.colophon"), "slides": []})
    synthetic = bool(build.survey.get("synthetic"))
    return {
        "lang": lang,
        "other_lang": other_lang(lang),
        "wave": build.wave,
        "compare_wave": build.compare_wave,
        "title": title,
        "part": part,
        "page_title": tx("ui.page_title", title=title, part=part),
        "publisher": tx.label(info["publisher"]),
        "cover_line": tx("ui.cover_line", period=period(info, lang), n=numbers.count(build.survey["n_total"], lang)),
        "synthetic": synthetic,
        "filter": _filter_line(build, tx),
        "ui": {key: tx(f"ui.{key}") for key in UI_KEYS},
        "contents": contents + back,
        "summary": summary,
        "chapters": chapters,
        "cross": cross,
        "explore": explore,
        "methodology": method,
        "glossary": back_glossary,
        "colophon": colophon(build, part, tx),
    }
