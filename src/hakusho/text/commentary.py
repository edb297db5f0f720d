"""Editorial commentary: the summary points and discussion (考察) editors write for each chapter.

Editors write one Markdown file per chapter and language under ``data/commentary/<wave>/``
(``ch3.ja.md``, ``ch3.en.md``, …) plus the report's opening summary (``summary.ja.md``). YAML
front matter holds the chapter's summary points; the body is the discussion. Every number is a
reference to a computed figure, ``${cs_status.doing.pct}``, replaced at build time by the value
formatted for the file's language — so prose never goes stale when the data changes.

The ``${…}`` shortcode is deliberately not Jinja2: commentary is data, not a template, and a
reference is checked against the figures with the file and line of every mistake (an unknown id
comes back with the closest valid ids). A reference to a suppressed figure (a percentage of fewer
than 10 respondents) fails the build: the report never prints it, in a chart or in prose.

The stale-number lint (:mod:`hakusho.text.commentary_lint`) finds numbers typed literally instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token

from hakusho import config, content_store
from hakusho.build_folder import Figure, Figures, FigureTable, read_figures
from hakusho.config import display_path
from hakusho.errors import BuildError, Problem
from hakusho.i18n import LANGS
from hakusho.messages import Msg
from hakusho.text.numbers import format_figure

T = TypeVar("T")
SUMMARY = "summary"  # the report's opening summary, written like a chapter
FRONT_MATTER_KEYS = ("summary",)


# ${chart.key.pct}: lowercase ids joined by dots, optional spaces inside the braces.
REFERENCE = re.compile(r"\$\{(?P<body>[^{}\n]*)\}")
UNCLOSED_REFERENCE = re.compile(r"\$\{(?![^{}\n]*\})")
FIGURE_ID = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Every kind of figure the registries write (hakusho.analysis.figures for the chapters,
# hakusho.analysis.cross for the cross analysis), so every kind a figures file may hold: shares,
# counts, bases, choices, changes in points, test results (flag), and the statistics of a test —
# chi-square, degrees of freedom, Cramér's V (``statistic``, printed with ``digits`` decimals)
# and ``p_value``.
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e\uff61-\uff9f]")

# --------------------------------------------------------------------------- files


def commentary_dir(wave: str, root: Path | None = None) -> Path:
    """Folder holding one wave's commentary files (``root`` replaces data/commentary in tests)."""
    return (root or config.COMMENTARY_DIR) / str(wave)


def commentary_path(wave: str, chapter: str, lang: str, root: Path | None = None) -> Path:
    return commentary_dir(wave, root) / f"{chapter}.{lang}.md"


@dataclass(frozen=True)
class CommentaryFile:
    """One parsed commentary file; ``lines`` keep the file's text for line-exact messages."""

    path: Path
    chapter: str
    lang: str
    lines: tuple[str, ...]
    front_end: int  # index (0-based) of the closing '---' line; body starts after it
    summary: tuple[str, ...]

    @cached_property
    def name(self) -> str:
        return display_path(self.path)

    @property
    def body(self) -> str:
        return "\n".join(self.lines[self.front_end + 1 :])

    @property
    def body_line(self) -> int:
        """1-based line number of the body's first line."""
        return self.front_end + 2

    @property
    def unwritten(self) -> bool:
        """A stub: no summary point and no text outside ``<!-- … -->`` notes. The build treats it
        as missing (generated headlines stand in, the log names it)."""
        return not self.summary and not HTML_COMMENT.sub("", self.body).strip()


# Commentary files read, and work done from them with one set of figures, by content: a build
# checks, lints and renders every file from the same figures, and a preview's rebuild after an
# edit of one file finds every other file's work done.
_READ: content_store.Remembered[CommentaryFile] = content_store.Remembered(256)
_DONE: content_store.Remembered[Any] = content_store.Remembered(1024)


def remembered(what: str, doc: CommentaryFile, figures: Figures, make: Callable[[], T], *extra: Hashable) -> T:
    """``make()``, done once per file content, figures and ``extra``: figures read by
    :func:`hakusho.build_folder.read_figures` name their content; other figures are not kept by."""
    digest = figures.digest if isinstance(figures, FigureTable) else None
    if not digest:
        return make()
    return _DONE.get((what, doc, doc.name, digest, *extra), make)


def read_commentary(path: Path) -> CommentaryFile:
    """Read and check one commentary file's name and front matter (references are checked later)."""
    path = Path(path)
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(Msg("commentary.not_utf8", name=name, reason=exc.reason)) from None
    return _READ.get((str(path), name, text), lambda: _parse_commentary(path, name, text))


def _parse_commentary(path: Path, name: str, text: str) -> CommentaryFile:
    parts = path.name.split(".")
    if len(parts) != 3 or parts[2] != "md" or parts[1] not in LANGS:
        raise BuildError(
            Msg("commentary.misnamed", name=name),
            [Problem(Msg("commentary.problem.naming"), file=name, value=path.name,
                     expected=Msg("commentary.expected.name", langs=", ".join(LANGS)))],
        )
    lines = tuple(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if not lines or lines[0].strip() != "---":
        raise BuildError(
            Msg("commentary.no_front_matter", name=name),
            [Problem(Msg("commentary.problem.front_matter_shape"), file=name, row=1)],
        )
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise BuildError(Msg("commentary.front_matter_open", name=name),
                         [Problem(Msg("commentary.problem.no_closing"), file=name, row=1)])
    summary = _front_matter_summary("\n".join(lines[1:end]), name)
    doc = CommentaryFile(path, parts[0], parts[1], lines, end, summary)
    if not summary and not doc.unwritten:
        raise BuildError(Msg("commentary.front_matter_malformed", name=name),
                         [Problem(Msg("commentary.problem.summary_list"), file=name)])
    return doc


def _front_matter_summary(front: str, name: str) -> tuple[str, ...]:
    """The ``summary`` list of the front matter, each point checked to be plain text."""
    try:
        data = yaml.safe_load(front)
        node = yaml.compose(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 2 if mark is not None else None
        raise BuildError(
            Msg("commentary.front_matter_yaml", name=name),
            [Problem(Msg("codebook.bad_yaml", detail=getattr(exc, "problem", exc)), file=name, row=row)]) from None
    if not isinstance(data, dict):
        raise BuildError(Msg("commentary.front_matter_mapping", name=name),
                         [Problem(Msg("commentary.problem.expected_summary"), file=name, row=2)])
    problems = [
        Problem(Msg("commentary.problem.unknown_key"), file=name, value=key, expected=", ".join(FRONT_MATTER_KEYS))
        for key in sorted(set(map(str, data)) - set(FRONT_MATTER_KEYS))
    ]
    points = data.get("summary")
    if points == [] and not problems:
        return ()  # a stub, if its body is empty too (checked by read_commentary)
    if not isinstance(points, list) or not points:
        problems.append(Problem(Msg("commentary.problem.summary_list"), file=name))
    else:
        items = next(v.value for k, v in node.value if k.value == "summary")
        for i, (point, item) in enumerate(zip(points, items, strict=True), start=1):
            if not isinstance(point, str) or not point.strip():
                problems.append(Problem(Msg("commentary.problem.point_not_text", n=i), file=name,
                                        row=item.start_mark.line + 2))
    if problems:
        raise BuildError(Msg("commentary.front_matter_malformed", name=name), problems)
    return tuple(" ".join(p.split()) if "\n" in p else p.strip() for p in points)


def commentary_files(wave: str, root: Path | None = None) -> list[Path]:
    """Every ``*.md`` commentary file of a wave, sorted (README.md excluded)."""
    folder = commentary_dir(wave, root)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


class MissingCommentary(NamedTuple):
    """A chapter and language without editorial text: the build uses generated headlines."""

    chapter: str
    lang: str
    path: str
    stub: bool = False  # the file exists but holds no text yet

    def __str__(self) -> str:
        return self.message()

    def message(self) -> Msg:
        where = {"chapter": self.chapter, "lang": self.lang, "path": self.path}
        return Msg("commentary.missing_stub", **where) if self.stub else Msg("commentary.missing_file", **where)


def _is_stub(path: Path) -> bool:
    try:
        return read_commentary(path).unwritten
    except BuildError:
        return False  # a broken file is reported by check_commentary, with its line


def missing_commentary(
    wave: str,
    chapters: Iterable[str] | None = None,
    langs: Iterable[str] = LANGS,
    root: Path | None = None,
) -> list[MissingCommentary]:
    """Chapters (and the opening summary) that have no commentary file, for the build log.

    ``chapters`` defaults to the opening summary plus every chapter of the spec.
    """
    if chapters is None:
        from hakusho.analysis.spec import default_spec

        chapters = [SUMMARY, *(ch.id for ch in default_spec(wave).chapters)]
    missing = []
    for chapter in chapters:
        for lang in langs:
            path = commentary_path(wave, chapter, lang, root)
            if not path.is_file() or _is_stub(path):
                missing.append(MissingCommentary(chapter, lang, display_path(path), stub=path.is_file()))
    return missing


# --------------------------------------------------------------------------- figures


def closest_ids(figure_id: str, figures: Figures, n: int = 3) -> list[str]:
    """Valid ids nearest to a mistyped one: close spellings first, else ids of the same chart."""
    if figure_id.startswith("fig.") and figure_id[4:] in figures:
        return [figure_id[4:]]
    ids = sorted(figures)
    close = difflib.get_close_matches(figure_id, ids, n=n, cutoff=0.6)
    if close:
        return close
    chart = figure_id.split(".")[0]
    same_chart = [i for i in ids if i.split(".")[0] == chart]
    return same_chart[:n] or difflib.get_close_matches(figure_id, ids, n=n, cutoff=0.0)


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """One ``${…}`` in a commentary file, located for messages."""

    figure_id: str
    file: str
    line: int
    column: int


def scan_references(doc: CommentaryFile) -> tuple[list[Reference], list[Problem]]:
    """Every reference of a file (front matter and body, outside HTML comments) and malformed ones."""
    refs, problems = _DONE.get(("scan", doc, doc.name), lambda: _scan_references(doc))
    return list(refs), list(problems)


def _scan_references(doc: CommentaryFile) -> tuple[list[Reference], list[Problem]]:
    refs: list[Reference] = []
    problems: list[Problem] = []
    for number, line in _content_lines(doc):
        for m in REFERENCE.finditer(line):
            body = m.group("body").strip()
            if FIGURE_ID.fullmatch(body):
                refs.append(Reference(body, doc.name, number, m.start() + 1))
                continue
            message = (Msg("commentary.problem.fig_prefix", ref=repr(m.group(0))) if body.startswith("fig.")
                       else Msg("commentary.problem.malformed_ref", ref=repr(m.group(0))))
            problems.append(Problem(message, file=doc.name, row=number, column=str(m.start() + 1)))
        for m in UNCLOSED_REFERENCE.finditer(line):
            problems.append(Problem(Msg("commentary.problem.unclosed_ref"),
                                    file=doc.name, row=number, column=str(m.start() + 1)))
    return refs, problems


def _content_lines(doc: CommentaryFile) -> list[tuple[int, str]]:
    """(1-based line number, text) of every line that can be published, HTML comments blanked."""
    body = HTML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), doc.body)
    front = [(i + 1, doc.lines[i]) for i in range(1, doc.front_end)]
    return front + [(doc.body_line + i, text) for i, text in enumerate(body.split("\n"))]


def check_references(doc: CommentaryFile, figures: Figures) -> list[Problem]:
    """Problems with the file's references: malformed, unknown (with closest ids), suppressed."""
    refs, problems = scan_references(doc)
    for ref in refs:
        where = {"file": ref.file, "row": ref.line, "column": str(ref.column)}
        figure = figures.get(ref.figure_id)
        if figure is None:
            nearest = closest_ids(ref.figure_id, figures)
            message = (Msg("commentary.problem.unknown_figure_near", id=ref.figure_id, near=", ".join(nearest))
                       if nearest else Msg("commentary.problem.unknown_figure", id=ref.figure_id))
            problems.append(Problem(message, **where))
        elif figure.get("value") is None:
            problems.append(Problem(_null_message(ref.figure_id, figure), **where))
    return problems


def _null_message(figure_id: str, figure: Figure) -> Msg:
    base = figure.get("base")
    if figure.get("disclosure") == "suppressed" or (isinstance(base, int) and 0 < base < 10):
        count_id = figure_id.rsplit(".", 1)[0] + ".count"
        return Msg("commentary.problem.suppressed", id=figure_id, base=base, count="${" + count_id + "}")
    return Msg("commentary.problem.no_value", id=figure_id, base=base)


def fill_references(text: str, figures: Figures, lang: str, *, markdown: bool = True) -> str:
    """``text`` with every reference replaced by its formatted value (references already checked).

    With ``markdown`` the values are escaped so that a label's ``*`` or ``_`` stays literal.
    """

    def value(m: re.Match[str]) -> str:
        formatted = format_figure(figures[m.group("body").strip()], lang)
        return _escape_markdown(formatted) if markdown else formatted

    return REFERENCE.sub(value, text)


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_\[\]{}<>()#+!|~])", r"\\\1", text)


def check_language(doc: CommentaryFile) -> list[Problem]:
    """English commentary must not contain Japanese text (a forgotten or pasted passage)."""
    if doc.lang != "en":
        return []
    problems = []
    for number, line in _content_lines(doc):
        m = JAPANESE.search(REFERENCE.sub("", line))
        if m:
            problems.append(Problem(Msg("commentary.problem.japanese"), file=doc.name, row=number,
                                    value=m.group(0)))
    return problems


# --------------------------------------------------------------------------- Markdown


_BLOCK_TOKENS = {
    "paragraph_open", "paragraph_close", "inline",
    "bullet_list_open", "bullet_list_close", "ordered_list_open", "ordered_list_close",
    "list_item_open", "list_item_close",
}
_INLINE_TOKENS = {"text", "softbreak", "hardbreak", "em_open", "em_close", "strong_open", "strong_close"}


def _punct_or_cjk(ch: str) -> bool:
    return isMdAsciiPunct(ord(ch)) or isPunctChar(ch) or bool(JAPANESE.match(ch))


class _CjkStateInline(StateInline):
    """CommonMark's emphasis rules with Japanese characters counted as punctuation.

    Plain CommonMark does not close ``**86.0%**が``: a run after punctuation must be followed by
    space or punctuation, and Japanese puts neither between words. Treating kana and kanji like
    punctuation when deciding whether ``*`` can open or close makes emphasis work in Japanese
    prose and changes nothing for English.
    """

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        pos, marker = start, self.src[start]
        last = self.src[start - 1] if start > 0 else " "
        while pos < self.posMax and self.src[pos] == marker:
            pos += 1
        nxt = self.src[pos] if pos < self.posMax else " "
        last_punct, next_punct = _punct_or_cjk(last), _punct_or_cjk(nxt)
        last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
        left = not (next_space or (next_punct and not (last_space or last_punct)))
        right = not (last_space or (last_punct and not (next_space or next_punct)))
        can_open = left and (canSplitWord or not right or last_punct)
        can_close = right and (canSplitWord or not left or next_punct)
        return Scanned(can_open, can_close, pos - start)


class _CjkParserInline(ParserInline):
    def parse(self, src: str, md: MarkdownIt, env: Any, tokens: list[Token]) -> list[Token]:
        state = _CjkStateInline(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


@cache
def _markdown(lang: str) -> MarkdownIt:
    """CommonMark, Japanese-friendly emphasis; a soft line break joins Japanese lines without a
    space (a line break inside a Japanese sentence must not show as a gap)."""
    md = MarkdownIt("commonmark", {"html": True})
    md.inline.__class__ = _CjkParserInline  # same rules and state; only delimiter scanning differs
    if lang == "ja":
        md.add_render_rule("softbreak", lambda *args: "")
    return md


def check_markdown(doc: CommentaryFile) -> list[Problem]:
    """Commentary uses paragraphs, lists and emphasis only, so HTML and PDF show the same text."""
    tokens = _markdown(doc.lang).parse(_strip_comments(doc.body))
    problems = []
    for token in tokens:
        row = doc.body_line + token.map[0] if token.map else None
        bad = token.type if token.type not in _BLOCK_TOKENS else None
        if token.type.endswith("_list_open") and token.level > 0:
            bad = "nested list"
        if token.type == "inline":
            bad = next((c.type for c in token.children or [] if c.type not in _INLINE_TOKENS), None)
        if bad:
            problems.append(Problem(Msg("commentary.problem.markdown", what=_describe(bad)), file=doc.name, row=row))
    return problems


def _describe(token_type: str) -> str:
    return token_type.removesuffix("_open").replace("_", " ")


def _strip_comments(text: str) -> str:
    """HTML comments are editors' notes: removed, keeping the line count."""
    return HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _runs(inline: Token, lang: str) -> list[dict[str, Any]]:
    """Text runs of an inline token with their emphasis, adjacent equal runs merged."""
    runs: list[dict[str, Any]] = []
    strong = em = False
    for child in inline.children or []:
        if child.type in ("strong_open", "strong_close"):
            strong = child.type == "strong_open"
            continue
        if child.type in ("em_open", "em_close"):
            em = child.type == "em_open"
            continue
        if child.type == "softbreak":
            text = "" if lang == "ja" else " "
        elif child.type == "hardbreak":
            text = "\n"
        else:
            text = child.content
        if runs and runs[-1]["strong"] == strong and runs[-1]["em"] == em:
            runs[-1]["text"] += text
        else:
            runs.append({"text": text, "strong": strong, "em": em})
    return [r for r in runs if r["text"]]


def _blocks(tokens: list[Token], lang: str) -> list[tuple[list[Token], dict[str, Any]]]:
    """Top-level blocks: their tokens (for HTML) and a Typst-safe model (paragraph or list)."""
    blocks: list[tuple[list[Token], dict[str, Any]]] = []
    start = 0
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting == 1:
            continue
        chunk = tokens[start : i + 1]
        start = i + 1
        inlines = [t for t in chunk if t.type == "inline"]
        if chunk[0].type == "paragraph_open":
            blocks.append((chunk, {"kind": "paragraph", "runs": _runs(inlines[0], lang)}))
        else:
            items: list[list[dict[str, Any]]] = []
            depth = 0
            for t in chunk:
                if t.type == "list_item_open":
                    items.append([])
                    depth = 0
                elif t.type == "inline":
                    if depth and items[-1]:
                        items[-1].append({"text": " " if lang == "en" else "", "strong": False, "em": False})
                    items[-1].extend(_runs(t, lang))
                    depth += 1
            blocks.append((chunk, {"kind": "list", "ordered": chunk[0].type == "ordered_list_open",
                                   "items": items}))
    return blocks


def _runs_text(runs: list[dict[str, Any]]) -> str:
    return "".join(r["text"] for r in runs)


def _block_text(block: dict[str, Any], lang: str) -> str:
    if block["kind"] == "paragraph":
        return _runs_text(block["runs"])
    bullet = "・" if lang == "ja" else "• "
    return "\n".join(
        (f"{n}. " if block["ordered"] else bullet) + _runs_text(item)
        for n, item in enumerate(block["items"], start=1)
    )


# --------------------------------------------------------------------------- the model


def check_document(doc: CommentaryFile, figures: Figures) -> list[Problem]:
    """Every problem that stops a commentary file from being built (not the lint's warnings)."""
    return list(remembered("check", doc, figures, lambda: tuple(
        check_references(doc, figures) + check_markdown(doc) + check_language(doc))))


def render_document(doc: CommentaryFile, figures: Figures) -> dict[str, Any]:
    """The view model of a checked file: formatted summary points and discussion paragraphs
    (shared with later renderings of the same file and figures: never changed)."""
    return remembered("render", doc, figures, lambda: _render_document(doc, figures))


def _render_document(doc: CommentaryFile, figures: Figures) -> dict[str, Any]:
    md = _markdown(doc.lang)
    points_html, points_text = [], []
    for point in doc.summary:
        filled = fill_references(point, figures, doc.lang)
        points_html.append(md.renderInline(filled).strip())
        inline = next(t for t in md.parseInline(filled) if t.type == "inline")
        points_text.append(_runs_text(_runs(inline, doc.lang)))
    body = fill_references(_strip_comments(doc.body), figures, doc.lang)
    blocks = _blocks(md.parse(body), doc.lang)
    refs, _ = scan_references(doc)
    return {
        "chapter": doc.chapter,
        "lang": doc.lang,
        "source": doc.name,
        "summary_points": points_text,
        "summary_points_html": points_html,
        "paragraphs_html": [md.renderer.render(tokens, md.options, {}).strip() for tokens, _ in blocks],
        "paragraphs_text": [_block_text(block, doc.lang) for _, block in blocks],
        "blocks": [block for _, block in blocks],
        "figures_quoted": sorted({r.figure_id for r in refs}),
    }


def commentary_model(
    build_dir_or_figures: Path | str | Figures,
    wave: str,
    chapter: str,
    lang: str,
    *,
    root: Path | None = None,
) -> dict[str, Any] | None:
    """The editorial text of one chapter (or ``"summary"``) in one language, ready to render.

    Returns None when the file does not exist or is a stub (the build then uses the generated headlines and
    logs :func:`missing_commentary`). Raises BuildError naming file and line for a bad reference,
    a suppressed figure or unsupported Markdown. All strings are already formatted for ``lang``:

    ``summary_points`` (plain text) and ``summary_points_html`` (inline HTML);
    ``paragraphs_html`` (one HTML block per paragraph or list); ``paragraphs_text`` (the same
    blocks as plain text, emphasis removed, list items on their own lines after a bullet);
    ``blocks`` (``{"kind": "paragraph", "runs": [...]}`` or ``{"kind": "list", "ordered",
    "items": [[runs]]}``, each run ``{"text", "strong", "em"}`` — for renderers that map emphasis
    themselves; text is not escaped for any markup); ``source`` (the file, project-relative);
    ``figures_quoted`` (ids referenced).
    """
    path = commentary_path(wave, chapter, lang, root)
    if not path.is_file():
        return None
    doc = read_commentary(path)
    if doc.unwritten:
        return None
    figures = read_figures(build_dir_or_figures)
    problems = check_document(doc, figures)
    if problems:
        raise BuildError(Msg("commentary.cannot_build", name=doc.name), problems)
    return render_document(doc, figures)


def check_commentary(
    figures: Path | str | Figures,
    wave: str,
    *,
    root: Path | None = None,
    chapters: Iterable[str] | None = None,
) -> list[CommentaryFile]:
    """Read and check every commentary file of a wave; raise one BuildError listing all problems.

    A file whose chapter is not the summary or a chapter of the spec is reported too (a typo in
    a file name would otherwise leave a chapter silently without its text).
    """
    if chapters is None:
        from hakusho.analysis.spec import default_spec

        chapters = [SUMMARY, *(ch.id for ch in default_spec(wave).chapters)]
    known = set(chapters)
    figures = read_figures(figures)
    docs: list[CommentaryFile] = []
    problems: list[Problem] = []
    for path in commentary_files(wave, root):
        try:
            doc = read_commentary(path)
        except BuildError as exc:
            problems += exc.problems or [Problem(exc.message, file=display_path(path))]
            continue
        if doc.chapter not in known:
            problems.append(Problem(Msg("commentary.problem.no_chapter"), file=doc.name, value=doc.chapter,
                                    expected=", ".join(sorted(known))))
            continue
        problems += check_document(doc, figures)
        docs.append(doc)
    if problems:
        raise BuildError(Msg("commentary.problems", wave=wave, n=len(problems)), problems)
    return docs


def quotes_by_figure(wave: str, root: Path | None = None) -> dict[str, list[str]]:
    """Where each figure is quoted: ``{figure_id: ["data/commentary/2025/ch3.ja.md:12", …]}``.

    Files that cannot be read are skipped here (the build reports them); this serves the diff.
    """
    quotes: dict[str, list[str]] = {}
    for path in commentary_files(wave, root):
        try:
            doc = read_commentary(path)
        except BuildError:
            continue
        refs, _ = scan_references(doc)
        for ref in refs:
            where = f"{ref.file}:{ref.line}"
            if where not in quotes.setdefault(ref.figure_id, []):
                quotes[ref.figure_id].append(where)
    return {fid: sorted(places) for fid, places in sorted(quotes.items())}
