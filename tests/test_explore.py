"""The explorer's tables: every question by every breakdown and segment, as the page carries them."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from raw_tables import raw_breakdown

from hakusho.analysis.compare import distribution_chi2_test
from hakusho.analysis.contingency import FISHER_TEST, two_proportions
from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW
from hakusho.analysis.explore import (
    SEGMENT_BREAKDOWN,
    TOTAL,
    breakdowns,
    compute_explorer,
    explore_questions,
    explore_table,
    write_explorer,
)
from hakusho.analysis.spec import Spec, default_spec
from hakusho.analysis.tabulate import share_of_base
from hakusho.build_folder import read_figures
from hakusho.errors import CodebookError
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.load import load_waves
from hakusho.text.figure_diff import diff_figures


@lru_cache(maxsize=1)
def survey_2025():
    """The shipped sample of 2025, loaded once."""
    return load_waves("2025")[0]


@pytest.fixture(scope="module")
def result():
    return compute_explorer(survey_2025())


def _spec_of(*questions: str) -> Spec:
    """The report's spec with the charts of ``questions`` only: the explorer of those questions.
    A table is counted from its own question and groups, so its counts are the full explorer's
    (a test reading a few tables of a filtered run needs no more)."""
    data = default_spec().model_dump()
    for chapter in data["chapters"]:
        for slide in chapter["slides"]:
            slide["charts"] = [c for c in slide["charts"] if (c["question"] or c["id"]) in questions]
    return Spec.model_validate(data)


# The questions the protection tests read: a researcher's run computes them alone.
ATTACKED = ("income", "income_change", "cs_career")


def _cut(breakdown_id: str):
    return next(b for b in breakdowns(default_spec(), load_codebook("2025")) if b.id == breakdown_id)


def _question(qid: str):
    return next(q for q in explore_questions(default_spec(), load_codebook("2025")) if q.id == qid)


def test_every_chart_question_by_every_breakdown_in_every_segment(result) -> None:
    spec, book = default_spec(), load_codebook("2025")
    questions = explore_questions(spec, book)
    charted = {c.variable for ch in spec.chapters for c in ch.charts if c.wave == "report"}
    assert {q.id for q in questions} == charted
    assert "kpi_drivers" not in charted  # a 2023-only question has no explorer table
    cuts = breakdowns(spec, book)
    assert [c.id for c in cuts] == ["route", "employees", "revenue", "department", "position", "cs_headcount",
                                    "cs_years", SEGMENT_BREAKDOWN]
    expected = {(s, q.id, c.id) for s in spec.segments for q in questions for c in cuts
                if c.id != q.id and s in c.segments}
    got = {(t.segment, t.question, t.breakdown) for t in result.tables}
    assert got == expected
    # The split into SaaS and non-SaaS only where the segment holds both.
    assert {t.segment for t in result.tables if t.breakdown == SEGMENT_BREAKDOWN} == {"all"}


def test_nrr_by_company_size_equals_counting_the_raw_csv(result) -> None:
    table = result.table("nrr", "employees", "saas")
    raw = raw_breakdown("nrr", "employees")
    book = load_codebook("2025")
    employees = book.question("employees")
    assert table.groups == (TOTAL, *(c.key for c in employees.choices))
    for i, key in enumerate(table.groups[1:], start=1):
        group = raw[employees.choice(key).code]
        assert int(table.bases[i]) == group.n, key
        for j, choice in enumerate(book.question("nrr").choices):
            assert int(table.counts[i, j]) == group.counts[choice.code], (key, choice.key)
            if group.n >= SUPPRESS_BELOW:
                assert float(table.pcts[i, j]) == group.shares[choice.code], (key, choice.key)
            else:
                assert np.isnan(table.pcts[i, j])
    assert int(table.bases[0]) == sum(g.n for g in raw.values())


def test_the_total_row_is_the_reports_chart(result) -> None:
    survey = survey_2025()
    chart = share_of_base(survey, "nrr", survey.population("saas_doing"))
    table = result.table("nrr", "route", "saas")
    assert list(table.counts[0]) == chart["count"].tolist()
    assert list(table.pcts[0]) == chart["pct"].tolist()


def test_groups_under_the_line_show_counts_and_no_share(result) -> None:
    small = 0
    for table in result.tables:
        for i, n in enumerate(table.bases):
            level = table.levels[i]
            if n < SUPPRESS_BELOW:
                small += 1
                assert np.isnan(table.pcts[i]).all()
                assert level in ("suppressed", "empty")
            elif n < INDICATIVE_BELOW:
                assert level == "indicative"
            else:
                assert level == "ok"
            assert table.counts[i].sum() >= 0
    assert small > 50  # the synthetic sample has many small groups: the rule is exercised


def test_each_group_is_tested_against_the_rest_with_the_reports_tests(result) -> None:
    table = result.table("tools", "route", "saas")  # multiple answers: a z-test per choice
    sns, panel = table.groups.index("sns"), table.groups.index("panel")
    for j in range(len(table.choices)):
        # The z-test, or Fisher's exact test where Cochran's rule finds the 2×2 table sparse.
        found = two_proportions(int(table.counts[sns, j]), int(table.bases[sns]),
                                int(table.counts[panel, j]), int(table.bases[panel]))
        assert table.p_values[sns, j] == pytest.approx(1.0 if found is None else found.p_value)
        higher = table.counts[sns, j] / table.bases[sns] > table.counts[panel, j] / table.bases[panel]
        assert table.directions[sns, j] == (1 if higher else -1 if table.counts[sns, j] * table.bases[panel]
                                            != table.counts[panel, j] * table.bases[sns] else 0)
    ordinal = result.table("nrr", "route", "saas")  # ordered answers: the distribution, once per group
    rest = ordinal.counts[0] - ordinal.counts[1]
    assert ordinal.p_values[1, 0] == pytest.approx(distribution_chi2_test(list(ordinal.counts[1]), list(rest)))
    assert len(set(ordinal.p_values[1].tolist())) == 1
    doc = ordinal.document()
    assert doc["rows"][1]["directions"] == [None] * len(ordinal.choices)


def test_no_test_where_the_group_or_the_rest_is_under_the_line(result) -> None:
    tested = untested = 0
    for table in result.tables:
        for i in range(1, len(table.groups)):
            rest = int(table.bases[0] - table.bases[i])
            if table.bases[i] < SUPPRESS_BELOW or rest < SUPPRESS_BELOW:
                assert np.isnan(table.p_values[i]).all()
                untested += 1
            elif not np.isnan(table.p_values[i]).all():
                tested += 1
    assert tested > 100 and untested > 50


def test_dont_know_is_counted_outside_the_base() -> None:
    survey = survey_2025()
    table = explore_table(survey, _question("revenue_model"), _cut("revenue"), "saas", spec=default_spec())
    assert "dont_know" not in table.groups  # a "don't know" revenue places nobody in a group
    cs = explore_table(survey, _question("cs_status"), _cut("route"), "saas", spec=default_spec())
    assert int(cs.bases[0]) == 257  # CS status keeps its "don't know" in the base, as the chapter does


def test_figures_are_what_hakusho_diff_reads(result, tmp_path: Path) -> None:
    written = write_explorer(result, tmp_path / "explore")
    figures = read_figures(written.output_dir / "figures.json")
    assert figures == dict(result.figures)
    fid = "explore.saas.nrr.employees.e10_49"
    assert figures[f"{fid}.base"] == {"kind": "n", "value": 31}
    assert figures[f"{fid}.n80_90.pct"] == {"kind": "pct", "value": 32.3}
    assert figures["explore.saas.nrr.employees.e1_9.n80_90.pct"] == {"kind": "pct", "value": None}
    # One respondent less: the diff names the explorer's moved figures.
    survey = survey_2025()
    practitioner = survey.population("saas_doing").idxmax()  # the first SaaS respondent practising CS
    fewer = survey.subset(pd.Series(survey.responses.index != practitioner, index=survey.responses.index))
    # (Computed again for a few questions of each kind: every table is counted on its own.)
    read = ("cs_status", "tools", "nrr")
    saas = {k: v for k, v in figures.items() if k.startswith(tuple(f"explore.saas.{q}." for q in read))}
    changes = diff_figures(saas, compute_explorer(fewer, segments=["saas"], spec=_spec_of(*read)).figures)
    assert changes and all(c.figure_id.startswith("explore.saas.") for c in changes)
    assert {c.figure_id.split(".")[2] for c in changes} == set(read)
    assert any(c.figure_id.endswith(".base") and c.change == -1 for c in changes)


def test_outputs_are_the_same_run_to_run(result, tmp_path: Path) -> None:
    a = write_explorer(result, tmp_path / "a").output_dir
    b = write_explorer(result, tmp_path / "b").output_dir
    for name in ("explore.json", "figures.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    doc = json.loads((a / "explore.json").read_text(encoding="utf-8"))
    assert len(doc["tables"]) == len(result.tables)
    # One segment alone holds the same tables; only the adjustment across the explorer, which
    # counts every segment's tests, differs (shown for questions of each kind and population).
    read = ("route", "industry", "employees", "cs_status", "tools", "nrr")
    again = compute_explorer(survey_2025(), segments=["non_saas"], spec=_spec_of(*read))
    alone = [t for t in result.tables if t.segment == "non_saas" and t.question in read]
    assert {t.question for t in alone} == set(read)
    assert [(t.question, t.breakdown) for t in again.tables] == [(t.question, t.breakdown) for t in alone]
    for mine, theirs in zip(again.tables, alone, strict=True):
        assert np.array_equal(mine.counts, theirs.counts) and np.array_equal(mine.bases, theirs.bases)
        assert np.array_equal(mine.p_values, theirs.p_values, equal_nan=True)


def test_a_filter_applies_to_every_table() -> None:
    result = compute_explorer(survey_2025(), filters=[["route", "==", "sns"]], segments=["saas"], spec=_spec_of("nrr"))
    table = result.table("nrr", "employees", "saas")
    raw = raw_breakdown("nrr", "employees")
    assert int(table.bases[0]) < sum(g.n for g in raw.values())
    assert result.document["filter_text"] == "route == sns"
    assert result.table("nrr", "route", "saas").bases[2] == 0  # nobody from the panel is left


def test_a_breakdown_must_form_groups() -> None:
    book = load_codebook("2025").model_dump()
    numeric = {"id": "age", "column": "AGE", "type": "numeric", "text": {"ja": "年齢", "en": "Age"}, "breakdown": True}
    with pytest.raises(ValueError, match="cannot be a breakdown"):
        Codebook.model_validate({**book, "questions": [*book["questions"], numeric]})
    plain = {**book, "questions": [{**q, "breakdown": False} for q in book["questions"]]}
    with pytest.raises(CodebookError, match="marks no variable as a breakdown"):
        breakdowns(default_spec(), Codebook.model_validate(plain))


def test_an_earlier_waves_codebook_offers_only_its_own_questions() -> None:
    book = load_codebook("2023")
    questions = {q.id for q in explore_questions(default_spec(), book)}
    assert questions and questions <= set(book.by_id)
    assert [b.id for b in breakdowns(default_spec(), book)] == ["employees", "position", SEGMENT_BREAKDOWN]


def test_hakusho_diff_places_the_explorers_figures_in_the_explore_part() -> None:
    from hakusho.text.figure_diff import FigureChange, locate, slides_by_chart

    change = FigureChange("explore.saas.nrr.employees.e10_49.n80_90.pct", "pct", "changed", 32.3, 29.0, -3.3)
    assert locate([change], slides_by_chart(), {})[0].slides == ("explore",)


# ------------------------------------------------------------------------------ protection, multiplicity


def test_sparse_two_by_two_tables_are_tested_exactly() -> None:
    from scipy.stats import fisher_exact

    from hakusho.analysis.explore import group_tests

    # Total 40 (3 chose the first answer), one group of 12 holding 2 of them: expected counts under 5.
    counts = np.array([[3, 37], [2, 10]])
    bases = np.array([40, 12])
    p, _ = group_tests("single", [True, True], counts, bases)
    assert p[0, 0] == pytest.approx(fisher_exact([[2, 10], [1, 27]]).pvalue)
    assert two_proportions(2, 12, 1, 28).test == FISHER_TEST


def test_explorer_marks_follow_holm_within_a_table_and_bh_across(result) -> None:
    from stats_reference import multipletests

    from hakusho.analysis.multiplicity import ALPHA

    families = [t.family() for t in result.tables]
    raw = np.concatenate([f[~np.isnan(f)] for f in families])
    across = multipletests(raw, method="fdr_bh")[1]
    at, bitten = 0, 0
    for table, family in zip(result.tables, families, strict=True):
        tested = ~np.isnan(family)
        n = int(tested.sum())
        if n:
            within = multipletests(family[tested], method="holm")[1]
            expected = np.maximum(within, across[at:at + n])
            got = (table.p_adjusted if table.answer != "ordinal"
                   else np.array([r[~np.isnan(r)][0] for r in table.p_adjusted if (~np.isnan(r)).any()]))
            assert np.asarray(got).reshape(-1)[~np.isnan(np.asarray(got).reshape(-1))] == pytest.approx(
                np.minimum(expected, 1.0), rel=1e-9)
            bitten += int(((family[tested] < ALPHA) & (expected >= ALPHA)).sum())
        at += n
        doc = table.document()
        for row in doc["rows"]:  # every mark is the adjusted p's
            for p, flag in zip(row["p_values"], row["significant"], strict=True):
                assert flag == (None if p is None else p < ALPHA)
    assert bitten > 0, "some raw p-values under 5 % are no longer marks after adjustment"
    assert result.document["method"]["adjustment"] == {"table": "Holm", "explorer": "Benjamini-Hochberg"}


@pytest.fixture(scope="module")
def protected():
    from hakusho.analysis.perturbation import Protection

    guard = Protection(b"\x5e" * 32)
    a = compute_explorer(survey_2025(), filters=[["employees", ">=", 1000]], segments=["saas"], protection=guard,
                         spec=_spec_of(*ATTACKED))
    b = compute_explorer(survey_2025(), filters=[["employees", ">=", 1000], ["position", "!=", "contract"]],
                         segments=["saas"], protection=guard, spec=_spec_of(*ATTACKED))
    return guard, a, b


@pytest.fixture(scope="module")
def unprotected():
    """The two explorers of ``protected``, exact."""
    a = compute_explorer(survey_2025(), filters=[["employees", ">=", 1000]], segments=["saas"], protection=None,
                         spec=_spec_of(*ATTACKED))
    b = compute_explorer(survey_2025(), filters=[["employees", ">=", 1000], ["position", "!=", "contract"]],
                         segments=["saas"], protection=None, spec=_spec_of(*ATTACKED))
    return a, b


def test_a_researchers_explorer_is_perturbed_as_the_chapters_are(protected, unprotected) -> None:
    _, a, _ = protected
    assert a.document["method"]["counts"] == "perturbed"
    table = a.table("income", "route", "saas")
    exact = unprotected[0]
    assert exact.document["method"]["counts"] == "exact"
    assert not np.array_equal(table.counts, exact.table("income", "route", "saas").counts)
    assert np.abs(table.counts - exact.table("income", "route", "saas").counts).max() <= 2


def test_the_differencing_attack_on_the_explorer_reads_noise(protected, unprotected) -> None:
    """employees >= 1000 minus the same with position != contract: one respondent (R0405) apart.
    Exact tables give their answers away in every breakdown's total; perturbed ones do not."""
    _, a, b = protected
    survey = survey_2025()
    target = "R0405"
    exact_a, exact_b = unprotected
    revealed = {}
    for qid in ("income", "income_change", "cs_career"):
        question = survey.question(qid)
        code = survey.codes(qid)[target]
        answer = next(i for i, c in enumerate(question.choices) if c.code == code)
        cut = next(t.breakdown for t in a.tables if t.question == qid)
        control = exact_a.table(qid, cut, "saas").counts[0] - exact_b.table(qid, cut, "saas").counts[0]
        assert list(np.flatnonzero(control)) == [answer]  # the attack works on exact counts
        diff = a.table(qid, cut, "saas").counts[0] - b.table(qid, cut, "saas").counts[0]
        moved = set(np.flatnonzero(diff))
        top = np.flatnonzero(diff == diff.max())
        revealed[qid] = moved == {answer} or list(top) == [answer]
    assert not all(revealed.values()), f"the explorer's difference still reads off the respondent: {revealed}"


def test_the_published_explorer_stays_exact(result) -> None:
    assert result.document["method"]["counts"] == "exact"
