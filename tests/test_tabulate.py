"""Shares of base, series tables, medians, rankings and combined shares."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from chapter_fixtures import CS_STATUS, DOING, codebook_2025, survey_2025
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusho.analysis.tabulate import (
    SERIES_COLUMNS,
    TABLE_COLUMNS,
    base_mask,
    group_share,
    group_shares,
    median_bucket,
    median_by_series,
    one_series,
    percent,
    ranked,
    ranking,
    round_pct,
    series_bases,
    series_ids,
    share_of_base,
    shares_by_group,
    shares_by_population,
    stack_series,
)
from hakusho.survey.codebook import Codebook, Condition
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


# --------------------------------------------------------------------------- edges of each promise


def test_a_missing_value_stays_missing() -> None:
    assert math.isnan(round_pct(float("nan")))
    assert math.isnan(round_pct(pd.NA))  # type: ignore[arg-type]


def test_percent_of_the_smallest_bases() -> None:
    assert percent(1, 1) == 100.0
    assert percent(0, 1) == 0.0
    assert percent(1, 2) == 50.0
    assert math.isnan(percent(0, 0)) and math.isnan(percent(0, -3))


def test_a_population_listing_only_its_members_in_another_order_counts_the_same() -> None:
    """A population may come as the members alone, in any order: the rest are outside it."""
    survey = survey_2025()
    doing = _where(survey, *DOING)
    members = doing[doing].iloc[::-1]
    assert len(members) == 90
    for qid in ("cs_status", "nrr", "tools"):
        expected = share_of_base(survey, qid, doing)
        pd.testing.assert_frame_equal(share_of_base(survey, qid, members), expected)
    mask = base_mask(survey, "employees", members)
    assert mask.index.equals(survey.responses.index)
    assert int(mask.sum()) == 90 and mask.equals(base_mask(survey, "employees", doing))


def test_a_population_naming_someone_who_did_not_respond_counts_the_respondents_only() -> None:
    survey = survey_2025()
    doing = _where(survey, *DOING)
    stray = pd.concat([doing, pd.Series([True], index=["not-a-respondent"])])
    for qid in ("employees", "tools"):
        pd.testing.assert_frame_equal(share_of_base(survey, qid, stray), share_of_base(survey, qid, doing))
    assert base_mask(survey, "employees", stray).index.equals(survey.responses.index)


def _survey_with_single_dont_know() -> Survey:
    """The fixture survey, but "unknown" of cs_status is a "don't know" outside the base."""
    status = {**CS_STATUS, "choices": [dict(c, in_base=c["key"] != "unknown") for c in CS_STATUS["choices"]]}
    book = codebook_2025().model_dump(mode="json", by_alias=True, exclude_none=True)
    book["questions"] = [status if q["id"] == "cs_status" else q for q in book["questions"]]
    codebook = Codebook.model_validate(book)
    return Survey(wave="2025", codebook=codebook, responses=survey_2025().responses)


def test_a_dont_know_of_a_single_answer_is_counted_but_left_out_of_the_base() -> None:
    survey = _survey_with_single_dont_know()
    saas = _where(survey, ["industry", "includes", "saas"])
    table = share_of_base(survey, "cs_status", saas).set_index("choice_key")
    assert table["count"].to_dict() == {"doing": 60, "planning": 20, "not_doing": 4, "unknown": 16}
    assert set(table["base"]) == {84}
    assert table["pct"].drop("unknown").to_dict() == {"doing": 71.4, "planning": 23.8, "not_doing": 4.8}
    assert math.isnan(table.loc["unknown", "pct"])
    assert int(base_mask(survey, "cs_status", saas).sum()) == 84


def test_a_box_left_blank_by_someone_who_answered_is_not_a_tick() -> None:
    survey = survey_2025()
    responses = survey.responses.copy()
    ticked_both = responses.index[:20]  # the first block ticked crm and sheet, not ai
    responses.loc[ticked_both, "tools__ai"] = pd.NA
    blank = Survey(wave="2025", codebook=survey.codebook, responses=responses)
    table = share_of_base(blank, "tools", _where(blank, *DOING)).set_index("choice_key")
    assert table["count"].to_dict() == {"crm": 45, "sheet": 50, "ai": 10}
    assert set(table["base"]) == {90}


def test_an_unknown_choice_in_a_combined_share_is_named() -> None:
    table = pd.DataFrame([(1, "a", "A", "A", 1, 3, 33.3), (2, "b", "B", "B", 2, 3, 66.7)], columns=TABLE_COLUMNS)
    with pytest.raises(KeyError, match="no such choices: y, zz"):
        group_share(table, ["a", "zz", "y"])
    with pytest.raises(KeyError, match="group g: no such choices: y, zz"):
        group_shares(stack_series({"s": table}), {"g": ["zz", "a", "y"]})


def test_a_combined_share_ignores_choices_outside_the_group() -> None:
    """A "don't know" row without a share does not blank a group that leaves it out."""
    table = stack_series({"s": pd.DataFrame([(1, "a", "A", "A", 1, 4, 25.0), (2, "b", "B", "B", 2, 4, 50.0),
                                             (3, "c", "C", "C", 1, 4, 25.0), (9, "dk", "DK", "DK", 5, 4, math.nan)],
                                            columns=TABLE_COLUMNS)})
    assert group_shares(table, {"ab": ["a", "b"], "bc": ["b", "c"]}) == {"ab": {"s": 75.0}, "bc": {"s": 75.0}}


def test_the_median_of_a_single_bucket_is_that_bucket() -> None:
    table = pd.DataFrame({"choice_key": ["only"], "count": [5], "base": [5], "pct": [100.0]})
    assert median_bucket(table) == "only"
    table = pd.DataFrame({"choice_key": ["dk", "only"], "count": [3, 5], "base": [5, 5], "pct": [math.nan, 100.0]})
    assert median_bucket(table) == "only"


def test_ranked_gives_competition_ranks_largest_first() -> None:
    table = pd.DataFrame([(1, "a", "A", "A", 5, 22, 22.7), (2, "b", "B", "B", 7, 22, 31.8),
                          (3, "c", "C", "C", 5, 22, 22.7), (4, "d", "D", "D", 5, 22, 22.7),
                          (9, "dk", "DK", "DK", 9, 22, math.nan)], columns=TABLE_COLUMNS)
    out = ranked(table)
    assert list(out.columns) == [*TABLE_COLUMNS, "rank"]
    assert out.index.equals(pd.RangeIndex(4))
    assert out["choice_key"].tolist() == ["b", "a", "c", "d"]
    assert out["rank"].tolist() == [1, 2, 2, 2]  # ties share the best rank
    assert out["rank"].dtype == "int64"


def test_ties_keep_questionnaire_order_in_a_long_list() -> None:
    """Stable on any length: 60 choices in three tied groups stay in questionnaire order."""
    keys = [f"k{i:02d}" for i in range(60)]
    counts = [i % 3 for i in range(60)]
    table = pd.DataFrame({"choice_code": range(60), "choice_key": keys, "label_ja": keys, "label_en": keys,
                          "count": counts, "base": 60, "pct": [percent(c, 60) for c in counts]})
    expected = [k for c in (2, 1, 0) for k, n in zip(keys, counts, strict=True) if n == c]
    assert ranking(table) == expected


def test_stacked_series_have_a_plain_index_and_typed_columns() -> None:
    one = pd.DataFrame([(1, "a", "A", "A", 1, 3, 33.3), (2, "b", "B", "B", 2, 3, 66.7)], columns=TABLE_COLUMNS)
    single = pd.DataFrame([(1, "a", "A", "A", 4, 4, 100.0)], columns=TABLE_COLUMNS)
    table = stack_series({"first": one, "second": single})
    assert table.index.equals(pd.RangeIndex(3))
    assert str(table["count"].dtype) == "Int64"
    assert table["base"].dtype == "int64" and table["pct"].dtype == "float64"
    second = one_series(table, "second")
    assert list(second.columns) == TABLE_COLUMNS and second.index.equals(pd.RangeIndex(1))
    assert series_bases(table) == {"first": 3, "second": 4}
    empty = stack_series({})
    assert list(empty.columns) == SERIES_COLUMNS and len(empty) == 0


def test_groups_given_as_members_in_any_order_with_blanks_and_strangers_count_the_same() -> None:
    """A group may list only its members, in any order, name a non-respondent, or leave a
    member's membership blank (not a member): the counts are those of the full mask."""
    survey = survey_2025()
    everyone = _everyone(survey)
    doing = _where(survey, *DOING)
    saas = _where(survey, ["industry", "includes", "saas"])
    full = {"doing": doing, "saas": saas}
    members = doing[doing].iloc[::-1]
    blanks = saas.astype("boolean")
    blanks[~saas] = pd.NA
    odd = {"doing": pd.concat([members, pd.Series([True], index=["stranger"])]), "saas": blanks}
    for qid in ("cs_status", "tools"):
        expected = shares_by_group(survey, qid, everyone, full)
        pd.testing.assert_frame_equal(shares_by_group(survey, qid, everyone, odd), expected)
    table = shares_by_group(survey, "tools", everyone, full)
    assert str(table["count"].dtype) == "Int64"
    assert series_bases(table) == {"doing": 90, "saas": 60}


def test_choice_counts_include_a_dont_know_but_the_base_does_not() -> None:
    survey = _survey_with_single_dont_know()
    everyone = _everyone(survey)
    saas = _where(survey, ["industry", "includes", "saas"])
    table = one_series(shares_by_group(survey, "cs_status", everyone, {"saas": saas}), "saas").set_index("choice_key")
    assert table["count"].to_dict() == {"doing": 60, "planning": 20, "not_doing": 4, "unknown": 16}
    assert set(table["base"]) == {84} and math.isnan(table.loc["unknown", "pct"])


def test_grouped_counts_are_perturbed_as_each_groups_own_table() -> None:
    """The explorer counts every group at once; perturbed, each group must read exactly as the
    chapters' one-table-at-a-time counting perturbs it (the same cells, the same noise)."""
    from hakusho.analysis.perturbation import Protection
    from hakusho.analysis.tabulate import share_of_base, shares_by_group
    from hakusho.survey.load import load_waves

    survey = load_waves("2025")[0]
    guard = Protection(b"\x07" * 32)
    everyone = pd.Series(True, index=survey.responses.index)
    codes = survey.codes("employees")
    groups = {str(c): (codes == c).fillna(False) for c in sorted(codes.dropna().unique())[:4]}
    for qid in ("cs_status", "kpis_tracked", "nrr", "income"):  # single (with don't know), multi, ordinal
        table = shares_by_group(survey, qid, everyone, groups, protection=guard)
        exact = shares_by_group(survey, qid, everyone, groups)
        assert not table["count"].equals(exact["count"])
        for key, mask in groups.items():
            one = share_of_base(survey, qid, everyone & mask, protection=guard)
            mine = table[table["series"] == key]
            assert list(mine["count"].astype(int)) == list(one["count"]), (qid, key)
            assert list(mine["base"]) == list(one["base"]), (qid, key)


def test_a_protected_table_of_a_population_listing_only_its_members_is_the_same_table() -> None:
    """Perturbed counts depend on who is in each cell and in the population: a population given as
    its members alone (in any order, or naming a non-respondent) is the same people, so the same
    noise, whether one table is asked for or a breakdown by groups."""
    from hakusho.analysis.perturbation import Protection

    protection = Protection(b"\x2a" * 32)
    survey = survey_2025()
    doing = _where(survey, *DOING)
    members = doing[doing].iloc[::-1]
    stray = pd.concat([members, pd.Series([True], index=["not-a-respondent"])])
    perturbed = []
    for qid in ("cs_status", "nrr", "tools", "employees"):
        expected = share_of_base(survey, qid, doing, protection=protection)
        perturbed.append(not expected["count"].equals(share_of_base(survey, qid, doing)["count"]))
        for population in (members, stray):
            pd.testing.assert_frame_equal(share_of_base(survey, qid, population, protection=protection), expected)
        by_group = shares_by_group(survey, qid, members, {"all": members, "half": members.iloc[::2]},
                                   protection=protection)
        assert by_group[by_group["series"] == "all"]["count"].astype(int).tolist() == expected["count"].astype(
            int).tolist(), qid
        full = shares_by_group(survey, qid, doing, {"all": doing, "half": members.iloc[::2]}, protection=protection)
        pd.testing.assert_frame_equal(by_group.reset_index(drop=True), full.reset_index(drop=True))
    assert any(perturbed), "some table must be perturbed"


def test_a_blank_box_beside_ticked_ones_is_not_ticked_perturbed_or_not() -> None:
    """A multiple answer whose other boxes were left blank (NA) rather than unticked counts the
    same, exact and perturbed, in one table and in a breakdown by groups."""
    from hakusho.analysis.perturbation import Protection

    protection = Protection(b"\x2b" * 32)
    survey = survey_2025()
    doing = _where(survey, *DOING)
    ticked = survey.multi("tools")
    answered = ticked.fillna(False).astype(bool).any(axis=1)  # ticked at least one box
    blanked = survey.responses.copy()
    for key in ticked.columns:
        column = f"tools__{key}"
        blanked[column] = blanked[column].mask(answered & (blanked[column] == False), pd.NA)  # noqa: E712
    assert int(blanked.filter(like="tools__").isna().sum().sum()) > int(survey.responses.filter(
        like="tools__").isna().sum().sum()), "some boxes must be blank now"
    with_blanks = Survey(wave=survey.wave, codebook=survey.codebook, responses=blanked)
    groups = {"all": doing, "half": doing[doing].iloc[::2]}
    for kwargs in ({}, {"protection": protection}):
        pd.testing.assert_frame_equal(share_of_base(with_blanks, "tools", doing, **kwargs),
                                      share_of_base(survey, "tools", doing, **kwargs))
        pd.testing.assert_frame_equal(shares_by_group(with_blanks, "tools", doing, groups, **kwargs),
                                      shares_by_group(survey, "tools", doing, groups, **kwargs))


def test_groups_reaching_beyond_the_population_are_cut_to_it_perturbed_or_not() -> None:
    """A breakdown's groups may name anyone; only the population's members count, whether the
    population lists everyone (True/False) or its members alone."""
    from hakusho.analysis.perturbation import Protection

    survey = survey_2025()
    doing = _where(survey, *DOING)
    members = doing[doing].iloc[::-1]
    everyone = pd.Series(True, index=survey.responses.index)
    for kwargs in ({}, {"protection": Protection(b"\x2c" * 32)}):
        for qid in ("cs_status", "nrr", "tools"):
            cut = shares_by_group(survey, qid, doing, {"g": doing, "h": doing[doing].iloc[::3]}, **kwargs)
            for population in (doing, members):
                wide = shares_by_group(survey, qid, population, {"g": everyone, "h": doing[doing].iloc[::3]}, **kwargs)
                pd.testing.assert_frame_equal(wide, cut)
        # cs_status is asked of everyone: counting the whole group would give another table.
        whole = shares_by_group(survey, "cs_status", everyone, {"g": everyone}, **kwargs)
        assert int(whole["base"].iloc[0]) > int(share_of_base(survey, "cs_status", doing, **kwargs)["base"].iloc[0])
