"""Chapter results: series, bases, disclosure, filters and written outputs.

The first part runs on the small surveys of ``chapter_fixtures`` (every kind of chart); the
second part (further down) checks the real chapters against the figures the published report
prints, reading them back from the written outputs.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from chapter_fixtures import codebook_2025, crosswalk, spec, survey_2023, survey_2025
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakusho.analysis.chapter import (
    CSV_COLUMNS,
    compute_chapter,
    csv_text,
    run_chapter,
)
from hakusho.analysis.spec import default_spec
from hakusho.analysis.tabulate import percent
from hakusho.errors import CodebookError, FilterError
from hakusho.survey.codebook import Condition
from hakusho.survey.filters import filter_label, normalize_filters
from hakusho.survey.load import load_waves


def _compute(**kwargs):
    compare = kwargs.pop("compare", survey_2023())
    return compute_chapter("t1", kwargs.pop("survey", survey_2025()), compare, crosswalk=crosswalk(), spec=spec(),
                           **{"segment": "saas", **kwargs})


def _mask(survey, *conds):
    return survey.where([Condition.model_validate(c) for c in conds])


@pytest.fixture(scope="module")
def result():
    return _compute()


def test_every_chart_has_a_table_with_shares_of_its_base(result) -> None:
    spec_charts = [c.id for c in spec().chapter("t1").charts]
    assert result.chart_ids == spec_charts
    for chart_id in spec_charts:
        table = result.table(chart_id)
        assert list(table.columns) == CSV_COLUMNS
        assert set(table["chart_id"]) == {chart_id}
        for row in table.itertuples():
            if pd.isna(row.pct):
                continue
            assert row.pct == percent(int(row.count), int(row.base))


def test_bases_are_the_right_populations(result) -> None:
    s = survey_2025()
    saas = _mask(s, ["industry", "includes", "saas"])
    doing = saas & _mask(s, ["cs_status", "==", "doing"])
    assert result.chart("cs_status")["base_n"] == int(saas.sum())
    assert result.chart("effect")["base_n"] == int(doing.sum())
    # nrr: practitioners minus the "don't know" answers
    dont_know = doing & (s.codes("nrr") == 99).fillna(False)
    assert result.chart("nrr")["base_n"] == int(doing.sum() - dont_know.sum())
    assert result.chart("reasons_not")["base_n"] == 4
    assert result.chart("churn_2023")["base_n"] == 70  # evaluated on the 2023 survey


@pytest.mark.parametrize(("segment", "order"), [("saas", ["saas", "non_saas"]), ("non_saas", ["non_saas", "saas"]),
                                                ("all", ["all", "saas", "non_saas"])])
def test_by_segment_puts_the_report_segment_first(segment: str, order: list[str]) -> None:
    chart = _compute(segment=segment).chart("employees")
    assert [s["id"] for s in chart["series"]] == order


def test_population_series_side_by_side(result) -> None:
    chart = result.chart("employees_series")
    assert [(s["id"], s["base_n"], s["disclosure"]) for s in chart["series"]] == [
        ("saas_doing", 60, "ok"), ("saas_planning", 20, "indicative")]
    assert any(n["key"] == "note.series_indicative" and "20" in n["en"] for n in chart["notes"])
    assert chart["median"] == {"saas_doing": "mid", "saas_planning": "large"}


def test_yoy_reads_the_comparison_wave_in_report_choices(result) -> None:
    chart = result.chart("nrr")
    assert [s["id"] for s in chart["series"]] == ["2025", "2023"]
    assert [r["key"] for r in chart["rows"]] == ["low", "mid", "high", "dont_know"]
    low = next(r for r in chart["rows"] if r["key"] == "low")
    assert low["values"]["2023"]["count"] == 30  # "very_low" and "low" of 2023 folded into "low"
    assert chart["distribution_test"]["test"] == "chi-square test"
    table = result.table("nrr")
    assert set(table[table["series"] == "2023"]["wave"]) == {"2023"}
    assert any(n["key"] == "note.yoy_crosswalk" for n in chart["notes"])


def test_yoy_choice_new_in_the_report_wave_has_no_count_in_the_comparison_wave(result) -> None:
    ai = next(r for r in result.chart("tools")["rows"] if r["key"] == "ai")
    assert list(ai["values"]) == ["2025"]
    table = result.table("tools")
    assert table[table["series"] == "2023"]["choice_key"].tolist() == ["crm", "sheet"]
    assert "crosswalk.note" in [n["key"] for n in result.chart("tools")["notes"]]


def test_without_a_comparison_wave_yoy_shows_one_wave_and_reference_charts_are_left_out() -> None:
    res = _compute(compare=None)
    assert "churn_2023" not in res.chart_ids
    assert "t1-ref" not in [s["id"] for s in res.slides]
    chart = res.chart("nrr")
    assert [s["id"] for s in chart["series"]] == ["2025"] and chart["tests"] is None
    assert any(n["key"] == "note.yoy_no_compare" for n in chart["notes"])
    assert res.chapter["compare_wave"] == ""


def test_small_base_is_counts_only_and_says_so(result) -> None:
    chart = result.chart("reasons_not")
    assert chart["disclosure"] == "suppressed"
    assert [(r["values"]["saas_not"]["count"], r["values"]["saas_not"]["pct"]) for r in chart["rows"]] == [
        (4, None), (2, None)]
    (n,) = [n for n in chart["notes"] if n["key"] == "note.suppressed"]
    assert "no trend can be read" in n["en"].lower() and "傾向" in n["ja"]
    assert result.table("reasons_not")["pct"].isna().all()


def test_multi_answer_charts_say_so(result) -> None:
    assert any(n["key"] == "note.multi" for n in result.chart("tools")["notes"])
    assert not any(n["key"] == "note.multi" for n in result.chart("cs_status")["notes"])


def test_filter_changes_the_numbers_and_is_recorded_everywhere(result) -> None:
    # The filter's logic on exact counts (a filtered run is perturbed by default: test_perturbation).
    res = _compute(filters=[["employees", ">=", 100]], protection=None)
    assert res.chapter["filters"] == [["employees", ">=", 100]]
    assert res.chapter["filter_text"] == "employees >= 100"
    assert res.chapter["filter_label"]["ja"] == "従業員数 ≥ 100"
    assert (res.chapter["n_total"], res.chapter["n_segment"]) == (133, 83)
    assert res.chart("cs_status")["base_n"] == 83 != result.chart("cs_status")["base_n"]
    assert res.figures["cs_status.doing.pct"]["value"] == percent(45, 83)
    assert res.figures["cs_status.doing.pct"]["filter"] == "employees >= 100"
    assert set(res.table("cs_status")["filter"]) == {"employees >= 100"}
    assert any(n["key"] == "note.filtered" and "83" in n["en"] for n in res.chart("cs_status")["notes"])


def test_filter_reaches_the_comparison_wave_only_when_it_can_be_expressed_there() -> None:
    res = _compute(filters=[["employees", ">=", 100]], protection=None)  # employees exists in 2023
    table = res.table("nrr")
    assert set(table["filter"]) == {"employees >= 100"}
    assert res.chart("nrr")["series"][1]["base_n"] == 50
    assert any(n["key"] == "note.compare_filtered" for n in res.chart("nrr")["notes"])

    res = _compute(filters=[["effect", ">=", "some"]], allow_small_base=True, protection=None)  # not in 2023
    table = res.table("nrr")
    assert set(table[table["wave"] == "2023"]["filter"]) == {""}
    assert set(table[table["wave"] == "2025"]["filter"]) == {"effect >= some"}
    assert res.chart("nrr")["series"][1]["base_n"] == 70
    (n,) = [n for n in res.chart("nrr")["notes"] if n["key"] == "note.compare_unfiltered"]
    assert '"Effect"' in n["en"] and "「効果」" in n["ja"]


def test_filter_leaving_a_small_segment_stops_unless_allowed() -> None:
    with pytest.raises(FilterError, match="fewer than 30"):
        _compute(filters=[["cs_status", "==", "not_doing"]])
    res = _compute(filters=[["cs_status", "==", "not_doing"]], allow_small_base=True, protection=None)
    assert res.chapter["n_segment"] == 4
    assert res.chart("cs_status")["disclosure"] == "suppressed"


def test_filter_leaving_nobody_always_stops() -> None:
    with pytest.raises(FilterError, match="no respondents"):
        _compute(filters=[["employees", "<", 100], ["cs_status", "==", "planning"]], allow_small_base=True)


def test_unknown_variable_or_choice_lists_the_valid_ones() -> None:
    with pytest.raises(FilterError) as exc:
        _compute(filters=[["employes", ">=", 1000]])
    assert "employees" in exc.value.report()
    with pytest.raises(FilterError) as exc:
        _compute(filters=[["cs_status", "==", "maybe"]])
    assert "doing" in exc.value.report()


def test_filters_may_be_given_as_text() -> None:
    conditions, triples = normalize_filters(["employees >= 100", ("cs_status", "in", ["doing", "planning"])])
    assert triples == [["employees", ">=", "100"], ["cs_status", "in", ["doing", "planning"]]]
    assert filter_label(conditions, codebook_2025())["en"] == 'Employees ≥ 100 and Status is "Doing" or "Planning"'
    assert normalize_filters("employees >= 100")[1] == [["employees", ">=", "100"]]
    assert normalize_filters("") == ([], [])
    with pytest.raises(FilterError, match="three parts"):
        normalize_filters([["employees", ">="]])


def test_answer_type_must_match_the_codebook() -> None:
    bad = spec().model_copy()
    raw = bad.model_dump()
    raw["chapters"][0]["slides"][0]["charts"][0]["answer"] = "multi"
    from hakusho.analysis.spec import Spec

    with pytest.raises(CodebookError, match="cs_status"):
        compute_chapter("t1", survey_2025(), None, spec=Spec.model_validate(raw))


def test_compute_does_not_change_its_inputs() -> None:
    s = survey_2025()
    before = s.responses.copy()
    _compute(survey=s, filters=[["employees", ">=", 100]])
    pd.testing.assert_frame_equal(s.responses, before)


def test_csv_text_has_fixed_columns_blank_suppressed_shares_and_lf(result) -> None:
    text = csv_text(result.table("reasons_not"))
    assert "\r" not in text and text.endswith("\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert [(r["count"], r["base"], r["pct"]) for r in rows] == [("4", "4", ""), ("2", "4", "")]
    text = csv_text(result.table("cs_status"))
    assert text.splitlines()[1] == "cs_status,2025,saas,saas,,1,doing,取り組んでいる,Doing,60,100,60.0,ok,exact"


def test_chapter_json_is_plain_json(result) -> None:
    text = json.dumps(dict(result.chapter), ensure_ascii=False, allow_nan=False, default=dict)
    assert json.loads(text)["chapter"] == "t1"


def test_svg_path_needs_a_written_result(result, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        result.svg_path("cs_status")


# ---------------------------------------------------------------------------------------------
# The real chapters, read back from their written outputs.

REAL_CHARTS = [(ch.id, c.id) for ch in default_spec().chapters for c in ch.charts]

# Figures the published SaaS report prints, and the figure ids they must come out under.
PUBLISHED = {
    "route.sns.pct": 33.0, "route.panel.pct": 67.0,
    "industry.saas.pct": 32.9,
    "revenue_model.saas.subscription.pct": 88.7, "revenue_model.non_saas.subscription.pct": 17.9,
    "department.saas.customer_success.pct": 80.2, "department.non_saas.sales.pct": 72.1,
    "cs_status.base": 257, "cs_status.doing.pct": 86.0,
    "cs_status.not_doing.count": 4, "cs_status.not_doing.pct": 1.6,
    "cs_status.unknown.count": 8, "cs_status.unknown.pct": 3.1,
    "start_timing.within_3m.pct": 41.7,
    "customers.c1001_plus.pct": 35.7, "products.p6_plus.pct": 33.9,
    "cs_executive.cco.pct": 11.3,
    "penetration.group.beyond_team.pct": 78.2, "mgmt_understanding.group.understands.pct": 80.5,
    "effect.group.effective.pct": 88.8,
    "arr.median": "arr1_5", "arpa.median": "a13_60", "nrr.median": "n90_100", "income.median": "i600_700",
    "measures.onboarding.pct": 79.6,
    "services.cs_bpo.pct": 22.6, "tools.crm.pct": 61.9, "tools.spreadsheet.pct": 49.8,
    "reasons_not.base": 4, "org_issues_not.base": 4, "would_start_if_solved.base": 4,
}
# Printed as round numbers: "23%" (to the unit), "about half", "about 40%", "about 30%" (within 3 points).
PUBLISHED_ROUND = {"cs_headcount.h51_plus.pct": (23, 0.5), "retention.r90_100.pct": (50, 3),
                   "budget.yes.pct": (50, 3), "budget_outlook.group.rise.pct": (40, 3),
                   "cs_career.c5_plus.pct": (30, 3)}
N4_CHARTS = ["reasons_not", "org_issues_not", "would_start_if_solved"]


@pytest.fixture(scope="module")
def waves():
    return load_waves("2025", "2023")


@pytest.fixture(scope="module")
def real(tmp_path_factory, waves) -> dict[str, Path]:
    # The waves are loaded once and shared: run_chapter itself is exercised by the filter test below.
    root = tmp_path_factory.mktemp("chapters")
    for chapter in default_spec().chapters:
        compute_chapter(chapter.id, *waves).write(root / chapter.id, draw_charts=False)
    return {chapter.id: root / chapter.id for chapter in default_spec().chapters}


@pytest.fixture(scope="module")
def real_figures(real) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for out in real.values():
        figures.update(json.loads((out / "figures.json").read_text(encoding="utf-8")))
    return figures


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _chart_of(out: Path, chart_id: str) -> dict:
    doc = json.loads((out / "chapter.json").read_text(encoding="utf-8"))
    return next(c for s in doc["slides"] for c in s["charts"] if c["id"] == chart_id)


@pytest.mark.parametrize(("chapter_id", "chart_id"), REAL_CHARTS)
def test_real_chart_table_exists_and_its_shares_are_of_its_base(real, waves, chapter_id: str, chart_id: str) -> None:
    out = real[chapter_id]
    rows = _read_csv(out / "tables" / f"{chart_id}.csv")
    assert rows and list(rows[0]) == CSV_COLUMNS
    chart = _chart_of(out, chart_id)
    spec_chart = default_spec().charts[chart_id]
    assert chart["base"] == spec_chart.base
    in_base = {r["key"]: r["in_base"] for r in chart["rows"]}
    for row in rows:
        base = int(row["base"])
        if row["pct"]:
            assert float(row["pct"]) == percent(int(row["count"]), base), row
        else:
            assert base < 10 or not in_base[row["choice_key"]] or row["count"] == "", row

    # The first series' base, counted independently from the responses.
    survey = waves[1] if spec_chart.wave == "compare" else waves[0]
    first = chart["series"][0]
    population = first["id"] if spec_chart.compare != "yoy" else spec_chart.base
    question = survey.question(spec_chart.variable)
    who = survey.population(population, segment="saas") & survey.answered(question.id)
    if question.type != "multi":
        substantive = [c.code for c in question.choices if c.in_base]
        who &= survey.codes(question.id).isin(substantive).fillna(False).astype(bool)
    assert first["base_n"] == int(who.sum())
    assert {int(r["base"]) for r in rows if r["series"] == first["id"]} == {first["base_n"]}
    assert {r["population"] for r in rows if r["series"] == first["id"]} == {population}


@pytest.mark.parametrize(("figure_id", "expected"), sorted(PUBLISHED.items()))
def test_published_figures_come_out_of_the_outputs(real_figures, figure_id: str, expected: object) -> None:
    assert real_figures[figure_id]["value"] == expected


@pytest.mark.parametrize(("figure_id", "expected"), sorted(PUBLISHED_ROUND.items()))
def test_published_round_figures_come_out_of_the_outputs(real_figures, figure_id: str,
                                                         expected: tuple[int, float]) -> None:
    value, within = expected
    assert abs(real_figures[figure_id]["value"] - value) < within


@pytest.mark.parametrize("chart_id", N4_CHARTS)
def test_n4_slides_show_counts_only_and_say_no_trend_can_be_read(real, real_figures, chart_id: str) -> None:
    chart = _chart_of(real["ch2"], chart_id)
    assert chart["disclosure"] == "suppressed" and chart["base_n"] == 4
    assert all(v["pct"] is None and v["count"] is not None for r in chart["rows"] for v in r["values"].values())
    (n,) = [n for n in chart["notes"] if n["key"] == "note.suppressed"]
    assert n["params"] == {"n": 4} and "傾向" in n["ja"] and "no trend" in n["en"].lower()
    rows = _read_csv(real["ch2"] / "tables" / f"{chart_id}.csv")
    assert all(r["pct"] == "" and r["base"] == "4" for r in rows)
    shares = [f["value"] for k, f in real_figures.items() if k.startswith(f"{chart_id}.") and k.endswith(".pct")]
    assert shares and all(v is None for v in shares)


def test_n4_issues_chart_has_four_issues_named_by_two_of_four(real_figures) -> None:
    twos = [k for k, f in real_figures.items()
            if k.startswith("org_issues_not.") and k.count(".") == 2 and k.endswith(".count") and f["value"] == 2]
    assert len(twos) == 4


def test_real_chapter_json_has_the_contract_keys(real) -> None:
    doc = json.loads((real["ch4"] / "chapter.json").read_text(encoding="utf-8"))
    assert {"chapter", "title", "wave", "compare_wave", "segment", "filters", "filter_text", "n_total",
            "n_segment", "slides"} <= set(doc)
    assert (doc["n_total"], doc["n_segment"]) == (781, 257)
    chart = _chart_of(real["ch4"], "nrr")
    assert {"id", "title", "answer", "compare", "wave", "base", "base_label", "base_n", "disclosure", "question",
            "series", "rows", "median", "ranking", "groups", "tests", "table", "svg", "notes"} <= set(chart)
    assert [s["id"] for s in chart["series"]] == ["2025", "2023"]
    assert chart["distribution_test"]["test"] == "chi-square test"
    assert {t["test"] for t in chart["tests"]} == {None}, "a bucket is not tested on its own"
    kpis = _chart_of(real["ch4"], "kpis_tracked")["tests"]
    assert {t["test"] for t in kpis if t["test"]} <= {"two-proportion z-test", "Fisher's exact test"}
    assert all(t["significant"] is (t["p_adjusted"] < 0.05) for t in kpis if t["test"])
    assert doc["counts"] == "exact"
    ref = _chart_of(real["ch4"], "nrr_2023")
    assert ref["wave"] == "2023" and ref["compare"] == "ref_2023"


def test_real_json_outputs_are_sorted_indented_and_end_with_a_newline(real) -> None:
    for name in ("chapter.json", "figures.json"):
        text = (real["ch2"] / name).read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
        assert "\\u" not in text


def test_real_filter_changes_numbers_and_is_recorded_in_every_output(real, tmp_path: Path, monkeypatch) -> None:
    from hakusho import config

    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)  # the project's perturbation secret lives here
    out = tmp_path / "ch2"
    res = run_chapter("ch2", filters=[["employees", ">=", 1000]], output_dir=out, draw_charts=False)
    doc = json.loads((out / "chapter.json").read_text(encoding="utf-8"))
    assert doc["filters"] == [["employees", ">=", 1000]] and doc["filter_text"] == "employees >= 1000"
    assert doc["counts"] == "perturbed"  # a researcher's run
    assert 30 <= doc["n_segment"] < 257 and doc["n_total"] < 781
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    plain = json.loads((real["ch2"] / "figures.json").read_text(encoding="utf-8"))
    # The chart's base and the segment's count are perturbed separately: close, not equal.
    assert abs(figures["cs_status.base"]["value"] - doc["n_segment"]) <= 10
    assert doc["n_segment"] == res.chapter["n_segment"]
    assert figures["cs_status.doing.count"]["value"] < plain["cs_status.doing.count"]["value"]
    assert {f["filter"] for f in figures.values()} == {"employees >= 1000"}
    for table in (out / "tables").glob("*.csv"):
        rows = _read_csv(table)
        assert {r["filter"] for r in rows} == {"employees >= 1000"}, table.name
        assert {r["counts"] for r in rows} == {"perturbed"}, table.name
    notes = _chart_of(out, "cs_status")["notes"]
    assert any(n["key"] == "note.filtered" and "1000" in n["en"] for n in notes)


def test_real_filter_on_a_small_group_stops_with_a_clear_error(waves) -> None:
    with pytest.raises(FilterError, match="fewer than 30"):
        compute_chapter("ch2", *waves, filters=[["cs_status", "==", "not_doing"]])


def test_written_outputs_are_byte_identical_across_runs(tmp_path: Path) -> None:
    from hakusho.analysis.perturbation import Protection

    guard = Protection(b"\x05" * 32)  # a perturbed run: the same secret gives the same bytes
    first = _compute(filters=[["employees", ">=", 100]], protection=guard).write(tmp_path / "a")
    second = _compute(filters=[["employees", ">=", 100]], protection=guard).write(tmp_path / "b")
    files = sorted(p.relative_to(first.output_dir) for p in first.output_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.output_dir) for p in second.output_dir.rglob("*") if p.is_file())
    svgs = [p for p in files if p.suffix == ".svg"]
    drawn = [c for c in first.chart_ids if first.chart(c)["svg"] is not None]  # a perturbed base may be 0
    # both languages, a slide's drawing and a phone's
    assert len(svgs) == 2 * 2 * len(drawn) and len(drawn) >= len(first.chart_ids) - 1
    for rel in files:
        assert (first.output_dir / rel).read_bytes() == (second.output_dir / rel).read_bytes(), rel
    assert first.svg_path("tools", "ja") == first.output_dir / "charts" / "tools.ja.svg"
    ja = (first.output_dir / "charts" / "tools.ja.svg").read_text(encoding="utf-8")
    en = (first.output_dir / "charts" / "tools.en.svg").read_text(encoding="utf-8")
    assert "表計算" in ja and "Spreadsheet" in en
    assert not any("\u3040" <= ch <= "\u9fff" for ch in en), "English chart contains Japanese"


_block = st.tuples(st.integers(1, 12), st.fixed_dictionaries({
    "industry": st.lists(st.sampled_from(["saas", "it_other", "other"]), min_size=1, unique=True),
    "cs_status": st.sampled_from(["doing", "planning", "not_doing", "unknown"]),
    "employees": st.sampled_from(["small", "mid", "large"]),
    "effect": st.sampled_from(["none", "little", "neutral", "some", "strong"]),
    "nrr": st.sampled_from(["low", "mid", "high", "dont_know"]),
    "tools": st.lists(st.sampled_from(["crm", "sheet", "ai"]), unique=True),
    "reasons_not": st.lists(st.sampled_from(["no_need", "no_people"]), unique=True),
}))


def _routed(blocks: list[tuple[int, dict[str, object]]]) -> list[tuple[int, dict[str, object]]]:
    out = []
    for n, answers in blocks:
        answers = dict(answers)
        if answers["cs_status"] != "doing":
            answers.update(effect=None, nrr=None, tools=None)
        if answers["cs_status"] != "not_doing":
            answers["reasons_not"] = None
        out.append((n, answers))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_block, min_size=1, max_size=10), st.sampled_from(["saas", "non_saas", "all"]))
def test_any_survey_gives_shares_within_0_100_counts_within_base_and_honest_disclosure(blocks, segment) -> None:
    res = compute_chapter("t1", survey_2025(_routed(blocks)), survey_2023(), crosswalk=crosswalk(), spec=spec(),
                          segment=segment)
    for slide in res.slides:
        for chart in slide["charts"]:
            levels = {s["id"]: (s["base_n"], s["disclosure"]) for s in chart["series"]}
            # a series of nobody is left out unless every series is empty
            assert all(b == 0 for b, _ in levels.values()) or all(b > 0 for b, _ in levels.values())
            for base, level in levels.values():
                assert level == ("empty" if base == 0 else "suppressed" if base < 10 else "indicative" if base < 30
                                 else "ok")
            assert chart["svg"] is None if chart["disclosure"] == "empty" else chart["svg"] is not None
            for row in chart["rows"]:
                for sid, cell in row["values"].items():
                    assert cell["base"] == levels[sid][0]
                    if row["in_base"]:
                        assert 0 <= cell["count"] <= cell["base"]
                    if cell["pct"] is not None:
                        assert 0.0 <= cell["pct"] <= 100.0 and levels[sid][1] != "suppressed"
                        assert cell["pct"] == percent(cell["count"], cell["base"])
                    elif row["in_base"] and cell["base"] >= 10:
                        pytest.fail(f"{chart['id']}: a share of a base of {cell['base']} is missing")


def test_the_ranking_comes_from_the_shown_table(result) -> None:
    # reasons_not has 4 respondents: counts only, so nothing is ranked (figures.json's topN agree).
    chart = result.chart("reasons_not")
    assert chart["disclosure"] == "suppressed" and chart["ranking"] == []
    assert result.figures["reasons_not.top1"]["value"] is None
    assert result.chart("tools")["ranking"][0] == "crm"


def test_the_csv_says_how_each_series_is_disclosed(result) -> None:
    table = result.table("reasons_not")
    assert set(table["disclosure"]) == {"suppressed"} and set(table["counts"]) == {"exact"}
    assert set(result.table("cs_status")["disclosure"]) == {"ok"}
