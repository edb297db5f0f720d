"""Charts drawn once per content and only in the languages asked for: a stored drawing is the
drawing, byte for byte; anything that changes a drawing changes its key; a chapter written for
one language draws no other until something shows or renders it."""

from __future__ import annotations

from pathlib import Path

import pytest
from chapter_fixtures import crosswalk, spec, survey_2023, survey_2025

from hakusho import config, content_store
from hakusho.analysis import chapter as chapter_module
from hakusho.analysis.chapter import compute_chapter
from hakusho.charts import svg
from hakusho.pipeline.assemble import complete_charts


@pytest.fixture(scope="module")
def result():
    return compute_chapter("t1", survey_2025(), survey_2023(), crosswalk=crosswalk(), spec=spec(), segment="saas")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / svg.STORE


def count_draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from hakusho.charts import draw

    drawn: list[str] = []
    original = draw.draw_chart

    def counting(chart, lang, **kwargs):
        drawn.append(f"{chart['id']}.{lang}")
        return original(chart, lang, **kwargs)

    monkeypatch.setattr(draw, "draw_chart", counting)
    return drawn


def svgs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.svg"))


def test_a_chart_is_drawn_once_and_copied_after(result, store: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = count_draws(monkeypatch)
    first = result.write(tmp_path / "a")
    assert len(drawn) == 2 * 2 * len(first.chart_ids)  # two languages; a slide's drawing and a phone's
    assert len(list(store.iterdir())) == len(drawn)
    second = result.write(tmp_path / "b")
    assert len(drawn) == 2 * 2 * len(first.chart_ids)  # nothing drawn again
    for name in svgs(first.output_dir):
        assert (first.output_dir / "charts" / name).read_bytes() == (second.output_dir / "charts" / name).read_bytes()


def test_stored_drawings_are_the_drawings(result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CACHE_ENV, raising=False)
    plain = result.write(tmp_path / "plain")
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    result.write(tmp_path / "fill")
    stored = result.write(tmp_path / "stored")
    assert svgs(plain.output_dir) == svgs(stored.output_dir)
    for name in svgs(plain.output_dir):
        assert (plain.output_dir / "charts" / name).read_bytes() == (stored.output_dir / "charts" / name).read_bytes()


def test_without_a_build_nothing_is_stored(result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CACHE_ENV, raising=False)
    assert content_store.folder(svg.STORE) is None
    result.write(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_everything_a_drawing_depends_on_is_in_its_key(result, store: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    chart = result.chart("tools")
    drawn = count_draws(monkeypatch)
    base = {"kind": "chart", "doc": chart, "lang": "ja", "dest": tmp_path / "x.svg", "size": "half",
            "filter_text": None}
    svg.write_svg(**base)
    for change in ({"lang": "en"}, {"size": "full"}, {"filter_text": "従業員 100名以上"},
                   {"doc": {**chart, "base_n": chart["base_n"] + 1}}):
        before = len(drawn)
        svg.write_svg(**{**base, **change})
        assert len(drawn) == before + 1, change
    before = len(drawn)
    svg.write_svg(**base)
    assert len(drawn) == before
    # A project's own style sheet or catalog changes every drawing.
    monkeypatch.setattr(svg, "drawing_inputs", lambda: {"files": "another style sheet"})
    svg.write_svg(**base)
    assert len(drawn) == before + 1


def test_a_chapter_draws_only_the_languages_asked(result, store: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.CHART_LANGS_ENV, "en")
    drawn = count_draws(monkeypatch)
    written = result.write(tmp_path / "en")
    assert all(name.endswith((".en.svg", ".en.phone.svg")) for name in svgs(written.output_dir))
    assert {d.rsplit(".", 1)[1] for d in drawn} == {"en"}
    # A notebook showing a chart in Japanese draws that one then.
    path = written.svg_path("tools", "ja")
    assert path.is_file() and path.name == "tools.ja.svg"
    assert drawn[-1] == "tools.ja"


def test_the_renderers_get_the_languages_a_chapter_did_not_draw(result, store: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    written = result.write(tmp_path / "t1", langs=["ja"])
    assert not any(name.endswith(".en.svg") for name in svgs(written.output_dir))
    drawn = count_draws(monkeypatch)
    complete_charts({"t1": written.output_dir}, ["ja", "en"], ["ja", "en"])
    assert {d.rsplit(".", 1)[1] for d in drawn} == {"en"}  # the Japanese ones are there already
    both = result.write(tmp_path / "both", langs=["ja", "en"])
    assert svgs(written.output_dir) == svgs(both.output_dir)
    drawn.clear()
    complete_charts({"t1": written.output_dir}, ["ja", "en"], ["ja", "en"])
    assert drawn == []


def test_phone_drawings_are_made_only_for_a_page(result, store: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.PHONE_DRAWINGS_ENV, "0")  # a build rendering no HTML page
    drawn = count_draws(monkeypatch)
    written = result.write(tmp_path / "t1")
    assert svgs(written.output_dir) == sorted(f"{c}.{lang}.svg" for c in written.chart_ids for lang in ("ja", "en"))
    assert len(drawn) == 2 * len(written.chart_ids)
    # A PDF or workbook later asks for nothing more; an English page for its phone drawings only.
    complete_charts({"t1": written.output_dir}, ["ja", "en"], [])
    assert len(drawn) == 2 * len(written.chart_ids)
    complete_charts({"t1": written.output_dir}, ["ja", "en"], ["en"])
    assert sorted(set(svgs(written.output_dir)) - {f"{c}.{lang}.svg" for c in written.chart_ids
                                                     for lang in ("ja", "en")}) == sorted(
        f"{c}.en.phone.svg" for c in written.chart_ids)
    # The same bytes as a chapter that drew everything at once.
    monkeypatch.delenv(config.PHONE_DRAWINGS_ENV)
    both = result.write(tmp_path / "both")
    for name in svgs(written.output_dir):
        assert (written.output_dir / "charts" / name).read_bytes() == (both.output_dir / "charts" / name).read_bytes()


def test_text_sizes_shared_between_charts_change_no_byte(result, tmp_path: Path) -> None:
    """Labels measured for one chart are reused by the next (charts.style): each drawing equals
    the one made in a process that measured nothing before it."""
    from hakusho.charts import style

    together = result.write(tmp_path / "together").output_dir
    for name in svgs(together):
        chart_id, lang = name.split(".")[:2]
        style._METRICS.clear()
        alone = result.draw_svg(chart_id, lang, tmp_path / name, phone=".phone." in name)
        assert alone is not None
        assert alone.read_bytes() == (together / "charts" / name).read_bytes(), name


def test_the_default_languages_follow_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CHART_LANGS_ENV, raising=False)
    assert config.chart_langs() == ("ja", "en")
    monkeypatch.setenv(config.CHART_LANGS_ENV, "en,ja")
    assert config.chart_langs() == ("ja", "en")
    monkeypatch.setenv(config.CHART_LANGS_ENV, "en")
    assert config.chart_langs() == ("en",)
    assert chapter_module.LANGS == ("ja", "en")
