"""The build folder: its layout, its typed documents, and the one reader and writer of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_build import fake_chapters, survey_doc, write_build

from hakusho import build_folder
from hakusho.analysis.figures import chapter_figures
from hakusho.errors import BuildError


def test_documents_round_trip_byte_for_byte(tmp_path: Path) -> None:
    chapters = fake_chapters()
    root = write_build(tmp_path / "build", chapters)
    for chapter_id, doc in chapters.items():
        folder = build_folder.output_folder(root, chapter_id, part=False)
        assert folder == root / "chapters" / chapter_id
        text = (folder / "chapter.json").read_text(encoding="utf-8")
        assert text == json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
        assert build_folder.read_chapter(folder) == doc
    assert build_folder.read_survey(root) == survey_doc()
    assert build_folder.report_wave(root) == "2025"


def test_a_document_that_misses_a_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    doc = dict(next(iter(fake_chapters().values())))
    del doc["filter_label"]
    with pytest.raises(BuildError) as info:
        build_folder.write_document(tmp_path / "chapter.json", doc)
    assert "key 'filter_label' is missing" in info.value.report() and not (tmp_path / "chapter.json").exists()
    doc = dict(next(iter(fake_chapters().values())), unexpected=1)
    (tmp_path / "chapter.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build_folder.read_chapter(tmp_path)
    assert "chapter.json" in info.value.report() and "unexpected" in info.value.report()


def test_a_chart_that_does_not_fit_names_the_chart() -> None:
    chart = json.loads(json.dumps(next(iter(fake_chapters().values()))["slides"][0]["charts"][0]))
    assert build_folder.check_chart(chart) == chart
    chart["rows"][0]["values"] = {"all": {"count": "many", "base": 3, "pct": 1.0}}
    with pytest.raises(BuildError, match=rf"chart {chart['id']}: rows\.0\.values\.all\.count 'many'"):
        build_folder.check_chart(chart)


def test_figures_of_a_published_report_include_the_statistics_of_the_crosses(tmp_path: Path) -> None:
    chapters = fake_chapters()
    figures = tmp_path / "report" / "figures"
    figures.mkdir(parents=True)
    for chapter_id, doc in chapters.items():
        (figures / f"{chapter_id}.json").write_text(json.dumps(chapter_figures(doc)), encoding="utf-8")
    cross = {"cross.x.chi2": {"value": 12.3, "kind": "statistic", "base": 200, "disclosure": "ok", "filter": "",
                              "digits": 1},
             "cross.x.p_value": {"value": 0.002, "kind": "p_value", "base": 200, "disclosure": "ok", "filter": ""}}
    (figures / "cross.json").write_text(json.dumps(cross), encoding="utf-8")
    read = build_folder.read_figures(tmp_path / "report")
    assert read["cross.x.chi2"]["digits"] == 1 and read["cross.x.p_value"]["kind"] == "p_value"
    assert set(chapter_figures(chapters["ch2"])) <= set(read)
    (figures / "bad.json").write_text(json.dumps({"x.y": {"value": 1, "kind": "guess"}}), encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build_folder.read_figures(tmp_path / "report")
    assert "bad.json, column x.y: not a figure" in info.value.report()


def test_the_wave_of_a_published_report_is_its_manifests(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"options": {"wave": "2027"}}), encoding="utf-8")
    assert build_folder.report_wave(tmp_path) == "2027"
    assert build_folder.report_wave(tmp_path / "nowhere") is None


def test_reading_a_chart_one_way() -> None:
    chart = {"rows": [
        {"key": "a", "in_base": True, "values": {"s": {"count": 5, "base": 10, "pct": 50.0}}},
        {"key": "b", "in_base": True, "values": {"s": {"count": 7, "base": 10, "pct": 70.0}}},
        {"key": "c", "in_base": True, "values": {"s": {"count": 7, "base": 10, "pct": 70.0}}},
        {"key": "d", "in_base": True, "values": {"s": {"count": 9, "base": 10, "pct": None}}},
        {"key": "dk", "in_base": False, "values": {"s": {"count": 9, "base": 10, "pct": 90.0}}},
        {"key": "new", "in_base": True, "values": {}},
    ], "tests": [{"key": "a", "p_value": 0.5}]}
    assert build_folder.ranked_keys(chart, "s") == ["b", "c", "a"]  # by count, ties as asked, shown only
    assert build_folder.series_value(chart["rows"][5], "s") == {"count": None, "base": None, "pct": None}
    assert build_folder.tests_by_key(chart) == {"a": {"key": "a", "p_value": 0.5}}
    assert build_folder.tests_by_key({"tests": None}) == {}


def test_paths_are_spelled_here() -> None:
    assert build_folder.table_file("cs_status") == "tables/cs_status.csv"
    assert build_folder.chart_files("cs_status", ("ja", "en")) == {
        "ja": "charts/cs_status.ja.svg", "en": "charts/cs_status.en.svg"}
    assert build_folder.output_folder(Path("b"), "cross", part=True) == Path("b/parts/cross")


def test_figures_read_twice_are_one_table_named_by_their_content(tmp_path: Path) -> None:
    """A build reads its figures several times (check, lint, page): the same bytes give the same
    table, which names its content; other bytes give another."""
    from hakusho.build_folder import FigureTable, read_figures

    figure = {"value": 12, "kind": "n", "base": 12, "disclosure": "ok"}
    path = tmp_path / "figures.json"
    path.write_text(json.dumps({"ch1.base": figure}), encoding="utf-8")
    first, again = read_figures(path), read_figures(path)
    assert isinstance(first, FigureTable) and first is again and first.digest
    assert read_figures(first) is first
    path.write_text(json.dumps({"ch1.base": {**figure, "value": 13, "base": 13}}), encoding="utf-8")
    changed = read_figures(path)
    assert changed["ch1.base"]["value"] == 13 and changed.digest != first.digest
