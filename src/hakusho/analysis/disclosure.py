"""Small-base rules: which numbers a base is large enough to show.

The rules are enforced here, once, and every output (chapter.json, the CSV tables, figures.json,
the charts) reads the result instead of deciding again:

* ``base >= 30``       → ``ok``: percentages shown as they are;
* ``10 <= base < 30``  → ``indicative``: percentages shown but marked as a reference value
  (参考値 / "indicative") with the base beside them;
* ``base < 10``        → ``suppressed``: counts only, never a percentage, nor anything derived
  from one (combined shares, median buckets, ranks, year-over-year changes and tests). A slide
  built on such a base says by itself that no trend can be read from so few answers.

A chart (or a figure) whose base is empty — nobody in it, as when the non-SaaS report meets a
question of the SaaS-only 2023 survey — is ``empty`` (:func:`chart_disclosure`): there is nothing
to draw, and the chart says so in a note instead. :func:`disclosure_level` itself keeps the three
classes, since other tables (crosses, benchmarks) treat an empty band as a small one.

The wording of every note lives in the ``notes`` message catalogs; a note is stored as its
catalog key, its parameters and the text of both languages so that renderers never look it up.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from hakusho.i18n import LANGS, Translator

SUPPRESS_BELOW = 10
INDICATIVE_BELOW = 30

Disclosure = Literal["ok", "indicative", "suppressed"]
ChartDisclosure = Literal["ok", "indicative", "suppressed", "empty"]
NOTES_DOMAIN = "notes"


def disclosure_level(base: int) -> Disclosure:
    """The disclosure class of a base of ``base`` respondents."""
    if base < SUPPRESS_BELOW:
        return "suppressed"
    if base < INDICATIVE_BELOW:
        return "indicative"
    return "ok"


def chart_disclosure(base: int) -> ChartDisclosure:
    """The disclosure class of a chart, series or figure: ``empty`` for a base of nobody."""
    return "empty" if base <= 0 else disclosure_level(base)


def shows_percentages(level: str) -> bool:
    return level not in ("suppressed", "empty")


def suppress_shares(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ``pct`` blanked on every row whose base is below the suppression line.

    Works on any table with ``base`` and ``pct`` columns (one or several series); counts stay.
    """
    out = table.copy()
    small = out["base"].astype(int) < SUPPRESS_BELOW
    out["pct"] = out["pct"].astype(float).mask(small)
    return out


def _param(value: object, lang: str) -> object:
    # A label passed as {"ja": ..., "en": ...} is filled in per language.
    if isinstance(value, dict) and lang in value:
        return value[lang]
    return value


def note(key: str, **params: object) -> dict[str, object]:
    """A note for chapter.json: its catalog key, parameters and text in every language.

    Parameters are counts, wave ids, filter texts (the same in both languages) or labels given as
    ``{"ja": ..., "en": ...}``; shares never appear in notes, so no number needs formatting here.
    """
    texts = {lang: Translator(lang, NOTES_DOMAIN)(key, **{k: _param(v, lang) for k, v in params.items()})
             for lang in LANGS}
    return {"key": key, "params": dict(sorted(params.items())), **texts}


def base_notes(level: str, base: int) -> list[dict[str, object]]:
    """The notes a chart (or its first series) needs because of the size of its base."""
    if level == "empty":
        return [note("note.empty_base")]
    if level == "suppressed":
        return [note("note.suppressed", n=base)]
    if level == "indicative":
        return [note("note.indicative", n=base)]
    return []
