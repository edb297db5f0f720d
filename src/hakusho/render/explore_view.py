"""The Explore part of the HTML page, in one language: controls, texts and the tables as data.

Input: ``build_dir/parts/explore/explore.json`` (:mod:`hakusho.analysis.explore`). Output: the
part's model for ``templates/html/explore.html.j2`` — every visible string resolved (labels from
the codebook and the spec as the analysis stage stored them, everything else from the ``report``
catalogs) — and ``data``, the tables the page's script shows, as one JSON document.

The data holds numbers, not text: counts, bases and the shares already rounded by the report's one
rule. Formatting them as text in the script (one decimal and ``%``, thousands separators, ``n=``)
follows :mod:`hakusho.text.numbers` exactly; the browser tests compare what the page shows with
that module. Pre-formatted strings would double the tables' weight on a page that must stay under
2.5 MB. The script decides nothing: which shares are withheld, which groups are indicative and
which differences are significant come from the analysis stage.

Significance codes in ``data``: 0 not tested, 1 tested and not significant, 2 significantly
higher than the rest, 3 significantly lower, 4 the distribution differs from the rest's (ordinal
questions, one test per group).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from hakusho import build_folder, content_store
from hakusho.analysis.compare import ALPHA
from hakusho.analysis.explore import EXPLORE_ID, SEGMENT_BREAKDOWN, TOTAL
from hakusho.analysis.population import population_label, report_base
from hakusho.analysis.spec import Spec
from hakusho.i18n import Translator
from hakusho.messages import Msg
from hakusho.render.wording import TEST_KEYS, other_lang
from hakusho.text import numbers

LEVELS = ("ok", "indicative", "suppressed", "empty")
NOT_TESTED, NOT_SIGNIFICANT, HIGHER, LOWER, DIFFERS = range(5)
MEASURES = ("pct", "count")
TEXT_CONTRAST = 4.5  # WCAG AA for small text: a share is written on a bar only in an ink this legible
# The view a reader first sees when the report's segment is theirs: a KPI by company size.
DEFAULT_QUESTION, DEFAULT_BREAKDOWN = "nrr", "employees"
# What the script may need to say, in the page's language (keys of the report catalog).
SCRIPT_TEXTS = ("n", "indicative", "suppressed", "empty", "higher", "lower", "differs",
                "higher_long", "lower_long", "differs_long", "not_significant", "caption", "status",
                "chart_label", "chart_label_choice", "bar_title", "counts_only_bar", "csv_file",
                "csv.segment", "csv.question", "csv.breakdown", "csv.group", "csv.n", "csv.disclosure",
                "csv.answer", "csv.count", "csv.share", "csv.significance")


def load_explore(build_dir: Path | str) -> Mapping[str, Any] | None:
    """The explorer's document of a build, or None when the build did not compute it."""
    kept = _kept_explore(build_dir)
    return kept[0] if kept else None


def _kept_explore(build_dir: Path | str) -> tuple[Mapping[str, Any], bytes] | None:
    """The explorer's document (shared: never changed) and the digest of its file, or None."""
    path = build_folder.output_folder(Path(build_dir), EXPLORE_ID, part=True) / build_folder.EXPLORE_DOC
    if not path.is_file():
        return None
    return build_folder.read_kept_json(path, Msg("folder.what.explore"))


# The part as each page places it, by the explorer's content and everything else it is made of:
# a preview's rebuild after an edit of the text makes none of its 170,000 figures again.
_PARTS: content_store.Remembered[dict[str, Any]] = content_store.Remembered(8)


# Imported only when a view is made — the colour ramp of ordinal answers is the charts' own, made by
# seaborn — and so warmed with the renderers that make one (pipeline.render_pool.first_use_imports).
FIRST_USE_IMPORTS = ("seaborn",)


def _colors(question: Mapping[str, Any]) -> tuple[list[str | None], list[str | None]]:
    """One colour per choice, as the report's charts colour them (None: not drawn, outside the
    base), and the ink a label on it takes (None where no ink reads well enough on it: the share
    then stays in the table and the tooltip); a multiple-answer question is drawn one choice at a
    time, in the house's first colour."""
    from hakusho.charts.style import categorical_colors, contrast_ratio, house_style, ink_on, sequential_colors

    inside = [c for c in question["choices"] if c["in_base"]]
    with house_style("en"):
        if question["answer"] == "multi":
            palette = categorical_colors(1) * len(inside)
        elif question["answer"] == "ordinal":
            palette = sequential_colors(len(inside))
        else:
            palette = categorical_colors(len(inside))
        it = iter(palette)
        fills = [next(it) if c["in_base"] else None for c in question["choices"]]
        inks = [ink_on(f) if f is not None and contrast_ratio(ink_on(f), f) >= TEXT_CONTRAST else None
                for f in fills]
    return fills, inks


def _significance(answer: str, flag: bool | None, direction: int | None) -> int:
    if flag is None:
        return NOT_TESTED
    if not flag:
        return NOT_SIGNIFICANT
    if answer == "ordinal":
        return DIFFERS
    return HIGHER if (direction or 0) > 0 else LOWER


def _table_data(table: Mapping[str, Any], question: Mapping[str, Any]) -> dict[str, Any]:
    """One table for the script: bases, levels, and per cell (rows × choices, flattened) the
    count, the share (null where withheld) and the significance code."""
    rows = table["rows"]
    answer = question["answer"]
    out: dict[str, Any] = {
        "n": [r["n"] for r in rows],
        "level": [LEVELS.index(r["disclosure"]) for r in rows],
        "count": [c for r in rows for c in r["counts"]],
        "pct": [p for r in rows for p in r["pcts"]],
        "sig": [_significance(answer, f, d) for r in rows
                for f, d in zip(r["significant"], r["directions"], strict=True)],
    }
    if answer == "multi":
        # The choice a multiple-answer chart starts on: the one most of the table's total chose.
        counts = rows[0]["counts"]
        inside = [i for i, c in enumerate(question["choices"]) if c["in_base"]]
        out["top"] = max(inside, key=lambda i: (counts[i], -i)) if inside else 0
    return out


def _test_names(method: Mapping[str, Any], answers: Sequence[str], tx: Translator) -> str:
    """The tests the explorer ran on these kinds of answer, named in the page's language."""
    names = dict.fromkeys(name for answer in answers for name in method["tests"][answer])
    return tx("ui.list_separator").join(tx(TEST_KEYS[name]) for name in names)


def _notes(method: Mapping[str, Any], tx: Translator) -> list[dict[str, Any]]:
    """The notes under a view; the script shows those whose levels or marks the view has."""
    alpha = numbers.level(ALPHA, tx.lang)
    return [
        {"when": "always", "text": tx("explore.note.rows")},
        {"levels": [LEVELS.index("indicative")],
         "text": tx("explore.note.indicative", n=numbers.count(method["indicative_below"], tx.lang))},
        {"levels": [LEVELS.index("suppressed")],
         "text": tx("explore.note.suppressed", n=numbers.count(method["suppress_below"], tx.lang))},
        {"sigs": [HIGHER, LOWER], "text": tx("explore.note.higher_lower", alpha=alpha,
                                             test=_test_names(method, ("single", "multi"), tx))},
        {"sigs": [DIFFERS], "text": tx("explore.note.differs", alpha=alpha,
                                       test=_test_names(method, ("ordinal",), tx))},
        {"when": "always", "answers": ["multi"], "text": tx("explore.note.multi")},
    ]


def base_label(spec: Spec, pop_id: str, segment: str, tx: Translator) -> str:
    """The base of a table in words: the chart's population as a report of the segment names it;
    a fixed population (everyone, a fixed group) within a segment says so."""
    pop = spec.populations[pop_id]
    if pop.segment or report_base(spec, pop_id, segment) != pop_id:
        return population_label(spec, report_base(spec, pop_id, segment), segment)[tx.lang]
    if not spec.segments[segment].where:
        return pop.label(tx.lang)
    if not pop.where and segment in spec.populations:
        return spec.populations[segment].label(tx.lang)
    return tx("explore.base_within", population=pop.label(tx.lang), segment=spec.segments[segment].label(tx.lang))


def script_json(data: Any) -> Markup:
    """JSON to place inside ``<script type="application/json">``: compact, non-ASCII kept (so the
    page's font subset sees every label), and ``<``, ``>``, ``&`` escaped so no label can close
    the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _default_view(doc: Mapping[str, Any], segment: str) -> dict[str, str]:
    questions = [q["id"] for q in doc["questions"]]
    cuts = [b for b in doc["breakdowns"] if segment in b["segments"]]
    question = DEFAULT_QUESTION if DEFAULT_QUESTION in questions else questions[0]
    ids = [b["id"] for b in cuts if b["id"] != question]
    breakdown = DEFAULT_BREAKDOWN if DEFAULT_BREAKDOWN in ids else ids[0]
    return {"question": question, "breakdown": breakdown, "segment": segment, "measure": MEASURES[0]}


def explore_part(build_dir: Path | str, lang: str, *, segment: str, chapter_titles: Mapping[str, str],
                 spec: Spec) -> dict[str, Any] | None:
    """The Explore part of the page in ``lang``, or None when the build has no explorer.

    ``segment`` is the report's (the view it opens on); ``chapter_titles`` name the groups of the
    question list, as the page's chapters are titled.
    """
    kept = _kept_explore(build_dir)
    if kept is None:
        return None
    doc, digest = kept
    tx = Translator(lang)
    bases: dict[str, str] = {}
    for table in doc["tables"]:
        key = f"{table['segment']}/{table['question']}"
        if key not in bases:
            bases[key] = base_label(spec, table["population"], table["segment"], tx)
    made = (digest, lang, segment, tuple(chapter_titles.items()), tuple(bases.items()))
    return _PARTS.get(made, lambda: _explore_part(doc, tx, segment, chapter_titles, bases))


def _explore_part(doc: Mapping[str, Any], tx: Translator, segment: str, chapter_titles: Mapping[str, str],
                  bases: dict[str, str]) -> dict[str, Any]:
    lang = tx.lang
    segments = list(doc["segments"])
    if segment not in {s["id"] for s in segments}:
        segment = segments[0]["id"]
    questions = {q["id"]: q for q in doc["questions"]}
    groups_of_questions: list[dict[str, Any]] = []
    for q in doc["questions"]:
        title = chapter_titles.get(q["chapter"], "")
        if not groups_of_questions or groups_of_questions[-1]["label"] != title:
            groups_of_questions.append({"label": title, "options": []})
        groups_of_questions[-1]["options"].append({"value": q["id"], "label": q["label"][lang]})
    tables = {}
    for table in doc["tables"]:
        q = questions[table["question"]]
        tables[f"{table['segment']}/{table['question']}/{table['breakdown']}"] = _table_data(table, q)
    data = {
        "lang": lang,
        "levels": list(LEVELS),
        "total": doc["total_label"][lang],
        "segments": [{"id": s["id"], "label": s["label"][lang]} for s in segments],
        "breakdowns": [{"id": b["id"], "label": b["label"][lang], "segments": b["segments"],
                        "groups": [TOTAL, *(g["key"] for g in b["groups"])],
                        "labels": [doc["total_label"][lang], *(g["label"][lang] for g in b["groups"])]}
                       for b in doc["breakdowns"]],
        "questions": [{"id": q["id"], "label": q["label"][lang], "text": q["text"][lang], "answer": q["answer"],
                       "choices": [c["label"][lang] for c in q["choices"]],
                       "in_base": [bool(c["in_base"]) for c in q["choices"]],
                       "colors": _colors(q)[0], "inks": _colors(q)[1]}
                      for q in doc["questions"]],
        "tables": tables,
        "bases": bases,
        "text": {key: tx(f"explore.js.{key}") for key in SCRIPT_TEXTS},
        "notes": _notes(doc["method"], tx),
    }
    default = _default_view(doc, segment)
    alpha = numbers.level(ALPHA, lang)
    method = doc["method"]
    return {
        "anchor": EXPLORE_ID,
        "title": tx("explore.title"),
        "lead": tx("explore.lead"),
        "how": tx("explore.how"),
        "protection_title": tx("explore.protection_title"),
        "protection": [tx("explore.protection.tables"),
                       tx("explore.protection.small", indicative=method["indicative_below"],
                          suppress=method["suppress_below"]),
                       tx("explore.protection.tests", alpha=alpha, z=tx("test.z"), chi2=tx("test.chi2"),
                          fisher=tx("test.fisher"), monte_carlo=tx("test.monte_carlo")),
                       *([tx("explore.protection.perturbed")] if method.get("counts") == "perturbed" else [])],
        "filter": tx("explore.filtered", filter=doc["filter_label"][lang]) if doc["filter_text"] else "",
        "labels": {
            "controls": tx("explore.controls"), "question": tx("explore.question"),
            "breakdown": tx("explore.breakdown"), "segment": tx("explore.segment"), "measure": tx("explore.measure"),
            "choice": tx("explore.choice"), "csv": tx("explore.csv"), "share": tx("explore.share"),
            "noscript": tx("explore.noscript"), "legend": tx("explore.legend"), "table": tx("explore.table_title"),
        },
        "questions": groups_of_questions,
        "breakdowns": [{"value": b["id"], "label": b["label"][lang], "segments": " ".join(b["segments"])}
                       for b in doc["breakdowns"]],
        "segments": [{"value": s["id"], "label": s["label"][lang]} for s in segments],
        "measures": [{"value": m, "label": tx(f"explore.measure.{m}")} for m in MEASURES],
        "default": default,
        "segment_breakdown": SEGMENT_BREAKDOWN,
        "data": script_json(data),
        "other_href": f"../{other_lang(lang)}/index.html#{EXPLORE_ID}",
    }


def contents_entry(part: Mapping[str, Any]) -> dict[str, Any]:
    """The part's line in the page's contents."""
    return {"anchor": part["anchor"], "number": "", "title": part["title"], "slides": []}


def explore_rule(lang: str) -> dict[str, str]:
    """The methodology's paragraph on the explorer: what it shows and how it is protected. The page
    and the PDF deck both carry it; it names the HTML edition, where the explorer is."""
    tx = Translator(lang)
    return {"label": tx("method.label.explore"), "text": tx("method.explore")}
