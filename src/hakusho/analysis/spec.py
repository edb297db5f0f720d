"""The report's content contract (``spec/chapters.yml``): chapters, slides, charts, populations.

Chart definitions live only there; this module reads them into frozen models so that the
notebooks, the renderers and the tests walk the same structure.
"""

from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hakusho import config
from hakusho.errors import CodebookError
from hakusho.messages import Msg
from hakusho.survey.codebook import Bilingual, Condition, pydantic_problems, read_yaml

AnswerKind = Literal["single", "multi", "ordinal"]
CompareKind = Literal["by_segment", "yoy", "ref_2023"]


class Segment(BaseModel):
    """A group of respondents named in both languages and defined by conditions (none: everyone).
    ``published`` (segments): the association publishes this segment's
    unfiltered report, whose counts are exact; every other run is a researcher's output, whose
    counts are perturbed (:mod:`hakusho.analysis.perturbation`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ja: str
    en: str
    where: list[Condition] = Field(default_factory=list)
    published: bool = False

    def label(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class Population(Segment):
    """A base for percentages; ``segment`` says whether it lies inside the report's segment."""

    segment: bool


class Group(BaseModel):
    """A combined share quoted in text: the sum of the rounded shares of ``keys``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    keys: list[str]


class Chart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_ja: str
    title_en: str
    answer: AnswerKind
    base: str
    compare: CompareKind | None = None
    question: str | None = None
    wave: Literal["report", "compare"] = "report"
    series: list[str] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    note: str | None = None
    asks_change: bool = False  # the question asks about a change itself (see chapters.yml)

    @model_validator(mode="after")
    def _groups_add_up(self) -> Chart:
        # A respondent may tick several choices of a multiple-answer question: adding their
        # shares counts people twice, so a combined share would be wrong.
        if self.groups and self.answer == "multi":
            raise ValueError(f"chart {self.id}: a combined share (groups) adds up the shares of one answer "
                             "per respondent; on a multiple-answer chart it would count people twice")
        return self

    @property
    def variable(self) -> str:
        """The codebook variable the chart tabulates."""
        return self.question or self.id

    @property
    def title(self) -> Bilingual:
        return Bilingual(ja=self.title_ja, en=self.title_en)


class Slide(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    charts: list[Chart]


class Chapter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: Bilingual
    slides: list[Slide]

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.slides for c in s.charts]


class Spec(BaseModel):
    """``strata``: the question a comparison of segments is also tested within (the response
    route, through which the segments were sampled in different proportions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    segments: dict[str, Segment]
    populations: dict[str, Population]
    chapters: list[Chapter]
    strata: str | None = None

    @model_validator(mode="after")
    def _check_refs(self) -> Spec:
        seen: set[str] = set()
        for chart in (c for ch in self.chapters for c in ch.charts):
            if chart.id in seen:
                raise ValueError(Msg("spec.chart_twice", id=chart.id))
            seen.add(chart.id)
            for pop in [chart.base, *chart.series]:
                if pop not in self.populations:
                    raise ValueError(Msg("spec.unknown_population", id=chart.id, population=pop))
        return self

    @cached_property
    def charts(self) -> dict[str, Chart]:
        return {c.id: c for ch in self.chapters for c in ch.charts}

    def chapter(self, chapter_id: str) -> Chapter:
        for ch in self.chapters:
            if ch.id == chapter_id:
                return ch
        valid = ", ".join(ch.id for ch in self.chapters)
        raise CodebookError(Msg("plan.unknown_chapter", name=chapter_id, valid=valid))

    def chapter_of_chart(self, chart_id: str) -> Chapter:
        for ch in self.chapters:
            if any(c.id == chart_id for c in ch.charts):
                return ch
        raise KeyError(chart_id)


def load_spec(path: Path | None = None) -> Spec:
    """Read and check the chapter spec (the project's, see :func:`default_spec`, unless ``path``
    is given)."""
    path = path or config.SPEC_PATH
    data = read_yaml(path)
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise CodebookError(Msg("spec.malformed", path=path), pydantic_problems(path, exc)) from None


def default_spec(wave: str | None = None) -> Spec:
    """The content contract of an edition (default: the project's): the edition's own
    ``chapters.yml`` when it has one, else the project's ``spec/chapters.yml``, else the
    package's — read once per file and process."""
    return _spec_at(config.edition_file("chapters.yml", wave))


@cache
def _spec_at(path: Path) -> Spec:
    return load_spec(path)
