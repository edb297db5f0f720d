"""The stale-number lint: numbers typed into commentary where a figure reference belongs.

"86%" written by hand is right on the day it is typed and wrong after the next data correction.
The lint reads every publishable line of the commentary (summary points and discussion; not
references, front-matter keys, HTML comments or list markers) and reports:

* a percentage, a count or a point difference written with its unit — ``86%``, ``86.0％``,
  ``86 percent``, ``3割``, ``221社``, ``221名``, ``221人``, ``221件``, ``221 companies``,
  ``3.2pt``, ``3.2ポイント``, ``3.2 points`` — whatever its value (counts below 10 only when a
  figure has that value, so that "1社あたり" stays quiet);
* a bare number of 10 or more that equals a figure of the file's chapter (``221`` when
  ``cs_status.doing.count`` is 221);
* a choice label containing digits that is the value of a median or top-N figure of the chapter
  (``600〜700万円`` when it is ``income.median``), unless the same line quotes a figure of that
  very choice — then the label names a category whose share follows (``5年以上の人は
  ${cs_career.c5_plus.pct}``).

Not reported: numbers inside references; years (four digits 1900–2099); ordinals and dates
(``第2章``, ``12月``, ``2018年``); ids and names with letters (``Q3``, ``ch3``, ``B2B``);
ranges and bucket bounds, which describe categories rather than results (``90〜100%``,
``51名以上``, ``1,001社以上``); money amounts (``1億円``, ``600万``). A line carrying the pragma
``<!-- lint: ignore -->`` (body) or ``# lint: ignore`` (front matter) is skipped.

Each finding names file, line and the computed figure the number probably meant, preferring the
file's own chapter. ``strict`` turns findings into a BuildError (CI runs ``--strict``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hakusho.build_folder import read_figures
from hakusho.errors import BuildError, Problem
from hakusho.messages import Listed, Msg
from hakusho.text.claims_lint import ClaimFinding, claims_in
from hakusho.text.commentary import (
    HTML_COMMENT,
    REFERENCE,
    SUMMARY,
    CommentaryFile,
    Figures,
    commentary_files,
    read_commentary,
    remembered,
    scan_references,
)
from hakusho.text.numbers import format_figure

_D = "0-9０-９"
NUMBER = re.compile(
    rf"(?<![{_D}A-Za-zＡ-Ｚａ-ｚ_.．,，])"
    rf"(?P<num>[{_D}]{{1,3}}(?:[,，][{_D}]{{3}})+|[{_D}]+)(?:[.．](?P<dec>[{_D}]+))?(?![{_D}])"
    r"(?P<unit>[ \u00a0]?(?:percentage points?\b|percent\b|per cent\b|pts?\b|points?\b|companies\b|company\b"
    r"|firms?\b|respondents?\b|organi[sz]ations?\b|businesses\b|people\b|persons?\b)"
    r"|\u3000?(?:%|％|パーセント|ポイント|割|社|名|人|件))?"
)
KANJI_WARI = re.compile(r"(?<![一二三四五六七八九十])(?P<num>[一二三四五六七八九十])割")
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九十")}

PCT_UNITS = ("%", "％", "パーセント", "percent", "per cent")
POINT_UNITS = ("ポイント", "pt", "pts", "point", "points", "percentage point", "percentage points")
RANGE_MARKS = "〜~～‐-–—"
# Bucket bounds: "51名以上", "1,001 companies or more" describe a category, not a result.
BOUND_AFTER = re.compile(r"^\s*(?:以上|以下|未満|超|以内|or more|or fewer|or less|and above|and over|\+)")
# Calendar, ordinal and money words after a bare number: not a survey result.
NOT_A_FIGURE_AFTER = re.compile(
    r"^(?:年|月|日|歳|才|時|分|秒|週|カ月|ヶ月|か月|ヵ月|箇月|位|章|部|番|回|倍|万|億|千|円|兆|代|期|次|号|項|行|ページ|頁)"
)
NOT_A_FIGURE_BEFORE = re.compile(r"(?:第|No\.|no\.|#|＃|Chapter|chapter|Part|part|Q)\s*$")
LIST_MARKER = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])(\s+)")
FRONT_KEY = re.compile(r"^(\s*)[A-Za-z_][\w-]*\s*:(?=\s|$)")
FRONT_DASH = re.compile(r"^(\s*)-(?=\s)")
YAML_COMMENT = re.compile(r"(?:^|(?<=\s))#.*$")
PRAGMA_BODY = re.compile(r"<!--\s*lint:\s*ignore\s*-->")
PRAGMA_FRONT = re.compile(r"(?:^|\s)#\s*lint:\s*ignore\b")


@dataclass(frozen=True)
class Finding:
    """A number typed literally, where it is, and the figures it probably is."""

    file: str
    line: int
    column: int
    literal: str
    candidates: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return Msg("lint.finding", file=self.file, line=self.line, column=self.column, message=self.message)

    def problem(self) -> Problem:
        return Problem(self.message, file=self.file, row=self.line, column=str(self.column))


# --------------------------------------------------------------------------- lines


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def lint_lines(doc: CommentaryFile) -> list[tuple[int, str]]:
    """(line number, text) of the lines the lint reads, with everything it must not read blanked.

    Blanking (not deleting) keeps columns exact for messages.
    """
    out: list[tuple[int, str]] = []
    for i in range(1, doc.front_end):
        raw = doc.lines[i]
        if PRAGMA_FRONT.search(raw):
            continue
        text = YAML_COMMENT.sub(lambda m: _blank(m.group(0)), raw)
        text = FRONT_KEY.sub(lambda m: _blank(m.group(0)), text)
        text = FRONT_DASH.sub(lambda m: _blank(m.group(0)), text)
        out.append((i + 1, text))
    raw_body = doc.body.split("\n")
    body = HTML_COMMENT.sub(lambda m: _blank(m.group(0)), doc.body).split("\n")
    for i, text in enumerate(body):
        if PRAGMA_BODY.search(raw_body[i]):
            continue
        out.append((doc.body_line + i, LIST_MARKER.sub(lambda m: _blank(m.group(0)), text)))
    return [(n, REFERENCE.sub(lambda m: _blank(m.group(0)), text)) for n, text in out]


# --------------------------------------------------------------------------- matching


def _decimal(text: str) -> Decimal:
    return Decimal(unicodedata.normalize("NFKC", text).replace(",", ""))


def _round(value: float, places: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class _Matcher:
    """Figures by kind, with the chapter each belongs to (from the chart id through the spec)."""

    def __init__(self, figures: Figures, chapter_of_chart: dict[str, str]) -> None:
        self.figures = figures
        self.chapter = {fid: chapter_of_chart.get(fid.split(".")[0]) for fid in figures}

    def _rank(self, ids: Iterable[str], value: Decimal, chapter: str) -> list[str]:
        def key(fid: str) -> tuple:
            exact = Decimal(repr(float(abs(self.figures[fid]["value"])))) == value
            return (chapter != SUMMARY and self.chapter[fid] != chapter, not exact, fid)

        return sorted(ids, key=key)

    def _of_kind(self, kinds: tuple[str, ...]) -> list[str]:
        return [fid for fid, f in self.figures.items()
                if f.get("kind") in kinds and f.get("value") is not None and not isinstance(f["value"], bool)]

    def percent(self, value: Decimal, places: int, chapter: str) -> list[str]:
        ids = [fid for fid in self._of_kind(("pct",)) if _round(self.figures[fid]["value"], places) == value]
        return self._rank(ids, value, chapter)

    def wari(self, value: Decimal, chapter: str) -> list[str]:
        ids = [fid for fid in self._of_kind(("pct",))
               if _round(self.figures[fid]["value"] / 10, 0) == value]
        return self._rank(ids, value * 10, chapter)

    def points(self, value: Decimal, places: int, chapter: str) -> list[str]:
        ids = [fid for fid in self._of_kind(("points",))
               if _round(abs(self.figures[fid]["value"]), places) == value]
        return self._rank(ids, value, chapter)

    def count(self, value: Decimal, chapter: str) -> list[str]:
        ids = [fid for fid in self._of_kind(("count", "n")) if Decimal(int(self.figures[fid]["value"])) == value]
        return self._rank(ids, value, chapter)

    def in_chapter(self, ids: list[str], chapter: str) -> list[str]:
        return ids if chapter == SUMMARY else [fid for fid in ids if self.chapter[fid] == chapter]

    def labels(self, lang: str, chapter: str) -> dict[str, list[str]]:
        """{label: figure ids} of choice figures whose label holds a digit, longest labels first."""
        pairs = [
            (str((f.get("label") or {}).get(lang) or ""), fid)
            for fid, f in self.figures.items()
            if f.get("kind") == "choice" and f.get("value") is not None
        ]
        pairs = [(label, fid) for label, fid in pairs if re.search(rf"[{_D}]", label)]
        pairs = [(label, fid) for label, fid in pairs if chapter == SUMMARY or self.chapter[fid] == chapter]
        by_label: dict[str, list[str]] = {}
        for label, fid in sorted(pairs, key=lambda p: (-len(p[0]), p[1])):
            by_label.setdefault(label, []).append(fid)
        return by_label


# --------------------------------------------------------------------------- the lint


def _message(literal: str, ids: list[str], figures: Figures, lang: str) -> Msg:
    if not ids:
        return Msg("lint.typed_number", literal=literal)
    first = ids[0]
    found = {"literal": literal, "id": first, "value": format_figure(figures[first], lang), "ref": "${" + first + "}"}
    others = ids[1:3]
    if not others:
        return Msg("lint.looks_like", **found)
    if len(ids) > 3:
        others.append(Msg("lint.more", n=len(ids) - 3))
    also = Listed(others)
    return Msg("lint.looks_like_also", also=also, **found)


def _chart_keys(figure_id: str) -> set[tuple[str, str]]:
    """(chart, part) pairs of a figure id: ``cs_career.c5_plus.pct`` names key c5_plus of cs_career."""
    chart, *rest = figure_id.split(".")
    return {(chart, part) for part in rest}


def _is_range(line: str, start: int, end: int) -> bool:
    before = line[:start].rstrip(" \u3000")
    after = line[end:].lstrip(" \u3000")
    if before and before[-1] in RANGE_MARKS and re.search(rf"[{_D}%％万億円名社人件個]\s*$", before[:-1]):
        return True
    return bool(after) and after[0] in RANGE_MARKS and bool(re.match(rf"\s*[{_D}]", after[1:]))


def lint_document(doc: CommentaryFile, figures: Figures, chapter_of_chart: dict[str, str]) -> list[Finding]:
    """Literal numbers in one file, each with the figures it probably meant."""
    matcher = _Matcher(figures, chapter_of_chart)
    chapter, lang = doc.chapter, doc.lang
    findings: list[Finding] = []

    def found(number: int, start: int, literal: str, ids: list[str]) -> None:
        findings.append(Finding(doc.name, number, start + 1, literal, tuple(ids),
                                _message(literal, ids, figures, lang)))

    labels = matcher.labels(lang, chapter)
    refs, _ = scan_references(doc)
    quoted: dict[int, set[str]] = {}
    for ref in refs:
        quoted.setdefault(ref.line, set()).update(_chart_keys(ref.figure_id))
    for number, line in lint_lines(doc):
        for label, ids in labels.items():
            # A bucket named next to a reference to its own share describes a category ("5年以上の人は
            # ${cs_career.c5_plus.pct}"); only a label standing for a result is a stale number.
            ids = [fid for fid in ids if (fid.split(".")[0], figures[fid]["value"]) not in quoted.get(number, set())]
            for m in re.finditer(re.escape(label), line) if ids else ():
                found(number, m.start(), label, ids)
                line = line[: m.start()] + _blank(label) + line[m.end() :]
        for m in KANJI_WARI.finditer(line):
            found(number, m.start(), m.group(0), matcher.wari(Decimal(_KANJI_DIGITS[m.group("num")]), chapter))
        for m in NUMBER.finditer(line):
            literal = m.group(0).strip()
            value = _decimal(m.group("num") + ("." + m.group("dec") if m.group("dec") else ""))
            places = len(m.group("dec") or "")
            unit = unicodedata.normalize("NFKC", (m.group("unit") or "").strip()).lower()
            after = line[m.end() :]
            if _is_range(line, m.start(), m.end()):
                continue
            if unit in PCT_UNITS:
                found(number, m.start(), literal, matcher.percent(value, places, chapter))
            elif unit in POINT_UNITS:
                found(number, m.start(), literal, matcher.points(value, places, chapter))
            elif unit == "割":
                found(number, m.start(), literal, matcher.wari(value, chapter))
            elif unit:
                ids = matcher.count(value, chapter) if not places else []
                if BOUND_AFTER.match(after) or (value < 10 and not ids):
                    continue
                found(number, m.start(), literal, ids)
            else:
                ids = _bare(matcher, line, m, value, places, chapter)
                if ids:
                    found(number, m.start(), literal, ids)
    return sorted(findings, key=lambda f: (f.line, f.column))


def _bare(matcher: _Matcher, line: str, m: re.Match[str], value: Decimal, places: int, chapter: str) -> list[str]:
    """Figures of the chapter a bare number equals, or nothing when it is plainly not a figure."""
    after = line[m.end() :]
    if value < 10 or (not places and len(m.group("num")) == 4 and 1900 <= value <= 2099):
        return []
    if re.match(r"^[A-Za-zＡ-Ｚａ-ｚ]", after) or NOT_A_FIGURE_AFTER.match(after.lstrip()) or BOUND_AFTER.match(after):
        return []
    if NOT_A_FIGURE_BEFORE.search(line[: m.start()]):
        return []
    # Exact equality only: "86" is 86.0 %, never 85.6 % (bare numbers coincide with figures too easily).
    ids = matcher.percent(value, max(places, 1), chapter)
    if not places:
        ids = matcher.count(value, chapter) + ids
    return matcher.in_chapter(ids, chapter)


def chart_chapters(wave: str | None = None) -> dict[str, str]:
    """{chart id: chapter id} from the edition's spec: the lint prefers figures of the file's own
    chapter."""
    from hakusho.analysis.spec import default_spec

    return {chart.id: chapter.id for chapter in default_spec(wave).chapters for chart in chapter.charts}


def lint_commentary(
    figures: Path | str | Figures,
    wave: str,
    *,
    root: Path | None = None,
    strict: bool = False,
    chapter_of_chart: dict[str, str] | None = None,
) -> list[Finding | ClaimFinding]:
    """Literal numbers, and claims the tests do not support (:mod:`hakusho.text.claims_lint`), in
    every commentary file of a wave; with ``strict`` they are an error.

    Files that cannot be read raise the BuildError of :func:`hakusho.text.commentary.read_commentary`.
    """
    figures = read_figures(figures)
    chapters = chart_chapters(wave) if chapter_of_chart is None else chapter_of_chart
    docs = [read_commentary(path) for path in commentary_files(wave, root)]
    key = tuple(sorted(chapters.items()))
    findings: list[Finding | ClaimFinding] = [
        f for doc in docs
        for f in remembered("lint", doc, figures, lambda doc=doc: tuple(lint_document(doc, figures, chapters)), key)]
    claims = claims_in(docs, figures)
    findings += claims
    if strict and findings:
        typed = len(findings) - len(claims)
        raise BuildError(
            Msg("lint.strict", n=typed, claims=len(claims), wave=wave),
            [f.problem() for f in findings],
        )
    return findings
