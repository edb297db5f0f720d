"""The 2023 → 2025 crosswalk: it matches both codebooks, covers every year-over-year chart, reports
a broken entry where it is, and tabulates the earlier wave in the later wave's terms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from hakusho import config
from hakusho.analysis.perturbation import Protection
from hakusho.analysis.spec import default_spec
from hakusho.analysis.tabulate import TABLE_COLUMNS
from hakusho.errors import CodebookError, Problem
from hakusho.survey import crosswalk
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.crosswalk import Crosswalk, load_crosswalk, share_in_target_terms, validate_crosswalk
from hakusho.survey.load import load_wave
from hakusho.survey.wave import Survey


@pytest.fixture(scope="module")
def books() -> tuple[Codebook, Codebook]:
    return load_codebook("2023"), load_codebook("2025")


@pytest.fixture(scope="module")
def survey_2023() -> Survey:
    return load_wave("2023")


def test_project_crosswalk_matches_both_codebooks(books: tuple[Codebook, Codebook]) -> None:
    crosswalk = load_crosswalk()
    assert (crosswalk.from_wave, crosswalk.to_wave) == ("2023", "2025")
    validate_crosswalk(crosswalk, *books)


def test_every_year_over_year_chart_is_expressible(books: tuple[Codebook, Codebook]) -> None:
    crosswalk = load_crosswalk()
    for chart in default_spec().charts.values():
        if chart.compare == "yoy":
            mapping = crosswalk.variable(chart.variable)
            assert mapping is not None, chart.id
            assert mapping.choices, chart.id
    assert crosswalk.variable("retention") is None  # not asked in 2023: not comparable


def _broken(tmp_path: Path, entry: dict, **top: str) -> Path:
    data = {"from_wave": top.get("from_wave", "2023"), "to_wave": top.get("to_wave", "2025"),
            "variables": [{"from": "nrr", "to": "nrr", "choices": {"n90_100": "n90_100"}}, entry]}
    path = tmp_path / "crosswalk.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _second_entry_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line.startswith("- ")][1]


def _problems(path: Path, books: tuple[Codebook, Codebook]) -> list:
    with pytest.raises(CodebookError) as info:
        validate_crosswalk(load_crosswalk(path), *books)
    return info.value.problems


def test_unknown_variable_is_located(tmp_path: Path, books: tuple[Codebook, Codebook]) -> None:
    path = _broken(tmp_path, {"from": "arpu", "to": "arpa", "choices": {}})
    (problem,) = _problems(path, books)
    assert problem.file == str(path)
    assert problem.row == _second_entry_line(path)
    assert problem.value == "arpu" and "arpa" in problem.expected
    assert "no variable 'arpu' in codebook 2023" in problem.message


def test_unknown_choice_on_either_side_is_located(tmp_path: Path, books: tuple[Codebook, Codebook]) -> None:
    path = _broken(tmp_path, {"from": "income", "to": "income",
                              "choices": {"i_under_100": "i_under_300", "i300_400": "i300_450"}})
    problems = _problems(path, books)
    assert [(p.column, p.value) for p in problems] == [("choices.i_under_100", "i_under_100"),
                                                       ("choices.i300_400", "i300_450")]
    assert all(p.row == _second_entry_line(path) for p in problems)


def test_folding_must_keep_bucket_order(tmp_path: Path, books: tuple[Codebook, Codebook]) -> None:
    path = _broken(tmp_path, {"from": "arpa", "to": "arpa",
                              "choices": {"a_under_6": "a13_60", "a6_13": "a_under_13"}})
    (problem,) = _problems(path, books)
    assert "maps to an earlier bucket" in problem.message and problem.value == "a_under_13"


def test_type_mismatch_is_reported(tmp_path: Path, books: tuple[Codebook, Codebook]) -> None:
    path = _broken(tmp_path, {"from": "kpis_tracked", "to": "arpa", "choices": {}})
    (problem,) = _problems(path, books)
    assert "cannot be compared" in problem.message


def test_wrong_waves_and_duplicates_are_reported(tmp_path: Path, books: tuple[Codebook, Codebook]) -> None:
    path = _broken(tmp_path, {"from": "nrr", "to": "nrr", "choices": {}}, from_wave="2021")
    messages = [p.message for p in _problems(path, books)]
    assert "crosswalk starts from another wave" in messages
    assert any("nrr is mapped twice" in m for m in messages)


def test_malformed_file_is_reported_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("from_wave: '2023'\nto_wave: '2025'\nvariables:\n  - {from: nrr, to: nrr\n", encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_crosswalk(path)
    assert info.value.problems[0].row is not None
    path.write_text("from_wave: '2023'\nto_wave: '2025'\nvariables:\n  - {from: nrr, too: nrr, choices: {}}\n",
                    encoding="utf-8")
    with pytest.raises(CodebookError, match="malformed") as info:
        load_crosswalk(path)
    assert info.value.message == f"crosswalk {path} is malformed"
    assert any("variables.0" in p.message for p in info.value.problems)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="crosswalk not found") as info:
        load_crosswalk(tmp_path / "nope.yml")
    assert info.value.message == f"crosswalk not found: {tmp_path / 'nope.yml'}"


# ------------------------------------------------------------------ tabulating in 2025 terms
def test_nrr_2023_in_2025_terms_keeps_the_published_figures(survey_2023: Survey,
                                                            books: tuple[Codebook, Codebook]) -> None:
    table = share_in_target_terms(survey_2023, survey_2023.population("saas_doing"), "nrr", books[1],
                                  load_crosswalk())
    assert list(table.columns) == TABLE_COLUMNS
    assert list(table["choice_key"]) == books[1].question("nrr").choice_keys
    rows = table.set_index("choice_key")
    assert int(rows["base"].iloc[0]) == 160  # "don't know" has no 2025 counterpart
    assert (rows.loc["n90_100", "pct"], rows.loc["n120_plus", "pct"], rows.loc["under_80", "pct"]) == (46.9, 25.0, 2.5)


def test_folded_buckets_add_up(survey_2023: Survey, books: tuple[Codebook, Codebook]) -> None:
    table = share_in_target_terms(survey_2023, survey_2023.population("saas_doing"), "arpa", books[1],
                                  load_crosswalk()).set_index("choice_key")
    codes = survey_2023.responses["arpa"]
    assert table.loc["a_under_13", "count"] == int(codes.isin([1, 2]).sum())
    assert table.loc["a13_60", "pct"] == 27.1
    assert int(table["base"].iloc[0]) == 203


def test_kpis_keep_every_respondent_in_the_base(survey_2023: Survey, books: tuple[Codebook, Codebook]) -> None:
    table = share_in_target_terms(survey_2023, survey_2023.population("saas_doing"), "kpis_tracked", books[1],
                                  load_crosswalk()).set_index("choice_key")
    assert int(table["base"].iloc[0]) == 203
    assert table.loc["nrr", "pct"] == 39.9
    assert table.loc["grr", "count"] == 0  # new in 2025
    assert table.loc["logo_retention", "count"] == int(survey_2023.multi("kpis_tracked")["renewal_rate"].sum())


def _tiny() -> tuple[Survey, Codebook, Crosswalk]:
    survey_info = {"title": {"ja": "t", "en": "t"}, "publisher": {"ja": "p", "en": "p"},
                   "method": {"ja": "m", "en": "m"}, "target": {"ja": "t", "en": "t"},
                   "period_start": "2000-01-01", "period_end": "2000-01-02"}

    def book(wave: str, single: list[str], multi: list[str]) -> Codebook:
        return Codebook.model_validate({"wave": wave, "id_column": "ID", "survey": survey_info, "questions": [
            {"id": "band", "column": "B", "type": "ordinal", "text": {"ja": "帯", "en": "Band"},
             "choices": [{"code": i + 1, "key": k, "ja": k, "en": k, "in_base": k != "dk"}
                         for i, k in enumerate(single)]},
            {"id": "used", "column": "U", "type": "multi", "text": {"ja": "利用", "en": "Used"},
             "choices": [{"code": i + 1, "key": k, "ja": k, "en": k} for i, k in enumerate(multi)]}]})

    old = book("1", ["low", "mid", "high", "dk"], ["x", "y", "z"])
    new = book("2", ["low_mid", "high"], ["xy", "z"])
    responses = pd.DataFrame({
        "band": pd.array([1, 2, 3, 4, 3], dtype="Int64"),
        "used__x": pd.array([True, True, False, False, False], dtype="boolean"),
        "used__y": pd.array([True, False, False, False, False], dtype="boolean"),
        "used__z": pd.array([False, False, True, False, False], dtype="boolean"),
    }, index=pd.Index(["a", "b", "c", "d", "e"], name="respondent_id"))
    crosswalk = Crosswalk.model_validate({"from_wave": "1", "to_wave": "2", "variables": [
        {"from": "band", "to": "band", "choices": {"low": "low_mid", "mid": "low_mid", "high": "high"}},
        {"from": "used", "to": "used", "choices": {"x": "xy", "y": "xy", "z": "z"}}]})
    return Survey(wave="1", codebook=old, responses=responses), new, crosswalk


def test_single_answers_sum_and_unmapped_answers_leave_the_base() -> None:
    survey, new, crosswalk = _tiny()
    everyone = pd.Series(True, index=survey.responses.index)
    table = share_in_target_terms(survey, everyone, "band", new, crosswalk).set_index("choice_key")
    assert table["count"].to_dict() == {"low_mid": 2, "high": 2}
    assert int(table["base"].iloc[0]) == 4  # "dk" maps nowhere
    assert table.loc["low_mid", "pct"] == 50.0


def test_multiple_answers_count_a_respondent_once() -> None:
    survey, new, crosswalk = _tiny()
    everyone = pd.Series(True, index=survey.responses.index)
    table = share_in_target_terms(survey, everyone, "used", new, crosswalk).set_index("choice_key")
    assert table.loc["xy", "count"] == 2  # respondent a ticked x and y: once
    assert int(table["base"].iloc[0]) == 5
    assert table.loc["z", "pct"] == 20.0


def test_population_restricts_the_tabulation() -> None:
    survey, new, crosswalk = _tiny()
    some = pd.Series([True, False, True, False, False], index=survey.responses.index)
    table = share_in_target_terms(survey, some, "band", new, crosswalk).set_index("choice_key")
    assert table["count"].to_dict() == {"low_mid": 1, "high": 1}


def test_a_variable_without_counterpart_is_an_error(survey_2023: Survey, books: tuple[Codebook, Codebook]) -> None:
    with pytest.raises(CodebookError, match="retention has no counterpart in wave 2023"):
        share_in_target_terms(survey_2023, survey_2023.population("saas_doing"), "retention", books[1],
                              load_crosswalk())


def test_default_path_is_the_projects(books: tuple[Codebook, Codebook]) -> None:
    assert load_crosswalk().source == str(config.CROSSWALK_PATH)


# ------------------------------------------------------------------ every promise on small codebooks

INFO = {"title": {"ja": "t", "en": "t"}, "publisher": {"ja": "p", "en": "p"}, "method": {"ja": "m", "en": "m"},
        "target": {"ja": "t", "en": "t"}, "period_start": "2000-01-01", "period_end": "2000-01-02"}


def _book(wave: str, questions: dict[str, tuple[str, list[str]]]) -> Codebook:
    """A codebook of ``{id: (type, choice keys)}``; a key starting with "dk" is outside the base."""
    return Codebook.model_validate({"wave": wave, "id_column": "ID", "survey": INFO, "questions": [
        {"id": qid, "column": qid.upper(), "type": kind, "text": {"ja": qid, "en": qid},
         "choices": [{"code": i + 1, "key": k, "ja": k, "en": k, "in_base": not k.startswith("dk")}
                     for i, k in enumerate(keys)]}
        for qid, (kind, keys) in questions.items()]})


OLD = _book("1", {"band": ("ordinal", ["low", "mid", "high", "dk"]), "used": ("multi", ["x", "y", "z"]),
                  "kind": ("single", ["a", "b"])})
NEW = _book("2", {"band": ("ordinal", ["low_mid", "high", "top", "dk_new"]),
                  "used": ("multi", ["xy", "z", "w", "dk_none"]),
                  "kind": ("ordinal", ["b", "a"])})


def _walk(*variables: dict, source: str | None = "walk.yml", from_wave: str = "1", to_wave: str = "2") -> Crosswalk:
    entries = [{**v, "line": 10 + 5 * i} for i, v in enumerate(variables)]
    return Crosswalk.model_validate({"from_wave": from_wave, "to_wave": to_wave, "variables": entries,
                                     "source": source})


def _all_problems(crosswalk: Crosswalk) -> tuple[str, list[Problem]]:
    with pytest.raises(CodebookError) as info:
        validate_crosswalk(crosswalk, OLD, NEW)
    return info.value.message, info.value.problems


def test_every_broken_entry_is_located_with_what_was_expected() -> None:
    message, problems = _all_problems(_walk(
        {"from": "nope", "to": "band", "choices": {}},
        {"from": "band", "to": "gone", "choices": {}},
        {"from": "band", "to": "used", "choices": {}},
        {"from": "band", "to": "band", "choices": {"zz": "high", "low": "qq"}},
        {"from": "band", "to": "band", "choices": {"low": "high", "high": "low_mid"}},
    ))
    assert message == "walk.yml does not match codebooks 1 and 2"
    assert problems == [
        Problem("no variable 'nope' in codebook 1", file="walk.yml", row=10, column="from", value="nope",
                expected="one of band, kind, used"),
        Problem("no variable 'gone' in codebook 2", file="walk.yml", row=15, column="to", value="gone",
                expected="one of band, kind, used"),
        Problem("band (ordinal) cannot be compared with used (multi)", file="walk.yml", row=20,
                expected="both multiple-answer, or both single / ordinal"),
        Problem("variables[3]: band is mapped twice", file="walk.yml", row=25, value="band",
                expected="one entry per 2 variable"),  # the later codebook's wave
        Problem("band has no choice 'zz' in codebook 1", file="walk.yml", row=25, column="choices.zz", value="zz",
                expected="one of low, mid, high, dk"),
        Problem("band has no choice 'qq' in codebook 2", file="walk.yml", row=25, column="choices.low", value="qq",
                expected="one of low_mid, high, top, dk_new"),
        Problem("variables[4]: band is mapped twice", file="walk.yml", row=30, value="band",
                expected="one entry per 2 variable"),  # the later codebook's wave
        Problem("band: 'high' comes after 'low' but maps to an earlier bucket", file="walk.yml", row=30,
                column="choices.high", value="low_mid", expected="'high' or a later bucket"),
    ]


def test_wrong_waves_are_located_in_the_file() -> None:
    message, problems = _all_problems(_walk({"from": "band", "to": "band", "choices": {"low": "low_mid"}},
                                            from_wave="0", to_wave="3"))
    assert message == "walk.yml does not match codebooks 1 and 2"
    assert problems == [
        Problem("crosswalk starts from another wave", file="walk.yml", value="0",
                expected="the wave of the earlier codebook, 1"),
        Problem("crosswalk leads to another wave", file="walk.yml", value="3",
                expected="the wave of the later codebook, 2"),
    ]


def test_wrong_waves_are_named_and_a_crosswalk_without_file_is_called_so() -> None:
    message, problems = _all_problems(_walk({"from": "band", "to": "band", "choices": {"low": "low_mid"}},
                                            source=None, from_wave="0", to_wave="3"))
    assert message == "crosswalk does not match codebooks 1 and 2"
    assert problems == [
        Problem("crosswalk starts from another wave", value="0", expected="the wave of the earlier codebook, 1"),
        Problem("crosswalk leads to another wave", value="3", expected="the wave of the later codebook, 2"),
    ]


def test_a_single_answer_may_become_an_ordinal_in_any_order() -> None:
    """Only two ordinal scales must keep their order; a single answer has none to keep."""
    validate_crosswalk(_walk({"from": "kind", "to": "kind", "choices": {"a": "a", "b": "b"}}), OLD, NEW)
    validate_crosswalk(_walk({"from": "band", "to": "band", "choices": {"low": "low_mid", "mid": "low_mid",
                                                                       "high": "high"}}), OLD, NEW)


def _survey(**columns: list[object]) -> Survey:
    index = pd.Index([f"r{i}" for i in range(len(next(iter(columns.values()))))], name="respondent_id")
    data = {}
    for name, values in columns.items():
        dtype = "boolean" if name.startswith("used__") else "Int64"
        data[name] = pd.array(values, dtype=dtype)
    return Survey(wave="1", codebook=OLD, responses=pd.DataFrame(data, index=index))


BAND = {"from": "band", "to": "band", "choices": {"low": "low_mid", "mid": "low_mid", "high": "high", "dk": "dk_new"}}
USED = {"from": "used", "to": "used", "choices": {"x": "xy", "y": "xy", "z": "z"}}
USED_DK = {"from": "used", "to": "used", "choices": {"x": "xy", "y": "xy", "z": "dk_none"}}


def test_single_answers_in_later_terms_keep_dont_know_and_new_choices_out_of_the_base() -> None:
    # low, mid, high, dk, high, low, missing
    survey = _survey(band=[1, 2, 3, 4, 3, 1, None])
    everyone = pd.Series(True, index=survey.responses.index)
    table = share_in_target_terms(survey, everyone, "band", NEW, _walk(BAND)).set_index("choice_key")
    assert table["count"].to_dict() == {"low_mid": 3, "high": 2, "top": 0, "dk_new": 1}
    assert set(table["base"]) == {5}
    assert table["pct"].drop("dk_new").to_dict() == {"low_mid": 60.0, "high": 40.0, "top": 0.0}
    assert pd.isna(table.loc["dk_new", "pct"])


def test_multiple_answers_in_later_terms_ignore_blank_boxes() -> None:
    survey = _survey(used__x=[True, None, False, None], used__y=[None, True, False, None],
                     used__z=[None, False, True, None])
    everyone = pd.Series(True, index=survey.responses.index)
    table = share_in_target_terms(survey, everyone, "used", NEW, _walk(USED)).set_index("choice_key")
    assert table["count"].to_dict() == {"xy": 2, "z": 1, "w": 0, "dk_none": 0}
    assert set(table["base"]) == {3}  # the fourth answered nothing
    assert table["pct"].drop("dk_none").to_dict() == {"xy": 66.7, "z": 33.3, "w": 0.0}
    assert pd.isna(table.loc["dk_none", "pct"])


def test_a_multiple_answer_outside_the_base_is_counted_without_a_share() -> None:
    survey = _survey(used__x=[True, False, False], used__y=[False, False, False], used__z=[True, True, False])
    everyone = pd.Series(True, index=survey.responses.index)
    table = share_in_target_terms(survey, everyone, "used", NEW, _walk(USED_DK)).set_index("choice_key")
    assert table["count"].to_dict() == {"xy": 1, "z": 0, "w": 0, "dk_none": 2}
    assert set(table["base"]) == {3}
    assert pd.isna(table.loc["dk_none", "pct"]) and table.loc["xy", "pct"] == 33.3


def test_a_population_listing_only_its_members_counts_only_them() -> None:
    survey = _survey(band=[1, 2, 3, 4, 3, 1, None], used__x=[True] * 7, used__y=[False] * 7, used__z=[True] * 7)
    members = pd.Series(True, index=["r4", "r0"])  # in any order, the rest are outside
    walk = _walk(BAND, USED)
    band = share_in_target_terms(survey, members, "band", NEW, walk).set_index("choice_key")
    assert band["count"].to_dict() == {"low_mid": 1, "high": 1, "top": 0, "dk_new": 0}
    used = share_in_target_terms(survey, members, "used", NEW, walk).set_index("choice_key")
    assert used["count"].to_dict() == {"xy": 2, "z": 2, "w": 0, "dk_none": 0} and set(used["base"]) == {2}


def test_a_variable_missing_from_the_crosswalk_is_named_with_the_ones_it_has() -> None:
    survey = _survey(band=[1])
    with pytest.raises(CodebookError) as info:
        share_in_target_terms(survey, pd.Series(True, index=["r0"]), "kind", NEW, _walk(BAND, USED))
    assert info.value.message == "kind has no counterpart in wave 1"
    assert info.value.problems == [Problem("not in the crosswalk", file="walk.yml", value="kind",
                                           expected="one of band, used")]


def test_a_broken_entry_is_caught_before_tabulating_and_located() -> None:
    survey = _survey(band=[1])
    broken = {"from": "band", "to": "band", "choices": {"low": "nowhere"}}
    with pytest.raises(CodebookError) as info:
        share_in_target_terms(survey, pd.Series(True, index=["r0"]), "band", NEW, _walk(broken))
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.value) == ("walk.yml", 10, "nowhere")


def test_unreadable_yaml_is_located_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("from_wave: '1'\nto_wave: '2'\nvariables:\n  - from: band\n    to: [band\n", encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_crosswalk(path)
    assert info.value.message == f"cannot read {path}"
    (problem,) = info.value.problems
    assert (problem.file, problem.row) == (str(path), 6)
    assert problem.message == "not valid YAML: expected ',' or ']', but got '<stream end>'"


def test_a_file_that_is_not_even_yaml_text_is_reported_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("from_wave: '1'\x07\n", encoding="utf-8")  # a control character: not YAML at all
    with pytest.raises(CodebookError) as info:
        load_crosswalk(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.row) == (str(path), None)
    assert problem.message.startswith("not valid YAML: unacceptable character #x0007")


def test_a_file_holding_a_list_is_not_a_crosswalk(tmp_path: Path) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("- from: band\n", encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_crosswalk(path)
    assert info.value.message == f"{path} does not hold a crosswalk (expected a mapping at the top)"


@pytest.mark.parametrize("variables", ["variables: {from: band}\n", "variables:\n  - band\n"])
def test_entries_of_the_wrong_shape_are_malformed_not_a_crash(tmp_path: Path, variables: str) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("from_wave: '1'\nto_wave: '2'\n" + variables, encoding="utf-8")
    with pytest.raises(CodebookError, match="is malformed") as info:
        load_crosswalk(path)
    assert info.value.problems and all(p.file == str(path) for p in info.value.problems)


def test_entries_know_their_line_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "crosswalk.yml"
    path.write_text("# notes\nfrom_wave: '1'\nto_wave: '2'\nvariables:\n"
                    "  - {from: band, to: band, choices: {low: low_mid}}\n\n"
                    "  - from: used\n    to: used\n    choices: {x: xy}\n"
                    "  - {from: kind, to: kind, choices: {a: a}, note: {ja: 注, en: Note}}\n", encoding="utf-8")
    crosswalk = load_crosswalk(path)
    assert [v.line for v in crosswalk.variables] == [5, 7, 10]
    assert crosswalk.source == str(path)
    assert crosswalk.variable("kind").note.ja == "注"


# ------------------------------------------------------------------ what two codebooks have in common


def _question(qid: str, kind: str, keys: list[str], *, out: tuple[str, ...] = (), label: str = "") -> dict:
    """A question of ``kind`` with choices ``keys``; those in ``out`` are outside the base."""
    return {"id": qid, "column": qid.upper(), "type": kind, "text": {"ja": qid + label, "en": qid + label},
            "choices": [{"code": i + 1, "key": k, "ja": k + label, "en": k + label, "in_base": k not in out}
                        for i, k in enumerate(keys)]}


def _codebook(wave: str, *questions: dict) -> Codebook:
    return Codebook.model_validate({"wave": wave, "id_column": "ID", "survey": INFO, "questions": list(questions)})


EARLIER = _codebook(
    "1",
    _question("same", "single", ["a", "b"]),
    _question("reworded", "multi", ["x", "y"]),
    _question("reordered", "ordinal", ["low", "high"]),
    _question("retyped", "single", ["a", "b"]),
    _question("rebased", "single", ["a", "dk"]),
    _question("split", "ordinal", ["low", "high"]),
    _question("old_name", "multi", ["x", "y"]),
    _question("dropped", "single", ["a"]),
    _question("amount", "numeric", []),
    _question("remark", "text", []),
    _question("withdrawn", "single", ["a", "b"]),
    _question("listed_same", "single", ["a", "b"]),
    _question("also_gone", "multi", ["x"]),
)
LATER = _codebook(
    "2",
    _question("added", "multi", ["x"]),
    _question("listed_same", "single", ["a", "b"]),
    _question("same", "single", ["a", "b"]),
    _question("reworded", "multi", ["x", "y"], label=" (new wording)"),
    _question("reordered", "ordinal", ["high", "low"]),
    _question("retyped", "ordinal", ["a", "b"]),
    _question("rebased", "single", ["a", "dk"], out=("dk",)),
    _question("split", "ordinal", ["low", "mid", "high"]),
    _question("new_name", "multi", ["x", "y"]),
    _question("amount", "numeric", []),
    _question("remark", "text", []),
    _question("added_amount", "numeric", []),
    _question("withdrawn", "single", ["a", "b", "c"]),
)
LISTED = {"from_wave": "1", "to_wave": "2", "variables": [
    {"from": "old_name", "to": "new_name", "choices": {"x": "x", "y": "y"}},
    {"from": "withdrawn", "to": "withdrawn", "exclude": True, "note": {"ja": "定義が変わった", "en": "Redefined"}},
    {"from": "listed_same", "to": "listed_same", "choices": {"b": "a", "a": "b"}},
]}


def test_identical_means_same_type_same_choices_in_order_and_same_base() -> None:
    pairs = {q.id: (EARLIER.by_id[q.id], q) for q in LATER.questions if q.id in EARLIER.by_id}
    assert crosswalk.identical(*pairs["same"]) and crosswalk.identical(*pairs["listed_same"])
    assert crosswalk.identical(*pairs["reworded"])  # wording may differ
    for changed in ("reordered", "retyped", "rebased", "split", "withdrawn"):
        assert not crosswalk.identical(*pairs[changed]), changed
    # Numbers and free text are not tabulated on choices: never comparable this way.
    assert not crosswalk.identical(*pairs["amount"]) and not crosswalk.identical(*pairs["remark"])
    assert not crosswalk.identical(LATER.by_id["split"], EARLIER.by_id["split"])


def test_every_tabulable_question_is_classified_once_in_codebook_order() -> None:
    found = crosswalk.compare_codebooks(EARLIER, LATER, Crosswalk.model_validate({**LISTED, "source": "1-2.yml"}))
    assert (found.from_wave, found.to_wave, found.file) == ("1", "2", Path("1-2.yml"))
    assert found.identical == ("same", "reworded")
    assert found.mapped == ("listed_same", "new_name")  # a listed question is decided by its entry
    assert found.excluded == ("withdrawn",)
    assert found.changed == ("reordered", "retyped", "rebased", "split")
    assert found.new == ("added",)  # added_amount is a number: not tabulated on choices
    assert found.gone == ("dropped", "also_gone")  # old_name lives on as new_name
    assert found.rows() == [("same", "identical"), ("reworded", "identical"), ("listed_same", "mapped"),
                            ("new_name", "mapped"), ("withdrawn", "excluded"), ("reordered", "changed"),
                            ("retyped", "changed"), ("rebased", "changed"), ("split", "changed"),
                            ("added", "new"), ("dropped", "gone"), ("also_gone", "gone")]


def test_without_a_crosswalk_file_nothing_is_mapped_or_excluded() -> None:
    found = crosswalk.compare_codebooks(EARLIER, LATER)
    assert found.file is None and found.mapped == () and found.excluded == ()
    assert found.identical == ("listed_same", "same", "reworded")
    assert found.changed == ("reordered", "retyped", "rebased", "split", "withdrawn")
    assert found.new == ("added", "new_name")
    assert found.gone == ("old_name", "dropped", "also_gone")
    assert crosswalk.compare_codebooks(EARLIER, LATER, Crosswalk.model_validate(LISTED)).file is None


def test_the_same_codebook_on_both_sides_is_identical_throughout() -> None:
    found = crosswalk.compare_codebooks(EARLIER, EARLIER)
    assert found.identical == tuple(q.id for q in EARLIER.questions if q.type in ("single", "ordinal", "multi"))
    assert found.rows() == [(q, "identical") for q in found.identical]


def test_the_crosswalk_between_two_waves_adds_identity_maps_for_identical_questions(tmp_path: Path) -> None:
    walk = crosswalk.crosswalk_between(EARLIER, LATER, tmp_path)  # no file for the pair yet
    assert (walk.from_wave, walk.to_wave, walk.source) == ("1", "2", None)
    assert [v.to_var for v in walk.variables] == ["listed_same", "same", "reworded"]
    assert all(v.inferred and v.from_var == v.to_var and v.line is None for v in walk.variables)
    assert walk.variable("reworded").choices == {"x": "x", "y": "y"}
    assert walk.variable("same").choices == {"a": "a", "b": "b"}
    for never in ("reordered", "split", "new_name", "added", "amount", "dropped"):
        assert walk.variable(never) is None and walk.exclusion(never) is None, never


def test_the_pairs_file_comes_first_and_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "1-2.yml"
    path.write_text(yaml.safe_dump(LISTED, sort_keys=False, allow_unicode=True), encoding="utf-8")
    walk = crosswalk.crosswalk_between(EARLIER, LATER, tmp_path)
    assert walk.source == str(path)
    assert [(v.to_var, v.inferred) for v in walk.variables] == [
        ("new_name", False), ("withdrawn", False), ("listed_same", False), ("same", True), ("reworded", True)]
    assert walk.variable("listed_same").choices == {"b": "a", "a": "b"}  # the file's map, not an identity
    assert walk.variable("new_name").from_var == "old_name"
    assert walk.variable("withdrawn") is None and walk.exclusion("withdrawn").note.en == "Redefined"
    assert walk.exclusion("same") is None and walk.exclusion("nowhere") is None

    path.write_text(path.read_text(encoding="utf-8").replace("from: old_name", "from: older_name"), encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        crosswalk.crosswalk_between(EARLIER, LATER, tmp_path)
    assert info.value.message == "1-2.yml does not match codebooks 1 and 2"
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (str(path), 4, "from", "older_name")


def test_an_excluded_entry_must_name_variables_of_both_waves() -> None:
    walk = _walk({"from": "gone_from", "to": "gone_to", "exclude": True, "note": {"ja": "注", "en": "Note"}},
                 {"from": "band", "to": "band", "exclude": True, "note": {"ja": "注", "en": "Note"}})
    message, problems = _all_problems(walk)
    assert message == "walk.yml does not match codebooks 1 and 2"
    assert problems == [
        Problem("no variable 'gone_from' in codebook 1", file="walk.yml", row=10, column="from", value="gone_from",
                expected="one of band, kind, used"),
        Problem("no variable 'gone_to' in codebook 2", file="walk.yml", row=10, column="to", value="gone_to",
                expected="one of band, kind, used"),
    ]


def test_an_exclusion_maps_nothing_and_says_why() -> None:
    with pytest.raises(ValueError, match="band: an excluded question maps no choices"):
        _walk({"from": "band", "to": "band", "exclude": True, "choices": {"low": "low_mid"},
               "note": {"ja": "注", "en": "Note"}})
    with pytest.raises(ValueError, match=r"band: say why it is excluded, in a note \(ja and en\)"):
        _walk({"from": "band", "to": "band", "exclude": True})


def test_an_entry_without_choices_is_located() -> None:
    message, problems = _all_problems(_walk({"from": "used", "to": "used"}, {"from": "band", "to": "band"}))
    assert message == "walk.yml does not match codebooks 1 and 2"
    assert problems == [
        Problem("used: no choices mapped", file="walk.yml", row=10, column="choices",
                expected="a map of choice keys, or exclude: true with a note"),
        Problem("band: no choices mapped", file="walk.yml", row=15, column="choices",
                expected="a map of choice keys, or exclude: true with a note"),
    ]


def test_folded_ordinal_buckets_may_share_a_target_but_not_cross() -> None:
    fine = {"low": "low_mid", "mid": "low_mid", "high": "top"}
    validate_crosswalk(_walk({"from": "band", "to": "band", "choices": fine}), OLD, NEW)
    listed_backwards = {"high": "top", "low": "low_mid", "mid": "high"}  # file order is not scale order
    validate_crosswalk(_walk({"from": "band", "to": "band", "choices": listed_backwards}), OLD, NEW)
    crossing = {"low": "high", "mid": "low_mid", "high": "top"}
    _, problems = _all_problems(_walk({"from": "band", "to": "band", "choices": crossing}))
    assert problems == [Problem("band: 'mid' comes after 'low' but maps to an earlier bucket", file="walk.yml",
                                row=10, column="choices.mid", value="low_mid", expected="'high' or a later bucket")]


def test_sources_of_a_later_choice_are_listed_in_file_order() -> None:
    vm = _walk({"from": "band", "to": "band", "choices": {"high": "high", "mid": "low_mid", "low": "low_mid"}}
               ).variable("band")
    assert vm.sources("low_mid") == ["mid", "low"]
    assert vm.sources("high") == ["high"] and vm.sources("top") == []


# ------------------------------------------------------------------ the draft for the editor


DRAFT_HEAD = """\
# Which answers of the 1 wave can be compared with the 2 wave, and how.
#
# Questions whose key, answer type and choices are identical in both codebooks are compared
# without being listed here. The commented entries below are the questions whose choices
# changed. For each: map every 1 choice key to a 2 choice key (several may
# fold into one; one left out keeps its answers out of the comparison), or replace `choices`
# with `exclude: true` to show the question without comparison; write the note in both
# languages (readers see it); then uncomment the entry and delete the `[]` after `variables:`.
# Until then the question is shown without comparison, and the build says so.
from_wave: "1"
to_wave: "2"
variables: []
"""


def test_the_draft_lists_every_changed_question_commented_out() -> None:
    books = (_codebook("1", _question("band", "ordinal", ["low", "mid", "high"]),
                       _question("kind", "single", ["a", "b"]), _question("same", "single", ["a"])),
             _codebook("2", _question("band", "ordinal", ["low_mid", "high", "top"]),
                       _question("kind", "single", ["b", "a"]), _question("same", "single", ["a"])))
    found = crosswalk.compare_codebooks(*books)
    assert found.changed == ("band", "kind")
    draft = crosswalk.draft_text(*books, found)
    note = ["#    note:", "#      ja: ", "#      en: "]  # the editor writes both after the colon
    assert draft == DRAFT_HEAD + "\n".join([
        "#  - from: band", "#    to: band", "#    choices:",
        "#      low: ?   # no 2 choice low: map it, or leave it out",
        "#      mid: ?   # no 2 choice mid: map it, or leave it out",
        "#      high: high",
        "#    # new in 2: low_mid, top",
        *note,
        "#  - from: kind", "#    to: kind", "#    choices:", "#      a: a", "#      b: b",  # only the order changed
        *note,
    ]) + "\n"
    assert yaml.safe_load(draft) == {"from_wave": "1", "to_wave": "2", "variables": []}  # compares nothing yet


def test_a_finished_draft_is_a_crosswalk_that_matches_both_codebooks(tmp_path: Path) -> None:
    books = (_codebook("1", _question("band", "ordinal", ["low", "mid", "high"])),
             _codebook("2", _question("band", "ordinal", ["low_mid", "high"])))
    draft = crosswalk.draft_text(*books, crosswalk.compare_codebooks(*books))
    finished = (draft.replace("variables: []", "variables:").replace("?   # no 2 choice", "low_mid  # no 2 choice")
                .replace("ja: ", "ja: 合算").replace("en: ", "en: Folded"))
    finished = "\n".join(line[1:] if line.startswith("#  ") else line for line in finished.splitlines())
    path = tmp_path / "1-2.yml"
    path.write_text(finished, encoding="utf-8")
    walk = load_crosswalk(path)
    validate_crosswalk(walk, *books)
    assert walk.variable("band").choices == {"low": "low_mid", "mid": "low_mid", "high": "high"}
    assert walk.variable("band").note.en == "Folded"


def test_a_draft_without_changed_questions_is_the_header_alone() -> None:
    again = _book("2", {"band": ("ordinal", ["low", "mid", "high", "dk"]), "used": ("multi", ["x", "y", "z"]),
                        "kind": ("single", ["a", "b"])})
    found = crosswalk.compare_codebooks(OLD, again)
    assert found.identical == ("band", "used", "kind")
    assert crosswalk.draft_text(OLD, again, found) == DRAFT_HEAD


def test_entries_after_an_exclusion_are_checked_too() -> None:
    excluded = {"from": "used", "to": "used", "exclude": True, "note": {"ja": "注", "en": "Note"}}
    _, problems = _all_problems(_walk(excluded, {"from": "band", "to": "band", "choices": {"low": "nowhere"}},
                                      excluded))
    assert problems == [
        Problem("band has no choice 'nowhere' in codebook 2", file="walk.yml", row=15, column="choices.low",
                value="nowhere", expected="one of low_mid, high, top, dk_new"),
        Problem("variables[2]: used is mapped twice", file="walk.yml", row=20, value="used",
                expected="one entry per 2 variable"),
    ]


def test_a_protected_run_perturbs_the_earlier_waves_answers_with_that_waves_keys() -> None:
    """Perturbed exactly as any researcher table: the cells' and population's ids through the
    earlier wave's keys; a single answer's base is its perturbed substantive counts, a multiple
    answer's base a perturbed count of its own that no choice exceeds."""
    rows = 40
    survey = _survey(band=[1, 2, 3, 4, None] * (rows // 5),
                     used__x=[True, False, None, True] * (rows // 4), used__y=[False, True, None, False] * (rows // 4),
                     used__z=[True, True, None, False] * (rows // 4))
    everyone = pd.Series(True, index=survey.responses.index)
    protection = Protection(b"\x21" * 32)
    walk = _walk(BAND, USED)

    def ids_where(mask: pd.Series) -> list[str]:
        return [str(r) for r in mask.index[mask.fillna(False).to_numpy(dtype=bool)]]

    band = survey.responses["band"]
    answered = ids_where(band.notna())
    cells = {"low_mid": ids_where(band.isin([1, 2])), "high": ids_where(band == 3), "top": [],
             "dk_new": ids_where(band == 4)}
    expected = protection.counts("1", cells, answered)
    assert expected != {k: len(v) for k, v in cells.items()}, "some count must be perturbed"
    assert expected != protection.counts("2", cells, answered), "the keys of the earlier wave, not another's"
    table = share_in_target_terms(survey, everyone, "band", NEW, walk, protection=protection).set_index("choice_key")
    assert table["count"].to_dict() == expected
    base = expected["low_mid"] + expected["high"] + expected["top"]
    assert set(table["base"]) == {base}
    assert table.loc["high", "pct"] == round(100 * expected["high"] / base, 1)

    ticked = survey.multi("used")
    answered = ids_where(ticked.notna().any(axis=1))
    cells = {"xy": ids_where(ticked["x"] | ticked["y"]), "z": ids_where(ticked["z"]), "w": [], "dk_none": []}
    counts = protection.counts("1", cells, answered)
    base = protection.count("1", answered, answered)
    table = share_in_target_terms(survey, everyone, "used", NEW, walk, protection=protection).set_index("choice_key")
    assert table["count"].to_dict() == {k: min(n, base) for k, n in counts.items()}
    assert set(table["base"]) == {base}
    exact = share_in_target_terms(survey, everyone, "used", NEW, walk).set_index("choice_key")
    assert exact["count"].to_dict() == {"xy": 30, "z": 20, "w": 0, "dk_none": 0} and set(exact["base"]) == {30}
    assert table["count"].to_dict() != exact["count"].to_dict()
