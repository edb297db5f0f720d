"""Numbers as the report prints them, per language: the one place a value becomes text.

The chapters hand over raw and rounded values; the view model turns each into a string here so
that templates (HTML, Typst, Quarto) only place text. Conventions, chosen to match Japanese
association reports and English house style alike:

* percentages keep the one decimal of the rounding rule: ``86.0%`` in both languages;
* counts and bases use thousands separators: ``1,234``; a base reads ``n=257``;
* changes between waves are percentage points with a sign: ``+3.2 pt`` / ``+3.2ポイント``, a true
  minus sign (U+2212) for falls and ``±0.0`` for no change; prose states the direction in words
  and quotes the magnitude alone (:func:`magnitude`);
* p-values have three decimals, and anything below 0.001 reads ``p<0.001``;
* survey periods are Babel date intervals (``2024年12月1日～31日`` / ``Dec 1 – 31, 2024``).

Money never needs formatting here: every amount in the report is a bucket of a codebook
question, and its label (``1億〜5億円未満`` / ``¥100m to under ¥500m``) is the codebook's.

A missing value (a suppressed share) is never formatted silently: the functions that take a
share raise ``ValueError`` on ``None``; tables use :func:`pct_cell`, which prints a dash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_interval

from hakusho.i18n import LANGS, translator

MINUS = "\u2212"
DASH = "\u2014"  # a cell without a value (suppressed share, choice outside the base)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (valid: {', '.join(LANGS)})")


def _number(value: float, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("a missing value cannot be formatted")
    text = f"{float(value):,.{decimals}f}"
    return text.replace("-", MINUS)


def pct(value: float | None, lang: str) -> str:
    """A rounded share: ``86.0%`` (the same in both languages)."""
    _check_lang(lang)
    return f"{_number(value, 1)}%"  # type: ignore[arg-type]


def pct_cell(value: float | None, lang: str) -> str:
    """A share in a table cell: the share, or a dash where none is shown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return pct(value, lang)


def count(value: int, lang: str) -> str:
    """A count of respondents: ``1,234``."""
    _check_lang(lang)
    if value is None:
        raise ValueError("a missing count cannot be formatted")
    return _number(int(value), 0)


def base_n(value: int, lang: str) -> str:
    """A base as charts and tables label it: ``n=257``."""
    return f"n={count(value, lang)}"


def points(value: float | None, lang: str) -> str:
    """A change in percentage points with its sign: ``+3.2 pt`` / ``−3.2ポイント`` / ``±0.0 pt``."""
    _check_lang(lang)
    if value is None:
        raise ValueError("a missing change cannot be formatted")
    number = _number(abs(float(value)), 1)
    sign = "±" if number == "0.0" else ("+" if value > 0 else MINUS)
    unit = "ポイント" if lang == "ja" else " pt"
    return f"{sign}{number}{unit}"


def points_cell(value: float | None, lang: str) -> str:
    """A change in a table cell: the signed change, or a dash where no change is shown."""
    if value is None:
        return DASH
    return points(value, lang)


def magnitude(value: float | None, lang: str) -> str:
    """The size of a change without sign or unit (``3.2``): prose says "rose"/"fell" itself."""
    _check_lang(lang)
    if value is None:
        raise ValueError("a missing change cannot be formatted")
    return _number(abs(float(value)), 1)


def p_value(value: float | None, lang: str) -> str:
    """A p-value as the methodology and tables quote it: ``p=0.042`` or ``p<0.001``.

    Three decimals, and more where three would carry it across the significance level: 0.04996
    prints ``p=0.04996``, never ``p=0.050`` beside a "significant" mark. Up to twelve decimals;
    a value closer to the level than that prints in full (``repr``).
    """
    from hakusho.analysis.multiplicity import ALPHA

    _check_lang(lang)
    if value is None:
        raise ValueError("a missing p-value cannot be formatted")
    if value < 0.001:
        return "p<0.001"
    for digits in range(3, 13):
        text = f"{value:.{digits}f}"
        if (float(text) < ALPHA) == (value < ALPHA):
            return f"p={text}"
    return f"p={value!r}"


def decimal(value: float, digits: int) -> str:
    """A statistic with a fixed number of decimals (the same in both languages), true minus sign."""
    return f"{value:.{digits}f}".replace("-", MINUS)


def level(alpha: float, lang: str) -> str:
    """A significance level or confidence as a whole percentage: ``5%`` for 0.05."""
    _check_lang(lang)
    return f"{round(alpha * 100):d}%"


def date_range(start: str, end: str, lang: str) -> str:
    """A survey period from two ISO dates, in the language's usual interval form."""
    _check_lang(lang)
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return format_interval(first, last, skeleton="yMMMd", locale=lang)


def format_figure(figure: Mapping[str, Any], lang: str, *, signed: bool = True) -> str:
    """One figure of figures.json as the report prints it in ``lang`` ("86.0%", "221", a choice's
    label, "+4.0 pt"). Prose that says which way a change went quotes it ``signed=False``
    ("rose by 4.0 points"); the editors' references print the sign.
    """
    kind, value = figure["kind"], figure["value"]
    if value is None:
        raise ValueError("a figure without a value cannot be formatted")
    if kind == "pct":
        return pct(float(value), lang)
    if kind in ("count", "n"):
        return count(int(value), lang)
    if kind == "points":
        return points(float(value), lang) if signed else magnitude(float(value), lang)
    if kind == "choice":
        label = figure.get("label") or {}
        return str(label.get(lang) or value)
    if kind == "flag":
        return translator(lang, "commentary")("flag.significant" if value else "flag.not_significant")
    if kind == "statistic":
        return decimal(float(value), int(figure.get("digits", 3)))
    if kind == "p_value":
        return p_value(float(value), lang)
    raise ValueError(f"unknown figure kind {kind!r}")


def with_indicative_mark(text: str, lang: str) -> str:
    """The sentence with the indicative mark (参考値 / "indicative") before its closing punctuation:
    what every sentence quoting a share of a base of 10–29 respondents carries (headlines of the
    chapters and of the crosses alike, so the mark lives in the chapters' notes catalog)."""
    mark = translator(lang, "notes")("mark.indicative")
    for stop in ("。", "."):
        if text.endswith(stop):
            return text[: -len(stop)] + mark + stop
    return text + mark
