"""The whole series from one data set: the non-SaaS report, the integrated report, and filters.

Real data (data/raw) throughout, loaded once per module; chapters are computed without drawing
except where the drawing is what is checked. Bases and counts are recounted here straight from
the raw CSV with pandas, and significance tests recomputed with scipy, so that nothing is checked
against the code under test.
"""

from __future__ import annotations

import builtins
import csv
import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from chapter_fixtures import crosswalk, spec, survey_2023, survey_2025
from scipy import stats

from hakusho import config
from hakusho.analysis.chapter import (
    chart_size,
    compute_chapter,
)
from hakusho.analysis.population import population_label
from hakusho.analysis.spec import Spec, default_spec
from hakusho.analysis.tabulate import percent
from hakusho.errors import BuildError, FilterError
from hakusho.i18n import LANGS, missing_keys
from hakusho.survey.codebook import Codebook
from hakusho.survey.load import load_waves

SPEC = default_spec()
CHAPTERS = [ch.id for ch in SPEC.chapters]
SEGMENTS = ["saas", "non_saas", "all"]


@pytest.fixture(scope="module")
def waves():
    return load_waves("2025", "2023")


@pytest.fixture(scope="module")
def reports(waves):
    """Every chapter of every segment, computed once."""
    return {seg: {ch: compute_chapter(ch, *waves, segment=seg) for ch in CHAPTERS} for seg in SEGMENTS}


def _charts(result):
    return [c for s in result.slides for c in s["charts"]]


# ------------------------------------------------------------------------------ independent counts


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(config.RAW_DIR / "2025" / "responses.csv", dtype=str, keep_default_na=False)


class Recount:
    """Bases and counts straight from the raw export (codes and columns from the codebook only)."""

    def __init__(self, raw: pd.DataFrame, book: Codebook) -> None:
        self.raw, self.book = raw, book
        industry = book.question("industry")
        status = self.codes("cs_status")
        col = {c.key: f"{industry.column}_{c.code}" for c in industry.choices}
        self.segment = {"saas": raw[col["saas"]] == "1", "non_saas": raw[col["saas"]] == "0"}
        everyone = pd.Series(True, index=raw.index)
        self.fixed = {"all": everyone, "saas": self.segment["saas"], "non_saas": self.segment["non_saas"],
                      "it_non_saas": raw[col["it_other"]] == "1"}
        code = {c.key: c.code for c in book.question("cs_status").choices}
        self.relative = {"saas_doing": status == code["doing"], "saas_planning": status == code["planning"],
                         "saas_not": status == code["not_doing"], "segment": everyone}

    def codes(self, qid: str) -> pd.Series:
        return pd.to_numeric(self.raw[self.book.question(qid).column], errors="coerce")

    def population(self, pop: str, segment: str) -> pd.Series:
        if pop in self.fixed:
            return self.fixed[pop]
        return self.relative[pop] & self.segment[segment] if segment in self.segment else self.relative[pop]

    def shares(self, qid: str, mask: pd.Series) -> tuple[int, dict[str, int]]:
        q = self.book.question(qid)
        if q.type == "multi":
            cols = {c.key: self.raw[f"{q.column}_{c.code}"] for c in q.choices}
            answered = pd.concat([v != "" for v in cols.values()], axis=1).any(axis=1)
            base = mask & answered
            return int(base.sum()), {k: int((base & (v == "1")).sum()) for k, v in cols.items()}
        codes = self.codes(qid)
        substantive = [c.code for c in q.choices if c.in_base]
        base = int((mask & codes.isin(substantive)).sum())
        return base, {c.key: int((mask & (codes == c.code)).sum()) for c in q.choices}


@pytest.fixture(scope="module")
def recount(raw, waves) -> Recount:
    return Recount(raw, waves[0].codebook)


def _series_mask(recount: Recount, segment: str, chart: dict, series: dict) -> pd.Series:
    sid = series["id"]
    if segment == "all":
        if sid in recount.segment:  # SaaS / non-SaaS beside each other: the chart's base in each segment
            return recount.population(chart["base"], sid) & recount.segment[sid]
        return recount.population(sid, "all")
    pop = chart["base"] if sid == series["wave"] else sid  # a year-over-year series is named by its wave
    return recount.population(pop, segment)


@pytest.mark.parametrize("segment", ["non_saas", "all"])
def test_bases_and_counts_of_every_report_wave_series_match_a_recount_of_the_raw_data(reports, recount,
                                                                                       segment: str) -> None:
    checked = 0
    for result in reports[segment].values():
        for chart in _charts(result):
            for series in chart["series"]:
                if series["wave"] != "2025":
                    continue
                base, counts = recount.shares(chart["question"]["id"], _series_mask(recount, segment, chart, series))
                assert series["base_n"] == base, (chart["id"], series["id"])
                for row in chart["rows"]:
                    assert row["values"][series["id"]]["count"] == counts[row["key"]], (chart["id"], row["key"])
                checked += 1
    assert checked > 50


# ------------------------------------------------------------------------------ every segment, every chapter


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_every_chapter_computes_in_every_segment_with_both_languages(reports, segment: str, chapter_id: str) -> None:
    result = reports[segment][chapter_id]
    doc = result.chapter
    assert doc["segment"] == segment and doc["n_total"] == 781
    assert doc["n_segment"] == {"saas": 257, "non_saas": 524, "all": 781}[segment]
    assert result.chart_ids == [c.id for c in SPEC.chapter(chapter_id).charts]
    json.dumps(dict(doc), ensure_ascii=False, allow_nan=False)
    for chart in _charts(result):
        texts = [chart["title"], chart["base_label"], chart["question"]["text"], *(s["label"] for s in chart["series"]),
                 *(r["label"] for r in chart["rows"]), *chart["notes"]]
        for text in texts:
            assert text["ja"].strip() and text["en"].strip(), chart["id"]
            assert not any("\u3040" <= ch <= "\u9fff" for ch in text["en"]), (chart["id"], text["en"])
        assert chart["disclosure"] in ("ok", "indicative", "suppressed", "empty")
        for row in result.table(chart["id"]).itertuples():
            if not pd.isna(row.pct):
                assert row.pct == percent(int(row.count), int(row.base))


_NON_SAAS_WORDS = ("非SaaS", "Non-SaaS", "non-SaaS", "SaaS以外")


def _bare_saas(text: str) -> bool:
    for word in _NON_SAAS_WORDS:
        text = text.replace(word, "")
    return "SaaS" in text


def test_non_saas_report_never_calls_its_respondents_saas(reports) -> None:
    for result in reports["non_saas"].values():
        for chart in _charts(result):
            if chart["compare"] == "by_segment":  # SaaS and non-SaaS side by side: both names belong there
                continue
            for text in [chart["base_label"], *(s["label"] for s in chart["series"]), *chart["notes"]]:
                for lang in LANGS:
                    assert not _bare_saas(text[lang]), (chart["id"], text[lang])
    ch2 = reports["non_saas"]["ch2"]
    assert ch2.chart("cs_status")["base"] == "non_saas"  # the SaaS report's segment population becomes this one
    assert ch2.chart("cs_purpose")["series"][0]["label"] == {"ja": "CSに取り組んでいる非SaaS企業",
                                                             "en": "Non-SaaS respondents practising CS"}


def test_saas_report_keeps_the_spec_wording(reports) -> None:
    for result in reports["saas"].values():
        for chart in _charts(result):
            pop = SPEC.populations[chart["base"]]
            assert chart["base"] == SPEC.charts[chart["id"]].base
            assert chart["base_label"] == {"ja": pop.ja, "en": pop.en} == population_label(SPEC, chart["base"], "saas")


def test_population_catalog_names_every_segment_relative_population_in_every_other_segment() -> None:
    assert missing_keys("populations") == {}
    relative = [pid for pid, p in SPEC.populations.items() if p.segment]
    for pid in relative:
        for segment in ("non_saas", "all"):
            label = population_label(SPEC, pid, segment)
            assert label["ja"] and label["en"]
            assert not _bare_saas(label["ja"]) and not _bare_saas(label["en"]), label
    raw_spec = SPEC.model_dump()
    raw_spec["populations"]["saas_new"] = {"ja": "新", "en": "New", "segment": True, "where": []}
    with pytest.raises(BuildError, match=r"population\.saas_new\.non_saas"):
        population_label(Spec.model_validate(raw_spec), "saas_new", "non_saas")


# ------------------------------------------------------------------------------ empty and small bases


def test_non_saas_charts_of_the_saas_only_2023_survey_say_they_are_empty(reports) -> None:
    ch4 = reports["non_saas"]["ch4"]
    for chart_id in ("revenue_churn_2023", "nrr_2023", "kpis_tracked_2023", "kpi_drivers_2023"):
        chart = ch4.chart(chart_id)
        assert chart["disclosure"] == "empty" and chart["base_n"] == 0 and chart["svg"] is None
        keys = [n["key"] for n in chart["notes"]]
        assert "note.empty_base" in keys and "note.wave_lacks_segment" in keys
        (lacks,) = [n for n in chart["notes"] if n["key"] == "note.wave_lacks_segment"]
        assert "非SaaS企業" in lacks["ja"] and "2023" in lacks["ja"] and "non-SaaS companies" in lacks["en"]
        assert all(v["count"] == 0 and v["pct"] is None for r in chart["rows"] for v in r["values"].values())
        shares = {k: f for k, f in ch4.figures.items() if k.startswith(f"{chart_id}.") and k.endswith(".pct")}
        assert shares and all(f["value"] is None and f["disclosure"] == "empty" for f in shares.values())
    # year-over-year charts show 2025 alone and say why
    for chart_id in ("nrr", "arpa", "kpis_tracked"):
        chart = ch4.chart(chart_id)
        assert [s["id"] for s in chart["series"]] == ["2025"] and chart["tests"] is None
        assert "note.wave_lacks_segment" in [n["key"] for n in chart["notes"]]
        assert "note.yoy_crosswalk" not in [n["key"] for n in chart["notes"]]


def test_empty_chart_is_written_without_a_drawing(reports, tmp_path: Path) -> None:
    out = reports["non_saas"]["appendix"].write(tmp_path, draw_charts=True).output_dir
    svgs = sorted(p.name for p in (out / "charts").iterdir())
    assert svgs == sorted(f"{c}.{lang}{phone}.svg" for c in ("cs_roles", "cs_career", "income", "income_change")
                          for lang in LANGS for phone in ("", ".phone"))
    doc = json.loads((out / "chapter.json").read_text(encoding="utf-8"))
    empty = next(c for s in doc["slides"] for c in s["charts"] if c["id"] == "income_2023")
    assert empty["svg"] is None and empty["svg_phone"] is None and empty["disclosure"] == "empty"
    rows = list(csv.DictReader((out / "tables" / "income_2023.csv").open(encoding="utf-8")))
    assert rows and all(r["count"] == "0" and r["base"] == "0" and r["pct"] == "" for r in rows)
    for path in (out / "charts").glob("*.en.svg"):
        assert not any("\u3040" <= ch <= "\u9fff" for ch in path.read_text(encoding="utf-8")), path.name


def test_integrated_small_segment_series_is_counts_only_and_named(reports) -> None:
    chart = reports["all"]["ch2"].chart("reasons_not")
    levels = {s["id"]: (s["base_n"], s["disclosure"]) for s in chart["series"]}
    assert levels == {"saas": (4, "suppressed"), "non_saas": (levels["non_saas"][0], "ok")}
    assert all(r["values"]["saas"]["pct"] is None for r in chart["rows"])
    assert all(r["values"]["non_saas"]["pct"] is not None for r in chart["rows"])
    (n,) = [n for n in chart["notes"] if n["key"] == "note.series_suppressed"]
    assert "「SaaS」" in n["ja"] and "4" in n["en"]
    assert all(t["p_value"] is None and t["change_pt"] is None for t in chart["tests"])
    figures = reports["all"]["ch2"].figures
    assert all(figures[f"reasons_not.{r['key']}.diff_pt"]["value"] is None for r in chart["rows"])


def test_filtered_small_and_empty_bases_in_the_fixture_survey() -> None:
    res = compute_chapter("t1", survey_2025(), survey_2023(), segment="non_saas", crosswalk=crosswalk(), spec=spec(),
                          filters=[["cs_status", "==", "not_doing"]], allow_small_base=True, protection=None)
    assert res.chapter["n_segment"] == 20
    assert res.chart("reasons_not")["disclosure"] == "indicative"
    effect = res.chart("effect")  # practising non-SaaS respondents, filtered to those not practising: nobody
    assert effect["disclosure"] == "empty" and effect["svg"] is None
    assert effect["notes"][0]["key"] == "note.empty_base"
    assert "note.filtered" in [n["key"] for n in effect["notes"]]


# ------------------------------------------------------------------------------ the integrated report


def _z_p(a: int, na: int, b: int, nb: int) -> tuple[str, float]:
    """The per-choice test the report should run, and its p-value, computed with scipy here."""
    if a + b in (0, na + nb):
        return "two-proportion z-test", 1.0  # identical answers: nothing to test (the documented convention)
    table = [[a, na - a], [b, nb - b]]
    expected = stats.contingency.expected_freq(table)
    if (expected < 5).mean() > 0.2:  # Cochran's rule
        return "Fisher's exact test", float(stats.fisher_exact(table).pvalue)
    return "two-proportion z-test", float(stats.chi2_contingency(table, correction=False).pvalue)


def test_integrated_charts_show_both_segments_with_differences_tested_as_scipy_does(reports) -> None:
    tested = 0
    for result in reports["all"].values():
        for chart in _charts(result):
            ids = [s["id"] for s in chart["series"]]
            if "saas" not in ids or "non_saas" not in ids:
                continue
            assert chart["compare"] == "by_segment"
            bases = {s["id"]: s["base_n"] for s in chart["series"]}
            in_base = [r for r in chart["rows"] if r["in_base"]]
            tests = {t["key"]: t for t in chart["tests"]}
            assert list(tests) == [r["key"] for r in in_base]
            if min(bases["saas"], bases["non_saas"]) < 10:
                continue
            figs = result.figures
            if chart["answer"] == "ordinal":
                table = [[r["values"][s]["count"] for r in in_base] for s in ("saas", "non_saas")]
                table = [[c for c, keep in zip(row, map(any, zip(*table, strict=True)), strict=True) if keep]
                         for row in table]
                found = chart["distribution_test"]
                if found["test"] == "chi-square test":
                    assert found["p_value"] == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue,
                                                             rel=1e-9, abs=1e-300)
                else:  # a sparse table: the seeded Monte Carlo p-value
                    assert found["test"] == "Monte Carlo chi-square test"
                assert found["significant"] is bool(found["p_adjusted"] < 0.05)
                assert found["p_adjusted"] >= found["p_value"]
                assert figs[f"{chart['id']}.diff_significant"]["value"] is found["significant"]
                assert all(t["significant"] is None for t in tests.values()), "buckets carry no flag of their own"
            for row in in_base:
                test = tests[row["key"]]
                a, b = row["values"]["saas"]["pct"], row["values"]["non_saas"]["pct"]
                assert test["series"] == ["saas", "non_saas"]
                assert test["change_pt"] == float(Decimal(str(a)) - Decimal(str(b)))
                assert figs[f"{chart['id']}.{row['key']}.diff_pt"]["value"] == test["change_pt"]
                if chart["answer"] != "ordinal":
                    name, p = _z_p(row["values"]["saas"]["count"], bases["saas"],
                                   row["values"]["non_saas"]["count"], bases["non_saas"])
                    assert test["test"] == name
                    assert test["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300)
                    # The adjusted p decides: never more significant than the raw one.
                    assert test["p_adjusted"] >= test["p_value"]
                    assert test["significant"] is bool(test["p_adjusted"] < 0.05)
                    assert figs[f"{chart['id']}.{row['key']}.diff_significant"]["value"] is test["significant"]
                tested += 1
            table = result.table(chart["id"])
            assert {"saas", "non_saas"} <= set(table["series"])
    assert tested > 200


def test_integrated_report_splits_by_segment_and_explains_what_it_does_not_split(reports) -> None:
    ch1, ch4 = reports["all"]["ch1"], reports["all"]["ch4"]
    assert [s["id"] for s in ch1.chart("employees")["series"]] == ["all", "saas", "non_saas"]  # kept as it was
    assert [s["id"] for s in ch1.chart("route")["series"]] == ["saas", "non_saas"]
    industry = ch1.chart("industry")
    assert [s["id"] for s in industry["series"]] == ["all"] and industry["tests"] is None
    assert "note.not_split_variable" in [n["key"] for n in industry["notes"]]
    assert "note.not_split_population" in [n["key"] for n in ch1.chart("it_breakdown")["notes"]]

    nrr = ch4.chart("nrr")  # a year-over-year chart: 2023 asked SaaS only, so segments are compared in 2025
    assert nrr["compare"] == "by_segment" and {s["wave"] for s in nrr["series"]} == {"2025"}
    (home,) = [n for n in nrr["notes"] if n["key"] == "note.yoy_home_only"]
    assert "SaaS企業" in home["ja"] and "SaaS companies" in home["en"]
    assert not any(k.startswith("nrr.") and k.endswith("change_pt") for k in ch4.figures)
    assert nrr["base_label"]["en"] == "Respondents practising CS"
    assert [s["label"]["en"] for s in nrr["series"]] == ["SaaS", "Non-SaaS"]

    ref = ch4.chart("nrr_2023")  # the 2023 reference stays, SaaS only, saying why
    assert ref["compare"] == "ref_2023" and [(s["id"], s["wave"]) for s in ref["series"]] == [("saas", "2023")]
    assert ref["base_label"] == population_label(SPEC, "saas_doing", "saas")
    assert "note.wave_lacks_segment" in [n["key"] for n in ref["notes"]]


# ------------------------------------------------------------------------------ filters


def _codes(recount: Recount, qid: str, keys: list[str]) -> list[int]:
    q = recount.book.question(qid)
    return [q.choice(k).code for k in keys]


def _recounted(recount: Recount, name: str) -> pd.Series:
    raw = recount.raw
    route, position, employees = recount.codes("route"), recount.codes("position"), recount.codes("employees")
    tools = recount.book.question("tools")
    crm = raw[f"{tools.column}_{tools.choice('crm').code}"]
    buckets = {c.code: (c.lower, c.upper) for c in recount.book.question("employees").choices}
    return {
        "==": route == _codes(recount, "route", ["sns"])[0],
        "!=": route.notna() & (route != _codes(recount, "route", ["sns"])[0]),
        "in": position.isin(_codes(recount, "position", ["manager", "staff"])),
        "not in": position.notna() & ~position.isin(_codes(recount, "position", ["manager", "staff"])),
        "<": employees.isin([c for c, (_, hi) in buckets.items() if hi is not None and hi <= 1000]),
        "<=": employees.isin([c for c, (_, hi) in buckets.items() if hi is not None and hi <= 1000]),
        ">": employees.isin([c for c, (lo, _) in buckets.items() if lo is not None and lo >= 100]),
        ">=": employees.isin([c for c, (lo, _) in buckets.items() if lo is not None and lo >= 1000]),
        "includes": crm == "1",
        "excludes": crm == "0",
    }[name]


OPERATOR_FILTERS = {
    "==": ["route", "==", "sns"], "!=": ["route", "!=", "sns"],
    "in": ["position", "in", ["manager", "staff"]], "not in": ["position", "not in", ["manager", "staff"]],
    "<": ["employees", "<", 1000], "<=": ["employees", "<=", 1000], ">": ["employees", ">", 100],
    ">=": ["employees", ">=", 1000], "includes": ["tools", "includes", "crm"], "excludes": ["tools", "excludes", "crm"],
}


@pytest.mark.parametrize("op", list(OPERATOR_FILTERS))
def test_every_operator_on_real_variables_filters_and_is_recorded_everywhere(waves, recount, tmp_path: Path,
                                                                             op: str) -> None:
    triple = OPERATOR_FILTERS[op]
    result = compute_chapter("ch1", *waves, filters=[triple], allow_small_base=True, protection=None)
    keep = _recounted(recount, op)
    doc = result.chapter
    assert (doc["n_total"], doc["n_segment"]) == (int(keep.sum()), int((keep & recount.segment["saas"]).sum()))
    assert 0 < doc["n_total"] < 781
    text = doc["filter_text"]
    assert doc["filters"] == [triple] and text.startswith(f"{triple[0]} {op} ")
    assert doc["filter_label"]["ja"] and not any("\u3040" <= ch <= "\u9fff" for ch in doc["filter_label"]["en"])
    out = result.write(tmp_path, draw_charts=False).output_dir
    for table in (out / "tables").glob("*.csv"):
        rows = list(csv.DictReader(table.open(encoding="utf-8")))
        assert rows and {r["filter"] for r in rows} == {text}, table.name
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert {f["filter"] for f in figures.values()} == {text}
    assert figures["ch1.n_total"]["value"] == doc["n_total"]
    for chart in _charts(result):
        (n,) = [n for n in chart["notes"] if n["key"] == "note.filtered"]
        assert n["params"]["n"] == chart["base_n"] and n["params"]["filter"] == doc["filter_label"]


def test_filters_combine_with_and_and_accept_codes_and_labels_in_either_language(waves, recount) -> None:
    plain = compute_chapter("ch1", *waves, filters=[["employees", ">=", 1000], ["route", "==", "sns"]],
                            protection=None)
    both = _recounted(recount, ">=") & _recounted(recount, "==")
    assert plain.chapter["n_total"] == int(both.sum())
    for variant in ([["従業員規模", ">=", 1000], ["Route", "==", "SNS経由"]],
                    [["Q1", ">=", "1000"], ["ROUTE", "==", 1]],
                    ["Employees >= 1000", "回答経路 == Social media"]):
        res = compute_chapter("ch1", *waves, filters=variant, protection=None)
        assert res.chapter["n_total"] == plain.chapter["n_total"], variant
        assert [f[:2] for f in res.chapter["filters"]] == [["employees", ">="], ["route", "=="]]
        assert res.chapter["filter_label"] == plain.chapter["filter_label"]
    listed = compute_chapter("ch1", *waves, filters=["position in 課長クラス, Staff"], allow_small_base=True,
                             protection=None)
    assert listed.chapter["n_total"] == int(_recounted(recount, "in").sum())


@pytest.mark.parametrize(("bad", "says"), [
    (["employes", ">=", 1000], ["unknown variable", "did you mean employees"]),
    (["cs_status", "==", "maybe"], ["not a choice of cs_status", "doing, planning"]),
    (["cs_status", "==", {"key": "doing"}], ["wrong type", "a text, a number"]),
    (["route", "==", True], ["wrong type"]),
    (["employees", ">=", [100, 1000]], ["takes one value"]),
    (["cs_status", ">=", "doing"], ["has no order", "==, !=, in, not in"]),
    (["route", "includes", "sns"], ["multiple-answer questions"]),
    (["employees", ">=", 1500], ["not a bucket boundary", "1000"]),
    (["employees", "=>", 1000], ["unknown operator"]),
    (["employees", ">="], ["three parts"]),
])
def test_bad_filters_are_clear_errors(waves, bad: list, says: list[str]) -> None:
    with pytest.raises(FilterError) as info:
        compute_chapter("ch1", *waves, filters=[bad])
    report = info.value.report()
    for words in says:
        assert words in report, report
    assert "Traceback" not in report


def test_a_filter_leaving_nobody_always_stops_and_a_small_one_needs_permission(waves) -> None:
    with pytest.raises(FilterError, match="no respondents"):
        compute_chapter("ch2", *waves, filters=[["route", "==", "sns"], ["route", "==", "panel"]],
                        allow_small_base=True)
    with pytest.raises(FilterError, match="fewer than 30") as info:
        compute_chapter("ch2", *waves, filters=[["cs_status", "==", "not_doing"]])
    assert "allow_small_base" in str(info.value)
    res = compute_chapter("ch2", *waves, filters=[["cs_status", "==", "not_doing"]], allow_small_base=True,
                          protection=None)
    assert res.chapter["n_segment"] == 4
    status = res.chart("cs_status")
    assert status["disclosure"] == "suppressed" and "note.suppressed" in [n["key"] for n in status["notes"]]
    assert res.chart("customers")["disclosure"] == "empty"  # practising respondents, filtered to those not practising
    # the integrated report's main population is everyone
    with pytest.raises(FilterError, match="fewer than 30"):
        compute_chapter("ch2", *waves, segment="all", filters=[["employees", "<", 10], ["route", "==", "sns"]])


# ------------------------------------------------------------------------------ nothing in a filter runs


def _payloads(sentinel: Path) -> list[object]:
    touch = f"__import__('pathlib').Path({str(sentinel)!r}).touch()"
    shell = f"__import__('os').system('touch {sentinel}')"
    return [
        [touch, "==", 1],
        ["x; import os", "==", 1],
        [shell, "==", "doing"],
        ["cs_status", "==", touch],
        ["cs_status", "in", ["doing", shell]],
        ["cs_status", "==", "{{7*7}}"],
        ["cs_status", "==", "${7*7}"],
        ["cs_status", touch, "doing"],
        f"cs_status == {shell}",
        f"{touch} == 1",
        "x; import os",
        f"cs_status == doing; {shell}",
        ["employees", ">=", touch],
        ["cs_status", "==", {"__class__": touch}],
    ]


@pytest.mark.parametrize("index", range(14))
def test_code_smuggled_through_a_filter_is_a_validation_error_and_nothing_runs(waves, tmp_path: Path,
                                                                                monkeypatch, index: int) -> None:
    sentinel = tmp_path / "ran"
    payload = _payloads(sentinel)[index]
    calls: list[str] = []

    def forbidden(name):
        def record(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called while filtering")
        return record

    for module, name in ((os, "system"), (os, "popen"), (subprocess, "Popen"), (subprocess, "run"),
                         (builtins, "eval"), (builtins, "exec"), (pd, "eval"), (pd.DataFrame, "query"),
                         (pd.DataFrame, "eval")):
        monkeypatch.setattr(module, name, forbidden(f"{getattr(module, '__name__', module)}.{name}"))
    with pytest.raises(FilterError) as info:
        compute_chapter("ch1", *waves, filters=[payload])
    assert not sentinel.exists() and calls == []
    if payload in (["cs_status", "==", "{{7*7}}"], ["cs_status", "==", "${7*7}"]):
        assert payload[2] in str(info.value) and "49" not in str(info.value)  # shown as given, never rendered


# ------------------------------------------------------------------------------ drawing from the chapter


def test_charts_get_the_filter_in_their_language_and_full_width_when_alone(monkeypatch, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    import hakusho.charts.draw as charts

    raw_spec = spec().model_dump(exclude_none=True)
    slides = raw_spec["chapters"][0]["slides"]
    slides[0]["charts"] += slides.pop(1)["charts"]  # cs_status and employees share a slide
    two_up = Spec.model_validate(raw_spec)
    calls: list[tuple[str, str, str, object]] = []

    def fake_draw(chart, lang, *, size="half", filter_text=None, **_):
        calls.append((chart["id"], lang, size, filter_text))
        return Figure(figsize=(1, 1))

    monkeypatch.setattr(charts, "draw_chart", fake_draw)
    res = compute_chapter("t1", survey_2025(), survey_2023(), crosswalk=crosswalk(), spec=two_up,
                          filters=[["employees", ">=", 100]])
    res.write(tmp_path / "filtered")
    sizes: dict[str, set[str]] = {}
    for cid, _, size, _ in calls:
        sizes.setdefault(cid, set()).add(size)
    assert sizes["cs_status"] == sizes["employees"] == {"half", "phone"} and sizes["effect"] == {"full", "phone"}
    assert {(lang, f) for _, lang, _, f in calls} == {("ja", "従業員数 ≥ 100"), ("en", "Employees ≥ 100")}
    assert chart_size(res.slides[0]) == "half" and chart_size(res.slides[1]) == "full"
    calls.clear()
    compute_chapter("t1", survey_2025(), survey_2023(), crosswalk=crosswalk(), spec=two_up).write(tmp_path / "plain")
    assert calls and {f for *_, f in calls} == {None}
