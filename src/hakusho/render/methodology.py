"""The back of the report: how the survey was run and read (methodology), the KPI glossary and
the colophon, in the page's language."""

from __future__ import annotations

from typing import Any

from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW
from hakusho.analysis.multiplicity import ALPHA
from hakusho.analysis.spec import Spec
from hakusho.build_folder import Build, series_value
from hakusho.render.wording import Wording, period
from hakusho.survey.codebook import Codebook
from hakusho.text import numbers


def _condition_text(cond: Any, book: Codebook, tx: Wording) -> str:
    question = book.question(cond.var)
    values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
    labels = []
    for value in values:
        try:
            labels.append(question.choice(value).label(tx.lang))
        except KeyError:
            labels.append(str(value))
    choice = tx.join(labels)
    name = question.label(tx.lang)
    if cond.op == "includes":
        return tx("method.condition.includes", question=name, choice=choice)
    if cond.op == "excludes":
        return tx("method.condition.excludes", question=name, choice=choice)
    if cond.op == "==":
        return tx("method.condition.equals", question=name, choice=choice)
    return tx("method.condition.other", question=name, op=cond.op, choice=choice)


def population_definition(pop_id: str, spec: Spec, segment: str, book: Codebook, tx: Wording) -> str:
    """A base population in words, from the spec's conditions and the codebook's labels."""
    pop = spec.populations[pop_id]
    conditions = list(spec.segments[segment].where) if pop.segment else []
    conditions += [c for c in pop.where if c not in conditions]
    if not conditions:
        return tx("method.condition.everyone")
    joiner = tx("method.condition.join")
    clauses = [_condition_text(c, book, tx) for c in conditions]
    text = joiner.join(clauses) if tx.lang == "ja" else f" {joiner} ".join(clauses)
    return tx("method.condition.respondents", conditions=text)


def _used_populations(build: Build, spec: Spec) -> list[str]:
    used = set()
    for chart in build.charts.values():
        if chart.get("wave") != build.wave:
            continue
        used.add(chart["base"])
        used.update(s["id"] for s in chart["series"] if s["id"] in spec.populations)
    return [p for p in spec.populations if p in used]


def methodology(build: Build, spec: Spec, book: Codebook, tx: Wording) -> dict[str, Any]:
    """The survey (who, when, how many), the bases used and the rules of reading."""
    lang = tx.lang
    info, other = build.survey["survey"], build.survey.get("compare_survey")
    segment = str(build.survey["segment"])
    rows = [
        {"label": tx("method.label.publisher"), "value": tx.label(info["publisher"])},
        {"label": tx("method.label.method"), "value": tx.label(info["method"])},
        {"label": tx("method.label.target"), "value": tx.label(info["target"])},
    ]
    if info.get("sampling"):
        rows.append({"label": tx("method.label.sampling"),
                     "value": "\n".join(f"({i}) {tx.label(s)}" for i, s in enumerate(info["sampling"], 1))})
    rows.append({"label": tx("method.label.period"), "value": period(info, lang)})
    rows.append({"label": tx("method.label.n_total"),
                 "value": tx("method.value.n_total", n=numbers.count(build.survey["n_total"], lang))})
    rows.append({"label": tx("method.label.n_segment"),
                 "value": tx("method.value.n_segment", segment=spec.segments[segment].label(lang),
                             n=numbers.count(build.survey["n_segment"], lang))})
    route = build.charts.get("route")
    if route is not None:
        sid = route["series"][0]["id"]
        items = [tx("method.value.route_item", label=tx.label(r["label"]),
                    share=numbers.pct_cell(series_value(r, sid)["pct"], lang),
                    count=numbers.count(series_value(r, sid)["count"], lang)) for r in route["rows"]]
        rows.append({"label": tx("method.label.route"), "value": tx.join(items)})
    if info.get("vendor"):
        rows.append({"label": tx("method.label.vendor"), "value": tx.label(info["vendor"])})
    if build.survey.get("filter_text"):
        rows.append({"label": tx("method.label.filter"), "value": str(build.survey["filter_text"])})
    series = build.survey.get("series_surveys") or []
    if series:  # a series across waves: every wave on file, with its publisher, period, n and routes
        for wave in series:
            routes = tx.join([tx.label(s) for s in wave.get("sampling") or []]) or tx.label(wave["method"])
            rows.append({"label": tx("method.label.series_wave", wave=wave["wave"]),
                         "value": tx("method.value.series_wave", title=tx.label(wave["title"]),
                                     publisher=tx.label(wave["publisher"]), period=period(wave, lang),
                                     n=numbers.base_n(wave["n_total"], lang),
                                     routes=routes)})
    elif build.compare_wave and other:
        rows.append({"label": tx("method.label.compare"),
                     "value": tx("method.value.compare_no_n", title=tx.label(other["title"]),
                                 publisher=tx.label(other["publisher"]), period=period(other, lang))})

    saas = book.question("industry").choice("saas").label(lang)
    bases = [{"label": spec.populations[p].label(lang),
              "definition": population_definition(p, spec, segment, book, tx)}
             for p in _used_populations(build, spec)]
    provenance = tx("method.provenance.synthetic" if build.survey.get("synthetic") else "method.provenance.real")
    perturbed = any(ch.get("counts") == "perturbed" for ch in build.chapters)
    alpha = numbers.level(ALPHA, lang)
    rules = [
        {"label": tx("method.label.segments"), "text": tx("method.segments", saas_label=saas)},
        *_sampling_rules(build, tx),
        {"label": tx("method.label.rounding"), "text": tx("method.rounding")},
        {"label": tx("method.label.small_base"),
         "text": tx("method.small_base", indicative=INDICATIVE_BELOW, suppress=SUPPRESS_BELOW)},
        {"label": tx("method.label.dont_know"), "text": _dont_know(book, tx)},
        {"label": tx("method.label.perturbation"),
         "text": tx("method.perturbation.applied" if perturbed else "method.perturbation.exact")},
        {"label": tx("method.label.provenance"), "text": provenance},
    ]
    # How differences are tested: its own section (and page of the deck), after the rules.
    tests = [
        {"label": tx("method.label.significance"),
         "text": tx("method.significance", z=tx("test.z"), fisher=tx("test.fisher"), chi2=tx("test.chi2"),
                    monte_carlo=tx("test.monte_carlo"), alpha=alpha)},
        {"label": tx("method.label.multiplicity"), "text": tx("method.multiplicity", alpha=alpha)},
        {"label": tx("method.label.route_test"), "text": tx("method.route_test", cmh=tx("test.cmh"))},
        {"label": tx("method.label.cross_tests"), "text": tx("method.cross_tests")},
    ]
    return {"anchor": "methodology", "title": tx("ui.methodology"), "survey_title": tx("ui.methodology_survey"),
            "rows": rows, "rules_title": tx("ui.methodology_rules"), "rules": rules,
            "tests_title": tx("ui.methodology_tests"), "tests": tests,
            "bases_title": tx("method.label.bases"), "bases": bases}


def _sampling_rules(build: Build, tx: Wording) -> list[dict[str, str]]:
    """What the methodology says about a sample that is not random: how each segment came in
    (by response route), that gaps between segments are confounded with it, and that p-values
    assume simple random sampling. The shares are the chapters' own (no arithmetic here)."""
    found = next((ch.get("sampling") for ch in build.chapters if ch.get("sampling")), None)
    if not found:
        return [{"label": tx("method.label.sampling_design"), "text": tx("method.sampling_design.plain")}]
    parts = []
    for seg in found["segments"]:
        items = [tx("method.value.route_item", label=tx.label(c["label"]), share=numbers.pct_cell(c["pct"], tx.lang),
                    count=numbers.count(c["count"], tx.lang)) for c in seg["choices"] if c["pct"] is not None]
        parts.append(tx("method.sampling_design.segment", segment=tx.label(seg["label"]), routes=tx.join(items)))
    return [{"label": tx("method.label.sampling_design"),
             "text": tx("method.sampling_design", routes=tx("method.sampling_design.separator").join(parts))}]


def _dont_know(book: Codebook, tx: Wording) -> str:
    """The "don't know" rule, with the questions that keep such answers in the base, found in the
    codebook: an in-base choice worded like one that is left out elsewhere."""
    outside = {c.label(tx.lang) for q in book.questions for c in q.choices if not c.in_base}
    kept = [q for q in book.questions if q.type != "multi"
            and any(c.in_base and c.label(tx.lang) in outside for c in q.choices)]
    if not kept:
        return tx("method.dont_know")
    names = tx.join([tx("method.value.question", question=q.label(tx.lang)) for q in kept])
    return tx("method.dont_know_except", questions=names)


def colophon(build: Build, part: str, tx: Wording) -> dict[str, Any]:
    """Title, publisher, data provenance, citation and fonts."""
    info = build.survey["survey"]
    publisher = tx.label(info["publisher"])
    title = tx.label(info["title"])
    rows = [
        {"label": tx("colophon.label.title"), "value": f"{title} {part}" if tx.lang == "ja" else f"{title}, {part}"},
        {"label": tx("colophon.label.publisher"),
         "value": tx("colophon.publisher", publisher=publisher, publisher_native=info["publisher"]["ja"])},
        {"label": tx("colophon.label.data"),
         "value": tx("method.provenance.synthetic" if build.survey.get("synthetic") else "method.provenance.real")},
        {"label": tx("colophon.label.generated"), "value": tx("colophon.generated")},
        {"label": tx("colophon.label.citation"), "value": tx("colophon.citation", publisher=publisher, title=title)},
        {"label": tx("colophon.label.font"), "value": tx("colophon.font")},
    ]
    return {"anchor": "colophon", "title": tx("ui.colophon"), "rows": rows,
            "copyright": tx("colophon.copyright", publisher=publisher)}


def glossary(lang: str) -> dict[str, Any] | None:
    """The KPI glossary appendix, when the glossary module is part of this installation."""
    try:
        from hakusho.text import glossary  # type: ignore[attr-defined]
    except ModuleNotFoundError as exc:
        if exc.name == "hakusho.text.glossary":
            return None
        raise
    return glossary.glossary_model(lang)
