"""The glossary appendix of the whitepaper, as a plain data model per language.

The model holds strings only — every number already computed by :mod:`hakusho.kpi.formulas` and formatted
for the language — so the HTML and PDF renderers place text without looking anything up:

* ``kpis``: each metric's name, meaning and formula (wording from the ``kpi`` catalogs);
* ``touch``: the three touch models with the LTV thresholds :func:`hakusho.kpi.formulas.touch_tier` uses;
* ``example``: the worked LTV example, its result computed by :func:`hakusho.kpi.formulas.ltv` and its tier
  by :func:`hakusho.kpi.formulas.touch_tier`, so the appendix can never disagree with the calculator.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hakusho.i18n import translator
from hakusho.kpi import formulas as kpi
from hakusho.text import numbers

# The metrics in the order a reader meets them: value, revenue, loss, retention, loyalty.
KPI_IDS = (
    "ltv", "mrr", "arr", "arpa", "customer_churn", "revenue_churn", "customer_retention", "revenue_retention", "nps",
)
TOUCH_COLUMNS = ("model", "rule", "target", "approach", "examples", "cadence")

# The worked example's inputs: a monthly fee of 10,000 yen, a 55 % margin, twelve payments a
# year, two years. Only the inputs are written down; the result is always computed.
WORKED_EXAMPLE = {
    "average_revenue": Decimal(10_000),
    "margin": Decimal("0.55"),
    "frequency": 12,
    "duration": 2,
}


def _touch_rules(lang: str, high: Decimal, low: Decimal) -> dict[str, str]:
    t = translator(lang, "kpi")
    high_text = kpi.format_yen(high, lang, compact=True)
    low_text = kpi.format_yen(low, lang, compact=True)
    return {
        "high_touch": t("touch.rule.high_touch", threshold=high_text),
        "low_touch": t("touch.rule.low_touch", low=low_text, high=high_text),
        "tech_touch": t("touch.rule.tech_touch", threshold=low_text),
    }


def _years(count: int, lang: str) -> str:
    t = translator(lang, "kpi")
    key = "unit.years_one" if count == 1 else "unit.years_other"
    return t(key, count=numbers.count(count, lang))


def worked_example(lang: str, *, high_touch_from: Decimal = kpi.DEFAULT_HIGH_TOUCH_LTV,
                   low_touch_from: Decimal = kpi.DEFAULT_LOW_TOUCH_LTV) -> dict[str, Any]:
    """The LTV example: inputs, the equation and its result, and the tier it lands in."""
    t = translator(lang, "kpi")
    inputs = WORKED_EXAMPLE
    result = kpi.ltv(inputs["average_revenue"], inputs["margin"], inputs["frequency"], inputs["duration"])
    tier = kpi.touch_tier(result, high_touch_from=high_touch_from, low_touch_from=low_touch_from)
    price = kpi.format_yen(inputs["average_revenue"], lang)
    margin = kpi.format_percent(inputs["margin"], lang, places=0)
    frequency = numbers.count(inputs["frequency"], lang)
    duration = numbers.count(inputs["duration"], lang)
    shown = {
        "average_revenue": price,
        "margin": margin,
        "frequency": t("unit.times_per_year", count=frequency),
        "duration": _years(inputs["duration"], lang),
    }
    return {
        "title": t("glossary.example.title"),
        "intro": t("glossary.example.intro", price=kpi.format_yen(inputs["average_revenue"], lang, compact=True),
                   margin=margin, duration=shown["duration"]),
        "inputs": [{"id": key, "label": t(f"glossary.example.label.{key}"), "value": value}
                   for key, value in shown.items()],
        "equation": t("glossary.example.equation", price=price, margin=margin, frequency=frequency,
                      duration=duration, result=kpi.format_yen(result, lang)),
        "result_label": t("glossary.example.label.result"),
        "result": kpi.format_yen(result, lang),
        "tier": t("glossary.example.tier", tier=t(f"touch.{tier}.name")),
    }


def glossary_model(lang: str, *, high_touch_from: Decimal = kpi.DEFAULT_HIGH_TOUCH_LTV,
                   low_touch_from: Decimal = kpi.DEFAULT_LOW_TOUCH_LTV) -> dict[str, Any]:
    """The appendix in one language: lists of dicts of strings, ready to place."""
    t = translator(lang, "kpi")
    rules = _touch_rules(lang, Decimal(high_touch_from), Decimal(low_touch_from))
    return {
        "lang": lang,
        "title": t("glossary.title"),
        "intro": t("glossary.intro"),
        "columns": {key: t(f"glossary.column.{key}") for key in ("term", "definition", "formula")},
        "kpis": [
            {"id": kpi_id,
             "name": t(f"kpi.{kpi_id}.name"),
             "definition": t(f"kpi.{kpi_id}.definition"),
             "formula": t(f"kpi.{kpi_id}.formula")}
            for kpi_id in KPI_IDS
        ],
        "touch": {
            "title": t("glossary.touch.title"),
            "intro": t("glossary.touch.intro"),
            "columns": {key: t(f"glossary.touch.column.{key}") for key in TOUCH_COLUMNS},
            "models": [
                {"id": tier,
                 "name": t(f"touch.{tier}.name"),
                 "rule": rules[tier],
                 "target": t(f"touch.{tier}.target"),
                 "approach": t(f"touch.{tier}.approach"),
                 "examples": t(f"touch.{tier}.examples"),
                 "cadence": t(f"touch.{tier}.cadence")}
                for tier in kpi.TOUCH_TIERS
            ],
        },
        "example": worked_example(lang, high_touch_from=high_touch_from, low_touch_from=low_touch_from),
    }
