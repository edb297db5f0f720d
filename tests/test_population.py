"""The one filter step chapters and crosses share, and how populations are named per segment."""

from __future__ import annotations

import pytest
from chapter_fixtures import crosswalk, spec, survey_2023, survey_2025

from hakusho.analysis.chapter import compute_chapter
from hakusho.analysis.cross import compute_crosses
from hakusho.analysis.perturbation import MAX_NOISE
from hakusho.analysis.population import filter_compare, filter_report, population_label, report_base
from hakusho.errors import FilterError


def _chapter(**kwargs):
    return compute_chapter("t1", survey_2025(), survey_2023(), crosswalk=crosswalk(), spec=spec(), **kwargs)


def _crosses(**kwargs):
    return compute_crosses(survey_2025(), crosses=[], spec=spec(), **kwargs)


def test_without_a_filter_everyone_is_kept_and_counted_by_segment() -> None:
    survey = survey_2025()
    people = filter_report(survey, [], segment="saas", spec=spec())
    assert people.report.survey.n == survey.n == people.n_total
    assert people.n_segment == 100 and people.text == "" and people.triples == []
    assert people.label == {"ja": "", "en": ""}


def test_a_filter_is_read_once_in_every_form_the_outputs_record() -> None:
    people = filter_report(survey_2025(), [["従業員数", ">=", 100]], segment="saas", spec=spec())
    assert people.triples == [["employees", ">=", 100]] and people.text == "employees >= 100"
    assert people.label == {"ja": "従業員数 ≥ 100", "en": "Employees ≥ 100"}
    assert (people.n_total, people.n_segment) == (133, 83) == (people.report.survey.n, 83)
    compare, unexpressed = filter_compare(survey_2023(), people.conditions)
    assert compare is not None and compare.text == "employees >= 100" and unexpressed == []


@pytest.mark.parametrize("filters", [
    [["industry", "excludes", "saas"]],  # respondents are left, but nobody in the SaaS segment
    [["employees", "==", "small"], ["cs_status", "==", "planning"]],  # nobody at all
])
def test_a_filter_leaving_nobody_in_the_segment_stops_chapters_and_crosses_alike(filters) -> None:
    with pytest.raises(FilterError) as chapter:
        _chapter(filters=filters)
    with pytest.raises(FilterError) as crosses:
        _crosses(filters=filters)
    assert chapter.value.message == crosses.value.message
    assert chapter.value.message.startswith("filter '") and "leaves no respondents in the saas segment of wave 2025" \
        in chapter.value.message
    assert chapter.value.report() == crosses.value.report()


def test_a_small_filtered_base_stops_both_unless_allowed() -> None:
    filters = [["cs_status", "==", "not_doing"]]
    with pytest.raises(FilterError, match="fewer than 30") as chapter:
        _chapter(filters=filters)
    with pytest.raises(FilterError, match="fewer than 30") as crosses:
        _crosses(filters=filters)
    assert chapter.value.message == crosses.value.message and "allow_small_base=True" in chapter.value.message
    # Four respondents, counted alike by both (a filtered run's counts carry the same noise).
    chapter_n = _chapter(filters=filters, allow_small_base=True).chapter["n_segment"]
    assert chapter_n == _crosses(filters=filters, allow_small_base=True).document["n_segment"]
    assert abs(chapter_n - 4) <= MAX_NOISE


def test_an_unknown_segment_is_one_message_for_both() -> None:
    with pytest.raises(FilterError) as chapter:
        _chapter(segment="enterprise")
    with pytest.raises(FilterError) as crosses:
        _crosses(segment="enterprise")
    assert chapter.value.message == crosses.value.message == \
        "unknown segment 'enterprise' (valid: saas, non_saas, all)"


def test_populations_are_named_after_the_report_segment() -> None:
    assert population_label(spec(), "all", "non_saas") == {"ja": "全回答者", "en": "All respondents"}
    assert population_label(spec(), "saas_doing", "saas") == {"ja": "取り組み中", "en": "Practising"}
    assert report_base(spec(), "saas", "non_saas") == "non_saas"
    assert report_base(spec(), "saas_doing", "non_saas") == "saas_doing"
