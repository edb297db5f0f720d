"""The claims lint: editors' sentences that say more than the tests support.

A sentence of commentary may describe a figure ("the median band is ${income.median}") but may
speak of *change* only where a test backs it. The lint reads each sentence (summary points and
discussion) with the figures it references and reports:

* **a change from the earlier wave whose test is not significant** — change words ("edged up",
  "rose", 「増えた」「上昇」) in a sentence about the comparison wave ("since the 2023 edition",
  「白書2023と比べ」), about a chart whose year-over-year test (after adjustment) is not
  significant;
* **"unchanged" read from a test** — words of sameness ("little changed", "much as in 2023",
  「大きな変化はない」「変わらない」) about the earlier wave: a test that is not significant does
  not show that nothing changed; the sentence should say no significant difference was found;
* **a trend for a question with no comparison** — change words ("getting bigger", 「大きくなっている」)
  about charts none of which was compared with an earlier wave, unless the question itself asks
  about a change (``asks_change`` in the spec: "did your headcount change over the past year?").

A sentence names its charts by its references; a sentence about the earlier wave without a
reference of its own is read with the references of its paragraph. A sentence that speaks of
significance itself (significant / 有意) must agree with the test: "no significant difference"
about a significant test, or "a significant rise" about one that is not, is reported too. Findings
are warnings; ``--strict`` makes them errors (with the literal-number findings of
:mod:`hakusho.text.commentary_lint`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hakusho.errors import Problem
from hakusho.messages import Msg
from hakusho.text.commentary import REFERENCE, CommentaryFile, Figures, remembered

# Sentence ends: Japanese full stop, or a Latin stop/!/? followed by a space or the end.
SENTENCE_END = re.compile(r"(?<=。)|(?<=[.!?])(?=\s|$)")
CHANGE = {
    "en": re.compile(
        r"\b(?:ris(?:e|es|ing|en)|rose|grow(?:s|ing|n)?|grew|increas(?:e|es|ed|ing)|decreas(?:e|es|ed|ing)"
        r"|declin(?:e|es|ed|ing)|fell(?! (?:in|within|into)\b)|fall(?:s|en|ing)?(?! (?:in|within|into)\b)"
        r"|edged (?:up|down)|up from|down from|gain(?:s|ed)?"
        r"|getting (?:bigger|larger|smaller|more)|bigger|expand(?:s|ed|ing)?|shr[iau]nk(?:s|ing)?|shift(?:s|ed)?"
        r"|more and more|climb(?:s|ed|ing)?|drop(?:s|ped|ping)?)\b", re.IGNORECASE),
    # Verbs of change as a clause ends them (増えた, 増加している); a noun such as 「売上の増加」
    # names a choice or an aim, not a trend.
    "ja": re.compile(r"(?:増え|増加し|増し|減っ|減少し|上昇し|低下し|拡大し|縮小し|伸び|高まっ|大きくなっ"
                     r"|広がっ|下がっ|上がっ)(?:て|た)"),
}
# Beside the earlier wave ("白書2023と比べ…") a noun of change claims a change as well (わずかな上昇).
CHANGE_AGAINST_EARLIER = {
    "en": CHANGE["en"],
    "ja": re.compile(r"増え|増加|増し|減っ|減少|上昇|低下|拡大|縮小|伸び|高まっ|大きくなっ|広がっ|下がっ|上がっ"),
}
SAME = {
    "en": re.compile(r"\b(?:unchanged|little changed|much as (?:it|they) did|same as in|no (?:real|substantial) change"
                     r"|(?:has|have) not changed|holds? steady|stable since)\b", re.IGNORECASE),
    "ja": re.compile(r"変わら|変化はない|変化がない|変わっていない|横ばい|同水準|同程度"),
}
EARLIER = {
    "en": re.compile(r"\b(?:19|20)\d\d\b|\bprevious (?:survey|edition)\b|\blast (?:survey|edition)\b", re.IGNORECASE),
    "ja": re.compile(r"(?:19|20)\d\d|前回|前年調査"),
}
TESTED_WORDS = re.compile(r"significan|有意", re.IGNORECASE)
# "no significant difference", 「有意な差はみられない」: the sentence reports a test that found nothing.
NEGATED = re.compile(r"\b(?:not|no|nor|without)\b|ない|なかった|ではなく|みられず|見られず", re.IGNORECASE)


@dataclass(frozen=True)
class ClaimFinding:
    """A sentence that claims more than its tests support."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return Msg("lint.finding", file=self.file, line=self.line, column=self.column, message=self.message)

    def problem(self) -> Problem:
        return Problem(self.message, file=self.file, row=self.line, column=str(self.column))


@dataclass(frozen=True)
class _Sentence:
    line: int
    column: int
    text: str  # with references in place
    paragraph: int


def _sentences(doc: CommentaryFile) -> list[_Sentence]:
    """The sentences of the summary points and the body, each with where it starts."""
    out: list[_Sentence] = []
    paragraph = 0
    for index in range(1, doc.front_end):
        raw = doc.lines[index]
        if raw.strip().startswith("-"):
            paragraph += 1
            out += _split(raw, index + 1, paragraph)
    in_comment = False
    for offset, raw in enumerate(doc.body.split("\n")):
        if "<!--" in raw:
            in_comment = "-->" not in raw
            continue
        if in_comment:
            in_comment = "-->" not in raw
            continue
        if not raw.strip():
            paragraph += 1
            continue
        out += _split(raw, doc.body_line + offset, paragraph)
    return out


def _split(line: str, number: int, paragraph: int) -> list[_Sentence]:
    out, start = [], 0
    bounds = [m.start() for m in SENTENCE_END.finditer(line)] + [len(line)]
    for end in bounds:
        text = line[start:end]
        if text.strip(" -\t\u3000"):
            lead = len(text) - len(text.lstrip(" -\t\u3000"))
            out.append(_Sentence(number, start + lead + 1, text.strip(), paragraph))
        start = end
    return out


def _charts(text: str) -> list[tuple[str, str | None]]:
    """(chart, key or None) of every reference in a sentence."""
    out = []
    for m in REFERENCE.finditer(text):
        parts = m.group("body").strip().split(".")
        out.append((parts[0], parts[1] if len(parts) > 2 else None))
    return out


class _Tests:
    """What figures.json says about each chart's comparison with the earlier wave."""

    def __init__(self, figures: Figures) -> None:
        self.compared: set[str] = set()
        self.flags: dict[str, dict[str | None, bool | None]] = {}
        for fid, fig in figures.items():
            parts = fid.split(".")
            if len(parts) == 3 and parts[2] == "change_pt":
                self.compared.add(parts[0])
            if parts[-1] == "significant" and len(parts) in (2, 3) and isinstance(fig.get("value"), bool | None):
                chart = parts[0]
                self.compared.add(chart)
                self.flags.setdefault(chart, {})[parts[1] if len(parts) == 3 else None] = fig.get("value")

    def significant(self, chart: str, key: str | None) -> bool:
        flags = self.flags.get(chart, {})
        if None in flags:  # an ordinal chart: one test of the whole distribution
            return bool(flags[None])
        if key is not None and key in flags:
            return bool(flags[key])
        return any(bool(v) for v in flags.values())


def lint_claims(doc: CommentaryFile, figures: Figures, asks_change: Iterable[str]) -> list[ClaimFinding]:
    """The sentences of one file that claim more than the tests support (see the module notes)."""
    lang = doc.lang if doc.lang in CHANGE else "en"
    tests = _Tests(figures)
    changing = set(asks_change)
    sentences = _sentences(doc)
    by_paragraph: dict[int, list[tuple[str, str | None]]] = {}
    for s in sentences:
        by_paragraph.setdefault(s.paragraph, []).extend(_charts(s.text))
    findings: list[ClaimFinding] = []

    def report(s: _Sentence, message: str) -> None:
        findings.append(ClaimFinding(doc.name, s.line, s.column, message))

    for s in sentences:
        plain = REFERENCE.sub(" ", s.text)
        earlier = EARLIER[lang].search(plain)
        change = (CHANGE_AGAINST_EARLIER if earlier else CHANGE)[lang].search(plain)
        same = SAME[lang].search(plain)
        own = _charts(s.text)
        if TESTED_WORDS.search(plain):
            _check_tested(s, plain, own or (by_paragraph.get(s.paragraph, []) if earlier else []), tests, report)
            continue
        if not (change or same):
            continue
        charts = own or (by_paragraph.get(s.paragraph, []) if earlier else [])
        if not charts:
            continue
        word = (same or change).group(0)  # type: ignore[union-attr]
        names = ", ".join(dict.fromkeys(c for c, _ in charts))
        compared = [(c, k) for c, k in charts if c in tests.compared]
        if earlier and same:
            report(s, Msg("claims.same_not_tested", word=word, names=names))
        elif earlier and change:
            if not compared:
                report(s, Msg("claims.change_not_compared", word=word, names=names))
            elif not any(tests.significant(c, k) for c, k in compared):
                report(s, Msg("claims.change_not_significant_earlier", word=word, names=names))
        elif change and not compared and not any(c in changing for c, _ in charts):
            report(s, Msg("claims.trend_without_comparison", word=word, names=names))
        elif change and compared and not any(c in changing for c, _ in charts) \
                and not any(tests.significant(c, k) for c, k in compared):
            report(s, Msg("claims.change_not_significant", word=word, names=names))
    return findings


def _check_tested(s: _Sentence, plain: str, charts: list[tuple[str, str | None]], tests: _Tests,
                  report: Any) -> None:
    """A sentence that words a test's result: it must say what the (adjusted) test says."""
    compared = [(c, k) for c, k in charts if c in tests.compared]
    if not compared:
        return
    names = ", ".join(dict.fromkeys(c for c, _ in compared))
    found = any(tests.significant(c, k) for c, k in compared)
    if NEGATED.search(plain) and found:
        report(s, Msg("claims.says_none_but_significant", names=names))
    elif not NEGATED.search(plain) and not found:
        report(s, Msg("claims.says_significant_but_not", names=names))


def asks_change_charts() -> set[str]:
    """Charts whose question asks about a change itself (``asks_change`` in the spec)."""
    from hakusho.analysis.spec import default_spec

    return {chart.id for chart in default_spec().charts.values() if chart.asks_change}


def claims_in(docs: Iterable[CommentaryFile], figures: Mapping[str, object]) -> list[ClaimFinding]:
    """The claims lint over several files."""
    charts = asks_change_charts()
    key = tuple(sorted(charts))
    return [f for doc in docs
            for f in remembered("claims", doc, figures,  # type: ignore[arg-type]
                                lambda doc=doc: tuple(lint_claims(doc, figures, charts)), key)]  # type: ignore[arg-type]
