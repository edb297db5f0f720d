"""Commentary files: references resolve and format per language; mistakes fail with file and line;
the stale-number lint finds typed numbers and names the figure they meant."""

from __future__ import annotations

import json
import textwrap
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusho import cli, config
from hakusho.analysis.spec import default_spec
from hakusho.build_folder import read_figures
from hakusho.errors import BuildError
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.text import commentary
from hakusho.text.commentary import (
    check_commentary,
    commentary_model,
    missing_commentary,
    quotes_by_figure,
    read_commentary,
)
from hakusho.text.commentary_lint import lint_commentary, lint_document
from hakusho.text.numbers import format_figure

WAVE = "2025"
CHAPTERS = {"cs_status": "ch2", "customers": "ch2", "reasons_not": "ch2", "effect": "ch3", "nrr": "ch4",
            "income": "appendix"}


def fig(value, kind="pct", base=257, disclosure="ok", label=None):
    figure = {"value": value, "kind": kind, "base": base, "disclosure": disclosure}
    if label:
        figure["label"] = label
    return figure


FIGURES = {
    "cs_status.base": fig(257, "n"),
    "cs_status.doing.pct": fig(86.0),
    "cs_status.doing.count": fig(221, "count"),
    "cs_status.planning.pct": fig(12.5),
    "cs_status.top1": fig("doing", "choice", label={"ja": "取り組んでいる", "en": "Practising"}),
    "customers.median": fig("c1001_5000", "choice", 221, label={"ja": "1001〜5000社", "en": "1,001–5,000"}),
    "reasons_not.no_budget.pct": fig(None, base=4, disclosure="suppressed"),
    "reasons_not.no_budget.count": fig(2, "count", 4, "suppressed"),
    "effect.group.effective.pct": fig(88.8, base=221),
    "effect.group.effective.count": fig(196, "count", 221),
    "nrr.r90_100.change_pt": fig(-3.2, "points", 221),
    "nrr.r90_100.significant": fig(False, "flag", 221),
    "income.median": fig("i600_700", "choice", 221, label={"ja": "600〜700万円", "en": "JPY 6–7 million"}),
    "income.top1": fig("i600_700", "choice", 221, label={"ja": "600〜700万円", "en": "JPY 6–7 million"}),
}


def write(root: Path, name: str, text: str) -> Path:
    path = root / WAVE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(exc: pytest.ExceptionInfo[BuildError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("figure_id", "ja", "en"),
    [
        ("cs_status.doing.pct", "86.0%", "86.0%"),
        ("cs_status.doing.count", "221", "221"),
        ("cs_status.top1", "取り組んでいる", "Practising"),
        ("nrr.r90_100.change_pt", "−3.2ポイント", "−3.2 pt"),
        ("nrr.r90_100.significant", "有意差なし", "not significant"),
    ],
)
def test_figures_format_per_language(figure_id: str, ja: str, en: str) -> None:
    assert format_figure(FIGURES[figure_id], "ja") == ja
    assert format_figure(FIGURES[figure_id], "en") == en


def test_counts_have_thousands_separators_and_points_a_sign() -> None:
    assert format_figure(fig(1234, "count"), "en") == "1,234"
    assert format_figure(fig(4.0, "points"), "ja") == "+4.0ポイント"
    assert format_figure(fig(0.0, "points"), "en") == "±0.0 pt"


# --------------------------------------------------------------------------- the model


def test_references_resolve_and_format_for_each_language(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", """
        ---
        summary:
          - SaaS企業の${cs_status.doing.pct}がすでにカスタマーサクセスに取り組んでいる
          - 対象顧客数の中央値は**${customers.median}**
        ---
        回答した${cs_status.base}社のうち、**${cs_status.doing.count}社**が
        取り組んでいると答えた。

        - 最多の回答は「${cs_status.top1}」である
        """)
    write(tmp_path, "ch2.en.md", """
        ---
        summary:
          - ${cs_status.doing.pct} of SaaS companies already practise customer success
        ---
        Of the ${cs_status.base} SaaS respondents, *${cs_status.doing.count}*
        practise it; the typical company serves ${customers.median} customers.
        """)
    ja = commentary_model(FIGURES, WAVE, "ch2", "ja", root=tmp_path)
    en = commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    assert ja is not None and en is not None
    assert ja["summary_points"] == ["SaaS企業の86.0%がすでにカスタマーサクセスに取り組んでいる",
                                    "対象顧客数の中央値は1001〜5000社"]
    assert ja["summary_points_html"][1] == "対象顧客数の中央値は<strong>1001〜5000社</strong>"
    # A line break inside a Japanese sentence joins without a space; emphasis closes before kana.
    assert ja["paragraphs_html"][0] == "<p>回答した257社のうち、<strong>221社</strong>が取り組んでいると答えた。</p>"
    assert ja["paragraphs_text"] == ["回答した257社のうち、221社が取り組んでいると答えた。",
                                     "・最多の回答は「取り組んでいる」である"]
    assert ja["blocks"][0]["runs"][1] == {"text": "221社", "strong": True, "em": False}
    assert ja["blocks"][1]["kind"] == "list"
    assert en["summary_points"] == ["86.0% of SaaS companies already practise customer success"]
    assert en["paragraphs_text"] == [
        "Of the 257 SaaS respondents, 221 practise it; the typical company serves 1,001–5,000 customers."]
    assert "<em>221</em>" in en["paragraphs_html"][0]
    assert en["source"].endswith("2025/ch2.en.md") and not en["source"].startswith("/")
    assert en["figures_quoted"] == ["cs_status.base", "cs_status.doing.count", "cs_status.doing.pct",
                                    "customers.median"]


def test_the_model_reads_figures_from_a_build_directory(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "chapters" / "ch2").mkdir(parents=True)
    (build / "chapters" / "ch2" / "figures.json").write_text(json.dumps(FIGURES), encoding="utf-8")
    write(tmp_path / "text", "ch2.en.md", "---\nsummary:\n  - ${cs_status.doing.pct} practise CS\n---\nBody.\n")
    model = commentary_model(build, WAVE, "ch2", "en", root=tmp_path / "text")
    assert model is not None and model["summary_points"] == ["86.0% practise CS"]


def test_labels_are_escaped_so_markdown_characters_stay_literal(tmp_path: Path) -> None:
    figures = {"cs_status.top1": fig("other", "choice", label={"ja": "その他 *自由記述*", "en": "Other *free text*"})}
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\nTop: ${cs_status.top1}.\n")
    model = commentary_model(figures, WAVE, "ch2", "en", root=tmp_path)
    assert model is not None and model["paragraphs_text"] == ["Top: Other *free text*."]


def test_html_comments_are_editor_notes_and_never_published(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", """
        ---
        summary:
          - 要点  # 前回は86%
        ---
        本文<!-- ${no.such.figure} 86% -->である。
        <!--
        複数行のメモ
        -->
        次の段落。
        """)
    model = commentary_model(FIGURES, WAVE, "ch2", "ja", root=tmp_path)
    assert model is not None
    assert model["paragraphs_text"] == ["本文である。", "次の段落。"]
    assert lint_commentary(FIGURES, WAVE, root=tmp_path, chapter_of_chart=CHAPTERS) == []


def test_a_missing_file_gives_none_and_is_listed_for_the_build_log(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", "---\nsummary: [要点]\n---\n本文。\n")
    assert commentary_model(FIGURES, WAVE, "ch3", "ja", root=tmp_path) is None
    missing = missing_commentary(WAVE, ["summary", "ch2"], root=tmp_path)
    assert [(m.chapter, m.lang) for m in missing] == [("summary", "ja"), ("summary", "en"), ("ch2", "en")]
    assert "ch2 (en): no editorial text" in str(missing[-1])


# --------------------------------------------------------------------------- mistakes


def test_an_unknown_figure_fails_with_file_line_and_closest_ids(tmp_path: Path) -> None:
    write(tmp_path, "ch2.en.md", """
        ---
        summary:
          - fine
        ---
        First line.
        Then ${cs_status.doin.pct} and ${cs_statu.base}.
        """)
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    first, second = problems_of(exc)
    assert first.startswith("2025/ch2.en.md, row 6, column 6: unknown figure 'cs_status.doin.pct'")
    assert "closest valid ids: cs_status.doing.pct" in first
    assert "column 32" in second and "cs_status.base" in second


def test_the_fig_prefix_of_template_habits_is_pointed_out(tmp_path: Path) -> None:
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\n${fig.cs_status.doing.pct}\n")
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    assert problems_of(exc) == ["2025/ch2.en.md, row 4, column 1: unknown figure 'fig.cs_status.doing.pct'; "
                                "closest valid ids: cs_status.doing.pct"]


def test_a_suppressed_figure_fails_the_build(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", "---\nsummary:\n  - 予算がない${reasons_not.no_budget.pct}\n---\n本文。\n")
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "ja", root=tmp_path)
    (problem,) = problems_of(exc)
    assert "row 3" in problem and "suppressed (base n=4 < 10)" in problem
    assert "${reasons_not.no_budget.count}" in problem


def test_malformed_and_unclosed_references_fail(tmp_path: Path) -> None:
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\n${ CS Status }\n${cs_status.doing.pct\n")
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    bad, unclosed = problems_of(exc)
    assert "row 4" in bad and "malformed reference" in bad
    assert "row 5" in unclosed and "not closed" in unclosed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No front matter.\n", "row 1: the file must start with a line '---'"),
        ("---\nsummary: [x]\n", "no closing '---'"),
        ("---\nsummary: [x]\nsummery: [y]\n---\n", "unknown front matter key (value 'summery'"),
        ("---\nsummary:\n  - fine\n  - 'Note: a colon makes a mapping'\n  - Note: most firms\n---\n",
         "row 5: summary point 3 is not plain text"),
        # No points but a discussion: not a stub (a stub has neither), so the points are missing.
        ("---\nsummary: []\n---\nA discussion.\n", "'summary' must be a list of one or more points"),
        ("---\nsummary: [x\n---\n", "front matter is not valid YAML"),
    ],
)
def test_front_matter_mistakes_are_located(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "ch2.en.md", text)
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    assert expected in exc.value.report()


@pytest.mark.parametrize(
    ("body", "what"),
    [("# Heading\n", "heading"), ("See [the site](https://example.org).\n", "link"),
     ("| a | b |\n", None), ("```\ncode\n```\n", "fence"), ("- a\n  - nested\n", "nested list"),
     ("<div>x</div>\n", "html block")],
)
def test_only_paragraphs_lists_and_emphasis_are_allowed(tmp_path: Path, body: str, what: str | None) -> None:
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\n" + body)
    if what is None:  # a table without a delimiter row is plain text in CommonMark
        assert commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path) is not None
        return
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    row = 5 if what == "nested list" else 4
    assert f"2025/ch2.en.md, row {row}: unsupported Markdown ({what})" in exc.value.report()


def test_english_commentary_must_not_contain_japanese(tmp_path: Path) -> None:
    write(tmp_path, "ch2.en.md", "---\nsummary: [Fine]\n---\nMost firms (多く) practise it.\n")
    with pytest.raises(BuildError) as exc:
        commentary_model(FIGURES, WAVE, "ch2", "en", root=tmp_path)
    assert problems_of(exc) == ["2025/ch2.en.md, row 4: Japanese text in English commentary (value '多')"]


def test_check_commentary_reports_every_file_at_once(tmp_path: Path) -> None:
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\n${cs_status.nope.pct}\n")
    write(tmp_path, "ch9.ja.md", "---\nsummary: [x]\n---\n本文。\n")
    write(tmp_path, "ch2.jp.md", "---\nsummary: [x]\n---\n本文。\n")
    write(tmp_path, "summary.ja.md", "---\nsummary: [要点]\n---\n本文。\n")
    with pytest.raises(BuildError) as exc:
        check_commentary(FIGURES, WAVE, root=tmp_path, chapters=["summary", "ch2"])
    report = exc.value.report()
    assert "ch2.en.md, row 4, column 1: unknown figure" in report
    assert "ch2.jp.md: a commentary file is named <chapter>.<lang>.md" in report
    assert "ch9.ja.md: no such chapter (value 'ch9'" in report
    assert "summary.ja.md" not in report


def test_quotes_by_figure_lists_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", "---\nsummary:\n  - ${cs_status.doing.pct}\n---\n本文${cs_status.doing.pct}。\n")
    assert quotes_by_figure(WAVE, tmp_path) == {"cs_status.doing.pct": ["2025/ch2.ja.md:3", "2025/ch2.ja.md:5"]}


def test_read_figures_rejects_conflicting_duplicates_and_non_figures(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "ch1.json").write_text(json.dumps({"a.b.pct": fig(1.0)}), encoding="utf-8")
    (tmp_path / "figures" / "ch2.json").write_text(
        json.dumps({"a.b.pct": fig(2.0), "c.d.pct": {"value": 1}}), encoding="utf-8")
    with pytest.raises(BuildError) as exc:
        read_figures(tmp_path)
    report = exc.value.report()
    assert "column a.b.pct: figure also defined differently in" in report
    assert "column c.d.pct: not a figure" in report
    with pytest.raises(BuildError, match="no figures found"):
        read_figures(tmp_path / "figures" / "nowhere")


# --------------------------------------------------------------------------- the lint


def lint_file(tmp_path: Path, name: str, text: str) -> list[str]:
    path = write(tmp_path, name, text)
    return [str(f) for f in lint_document(read_commentary(path), FIGURES, CHAPTERS)]


def test_a_typed_percentage_is_caught_with_the_figure_it_meant(tmp_path: Path) -> None:
    found = lint_file(tmp_path, "ch2.ja.md", """
        ---
        summary:
          - SaaS企業の86%が取り組む
        ---
        本文では８６．０％と書いた。
        """)
    assert found == [
        "2025/ch2.ja.md:3:12: '86%' looks like cs_status.doing.pct (86.0%); write ${cs_status.doing.pct}",
        "2025/ch2.ja.md:5:5: '８６．０％' looks like cs_status.doing.pct (86.0%); write ${cs_status.doing.pct}",
    ]


@pytest.mark.parametrize(
    ("line", "literal", "figure"),
    [
        ("In all, 221 companies said so.", "221 companies", "cs_status.doing.count"),
        ("Effective for 88.8 percent.", "88.8 percent", "effect.group.effective.pct"),
        ("Down 3.2 points.", "3.2 points", "nrr.r90_100.change_pt"),
        ("Down 3.2 pt.", "3.2 pt", "nrr.r90_100.change_pt"),
        ("Of 257 respondents.", "257 respondents", "cs_status.base"),
        ("The bare number 221 also counts.", "221", "cs_status.doing.count"),
    ],
)
def test_english_literals_are_caught(tmp_path: Path, line: str, literal: str, figure: str) -> None:
    (found,) = lint_file(tmp_path, "ch2.en.md", f"---\nsummary: [x]\n---\n{line}\n")
    assert f"'{literal}' looks like {figure} " in found
    assert found.startswith("2025/ch2.en.md:4:")


def test_japanese_units_and_proportions_are_caught(tmp_path: Path) -> None:
    found = lint_file(tmp_path, "ch2.ja.md", "---\nsummary: [x]\n---\n221社、221名、3.2ポイント、9割、三割、12.5%。\n")
    literals = [f.split("'")[1] for f in found]
    assert literals == ["221社", "221名", "3.2ポイント", "9割", "三割", "12.5%"]
    assert "looks like cs_status.doing.pct" in found[3]  # 9割 ≈ 86.0 %
    assert "no computed figure has this value" in found[4]  # 三割: nothing near 30 %
    assert "looks like cs_status.planning.pct" in found[5]


def test_a_figure_of_the_files_own_chapter_is_suggested_first(tmp_path: Path) -> None:
    figures = {**FIGURES, "effect.yes.count": fig(221, "count", 250)}
    path = write(tmp_path, "ch3.en.md", "---\nsummary: [x]\n---\n221 companies.\n")
    (finding,) = lint_document(read_commentary(path), figures, CHAPTERS)
    assert finding.candidates == ("effect.yes.count", "cs_status.doing.count")
    assert "(also matches cs_status.doing.count)" in finding.message


def test_a_median_label_typed_literally_is_caught(tmp_path: Path) -> None:
    (found,) = lint_file(tmp_path, "appendix.ja.md", "---\nsummary: [x]\n---\n年収の中央値は600〜700万円である。\n")
    assert "'600〜700万円' looks like income.median (600〜700万円); write ${income.median}" in found
    assert "(also matches income.top1)" in found


def test_a_bucket_named_beside_its_own_share_is_a_category_not_a_result(tmp_path: Path) -> None:
    figures = {**FIGURES, "income.i600_700.pct": fig(21.0, base=221)}
    path = write(tmp_path, "appendix.ja.md", "---\nsummary: [x]\n---\n600〜700万円の層は${income.i600_700.pct}。\n")
    assert lint_document(read_commentary(path), figures, CHAPTERS) == []


def test_numbers_that_are_not_results_are_left_alone(tmp_path: Path) -> None:
    found = lint_file(tmp_path, "ch2.ja.md", """
        ---
        summary:
          - 2018年頃から6年が経過した  # 221 in a comment
        ---
        2025年12月の調査で、第2章とQ3、ch3を参照。B2Bが多い。
        継続率90〜100%の層、51名以上の部門、1,001社以上の顧客、1億円のARR、1社あたり。
        10. ordered list markers and ${cs_status.doing.pct} references are not literals
        12 is a bare number that equals no figure of this chapter; 196 belongs to ch3.
        """)
    assert found == []


def test_numbers_inside_references_and_front_matter_keys_are_not_flagged(tmp_path: Path) -> None:
    figures = {"q257.x257.pct": fig(257.0)}
    path = write(tmp_path, "ch2.en.md", "---\nsummary:\n  - ${q257.x257.pct} of them\n---\n${q257.x257.pct}\n")
    assert lint_document(read_commentary(path), figures, CHAPTERS) == []


def test_the_lint_ignore_pragma_silences_one_line(tmp_path: Path) -> None:
    found = lint_file(tmp_path, "ch2.ja.md", """
        ---
        summary:
          - 86%と書く  # lint: ignore
        ---
        86%と書く <!-- lint: ignore -->
        86%と書く
        """)
    assert len(found) == 1 and found[0].startswith("2025/ch2.ja.md:6:")


def test_strict_turns_every_finding_into_one_error(tmp_path: Path) -> None:
    write(tmp_path, "ch2.ja.md", "---\nsummary: [86%]\n---\n221社。\n")
    write(tmp_path, "ch2.en.md", "---\nsummary: [x]\n---\nAll ${cs_status.doing.pct}.\n")
    assert len(lint_commentary(FIGURES, WAVE, root=tmp_path, chapter_of_chart=CHAPTERS)) == 2
    with pytest.raises(BuildError) as exc:
        lint_commentary(FIGURES, WAVE, root=tmp_path, chapter_of_chart=CHAPTERS, strict=True)
    assert exc.value.message.startswith("2 number(s) typed literally")
    assert [p.row for p in exc.value.problems] == [2, 4]


ids = st.from_regex(r"[a-z]{2,6}\.[a-z]{1,5}\.pct", fullmatch=True)
values = st.decimals(min_value=0, max_value=100, places=1).map(float)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(ids, values, min_size=1, max_size=8))
def test_text_that_quotes_only_references_is_always_clean(tmp_path_factory, figures_by_value) -> None:
    root = tmp_path_factory.mktemp("c")
    figures = {fid: fig(v) for fid, v in figures_by_value.items()}
    body = "\n".join(f"Share ${{{fid}}} (n=${{{fid}}})." for fid in figures)
    path = write(root, "summary.en.md", f"---\nsummary:\n  - ${{{next(iter(figures))}}}\n---\n{body}\n")
    assert lint_document(read_commentary(path), figures, {}) == []
    rendered = commentary_model(figures, WAVE, "summary", "en", root=root)
    assert rendered is not None and "${" not in "".join(rendered["paragraphs_text"])


# --------------------------------------------------------------------------- the shipped text


@cache
def _codebook(wave: str) -> Codebook:
    return load_codebook(config.codebook_path(wave))


def _id_fits_spec(figure_id: str) -> bool:
    """Whether an id has a shape figures.json can hold for a chart of the spec and its codebook."""
    spec = default_spec()
    chart_id, *rest = figure_id.split(".")
    if chart_id in {ch.id for ch in spec.chapters}:
        return rest in (["n_total"], ["n_segment"])
    chart = spec.charts.get(chart_id)
    if chart is None:
        return False
    wave = config.DEFAULT_COMPARE_WAVE if chart.wave == "compare" else config.DEFAULT_WAVE
    keys = set(_codebook(wave).question(chart.variable).choice_keys)
    series = {*chart.series, "saas", "non_saas", config.DEFAULT_WAVE, config.DEFAULT_COMPARE_WAVE}
    if len(rest) > 1 and rest[0] in series and rest[0] not in keys:
        rest = rest[1:]
    groups = {g.id for g in chart.groups}
    return (rest in (["base"], ["median"], ["top1"], ["top2"], ["top3"])
            or (len(rest) == 3 and rest[0] == "group" and rest[1] in groups and rest[2] == "pct")
            or (len(rest) == 2 and rest[0] in keys and rest[1] in ("pct", "count", "change_pt", "significant")))


def test_shipped_commentary_is_complete_well_formed_and_names_figures_of_the_spec() -> None:
    """Every chapter has text in both languages; every reference names a chart, choice or group of
    the spec and codebook (resolution against built figures is checked by lint-commentary)."""
    assert missing_commentary("2025") == []
    for path in commentary.commentary_files("2025"):
        doc = read_commentary(path)
        refs, problems = commentary.scan_references(doc)
        assert problems + commentary.check_markdown(doc) + commentary.check_language(doc) == []
        assert refs, f"{doc.name} quotes no figure"
        assert [r.figure_id for r in refs if not _id_fits_spec(r.figure_id)] == [], doc.name


@pytest.mark.slow
def test_shipped_commentary_resolves_against_the_computed_2025_figures_and_passes_strict_lint() -> None:
    from hakusho.analysis.chapter import compute_chapter
    from hakusho.survey.crosswalk import load_crosswalk
    from hakusho.survey.load import load_waves

    if not (config.raw_wave_dir("2025") / "responses.csv").is_file():
        pytest.skip("the 2025 sample is not in data/raw")
    survey, compare = load_waves(config.DEFAULT_WAVE, config.DEFAULT_COMPARE_WAVE)
    crosswalk = load_crosswalk(config.CROSSWALK_PATH)
    figures: dict = {}
    for chapter in default_spec().chapters:
        figures.update(compute_chapter(chapter.id, survey, compare, segment="saas", crosswalk=crosswalk).figures)
    assert len(check_commentary(figures, "2025")) == 14
    assert lint_commentary(figures, "2025", strict=True) == []
    for chapter in ["summary", *(ch.id for ch in default_spec().chapters)]:
        en = commentary_model(figures, "2025", chapter, "en")
        assert en is not None
        text = " ".join(en["summary_points"] + en["paragraphs_text"])
        assert not commentary.JAPANESE.search(text), chapter
        assert "${" not in text


# --------------------------------------------------------------------------- the command


def test_lint_commentary_command_warns_and_fails_when_strict(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(config, "COMMENTARY_DIR", tmp_path / "commentary")
    write(tmp_path / "commentary", "ch2.ja.md", "---\nsummary: [要点]\n---\n86%が取り組む。\n")
    report = tmp_path / "report"
    report.mkdir()
    (report / "figures.json").write_text(json.dumps(FIGURES), encoding="utf-8")
    assert cli.main(["lint-commentary", "--figures", str(report)]) == 0
    out = capsys.readouterr()
    assert "warning: 2025/ch2.ja.md:4:1: '86%' looks like cs_status.doing.pct" in out.err
    assert "note: ch2 (en): no editorial text" in out.err
    assert "1 commentary file(s) checked, 1 warning(s)" in out.out
    assert cli.main(["lint-commentary", "--figures", str(report), "--strict"]) == BuildError.exit_code
    assert "error: 1 number(s) typed literally" in capsys.readouterr().err
