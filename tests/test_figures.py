"""The figure registry: ids exactly as the contract names them, values taken from the chart dicts."""

from __future__ import annotations

import pytest
from chapter_fixtures import crosswalk, spec, survey_2023, survey_2025

from hakusho.analysis.chapter import compute_chapter
from hakusho.analysis.figures import chapter_figures, chart_figures
from hakusho.errors import BuildError


@pytest.fixture(scope="module")
def result():
    return compute_chapter("t1", survey_2025(), survey_2023(), segment="saas", crosswalk=crosswalk(), spec=spec())


def _chart(rows: dict[str, list[int]], series: list[tuple[str, int]], **extra: object) -> dict[str, object]:
    def pct(c: int, b: int) -> float | None:
        return None if b < 10 else round(100 * c / b, 1)

    return {
        "id": "q", "answer": extra.pop("answer", "single"),
        "series": [{"id": s, "base_n": b, "disclosure": "suppressed" if b < 10 else "indicative" if b < 30 else "ok",
                    "wave": "2025", "label": {"ja": s, "en": s}} for s, b in series],
        "rows": [{"key": k, "label": {"ja": f"{k}（ja）", "en": f"{k} (en)"},
                  "values": {s: {"count": c, "base": b, "pct": pct(c, b)} for (s, b), c in zip(series, counts,
                                                                                             strict=True)}}
                 for k, counts in rows.items()],
        "median": None, "ranking": list(rows), "groups": {}, "tests": None, **extra,
    }


def test_first_series_figures_have_the_short_ids(result) -> None:
    figs = result.figures
    assert figs["cs_status.base"]["value"] == 100 and figs["cs_status.base"]["kind"] == "n"
    assert figs["cs_status.doing.pct"] == {"value": 60.0, "kind": "pct", "base": 100, "disclosure": "ok",
                                           "filter": ""}
    assert figs["cs_status.doing.count"]["value"] == 60
    assert figs["cs_status.saas.doing.pct"]["value"] == 60.0


def test_every_series_has_its_own_ids(result) -> None:
    figs = result.figures
    assert figs["employees.saas.base"]["value"] == 100
    assert figs["employees.non_saas.base"]["value"] == 50
    assert figs["employees.non_saas.large.pct"]["value"] == 60.0
    assert figs["employees.large.pct"]["value"] == 40.0  # the report's segment comes first


def test_median_ranks_and_groups(result) -> None:
    figs = result.figures
    assert figs["effect.median"]["value"] == "some"
    assert figs["effect.median"]["label"] == {"ja": "some", "en": "some"}
    assert figs["effect.median"]["kind"] == "choice"
    assert figs["effect.group.effective.pct"]["value"] == 75.0  # 41.7 + 33.3
    assert [figs[f"tools.top{i}"]["value"] for i in (1, 2, 3)] == ["crm", "sheet", "ai"]
    assert figs["tools.top1"]["label"]["en"] == "CRM"


def test_yoy_changes_and_flags(result) -> None:
    figs = result.figures
    assert figs["tools.2023.crm.pct"]["value"] == 71.4
    assert figs["tools.sheet.change_pt"]["kind"] == "points"
    assert figs["tools.sheet.change_pt"]["value"] == round(33.3 - 57.1, 1)
    assert figs["tools.sheet.significant"] == {"value": True, "kind": "flag", "base": 60, "disclosure": "ok",
                                               "filter": ""}
    assert figs["tools.ai.change_pt"]["value"] is None  # not offered in 2023
    # An ordinal chart has one test, of the whole distribution: its buckets carry changes, no flags.
    assert isinstance(figs["nrr.significant"]["value"], bool)
    assert figs["nrr.low.change_pt"]["kind"] == "points" and "nrr.low.significant" not in figs


def test_suppressed_base_keeps_counts_and_nulls_everything_derived(result) -> None:
    figs = result.figures
    assert figs["reasons_not.base"]["value"] == 4
    assert figs["reasons_not.no_need.count"]["value"] == 4
    assert figs["reasons_not.no_people.count"]["value"] == 2
    assert figs["reasons_not.no_need.pct"]["value"] is None
    assert figs["reasons_not.no_need.pct"]["disclosure"] == "suppressed"
    assert figs["reasons_not.top1"]["value"] is None


def test_chapter_counts_are_figures(result) -> None:
    assert result.figures["t1.n_total"]["value"] == 150
    assert result.figures["t1.n_segment"]["value"] == 100


def test_every_pct_figure_matches_the_chart_rows(result) -> None:
    for slide in result.slides:
        for chart in slide["charts"]:
            first = chart["series"][0]["id"]
            for row in chart["rows"]:
                assert result.figures[f"{chart['id']}.{row['key']}.pct"]["value"] == row["values"][first]["pct"]
                for sid, cell in row["values"].items():
                    assert result.figures[f"{chart['id']}.{sid}.{row['key']}.count"]["value"] == cell["count"]


def test_chart_figures_of_a_hand_built_chart() -> None:
    chart = _chart({"a": [20, 2], "b": [10, 3]}, [("x", 30), ("y", 5)],
                   groups={"ab": {"x": 100.0, "y": None}})
    figs = chart_figures(chart, filter_text="employees >= 1000")
    assert figs["q.a.pct"]["value"] == 66.7
    assert figs["q.y.a.pct"]["value"] is None and figs["q.y.a.count"]["value"] == 2
    assert figs["q.y.a.pct"]["disclosure"] == "suppressed"
    assert figs["q.group.ab.pct"]["value"] == 100.0
    assert figs["q.y.group.ab.pct"]["value"] is None
    assert {f["filter"] for f in figs.values()} == {"employees >= 1000"}
    assert figs["q.top1"]["value"] == "a" and figs["q.top3"]["value"] is None


def test_indicative_figures_are_marked() -> None:
    figs = chart_figures(_chart({"a": [12]}, [("x", 24)]))
    assert figs["q.a.pct"]["disclosure"] == "indicative" and figs["q.a.pct"]["value"] == 50.0


def test_figure_ids_cannot_collide() -> None:
    chart = _chart({"a": [20]}, [("x", 30)])
    doc = {"chapter": "c", "n_total": 1, "n_segment": 1, "slides": [{"charts": [chart, dict(chart)]}]}
    with pytest.raises(BuildError, match="twice"):
        chapter_figures(doc)


def test_segment_comparisons_have_their_own_ids_distinct_from_year_over_year() -> None:
    tests = [{"key": "a", "series": ["x", "y"], "scope": "bucket", "change_pt": 12.3, "p_value": None,
              "significant": None, "test": None},
             {"key": "b", "series": ["x", "y"], "scope": "bucket", "change_pt": -12.3, "p_value": None,
              "significant": None, "test": None}]
    distribution = {"key": "distribution", "series": ["x", "y"], "scope": "distribution", "p_value": 0.001,
                    "p_adjusted": 0.01, "significant": True, "test": "chi-square test",
                    "route": {"p_adjusted": 0.2, "significant": False}}
    chart = _chart({"a": [20, 15], "b": [10, 25]}, [("x", 30), ("y", 40)], answer="ordinal", compare="by_segment",
                   tests=tests, distribution_test=distribution)
    figs = chart_figures(chart)
    assert figs["q.a.diff_pt"] == {"value": 12.3, "kind": "points", "base": 30, "disclosure": "ok", "filter": ""}
    assert "q.b.diff_significant" not in figs and figs["q.diff_significant"]["value"] is True
    assert figs["q.diff_route_significant"]["value"] is False
    assert not any(k.endswith(("change_pt", ".significant")) for k in figs)
    yoy = chart_figures({**chart, "compare": "yoy"})
    assert yoy["q.a.change_pt"]["value"] == 12.3 and yoy["q.significant"]["value"] is True
    assert not any("diff_" in k for k in yoy if "route" not in k)


def test_a_choice_test_flag_is_its_own_adjusted_decision() -> None:
    tests = [{"key": "a", "series": ["x", "y"], "scope": "choice", "change_pt": 10.0, "p_value": 0.01,
              "p_adjusted": 0.2, "significant": False, "test": "two-proportion z-test",
              "crosswalk": {"kind": "reworded", "compared_with": {"ja": "旧", "en": "old"}}}]
    chart = _chart({"a": [20, 15]}, [("x", 30), ("y", 40)], answer="multi", compare="yoy", tests=tests)
    figs = chart_figures(chart)
    assert figs["q.a.significant"]["value"] is False
    assert figs["q.a.crosswalk"]["value"] == "reworded" and figs["q.a.crosswalk"]["label"]["en"] == "old"


def test_an_empty_base_has_counts_of_zero_and_nothing_else() -> None:
    chart = _chart({"a": [0], "b": [0]}, [("x", 0)])
    chart["series"][0]["disclosure"] = "empty"
    figs = chart_figures(chart)
    assert figs["q.base"]["value"] == 0 and figs["q.base"]["disclosure"] == "empty"
    assert figs["q.a.count"]["value"] == 0 and figs["q.a.pct"]["value"] is None
    assert figs["q.a.pct"]["disclosure"] == "empty" and figs["q.top1"]["value"] is None
