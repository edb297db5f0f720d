"""Headlines and commentary written from the numbers, by the rules of ``spec/headlines.yml``.

Each slide's headline and one or two sentences of commentary are catalog messages (written
separately, and naturally, in each language) filled with figures of figures.json. Which message
is used depends on the data: the rules file lists, per sentence, variants with conditions ("the
first choice is *doing*", "the median did not move and the change is not significant", "the base
is too small") and the first variant that fits wins. So when a number changes, the sentence
changes with it — a different first choice, a rise instead of a fall, a small-base caveat.

Nothing here does arithmetic on the figures. Placeholders pick keys (ranks, the comparison
series, the largest significant change) and conditions compare values; every number printed is a
figure's own value, formatted by :mod:`hakusho.text.numbers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hakusho import config
from hakusho.build_folder import Chart, Figure, ranked_keys
from hakusho.errors import BuildError, CodebookError, Problem
from hakusho.i18n import Translator
from hakusho.messages import Msg
from hakusho.survey.codebook import pydantic_problems, read_yaml
from hakusho.text import numbers

RULES_FILE = "spec/headlines.yml"  # the project's own copy, else the package's
INTEGRATED = "all"  # the integrated report's segment: both segments side by side
PLACEHOLDER = re.compile(r"\{([a-z0-9_@]+)\}")
CLAUSE_TESTS = ("equals", "not_equals", "same_as", "differs_from", "above", "below", "at_least",
                "greater_than", "disclosure", "missing")



# ------------------------------------------------------------------------------ the rules


class Clause(BaseModel):
    """One condition on one figure; exactly one test besides ``figure``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    figure: str
    equals: Any = None
    not_equals: Any = None
    same_as: str | None = None
    differs_from: str | None = None
    above: float | None = None
    below: float | None = None
    at_least: float | None = None
    greater_than: str | None = None
    disclosure: str | None = None
    missing: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Clause:
        tests = [name for name in CLAUSE_TESTS if name in self.model_fields_set]
        if len(tests) != 1:
            raise ValueError(Msg("prose.one_test", figure=self.figure, tests=", ".join(CLAUSE_TESTS)))
        return self

    @property
    def test(self) -> str:
        return next(name for name in CLAUSE_TESTS if name in self.model_fields_set)


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    params: dict[str, str] = Field(default_factory=dict)
    when: list[Clause] = Field(default_factory=list)


class Sentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    variants: list[Variant]
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        # A sentence is usually written as its list of variants.
        return {"variants": data} if isinstance(data, list) else data


class SlideRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    headline: Sentence
    commentary: list[Sentence] = Field(min_length=1, max_length=2)


class SmallBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    headline: Variant
    commentary: Variant


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    small_base: SmallBase
    empty_base: SmallBase | None = None  # a slide whose first chart has no respondents at all
    # A first chart whose first series is too small while another series is shown (SaaS n=4 beside
    # non-SaaS n=138): the headline reads the series that can be read, and says the other cannot.
    small_first_series: SmallBase | None = None
    # The integrated report: a sentence on how the other segment answers the slide's first chart,
    # worded by the test of the gap ({chart} is the chart), after the slide's own sentences.
    segment_sentence: Sentence | None = None
    summaries: dict[str, list[str]]
    slides: dict[str, SlideRules]

    def message_keys(self) -> set[str]:
        """Every catalog key the rules can use (for the completeness test of the catalogs)."""
        keys = {self.small_base.headline.key, self.small_base.commentary.key}
        for rule in (self.empty_base, self.small_first_series):
            if rule is not None:
                keys |= {rule.headline.key, rule.commentary.key}
        if self.segment_sentence is not None:
            keys |= {v.key for v in self.segment_sentence.variants}
        for rules in self.slides.values():
            for sentence in [rules.headline, *rules.commentary]:
                for variant in sentence.variants:
                    keys.add(variant.key)
                    keys.update(src.removeprefix("@msg:") for src in variant.params.values()
                                if src.startswith("@msg:"))
        return keys


def load_rules(path: Path | None = None) -> Rules:
    """Read and check the headline rules (the package's own unless ``path`` is given)."""
    path = path or config.resource(RULES_FILE)
    try:
        return Rules.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise CodebookError(Msg("prose.malformed", name=path.name), pydantic_problems(path, exc)) from None


def default_rules(wave: str | None = None) -> Rules:
    """An edition's headline rules (default: the project's edition): the edition's own
    headlines.yml, else the project's spec/headlines.yml, else the package's."""
    return _rules_at(config.edition_file(Path(RULES_FILE).name, wave))


@cache
def _rules_at(path: Path) -> Rules:
    return load_rules(path)


# ------------------------------------------------------------------------------ resolving


@dataclass(frozen=True)
class ProseContext:
    """What sentences are written from: the build's figures and charts, in one language."""

    figures: Mapping[str, Figure]
    charts: Mapping[str, Chart]
    lang: str
    wave: str
    compare_wave: str = ""
    segment: str = "saas"  # the report's segment: saas | non_saas | all (clauses on "@segment")
    t: Translator = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "t", Translator(self.lang))


def _largest_change(chart: Chart, sign: int) -> str | None:
    """The answer with the largest significant change in the given direction (questionnaire order on ties)."""
    best: tuple[float, str] | None = None
    for test in chart.get("tests") or []:
        change = test.get("change_pt")
        if not test.get("significant") or change is None or change * sign <= 0:
            continue
        if best is None or abs(change) > best[0]:
            best = (abs(change), test["key"])
    return best[1] if best else None


def _placeholder(ctx: ProseContext, chart_id: str, name: str) -> str | None:
    chart = ctx.charts.get(chart_id)
    if chart is None:
        return None
    rank_match = re.fullmatch(r"top([1-9])(?:@([a-z0-9_]+))?", name)
    if rank_match:
        rank, series_id = int(rank_match.group(1)), rank_match.group(2)
        if series_id is None:
            figure = ctx.figures.get(f"{chart_id}.top{rank}")
            return None if figure is None or figure["value"] is None else str(figure["value"])
        ranked = ranked_keys(chart, series_id)
        return ranked[rank - 1] if len(ranked) >= rank else None
    if name == "compare":
        series = chart["series"]
        others = [s["id"] for s in series[1:] if s["wave"] != series[0]["wave"]]
        return others[0] if others else None
    if name in ("sig_rise", "sig_fall"):
        return _largest_change(chart, 1 if name == "sig_rise" else -1)
    raise BuildError(Msg("prose.placeholder", name="{" + name + "}", chart=chart_id))


def resolve_id(ctx: ProseContext, template: str) -> str | None:
    """A figure id with its placeholders filled in, or None where one has no value."""
    chart_id = template.split(".", 1)[0]
    unresolved = False

    def fill(m: re.Match[str]) -> str:
        nonlocal unresolved
        value = _placeholder(ctx, chart_id, m.group(1))
        if value is None:
            unresolved = True
            return ""
        return value

    resolved = PLACEHOLDER.sub(fill, template)
    return None if unresolved else resolved


SERIES_RANK = re.compile(r"(?P<chart>[a-z0-9_]+)\.(?P<series>[a-z0-9_]+)\.top(?P<rank>[1-9])")


def lookup(ctx: ProseContext, figure_id: str) -> Figure | None:
    """A figure of figures.json, or a rank within another series (``<chart>.<series>.topN``).

    figures.json ranks the first series only; a headline that contrasts two series (SaaS and
    non-SaaS) needs the other's first choice too, picked the same way (by count, ties in
    questionnaire order) from the chart's rows.
    """
    figure = ctx.figures.get(figure_id)
    if figure is not None:
        return figure
    m = SERIES_RANK.fullmatch(figure_id)
    chart = ctx.charts.get(m.group("chart")) if m else None
    if m is None or chart is None:
        return None
    series = next((s for s in chart["series"] if s["id"] == m.group("series")), None)
    if series is None:
        return None
    ranked = ranked_keys(chart, series["id"])
    rank = int(m.group("rank"))
    key = ranked[rank - 1] if len(ranked) >= rank else None
    row = next((r for r in chart["rows"] if r["key"] == key), None)
    return {"value": key, "kind": "choice", "base": series["base_n"], "disclosure": series["disclosure"],
            "label": dict(row["label"]) if row else None}


def _figure(ctx: ProseContext, template: str) -> Figure | None:
    if template == "@segment":  # which report this is: lets a rule word a sentence for its segment
        return {"value": ctx.segment, "kind": "choice", "disclosure": "ok"}
    figure_id = resolve_id(ctx, template)
    return None if figure_id is None else lookup(ctx, figure_id)


@dataclass
class _Filled:
    text: str
    figures: list[str]
    indicative: bool


def _chart_label(ctx: ProseContext, ref: str, what: str) -> str | None:
    chart_id, _, rest = ref.partition(".")
    chart = ctx.charts.get(chart_id)
    if chart is None:
        return None
    if what == "base":
        if not rest:
            return str(chart["base_label"][ctx.lang])
        series = next((s for s in chart["series"] if s["id"] == rest), None)
        return None if series is None else str(series["label"][ctx.lang])
    key = resolve_id(ctx, ref)
    if key is None:
        return None
    key = key.split(".", 1)[1]
    row = next((r for r in chart["rows"] if r["key"] == key), None)
    return None if row is None else str(row["label"][ctx.lang])


def _source(ctx: ProseContext, source: str, used: list[str], levels: list[str]) -> str | None:
    if source == "@wave":
        return ctx.wave or None
    if source == "@compare_wave":
        return ctx.compare_wave or None
    if source.startswith("@base:"):
        return _chart_label(ctx, source.removeprefix("@base:"), "base")
    if source.startswith("@label:"):
        return _chart_label(ctx, source.removeprefix("@label:"), "label")
    if source.startswith("@msg:"):
        return ctx.t(source.removeprefix("@msg:"))
    if source.startswith("@"):
        raise BuildError(Msg("prose.source", source=source))
    figure_id = resolve_id(ctx, source)
    figure = lookup(ctx, figure_id) if figure_id else None
    if figure is None or figure["value"] is None:
        return None
    used.append(figure_id)  # type: ignore[arg-type]
    levels.append(str(figure.get("disclosure", "ok")))
    return numbers.format_figure(figure, ctx.lang, signed=False)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def clause_holds(ctx: ProseContext, clause: Clause) -> bool:
    """Whether a condition holds; a figure that cannot be resolved makes every test but ``missing`` false."""
    figure = _figure(ctx, clause.figure)
    value = None if figure is None else figure["value"]
    test = clause.test
    if test == "missing":
        return (value is None) == clause.missing
    if test == "disclosure":
        return figure is not None and figure.get("disclosure") == clause.disclosure
    if value is None:
        return False
    if test == "equals":
        return value == clause.equals
    if test == "not_equals":
        return value != clause.not_equals
    if test in ("same_as", "differs_from", "greater_than"):
        other = _figure(ctx, getattr(clause, test))
        if other is None or other["value"] is None:
            return False
        if test == "same_as":
            return value == other["value"]
        if test == "differs_from":
            return value != other["value"]
        a, b = _number(value), _number(other["value"])
        return a is not None and b is not None and a > b
    number = _number(value)
    if number is None:
        return False
    if test == "above":
        return number > clause.above  # type: ignore[operator]
    if test == "below":
        return number < clause.below  # type: ignore[operator]
    return number >= clause.at_least  # type: ignore[operator]


def fill_variant(ctx: ProseContext, variant: Variant) -> _Filled | None:
    """The variant's message filled in, or None when a condition fails or a value is missing."""
    if not all(clause_holds(ctx, c) for c in variant.when):
        return None
    used: list[str] = []
    levels: list[str] = []
    params = {}
    for name, source in variant.params.items():
        text = _source(ctx, source, used, levels)
        if text is None:
            return None
        params[name] = text
    return _Filled(ctx.t(variant.key, **params), used, "indicative" in levels)


def _with_mark(ctx: ProseContext, text: str) -> str:
    return numbers.with_indicative_mark(text, ctx.lang)


def write_sentence(ctx: ProseContext, sentence: Sentence, where: str) -> _Filled | None:
    for variant in sentence.variants:
        filled = fill_variant(ctx, variant)
        if filled is not None:
            if filled.indicative:
                filled.text = _with_mark(ctx, filled.text)
            return filled
    if sentence.optional:
        return None
    keys = ", ".join(v.key for v in sentence.variants)
    raise BuildError(
        f"{where}: no variant fits the data",
        [Problem("every variant has a failing condition or a figure without value", column=where, value=keys,
                 expected="a last variant without conditions whose figures exist in this build")],
    )


# ------------------------------------------------------------------------------ slides


@dataclass(frozen=True)
class SlideProse:
    """A slide's generated text in one language, and the figures it quotes."""

    headline: str
    commentary: tuple[str, ...]
    figures: tuple[str, ...]
    small_base: bool = False


def _substitute_chart(variant: Variant, chart_id: str, **names: str) -> Variant:
    """The variant with ``{chart}`` (and ``{series}``, ``{small}`` …) written into its sources and
    the figures of its conditions."""
    def fill(text: str) -> str:
        for name, value in {"chart": chart_id, **names}.items():
            text = text.replace("{" + name + "}", value)
        return text

    params = {key: fill(source) for key, source in variant.params.items()}
    when = [clause.model_copy(update={"figure": fill(clause.figure)}) for clause in variant.when]
    return variant.model_copy(update={"params": params, "when": when})


def slide_prose(ctx: ProseContext, slide: Mapping[str, Any], rules: Rules | None = None) -> SlideProse:
    """Headline and commentary of one slide (a slide dict of chapter.json)."""
    rules = rules or default_rules(ctx.wave)
    slide_id = slide["id"]
    if slide_id not in rules.slides:
        raise BuildError(Msg("prose.no_rules", slide=slide_id, name=Path(RULES_FILE).name))
    first = slide["charts"][0]
    # No respondents at all (non-SaaS in a wave that surveyed SaaS only): say so, as for a small base.
    empty = first["disclosure"] == "empty" and rules.empty_base is not None
    readable = [x for x in first["series"][1:] if x["disclosure"] not in ("suppressed", "empty")]
    if first["disclosure"] == "suppressed" and readable and rules.small_first_series is not None:
        # Every series counts: a small first series does not silence a readable second one.
        names = {"series": readable[0]["id"], "small": first["series"][0]["id"]}
        return _fixed_prose(ctx, slide_id, first["id"], rules.small_first_series, "small-series", names)
    if first["disclosure"] == "suppressed" or empty:
        small = rules.empty_base if empty else rules.small_base
        assert small is not None
        return _fixed_prose(ctx, slide_id, first["id"], small, "empty-base" if empty else "small-base", {})
    slide_rules = rules.slides[slide_id]
    headline = write_sentence(ctx, slide_rules.headline, f"slide {slide_id} headline")
    assert headline is not None  # a headline is never optional
    sentences = []
    for i, sentence in enumerate(slide_rules.commentary, start=1):
        filled = write_sentence(ctx, sentence, f"slide {slide_id} commentary {i}")
        if filled is not None:
            sentences.append(filled)
    already = any(".non_saas." in f or ".diff_" in f for s in [headline, *sentences] for f in s.figures)
    if ctx.segment == INTEGRATED and rules.segment_sentence is not None and not already:
        # Every series counts: a sentence quoting SaaS figures is followed by how non-SaaS
        # respondents answer, worded by the test of the gap.
        # The chart the headline speaks of (its first figure's), else the slide's first chart.
        quoted_chart = headline.figures[0].split(".", 1)[0] if headline.figures else first["id"]
        variants = [_substitute_chart(v, quoted_chart) for v in rules.segment_sentence.variants]
        filled = write_sentence(ctx, Sentence(variants=variants, optional=True), f"slide {slide_id} segments")
        if filled is not None:
            sentences.append(filled)
    quoted = headline.figures + [f for s in sentences for f in s.figures]
    return SlideProse(headline.text, tuple(s.text for s in sentences), tuple(dict.fromkeys(quoted)))


def _fixed_prose(ctx: ProseContext, slide_id: str, chart_id: str, rule: SmallBase, what: str,
                 names: Mapping[str, str]) -> SlideProse:
    parts = []
    for name, variant in (("headline", rule.headline), ("commentary", rule.commentary)):
        filled = fill_variant(ctx, _substitute_chart(variant, chart_id, **names))
        if filled is None:
            raise BuildError(f"slide {slide_id}: the {what} {name} cannot be filled")
        if filled.indicative:
            filled.text = _with_mark(ctx, filled.text)
        parts.append(filled)
    return SlideProse(parts[0].text, (parts[1].text,), tuple(parts[0].figures + parts[1].figures), True)


def chapter_summary(chapter_id: str, headlines: Mapping[str, str], rules: Rules | None = None) -> list[str]:
    """The summary points of a chapter's title slide: the headlines of the slides the rules name.

    Slides absent from the build (a chart of the comparison wave without one) are skipped.
    """
    rules = rules or default_rules()
    return [headlines[s] for s in rules.summaries.get(chapter_id, []) if s in headlines]
