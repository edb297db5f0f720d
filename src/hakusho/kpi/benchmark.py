"""Benchmark yourself: where a team's annual KPIs fall among the survey's respondents.

The survey asks for annual customer retention, NRR, revenue per customer and ARR in brackets
(ordinal questions whose choices carry ``lower``/``upper`` bounds in the question's unit). A
ledger's exact values are converted into that unit — rates to percent, yen to 万円 or 億円 as the
codebook says — and placed in their bracket; the respondents of the base population (by default
SaaS respondents practising customer success) are then counted below, in and above it.

Shares follow the report's rules: each bracket's share is rounded once (one decimal, half up) and
a combined share ("answered a lower bracket") is the sum of the rounded shares, exactly as a
reader adds up the chart's labels; a base under 10 shows no shares at all, one under 30 is
marked indicative (:mod:`hakusho.analysis.disclosure`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hakusho import config
from hakusho.analysis.disclosure import disclosure_level, shows_percentages
from hakusho.analysis.spec import default_spec
from hakusho.analysis.tabulate import group_share, share_of_base
from hakusho.errors import CodebookError, Problem
from hakusho.i18n import Translator
from hakusho.kpi import formulas as kpi
from hakusho.survey.codebook import Choice, Question
from hakusho.survey.wave import Survey
from hakusho.text import numbers

METRICS = ("retention", "nrr", "arpa", "arr")  # codebook variables, in the order they are shown
RATE_METRICS = frozenset({"retention", "nrr"})
# Yen per unit of a money question's bounds, keyed by the codebook's Japanese unit.
YEN_PER_UNIT = {"円": 1, "千円": 10**3, "万円": 10**4, "百万円": 10**6, "億円": 10**8}
DEFAULT_POPULATION = "saas_doing"
TEMPLATE = "kpi_benchmark.html.j2"


@dataclass(frozen=True)
class Placement:
    """One KPI placed among the respondents."""

    metric: str  # codebook variable
    value: Fraction  # rate as a fraction, or yen
    value_in_unit: Fraction  # in the unit of the question's bounds
    bucket: Choice | None  # None when no bracket holds the value
    base: int
    below: int
    same: int
    above: int
    below_pct: float | None  # None when the base is too small to show shares
    same_pct: float | None
    above_pct: float | None
    disclosure: str


def in_unit(metric: str, value: Fraction, question: Question) -> Fraction:
    """``value`` (a rate, or yen) in the unit of the question's bucket bounds."""
    unit = question.unit.ja.strip() if question.unit else None
    if metric in RATE_METRICS:
        if unit != "%":
            raise CodebookError(f"question {question.id} should state its brackets in %", [Problem(
                "unexpected unit for a rate", column=question.id, value=unit, expected="%")])
        return value * 100
    if unit not in YEN_PER_UNIT:
        raise CodebookError(f"question {question.id} states its brackets in an unknown unit", [Problem(
            "unknown money unit", column=question.id, value=unit, expected="one of " + ", ".join(YEN_PER_UNIT))])
    return value / YEN_PER_UNIT[unit]


def _bounds(choice: Choice) -> tuple[float, float]:
    low = choice.lower if choice.lower is not None else -math.inf
    high = choice.upper if choice.upper is not None else math.inf
    return low, high


def brackets(question: Question) -> list[Choice]:
    """The question's substantive brackets, lowest first (every one must have a bound)."""
    chosen = [c for c in question.choices if c.in_base]
    unbounded = [c.key for c in chosen if c.lower is None and c.upper is None]
    if unbounded or question.type != "ordinal":
        raise CodebookError(f"question {question.id} has no bracket bounds to compare with", [Problem(
            "brackets without lower/upper bounds", column=question.id, value=", ".join(unbounded) or question.type,
            expected="an ordinal question whose choices have lower and upper bounds")])
    return sorted(chosen, key=_bounds)


def find_bracket(question: Question, value: Fraction) -> Choice | None:
    """The bracket with lower ≤ value < upper. A value equal to the top bound of the highest
    closed bracket belongs to it (100 % retention is inside "90–100 %")."""
    ordered = brackets(question)
    for choice in ordered:
        low, high = _bounds(choice)
        if low <= value < high:
            return choice
    top = ordered[-1]
    if top.upper is not None and value == Fraction(top.upper):
        return top
    return None


def place(metric: str, value: Fraction, survey: Survey, population: pd.Series) -> Placement:
    """Place one value among the respondents of ``population`` (a boolean mask)."""
    question = survey.question(metric)
    scaled = in_unit(metric, Fraction(value), question)
    bucket = find_bracket(question, scaled)
    table = share_of_base(survey, metric, population)
    base = int(table["base"].iloc[0]) if len(table) else 0
    order = [c.key for c in brackets(question)]
    counts = dict(zip(table["choice_key"], table["count"], strict=True))
    if bucket is None:
        below_keys = [k for k in order if _bounds(question.choice(k))[1] <= scaled]
        same_keys: list[str] = []
    else:
        at = order.index(bucket.key)
        below_keys, same_keys = order[:at], [bucket.key]
    above_keys = [k for k in order if k not in below_keys and k not in same_keys]
    level = disclosure_level(base)
    shown = shows_percentages(level) and base > 0

    def share(keys: list[str]) -> float | None:
        if not shown:
            return None
        return group_share(table, keys) if keys else 0.0

    return Placement(
        metric=metric,
        value=Fraction(value),
        value_in_unit=scaled,
        bucket=bucket,
        base=base,
        below=sum(int(counts[k]) for k in below_keys),
        same=sum(int(counts[k]) for k in same_keys),
        above=sum(int(counts[k]) for k in above_keys),
        below_pct=share(below_keys),
        same_pct=share(same_keys),
        above_pct=share(above_keys),
        disclosure=level,
    )


def benchmark(values: Mapping[str, Fraction | Decimal], survey: Survey, *, population: str = DEFAULT_POPULATION,
              segment: str = "saas") -> list[Placement]:
    """Placements of every benchmarked metric present in ``values``, in :data:`METRICS` order."""
    mask = survey.population(population, segment=segment)
    return [place(m, Fraction(values[m]), survey, mask) for m in METRICS if m in values]


# --- words and pages --------------------------------------------------------------------------


def format_value(metric: str, value: Fraction, lang: str) -> str:
    if metric in RATE_METRICS:
        return kpi.format_percent(value, lang)
    return kpi.format_yen(value, lang, compact=True)


def sentence(placement: Placement, lang: str, population_label: str) -> str:
    """What a placement means, in one or two sentences of ``lang``."""
    t = Translator(lang, "kpi")
    params = {
        "metric": t(f"benchmark.metric.{placement.metric}"),
        "value": format_value(placement.metric, placement.value, lang),
        "population": population_label,
        "base": numbers.count(placement.base, lang),
    }
    if placement.bucket is None:
        return t("benchmark.sentence.outside", **params)
    params["bucket"] = placement.bucket.label(lang)
    if placement.below_pct is None:
        return t("benchmark.sentence.suppressed", **params)
    text = t("benchmark.sentence", **params, below=numbers.pct_cell(placement.below_pct, lang),
             same=numbers.pct_cell(placement.same_pct, lang), above=numbers.pct_cell(placement.above_pct, lang))
    if placement.disclosure == "indicative":
        text += (" " if lang == "en" else "") + t("benchmark.note.indicative")
    return text


def benchmark_model(placements: list[Placement], survey: Survey, lang: str, *, population: str = DEFAULT_POPULATION,
                    ledger_label: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the terminal and the HTML page show, as strings formatted for ``lang``."""
    t = Translator(lang, "kpi")
    population_label = default_spec().populations[population].label(lang)
    info = survey.codebook.survey
    rows = []
    for p in placements:
        rows.append({
            "metric": p.metric,
            "label": survey.question(p.metric).label(lang),
            "value": format_value(p.metric, p.value, lang),
            "bucket": p.bucket.label(lang) if p.bucket else numbers.DASH,
            "below": numbers.pct_cell(p.below_pct, lang),
            "same": numbers.pct_cell(p.same_pct, lang),
            "above": numbers.pct_cell(p.above_pct, lang),
            "base": numbers.count(p.base, lang),
            "disclosure": p.disclosure,
            "sentence": sentence(p, lang, population_label),
        })
    notes = [t("benchmark.note.synthetic")] if info.synthetic else []
    model: dict[str, Any] = {
        "lang": lang,
        "page_title": t("benchmark.page_title"),
        "title": t("benchmark.title", survey=info.title.get(lang)),
        "lead": t("benchmark.lead"),
        "columns": {k: t(f"benchmark.column.{k}") for k in ("metric", "value", "bucket", "below", "same", "above",
                                                            "base")},
        "rows": rows,
        "source": t("benchmark.source", survey=info.title.get(lang), population=population_label),
        "notes": notes,
        "ledger": t("benchmark.ledger", **ledger_label) if ledger_label else None,
    }
    return model


def placement_record(placement: Placement) -> dict[str, object]:
    """A placement as plain JSON values (value in the question's unit, rounded to 0.01)."""
    bucket = placement.bucket
    return {
        "metric": placement.metric,
        "value_in_unit": float(kpi.round_half_up(placement.value_in_unit, 2)),
        "bucket": bucket.key if bucket else None,
        "bucket_ja": bucket.ja if bucket else None,
        "bucket_en": bucket.en if bucket else None,
        "base": placement.base,
        "below": placement.below,
        "same": placement.same,
        "above": placement.above,
        "below_pct": placement.below_pct,
        "same_pct": placement.same_pct,
        "above_pct": placement.above_pct,
        "disclosure": placement.disclosure,
    }


def render_html(model: Mapping[str, object], templates_dir: Path | None = None) -> str:
    """The benchmark as one self-contained HTML page (inline style, no external files)."""
    env = Environment(
        loader=FileSystemLoader([str(templates_dir)] if templates_dir else
                                [str(d) for d in config.search_path("templates")]),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE).render(**model)
