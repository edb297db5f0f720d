"""The claims lint: editors' sentences may speak of change only where a test backs it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hakusho.errors import BuildError
from hakusho.text.claims_lint import lint_claims
from hakusho.text.commentary import read_commentary
from hakusho.text.commentary_lint import lint_commentary

WAVE = "2025"


def fig(value, kind="choice", label=None):
    figure = {"value": value, "kind": kind, "base": 200, "disclosure": "ok"}
    if label is not None:
        figure["label"] = label
    return figure


FIGURES = {
    # income: compared with 2023, not significant (ordinal: one distribution test)
    "income.median": fig("i600_700", label={"ja": "600〜700万円", "en": "¥6m–7m"}),
    "income.2023.median": fig("i500_600", label={"ja": "500〜600万円", "en": "¥5m–6m"}),
    "income.i600_700.change_pt": fig(1.2, "points"),
    "income.significant": fig(False, "flag"),
    # nrr: compared, significant
    "nrr.median": fig("n100_110", label={"ja": "100〜110%", "en": "100–110%"}),
    "nrr.n100_110.change_pt": fig(4.0, "points"),
    "nrr.significant": fig(True, "flag"),
    # customers: asked in 2025 only
    "customers.c1001_plus.pct": fig(30.5, "pct"),
    # headcount_change: the question itself asks about a change
    "headcount_change.group.rose.pct": fig(55.0, "pct"),
}
ASKS_CHANGE = {"headcount_change"}


def findings(tmp_path: Path, lang: str, body: str, summary: str = "x") -> list[str]:
    path = tmp_path / WAVE / f"appendix.{lang}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"---\nsummary:\n  - {summary}\n---\n" + textwrap.dedent(body).lstrip("\n")
    path.write_text(text, encoding="utf-8")
    return [f.message for f in lint_claims(read_commentary(path), FIGURES, ASKS_CHANGE)]


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Compared with the 2023 edition (${income.2023.median}), the distribution has edged up slightly."),
    ("en", "Median income rose to ${income.median} since 2023."),
    ("ja", "白書2023（${income.2023.median}）と比べると、分布にわずかな上昇がみられる。"),
])
def test_a_change_whose_test_is_not_significant_is_reported(tmp_path: Path, lang: str, sentence: str) -> None:
    (message,) = findings(tmp_path, lang, sentence)
    assert "not significant" in message and "income" in message


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Median income is ${income.median}, little changed since the 2023 edition."),
    ("ja", "年収の中央値は${income.median}で、白書2023から大きな変化はない。"),
])
def test_unchanged_read_from_a_test_is_reported(tmp_path: Path, lang: str, sentence: str) -> None:
    (message,) = findings(tmp_path, lang, sentence)
    assert "does not show that nothing changed" in message


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Operations are getting bigger — ${customers.c1001_plus.pct} serve more than a thousand customers."),
    ("ja", "対象顧客数が1,001社以上の企業は${customers.c1001_plus.pct}にのぼり、支援の規模が大きくなっている。"),
])
def test_a_trend_for_a_question_with_no_comparison_is_reported(tmp_path: Path, lang: str, sentence: str) -> None:
    (message,) = findings(tmp_path, lang, sentence)
    assert "no comparison" in message and "customers" in message


def test_a_paragraph_lends_its_references_to_a_sentence_about_the_earlier_wave(tmp_path: Path) -> None:
    found = findings(tmp_path, "en", """
        Incomes look much as they did in the 2023 edition.
        The median band is ${income.median}.
        """)
    assert len(found) == 1 and "income" in found[0]


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "The income distribution shows no statistically significant difference from the 2023 edition "
           "(${income.2023.median} then)."),
    ("en", "Net revenue retention rose since 2023, to a median of ${nrr.median}."),
    ("en", "Teams keep growing — ${headcount_change.group.rose.pct} added staff over the past year."),
    ("en", "The median band is ${income.median}."),
    ("ja", "白書2023の中央値は${income.2023.median}であり、年収分布に統計的に有意な差はみられなかった。"),
    ("ja", "上場するSaaS企業が増え、企業のデジタル化が一般的になった。"),
])
def test_what_the_tests_support_is_left_alone(tmp_path: Path, lang: str, sentence: str) -> None:
    assert findings(tmp_path, lang, sentence) == []


def test_a_significance_claim_must_agree_with_the_test(tmp_path: Path) -> None:
    (wrong_no,) = findings(tmp_path, "en", "Net revenue retention shows no significant difference from 2023 "
                                           "(${nrr.median}).")
    assert "is significant" in wrong_no
    (wrong_yes,) = findings(tmp_path, "ja", "年収（${income.median}）は白書2023から統計的に有意に上昇した。")
    assert "not after adjustment" in wrong_yes


def test_summary_points_are_read_too(tmp_path: Path) -> None:
    found = findings(tmp_path, "en", "Nothing here.", summary="Median income is ${income.median}, little changed "
                                                             "since the 2023 edition.")
    assert len(found) == 1


def test_strict_turns_claims_into_an_error_naming_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / WAVE
    folder.mkdir()
    (folder / "appendix.en.md").write_text("---\nsummary:\n  - x\n---\nMedian income rose to ${income.median} "
                                           "since 2023.\n", encoding="utf-8")
    figures = tmp_path / "figures.json"
    import json

    figures.write_text(json.dumps(FIGURES), encoding="utf-8")
    warnings = lint_commentary(figures, WAVE, root=tmp_path, chapter_of_chart={})
    assert any("not significant" in str(w) and "appendix.en.md:5" in str(w) for w in warnings)
    with pytest.raises(BuildError, match="claim"):
        lint_commentary(figures, WAVE, root=tmp_path, strict=True, chapter_of_chart={})


@pytest.mark.slow
def test_the_editors_commentary_claims_only_what_the_tests_support() -> None:
    """The shipped commentary against the figures of the published report (computed here)."""
    from hakusho import config
    from hakusho.analysis.chapter import compute_chapter, report_tests
    from hakusho.analysis.spec import default_spec
    from hakusho.survey.crosswalk import load_crosswalk
    from hakusho.survey.load import load_waves
    from hakusho.text.claims_lint import claims_in
    from hakusho.text.commentary import commentary_files

    survey, compare = load_waves(config.DEFAULT_WAVE, config.DEFAULT_COMPARE_WAVE)
    crosswalk = load_crosswalk()
    report = report_tests(survey, compare, crosswalk=crosswalk)
    figures: dict[str, object] = {}
    for chapter in default_spec().chapters:
        figures.update(compute_chapter(chapter.id, survey, compare, crosswalk=crosswalk, report=report).figures)
    docs = [read_commentary(p) for p in commentary_files(config.DEFAULT_WAVE)]
    assert docs, "the project ships editors' commentary"
    assert [str(f) for f in claims_in(docs, figures)] == []
