"""Shares of base, series tables, medians, rankings and combined shares."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from chapter_fixtures import DOING, codebook_2025, survey_2025
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusho.analysis.tabulate import (
    SERIES_COLUMNS,
    TABLE_COLUMNS,
    group_share,
    group_shares,
    median_bucket,
    median_by_series,
    one_series,
    percent,
    ranking,
    round_pct,
    series_bases,
    series_ids,
    share_of_base,
    shares_by_group,
    shares_by_population,
    stack_series,
)
from hakusho.survey.codebook import Condition
from hakusho.survey.wave import Survey


def _everyone(survey: Survey) -> pd.Series:
    return pd.Series(True, index=survey.responses.index)


def _where(survey: Survey, *conds: list[object]) -> pd.Series:
    return survey.where([Condition.model_validate(c) for c in conds])


@pytest.mark.parametrize(("value", "expected"), [(0.05, 0.1), (0.15, 0.2), (86.04, 86.0), (86.05, 86.1),
                                                 (33.333, 33.3), (99.95, 100.0), (0.0, 0.0)])
def test_round_pct_is_half_up_to_one_decimal(value: float, expected: float) -> None:
    assert round_pct(value) == expected


def test_percent_of_the_published_bases() -> None:
    assert percent(221, 257) == 86.0
    assert percent(4, 257) == 1.6
    assert percent(8, 257) == 3.1
    assert percent(10, 24) == 41.7
    assert math.isnan(percent(0, 0))


def test_single_answer_share_of_base() -> None:
    survey = survey_2025()
    table = share_of_base(survey, "cs_status", _where(survey, ["industry", "includes", "saas"]))
    assert list(table.columns) == TABLE_COLUMNS
    assert table["choice_key"].tolist() == ["doing", "planning", "not_doing", "unknown"]
    assert table["count"].tolist() == [60, 20, 4, 16]
    assert set(table["base"]) == {100}
    assert table["pct"].tolist() == [60.0, 20.0, 4.0, 16.0]


def test_routing_and_dont_know_leave_the_base() -> None:
    survey = survey_2025()
    table = share_of_base(survey, "nrr", _everyone(survey))  # asked of practitioners only
    rows = table.set_index("choice_key")
    # 90 practitioners, 5 of whom answered "don't know": counted but outside the base.
    assert rows.loc["dont_know", "count"] == 5
    assert math.isnan(rows.loc["dont_know", "pct"])
    assert set(table["base"]) == {85}
    assert rows.loc["mid", "pct"] == percent(50, 85)


def test_multi_answer_shares_are_each_of_the_same_base_and_may_pass_100() -> None:
    survey = survey_2025()
    table = share_of_base(survey, "tools", _where(survey, *DOING))
    rows = table.set_index("choice_key")
    # 90 practitioners, 5 of whom ticked nothing: they answered, so they stay in every base.
    assert set(table["base"]) == {90}
    assert rows["count"].to_dict() == {"crm": 45, "sheet": 50, "ai": 10}
    assert rows["pct"].to_dict() == {"crm": 50.0, "sheet": 55.6, "ai": 11.1}
    assert rows["pct"].sum() == pytest.approx(116.7)  # each share stands alone, so they pass 100


def test_stack_series_keeps_series_order_and_choice_order() -> None:
    survey = survey_2025()
    pops = {"saas": _where(survey, ["industry", "includes", "saas"]),
            "non_saas": _where(survey, ["industry", "excludes", "saas"])}
    table = shares_by_population(survey, "employees", pops)
    assert list(table.columns) == SERIES_COLUMNS
    assert series_ids(table) == ["saas", "non_saas"]
    assert series_bases(table) == {"saas": 100, "non_saas": 50}
    assert one_series(table, "non_saas")["choice_key"].tolist() == ["small", "mid", "large"]
    assert one_series(table, "non_saas")["count"].tolist() == [0, 20, 30]


def test_median_bucket_uses_the_lower_middle_respondent() -> None:
    table = pd.DataFrame({"choice_key": ["a", "b", "c"], "count": [2, 2, 2], "base": [6, 6, 6],
                          "pct": [33.3, 33.3, 33.3]})
    assert median_bucket(table) == "b"  # the 3rd of 6 respondents
    table["count"] = [3, 0, 3]
    assert median_bucket(table) == "a"
    table["count"] = [0, 0, 0]
    table["base"] = 0
    assert median_bucket(table) is None


def test_median_by_series_is_none_where_shares_are_suppressed() -> None:
    table = stack_series({
        "big": pd.DataFrame([(1, "a", "A", "A", 10, 30, 33.3), (2, "b", "B", "B", 20, 30, 66.7)],
                            columns=TABLE_COLUMNS),
        "tiny": pd.DataFrame([(1, "a", "A", "A", 3, 4, math.nan), (2, "b", "B", "B", 1, 4, math.nan)],
                             columns=TABLE_COLUMNS),
    })
    assert median_by_series(table) == {"big": "b", "tiny": None}


def test_ranking_by_count_with_ties_in_questionnaire_order() -> None:
    table = pd.DataFrame([(1, "a", "A", "A", 5, 10, 50.0), (2, "b", "B", "B", 7, 10, 70.0),
                          (3, "c", "C", "C", 5, 10, 50.0), (4, "d", "D", "D", 1, 10, math.nan)], columns=TABLE_COLUMNS)
    assert ranking(table) == ["b", "a", "c"]  # d is outside the base


def test_group_share_adds_rounded_shares() -> None:
    # 1/3 + 1/3 of 3: rounded shares 33.3 + 33.3 = 66.6, not round(66.67) = 66.7.
    table = pd.DataFrame([(1, "a", "A", "A", 1, 3, 33.3), (2, "b", "B", "B", 1, 3, 33.3),
                          (3, "c", "C", "C", 1, 3, 33.3)], columns=TABLE_COLUMNS)
    assert group_share(table, ["a", "b"]) == 66.6
    with pytest.raises(KeyError, match="zz"):
        group_share(table, ["a", "zz"])


def test_group_shares_per_series_and_suppressed_series_have_none() -> None:
    big = pd.DataFrame([(1, "a", "A", "A", 1, 3, 33.3), (2, "b", "B", "B", 2, 3, 66.7)], columns=TABLE_COLUMNS)
    tiny = pd.DataFrame([(1, "a", "A", "A", 1, 3, math.nan), (2, "b", "B", "B", 2, 3, math.nan)],
                        columns=TABLE_COLUMNS)
    table = stack_series({"big": big, "tiny": tiny})
    assert group_shares(table, {"all": ["a", "b"]}) == {"all": {"big": 100.0, "tiny": None}}
    with pytest.raises(KeyError, match="nope"):
        group_shares(table, {"g": ["nope"]})


# Random surveys: whatever the answers, shares stay within 0–100 and counts within the base.
_status = st.sampled_from(["doing", "planning", "not_doing", "unknown", None])
_tools = st.lists(st.sampled_from(["crm", "sheet", "ai"]), unique=True)
_respondent = st.fixed_dictionaries({
    "industry": st.lists(st.sampled_from(["saas", "it_other", "other"]), min_size=1, unique=True),
    "cs_status": _status,
    "employees": st.sampled_from(["small", "mid", "large"]),
    "nrr": st.sampled_from(["low", "mid", "high", "dont_know"]),
    "tools": _tools,
})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), _respondent), min_size=1, max_size=12))
def test_shares_within_0_100_and_counts_within_base(blocks: list[tuple[int, dict[str, object]]]) -> None:
    routed = []
    for n, answers in blocks:
        answers = dict(answers)
        if answers["cs_status"] != "doing":  # routing: only practitioners answer these
            answers["nrr"] = None
            answers["tools"] = None
        routed.append((n, answers))
    survey = survey_2025(routed)
    assert survey.codebook == codebook_2025()
    for qid in ("cs_status", "employees", "nrr", "tools"):
        table = share_of_base(survey, qid, _everyone(survey))
        shown = table["pct"].dropna()
        assert ((shown >= 0) & (shown <= 100)).all()
        assert (table["count"] <= survey.n).all()
        in_base = table[table["pct"].notna()]
        assert (in_base["count"] <= in_base["base"]).all()
        if qid != "tools" and len(in_base) and in_base["base"].iloc[0] > 0:
            assert int(in_base["count"].sum()) == int(in_base["base"].iloc[0])


def test_shares_by_group_is_share_of_base_for_each_group() -> None:
    """The explorer's one-pass counting equals counting one group at a time, for every kind of
    question, with overlapping groups (a multiple-answer breakdown) and an empty group."""
    survey = survey_2025()
    everyone = _everyone(survey)
    codes = survey.codes("employees")
    groups = {"small": (codes <= 3).fillna(False), "large": (codes >= 7).fillna(False),
              "nobody": pd.Series(False, index=survey.responses.index)}
    industry = survey.multi("industry")
    groups.update({key: industry[key].fillna(False).astype(bool) for key in industry.columns[:3]})
    for qid in ("cs_status", "employees", "nrr", "tools", "industry"):
        stacked = stack_series({key: share_of_base(survey, qid, everyone & mask) for key, mask in groups.items()})
        pd.testing.assert_frame_equal(shares_by_group(survey, qid, everyone, groups), stacked)
