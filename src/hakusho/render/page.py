"""The report as one self-contained HTML page per language.

The page carries everything it needs inline: the stylesheet, a small script (the language switch
that lands on the same section), the charts as SVG and the typefaces the charts are drawn in
(IPAexGothic, DejaVu Sans) cut down to the characters the page uses, as WOFF data URLs, so the
text reads the same everywhere and nothing is fetched.

Templates are Jinja2 with autoescape on: every label from the data shows as text, a ``<script>``
in a label included. Marked safe are only the project's own stylesheet and script, the chart SVGs
of the build (ids made unique per chart, a title added for screen readers) and the editors'
commentary, which :mod:`hakusho.text.commentary` renders from checked Markdown.

Layout: ``render_html(build_dir, out_dir, lang)`` writes ``out_dir/<lang>/index.html``; the page
links the other language at ``../<other>/index.html#<section>`` and each chart's data at
``../data/<chart_id>.csv`` (the build copies the CSVs there); the special-analysis part, when the
build has it, follows the chapters with each cross's data at ``../data/<cross_id>.csv``.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from hakusho import config, content_store
from hakusho.charts import fonts
from hakusho.errors import BuildError
from hakusho.render.explore_view import FIRST_USE_IMPORTS  # noqa: F401  (the view model's)
from hakusho.render.viewmodel import report_model

PAGE = "base.html.j2"
SVG_ID = re.compile(r'\bid="([^"]+)"')
SVG_ROOT = re.compile(r"<svg\b([^>]*)>", re.S)
SVG_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->|<metadata>.*?</metadata>", re.S)
# Geometry attributes, whose numbers matplotlib writes to six decimals of a point: two are a
# hundredth of a point, finer than any screen shows. Text is never touched.
SVG_GEOMETRY = re.compile(r'\b(d|transform|x|y|x1|x2|y1|y2|width|height|points|viewBox)="([^"]*)"')
SVG_FINE_NUMBER = re.compile(r"(-?\d+\.\d\d)\d+")
SVG_INDENT = re.compile(r"\n[ \t]+")


def html_environment() -> Environment:
    """Jinja2 for HTML: autoescape on, and an undefined value is an error, never an empty string.
    Templates are the project's own where it has them, else the package's."""
    return _environment(tuple(config.search_path("templates/html")))


@cache
def _environment(folders: tuple[Path, ...]) -> Environment:
    return Environment(
        loader=FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _coarse(attribute: re.Match[str]) -> str:
    value = SVG_FINE_NUMBER.sub(r"\1", attribute.group(2))
    return f'{attribute.group(1)}="{value}"'


# Charts made ready for the page, by their drawing and what is added to it: a preview's rebuild
# after an edit of the text finds every chart it already placed.
_INLINED: content_store.Remembered[Markup] = content_store.Remembered(1024)


def inline_svg(svg: str, prefix: str, label: str, tooltips: Mapping[str, str] | None = None) -> Markup:
    """A chart SVG ready to sit inside the page.

    Ids are prefixed with the chart's id (several charts in one document would otherwise share
    matplotlib's ``patch_1`` or clip-path ids and draw each other's shapes); the root gets
    ``role="img"`` and a ``<title>`` holding ``label`` (escaped) as its accessible name; the XML
    prologue, comments and metadata go. ``tooltips`` (SVG id → text) become a ``<title>`` in the
    element of that id — a bar's value and base, shown by the browser on hover.
    """
    tips = tuple(sorted((tooltips or {}).items()))
    return _INLINED.get((svg, prefix, label, tips), lambda: _inline_svg(svg, prefix, label, dict(tips)))


def _inline_svg(svg: str, prefix: str, label: str, tooltips: Mapping[str, str]) -> Markup:
    body = SVG_PROLOGUE.sub("", svg).strip()
    root = SVG_ROOT.search(body)
    if root is None:
        raise BuildError(f"chart {prefix}: the SVG has no <svg> element")
    # Lighter for the page, drawn the same: no indentation, geometry to a hundredth of a point,
    # and only the ids something points to (clip paths, glyphs, the bars that carry a tooltip).
    body = SVG_INDENT.sub("\n", body)
    body = SVG_GEOMETRY.sub(_coarse, body)
    kept = set(tooltips or {})
    for old in set(SVG_ID.findall(body)) - kept:
        if f"#{old}" not in body:
            body = body.replace(f' id="{old}"', "")
    ids = sorted(set(SVG_ID.findall(body)), key=len, reverse=True)
    for old in ids:
        new = f"{prefix}-{old}"
        body = body.replace(f'id="{old}"', f'id="{new}"')
        body = body.replace(f'href="#{old}"', f'href="#{new}"')
        body = body.replace(f"url(#{old})", f"url(#{new})")
    for gid, text in sorted((tooltips or {}).items()):
        body = body.replace(f'<g id="{prefix}-{gid}">', f'<g id="{prefix}-{gid}"><title>{escape(text)}</title>', 1)
    title_id = f"{prefix}-title"
    root = SVG_ROOT.search(body)
    assert root is not None
    attrs = re.sub(r'\s(role|aria-labelledby|aria-label|focusable)="[^"]*"', "", root.group(1))
    opening = f'<svg{attrs} role="img" aria-labelledby="{title_id}" focusable="false">'
    title = f'<title id="{title_id}">{escape(label)}</title>'
    return Markup(body[: root.start()] + opening + title + body[root.end():])


def _fonttools_version() -> str:
    import fontTools

    return str(fontTools.version)


def _subset(path: Path, chars: str) -> bytes:
    """The face at ``path`` cut down to ``chars``, as WOFF."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.desubroutinize = True
    options.recalc_timestamp = False
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's build timestamps
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


def page_faces() -> list[tuple[str, Path, str]]:
    """The faces a page embeds: (family, file, CSS weight).

    The charts' faces (:mod:`hakusho.charts.fonts`): IPAexGothic for Japanese, DejaVu Sans (regular and
    bold) for English and for the symbols IPAexGothic lacks. Both pages carry all of them, each cut
    down to the page's characters, so a Japanese name on the English page still has its glyphs.
    """
    latin = fonts.font_file("en")
    bold = latin.with_name("DejaVuSans-Bold.ttf")
    if not bold.is_file():
        raise BuildError(f"{bold.name} is missing next to {latin.name} (matplotlib's fonts)")
    return [(fonts.JA_FAMILY, fonts.font_file("ja"), "400"),
            (fonts.LATIN_FAMILY, latin, "400"),
            (fonts.LATIN_FAMILY, bold, "700")]


def font_face_css(text: str) -> str:
    """``@font-face`` rules with every page face cut down to the characters of ``text``.

    Subsets are WOFF files (zlib, no hinting), written without a new timestamp, so the same text
    gives the same bytes; a build keeps each in its content store (:mod:`hakusho.content_store`),
    keyed by the font file, the characters and fontTools' version, and cuts it only once.
    """
    chars = "".join(sorted(set(text) - set("\n\r\t")))
    rules = []
    for family, path, weight in page_faces():
        woff = content_store.made("fonts", content_store.key("woff", content_store.file_digest(path), chars,
                                                             _fonttools_version()), lambda p=path: _subset(p, chars))
        data = base64.b64encode(woff).decode("ascii")
        rules.append(f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: {weight}; '
                     f'font-display: block; src: url(data:font/woff;base64,{data}) format("woff"); }}')
    return "\n".join(rules)


def _inlined(chart: Mapping[str, Any], anchor: str) -> dict[str, Any]:
    """A chart's drawings ready for the page: ``svg_html`` and, where the build drew one for
    narrow screens, ``svg_phone_html`` (its ids prefixed apart, so the two never collide)."""
    def inline(key: str, prefix: str) -> Markup | None:
        svg = chart.get(key)
        return inline_svg(svg, prefix, chart["alt"], chart["tooltips"]) if svg is not None else None

    return {"svg_html": inline("svg", anchor), "svg_phone_html": inline("svg_phone", f"{anchor}-phone")}


def _prepare(model: dict[str, Any]) -> dict[str, Any]:
    """The model with each chart's SVG made ready for inlining (a new dict; the model is untouched)."""
    chapters = []
    for chapter in model["chapters"]:
        slides = []
        for slide in chapter["slides"]:
            charts = [{**chart, **_inlined(chart, chart["anchor"])} for chart in slide["charts"]]
            slides.append({**slide, "charts": charts})
        discussion = [Markup(block) for block in chapter["discussion_html"]]
        chapters.append({**chapter, "slides": slides, "discussion_html": discussion})
    summary = model.get("summary")
    if summary:
        summary = {**summary, "discussion_html": [Markup(block) for block in summary["discussion_html"]]}
    cross = model.get("cross")
    if cross:
        crosses = [{**c, **_inlined(c, c["figure_anchor"])} for c in cross["crosses"]]
        cross = {**cross, "crosses": crosses}
    return {**model, "chapters": chapters, "summary": summary, "cross": cross}


def render_page(model: dict[str, Any]) -> str:
    """The HTML page of one language's view model, with its font subset inlined."""
    env = html_environment()
    # The stylesheet and script are files of the project, placed verbatim (escaping would break them).
    css = Markup(config.resource("templates/html/report.css").read_text(encoding="utf-8"))
    scripts = ["report.js", "explore.js"] if model.get("explore") else ["report.js"]
    js = Markup("\n".join(config.resource(f"templates/html/{name}").read_text(encoding="utf-8")
                          for name in scripts))
    template = env.get_template(PAGE)
    prepared = _prepare(model)
    placeholder = "/*@font-face*/"
    page = template.render(r=prepared, css=css, js=js, font_css=placeholder)
    visible = html.unescape(page)
    return page.replace(placeholder, font_face_css(visible), 1)


def render_html(build_dir: Path | str, out_dir: Path | str, lang: str, *,
                commentary_root: Path | None = None) -> Path:
    """Write ``out_dir/<lang>/index.html`` for the build in ``build_dir``; returns its path."""
    model = report_model(build_dir, lang, commentary_root=commentary_root, phone_drawings=True)
    page = render_page(model)
    target = Path(out_dir) / lang / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8", newline="\n")
    return target
