"""The glossary appendix model: complete in both languages, plain strings, numbers computed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from hakusho.kpi import formulas as kpi
from hakusho.text import glossary

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def leaves(value, path=""):
    """Every (path, leaf) of a nested model."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_model_is_plain_non_empty_strings(lang):
    model = glossary.glossary_model(lang)
    for path, leaf in leaves(model):
        assert isinstance(leaf, str) and leaf.strip(), path
        assert "{" not in leaf, path  # no placeholder left unfilled


def test_both_languages_have_the_same_shape():
    ja, en = glossary.glossary_model("ja"), glossary.glossary_model("en")
    assert [path for path, _ in leaves(ja)] == [path for path, _ in leaves(en)]
    assert [k["id"] for k in ja["kpis"]] == list(glossary.KPI_IDS)
    assert [m["id"] for m in en["touch"]["models"]] == list(kpi.TOUCH_TIERS)


def test_english_model_has_no_japanese():
    offenders = [(path, leaf) for path, leaf in leaves(glossary.glossary_model("en")) if JAPANESE.search(leaf)]
    assert offenders == []


def test_japanese_model_reads_japanese():
    model = glossary.glossary_model("ja")
    assert all(JAPANESE.search(k["definition"]) for k in model["kpis"])
    assert model["example"]["equation"] == "10,000円 × 55% × 12 × 2 = 132,000円"


def test_worked_example_result_is_the_guide_figure():
    for lang, expected in (("ja", "132,000円"), ("en", "¥132,000")):
        example = glossary.glossary_model(lang)["example"]
        assert example["result"] == expected
        assert example["equation"].endswith(expected)
    assert "Tech touch" in glossary.glossary_model("en")["example"]["tier"]


def test_worked_example_is_computed_not_typed(monkeypatch):
    monkeypatch.setattr(kpi, "ltv", lambda *args: Decimal(7_654_321))
    example = glossary.worked_example("en")
    assert example["result"] == "¥7,654,321"
    assert "High touch" in example["tier"]


def test_touch_thresholds_follow_the_calculator():
    en = glossary.glossary_model("en")
    assert [m["rule"] for m in en["touch"]["models"]] == [
        "LTV of ¥5,000,000 or more", "LTV from ¥500,000 to under ¥5,000,000", "LTV under ¥500,000"]
    own = glossary.glossary_model("ja", high_touch_from=Decimal(100_000), low_touch_from=Decimal(50_000))
    assert own["touch"]["models"][0]["rule"] == "LTVが10万円以上"
    assert "ハイタッチ" in own["example"]["tier"]  # 132,000 yen is high touch under these thresholds


def test_every_kpi_has_a_formula_with_an_operator():
    for lang in ("ja", "en"):
        for item in glossary.glossary_model(lang)["kpis"]:
            assert re.search(r"[×÷−]|%|合計|Sum", item["formula"]), item
