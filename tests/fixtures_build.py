"""A build directory made in code, laid out exactly as the chapter stage writes it.

The assembly tests need every chapter of the spec, with numbers they can control: which choice
ranks first, whether a share rose, how small a base is. Running the notebooks for that would be
slow and would tie every renderer test to the synthetic data. So this module fabricates the
chapter outputs from the spec and the codebooks:

    chapters = fake_chapters()                       # chapter.json documents, spec order
    set_counts(chapters, "cs_status", {"doing": 90})  # change a figure; derived values follow
    write_build(tmp_path / "build", chapters)         # chapter.json, figures.json, CSV, SVG, survey.json

Shares, medians, ranks, combined shares and year-over-year tests are derived with the project's
own functions (tabulate, compare, figures, disclosure), so the documents carry what the chapter
stage would carry for the same counts. Only the SVGs are simple drawings made here (bars with
labels): the renderers treat charts as opaque images with text.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from hakusho import build_folder
from hakusho.analysis.chapter import CSV_COLUMNS, csv_text
from hakusho.analysis.compare import yoy_tests
from hakusho.analysis.disclosure import base_notes, disclosure_level, note
from hakusho.analysis.figures import chapter_figures
from hakusho.analysis.spec import Chart, Spec, default_spec
from hakusho.analysis.tabulate import SERIES_COLUMNS, group_share, median_bucket, percent, ranking
from hakusho.i18n import Translator
from hakusho.survey.codebook import Codebook, Question, load_codebook

LANGS = ("ja", "en")
WAVE, COMPARE_WAVE = "2025", "2023"

# Respondents per population in the report wave and the comparison wave (before "don't know").
SIZES = {"all": 781, "saas": 257, "non_saas": 524, "it_non_saas": 96, "saas_doing": 221,
         "saas_planning": 12, "saas_not": 4, "segment": 257}
COMPARE_SIZES = {"all": 203, "saas": 203, "saas_doing": 188, "segment": 203}

# Choices a year-over-year chart's comparison wave did not offer: the chapter stage leaves that
# series out of the row's values altogether (no count, not a zero).
NEW_IN_REPORT_WAVE = {"kpis_tracked": {"grr", "expansion_deals", "onboarding_completion", "other"}}

# Counts the published report prints, so that headlines read like the real ones.
ANCHORS: dict[str, dict[str, int]] = {
    "route": {"sns": 258, "panel": 523},
    "cs_status": {"doing": 221, "planning": 12, "not_doing": 4, "unknown": 20},
}


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(parts).encode()))


def _bilingual(obj: Any) -> dict[str, str]:
    return {"ja": obj.ja, "en": obj.en}


def _wave_label(wave: str) -> dict[str, str]:
    return {lang: Translator(lang, "notes")("label.wave", wave=wave) for lang in LANGS}


def _random_counts(question: Question, base: int, *parts: str) -> dict[str, int]:
    """Counts per choice: a multinomial split of the base (single/ordinal) or binomials (multi)."""
    rng = _rng(question.id, *parts)
    keys = [c.key for c in question.choices]
    if question.type == "multi":
        probs = np.sort(rng.uniform(0.03, 0.85, len(keys)))[::-1]
        probs = rng.permutation(probs)
        return {k: int(rng.binomial(base, p)) for k, p in zip(keys, probs, strict=True)}
    weights = rng.gamma(2.0, 1.0, len(keys))
    split = rng.multinomial(base, weights / weights.sum())
    return {k: int(v) for k, v in zip(keys, split, strict=True)}


def _series_plan(chart: Chart, segment: str) -> list[tuple[str, str, str]]:
    """(series id, wave, population) of each series, as the chapter stage names them."""
    if chart.wave == "compare":
        return [(chart.base, COMPARE_WAVE, chart.base)]
    if chart.compare == "yoy":
        return [(WAVE, WAVE, chart.base), (COMPARE_WAVE, COMPARE_WAVE, chart.base)]
    if chart.compare == "by_segment":
        return [("saas", WAVE, "saas"), ("non_saas", WAVE, "non_saas")] if segment == "saas" else \
            [("non_saas", WAVE, "non_saas"), ("saas", WAVE, "saas")]
    pops = list(chart.series) or [chart.base]
    return [(p, WAVE, p) for p in pops]


def _series_table(question: Question, counts: Mapping[str, int], size: int, series_id: str,
                  absent: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One series as a long share table: "don't know" answers counted but outside the base,
    choices the wave did not offer (``absent``) without a count."""
    outside = sum(counts.get(c.key, 0) for c in question.choices if not c.in_base)
    base = size - outside if question.type != "multi" else size
    rows = []
    for c in question.choices:
        if c.key in absent:
            rows.append((series_id, c.code, c.key, c.ja, c.en, float("nan"), base, float("nan")))
            continue
        n = int(counts.get(c.key, 0))
        pct = percent(n, base) if c.in_base and base >= 10 else float("nan")
        rows.append((series_id, c.code, c.key, c.ja, c.en, n, base, pct))
    return pd.DataFrame(rows, columns=SERIES_COLUMNS)


def _chart_doc(chart: Chart, question: Question, tables: dict[str, pd.DataFrame],
               plan: list[tuple[str, str, str]], spec: Spec) -> dict[str, Any]:
    """The chart dict of chapter.json from its series tables (shares already suppressed)."""
    first = plan[0][0]
    bases = {sid: int(tables[sid]["base"].iloc[0]) for sid, _, _ in plan}
    levels = {sid: disclosure_level(b) for sid, b in bases.items()}
    rows = []
    for c in question.choices:
        values = {}
        for sid, _, _ in plan:
            row = tables[sid].set_index("choice_key").loc[c.key]
            if pd.isna(row["count"]):
                continue
            pct = None if pd.isna(row["pct"]) else float(row["pct"])
            values[sid] = {"count": int(row["count"]), "base": bases[sid], "pct": pct}
        rows.append({"key": c.key, "code": c.code, "label": _bilingual(c), "in_base": c.in_base, "values": values})

    yoy = chart.compare == "yoy" and len(plan) == 2
    series = []
    for sid, wave, pop in plan:
        label = _wave_label(wave) if chart.compare == "yoy" else _bilingual(spec.populations[pop])
        series.append({"id": sid, "wave": wave, "label": label, "base_n": bases[sid], "disclosure": levels[sid]})

    notes: list[dict[str, Any]] = []
    if chart.answer == "multi":
        notes.append(note("note.multi"))
    notes += base_notes(levels[first], bases[first])
    for s in series[1:]:
        if s["disclosure"] in ("suppressed", "indicative"):
            notes.append(note(f"note.series_{s['disclosure']}", series=s["label"], n=s["base_n"]))
    for c in question.choices:
        if not c.in_base:
            notes.append(note("note.outside_base", choice=_bilingual(c)))
    title = _bilingual(chart.title)
    extra: dict[str, Any] = {}
    if chart.wave == "compare":  # as the chapter stage names another wave: from its codebook
        info = load_codebook(COMPARE_WAVE).survey
        notes.append(note("note.reference_wave", wave=COMPARE_WAVE, survey=_bilingual(info.title)))
        edition = _bilingual(info.short_title or info.title)
        title = {lang: Translator(lang, "charts")("title.reference", title=title[lang], edition=edition[lang])
                 for lang in LANGS}
        extra["source"] = _bilingual(info.title)
    tests = distribution = None
    if yoy:
        notes.append(note("note.yoy_crosswalk", wave=WAVE, compare=COMPARE_WAVE))
        notes.append(note("note.yoy_test.distribution" if chart.answer == "ordinal" else "note.yoy_test.choice"))
        raw = pd.concat([tables[sid] for sid, _, _ in plan], ignore_index=True)
        keys = [c.key for c in question.choices if c.in_base]
        found = yoy_tests(raw, answer=chart.answer, report_series=WAVE, compare_series=COMPARE_WAVE, keys=keys)
        tests, distribution = found.choices, found.distribution

    groups: dict[str, dict[str, float | None]] = {}
    for group in chart.groups:
        groups[group.id] = {sid: (group_share(tables[sid], group.keys) if levels[sid] != "suppressed" else None)
                            for sid, _, _ in plan}
    median = None
    if chart.answer == "ordinal":
        median = {sid: (median_bucket(tables[sid]) if levels[sid] != "suppressed" else None) for sid, _, _ in plan}
    in_base = tables[first][tables[first]["choice_key"].isin([c.key for c in question.choices if c.in_base])]
    with_pct = in_base.assign(pct=in_base["pct"].fillna(0.0))
    return {
        "id": chart.id, "title": title, "answer": chart.answer, "compare": chart.compare,
        "wave": plan[0][1], "base": chart.base, "base_label": _bilingual(spec.populations[chart.base]),
        "base_n": bases[first], "disclosure": levels[first],
        "question": {"id": question.id, "text": _bilingual(question.text)},
        "series": series, "rows": rows, "median": median, "ranking": ranking(with_pct),
        "groups": groups, "tests": tests, "distribution_test": distribution, "table": f"tables/{chart.id}.csv",
        "svg": {lang: f"charts/{chart.id}.{lang}.svg" for lang in LANGS}, "notes": notes, **extra,
        "svg_phone": {lang: f"charts/{chart.id}.{lang}.phone.svg" for lang in LANGS},
    }


class _Books:
    """The codebooks of both waves, read once per test session."""

    _cache: ClassVar[dict[str, Codebook]] = {}

    def __init__(self) -> None:
        for wave in (WAVE, COMPARE_WAVE):
            if wave not in self._cache:
                self._cache[wave] = load_codebook(wave)
        self.report = self._cache[WAVE]
        self.compare = self._cache[COMPARE_WAVE]


def _chart(chart: Chart, spec: Spec, books: _Books, segment: str,
           counts: Mapping[str, Mapping[str, int]] | None = None,
           sizes: Mapping[str, int] | None = None) -> dict[str, Any]:
    book = books.compare if chart.wave == "compare" else books.report
    question = book.question(chart.variable)
    plan = _series_plan(chart, segment)
    tables = {}
    for sid, wave, pop in plan:
        size_table = COMPARE_SIZES if wave == COMPARE_WAVE else SIZES
        size = (sizes or {}).get(sid, size_table.get(pop, SIZES[pop]))
        given = (counts or {}).get(sid)
        if given is None and sid == plan[0][0]:
            given = ANCHORS.get(chart.id)
        series_counts = dict(given) if given else _random_counts(question, size, chart.id, sid)
        absent = frozenset(NEW_IN_REPORT_WAVE.get(chart.id, ())) if sid == COMPARE_WAVE else frozenset()
        tables[sid] = _series_table(question, series_counts, size, sid, absent)
    return _chart_doc(chart, question, tables, plan, spec)


def fake_chapters(*, segment: str = "saas", spec: Spec | None = None) -> dict[str, dict[str, Any]]:
    """chapter.json documents for every chapter of the spec, keyed by chapter id, in spec order."""
    spec = spec or default_spec()
    books = _Books()
    out = {}
    for chapter in spec.chapters:
        slides = [{"id": s.id, "charts": [_chart(c, spec, books, segment) for c in s.charts]} for s in chapter.slides]
        out[chapter.id] = {
            "chapter": chapter.id, "title": _bilingual(chapter.title), "wave": WAVE, "compare_wave": COMPARE_WAVE,
            "segment": segment, "filters": [], "filter_text": "", "filter_label": {"ja": "", "en": ""},
            "n_total": SIZES["all"],
            "n_segment": SIZES[segment if segment in SIZES else "saas"], "slides": slides,
        }
    return out


def find_chart(chapters: Mapping[str, dict[str, Any]], chart_id: str) -> tuple[dict[str, Any], int, int]:
    for chapter in chapters.values():
        for i, slide in enumerate(chapter["slides"]):
            for j, chart in enumerate(slide["charts"]):
                if chart["id"] == chart_id:
                    return chapter, i, j
    raise KeyError(chart_id)


def set_counts(chapters: dict[str, dict[str, Any]], chart_id: str, counts: Mapping[str, int], *,
               series: str | None = None, size: int | None = None) -> dict[str, Any]:
    """Replace one series' counts of a chart (others keep theirs) and recompute what follows.

    Keys not given keep their current count; ``size`` changes the series' population.
    """
    spec = default_spec()
    chart_spec = spec.charts[chart_id]
    chapter, i, j = find_chart(chapters, chart_id)
    old = chapter["slides"][i]["charts"][j]
    sid = series or old["series"][0]["id"]
    current = {s["id"]: {r["key"]: r["values"][s["id"]]["count"] for r in old["rows"] if s["id"] in r["values"]}
               for s in old["series"]}
    current[sid] = {**current[sid], **counts}
    sizes = {}
    for s in old["series"]:
        outside = sum(r["values"][s["id"]]["count"] for r in old["rows"] if not r["in_base"] and s["id"] in r["values"])
        sizes[s["id"]] = s["base_n"] + (outside if chart_spec.answer != "multi" else 0)
    if size is not None:
        sizes[sid] = size
    new = _chart(chart_spec, spec, _Books(), chapter["segment"], counts=current, sizes=sizes)
    chapter["slides"][i]["charts"][j] = new
    return new


def set_label(chapters: dict[str, dict[str, Any]], chart_id: str, key: str, lang: str, text: str) -> None:
    """Give one choice of a chart another label (e.g. markup, to test escaping)."""
    chapter, i, j = find_chart(chapters, chart_id)
    for row in chapter["slides"][i]["charts"][j]["rows"]:
        if row["key"] == key:
            row["label"] = {**row["label"], lang: text}
            return
    raise KeyError(key)


# ------------------------------------------------------------------------------ writing


def fake_svg(chart: Mapping[str, Any], lang: str, width: int = 432) -> str:
    """A small deterministic bar chart in the manner of matplotlib's SVG (ids, clip paths, text),
    ``width`` points wide (432 for a slide's drawing, 280 for a phone's)."""
    first = chart["series"][0]["id"]
    rows = chart["rows"]
    height = 40 + 22 * len(rows)
    left = round(width * 0.35)  # where the bars start; labels end just before
    unit = (width - left - 40) / 100  # points per percent
    parts = [
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>',
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
        f'<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}pt" height="{height}pt" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" version="1.1">',
        '<defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'
        f'<clipPath id="p0a1b2c3"><rect x="{left}" y="20" width="{width - left - 20}" height="{height - 30}"/>'
        '</clipPath></defs>',
        f'<g id="figure_1"><text x="8" y="14" style="font: 11px \'IPAexGothic\'">{escape(chart["title"][lang])}</text>',
    ]
    for k, row in enumerate(rows):
        y = 24 + 22 * k
        pct = row["values"][first]["pct"]
        bar = unit * (pct or 0)
        value = f"{pct:.1f}%" if pct is not None else str(row["values"][first]["count"])
        parts.append(f'<g id="patch_{k + 1}"><rect x="{left}" y="{y}" width="{bar:.1f}" height="16" '
                     f'clip-path="url(#p0a1b2c3)" style="fill: #1f5f8b"/></g>')
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" style="font: 10px \'IPAexGothic\'">'
                     f'{escape(row["label"][lang])}</text>')
        parts.append(f'<text x="{left + 4 + bar:.1f}" y="{y + 12}" style="font: 10px \'IPAexGothic\'">{value}</text>')
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def _tidy(chart: Mapping[str, Any], chapter: Mapping[str, Any]) -> pd.DataFrame:
    records = []
    for s in chart["series"]:
        for row in chart["rows"]:
            if s["id"] not in row["values"]:
                continue
            cell = row["values"][s["id"]]
            records.append({"chart_id": chart["id"], "wave": s["wave"], "population": chart["base"],
                            "series": s["id"], "filter": chapter["filter_text"], "choice_code": row["code"],
                            "choice_key": row["key"], "label_ja": row["label"]["ja"], "label_en": row["label"]["en"],
                            "count": cell["count"], "base": cell["base"],
                            "pct": float("nan") if cell["pct"] is None else cell["pct"]})
    return pd.DataFrame(records, columns=CSV_COLUMNS)


def survey_doc(*, synthetic: bool = True, segment: str = "saas", filter_text: str = "") -> dict[str, Any]:
    books = _Books()
    return {
        "wave": WAVE, "compare_wave": COMPARE_WAVE, "segment": segment, "filters": [], "filter_text": filter_text,
        "n_total": SIZES["all"], "n_segment": SIZES.get(segment, SIZES["saas"]),
        "survey": books.report.survey.model_dump(mode="json"),
        "compare_survey": books.compare.survey.model_dump(mode="json"),
        "synthetic": synthetic,
    }


def write_build(build_dir: Path, chapters: Mapping[str, dict[str, Any]] | None = None, *,
                synthetic: bool = True, survey: Mapping[str, Any] | None = None) -> Path:
    """Write chapter outputs and survey.json into ``build_dir`` as the contract lays them out
    (through the build folder's own writer, so every document is checked against its schema)."""
    chapters = chapters if chapters is not None else fake_chapters()
    build_dir = Path(build_dir)
    for chapter_id, doc in chapters.items():
        out = build_folder.output_folder(build_dir, chapter_id, part=False)
        build_folder.write_document(out / build_folder.CHAPTER_DOC, doc)
        build_folder.write_document(out / build_folder.FIGURES, chapter_figures(doc))
        for slide in doc["slides"]:
            for chart in slide["charts"]:
                build_folder.write_text(out / chart["table"], csv_text(_tidy(chart, doc)))
                for lang in LANGS:
                    build_folder.write_text(out / chart["svg"][lang], fake_svg(chart, lang))
                    build_folder.write_text(out / chart["svg_phone"][lang], fake_svg(chart, lang, 280))
    survey = dict(survey) if survey is not None else survey_doc(synthetic=synthetic)
    build_folder.write_document(build_dir / build_folder.SURVEY, survey)
    return build_dir


def copy_chapters(chapters: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return copy.deepcopy(dict(chapters))


# What the methodology must state, in each language: sampling, tests, adjustments, perturbation and
# the disclosure thresholds.
METHODOLOGY_STATES = {
    "en": ["not random", "simple random sampling", "Fisher's exact test", "Monte Carlo", "Cochran's rule",
           "Holm", "Benjamini–Hochberg", "Cochran–Mantel–Haenszel", "cell-key perturbation", "±2",
           "fewer than 30", "Below 10", "“CS adoption”"],
    "ja": ["標本は無作為抽出では", "単純無作為抽出", "フィッシャーの正確確率検定", "モンテカルロ法", "コクランの基準",
           "Holm法", "Benjamini–Hochberg法", "コクラン・マンテル・ヘンツェル検定", "セルキー法", "±2",
           "30名未満", "10名未満", "「CSへの取り組み状況」"],
}
