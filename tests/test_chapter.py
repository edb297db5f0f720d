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

from hakusho.chapter import CSV_COLUMNS, compute_chapter, csv_text, filter_label, normalize_filters
from hakusho.codebook import Condition
from hakusho.errors import CodebookError, FilterError
from hakusho.tabulate import percent


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
    assert chart["tests"][0]["test"] == "chi-square test"
    table = result.table("nrr")
    assert set(table[table["series"] == "2023"]["wave"]) == {"2023"}
    assert any(n["key"] == "note.yoy_crosswalk" for n in chart["notes"])


def test_yoy_choice_new_in_the_report_wave_has_no_count_in_the_comparison_wave(result) -> None:
    ai = next(r for r in result.chart("tools")["rows"] if r["key"] == "ai")
    assert ai["values"]["2023"] == {"count": None, "base": 70, "pct": None}
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
    res = _compute(filters=[["employees", ">=", 100]])
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
    res = _compute(filters=[["employees", ">=", 100]])  # employees exists in 2023
    table = res.table("nrr")
    assert set(table["filter"]) == {"employees >= 100"}
    assert res.chart("nrr")["series"][1]["base_n"] == 50
    assert any(n["key"] == "note.compare_filtered" for n in res.chart("nrr")["notes"])

    res = _compute(filters=[["effect", ">=", "some"]], allow_small_base=True)  # no "effect" in 2023
    table = res.table("nrr")
    assert set(table[table["wave"] == "2023"]["filter"]) == {""}
    assert set(table[table["wave"] == "2025"]["filter"]) == {"effect >= some"}
    assert res.chart("nrr")["series"][1]["base_n"] == 70
    (n,) = [n for n in res.chart("nrr")["notes"] if n["key"] == "note.compare_unfiltered"]
    assert "effect" in n["en"]


def test_filter_leaving_a_small_segment_stops_unless_allowed() -> None:
    with pytest.raises(FilterError, match="fewer than 30"):
        _compute(filters=[["cs_status", "==", "not_doing"]])
    res = _compute(filters=[["cs_status", "==", "not_doing"]], allow_small_base=True)
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
    with pytest.raises(FilterError):
        normalize_filters("employees >= 100")


def test_answer_type_must_match_the_codebook() -> None:
    bad = spec().model_copy()
    raw = bad.model_dump()
    raw["chapters"][0]["slides"][0]["charts"][0]["answer"] = "multi"
    from hakusho.spec import Spec

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
    assert text.splitlines()[1] == "cs_status,2025,saas,saas,,1,doing,取り組んでいる,Doing,60,100,60.0"


def test_chapter_json_is_plain_json(result) -> None:
    text = json.dumps(dict(result.chapter), ensure_ascii=False, allow_nan=False, default=dict)
    assert json.loads(text)["chapter"] == "t1"


def test_svg_path_needs_a_written_result(result, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        result.svg_path("cs_status")
