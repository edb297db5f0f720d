"""Benchmark yourself: brackets, unit conversion, shares below/in/above, sentences and the page."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from hakusho import config
from hakusho.analysis.tabulate import round_pct
from hakusho.errors import CodebookError
from hakusho.kpi import benchmark as kpi_benchmark
from hakusho.survey.codebook import Codebook
from hakusho.survey.wave import Survey

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def bracket(code, key, ja, en, lower=None, upper=None, **extra):
    return {"code": code, "key": key, "ja": ja, "en": en, "lower": lower, "upper": upper, **extra}


def ordinal(qid, column, unit_ja, unit_en, choices):
    return {"id": qid, "column": column, "type": "ordinal", "text": {"ja": qid, "en": qid},
            "short": {"ja": f"{qid}（年間）", "en": f"{qid} (annual)"},
            "asked": [["cs_status", "==", "doing"]], "unit": {"ja": unit_ja, "en": unit_en}, "choices": choices}


def codebook(arr_top_label: str = "¥10bn or more", retention_top_upper: float | None = None) -> Codebook:
    """A small codebook with the four benchmarked questions, bounds as the 2025 wave has them."""
    return Codebook.model_validate({
        "wave": "2025",
        "survey": {"title": {"ja": "テスト調査", "en": "Test survey"}, "publisher": {"ja": "協会", "en": "Assoc"},
                   "method": {"ja": "ネット", "en": "Online"}, "target": {"ja": "CS", "en": "CS"},
                   "period_start": "2024-12-01", "period_end": "2024-12-31", "synthetic": True},
        "id_column": "ID",
        "questions": [
            {"id": "industry", "column": "Q3", "type": "multi", "text": {"ja": "業種", "en": "Industry"},
             "choices": [bracket(1, "saas", "SaaS", "SaaS"), bracket(2, "it_other", "その他", "Other")]},
            {"id": "cs_status", "column": "Q9", "type": "single", "text": {"ja": "状況", "en": "Status"},
             "choices": [bracket(1, "doing", "実施", "Doing"), bracket(3, "not_doing", "未実施", "Not doing")]},
            ordinal("retention", "Q29", "%", "%", [
                bracket(1, "under_50", "50%未満", "Under 50%", 0, 50),
                bracket(2, "r50_70", "50〜70%未満", "50% to under 70%", 50, 70),
                bracket(3, "r70_80", "70〜80%未満", "70% to under 80%", 70, 80),
                bracket(4, "r80_90", "80〜90%未満", "80% to under 90%", 80, 90),
                bracket(5, "r90_100", "90〜100%", "90% to 100%", 90, retention_top_upper)]),
            ordinal("nrr", "Q30", "%", "%", [
                bracket(1, "under_80", "80%未満", "Under 80%", 0, 80),
                bracket(2, "n80_90", "80〜90%未満", "80% to under 90%", 80, 90),
                bracket(3, "n90_100", "90〜100%未満", "90% to under 100%", 90, 100),
                bracket(4, "n100_110", "100〜110%未満", "100% to under 110%", 100, 110),
                bracket(5, "n110_120", "110〜120%未満", "110% to under 120%", 110, 120),
                bracket(6, "n120_plus", "120%以上", "120% or more", 120),
                bracket(9, "unknown", "わからない", "Don't know", in_base=False)]),
            ordinal("arpa", "Q31", "万円", "10 thousand yen", [
                bracket(1, "a_under_13", "13万円未満", "Under ¥130k", 0, 13),
                bracket(2, "a13_60", "13万〜60万円未満", "¥130k to under ¥600k", 13, 60),
                bracket(3, "a60_120", "60万〜120万円未満", "¥600k to under ¥1.2m", 60, 120),
                bracket(4, "a120_360", "120万〜360万円未満", "¥1.2m to under ¥3.6m", 120, 360),
                bracket(5, "a360_plus", "360万円以上", "¥3.6m or more", 360)]),
            ordinal("arr", "Q32", "億円", "100 million yen", [
                bracket(1, "arr_under_1", "1億円未満", "Under ¥100m", 0, 1),
                bracket(2, "arr1_5", "1億〜5億円未満", "¥100m to under ¥500m", 1, 5),
                bracket(3, "arr5_plus", "5億円以上", arr_top_label, 5)]),
        ],
    })


# Answers of the SaaS respondents practising CS, per question, as {choice code: respondents}.
DOING_ANSWERS = {
    "retention": {1: 2, 2: 4, 3: 6, 4: 10, 5: 18},
    "nrr": {1: 1, 2: 5, 3: 12, 4: 10, 5: 4, 6: 2, 9: 6},
    "arpa": {1: 8, 2: 14, 3: 9, 4: 6, 5: 3},
    "arr": {1: 15, 2: 20, 3: 5},
}


def make_survey(doing: int = 40, book: Codebook | None = None) -> Survey:
    """``doing`` SaaS respondents practising CS (answers scaled from DOING_ANSWERS when fewer than 40),
    plus respondents outside the base: SaaS not practising, and non-SaaS practising."""
    rows = []
    codes = {q: [c for c, n in answers.items() for _ in range(n)] for q, answers in DOING_ANSWERS.items()}
    for i in range(doing):
        rows.append({"industry__saas": True, "industry__it_other": False, "cs_status": 1,
                     **{q: codes[q][i * len(codes[q]) // doing] for q in codes}})
    for _ in range(5):  # SaaS, not practising: not asked
        rows.append({"industry__saas": True, "industry__it_other": False, "cs_status": 3,
                     **{q: None for q in codes}})
    for _ in range(7):  # practising but not SaaS: outside the base, all in the top brackets
        rows.append({"industry__saas": False, "industry__it_other": True, "cs_status": 1,
                     "retention": 5, "nrr": 6, "arpa": 5, "arr": 3})
    frame = pd.DataFrame(rows, index=pd.Index([f"r{i:03d}" for i in range(len(rows))], name="respondent_id"))
    for column in ("industry__saas", "industry__it_other"):
        frame[column] = frame[column].astype("boolean")
    for column in ("cs_status", *codes):
        frame[column] = frame[column].astype("Int64")
    return Survey(wave="2025", codebook=book or codebook(), responses=frame)


VALUES = {
    "retention": Fraction(7, 8),  # 87.5 %
    "nrr": Fraction(96, 100),
    "arpa": Fraction(1_217_500),  # yen: 121.75 万円
    "arr": Decimal(43_830_000),  # yen: 0.4383 億円
}


# --- units and brackets --------------------------------------------------------------------------


def test_values_are_converted_into_the_question_units():
    book = codebook()
    assert kpi_benchmark.in_unit("retention", Fraction(7, 8), book.question("retention")) == Fraction(175, 2)
    assert kpi_benchmark.in_unit("arpa", Fraction(1_217_500), book.question("arpa")) == Fraction(48_700, 400)
    assert kpi_benchmark.in_unit("arr", Fraction(43_830_000), book.question("arr")) == Fraction(4383, 10_000)


@pytest.mark.parametrize(
    ("metric", "value", "key"),
    [
        ("retention", Fraction(9, 10), "r90_100"),  # a lower bound belongs to its bracket
        ("retention", Fraction(1), "r90_100"),
        ("retention", Fraction(0), "under_50"),
        ("nrr", Fraction(1), "n100_110"),
        ("nrr", Fraction(3), "n120_plus"),
        ("arpa", Fraction(600_000), "a60_120"),
        ("arpa", Fraction(599_999), "a13_60"),
        ("arr", Fraction(100_000_000), "arr1_5"),
        ("arr", Fraction(99_999_999), "arr_under_1"),
    ],
)
def test_brackets_take_lower_bounds_in_and_upper_bounds_out(metric, value, key):
    question = codebook().question(metric)
    assert kpi_benchmark.find_bracket(question, kpi_benchmark.in_unit(metric, value, question)).key == key


def test_closed_top_bracket_holds_its_upper_bound_only():
    question = codebook(retention_top_upper=100).question("retention")
    assert kpi_benchmark.find_bracket(question, Fraction(100)).key == "r90_100"
    assert kpi_benchmark.find_bracket(question, Fraction(101)) is None


def test_unknown_units_and_unbounded_questions_are_codebook_errors():
    book = codebook()
    with pytest.raises(CodebookError, match="unknown unit"):
        kpi_benchmark.in_unit("arpa", Fraction(1), book.question("retention").model_copy(
            update={"unit": book.question("retention").unit.model_copy(update={"ja": "ドル"})}))
    with pytest.raises(CodebookError, match="in %"):
        kpi_benchmark.in_unit("nrr", Fraction(1), book.question("arpa"))
    with pytest.raises(CodebookError, match="no bracket bounds"):
        kpi_benchmark.brackets(book.question("cs_status"))


# --- placing among respondents -------------------------------------------------------------------


def test_benchmark_counts_the_saas_practitioners_only():
    survey = make_survey()
    placed = {p.metric: p for p in kpi_benchmark.benchmark(VALUES, survey)}
    assert list(placed) == ["retention", "nrr", "arpa", "arr"]
    retention = placed["retention"]
    assert retention.bucket.key == "r80_90"
    assert (retention.base, retention.below, retention.same, retention.above) == (40, 12, 10, 18)
    assert (retention.below_pct, retention.same_pct, retention.above_pct) == (30.0, 25.0, 45.0)
    assert retention.disclosure == "ok"
    arr = placed["arr"]
    assert arr.bucket.key == "arr_under_1" and arr.below == 0 and arr.below_pct == 0.0
    assert placed["arpa"].bucket.key == "a120_360"


def test_shares_are_sums_of_rounded_bracket_shares_and_dont_know_is_left_out():
    nrr = {p.metric: p for p in kpi_benchmark.benchmark(VALUES, make_survey())}["nrr"]
    assert nrr.base == 34  # 40 minus six "don't know"
    assert nrr.bucket.key == "n90_100"
    assert nrr.below_pct == round_pct(round_pct(100 / 34) + round_pct(500 / 34))
    assert nrr.same_pct == round_pct(1200 / 34)
    assert nrr.above_pct == round_pct(round_pct(1000 / 34) + round_pct(400 / 34) + round_pct(200 / 34))


def test_small_bases_follow_the_disclosure_rules():
    indicative = kpi_benchmark.benchmark(VALUES, make_survey(doing=20))[0]
    assert indicative.disclosure == "indicative" and indicative.same_pct is not None
    suppressed = kpi_benchmark.benchmark(VALUES, make_survey(doing=8))[0]
    assert suppressed.disclosure == "suppressed"
    assert (suppressed.below_pct, suppressed.same_pct, suppressed.above_pct) == (None, None, None)
    assert suppressed.below + suppressed.same + suppressed.above == 8  # counts stay


# --- words ---------------------------------------------------------------------------------------


def test_sentences_in_both_languages():
    survey = make_survey()
    placements = kpi_benchmark.benchmark(VALUES, survey)
    en = kpi_benchmark.benchmark_model(placements, survey, "en")
    ja = kpi_benchmark.benchmark_model(placements, survey, "ja")
    first_en, first_ja = en["rows"][0]["sentence"], ja["rows"][0]["sentence"]
    assert first_en == ("Your annual customer retention of 87.5% falls in the survey's “80% to under 90%” bracket. "
                        "Among SaaS respondents practising CS (n = 40), 30.0% answered a lower bracket, 25.0% the "
                        "same one and 45.0% a higher one.")
    assert "87.5%" in first_ja and "「80〜90%未満」" in first_ja and "回答者40人" in first_ja and "45.0%" in first_ja
    assert en["rows"][2]["value"] == "¥1,217,500" and ja["rows"][2]["value"] == "121.8万円"
    assert en["rows"][3]["value"] == "¥43.8 million" and ja["rows"][3]["value"] == "4,383万円"
    assert not JAPANESE.search(repr(en)), JAPANESE.findall(repr(en))
    assert ja["notes"] and en["notes"]  # the test survey is marked synthetic


def test_sentences_for_small_bases_and_values_outside_the_brackets():
    survey = make_survey(doing=8)
    placed = kpi_benchmark.benchmark(VALUES, survey)[0]
    assert "not shown" in kpi_benchmark.sentence(placed, "en", "SaaS respondents practising CS")
    indicative = kpi_benchmark.benchmark(VALUES, make_survey(doing=20))[0]
    assert kpi_benchmark.sentence(indicative, "en", "x").endswith("indicative only.")
    closed = make_survey(book=codebook(retention_top_upper=100))
    outside = kpi_benchmark.benchmark({"retention": Fraction(2)}, closed)[0]
    assert outside.bucket is None and outside.below == 40
    assert "outside" in kpi_benchmark.sentence(outside, "en", "x")


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_page_is_self_contained_and_escaped(lang):
    survey = make_survey(book=codebook(arr_top_label="¥500m & <more>"))
    placements = kpi_benchmark.benchmark({**VALUES, "arr": Fraction(900_000_000)}, survey)
    model = kpi_benchmark.benchmark_model(placements, survey, lang,
                                          ledger_label={"ledger": "ledger.csv", "first": "a", "last": "b"})
    page = kpi_benchmark.render_html(model)
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    for external in ("http://", "https://", "<link", "<script", "src="):
        assert external not in page
    if lang == "en":
        assert "¥500m &amp; &lt;more&gt;" in page
        assert not JAPANESE.search(page)
    assert page.count('<tr class="ok"') == 4
    assert "{{" not in page and "{%" not in page


def test_placement_records_are_plain_json_values():
    placed = kpi_benchmark.benchmark(VALUES, make_survey())
    record = kpi_benchmark.placement_record(placed[2])
    assert record["value_in_unit"] == 121.75 and record["bucket"] == "a120_360"
    assert {type(v) for v in record.values()} <= {str, int, float}


# --- the real survey -----------------------------------------------------------------------------


@pytest.mark.skipif(not (config.codebook_path("2025").is_file() and any(config.raw_wave_dir("2025").glob("*.csv"))),
                    reason="the 2025 survey data is not in this checkout")
def test_sample_ledger_against_the_2025_survey():
    from hakusho.kpi import ledger
    from hakusho.survey.load import load_wave

    survey = load_wave("2025")
    year = ledger.year_kpis(ledger.read_ledger(config.DATA_DIR / "examples" / "ledger_sample.csv"))
    placements = kpi_benchmark.benchmark(ledger.benchmark_values(year), survey)
    assert [p.metric for p in placements] == list(kpi_benchmark.METRICS)
    for p in placements:
        assert p.bucket is not None
        assert p.below + p.same + p.above == p.base > 0
        assert p.below_pct + p.same_pct + p.above_pct == pytest.approx(100, abs=0.3)
