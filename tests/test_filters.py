"""Filters, routing and population rules: every operator on every kind of question, by the
respondents it keeps, and every way a filter can be wrong, by the message it gives."""

from __future__ import annotations

import pandas as pd
import pytest

from hakusho.errors import FilterError, Problem
from hakusho.messages import text
from hakusho.survey import filters
from hakusho.survey.codebook import Codebook, Condition
from hakusho.survey.filters import (
    check_conditions,
    condition_mask,
    conditions_mask,
    describe_filters,
    filter_label,
    filter_slug,
    normalize_filters,
    parse_filter,
    resolve_choice,
    resolve_variable,
)

SURVEY = {"title": {"ja": "試験", "en": "Test"}, "publisher": {"ja": "試験", "en": "Test"},
          "method": {"ja": "ウェブ", "en": "Web"}, "target": {"ja": "誰でも", "en": "Anyone"},
          "period_start": "2024-12-01", "period_end": "2024-12-31"}
DONT_KNOW = {"code": 9, "key": "dk", "ja": "わからない", "en": "Don't know", "in_base": False}
QUESTIONS = [
    # An ordinal scale with bounds (filtered by bound or by choice) and a "don't know".
    {"id": "employees", "column": "Q1", "type": "ordinal", "text": {"ja": "従業員数", "en": "Employees"},
     "unit": {"ja": "名", "en": "employees"},
     "choices": [{"code": 1, "key": "small", "ja": "1〜99名", "en": "1–99", "lower": 1, "upper": 100},
                 {"code": 2, "key": "mid", "ja": "100〜999名", "en": "100–999", "lower": 100, "upper": 1000},
                 {"code": 3, "key": "large", "ja": "1,000名以上", "en": "1,000+", "lower": 1000},
                 DONT_KNOW]},
    # An ordinal scale without bounds: only its order.
    {"id": "stage", "column": "Q2", "type": "ordinal", "text": {"ja": "段階", "en": "Stage"},
     "choices": [{"code": i, "key": k, "ja": f"段階{k}", "en": f"Stage {k}"} for i, k in enumerate("abcd", start=1)]
     + [DONT_KNOW]},
    {"id": "route", "column": "Q3", "type": "single", "text": {"ja": "回答経路", "en": "Route"},
     "choices": [{"code": 1, "key": "panel", "ja": "調査会社経由", "en": "Survey panel"},
                 {"code": 2, "key": "sns", "ja": "SNS経由", "en": "Social media"},
                 {"code": 3, "key": "mail", "ja": "メール", "en": "Mail"}]},
    {"id": "tools", "column": "Q4", "type": "multi", "text": {"ja": "ツール", "en": "Tools"},
     "choices": [{"code": 1, "key": "crm", "ja": "CRM", "en": "CRM"},
                 {"code": 2, "key": "sheet", "ja": "表計算", "en": "Spreadsheet"},
                 {"code": 3, "key": "ai", "ja": "AI", "en": "AI"}]},
    {"id": "age", "column": "Q5", "type": "numeric", "text": {"ja": "年齢", "en": "Age"}},
    # Buckets open at both ends.
    {"id": "revenue", "column": "Q7", "type": "ordinal", "text": {"ja": "売上", "en": "Revenue"},
     "choices": [{"code": 1, "key": "under_1", "ja": "1億円未満", "en": "Under ¥100m", "upper": 1},
                 {"code": 2, "key": "r1_10", "ja": "1〜10億円", "en": "¥100m–¥1bn", "lower": 1, "upper": 10},
                 {"code": 3, "key": "r10_plus", "ja": "10億円以上", "en": "¥1bn+", "lower": 10}]},
    {"id": "comment", "column": "Q6", "type": "text", "text": {"ja": "自由記述", "en": "Comment"}},
]
NA = None
# id: employees, stage, route, (crm, sheet, ai), age
ROWS = {
    "r1": ("small", "a", "panel", (True, False, False), 25),
    "r2": ("mid", "b", "sns", (True, True, False), 40),
    "r3": ("large", "c", "mail", (False, False, True), 55),
    "r4": ("dk", "d", "panel", (False, False, False), NA),
    "r5": (NA, "dk", "sns", (NA, NA, NA), 30),
    "r6": ("mid", NA, NA, (False, True, False), 40.5),
    "r7": ("large", "d", "panel", (True, False, True), 100),
    "r8": ("small", "a", "sns", (NA, NA, NA), 0),
}
REVENUE = {"r1": "under_1", "r2": "r1_10", "r3": "r10_plus", "r4": NA, "r5": "under_1", "r6": "r10_plus",
           "r7": "r1_10", "r8": "r10_plus"}


def codebook() -> Codebook:
    return Codebook.model_validate({"wave": "2025", "survey": SURVEY, "id_column": "ID", "questions": QUESTIONS})


def responses() -> pd.DataFrame:
    book = codebook()
    index = pd.Index(list(ROWS), name="respondent_id")
    data: dict[str, pd.Series] = {}
    for position, qid in enumerate(("employees", "stage", "route")):
        q = book.question(qid)
        codes = [None if r[position] is None else q.choice(r[position]).code for r in ROWS.values()]
        data[qid] = pd.Series(codes, index=index, dtype="Int64")
    for i, key in enumerate(("crm", "sheet", "ai")):
        data[f"tools__{key}"] = pd.Series([r[3][i] for r in ROWS.values()], index=index, dtype="boolean")
    data["age"] = pd.Series([r[4] for r in ROWS.values()], index=index, dtype="Float64")
    data["comment"] = pd.Series(["x"] * len(ROWS), index=index, dtype="string")
    revenue = book.question("revenue")
    data["revenue"] = pd.Series([None if v is None else revenue.choice(v).code for v in REVENUE.values()],
                                index=index, dtype="Int64")
    return pd.DataFrame(data, index=index)


def kept(var: str, op: str, value: object) -> set[str]:
    mask = condition_mask(codebook(), responses(), Condition(var=var, op=op, value=value))
    assert mask.dtype == bool and mask.index.equals(responses().index)
    return set(mask[mask].index)


def fails(var: str, op: str, value: object) -> FilterError:
    with pytest.raises(FilterError) as info:
        condition_mask(codebook(), responses(), Condition(var=var, op=op, value=value))
    return info.value


# --------------------------------------------------------------------------- ordinal, by choice


@pytest.mark.parametrize(("op", "value", "expected"), [
    (">=", "b", {"r2", "r3", "r4", "r7"}),  # the boundary choice itself is in
    (">", "b", {"r3", "r4", "r7"}),
    ("<=", "b", {"r1", "r2", "r8"}),
    ("<", "b", {"r1", "r8"}),
    (">=", "a", {"r1", "r2", "r3", "r4", "r7", "r8"}),
    (">", "d", set()),
    ("<=", "d", {"r1", "r2", "r3", "r4", "r7", "r8"}),
    ("<", "a", set()),
    (">=", "Stage c", {"r3", "r4", "r7"}),  # by label, either language
    ("<", "段階c", {"r1", "r2", "r8"}),
    (">=", 2, {"r2", "r3", "r4", "r7"}),  # by code: a scale without bounds has no numbers to compare
    (">", "2", {"r3", "r4", "r7"}),
])
def test_an_ordinal_without_bounds_compares_by_questionnaire_order(op: str, value: object,
                                                                    expected: set[str]) -> None:
    assert kept("stage", op, value) == expected


@pytest.mark.parametrize(("op", "expected"), [
    (">=", {"r2", "r3", "r6", "r7"}),
    (">", {"r3", "r7"}),
    ("<=", {"r1", "r2", "r6", "r8"}),
    ("<", {"r1", "r8"}),
])
def test_an_ordinal_with_bounds_compares_by_choice_when_given_a_choice(op: str, expected: set[str]) -> None:
    """``employees >= mid`` keeps the boundary group: the planted ``>`` for ``>=`` must fail here."""
    assert kept("employees", op, "mid") == expected


def test_a_dont_know_has_no_place_in_the_order() -> None:
    error = fails("stage", ">=", "dk")
    assert error.message == "filter: 'dk' has no place in the order of stage"


def test_an_unknown_choice_in_an_order_names_where_the_rule_comes_from() -> None:
    with pytest.raises(FilterError, match=r"^routing of q7: 'zz' is not a choice of stage$"):
        condition_mask(codebook(), responses(), Condition(var="stage", op=">=", value="zz"), source="routing of q7")
    with pytest.raises(FilterError, match=r"^population p: 'zz' is not a choice of tools$"):
        condition_mask(codebook(), responses(), Condition(var="tools", op="includes", value="zz"),
                       source="population p")


# --------------------------------------------------------------------------- ordinal, by bound


@pytest.mark.parametrize(("op", "bound", "expected"), [
    (">=", 100, {"r2", "r3", "r6", "r7"}),
    (">", 100, {"r2", "r3", "r6", "r7"}),  # a bound falls between buckets: > and >= keep the same ones
    ("<=", 1000, {"r1", "r2", "r6", "r8"}),
    ("<", 1000, {"r1", "r2", "r6", "r8"}),
    (">=", 1000, {"r3", "r7"}),
    ("<", 100, {"r1", "r8"}),
    (">=", 1, {"r1", "r2", "r3", "r6", "r7", "r8"}),
    ("<", 1, set()),
    (">=", "1000", {"r3", "r7"}),  # numbers may come as text
    ("<", 100.0, {"r1", "r8"}),
])
def test_an_ordinal_with_bounds_compares_whole_buckets_by_bound(op: str, bound: object, expected: set[str]) -> None:
    assert kept("employees", op, bound) == expected


@pytest.mark.parametrize(("op", "bound", "expected"), [
    ("<", 1, {"r1", "r5"}),
    ("<=", 10, {"r1", "r2", "r5", "r7"}),
    (">=", 1, {"r2", "r3", "r6", "r7", "r8"}),
    (">", 10, {"r3", "r6", "r8"}),
])
def test_open_ended_buckets_compare_by_their_one_bound(op: str, bound: int, expected: set[str]) -> None:
    assert kept("revenue", op, bound) == expected


def test_a_number_inside_a_bucket_is_refused_with_the_boundaries() -> None:
    error = fails("employees", ">=", 500)
    assert error.message == "filter: 500 is not a bucket boundary of employees"
    assert error.problems == [Problem("a number must fall between buckets", column="employees", value=500,
                                      expected="one of 1 employees, 100 employees, 1000 employees")]


def test_boundaries_are_listed_without_a_unit_when_the_question_has_none() -> None:
    book = codebook().model_dump(mode="json", by_alias=True, exclude_none=True)
    for q in book["questions"]:
        q.pop("unit", None)
    with pytest.raises(FilterError) as info:
        condition_mask(Codebook.model_validate(book), responses(), Condition(var="employees", op="<", value=50))
    assert info.value.problems[0].expected == "one of 1, 100, 1000"


# --------------------------------------------------------------------------- single answers


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("==", "sns", {"r2", "r5", "r8"}),
    ("!=", "sns", {"r1", "r3", "r4", "r7"}),  # no answer is neither sns nor not sns
    ("in", ["panel", "mail"], {"r1", "r3", "r4", "r7"}),
    ("not in", ["panel", "mail"], {"r2", "r5", "r8"}),
    ("in", ("mail",), {"r3"}),
    ("==", 2, {"r2", "r5", "r8"}),
    ("==", " 2 ", {"r2", "r5", "r8"}),
    ("==", "SNS経由", {"r2", "r5", "r8"}),
    ("==", "Social media", {"r2", "r5", "r8"}),
    ("!=", "Survey panel", {"r2", "r3", "r5", "r8"}),
])
def test_a_single_answer_is_matched_by_key_code_or_label(op: str, value: object, expected: set[str]) -> None:
    assert kept("route", op, value) == expected


def test_a_single_answer_refuses_order_multi_operators_and_lists_for_equality() -> None:
    assert fails("route", ">", "sns").message == "filter: route has no order; use == / != / in / not in"
    assert fails("route", ">", "sns").problems == [Problem("wrong operator for an unordered question",
                                                           column="route", value=">", expected="==, !=, in, not in")]
    error = fails("route", "includes", "sns")
    assert error.message == "filter: includes / excludes apply to multiple-answer questions; route is single"
    assert error.problems == [Problem("wrong operator", column="route", value="includes",
                                      expected="==, !=, in, not in")]
    assert fails("route", "==", ["sns", "mail"]).message == "filter: == takes one value; use in / not in for a list"
    assert fails("route", "!=", ["sns", "mail"]).message == "filter: != takes one value; use in / not in for a list"


def test_an_unknown_choice_is_named_with_the_nearest_valid_ones() -> None:
    error = fails("route", "==", "snss")
    assert error.message == "filter: 'snss' is not a choice of route"
    assert error.problems == [Problem("unknown choice", column="route", value="snss",
                                      expected="did you mean sns? valid: panel, sns, mail")]


# --------------------------------------------------------------------------- multiple answers


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("includes", "crm", {"r1", "r2", "r7"}),
    ("excludes", "crm", {"r3", "r4", "r6"}),  # only those who answered can leave a box unticked
    ("includes", ["crm", "ai"], {"r1", "r2", "r3", "r7"}),  # any of them
    ("excludes", ["crm", "ai"], {"r4", "r6"}),  # none of them
    ("==", "sheet", {"r2", "r6"}),
    ("in", ["sheet", "ai"], {"r2", "r3", "r6", "r7"}),
    ("!=", "sheet", {"r1", "r3", "r4", "r7"}),
    ("not in", ["sheet", "ai"], {"r1", "r4"}),
    ("includes", "Spreadsheet", {"r2", "r6"}),
    ("includes", 3, {"r3", "r7"}),
])
def test_multiple_answers_include_or_exclude_any_of_the_choices(op: str, value: object, expected: set[str]) -> None:
    assert kept("tools", op, value) == expected


def test_multiple_answers_have_no_order() -> None:
    error = fails("tools", ">=", "crm")
    assert error.message == "filter: tools is a multiple-answer question; use includes / excludes"
    assert error.problems == [Problem("wrong operator for a multiple-answer question", column="tools", value=">=",
                                      expected="includes, excludes, in, not in")]


# --------------------------------------------------------------------------- numbers and text


@pytest.mark.parametrize(("op", "value", "expected"), [
    (">=", 40, {"r2", "r3", "r6", "r7"}),
    (">", 40, {"r3", "r6", "r7"}),
    ("<", 30, {"r1", "r8"}),
    ("<=", 30, {"r1", "r5", "r8"}),
    ("==", 40, {"r2"}),
    ("!=", 40, {"r1", "r3", "r5", "r6", "r7", "r8"}),  # no answer is left out, as for choices
    ("==", "40.5", {"r6"}),
    ("in", [25, "30"], {"r1", "r5"}),
    ("not in", [25, 30], {"r2", "r3", "r6", "r7", "r8"}),
    (">=", "-1", {"r1", "r2", "r3", "r5", "r6", "r7", "r8"}),
])
def test_a_numeric_answer_compares_as_a_number(op: str, value: object, expected: set[str]) -> None:
    assert kept("age", op, value) == expected


def test_a_numeric_answer_needs_a_number() -> None:
    error = fails("age", ">=", "forty")
    assert error.message == "filter: age is numeric; 'forty' is not a number"
    assert error.problems == [Problem("wrong type", column="age", value="forty", expected="a number")]
    assert fails("age", "==", True).message == "filter: age is numeric; 'True' is not a number"


def test_free_text_cannot_be_filtered() -> None:
    assert fails("comment", "==", "x").message == "filter: comment is free text and cannot be filtered on"


# --------------------------------------------------------------------------- variables, operators, AND


def test_an_unknown_variable_is_named_with_the_nearest_ones() -> None:
    error = fails("employes", "==", "small")
    assert error.message == "filter: unknown variable 'employes'"
    assert error.problems == [Problem("unknown variable", value="employes", expected="did you mean employees? "
                                      "valid: employees, stage, route, tools, age, revenue, comment")]


def test_an_unknown_operator_is_refused_with_the_valid_ones() -> None:
    cond = Condition.model_construct(var="route", op="~", value="sns")
    with pytest.raises(FilterError) as info:
        condition_mask(codebook(), responses(), cond, source="routing of x")
    assert info.value.message == ("routing of x: unknown operator '~' (valid: !=, <, <=, ==, >, >=, excludes, in, "
                                  "includes, not in)")


def test_a_filter_is_called_a_filter_unless_said_otherwise() -> None:
    with pytest.raises(FilterError, match=r"^filter: 'x' is not a choice of route$"):
        conditions_mask(codebook(), responses(), [Condition(var="route", op="==", value="x")])
    with pytest.raises(FilterError, match=r"^filter: 'x' is not a choice of route$"):
        resolve_choice(codebook().question("route"), "x")


def test_messages_name_where_the_condition_comes_from() -> None:
    with pytest.raises(FilterError, match=r"^population saas: unknown variable 'nope'$"):
        condition_mask(codebook(), responses(), Condition(var="nope", op="==", value=1), source="population saas")
    with pytest.raises(FilterError, match=r"^routing of q9: 'x' is not a choice of route$"):
        conditions_mask(codebook(), responses(), [Condition(var="route", op="==", value="x")], source="routing of q9")


@pytest.mark.parametrize(("var", "op", "value"), [
    ("employes", "==", "small"), ("route", "~", "sns"), ("tools", ">", "crm"), ("age", ">=", "forty"),
    ("comment", "==", "x"), ("route", "includes", "sns"), ("route", ">", "sns"), ("employees", "<", 500),
    ("route", "==", ["panel", "sns"]), ("route", "==", "x"), ("stage", "<", "dk"),
])
def test_a_filter_is_checked_without_data_as_it_is_when_applied(var: str, op: str, value: object) -> None:
    """A build refuses a wrong filter before reading data (check_conditions, no respondents): the
    same error, word for word, as applying it to respondents gives."""
    cond = Condition.model_construct(var=var, op=op, value=value)
    with pytest.raises(FilterError) as applied:
        condition_mask(codebook(), responses(), cond)
    with pytest.raises(FilterError) as checked:
        check_conditions(codebook(), [cond])
    assert (checked.value.message, checked.value.problems) == (applied.value.message, applied.value.problems)
    check_conditions(codebook(), [Condition(var="employees", op=">=", value=100),
                                  Condition(var="age", op="<", value=30)])


def test_conditions_combine_with_and_and_none_selects_everyone() -> None:
    book, frame = codebook(), responses()
    everyone = conditions_mask(book, frame, [])
    assert everyone.dtype == bool and everyone.all() and everyone.index.equals(frame.index)
    both = conditions_mask(book, frame, [Condition(var="route", op="==", value="panel"),
                                         Condition(var="employees", op=">=", value="large")])
    assert set(both[both].index) == {"r7"}


def test_the_closest_names_are_offered_and_a_long_list_is_cut() -> None:
    options = [f"choice_{i:02d}" for i in range(45)]
    text = filters._closest("choice_4", options)
    assert text.startswith("did you mean choice_44 or choice_43 or choice_42? valid: choice_00, choice_01, ")
    assert text.endswith("choice_39 …")
    assert text.count("choice_") == 3 + 40
    assert filters._closest("zzz", ["a", "b"]) == "valid: a, b"
    assert not filters._closest("zzz", options[:40]).endswith("…")  # forty are shown whole
    assert filters._closest("zzz", options[:41]).endswith("choice_39 …")


def test_resolve_choice_accepts_every_name_of_a_choice() -> None:
    route = codebook().question("route")
    for name in ("mail", 3, "3", " 3", "メール", "Mail"):
        assert resolve_choice(route, name) == 3
    with pytest.raises(FilterError, match=r"^routing of q: 'post' is not a choice of route$"):
        resolve_choice(route, "post", source="routing of q")


# --------------------------------------------------------------------------- reading a filter


@pytest.mark.parametrize(("text", "expected"), [
    ("employees >= 1000", ("employees", ">=", "1000")),
    ("  employees>=1000  ", ("employees", ">=", "1000")),
    ("employees < e100_299", ("employees", "<", "e100_299")),
    ("employees <= 1000", ("employees", "<=", "1000")),
    ("employees > 1000", ("employees", ">", "1000")),
    ("route == 'sns'", ("route", "==", "sns")),
    ('route != "sns"', ("route", "!=", "sns")),
    ("route in sns, mail", ("route", "in", ["sns", "mail"])),
    ("route not in [sns, 'mail',]", ("route", "not in", ["sns", "mail"])),
    ("route in [sns]", ("route", "in", ["sns"])),
    ("tools includes crm", ("tools", "includes", "crm")),
    ("industry includes saas", ("industry", "includes", "saas")),
    ("route in[sns,mail]", ("route", "in", ["sns", "mail"])),
    ("index == 1", ("index", "==", "1")),
    ("Employees >= 1000", ("Employees", ">=", "1000")),
    (("Employees", ">=", "1000"), ("Employees", ">=", "1000")),
    ("size == XL", ("size", "==", "XL")),
    ("size in XL, 'XS'", ("size", "in", ["XL", "XS"])),
    ("route in a, b]", ("route", "in", ["a", "b]"])),  # only a whole bracket pair is a list's brackets
    ("route in [a, b", ("route", "in", ["[a", "b"])),
    ("tools excludes ai", ("tools", "excludes", "ai")),
    (("employees", " >= ", " 1000 "), ("employees", ">=", "1000")),
    (["route", "in", "[a, b]"], ("route", "in", ["a", "b"])),
    (("age", ">", 30), ("age", ">", "30")),
])
def test_a_filter_is_read_into_a_condition(text: object, expected: tuple[str, str, object]) -> None:
    cond = parse_filter(text)  # type: ignore[arg-type]
    assert (cond.var, cond.op, cond.value) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("employees ~ 1000", "cannot read filter 'employees ~ 1000'"),
    ("employees", "cannot read filter 'employees'"),
    (("employees", ">="), "a filter has three parts (variable, operator, value), got ['employees', '>=']"),
    (("employees", "~", "1"), "unknown operator '~' in filter (valid: !=, <, <=, ==, >, >=, excludes, in, "
                              "includes, not in)"),
    (("1st", "==", "x"), "'1st' is not a variable name"),
    (("route x", "==", "x"), "'route x' is not a variable name"),
])
def test_a_filter_that_cannot_be_read_says_why(text: object, says: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text)  # type: ignore[arg-type]
    assert info.value.message == says


def test_an_unreadable_filter_shows_the_expected_form() -> None:
    with pytest.raises(FilterError) as info:
        parse_filter("route is sns")
    assert info.value.problems == [Problem("expected VARIABLE OPERATOR VALUE", value="route is sns",
                                           expected="e.g. employees >= 1000, route == sns, industry includes saas")]
    with pytest.raises(FilterError) as info:
        parse_filter(("1st", "==", "x"))
    assert info.value.problems == [Problem("bad variable name", value="1st")]


# --------------------------------------------------------------------------- naming a filter


def test_a_filter_is_described_in_one_line_and_named_for_a_folder() -> None:
    conds = [parse_filter("employees >= 1000"), parse_filter("route not in sns, mail"),
             parse_filter("tools includes crm")]
    assert describe_filters(conds) == "employees >= 1000 & route not in [sns, mail] & tools includes crm"
    assert filter_slug(conds) == "employees-ge-1000__route-notin-sns+mail__tools-has-crm"
    assert describe_filters([]) == "" and filter_slug([]) == ""


@pytest.mark.parametrize(("op", "word"), [("==", "eq"), ("!=", "ne"), ("<", "lt"), ("<=", "le"), (">", "gt"),
                                          (">=", "ge"), ("in", "in"), ("not in", "notin"), ("includes", "has"),
                                          ("excludes", "hasnot")])
def test_every_operator_has_its_word_in_a_folder_name(op: str, word: str) -> None:
    assert filter_slug([Condition(var="v", op=op, value="x")]) == f"v-{word}-x"


def test_a_folder_name_keeps_only_safe_characters_and_stays_short() -> None:
    assert filter_slug([Condition(var="route", op="==", value="SNS経由 / x")]) == "route-eq-SNS_x"
    long = filter_slug([Condition(var="route", op="in", value=[f"choice{i}" for i in range(40)])])
    assert len(long) == 120 and long.startswith("route-in-choice0+choice1+")


# --------------------------------------------------------------------------- researchers' filters


def conditions_of(filters: object, book: Codebook | None = None) -> tuple[list[tuple[str, str, object]], list]:
    conds, triples = normalize_filters(filters, book)  # type: ignore[arg-type]
    return [(c.var, c.op, c.value) for c in conds], triples


@pytest.mark.parametrize(("filters", "conditions", "triples"), [
    ("employees >= 1000", [("employees", ">=", "1000")], [["employees", ">=", "1000"]]),  # one text is one filter
    ("", [], []),
    ("   ", [], []),
    ([], [], []),
    ((), [], []),
    (["route == sns", ("age", ">=", 30.5)], [("route", "==", "sns"), ("age", ">=", 30.5)],
     [["route", "==", "sns"], ["age", ">=", 30.5]]),
    ([("route", "in", "sns, mail")], [("route", "in", ["sns", "mail"])], [["route", "in", "sns, mail"]]),
    ([("route", "not in", ("sns", "mail"))], [("route", "not in", ["sns", "mail"])],
     [["route", "not in", ["sns", "mail"]]]),
    ([["route", "==", 3]], [("route", "==", 3)], [["route", "==", 3]]),  # a number stays a number
    ([(" route ", " == ", "sns")], [("route", "==", "sns")], [["route", "==", "sns"]]),
    ([("route", "in", ",sns,,")], [("route", "in", ["sns"])], [["route", "in", ",sns,,"]]),
    ([("route", "not in", "sns, mail")], [("route", "not in", ["sns", "mail"])], [["route", "not in", "sns, mail"]]),
    ([("route", "==", "a,b")], [("route", "==", "a,b")], [["route", "==", "a,b"]]),  # only in / not in split
    ([("employees", ">=", -3)], [("employees", ">=", -3)], [["employees", ">=", -3]]),
])
def test_filters_are_read_as_conditions_and_kept_as_given(filters, conditions, triples) -> None:
    assert conditions_of(filters) == (conditions, triples)


@pytest.mark.parametrize(("filters", "message", "problem"), [
    ({"route": "sns"}, "filters must be a list of [variable, operator, value] triples, got dict",
     Problem("wrong type", value="{'route': 'sns'}", expected="a list of filters")),
    (5, "filters must be a list of [variable, operator, value] triples, got int",
     Problem("wrong type", value="5", expected="a list of filters")),
    ([("route", "==")], "a filter has three parts (variable, operator, value), got ('route', '==')",
     Problem("expected VARIABLE OPERATOR VALUE", value="('route', '==')")),
    ([7], "a filter has three parts (variable, operator, value), got 7",
     Problem("expected VARIABLE OPERATOR VALUE", value="7")),
    ([("route", "~", "x")], "unknown operator '~' in filter (valid: !=, <, <=, ==, >, >=, excludes, in, "
                            "includes, not in)",
     Problem("unknown operator", column="route", value="'~'",
             expected="!=, <, <=, ==, >, >=, excludes, in, includes, not in")),
    ([("route", 3, "x")], "unknown operator 3 in filter (valid: !=, <, <=, ==, >, >=, excludes, in, "
                          "includes, not in)",
     Problem("unknown operator", column="route", value="3",
             expected="!=, <, <=, ==, >, >=, excludes, in, includes, not in")),
    ([(5, "==", "x")], "a filter's variable must be a name, got 5",
     Problem("wrong type", value="5", expected="a variable name")),
    ([(" ", "==", "x")], "a filter's variable must be a name, got ' '",
     Problem("wrong type", value="' '", expected="a variable name")),
    ([("route", "==", True)], "filter on 'route': True is not a value a filter can take",
     Problem("wrong type", column="route", value="True", expected="a text, a number, or a list of them")),
    ([("route", "==", float("nan"))], "filter on 'route': nan is not a value a filter can take",
     Problem("wrong type", column="route", value="nan", expected="a text, a number, or a list of them")),
    ([("route", "==", float("inf"))], "filter on 'route': inf is not a value a filter can take",
     Problem("wrong type", column="route", value="inf", expected="a text, a number, or a list of them")),
    ([("route", "in", [])], "filter on 'route': [] is not a value a filter can take",
     Problem("wrong type", column="route", value="[]", expected="a text, a number, or a list of them")),
    ([("route", "in", ["sns", None])], "filter on 'route': ['sns', None] is not a value a filter can take",
     Problem("wrong type", column="route", value="['sns', None]", expected="a text, a number, or a list of them")),
    ([("route", "==", {"a": 1})], "filter on 'route': {'a': 1} is not a value a filter can take",
     Problem("wrong type", column="route", value="{'a': 1}", expected="a text, a number, or a list of them")),
    ([("employees", ">=", ["a", "b"])], "filter on 'employees': >= takes one value, got a list",
     Problem("wrong type", column="employees", value="['a', 'b']", expected="one value")),
    ([("employees", "<", ("a",))], "filter on 'employees': < takes one value, got a list",
     Problem("wrong type", column="employees", value="('a',)", expected="one value")),
])
def test_a_filter_of_the_wrong_shape_is_refused_before_any_respondent_is_read(filters, message, problem) -> None:
    with pytest.raises(FilterError) as info:
        normalize_filters(filters)
    assert info.value.message == message
    assert info.value.problems == [problem]


def short(message: str, limit: int) -> bool:
    """A message stays within ``limit`` characters in either language (what it quotes is cut)."""
    from hakusho.messages import text

    return all(len(text(message, lang)) <= limit for lang in ("en", "ja"))


def test_what_a_filter_says_about_itself_is_cut_short() -> None:
    long = "x" * 500
    with pytest.raises(FilterError) as info:
        normalize_filters([("route", long, "x")])
    assert short(info.value.message, 300) and info.value.problems[0].value == repr(long)[:80]
    with pytest.raises(FilterError) as info:
        normalize_filters([(("v",) * 100, "==", "x")])
    assert short(info.value.message, 200) and len(info.value.problems[0].value) == 80
    with pytest.raises(FilterError) as info:
        normalize_filters([("employees", ">=", [long])])
    assert info.value.problems[0].value == repr([long])[:80]
    with pytest.raises(FilterError) as info:
        normalize_filters([("route", "==", {long: 1})])
    assert short(info.value.message, 200) and len(info.value.problems[0].value) == 80
    with pytest.raises(FilterError) as info:
        normalize_filters([[long]])
    assert short(info.value.message, 200) and len(info.value.problems[0].value) == 80
    with pytest.raises(FilterError) as info:
        normalize_filters({long: 1})
    assert len(info.value.problems[0].value) == 80


@pytest.mark.parametrize(("filters", "conditions"), [
    ("Q1 >= 1000", [("employees", ">=", "1000")]),  # by column code
    ("Employees >= 1000", [("employees", ">=", "1000")]),  # by label, either language
    ("従業員数 >= 1000", [("employees", ">=", "1000")]),
    ("従業員数>=1000", [("employees", ">=", "1000")]),
    ("回答経路 not in sns, mail", [("route", "not in", ["sns", "mail"])]),
    ("回答経路 in [sns]", [("route", "in", ["sns"])]),
    ("ツール includes crm", [("tools", "includes", "crm")]),
    ("ツール excludes 'crm'", [("tools", "excludes", "crm")]),
    ("回答経路 == 'sns'", [("route", "==", "sns")]),
    ([("Q3", "==", "sns")], [("route", "==", "sns")]),
    ([("ROUTE", "==", "sns")], [("route", "==", "sns")]),
    ([(" survey panel? ", "==", 1)], [("survey panel?", "==", 1)]),  # unknown: left for the evaluator
])
def test_with_a_codebook_a_variable_may_be_named_by_column_or_label(filters, conditions) -> None:
    found, triples = conditions_of(filters, codebook())
    assert found == conditions
    assert [t[0] for t in triples] == [c[0] for c in conditions]


@pytest.mark.parametrize("text", ["unknown var >= 1", "従業員数 ~ 1000", "従業員数", "Employees"])
def test_a_text_naming_no_variable_is_still_unreadable(text: str) -> None:
    with pytest.raises(FilterError) as info:
        normalize_filters(text, codebook())
    assert info.value.message == f"cannot read filter '{text}'"
    with pytest.raises(FilterError):
        normalize_filters("従業員数 >= 1000")  # without a codebook, a label is not a variable


def test_resolve_variable_by_id_column_or_label_ignoring_case_and_spaces() -> None:
    book = codebook()
    for name in ("employees", " employees ", "EMPLOYEES", "Q1", "q1", "従業員数", " Employees"):
        assert resolve_variable(book, name) == "employees", name
    assert resolve_variable(book, "Social media") == "Social media"  # a choice is not a variable
    assert resolve_variable(book, "nope") == "nope"


# --------------------------------------------------------------------------- a filter in words


@pytest.mark.parametrize(("conditions", "ja", "en"), [
    ([("employees", ">=", "mid")], "従業員数 ≥ 「100〜999名」", 'Employees ≥ "100–999"'),
    ([("employees", ">", "mid")], "従業員数 > 「100〜999名」", 'Employees > "100–999"'),
    ([("employees", "<=", 1000)], "従業員数 ≤ 1000", "Employees ≤ 1000"),
    ([("age", "<", 30)], "年齢 < 30", "Age < 30"),
    ([("route", "==", "sns")], "回答経路が「SNS経由」", 'Route is "Social media"'),
    ([("route", "in", ["sns", 3])], "回答経路が「SNS経由」・「メール」", 'Route is "Social media" or "Mail"'),
    ([("route", "!=", "Survey panel")], "回答経路が「調査会社経由」以外", 'Route is not "Survey panel"'),
    ([("route", "not in", ["sns"])], "回答経路が「SNS経由」以外", 'Route is not "Social media"'),
    ([("route", "!=", "zzz")], "回答経路がzzz以外", "Route is not zzz"),
    ([("tools", "includes", ["crm", "ai"])], "ツールに「CRM」・「AI」を含む", 'Tools includes "CRM" or "AI"'),
    ([("tools", "excludes", "crm")], "ツールに「CRM」を含まない", 'Tools excludes "CRM"'),
    ([("employees", ">=", "large"), ("route", "==", "sns")], "従業員数 ≥ 「1,000名以上」、かつ回答経路が「SNS経由」",
     'Employees ≥ "1,000+" and Route is "Social media"'),
    ([("route", "in", ("sns", "mail")), ("tools", "excludes", "crm")],
     "回答経路が「SNS経由」・「メール」、かつツールに「CRM」を含まない",
     'Route is "Social media" or "Mail" and Tools excludes "CRM"'),
    ([], "", ""),
])
def test_a_filter_reads_in_words_with_the_codebooks_labels(conditions, ja: str, en: str) -> None:
    conds = [Condition(var=v, op=o, value=x) for v, o, x in conditions]
    assert filter_label(conds, codebook()) == {"ja": ja, "en": en}


# --------------------------------------------------------------------------- where a condition comes from


@pytest.mark.parametrize(("source", "en", "ja"), [
    ("filter", "filter", "絞り込み"),
    ("routing of q9", "routing of q9", "q9 の回答対象者の条件"),
    ("population saas", "population saas", "母集団 saas"),
    ("population saas doing", "population saas doing", "母集団 saas doing"),
    ("segment enterprise", "segment enterprise", "セグメント enterprise"),
    ("workbook sheet", "workbook sheet", "workbook sheet"),  # any other source is named as given
    ("populations x", "populations x", "populations x"),
    ("Filter", "Filter", "Filter"),
])
def test_messages_name_where_the_condition_comes_from_in_both_languages(source: str, en: str, ja: str) -> None:
    nope = Condition(var="nope", op="==", value=1)
    for call in (lambda: condition_mask(codebook(), responses(), nope, source=source),
                 lambda: check_conditions(codebook(), [nope], source=source),
                 lambda: filters.resolve_condition(codebook(), nope, source=source)):
        with pytest.raises(FilterError) as info:
            call()
        assert info.value.message == f"{en}: unknown variable 'nope'"
        assert text(info.value.message, "ja") == f"{ja}：'nope' という項目はありません"


def test_a_condition_checked_alone_is_called_a_filter_unless_said_otherwise() -> None:
    with pytest.raises(FilterError) as info:
        filters.resolve_condition(codebook(), Condition(var="nope", op="==", value=1))
    assert info.value.message == "filter: unknown variable 'nope'"
    assert text(info.value.message, "ja") == "絞り込み：'nope' という項目はありません"


@pytest.mark.parametrize(("var", "op", "value", "selected"), [
    ("route", "==", "sns", [2]),
    ("route", "in", ["panel", "メール"], [1, 3]),
    ("route", "!=", "Survey panel", [1]),
    ("tools", "includes", "crm", [1]),
    ("tools", "excludes", ["AI", "sheet"], [3, 2]),
    ("employees", ">=", 100, [2, 3]),
    ("employees", "<", "1000", [1, 2]),
    ("stage", "<=", "b", [1, 2]),
    ("age", ">=", "30", 30.0),
    ("age", "in", [1, "2"], [1.0, 2.0]),
])
def test_a_condition_resolves_to_its_question_and_what_it_selects(var: str, op: str, value: object,
                                                                  selected: object) -> None:
    question, found = filters.resolve_condition(codebook(), Condition(var=var, op=op, value=value))
    assert question == codebook().question(var)
    assert found == selected


def test_boundaries_are_listed_in_the_readers_language_with_its_unit() -> None:
    error = fails("employees", ">=", 500)
    (problem,) = error.problems
    assert text(problem.expected, "en") == "one of 1 employees, 100 employees, 1000 employees"
    assert text(problem.expected, "ja") == "1名、100名、1000名 のいずれか"
    assert text(error.message, "ja") == "絞り込み：500 は employees の区分の境目ではありません"


def test_long_wrong_parts_are_quoted_cut_to_a_readable_length() -> None:
    var, op, value, item = list(range(100)), "~" * 200, [list(range(100))], ["route"] * 60
    with pytest.raises(FilterError) as info:
        normalize_filters([[var, "==", 1]])
    assert info.value.message == f"a filter's variable must be a name, got {repr(var)[:120]}"
    assert info.value.problems[0].value == repr(var)[:80]
    with pytest.raises(FilterError) as info:
        normalize_filters([["route", op, 1]])
    assert info.value.message.startswith(f"unknown operator {repr(op)[:80]} in filter (valid: ")
    with pytest.raises(FilterError) as info:
        normalize_filters([["route", "==", value]])
    assert info.value.message == f"filter on 'route': {repr(value)[:120]} is not a value a filter can take"
    with pytest.raises(FilterError) as info:
        normalize_filters([item])
    assert info.value.message == f"a filter has three parts (variable, operator, value), got {repr(item)[:120]}"
    assert info.value.problems[0].value == repr(item)[:80]
