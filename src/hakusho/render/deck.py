"""The report as a 16:9 slide deck, typeset by Typst (the ``typst`` wheel, compiler included).

The Typst file (``templates/typst/deck.typ``) is static; the view model reaches it as JSON in
``sys_inputs`` and is read with ``json(bytes(sys.inputs.data))``. Text therefore never passes
through Typst markup and needs no escaping, and the template places strings the view model has
already written and formatted.

Fonts are the charts' own (:mod:`hakusho.charts.fonts`), handed to Typst as *folders* in
``font_paths`` with system fonts ignored, so the deck looks the same on every machine and the
Japanese text is embedded and extractable. Any Typst warning — an unknown font family above all —
fails the build instead of yielding a deck with substituted glyphs. The document date is left
out (``date: none``), so two renders of the same build are byte-identical.

Pages: cover, contents, the editors' summary (:data:`SUMMARY_PAGES`, when written), per chapter a
title slide and one page per slide, the special-analysis part when the build has one (a title slide,
:data:`CROSS_TITLE_PAGES`, and one page per cross), the methodology
(:data:`METHODOLOGY_PAGES`), the glossary when the build has one (:data:`GLOSSARY_PAGES`) and the
colophon.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typst

from hakusho import config
from hakusho.charts import fonts
from hakusho.errors import BuildError, Problem
from hakusho.i18n import LANGS
from hakusho.messages import Msg
from hakusho.render.explore_view import FIRST_USE_IMPORTS  # noqa: F401  (the view model's)
from hakusho.render.viewmodel import report_model

DECK = "templates/typst/deck.typ"  # the project's own copy, else the package's
FRONT_PAGES = 2  # cover, contents
SUMMARY_PAGES = 1  # the editors' summary of the report, when they wrote one
METHODOLOGY_PAGES = 3  # the survey; definitions and rules; how differences are tested
GLOSSARY_PAGES = 2  # metrics; touch models and the worked example
BACK_PAGES = 1  # colophon
CROSS_TITLE_PAGES = 1  # the special-analysis part's title slide (then one page per cross)


def deck_fonts(lang: str) -> list[str]:
    """Font families of the deck in ``lang``, first choice first, then the other language's faces.

    The charts' faces lead (IPAexGothic for Japanese, DejaVu Sans for English); the rest follow as
    fallbacks so that a Japanese name on an English page still has glyphs.
    """
    first = list(fonts.FAMILIES[lang])
    rest = [f for other in LANGS for f in fonts.FAMILIES[other] if f not in first]
    return first + list(dict.fromkeys(rest))


def expected_pages(model: dict[str, Any]) -> int:
    """How many pages the deck of ``model`` has, by the layout described above."""
    chapters = model["chapters"]
    slides = sum(len(ch["slides"]) for ch in chapters)
    summary = SUMMARY_PAGES if model.get("summary") else 0
    glossary = GLOSSARY_PAGES if model.get("glossary") else 0
    cross = CROSS_TITLE_PAGES + len(model["cross"]["crosses"]) if model.get("cross") else 0
    return FRONT_PAGES + summary + len(chapters) + slides + cross + METHODOLOGY_PAGES + glossary + BACK_PAGES


_typeset_here = False  # set once this process has run Typst


def has_typeset() -> bool:
    """Whether this process has run Typst. Its thread pool then exists, and a process forked from
    this one would wait on it for ever (see :mod:`hakusho.pipeline.render_pool`)."""
    return _typeset_here


def compile_deck(model: dict[str, Any]) -> bytes:
    """The PDF of one language's view model; raises BuildError on any Typst error or warning."""
    global _typeset_here
    data = json.dumps({"report": model, "fonts": deck_fonts(model["lang"])}, ensure_ascii=False, sort_keys=True)
    deck = config.resource(DECK)
    _typeset_here = True
    try:
        pdf, warnings = typst.compile_with_warnings(
            str(deck),
            root=str(deck.parent),
            font_paths=[str(d) for d in fonts.font_dirs()],
            ignore_system_fonts=True,
            sys_inputs={"data": data},
        )
    except typst.TypstError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildError(Msg("render.typst_failed", lang=model["lang"], detail=first)) from None
    if warnings:
        problems = [Problem(str(getattr(w, "message", w)), file=deck.name) for w in warnings]
        fonts_missing = any("font" in p.message for p in problems)
        kind = Msg("render.typst_kind.font") if fonts_missing else Msg("render.typst_kind.layout")
        raise BuildError(Msg("render.typst_warned", lang=model["lang"], kind=kind), problems)
    return bytes(pdf)


def pdf_name(wave: str, lang: str) -> str:
    return f"hakusho-{wave}-{lang}.pdf"


def render_pdf(build_dir: Path | str, out_dir: Path | str, lang: str, *,
               commentary_root: Path | None = None) -> Path:
    """Write ``out_dir/<lang>/hakusho-<wave>-<lang>.pdf`` for the build; returns its path."""
    # The explorer lives in the HTML page only; the deck's methodology points to it.
    model = {**report_model(build_dir, lang, commentary_root=commentary_root), "explore": None}
    pdf = compile_deck(model)
    target = Path(out_dir) / lang / pdf_name(model["wave"], lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pdf)
    return target
