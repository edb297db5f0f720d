"""The codebooks of both waves: they load, they cover every chart, and a broken file is reported
where it is broken."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from hakusho.analysis.spec import default_spec
from hakusho.errors import CodebookError
from hakusho.survey.codebook import Codebook, load_codebook

WAVES = ("2025", "2023")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def books() -> dict[str, Codebook]:
    return {wave: load_codebook(wave) for wave in WAVES}


def _wave_of(chart_wave: str) -> str:
    return "2023" if chart_wave == "compare" else "2025"


def test_both_waves_load(books: dict[str, Codebook]) -> None:
    assert books["2025"].wave == "2025" and books["2023"].wave == "2023"
    assert books["2025"].survey.period_start == "2024-12-01"
    assert (books["2023"].survey.period_start, books["2023"].survey.period_end) == ("2023-04-18", "2023-04-30")
    assert all(book.survey.synthetic for book in books.values())


def test_every_chart_variable_exists_with_the_charts_answer_type(books: dict[str, Codebook]) -> None:
    for chart in default_spec().charts.values():
        book = books[_wave_of(chart.wave)]
        question = book.question(chart.variable)
        assert question.type == chart.answer, f"{chart.id}: chart {chart.answer}, codebook {question.type}"
        for group in chart.groups:
            assert set(group.keys) <= set(question.choice_keys), f"{chart.id}: group {group.id}"


def test_year_over_year_charts_exist_in_both_waves(books: dict[str, Codebook]) -> None:
    yoy = [c for c in default_spec().charts.values() if c.compare == "yoy"]
    assert {c.variable for c in yoy} == {"nrr", "arpa", "kpis_tracked", "income"}
    for chart in yoy:
        assert chart.variable in books["2023"].by_id


def test_every_population_rule_names_real_variables_and_choices(books: dict[str, Codebook]) -> None:
    spec = default_spec()
    rules = [c for p in spec.populations.values() for c in p.where]
    rules += [c for s in spec.segments.values() for c in s.where]
    for book in books.values():
        for cond in rules:
            question = book.question(cond.var)
            question.choice(cond.value)


def test_screening_variables(books: dict[str, Codebook]) -> None:
    for book in books.values():
        industry = book.question("industry")
        assert industry.type == "multi"
        assert industry.choice("saas").ja == "情報通信業（SaaS）"
        assert industry.choice("it_other").ja == "情報通信業（SaaS以外）"
        status = book.question("cs_status")
        assert status.type == "single"
        assert status.choice_keys == ["doing", "planning", "not_doing", "unknown"]
    route = books["2025"].question("route")
    assert route.choice_keys == ["sns", "panel"]
    assert books["2025"].question("industry").column == "Q3"  # the report's SaaS definition cites Q3


def test_routing_from_chapter_two_on_uses_the_cs_status(books: dict[str, Codebook]) -> None:
    spec = default_spec()
    book = books["2025"]
    for chapter in spec.chapters[1:]:
        for chart in chapter.charts:
            if chart.wave == "compare":
                continue
            question = book.question(chart.variable)
            variables = {c.var for c in question.asked}
            assert variables <= {"cs_status"}, f"{question.id} is routed on {variables}"
            if any(c.var == "cs_status" for c in spec.populations[chart.base].where):
                assert variables == {"cs_status"}, question.id
    assert [c.describe() for c in book.question("it_breakdown").asked] == ["industry includes it_other"]


def test_ordinal_buckets_run_low_to_high_without_gaps(books: dict[str, Codebook]) -> None:
    for book in books.values():
        for q in book.questions:
            if q.type != "ordinal":
                continue
            bounded = [c for c in q.choices if c.in_base and (c.lower is not None or c.upper is not None)]
            if not bounded:
                continue
            assert q.unit is not None, q.id
            assert len(bounded) == len([c for c in q.choices if c.in_base]), q.id
            for before, after in pairwise(bounded):
                assert before.upper == after.lower, f"{q.id}: {before.key} → {after.key}"
            assert bounded[-1].upper is None, f"{q.id}: the top bucket is open"


def test_dont_know_answers_stay_out_of_the_base(books: dict[str, Codebook]) -> None:
    for book in books.values():
        for q in book.questions:
            for c in q.choices:
                if c.key in ("dont_know", "no_answer"):
                    assert not c.in_base, f"{q.id}.{c.key}"
    # The published CS-status chart shows "don't know" as a share of all SaaS respondents.
    assert books["2025"].question("cs_status").choice("unknown").in_base


def test_labels_are_bilingual(books: dict[str, Codebook]) -> None:
    for book in books.values():
        for q in book.questions:
            texts = [(q.text.ja, q.text.en)] + [(c.ja, c.en) for c in q.choices]
            if q.short:
                texts.append((q.short.ja, q.short.en))
            for ja, en in texts:
                assert ja.strip() and en.strip(), q.id
                assert not JAPANESE.search(en), f"{q.id}: Japanese in English label {en!r}"


def test_vendor_column_layout(books: dict[str, Codebook]) -> None:
    book = books["2025"]
    columns = book.expected_columns()
    assert columns[0] == "SampleID"
    assert "Q3_3" in columns and "Q3_FA" in columns  # Q3 choice 3 is SaaS; free text after it
    assert len(columns) == len(set(columns))
    assert books["2023"].expected_columns()[0] == "ResponseID"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _minimal(**question: object) -> dict:
    base = {"id": "q1", "column": "Q1", "type": "single", "text": {"ja": "設問", "en": "Question"},
            "choices": [{"code": 1, "key": "a", "ja": "A", "en": "A"}]}
    base.update(question)
    return {"format": 1, "wave": "2099", "id_column": "ID",
            "survey": {"title": {"ja": "t", "en": "t"}, "publisher": {"ja": "p", "en": "p"},
                       "method": {"ja": "m", "en": "m"}, "target": {"ja": "t", "en": "t"},
                       "period_start": "2099-01-01", "period_end": "2099-01-31"},
            "questions": [base]}


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "format: 1\nwave: '2099'\nquestions:\n  - {id: q1, column: Q1\n")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    problem = info.value.problems[0]
    assert problem.file == str(path) and problem.row is not None and problem.row >= 4


def test_bad_choice_key_is_located(tmp_path: Path) -> None:
    data = _minimal(choices=[{"code": 1, "key": "Bad Key", "ja": "A", "en": "A"}])
    path = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert any("questions.0.choices.0.key" in p.message for p in info.value.problems)


def test_repeated_choice_code_is_reported(tmp_path: Path) -> None:
    data = _minimal(choices=[{"code": 1, "key": "a", "ja": "A", "en": "A"},
                             {"code": 1, "key": "b", "ja": "B", "en": "B"}])
    path = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CodebookError, match="malformed") as info:
        load_codebook(path)
    assert any("repeats a choice code" in p.message for p in info.value.problems)


def test_routing_on_an_unknown_variable_is_reported(tmp_path: Path) -> None:
    data = _minimal(asked=[["cs_stauts", "==", "doing"]])
    path = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert any("unknown variable cs_stauts" in p.message for p in info.value.problems)


def test_unknown_variable_lookup_lists_the_valid_ones(books: dict[str, Codebook]) -> None:
    with pytest.raises(CodebookError) as info:
        books["2023"].question("retention")
    assert "nrr" in info.value.problems[0].expected


def test_a_combined_share_on_a_multiple_answer_chart_is_a_spec_error() -> None:
    from pydantic import ValidationError

    from hakusho.analysis.spec import Chart

    with pytest.raises(ValidationError, match="count people twice"):
        Chart.model_validate({"id": "tools", "title_ja": "ツール", "title_en": "Tools", "answer": "multi",
                              "base": "saas", "groups": [{"id": "any", "keys": ["crm", "sheet"]}]})
    ordinal = Chart.model_validate({"id": "effect", "title_ja": "効果", "title_en": "Effect", "answer": "ordinal",
                                    "base": "saas", "groups": [{"id": "effective", "keys": ["some", "strong"]}]})
    assert ordinal.groups[0].keys == ["some", "strong"]
