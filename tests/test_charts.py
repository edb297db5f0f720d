"""Charts: every kind in both languages, no missing glyphs, deterministic SVG, small bases shown
as counts only, shares printed exactly as given, labels from the catalogs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pytest
import seaborn as sns
from matplotlib.colors import to_hex
from matplotlib.text import Text

from hakusho.analysis.disclosure import disclosure_level
from hakusho.analysis.tabulate import percent
from hakusho.charts import draw as charts
from hakusho.charts import fonts, style
from hakusho.errors import BuildError
from hakusho.i18n import Translator, messages, missing_keys

CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
PCT_LABEL = re.compile(r"\d+\.\d%")
SVG_NS = "{http://www.w3.org/2000/svg}"

# ------------------------------------------------------------------------------ chart dicts


def make_chart(
    chart_id: str,
    answer: str,
    choices: Sequence[tuple[str, str, str]],
    series: Sequence[tuple[str, str, str, str, int, Sequence[int | None]]],
    *,
    compare: str | None = None,
    wave: str = "2025",
    title: tuple[str, str] = ("CSに取り組む目的", "Purpose of customer success"),
    base_label: tuple[str, str] = ("CSに取り組んでいるSaaS企業", "SaaS respondents practising CS"),
    excluded: Sequence[str] = (),
    tests: list[dict[str, Any]] | None = None,
    median: dict[str, str] | None = None,
    distribution: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chart dict as chapter.json holds it. ``series``: (id, wave, label_ja, label_en, base, counts);
    a count of None leaves the choice out of that series (not offered in that wave)."""
    rows = []
    for i, (key, ja, en) in enumerate(choices):
        values = {}
        for sid, _wave, _ja, _en, base, counts in series:
            if counts[i] is None:
                continue
            shown = disclosure_level(base) != "suppressed" and key not in excluded
            values[sid] = {"count": counts[i], "base": base, "pct": percent(counts[i], base) if shown else None}
        rows.append({"key": key, "code": i + 1, "label": {"ja": ja, "en": en}, "in_base": key not in excluded,
                     "values": values})
    first = series[0]
    return {
        "id": chart_id, "title": {"ja": title[0], "en": title[1]}, "answer": answer, "compare": compare,
        "wave": wave, "base": "saas_doing", "base_label": {"ja": base_label[0], "en": base_label[1]},
        "base_n": first[4], "disclosure": disclosure_level(first[4]),
        "question": {"id": chart_id, "text": {"ja": title[0], "en": title[1]}},
        "series": [{"id": s[0], "wave": s[1], "label": {"ja": s[2], "en": s[3]}, "base_n": s[4],
                    "disclosure": disclosure_level(s[4])} for s in series],
        "rows": rows, "median": median, "ranking": [], "groups": {}, "tests": tests,
        "distribution_test": distribution, "table": f"tables/{chart_id}.csv",
        "svg": {"ja": f"charts/{chart_id}.ja.svg", "en": f"charts/{chart_id}.en.svg"},
        "notes": [],
    }


PURPOSE = [
    ("retention", "継続率の向上", "Higher retention"),
    ("expansion", "アップセル・クロスセルの増加", "More upsell and cross-sell"),
    ("loyalty", "顧客ロイヤリティ（NPSなど）の向上", "Customer loyalty (NPS and the like)"),
    ("onboarding", "導入後の立ち上がり（オンボーディング）の早期化", "Faster onboarding after purchase"),
    ("other", "その他", "Other"),
]
PENETRATION = [
    ("company", "全社レベルで浸透している", "Across the whole company"),
    ("several", "事業部の複数部門レベルで浸透している", "Several departments of the business unit"),
    ("team", "CS部門内のみ", "Within the CS team only"),
    ("person", "担当者レベルのみ", "Only the people in charge"),
    ("none", "浸透していない", "Not at all"),
]
DOING = ("saas_doing", "2025", "CSに取り組んでいるSaaS企業", "SaaS respondents practising CS")
Z = "two-proportion z-test"


def multi_chart() -> dict[str, Any]:
    return make_chart("purpose", "multi", PURPOSE, [(*DOING, 221, [95, 160, 120, 60, 3])])


def single_chart() -> dict[str, Any]:
    return make_chart(
        "cs_status", "single",
        [("doing", "既に取り組んでいる", "Already practising"), ("planning", "これから取り組む", "About to start"),
         ("not_doing", "取り組んでいない", "Not practising"), ("dk", "わからない", "Don't know")],
        [("saas", "2025", "SaaS企業の回答者", "SaaS respondents", 253, [221, 28, 4, 4])],
        title=("CSへの取り組み状況", "Customer success adoption"),
        base_label=("SaaS企業の回答者", "SaaS respondents"), excluded=("dk",))


def ordinal_chart() -> dict[str, Any]:
    return make_chart("penetration", "ordinal", PENETRATION, [(*DOING, 221, [60, 113, 38, 7, 3])],
                      title=("社内への浸透度", "How far CS has spread in the company"),
                      median={"saas_doing": "several"})


def by_segment_chart() -> dict[str, Any]:
    return make_chart(
        "department", "multi",
        [("cs", "カスタマーサクセス部門", "Customer success"), ("sales", "営業部門", "Sales"),
         ("support", "カスタマーサポート部門", "Customer support"), ("other", "その他", "Other")],
        [("saas", "2025", "SaaS", "SaaS", 257, [206, 30, 25, 4]),
         ("non_saas", "2025", "非SaaS", "Non-SaaS", 524, [90, 378, 120, 8])],
        compare="by_segment", title=("所属部門", "Department"), base_label=("全回答者", "All respondents"))


def purpose_by_status_chart() -> dict[str, Any]:
    return make_chart("cs_purpose", "multi", PURPOSE,
                      [(*DOING[:2], "既に取り組んでいる", "Practising", 221, [170, 150, 90, 80, 2]),
                       ("saas_planning", "2025", "これから取り組む", "About to start", 24, [15, 11, 14, 9, 0])],
                      base_label=("SaaS企業の回答者", "SaaS respondents"))


def _choice_test(key: str, change: float, p: float, test: str = Z) -> dict[str, Any]:
    return {"key": key, "series": ["2025", "2023"], "scope": "choice", "change_pt": change, "p_value": p,
            "p_adjusted": p, "significant": p < 0.05, "test": test}


def yoy_multi_chart() -> dict[str, Any]:
    tests = [_choice_test("retention", 10.9, 0.02), _choice_test("expansion", -4.4, 0.01),
             _choice_test("loyalty", 1.0, 0.6)]
    return make_chart("kpis_tracked", "multi", [*PURPOSE[:4], ("none", "特に追っていない", "None in particular")],
                      [("2025", "2025", "2025年", "2025", 221, [110, 80, 70, 55, 10]),
                       ("2023", "2023", "2023年", "2023", 180, [70, 80, 55, 50, None])],
                      compare="yoy", title=("CS部門が追っている指標", "KPIs the CS team tracks"), tests=tests)


def yoy_ordinal_chart() -> dict[str, Any]:
    # A bucket of a distribution carries its change only; the one test is the distribution's.
    tests = [{"key": key, "series": ["2025", "2023"], "scope": "bucket", "change_pt": 1.0, "p_value": None,
              "significant": None, "test": None}
             for key, _, _ in PENETRATION]
    distribution = {"key": "distribution", "series": ["2025", "2023"], "scope": "distribution", "p_value": 0.01,
                    "p_adjusted": 0.03,
                    "significant": True, "test": "chi-square test"}
    return make_chart("penetration_yoy", "ordinal", PENETRATION,
                      [("2025", "2025", "2025年", "2025", 221, [60, 113, 38, 7, 3]),
                       ("2023", "2023", "2023年", "2023", 180, [40, 90, 40, 6, 4])],
                      compare="yoy", title=("社内への浸透度", "How far CS has spread"), tests=tests,
                      distribution=distribution)


def trend_multi_chart() -> dict[str, Any]:
    """A question asked in three waves: 2026 against 2025 (its tests) and 2025 against 2023 (a step)."""
    tests = [{"key": "retention", "series": ["2026", "2025"], "change_pt": -1.0, "p_value": 0.8,
              "significant": False, "test": Z},
             {"key": "expansion", "series": ["2026", "2025"], "change_pt": 12.0, "p_value": 0.01,
              "significant": True, "test": Z}]
    step = [{"key": "retention", "series": ["2025", "2023"], "change_pt": 10.9, "p_value": 0.02,
             "significant": True, "test": Z},
            {"key": "expansion", "series": ["2025", "2023"], "change_pt": -8.3, "p_value": 0.3,
             "significant": False, "test": Z}]
    chart = make_chart("kpis_trend", "multi", [*PURPOSE[:4], ("none", "特に追っていない", "None in particular")],
                       [("2026", "2026", "2026年調査", "2026 survey", 169, [83, 88, 50, 40, 5]),
                        ("2025", "2025", "2025年調査", "2025 survey", 221, [110, 80, 70, 55, 10]),
                        ("2023", "2023", "2023年調査", "2023 survey", 180, [70, 80, 55, 50, None])],
                       compare="yoy", wave="2026", title=("CS部門が追っている指標", "KPIs the CS team tracks"),
                       tests=tests)
    chart["steps"] = [{"pair": ["2025", "2023"], "tests": step}]
    return chart


def trend_ordinal_chart() -> dict[str, Any]:
    """Three waves of an ordinal question: only distribution tests, so no point is marked."""
    chart = make_chart("penetration_trend", "ordinal", PENETRATION,
                       [("2026", "2026", "2026年調査", "2026 survey", 150, [50, 70, 20, 6, 4]),
                        ("2025", "2025", "2025年調査", "2025 survey", 221, [60, 113, 38, 7, 3]),
                        ("2023", "2023", "2023年調査", "2023 survey", 180, [40, 90, 40, 6, 4])],
                       compare="yoy", wave="2026", title=("社内への浸透度", "How far CS has spread"),
                       tests=[{"key": key, "series": ["2026", "2025"], "scope": "bucket", "change_pt": 1.0,
                               "p_value": None, "significant": None, "test": None} for key, _, _ in PENETRATION])
    # A bucket carries its change only; the step's one test is the distribution's.
    chart["distribution_test"] = {"key": "distribution", "series": ["2026", "2025"], "scope": "distribution",
                                  "p_value": 0.03, "p_adjusted": 0.03, "significant": True, "test": "chi-square test"}
    chart["steps"] = [{"pair": ["2025", "2023"], "tests": [
        {"key": key, "series": ["2025", "2023"], "scope": "bucket", "change_pt": 1.0, "p_value": None,
         "significant": None, "test": None} for key, _, _ in PENETRATION],
        "distribution_test": {"key": "distribution", "series": ["2025", "2023"], "scope": "distribution",
                              "p_value": 0.01, "p_adjusted": 0.01, "significant": True, "test": "chi-square test"}}]
    return chart


def ref_2023_chart() -> dict[str, Any]:
    chart = make_chart(
        "nrr_2023", "ordinal",
        [("lt90", "90%未満", "Under 90%"), ("90_100", "90〜100%未満", "90% to under 100%"),
         ("ge100", "100%以上", "100% or more"), ("dk", "わからない", "Don't know")],
        [("saas_doing", "2023", "CSに取り組んでいるSaaS企業", "SaaS respondents practising CS", 120, [20, 60, 40, 30])],
        compare="ref_2023", wave="2023", excluded=("dk",),
        title=("売上継続率（白書2023）", "Net revenue retention (2023 edition)"))
    # The chapter stage names the other wave's survey from its codebook.
    chart["source"] = {"ja": "カスタマーサクセス白書2023", "en": "Customer Success White Paper 2023"}
    return chart


def suppressed_multi_chart() -> dict[str, Any]:
    return make_chart(
        "reasons_not", "multi",
        [("no_need", "必要性を感じない", "No need felt"), ("no_people", "担当できる人材がいない", "Nobody to do it"),
         ("other", "その他", "Other")],
        [("saas_not", "2025", "CSに取り組んでいないSaaS企業", "SaaS respondents not practising CS", 4, [2, 1, 0])],
        title=("取り組まない理由", "Reasons for not practising CS"),
        base_label=("CSに取り組んでいないSaaS企業", "SaaS respondents not practising CS"))


def suppressed_single_chart() -> dict[str, Any]:
    return make_chart(
        "would_start", "single",
        [("yes", "取り組みたい", "Yes"), ("maybe", "どちらともいえない", "Not sure"), ("no", "取り組みたくない", "No")],
        [("saas_not", "2025", "CSに取り組んでいないSaaS企業", "SaaS respondents not practising CS", 4, [2, 2, 0])],
        title=("課題が解決されれば取り組みたいか", "Would start CS if the issues were solved"),
        base_label=("CSに取り組んでいないSaaS企業", "SaaS respondents not practising CS"))


def partly_suppressed_chart() -> dict[str, Any]:
    return make_chart("purpose_small", "multi", PURPOSE,
                      [(*DOING[:2], "既に取り組んでいる", "Practising", 221, [170, 150, 90, 80, 2]),
                       ("saas_planning", "2025", "これから取り組む", "About to start", 6, [3, 2, 1, 1, 0])],
                      base_label=("SaaS企業の回答者", "SaaS respondents"))


CHARTS = {
    "multi": (multi_chart, "bars"),
    "single": (single_chart, "stacked"),
    "ordinal": (ordinal_chart, "stacked"),
    "by_segment": (by_segment_chart, "grouped"),
    "practising_vs_planning": (purpose_by_status_chart, "grouped"),
    "yoy_multi": (yoy_multi_chart, "grouped"),
    "yoy_ordinal": (yoy_ordinal_chart, "grouped"),
    "trend_multi": (trend_multi_chart, "trend"),
    "trend_ordinal": (trend_ordinal_chart, "trend"),
    "ref_2023": (ref_2023_chart, "stacked"),
    "suppressed_multi": (suppressed_multi_chart, "bars"),
    "suppressed_single": (suppressed_single_chart, "bars"),
    "partly_suppressed": (partly_suppressed_chart, "grouped"),
}
SUPPRESSED = ("suppressed_multi", "suppressed_single")

# ------------------------------------------------------------------------------ drawing and reading back


@contextmanager
def strict_warnings() -> Iterator[None]:
    """Every warning is an error: a missing glyph, a deprecation, a font not found."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def svg_bytes(chart: dict[str, Any], lang: str, tmp_path: Path, name: str = "chart", **kwargs: Any) -> bytes:
    path = charts.save_svg(charts.draw_chart(chart, lang, **kwargs), tmp_path / f"{name}.{lang}.svg")
    return path.read_bytes()


def svg_texts(data: bytes) -> list[str]:
    """The text of every <text> element (labels stay text: svg.fonttype none)."""
    root = ET.fromstring(data)
    return ["".join(el.itertext()) for el in root.iter(f"{SVG_NS}text")]


# ------------------------------------------------------------------------------ catalogs


def test_both_catalogs_have_the_same_keys() -> None:
    assert missing_keys("charts") == {}


def test_every_key_the_code_uses_is_in_both_catalogs() -> None:
    source = Path(charts.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r"""\bt\(\s*"([a-z_]+\.[a-z_.]+)\"""", source))
    from hakusho.analysis.contingency import TEST_SLUGS

    used |= {"test." + charts._slug(name) for name in TEST_SLUGS if name != "Cochran-Mantel-Haenszel test"}
    prefixes = ("note.", "note.segment_")
    used |= {p + k for p in prefixes for k in ("distribution_significant", "distribution_not_significant")}
    assert len(used) > 15
    for lang in ("ja", "en"):
        assert used <= set(messages(lang, "charts")), sorted(used - set(messages(lang, "charts")))


def test_english_catalog_has_no_japanese() -> None:
    assert not [v for v in messages("en", "charts").values() if CJK.search(v)]


# ------------------------------------------------------------------------------ every kind


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_kind_draws_in_both_languages_without_warnings(name: str, lang: str, tmp_path: Path) -> None:
    build, kind = CHARTS[name]
    chart = build()
    assert charts.chart_kind(chart) == kind
    with strict_warnings():
        fig = charts.draw_chart(chart, lang)
        charts.save_svg(fig, tmp_path / "c.svg")
        style.save_png(fig, tmp_path / "c.png", dpi=60)
        charts.save_svg(fig, tmp_path / "p.svg", text="paths")
    texts = svg_texts((tmp_path / "c.svg").read_bytes())
    title = chart["title"][lang]
    assert any(title in t for t in texts)
    base_n = chart["series"][0]["base_n"]
    assert any(f"n={base_n}" in t and chart["base_label"][lang] in t for t in texts)
    if lang == "ja":
        assert any(row["label"]["ja"][:4] in t for t in texts for row in chart["rows"])
    else:
        assert not [t for t in texts if CJK.search(t)]


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_no_text_leaves_the_figure(name: str) -> None:
    """Nothing clipped: every text (labels, legend, notes) lies inside the canvas."""
    fig = charts.draw_chart(CHARTS[name][0](), "ja")
    fig.canvas.draw()  # legends place their texts when drawn
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    ax = fig.axes[0]
    undrawn = {id(t) for t in ax.get_xticklabels() if not ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]}
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5, text.get_text()
        assert frame.y0 - 0.5 <= box.y0 and box.y1 <= frame.y1 + 0.5, text.get_text()


@pytest.mark.parametrize("name", ["multi", "by_segment", "yoy_multi"])
def test_value_labels_stay_inside_the_plot(name: str) -> None:
    fig = charts.draw_chart(CHARTS[name][0](), "en", size="half")
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    right = ax.get_window_extent(renderer).x1
    labels = [t for t in ax.texts if PCT_LABEL.search(t.get_text())]
    assert labels
    assert all(t.get_window_extent(renderer).x1 <= right + 0.5 for t in labels)


def test_full_width_is_twice_the_half_and_taller_for_a_slide() -> None:
    half = charts.draw_chart(multi_chart(), "ja", size="half")
    full = charts.draw_chart(multi_chart(), "ja", size="full")
    assert full.get_figwidth() == pytest.approx(2 * half.get_figwidth())
    assert full.get_figheight() > half.get_figheight()
    with pytest.raises(BuildError, match="size"):
        charts.draw_chart(multi_chart(), "ja", size="quarter")


# ------------------------------------------------------------------------------ glyphs and languages


def test_japanese_in_an_english_chart_is_an_error_not_a_missing_glyph() -> None:
    chart = multi_chart()
    chart["rows"][0]["label"]["en"] = "継続率 retention"
    with pytest.raises(BuildError, match=r"chart purpose \(en\).*U\+7D99"):
        charts.draw_chart(chart, "en")


def test_symbols_ipaexgothic_lacks_fall_back_without_warnings(tmp_path: Path) -> None:
    chart = multi_chart()
    chart["rows"][0]["label"]["ja"] = "従業員数 ≥ 1000"
    with strict_warnings():
        data = svg_bytes(chart, "ja", tmp_path, filter_text={"ja": "従業員規模 ≥ 1000", "en": "Employees ≥ 1000"})
    texts = svg_texts(data)
    assert any("≥ 1000" in t for t in texts)
    assert b"font-family: 'IPAexGothic', 'DejaVu Sans'" in data


def test_english_svg_names_only_the_latin_face(tmp_path: Path) -> None:
    data = svg_bytes(by_segment_chart(), "en", tmp_path)
    assert b"IPAexGothic" not in data
    assert b"font-family: 'DejaVu Sans'" in data
    assert not CJK.search(data.decode("utf-8"))


def test_japanese_labels_stay_text_in_the_svg(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(multi_chart(), "ja", tmp_path))
    assert "継続率の向上" in texts
    assert "複数回答あり" in texts


def test_paths_mode_draws_outlines_instead_of_text(tmp_path: Path) -> None:
    path = charts.save_svg(charts.draw_chart(multi_chart(), "ja"), tmp_path / "p.svg", text="paths")
    assert not svg_texts(path.read_bytes())
    with pytest.raises(BuildError, match="text mode"):
        charts.save_svg(charts.draw_chart(multi_chart(), "ja"), tmp_path / "x.svg", text="glyphs")


# ------------------------------------------------------------------------------ determinism


@pytest.mark.parametrize("name", ["multi", "ordinal", "yoy_multi", "suppressed_single"])
def test_svg_is_byte_identical_across_two_renders(name: str, tmp_path: Path) -> None:
    chart = CHARTS[name][0]()
    first = svg_bytes(chart, "ja", tmp_path, "a")
    second = svg_bytes(chart, "ja", tmp_path, "b")
    assert first == second
    assert b"<dc:date>" not in first and b"Matplotlib v" not in first


def test_svg_is_byte_identical_in_another_process(tmp_path: Path) -> None:
    chart = yoy_multi_chart()
    (tmp_path / "chart.json").write_text(json.dumps(chart, ensure_ascii=False), encoding="utf-8")
    mine = {lang: svg_bytes(chart, lang, tmp_path, "here") for lang in ("ja", "en")}
    script = (
        "import json, sys\n"
        "from hakusho.charts.draw import draw_chart, save_svg\n"
        "chart = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "for lang in ('ja', 'en'):\n"
        "    save_svg(draw_chart(chart, lang), f'{sys.argv[2]}/there.{lang}.svg')\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "chart.json"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for lang in ("ja", "en"):
        assert (tmp_path / f"there.{lang}.svg").read_bytes() == mine[lang]


def test_global_matplotlib_state_changes_nothing(tmp_path: Path) -> None:
    """sns.set_theme() and other global changes neither leak into a chart nor into its saving."""
    clean = svg_bytes(ordinal_chart(), "ja", tmp_path, "clean")
    with mpl.rc_context():
        sns.set_theme(style="darkgrid", font="serif", font_scale=1.4)
        mpl.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": None, "text.color": "red",
                             "font.family": ["serif"]})
        with strict_warnings():
            dirty = svg_bytes(ordinal_chart(), "ja", tmp_path, "dirty")
    assert dirty == clean
    fig = charts.draw_chart(ordinal_chart(), "ja")
    with mpl.rc_context(), strict_warnings():
        sns.set_theme(font="serif")
        saved_later = charts.save_svg(fig, tmp_path / "later.svg").read_bytes()
    assert saved_later == clean


# ------------------------------------------------------------------------------ small bases


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", SUPPRESSED)
def test_suppressed_charts_show_counts_and_say_why(name: str, lang: str, tmp_path: Path) -> None:
    chart = CHARTS[name][0]()
    # Even a share that slipped into the dict must not be drawn.
    chart["rows"][0]["values"]["saas_not"]["pct"] = 50.0
    texts = svg_texts(svg_bytes(chart, lang, tmp_path))
    assert not [t for t in texts if PCT_LABEL.search(t) or "50.0" in t]
    note = messages(lang, "charts")["note.suppressed"].split("{n}")[0]
    assert any(note in t for t in texts)
    assert Translator(lang, "charts")("badge.suppressed") in texts
    assert messages(lang, "charts")["axis.count"] in texts
    ax = charts.draw_chart(chart, lang).axes[0]
    assert ax.xaxis.get_visible()
    assert all(float(tick).is_integer() for tick in ax.get_xticks())


def test_stacked_refuses_a_base_under_ten() -> None:
    with pytest.raises(BuildError, match="under 10"):
        charts.plot_stacked(suppressed_single_chart(), lang="ja")


def test_a_suppressed_series_beside_a_shown_one_gives_counts_in_brackets(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(partly_suppressed_chart(), "en", tmp_path))
    assert "(3)" in texts
    assert "76.9%" in texts
    assert any(t.startswith("About to start: fewer than 10 answers") for t in texts)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_indicative_bases_are_marked(lang: str, tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(purpose_by_status_chart(), lang, tmp_path))
    catalog = messages(lang, "charts")
    assert Translator(lang, "charts")("badge.indicative") in texts
    series = purpose_by_status_chart()["series"][1]["label"][lang]
    assert catalog["legend.indicative"].format(series=series) in texts
    ok = svg_texts(svg_bytes(multi_chart(), lang, tmp_path, "ok"))
    assert Translator(lang, "charts")("badge.indicative") not in ok


# ------------------------------------------------------------------------------ what is printed


def test_shares_are_printed_as_given_never_recomputed(tmp_path: Path) -> None:
    chart = multi_chart()
    chart["rows"][0]["values"]["saas_doing"]["pct"] = 12.3  # 95/221 would be 43.0
    texts = svg_texts(svg_bytes(chart, "en", tmp_path))
    assert "12.3%" in texts and "43.0%" not in texts
    chart["rows"][0]["values"]["saas_doing"]["pct"] = 12.34
    with pytest.raises(BuildError, match="not rounded to one decimal"):
        charts.draw_chart(chart, "en")


def test_a_missing_share_of_a_shown_series_is_an_error() -> None:
    chart = multi_chart()
    chart["rows"][1]["values"]["saas_doing"]["pct"] = None
    with pytest.raises(BuildError, match="row expansion has no pct"):
        charts.draw_chart(chart, "ja")


def test_multiple_answers_are_sorted_largest_on_top() -> None:
    ax = charts.plot_bars(multi_chart(), lang="en")
    top_to_bottom = sorted(ax.get_yticklabels(), key=lambda t: t.get_position()[1])  # y grows downwards
    labels = [t.get_text().replace("\n", " ") for t in top_to_bottom]
    assert labels[:3] == ["More upsell and cross-sell", "Customer loyalty (NPS and the like)", "Higher retention"]
    assert ax.yaxis_inverted()


def test_ordinal_buckets_keep_their_order_in_a_sequential_palette() -> None:
    ax = charts.plot_stacked(ordinal_chart(), lang="ja")
    bars = sorted(ax.patches, key=lambda p: p.get_x())
    widths = [round(p.get_width(), 1) for p in bars]
    assert widths == [row["values"]["saas_doing"]["pct"] for row in ordinal_chart()["rows"]]
    with style.house_style("ja"):
        expected = style.sequential_colors(len(bars))
    assert [to_hex(p.get_facecolor()) for p in bars] == expected
    lightness = [sum(mpl.colors.to_rgb(c)) for c in expected]
    assert lightness == sorted(lightness, reverse=True)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "事業部の複数部門レベルで浸透している（中央値）" in legend


def test_choices_outside_the_base_are_named_with_their_count(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(single_chart(), "ja", tmp_path))
    assert "母数に含めない回答：わからない（4件）" in texts
    assert not any(t == "わからない" for t in texts)  # not drawn as a segment


def test_year_over_year_marks_significant_choices_only(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(yoy_multi_chart(), "en", tmp_path))
    assert "49.8% ▲" in texts  # retention 110/221, up and significant
    assert "36.2% ▼" in texts  # expansion 80/221, down and significant
    assert "31.7%" in texts and "31.7% ▲" not in texts  # loyalty: not significant
    assert "(not offered)" in texts  # "none" was not a 2023 choice
    footer = " ".join(texts)
    assert "▲▼ Statistically significant" in footer and "two-proportion z-test" in footer
    assert "adjusting for the number of tests" in footer


def test_a_choice_without_a_count_in_one_wave_reads_not_offered(tmp_path: Path) -> None:
    chart = yoy_multi_chart()
    chart["rows"][-1]["values"]["2023"] = {"count": None, "base": 180, "pct": None}
    assert "(not offered)" in svg_texts(svg_bytes(chart, "en", tmp_path))


def test_narrow_segments_at_both_ends_share_one_row_of_labels() -> None:
    chart = make_chart("ends", "ordinal", PENETRATION, [(*DOING, 200, [1, 3, 190, 3, 3])])
    ax = charts.plot_stacked(chart, lang="en", size="full")
    outside = [t for t in ax.texts if t.get_text() in ("0.5%", "1.5%")]
    assert len(outside) == 4  # every segment but the 95.0% one is too narrow for its label
    assert len({t.get_position()[1] for t in outside}) == 1


def test_distribution_tests_get_a_note_not_marks(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(yoy_ordinal_chart(), "ja", tmp_path))
    assert not [t for t in texts if "▲" in t or "▼" in t]
    assert any("カイ二乗検定" in t and "有意に変化" in t for t in texts)


def test_three_waves_are_a_trend_with_each_significant_step_marked(tmp_path: Path) -> None:
    chart = trend_multi_chart()
    texts = svg_texts(svg_bytes(chart, "en", tmp_path))
    # retention: up 2023 → 2025 (significant, marked on 2025's point), not 2025 → 2026
    assert "49.8% ▲" in texts and "49.1%" in texts and "49.1% ▼" not in texts
    # expansion: up 2025 → 2026 (significant, on 2026's point); the 2023 → 2025 drop is not marked
    assert "52.1% ▲" in texts and "36.2%" in texts and "36.2% ▼" not in texts
    assert any(t.startswith("▲▼ Statistically significant") and "wave before" in t for t in texts)
    assert not any("since 2025" in t for t in texts)  # the marks are not about one comparison wave
    ja = svg_texts(svg_bytes(chart, "ja", tmp_path))
    assert any(t.startswith("▲▼ 前回調査から") for t in ja)
    # two waves stay bars side by side
    two = yoy_multi_chart()
    assert charts.chart_kind(two) == "grouped"
    two["compare"] = None
    two["series"].append({**two["series"][0], "id": "x"})
    assert charts.chart_kind(two) == "grouped"  # three populations, not waves


def test_a_trend_reads_left_to_right_on_one_scale() -> None:
    ax = charts.PLOTTERS["trend"](trend_multi_chart(), lang="en", size="full")
    panels = ax.child_axes
    assert len(panels) == 5
    for panel in panels:
        assert [t.get_text() for t in panel.get_xticklabels()] == ["2023", "2025", "2026"]
    assert len({panel.get_ylim() for panel in panels}) == 1  # one share scale for every choice
    none = next(p for p in panels if p.get_title(loc="left") == "None in particular")
    assert len([t for t in none.texts if t.get_text()]) == 2  # not offered in 2023: no point there


def test_a_trend_of_distribution_tests_marks_no_point(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(trend_ordinal_chart(), "en", tmp_path))
    assert not [t for t in texts if "▲" in t or "▼" in t]
    assert any("distribution" in t for t in texts)


def test_yoy_draws_the_comparison_wave_first() -> None:
    ax = charts.plot_grouped(yoy_multi_chart(), lang="en")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2023", "2025"]


def test_reference_charts_name_their_source(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(ref_2023_chart(), "en", tmp_path))
    assert "Source: Customer Success White Paper 2023" in texts
    texts = svg_texts(svg_bytes(ref_2023_chart(), "ja", tmp_path))
    assert "出典：カスタマーサクセス白書2023" in texts


def test_multiple_answers_are_said_only_where_they_apply(tmp_path: Path) -> None:
    assert "Multiple answers" in svg_texts(svg_bytes(multi_chart(), "en", tmp_path, "m"))
    assert "Multiple answers" not in svg_texts(svg_bytes(single_chart(), "en", tmp_path, "s"))


def test_a_filtered_run_states_its_filter(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(multi_chart(), "en", tmp_path, filter_text={"ja": "従業員規模 1000人以上",
                                                                            "en": "Employees 1,000 or more"}))
    assert "Filter: Employees 1,000 or more" in texts
    texts = svg_texts(svg_bytes(multi_chart(), "ja", tmp_path, filter_text="employees >= 1000"))
    assert "絞り込み条件：employees >= 1000" in texts


def test_chart_notes_are_drawn_only_when_asked(tmp_path: Path) -> None:
    chart = multi_chart()
    chart["notes"] = [{"key": "crosswalk.note", "params": {}, "ja": "設問文は2023年から変更されています。",
                       "en": "The question was reworded after 2023."}]
    assert "Note: The question was reworded after 2023." not in svg_texts(svg_bytes(chart, "en", tmp_path, "a"))
    assert "Note: The question was reworded after 2023." in svg_texts(svg_bytes(chart, "en", tmp_path, "b", notes=True))


def test_a_chart_without_its_title_keeps_its_marks(tmp_path: Path) -> None:
    texts = svg_texts(svg_bytes(purpose_by_status_chart(), "en", tmp_path, title=False))
    assert "Purpose of customer success" not in texts
    assert "Indicative (n<30)" in texts and "Multiple answers" in texts


def test_bad_chart_dicts_are_reported_by_chart_id() -> None:
    chart = multi_chart()
    chart["disclosure"] = "hidden"
    with pytest.raises(BuildError, match="chart purpose: disclosure 'hidden'"):
        charts.draw_chart(chart, "ja")
    chart = multi_chart()
    chart["series"][0]["label"] = {"ja": "", "en": "x"}
    with pytest.raises(BuildError, match="chart purpose: series saas_doing label has no ja text"):
        charts.draw_chart(chart, "ja")
    chart = multi_chart()
    del chart["base_label"]
    with pytest.raises(BuildError, match="'base_label' is missing"):
        charts.draw_chart(chart, "en")


def test_write_chart_svgs_follows_the_chart_dict(tmp_path: Path) -> None:
    written = charts.write_chart_svgs(ordinal_chart(), tmp_path)
    assert written == {lang: tmp_path / f"charts/penetration.{lang}.svg" for lang in ("ja", "en")}
    assert all(p.is_file() for p in written.values())


def test_plotting_functions_draw_into_a_given_axes() -> None:
    ax = charts.plot_bars(multi_chart(), lang="ja")
    again = charts.plot_bars(multi_chart(), lang="ja", ax=ax)
    assert again is ax
    with pytest.raises(BuildError, match="one series"):
        charts.plot_bars(by_segment_chart(), lang="ja")
    assert fonts.FAMILIES["ja"][0] in {t.get_fontfamily()[0] for t in ax.get_yticklabels()}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_drawn_bar_carries_the_id_the_pages_tooltip_finds(name: str, tmp_path: Path) -> None:
    from hakusho.charts.view import bar_gid

    chart = CHARTS[name][0]()
    charts.save_svg(charts.draw_chart(chart, "en"), tmp_path / "c.svg")
    ids = set(re.findall(r'<g id="(bar-[^"]+)"', (tmp_path / "c.svg").read_text(encoding="utf-8")))
    drawn = set()
    several = len(chart["series"]) > 1
    for series in chart["series"]:
        small = series["disclosure"] in ("suppressed", "empty")
        for row in chart["rows"]:
            cell = row["values"].get(series["id"]) or {}
            # A small series beside others shows its counts as text, no bar; alone, its counts as bars.
            shown = None if small and several else cell.get("count") if small else cell.get("pct")
            if row.get("in_base", True) and shown:
                drawn.add(bar_gid(series["id"], row["key"]))
    assert drawn and drawn <= ids, sorted(drawn - ids)
