"""Cross analysis (the special report, part 4): two answers tabulated against each other.

The crosses themselves are data (``spec/crosses.yml``, see its header for the grammar); this
module reads them, checks them against the codebook, and computes for each one:

* the table of counts (rows × columns) and the row percentages, rounded by the report's one rule
  (:func:`hakusho.analysis.tabulate.percent`);
* a test of independence: the chi-square test (``scipy.stats.chi2_contingency`` with
  ``correction=False``: no Yates continuity correction, so the statistic is the one Cramér's V is
  defined on), or — when more than 20 % of the expected counts are under 5 (Cochran's rule) —
  Fisher's exact test (2×2) or a seeded Monte Carlo chi-square test
  (:mod:`hakusho.analysis.contingency`); the note and the chart say which. Rows or columns nobody
  falls into carry no information and are left out of the test. The p-values of all crosses are
  adjusted together (Benjamini–Hochberg, :mod:`hakusho.analysis.multiplicity`) and the adjusted
  one decides "significant";
* Cramér's V, ``sqrt(chi2 / (n · (min(r, c) − 1)))``, *bias-uncorrected*, read in bands:
  below 0.1 negligible, below 0.3 weak, below 0.5 moderate, else strong (the usual reading for
  tables with a few degrees of freedom; written down here so that every headline uses it). V is
  stored and printed with three decimals and read on that value, so print and word agree;
* where the rows are ordered (an ordinal question or a count) and the association is significant,
  a Cochran–Armitage trend test on the share of the *focus* column band across the rows (scores
  0, 1, 2 … in row order, two-sided): it says whether that share rises or falls along the rows. It
  is a follow-up of the association, never read without it;
* the disclosure rules of :mod:`hakusho.analysis.disclosure` applied to both margins: a row or column
  whose base is under 10 shows counts but no percentage, one under 30 is marked indicative. The
  test still uses every respondent (it discloses no share of a small group);
* a headline in both languages: what the focus band's share does along the rows (with the
  indicative mark where a quoted share rests on 10–29 respondents) and whether the association is
  significant at the 95 % level after adjustment, and how strong it is;
* in a researcher's run (a filter, an unpublished segment), cell-key perturbation of every count
  (:mod:`hakusho.analysis.perturbation`), said in a note.

Everything is written the way chapters are: ``cross.json`` (the document), ``figures.json`` (every
number prose may quote, ``cross.<id>.…``), ``tables/<id>.csv`` (tidy) and one chart per language,
``charts/<id>.<lang>.svg`` (100 % stacked bars, one per row band, in the house style).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import pandas as pd

from hakusho.analysis import contingency
from hakusho.analysis.cross_spec import DOMAIN, CrossDef, ResolvedAxis, check_cross, load_crosses
from hakusho.analysis.cross_stats import (
    INDEPENDENCE_TEST,
    STRENGTH_BANDS,
    STRONG,
    TREND_TEST,
    IndependenceTest,
    TrendTest,
    cross_counts,
    disclosed_percentages,
    expected_counts,
    independence_test,
    row_percentages,
    trend_test,
)
from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW, disclosure_level
from hakusho.analysis.disclosure import note as base_note
from hakusho.analysis.multiplicity import ALPHA, BENJAMINI_HOCHBERG, adjust, stored_p
from hakusho.analysis.perturbation import AUTO, Protection, run_protection
from hakusho.analysis.population import filter_report, shown_counts
from hakusho.analysis.population import population_label as chapter_population_label
from hakusho.analysis.result import PartResult, freeze, one_decimal, tidy_csv
from hakusho.analysis.spec import Spec, default_spec
from hakusho.build_folder import CROSS_DOC, CROSS_PART, chart_files, table_file
from hakusho.i18n import LANGS, Translator
from hakusho.survey.wave import Survey
from hakusho.text import numbers
from hakusho.text.numbers import decimal

CHAPTER_ID = CROSS_PART  # the part's id: its folder in the build (parts/cross/) and its figures' prefix

CSV_COLUMNS = ["cross_id", "wave", "population", "filter", "row_key", "row_label_ja", "row_label_en",
               "col_key", "col_label_ja", "col_label_en", "count", "row_base", "col_base", "row_pct",
               "expected", "disclosure", "counts"]


# ============================================================================ text


def _tr(key: str, lang: str, **params: object) -> str:
    return Translator(lang, DOMAIN)(key, **params)


def _both(key: str, **params: object) -> dict[str, str]:
    """A catalog message in both languages; ``{ja, en}`` parameters are filled per language."""
    return {lang: _tr(key, lang, **{k: (v[lang] if isinstance(v, Mapping) else v) for k, v in params.items()})
            for lang in LANGS}


def cross_note(key: str, **params: object) -> dict[str, Any]:
    """A note of the cross catalog as chapter.json stores notes: key, parameters, both texts."""
    return {"key": key, "params": dict(sorted(params.items())), **_both(key, **params)}


def _per_lang(fn: Any) -> dict[str, str]:
    return {lang: fn(lang) for lang in LANGS}


def headline(title: Mapping[str, str], rows: ResolvedAxis, cols: ResolvedAxis, focus: str,
             counts: pd.DataFrame, shown: pd.DataFrame, test: IndependenceTest | None,
             trend: TrendTest | None, levels: pd.DataFrame | None = None) -> dict[str, Any]:
    """The cross's plain-language headline: message keys, parameters, values and both texts.

    First sentence (the shape): along ordered rows with a significant association and a
    significant trend, the focus band's share *rises* or *falls* from the first shown row to the
    last; otherwise the rows where it is highest and lowest are named — a description of the
    shares, carrying the indicative mark when a quoted share rests on 10–29 respondents. Second
    sentence: whether the association is significant at the 95 % level after adjustment, by the
    test actually used, and how strong it is. The trend is a follow-up of the association: when
    the association is not significant it is neither tested nor headlined.
    """
    n = int(counts.to_numpy().sum())
    focus_label = cols.band(focus).label
    shares = shown[focus].dropna()
    keys: list[str] = []
    params: dict[str, dict[str, str]] = {"title": dict(title), "band": dict(focus_label)}
    values: dict[str, Any] = {"n": n, "focus": focus}
    if test is None:
        degenerate = n >= SUPPRESS_BELOW
        keys.append("headline.degenerate" if degenerate else "headline.not_testable")
        params["n"] = _per_lang(lambda lang: numbers.count(n, lang))
        sentences = [_both(keys[0], **params)]
        return {"keys": keys, "params": params, "values": values, "direction": None, "indicative": False,
                **{lang: "".join(s[lang] for s in sentences) for lang in LANGS}}

    direction = trend.direction if (trend is not None and test.significant and rows.ordered) else None
    sentences: list[dict[str, str]] = []
    indicative = False
    if len(shares) >= 2:
        if direction is not None:
            first, last = shares.index[0], shares.index[-1]
            pick = {"first": first, "last": last}
        else:
            high = shares.idxmax()
            low = shares[::-1].idxmin() if shares.idxmin() == high else shares.idxmin()
            pick = {"high": high, "low": low}
        shape_key = {"up": "headline.up", "down": "headline.down", None: "headline.spread"}[direction]
        for role, key in pick.items():
            params[role] = dict(rows.band(str(key)).label)
            values[role] = str(key)
            values[f"{role}_pct"] = float(shares[key])
            params[f"{role}_pct"] = _per_lang(lambda lang, v=float(shares[key]): numbers.pct(v, lang))
            if levels is not None and levels.loc[key, focus] == "indicative":
                indicative = True
        keys.append(shape_key)
        shape = _both(shape_key, **params)
        sentences.append({lang: numbers.with_indicative_mark(shape[lang], lang) for lang in LANGS}
                         if indicative else shape)
    else:
        keys.append("headline.no_shape")
        sentences.append(_both("headline.no_shape", **params))
    stat_key = "headline.significant" if test.significant else "headline.not_significant"
    params["test"] = _both(f"test.{contingency.TEST_SLUGS.get(test.test, 'chi2')}")
    # Printed from the stored values, as the chart and the tables print them.
    params["p"] = _per_lang(lambda lang: numbers.p_value(test.p_shown, lang))
    params["v"] = _per_lang(lambda lang: decimal(test.cramers_v_shown, 3))
    params["strength"] = _both(f"strength_phrase.{test.strength}")
    values.update({"p_value": test.p_shown, "cramers_v": test.cramers_v_shown,
                   "significant": test.significant, "strength": test.strength})
    keys.append(stat_key)
    sentences.append(_both(stat_key, **params))
    joiner = {"ja": "", "en": " "}
    return {"keys": keys, "params": params, "values": values, "direction": direction, "indicative": indicative,
            **{lang: joiner[lang].join(s[lang] for s in sentences) for lang in LANGS}}


# ============================================================================ one cross


@dataclass(frozen=True)
class _Context:
    survey: Survey
    spec: Spec
    segment: str
    filter_text: str
    filter_label: dict[str, str]
    protection: Protection | None = None  # a researcher's run: counts are perturbed


def _number(value: Any, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _axis_doc(axis: ResolvedAxis, counts: pd.DataFrame) -> dict[str, Any]:
    totals = counts.sum(axis=1) if axis.which == "rows" else counts.sum(axis=0)
    doc: dict[str, Any] = {
        "source": axis.source, "kind": axis.kind, "name": axis.name, "label": dict(axis.label),
        "ordered": axis.ordered,
        "bands": [{"key": b.key, "label": dict(b.label), "base": int(totals[b.key]),
                   "disclosure": disclosure_level(int(totals[b.key]))} for b in axis.bands],
    }
    if axis.kind == "count":
        doc["counted"] = list(axis.counted)
    return doc


def population_label(spec: Spec, population: str, segment: str) -> dict[str, str]:
    """The base as a reader sees it. The spec's ``segment`` population ("respondents in the
    segment") is named after the report's segment, so that every segment's report says whom it
    counts."""
    if population == "segment":
        seg = spec.segments[segment]
        return _both("population.segment", segment={"ja": seg.ja, "en": seg.en})
    # Other populations inside the segment are worded for the SaaS report in the spec; the chapters'
    # rule names them after the report's segment (practitioners in a non-SaaS report are not "SaaS").
    return chapter_population_label(spec, population, segment)


def cross_table(cross: CrossDef, ctx: _Context) -> tuple[ResolvedAxis, ResolvedAxis, pd.DataFrame]:
    """A cross's checked axes and its table of counts (perturbed in a researcher's run)."""
    rows, cols = check_cross(cross, ctx.survey.codebook, ctx.spec)
    population = ctx.survey.population(cross.population, segment=ctx.segment, spec=ctx.spec)
    return rows, cols, cross_counts(ctx.survey, rows, cols, population, protection=ctx.protection)


def compute_cross(cross: CrossDef, ctx: _Context, *,
                  p_adjusted: float | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One cross's document (an entry of cross.json) and its tidy table.

    ``p_adjusted``: the independence test's p-value after adjustment across the part's crosses
    (:func:`compute_crosses`); without it the cross is taken on its own.
    """
    rows, cols, counts = cross_table(cross, ctx)
    focus = cols.focus or cols.keys[-1]
    pct = row_percentages(counts)
    shown, levels = disclosed_percentages(counts, pct)
    expected = expected_counts(counts)
    test = independence_test(counts)
    if test is not None and p_adjusted is not None:
        test = replace(test, p_adjusted=p_adjusted)
    # The trend is a follow-up of a significant association (tested only then, so it needs no
    # further adjustment): a table with no association shown has no trend to report.
    trend = trend_test(counts, focus) if rows.ordered and test is not None and test.significant else None
    n = int(counts.to_numpy().sum())
    title = {"ja": cross.title.ja, "en": cross.title.en}

    notes: list[dict[str, Any]] = [cross_note("note.row_pct")]
    level = disclosure_level(n)
    if level != "ok":
        notes.append(cross_note(f"note.base_{level}", n=n))
    margins = [(b, int(counts.loc[b.key].sum())) for b in rows.bands]
    margins += [(b, int(counts[b.key].sum())) for b in cols.bands]
    for band, total in margins:
        if disclosure_level(total) != "ok":
            notes.append(cross_note(f"note.band_{disclosure_level(total)}", band=band.label, n=total))
    if test is not None:
        notes.append(cross_note("note.test", alpha=numbers.level(ALPHA, "en")))
        if test.expected_warning:
            notes.append(cross_note("note.expected_small", share=round(100 * test.expected_small_share),
                                    min=decimal(test.expected_min, 1),
                                    test=_both(f"test.{contingency.TEST_SLUGS[test.test]}")))
    if trend is not None:
        notes.append(cross_note("note.trend", band=cols.band(focus).label))
    elif rows.ordered and test is not None:
        notes.append(cross_note("note.trend_not_tested", band=cols.band(focus).label))
    if ctx.filter_text:
        notes.append(base_note("note.filtered", filter=ctx.filter_label, n=n))
    if ctx.protection is not None:
        notes.append(base_note("note.perturbed"))

    statistics = None
    if test is not None:
        statistics = {
            "test": test.test, "yates_correction": False, "alpha": ALPHA,
            "chi2": round(test.chi2, 3), "dof": test.dof, "p_value": test.p_value,
            "p_adjusted": test.p_final, "adjustment": BENJAMINI_HOCHBERG,
            "significant": test.significant, "n": test.n, "tested_shape": list(test.shape),
            "cramers_v": test.cramers_v_shown, "cramers_v_bias_corrected": False,
            "strength": test.strength, "strength_label": _both(f"strength.{test.strength}"),
            "expected_min": round(test.expected_min, 2),
            "expected_under_5_share": round(test.expected_small_share, 3),
            "expected_warning": test.expected_warning,
        }
    trend_doc = None
    if trend is not None:
        trend_doc = {"test": TREND_TEST, "focus": trend.focus, "z": round(trend.z, 3),
                     "p_value": stored_p(trend.p_value), "significant": trend.significant,
                     "direction": trend.direction}
    doc = {
        "id": cross.id,
        "title": title,
        "population": cross.population,
        "population_label": population_label(ctx.spec, cross.population, ctx.segment),
        "base_n": n,
        "disclosure": level,
        "counts_kind": "perturbed" if ctx.protection is not None else "exact",
        "rows": _axis_doc(rows, counts),
        "cols": {**_axis_doc(cols, counts), "focus": focus},
        "counts": [[int(v) for v in counts.loc[r]] for r in counts.index],
        "row_pct": [[_number(v, 1) for v in shown.loc[r]] for r in shown.index],
        "cell_disclosure": [[str(v) for v in levels.loc[r]] for r in levels.index],
        "expected": [[_number(v, 2) for v in expected.loc[r]] for r in expected.index] if test is not None else None,
        "statistics": statistics,
        "trend": trend_doc,
        "headline": headline(title, rows, cols, focus, counts, shown, test, trend, levels),
        "notes": notes,
        "table": table_file(cross.id),
        "svg": chart_files(cross.id, LANGS),
        "svg_phone": chart_files(cross.id, LANGS, phone=True),  # for narrow screens
    }
    return doc, _tidy(cross, ctx, rows, cols, counts, shown, expected, levels)


def _tidy(cross: CrossDef, ctx: _Context, rows: ResolvedAxis, cols: ResolvedAxis, counts: pd.DataFrame,
          shown: pd.DataFrame, expected: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    records = []
    for r in rows.bands:
        for c in cols.bands:
            records.append({
                "cross_id": cross.id, "wave": ctx.survey.wave, "population": cross.population,
                "filter": ctx.filter_text, "row_key": r.key, "row_label_ja": r.label["ja"],
                "row_label_en": r.label["en"], "col_key": c.key, "col_label_ja": c.label["ja"],
                "col_label_en": c.label["en"], "count": int(counts.loc[r.key, c.key]),
                "row_base": int(counts.loc[r.key].sum()), "col_base": int(counts[c.key].sum()),
                "row_pct": shown.loc[r.key, c.key], "expected": float(expected.loc[r.key, c.key]),
                "disclosure": levels.loc[r.key, c.key],
                "counts": "perturbed" if ctx.protection is not None else "exact",
            })
    return pd.DataFrame(records, columns=CSV_COLUMNS)


# ============================================================================ figures


def _fig(value: object, kind: str, base: int, level: str, filter_text: str,
         label: Mapping[str, str] | None = None, digits: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "kind": kind, "base": base, "disclosure": level, "filter": filter_text}
    if label is not None:
        out["label"] = dict(label)
    if digits is not None:
        out["digits"] = digits  # statistics: the decimals the report prints
    return out


def cross_figures(doc: Mapping[str, Any], *, filter_text: str = "") -> dict[str, dict[str, Any]]:
    """Every number of one cross that prose may quote, under ``cross.<id>.…`` (see the contract).

    ``.base``, ``.row.<row>.base``, ``.col.<col>.base``, ``.<row>.<col>.count|pct``, ``.chi2``,
    ``.dof``, ``.p_value``, ``.significant``, ``.cramers_v``, ``.strength``, and for ordered rows
    ``.trend.p_value`` and ``.direction``. Suppressed shares have value null; counts stay.
    """
    prefix = f"cross.{doc['id']}"
    n, level = doc["base_n"], doc["disclosure"]
    out: dict[str, dict[str, Any]] = {f"{prefix}.base": _fig(n, "n", n, level, filter_text)}
    for which in ("rows", "cols"):
        for band in doc[which]["bands"]:
            out[f"{prefix}.{which[:-1]}.{band['key']}.base"] = _fig(band["base"], "n", band["base"],
                                                                     band["disclosure"], filter_text)
    for i, rband in enumerate(doc["rows"]["bands"]):
        for j, cband in enumerate(doc["cols"]["bands"]):
            cell_level = doc["cell_disclosure"][i][j]
            base = rband["base"]
            out[f"{prefix}.{rband['key']}.{cband['key']}.count"] = _fig(doc["counts"][i][j], "count", base,
                                                                        cell_level, filter_text)
            out[f"{prefix}.{rband['key']}.{cband['key']}.pct"] = _fig(doc["row_pct"][i][j], "pct", base,
                                                                      cell_level, filter_text)
    s = doc["statistics"]
    out[f"{prefix}.chi2"] = _fig(s and s["chi2"], "statistic", n, level, filter_text, digits=1)
    out[f"{prefix}.dof"] = _fig(s and s["dof"], "statistic", n, level, filter_text, digits=0)
    # The p-value that decides the verdict: adjusted across the part's crosses.
    out[f"{prefix}.p_value"] = _fig(s and s["p_adjusted"], "p_value", n, level, filter_text)
    out[f"{prefix}.significant"] = _fig(s and s["significant"], "flag", n, level, filter_text)
    out[f"{prefix}.cramers_v"] = _fig(s and s["cramers_v"], "statistic", n, level, filter_text, digits=3)
    out[f"{prefix}.strength"] = _fig(s and s["strength"], "choice", n, level, filter_text,
                                     s["strength_label"] if s else None)
    if doc["rows"]["ordered"]:
        t = doc["trend"]
        out[f"{prefix}.trend.p_value"] = _fig(t and t["p_value"], "p_value", n, level, filter_text)
        direction = doc["headline"]["direction"]
        label = _both(f"direction.{direction}") if direction else None
        out[f"{prefix}.direction"] = _fig(direction, "choice", n, level, filter_text, label)
    return out


# ============================================================================ the part


@dataclass(frozen=True)
class CrossResult(PartResult):
    """The cross-analysis part, computed: cross.json, the tidy tables and the figures."""

    kind: ClassVar[str] = "part"
    svg_kind: ClassVar[str] = "cross"
    document_name: ClassVar[str] = CROSS_DOC
    item_name: ClassVar[str] = "cross"

    @property
    def cross_ids(self) -> list[str]:
        return self.item_ids()

    def items(self) -> list[Mapping[str, Any]]:
        return list(self.document["crosses"])

    def cross(self, cross_id: str) -> Mapping[str, Any]:
        return self.item(cross_id)

    def view(self, cross_id: str, lang: str = "ja") -> pd.DataFrame:
        """The cross for people: one row per row band, the row percentages, then n."""
        doc = self.cross(cross_id)
        index = [b["label"][lang] for b in doc["rows"]["bands"]]
        columns = [b["label"][lang] for b in doc["cols"]["bands"]]
        wide = pd.DataFrame(doc["row_pct"], index=index, columns=columns, dtype=float)
        wide.index.name = doc["rows"]["label"][lang]
        wide.columns.name = doc["cols"]["label"][lang]
        wide["n"] = [b["base"] for b in doc["rows"]["bands"]]
        return wide

    def _heading(self, cross_id: str, lang: str) -> list[Any]:
        from IPython.display import Markdown

        doc = self.cross(cross_id)
        return [Markdown(f"### {doc['title'][lang]}\n\n{doc['headline'][lang]}")]

    def _summary_rows(self, lang: str) -> list[tuple[str, Any]]:
        return [("crosses", len(self.document["crosses"]))]

    def csv_text(self, table: pd.DataFrame) -> str:
        return csv_text(table)

    def drawing_options(self, cross_id: str, lang: str) -> dict[str, Any]:
        """Every cross prints the report's filter, in its language, under it."""
        return {"filter_text": self.document["filter_label"][lang]}


def compute_crosses(survey: Survey, *, segment: str = "saas", filters: Sequence[Any] = (),
                    allow_small_base: bool = False, crosses: Sequence[CrossDef] | str | Path | None = None,
                    spec: Spec | None = None, protection: Protection | str | None = AUTO) -> CrossResult:
    """Every cross (of ``spec/crosses.yml`` unless ``crosses`` gives others) for one wave.

    Filters apply first, as they do to chapters; a filter leaving fewer than 30 respondents in the
    segment stops unless ``allow_small_base``. A researcher's run (a filter, an unpublished
    segment) perturbs its counts (``protection``: :func:`hakusho.analysis.perturbation.run_protection`).
    The independence tests of all crosses are one family: their p-values are adjusted across the
    part with Benjamini–Hochberg before any verdict is written.
    """
    spec = spec or default_spec(survey.wave)
    people = filter_report(survey, filters, segment=segment, spec=spec, allow_small_base=allow_small_base)
    if crosses is None or isinstance(crosses, str | Path):
        crosses = load_crosses(crosses, wave=survey.wave)
    text = people.text
    guard = run_protection(spec, segment, bool(people.conditions), protection)
    n_total, n_segment = shown_counts(people, spec, segment, survey.wave, guard)
    ctx = _Context(people.report.survey, spec, segment, text, people.label, guard)
    docs, tables, figures = [], {}, {}
    figures[f"{CHAPTER_ID}.n_total"] = _fig(n_total, "n", n_total, disclosure_level(n_total), text)
    figures[f"{CHAPTER_ID}.n_segment"] = _fig(n_segment, "n", n_segment, disclosure_level(n_segment), text)
    raw = {}
    for cross in crosses:
        found = independence_test(cross_table(cross, ctx)[2])
        if found is not None:
            raw[cross.id] = {"independence": found.p_value}
    adjusted = adjust(raw)
    for cross in crosses:
        p_adjusted = adjusted[cross.id]["independence"]["p_report"] if cross.id in adjusted else None
        doc, table = compute_cross(cross, ctx, p_adjusted=p_adjusted)
        docs.append(doc)
        tables[cross.id] = table
        figures.update(cross_figures(doc, filter_text=text))
    document = {
        "chapter": CHAPTER_ID,
        "title": _both("part.title"),
        "wave": survey.wave,
        "segment": segment,
        "filters": people.triples,
        "filter_text": text,
        "filter_label": people.label,
        "n_total": n_total,
        "n_segment": n_segment,
        "method": {
            "test": INDEPENDENCE_TEST, "yates_correction": False, "alpha": ALPHA,
            "effect_size": "Cramér's V (bias-uncorrected)",
            "strength_bands": [{"below": upper, "strength": name} for upper, name in STRENGTH_BANDS]
            + [{"below": None, "strength": STRONG}],
            "trend_test": TREND_TEST, "suppress_below": SUPPRESS_BELOW, "indicative_below": INDICATIVE_BELOW,
            "adjustment": BENJAMINI_HOCHBERG, "counts": "perturbed" if guard is not None else "exact",
            "text": _both("method.text"),
        },
        "crosses": docs,
    }
    return CrossResult(document=freeze(document), tables=MappingProxyType(tables),
                       figures=MappingProxyType(dict(sorted(figures.items()))))


# ============================================================================ writing


def csv_text(table: pd.DataFrame) -> str:
    """The tidy table as CSV: fixed columns, band order, one decimal for shares, blanks for none."""
    return tidy_csv(table, CSV_COLUMNS, {"row_pct": one_decimal, "expected": lambda v: f"{float(v):.2f}"})


def run_crosses(survey: Survey, *, segment: str = "saas", filters: Sequence[Any] = (),
                output_dir: str | Path = "", allow_small_base: bool = False,
                crosses: Sequence[CrossDef] | str | Path | None = None, spec: Spec | None = None,
                draw_charts: bool = True, langs: Sequence[str] | None = None,
                protection: Protection | str | None = AUTO) -> CrossResult:
    """Compute every cross and write its outputs, charts in ``langs``; the one call the cross
    notebook makes. An empty ``output_dir`` means report/jupyter/cross/ (see
    ``notebook_output_dir``)."""
    from hakusho.pipeline.outputs import notebook_output_dir

    output_dir = notebook_output_dir(CHAPTER_ID, output_dir)
    result = compute_crosses(survey, segment=segment, filters=filters, allow_small_base=allow_small_base,
                             crosses=crosses, spec=spec, protection=protection)
    return result.write(output_dir, draw_charts=draw_charts, langs=langs)


