"""Cross analysis: definitions, tables, statistics (checked against scipy), disclosure, headlines, outputs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from test_notebooks import CONTRACT as NOTEBOOK_CONTRACT

from hakusho import config
from hakusho.analysis.cross import CSV_COLUMNS, compute_crosses, run_crosses
from hakusho.analysis.cross_spec import CrossDef, check_cross, load_crosses, parse_crosses
from hakusho.analysis.cross_stats import cramers_v, independence_test, row_percentages, strength, trend_test
from hakusho.analysis.spec import default_spec
from hakusho.charts.cross import draw_cross
from hakusho.errors import CodebookError, FilterError
from hakusho.i18n import messages, missing_keys
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.wave import Survey

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")

# ------------------------------------------------------------------ a small questionnaire, built in code

SURVEY_INFO = {"title": {"ja": "テスト調査", "en": "Test survey"}, "publisher": {"ja": "テスト", "en": "Test"},
               "method": {"ja": "ウェブ", "en": "Web"}, "target": {"ja": "誰でも", "en": "Anyone"},
               "period_start": "2024-12-01", "period_end": "2024-12-31"}
DOING = [["cs_status", "==", "doing"]]


def _choices(keys: list[str], ordinal: bool = False) -> list[dict[str, Any]]:
    out = []
    for i, key in enumerate(keys, start=1):
        choice: dict[str, Any] = {"code": i, "key": key, "ja": f"選択肢{key}", "en": f"Choice {key}"}
        if ordinal:
            choice |= {"lower": i * 10, "upper": (i + 1) * 10}
        out.append(choice)
    return out


QUESTIONS = [
    {"id": "industry", "column": "Q1", "type": "multi", "text": {"ja": "業種", "en": "Industry"},
     "choices": _choices(["saas", "other"])},
    {"id": "cs_status", "column": "Q2", "type": "single", "text": {"ja": "取り組み", "en": "Status"},
     "choices": _choices(["doing", "planning", "not_doing"])},
    {"id": "employees", "column": "Q3", "type": "ordinal", "text": {"ja": "従業員数", "en": "Employees"},
     "choices": _choices(["small", "mid", "large"], ordinal=True)},
    {"id": "retention", "column": "Q4", "type": "ordinal", "asked": DOING,
     "text": {"ja": "継続率", "en": "Retention"}, "short": {"ja": "継続率", "en": "Retention"},
     "choices": [*_choices(["low", "mid", "high"], ordinal=True),
                 {"code": 99, "key": "dont_know", "ja": "わからない", "en": "Don't know", "in_base": False}]},
    {"id": "tools", "column": "Q5", "type": "multi", "text": {"ja": "ツール", "en": "Tools"},
     "choices": _choices(["crm", "sheet", "platform", "ai", "none"])},
    {"id": "services", "column": "Q6", "type": "multi", "text": {"ja": "サービス", "en": "Services"},
     "choices": _choices(["bpo", "consulting", "none"])},
    {"id": "dept", "column": "Q7", "type": "single", "text": {"ja": "部門", "en": "Department"},
     "choices": _choices(["sales", "support", "product"])},
    {"id": "budget", "column": "Q8", "type": "single", "text": {"ja": "予算", "en": "Budget"},
     "choices": _choices(["yes", "no"])},
    {"id": "score", "column": "Q9", "type": "numeric", "text": {"ja": "点数", "en": "Score"}},
]
TOOLS = ["crm", "platform", "ai"]  # the real tools of the fixture; "sheet" and "none" do not count


def codebook() -> Codebook:
    return Codebook.model_validate({"wave": "2025", "survey": SURVEY_INFO, "id_column": "ID",
                                    "questions": QUESTIONS})


def survey_from(records: list[dict[str, Any]]) -> Survey:
    """A Survey in the loader's layout from one dict per respondent (missing = not asked)."""
    book = codebook()
    columns: dict[str, Any] = {}
    for q in book.questions:
        if q.type == "multi":
            for c in q.choices:
                values = [None if q.id not in r else c.key in r[q.id] for r in records]
                columns[f"{q.id}__{c.key}"] = pd.array(values, dtype="boolean")
        elif q.type == "numeric":
            columns[q.id] = pd.array([r.get(q.id) for r in records], dtype="Float64")
        else:
            columns[q.id] = pd.array([q.choice(r[q.id]).code if q.id in r else None for r in records], dtype="Int64")
    index = pd.Index([f"r{i:04d}" for i in range(len(records))], name="respondent_id")
    return Survey(wave="2025", codebook=book, responses=pd.DataFrame(columns, index=index))


def respondents(n: int, *, link: str = "up", seed: int = 7) -> list[dict[str, Any]]:
    """Practising SaaS respondents whose retention goes with the number of real tools.

    ``link``: ``up`` (more tools, higher retention), ``down`` (the reverse) or ``none`` (retention
    cycles through its buckets whatever the tools: an exactly independent table).
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = int(rng.integers(0, 4))
        tools = list(rng.choice(TOOLS, size=k, replace=False)) + (["sheet"] if i % 3 == 0 else [])
        if not tools:
            tools = ["none"]
        if link == "none":
            level = i % 3
        else:
            level = int(np.clip(round(k * 2 / 3 + rng.normal(0, 0.45)), 0, 2))
            if link == "down":
                level = 2 - level
        if link == "none":
            # Same retention cycle for every tool count: every row has the same distribution.
            tools = [*TOOLS[: (i // 3) % 4], *(["sheet"] if i % 2 else [])] or ["none"]
        out.append({
            "industry": ["saas"], "cs_status": "doing", "employees": ["small", "mid", "large"][min(2, k)],
            "retention": ["low", "mid", "high"][level], "tools": tools,
            "services": ["bpo"] if rng.random() < 0.2 + 0.2 * k else ["none"],
            "dept": ["sales", "support", "product"][i % 3], "budget": ["yes", "no"][int(rng.random() < 0.5)],
            "score": float(i),
        })
    return out


def tools_by_retention(population: str = "saas_doing", **cols: Any) -> dict[str, Any]:
    return {"id": "retention_tools", "title": {"ja": "ツール数別の継続率", "en": "Retention by tools"},
            "population": population,
            "rows": {"name": "cs_tools", "count_of": "tools", "exclude": ["sheet", "none"],
                     "bins": [{"band": "t0", "min": 0, "max": 0}, {"band": "t1_2", "min": 1, "max": 2},
                              {"band": "t3_plus", "min": 3}]},
            "cols": {"variable": "retention", **cols}}


def one(survey: Survey, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = compute_crosses(survey, crosses=parse_crosses([definition]), **kwargs)
    return dict(result.document["crosses"][0])


def independent_table(survey: Survey) -> pd.DataFrame:
    """The tools × retention table counted here from the responses, without hakusho.analysis.cross."""
    r = survey.responses
    real = r[[f"tools__{k}" for k in TOOLS]].fillna(False).astype(int).sum(axis=1)
    band = pd.cut(real, [-1, 0, 2, 99], labels=["t0", "t1_2", "t3_plus"])
    keep = (r["cs_status"] == 1) & r["retention"].isin([1, 2, 3]) & r["industry__saas"].fillna(False)
    return pd.crosstab(band[keep], r.loc[keep, "retention"]).reindex(columns=[1, 2, 3], fill_value=0)


# ------------------------------------------------------------------ statistics


def test_statistics_match_scipy_computed_independently() -> None:
    survey = survey_from(respondents(240))
    doc = one(survey, tools_by_retention())
    table = independent_table(survey)
    assert doc["counts"] == table.to_numpy().tolist()
    chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
    s = doc["statistics"]
    assert s["dof"] == dof == 4
    assert s["chi2"] == pytest.approx(chi2, abs=5e-4)
    assert s["p_value"] == pytest.approx(p, rel=1e-3)
    assert s["yates_correction"] is False and s["cramers_v_bias_corrected"] is False
    n = table.to_numpy().sum()
    by_hand = math.sqrt(chi2 / (n * (min(table.shape) - 1)))
    assert s["cramers_v"] == pytest.approx(by_hand, abs=5e-4)
    assert np.allclose(np.array(doc["expected"], dtype=float), expected, atol=0.005)
    raw = independence_test(table.set_axis(["t0", "t1_2", "t3_plus"]).set_axis(["low", "mid", "high"], axis=1))
    assert raw is not None and raw.chi2 == pytest.approx(chi2) and raw.p_value == pytest.approx(p)
    assert raw.cramers_v == pytest.approx(by_hand)


def test_two_by_two_tables_get_no_continuity_correction() -> None:
    survey = survey_from(respondents(200))
    definition = {"id": "budget_bpo", "title": {"ja": "予算×BPO", "en": "Budget by BPO"}, "population": "saas",
                  "rows": {"name": "cs_bpo", "count_of": "services", "keys": ["bpo"],
                           "bins": [{"band": "no", "min": 0, "max": 0}, {"band": "yes", "min": 1}]},
                  "cols": {"variable": "budget"}}
    doc = one(survey, definition)
    table = np.array(doc["counts"])
    plain = stats.chi2_contingency(table, correction=False)
    yates = stats.chi2_contingency(table, correction=True)
    assert doc["statistics"]["dof"] == 1
    assert doc["statistics"]["chi2"] == pytest.approx(plain.statistic, abs=5e-4)
    assert doc["statistics"]["chi2"] != pytest.approx(yates.statistic, abs=5e-4)


@pytest.mark.parametrize(("v", "reading"), [(0.0, "negligible"), (0.099, "negligible"), (0.1, "weak"),
                                             (0.29, "weak"), (0.3, "moderate"), (0.49, "moderate"),
                                             (0.5, "strong"), (1.0, "strong")])
def test_cramers_v_bands(v: float, reading: str) -> None:
    assert strength(v) == reading


def test_cramers_v_is_the_uncorrected_formula() -> None:
    assert cramers_v(50.0, 200, (3, 4)) == pytest.approx(math.sqrt(50 / (200 * 2)))
    with pytest.raises(ValueError):
        cramers_v(1.0, 10, (1, 3))


def test_trend_test_equals_n_times_squared_correlation_of_score_and_answer() -> None:
    # The Cochran-Armitage statistic is N·r² for the row score against the 0/1 focus answer.
    counts = pd.DataFrame([[20, 5], [15, 10], [8, 17], [4, 21]], columns=["other", "focus"])
    result = trend_test(counts, "focus")
    scores = np.repeat(np.arange(4), counts.sum(axis=1))
    answer = np.concatenate([[0] * a + [1] * b for a, b in counts.to_numpy()])
    r = np.corrcoef(scores, answer)[0, 1]
    assert result is not None
    assert result.z ** 2 == pytest.approx(len(scores) * r ** 2)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(result.z)))
    assert result.direction == "up"
    assert trend_test(counts.iloc[::-1].reset_index(drop=True), "focus").direction == "down"
    assert trend_test(pd.DataFrame([[5, 0], [7, 0]], columns=["other", "focus"]), "focus") is None


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 40), min_size=c, max_size=c), min_size=r, max_size=r))))
def test_any_table_gives_scipy_statistics_and_shares_within_bounds(cells: list[list[int]]) -> None:
    counts = pd.DataFrame(cells, index=[f"r{i}" for i in range(len(cells))],
                          columns=[f"c{j}" for j in range(len(cells[0]))])
    pct = row_percentages(counts)
    for r in counts.index:
        if counts.loc[r].sum() > 0:
            assert ((pct.loc[r] >= 0) & (pct.loc[r] <= 100)).all()
            assert abs(pct.loc[r].sum() - 100) <= 0.05 * len(counts.columns) + 1e-9
    test = independence_test(counts)
    kept = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    if test is None:
        assert min(kept.shape) < 2 or kept.to_numpy().sum() < 10
        return
    ref = stats.chi2_contingency(kept.to_numpy(), correction=False)
    assert test.chi2 == pytest.approx(ref.statistic) and test.dof == ref.dof
    assert 0 <= test.cramers_v <= 1 + 1e-12 and 0 <= test.p_value <= 1


# ------------------------------------------------------------------ definitions are data


def test_a_cross_added_in_yaml_needs_no_python(tmp_path: Path) -> None:
    text = """
crosses:
  - id: dept_by_size
    title: {ja: 従業員規模別の部門, en: Department by company size}
    population: saas
    rows: {variable: employees}
    cols: {variable: dept, focus: support}
"""
    path = tmp_path / "crosses.yml"
    path.write_text(text, encoding="utf-8")
    survey = survey_from(respondents(120))
    result = compute_crosses(survey, crosses=path)
    assert result.cross_ids == ["dept_by_size"]
    doc = result.cross("dept_by_size")
    assert [b["key"] for b in doc["rows"]["bands"]] == ["small", "mid", "large"]
    assert doc["rows"]["ordered"] and not doc["cols"]["ordered"]
    assert doc["cols"]["bands"][1]["label"] == {"ja": "選択肢support", "en": "Choice support"}
    assert doc["cols"]["focus"] == "support"
    assert sum(map(sum, doc["counts"])) == 120
    for fid in ("cross.dept_by_size.p_value", "cross.dept_by_size.cramers_v", "cross.dept_by_size.significant",
                "cross.dept_by_size.small.support.pct", "cross.dept_by_size.row.large.base"):
        assert fid in result.figures
    assert result.tables["dept_by_size"].columns.tolist() == CSV_COLUMNS


def test_shipped_crosses_resolve_against_the_2025_codebook() -> None:
    crosses = load_crosses()
    assert [c.id for c in crosses] == ["retention_by_tools", "nrr_by_tools", "tools_by_size", "bpo_by_headcount"]
    book = load_codebook("2025")
    for cross in crosses:
        rows, cols = check_cross(cross, book, default_spec())
        assert rows.ordered and len(cols.bands) >= 2
    tools = check_cross(crosses[0], book, default_spec())[0]
    assert "none" not in tools.counted and "spreadsheet" not in tools.counted and "crm" in tools.counted


def _bad(change: dict[str, Any]) -> dict[str, Any]:
    definition = tools_by_retention()
    definition["id"] = "bad_cross"
    for path, value in change.items():
        where = definition
        *parents, last = path.split(".")
        for p in parents:
            where = where[p]
        if value is None:
            where.pop(last)
        else:
            where[last] = value
    return definition


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"cols.variable": "retension"}, "cols.variable", "no variable 'retension'"),
    ({"cols.fold": [{"band": "under_80", "keys": ["lo", "mid"]}, "high"]}, "cols.fold[0].keys", "'lo' is not a choice"),
    ({"cols.fold": ["low", "mid"]}, "cols.fold", "not in any band: high"),
    ({"cols.fold": [{"band": "under_80", "keys": ["low", "high"]}, "mid"]}, "cols.fold", "neighbouring"),
    ({"cols.fold": ["low", "mid", "high", "high"]}, "cols.fold", "in two bands"),
    ({"cols.variable": "tools"}, "cols.variable", "tools is a multi question"),
    ({"cols.variable": "score"}, "cols.variable", "score is a numeric question"),
    ({"rows.count_of": "employees"}, "rows.count_of", "employees is a ordinal question"),
    ({"rows.exclude": ["sheet", "nothing"]}, "rows.exclude", "'nothing' is not a choice"),
    ({"rows.bins": [{"band": "t0", "min": 0, "max": 0}, {"band": "t3_plus", "min": 3}]}, "rows.bins[1]",
     "starts at 3"),
    ({"rows.bins": [{"band": "t0", "min": 0, "max": 0}, {"band": "t9", "min": 1}]}, "rows.bins[1]",
     "band 't9' has no label"),
    ({"rows.bins": [{"band": "t0", "min": 0, "max": 1}]}, "rows.bins", "stop at 1"),
    ({"cols.focus": "top"}, "cols.focus", "'top' is not a band"),
    ({"population": "saas_dong"}, "population", "unknown population 'saas_dong'"),
])
def test_bad_cross_definitions_name_the_cross_and_the_field(change: dict[str, Any], field: str, words: str) -> None:
    survey = survey_from(respondents(30))
    with pytest.raises(CodebookError) as exc:
        compute_crosses(survey, crosses=parse_crosses([_bad(change)]))
    message = exc.value.report()
    assert message.startswith(f"cross bad_cross: {field}: "), message
    assert words in message


@pytest.mark.parametrize(("change", "words"), [
    ({"rows.variable": "employees"}, "exactly one of 'variable'"),
    ({"rows.name": None}, "needs a 'name'"),
    ({"rows.bins": None}, "needs 'bins'"),
    ({"rows.keys": ["crm"]}, "not both"),
    ({"cols.bins": [{"band": "x", "min": 0}]}, "belong to 'count_of' axes"),
    ({"cols.colour": "red"}, "Extra inputs are not permitted"),
])
def test_malformed_cross_definitions_name_the_cross(change: dict[str, Any], words: str) -> None:
    with pytest.raises(CodebookError) as exc:
        parse_crosses([_bad(change)], source="crosses.yml")
    message = exc.value.report()
    assert message.startswith("cross bad_cross: malformed ") and "crosses.yml" in message
    assert words in message


def test_two_crosses_with_one_id_are_refused() -> None:
    with pytest.raises(CodebookError, match="cross retention_tools: id used twice"):
        parse_crosses([tools_by_retention(), tools_by_retention()])


# ------------------------------------------------------------------ disclosure


def test_small_rows_and_columns_show_counts_but_no_shares(tmp_path: Path) -> None:
    people = respondents(90)
    # 6 respondents in "large", 20 in "mid": suppressed and indicative rows. Only 4 say "high".
    for i, person in enumerate(people):
        person["employees"] = "large" if i < 6 else ("mid" if i < 26 else "small")
        person["retention"] = "high" if i % 20 == 0 else ["low", "mid"][i % 2]
    survey = survey_from(people)
    definition = {"id": "size_retention", "title": {"ja": "規模別の継続率", "en": "Retention by size"},
                  "population": "saas_doing", "rows": {"variable": "employees"}, "cols": {"variable": "retention"}}
    result = compute_crosses(survey, crosses=parse_crosses([definition]))
    doc = result.cross("size_retention")
    rows = {b["key"]: b for b in doc["rows"]["bands"]}
    cols = {b["key"]: b for b in doc["cols"]["bands"]}
    assert (rows["large"]["base"], rows["large"]["disclosure"]) == (6, "suppressed")
    assert (rows["mid"]["base"], rows["mid"]["disclosure"]) == (20, "indicative")
    assert (cols["high"]["base"], cols["high"]["disclosure"]) == (5, "suppressed")
    small, mid, large = doc["row_pct"]
    assert large == [None, None, None] and sum(doc["counts"][2]) == 6
    assert mid[2] is None and small[2] is None, "a column under 10 shows no share in any row"
    assert mid[0] is not None and doc["cell_disclosure"][1][0] == "indicative"
    assert doc["cell_disclosure"][0] == ["ok", "ok", "suppressed"]
    keys = [n["key"] for n in doc["notes"]]
    assert keys.count("note.band_suppressed") == 2 and keys.count("note.band_indicative") == 1
    assert result.figures["cross.size_retention.large.low.pct"]["value"] is None
    assert result.figures["cross.size_retention.large.low.count"]["value"] == doc["counts"][2][0]
    assert result.figures["cross.size_retention.large.low.pct"]["disclosure"] == "suppressed"
    # The statistics still use everyone; the headline quotes only shares that are shown.
    assert doc["statistics"]["n"] == 90
    assert "large" not in doc["headline"]["values"].values()
    assert doc["headline"]["keys"][0] == "headline.no_shape", "the focus column is suppressed everywhere"
    assert "too few answers to compare" in doc["headline"]["en"] and "比べることはできない" in doc["headline"]["ja"]
    out = run_crosses(survey, crosses=parse_crosses([definition]), output_dir=tmp_path)
    csv = (tmp_path / "tables" / "size_retention.csv").read_text(encoding="utf-8").splitlines()
    large_rows = [line for line in csv[1:] if ",large," in line]
    assert len(large_rows) == 3 and all(",suppressed" in line for line in large_rows)
    header = csv[0].split(",")
    for line in large_rows:
        assert line.split(",")[header.index("row_pct")] == ""
    assert out.svg_path("size_retention", "en").is_file()


def test_a_tiny_population_is_not_tested_and_says_so() -> None:
    survey = survey_from(respondents(8))
    doc = one(survey, tools_by_retention())
    assert doc["statistics"] is None and doc["trend"] is None and doc["disclosure"] == "suppressed"
    assert doc["headline"]["keys"] == ["headline.not_testable"]
    assert "8" in doc["headline"]["ja"] and "8 respondents" in doc["headline"]["en"]
    assert all(v is None for row in doc["row_pct"] for v in row)


# ------------------------------------------------------------------ headlines


def test_headlines_change_with_the_data_in_both_languages() -> None:
    rising = one(survey_from(respondents(240, link="up")), tools_by_retention(focus="high"))
    falling = one(survey_from(respondents(240, link="down")), tools_by_retention(focus="high"))
    unrelated = one(survey_from(respondents(240, link="none")), tools_by_retention(focus="high"))

    assert rising["headline"]["keys"] == ["headline.up", "headline.significant"]
    assert "高くなっている" in rising["headline"]["ja"] and "有意な関連があり" in rising["headline"]["ja"]
    assert "rises from" in rising["headline"]["en"] and "is statistically significant" in rising["headline"]["en"]

    assert falling["headline"]["keys"] == ["headline.down", "headline.significant"]
    assert "低くなっている" in falling["headline"]["ja"] and "falls from" in falling["headline"]["en"]

    assert unrelated["statistics"]["chi2"] == 0 and unrelated["statistics"]["p_value"] == 1
    assert unrelated["headline"]["keys"] == ["headline.spread", "headline.not_significant"]
    assert "有意ではなく" in unrelated["headline"]["ja"]
    assert "not statistically significant" in unrelated["headline"]["en"]
    assert unrelated["statistics"]["strength"] == "negligible"

    for doc in (rising, falling, unrelated):
        assert not JAPANESE.search(doc["headline"]["en"]), doc["headline"]["en"]
        assert doc["headline"]["ja"] != doc["headline"]["en"]
        assert doc["title"]["ja"] in doc["headline"]["ja"] and doc["title"]["en"] in doc["headline"]["en"]
    # The shares quoted are the ones in the table.
    first, last = rising["row_pct"][0][2], rising["row_pct"][-1][2]
    assert f"{first:.1f}%" in rising["headline"]["en"] and f"{last:.1f}%" in rising["headline"]["ja"]
    v = f"{rising['statistics']['cramers_v']:.3f}"
    assert v in rising["headline"]["en"] and v in rising["headline"]["ja"]
    # The chart prints the same V and p as the headline (both from the stored values).
    footer = " ".join(t.get_text() for t in draw_cross(rising, "en").texts)
    assert f"Cramér's V = {v}" in footer and "p<0.001" in footer and "p<0.001" in rising["headline"]["en"]


def test_catalogs_have_the_same_keys_and_english_has_no_japanese() -> None:
    assert missing_keys("cross") == {}
    for key, text in messages("en", "cross").items():
        assert not JAPANESE.search(text), key


# ------------------------------------------------------------------ the part and its outputs


def test_filters_apply_first_and_small_filtered_bases_stop() -> None:
    survey = survey_from(respondents(150))
    result = compute_crosses(survey, crosses=parse_crosses([tools_by_retention()]),
                             filters=[["employees", "in", ["mid", "large"]]], protection=None)
    doc = result.document
    assert doc["filter_text"] == "employees in [mid, large]" and doc["n_total"] < 150
    assert result.cross("retention_tools")["base_n"] == doc["n_segment"]
    assert any(n["key"] == "note.filtered" for n in result.cross("retention_tools")["notes"])
    with pytest.raises(FilterError, match="fewer than 30"):
        compute_crosses(survey_from(respondents(40)), crosses=parse_crosses([tools_by_retention()]),
                        filters=[["employees", "==", "large"]])
    allowed = compute_crosses(survey_from(respondents(40)), crosses=parse_crosses([tools_by_retention()]),
                              filters=[["employees", "==", "large"]], allow_small_base=True)
    assert allowed.cross("retention_tools")["disclosure"] in ("indicative", "suppressed")


def test_a_filtered_cross_is_perturbed_and_says_so() -> None:
    from hakusho.analysis.perturbation import MAX_NOISE, Protection

    survey = survey_from(respondents(150))
    crosses = parse_crosses([tools_by_retention()])
    filters = [["employees", "in", ["mid", "large"]]]
    exact = compute_crosses(survey, crosses=crosses, filters=filters, protection=None).cross("retention_tools")
    result = compute_crosses(survey, crosses=crosses, filters=filters, protection=Protection(b"\x03" * 32))
    doc = result.cross("retention_tools")
    assert result.document["method"]["counts"] == "perturbed" and doc["counts_kind"] == "perturbed"
    assert any(n["key"] == "note.perturbed" for n in doc["notes"])
    cells = [(a, b) for ra, rb in zip(doc["counts"], exact["counts"], strict=True) for a, b in zip(ra, rb, strict=True)]
    assert all(abs(a - b) <= MAX_NOISE for a, b in cells) and any(a != b for a, b in cells)
    # rows still add up to 100 %: their base is the sum of their perturbed cells
    assert [b["base"] for b in doc["rows"]["bands"]] == [sum(r) for r in doc["counts"]]
    assert set(result.table("retention_tools")["counts"]) == {"perturbed"}


def test_the_segment_population_follows_the_report_segment() -> None:
    people = respondents(120)
    for person in people[:45]:
        person["industry"] = ["other"]
    survey = survey_from(people)
    definition = tools_by_retention(population="segment")
    saas = one(survey, definition)
    everyone = one(survey, definition, segment="all")
    others = one(survey, definition, segment="non_saas")
    assert (saas["base_n"], others["base_n"], everyone["base_n"]) == (75, 45, 120)
    assert saas["population_label"] == {"ja": "回答者（SaaS）", "en": "Respondents (SaaS)"}
    assert others["population_label"]["en"] == "Respondents (Non-SaaS)"


def test_outputs_are_written_deterministically_in_both_languages(tmp_path: Path) -> None:
    survey = survey_from(respondents(120))
    crosses = parse_crosses([tools_by_retention(focus="high")])
    first = run_crosses(survey, crosses=crosses, output_dir=tmp_path / "a")
    run_crosses(survey, crosses=crosses, output_dir=tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert [str(p) for p in files] == ["charts/retention_tools.en.phone.svg", "charts/retention_tools.en.svg",
                                       "charts/retention_tools.ja.phone.svg", "charts/retention_tools.ja.svg",
                                       "cross.json", "figures.json", "tables/retention_tools.csv"]
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    doc = json.loads((tmp_path / "a" / "cross.json").read_text(encoding="utf-8"))
    assert doc["chapter"] == "cross" and [c["id"] for c in doc["crosses"]] == ["retention_tools"]
    cross = doc["crosses"][0]
    assert {"rows", "cols", "counts", "row_pct", "statistics", "trend", "headline", "notes", "svg"} <= set(cross)
    figures = json.loads((tmp_path / "a" / "figures.json").read_text(encoding="utf-8"))
    assert figures == dict(first.figures)
    english = (tmp_path / "a" / "charts" / "retention_tools.en.svg").read_text(encoding="utf-8")
    assert not JAPANESE.search(english)
    assert "Retention by tools" in english
    assert "ツール数別の継続率" in (tmp_path / "a" / "charts" / "retention_tools.ja.svg").read_text(encoding="utf-8")
    for raw in ("/tmp", "/work", "/home"):
        assert raw not in (tmp_path / "a" / "cross.json").read_text(encoding="utf-8")


def test_the_chart_draws_a_bar_per_shown_row() -> None:
    survey = survey_from(respondents(120))
    doc = one(survey, tools_by_retention())
    fig = draw_cross(doc, "en")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["No CS tool", "1–2 tools", "3 or more tools"]
    drawn = [t.get_text() for t in ax.texts]
    shown = [f"{v:.1f}%" for row in doc["row_pct"] for v in row if v is not None]
    assert {t for t in drawn if t.endswith("%")} <= set(shown)
    bases = [b["base"] for b in doc["rows"]["bands"]]
    assert [t for t in drawn if t.startswith("n=")] == [
        f"n={n}" + (" (indicative)" if n < 30 else "") for n in bases]


@pytest.mark.skipif(not (config.RAW_DIR / "2025").is_dir(), reason="the 2025 sample export is not in data/raw")
def test_the_shipped_crosses_on_the_2025_sample() -> None:
    from hakusho.survey.load import load_wave

    result = compute_crosses(load_wave("2025"))
    assert result.cross_ids == [c.id for c in load_crosses()]
    for cross_id in result.cross_ids:
        doc = result.cross(cross_id)
        assert doc["statistics"] is not None, cross_id
        assert f"cross.{cross_id}.cramers_v" in result.figures
    # The sample was generated with retention rising with the number of CS tools and CS BPO use
    # rising with team size; the tests must find both.
    assert result.cross("retention_by_tools")["headline"]["direction"] == "up"
    assert result.cross("bpo_by_headcount")["headline"]["direction"] == "up"
    assert result.figures["cross.retention_by_tools.significant"]["value"] is True


def test_cross_defs_are_frozen_values() -> None:
    cross = parse_crosses([tools_by_retention()])[0]
    assert isinstance(cross, CrossDef)
    with pytest.raises(Exception, match="frozen"):
        cross.id = "other"  # type: ignore[misc]
    assert yaml.safe_load(yaml.safe_dump(cross.model_dump()))["id"] == "retention_tools"


# ------------------------------------------------------------------ the notebook

NOTEBOOK = config.NOTEBOOKS_DIR / "07_cross.ipynb"
# The parameters cell is the one every part's notebook declares (tests/test_notebooks.py keeps it).
PARAMETERS = NOTEBOOK_CONTRACT.format(chapter="cross", pad=" " * (27 - len('chapter = "cross"')))


def test_the_cross_notebook_follows_the_notebook_contract() -> None:
    import ast

    import nbformat

    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0]
    assert "parameters" in first.metadata.get("tags", []) and first.source == PARAMETERS
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert sum(len(c.source.splitlines()) for c in code) <= 60
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        tree = ast.parse(cell.source)
        assert not any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
                       for n in ast.walk(tree))
    assert sum("run_crosses(" in c.source for c in code) == 1


@pytest.mark.slow
@pytest.mark.skipif(not (config.RAW_DIR / "2025").is_dir(), reason="the 2025 sample export is not in data/raw")
def test_the_cross_notebook_runs_and_writes_what_an_in_process_run_writes(tmp_path: Path) -> None:
    import nbformat
    from test_notebooks import run_like_the_build

    from hakusho.survey.load import load_wave

    out = tmp_path / "cross"
    executed = run_like_the_build(NOTEBOOK, tmp_path, {"chapter": "cross", "output_dir": str(out)})
    nb = nbformat.read(str(executed), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) == len(load_crosses())
    again = run_crosses(load_wave("2025"), output_dir=tmp_path / "again")
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.output_dir) for p in again.output_dir.rglob("*") if p.is_file())
    for rel in files:
        assert (out / rel).read_bytes() == (again.output_dir / rel).read_bytes(), rel


def test_a_headline_quoting_a_row_of_10_to_29_carries_the_indicative_mark() -> None:
    small = one(survey_from(respondents(80)), tools_by_retention(focus="high"))
    levels = {b["key"]: b["disclosure"] for b in small["rows"]["bands"]}
    quoted = [v for k, v in small["headline"]["values"].items() if k in ("first", "last", "high", "low")]
    assert any(levels[k] == "indicative" for k in quoted)
    assert small["headline"]["indicative"] is True
    assert "(indicative)" in small["headline"]["en"] and "（参考値）" in small["headline"]["ja"]
    large = one(survey_from(respondents(600)), tools_by_retention(focus="high"))
    assert large["headline"]["indicative"] is False and "(indicative)" not in large["headline"]["en"]


def test_no_trend_is_tested_or_headlined_when_the_association_is_not_significant() -> None:
    from hakusho.analysis.cross import _Context as Context
    from hakusho.analysis.cross import compute_cross

    survey = survey_from(respondents(240, link="up"))
    cross = parse_crosses([tools_by_retention(focus="high")])[0]
    ctx = Context(survey, default_spec(), "saas", "", {"ja": "", "en": ""})
    significant, _ = compute_cross(cross, ctx)
    assert significant["trend"] is not None and significant["headline"]["direction"] == "up"
    # The same table after an adjustment that leaves the association short of significance:
    washed, _ = compute_cross(cross, ctx, p_adjusted=0.2)
    assert washed["statistics"]["significant"] is False and washed["statistics"]["p_adjusted"] == 0.2
    assert washed["trend"] is None and washed["headline"]["direction"] is None
    assert washed["headline"]["keys"] == ["headline.spread", "headline.not_significant"]
    assert "note.trend_not_tested" in [n["key"] for n in washed["notes"]]
    assert "trend" not in washed["headline"]["en"].lower()


def test_the_crosses_are_adjusted_together_with_benjamini_hochberg() -> None:
    from stats_reference import multipletests

    survey = survey_from(respondents(240))
    definitions = [tools_by_retention(focus="high"),
                   {**tools_by_retention(focus="high"), "id": "dept_retention",
                    "rows": {"variable": "dept"}}]
    result = compute_crosses(survey, crosses=parse_crosses(definitions), protection=None)
    raw = [c["statistics"]["p_value"] for c in result.document["crosses"]]
    expected = multipletests(raw, method="fdr_bh")[1]
    for doc, p in zip(result.document["crosses"], expected, strict=True):
        assert doc["statistics"]["p_adjusted"] == pytest.approx(p)
        assert doc["statistics"]["significant"] is bool(doc["statistics"]["p_adjusted"] < 0.05)
    assert result.document["method"]["adjustment"] == "Benjamini-Hochberg"
