"""The bilingual codebook: one YAML file per wave describing its questionnaire.

The codebook is the single source of every question text and choice label, in Japanese and
English. Code refers to questions by a stable *variable id* (``cs_status``) and to choices by a
stable *key* (``doing``); raw exports use the vendor's column names and numeric codes, which the
codebook maps. Loading checks the file's structure with pydantic so that an editor's typo is
reported with its location instead of surfacing later as a KeyError.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hakusho import config
from hakusho.errors import CodebookError, Problem
from hakusho.messages import Msg, pydantic_message

CODEBOOK_FORMAT = 1
AnswerType = Literal["single", "multi", "ordinal", "numeric", "text"]


class Bilingual(BaseModel):
    """A visible string in both report languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class Condition(BaseModel):
    """One clause of a routing rule, population rule or filter: ``var op value``.

    Operators: ``==``, ``!=``, ``in``, ``not in``, ``<``, ``<=``, ``>``, ``>=`` and, for
    multiple-answer questions, ``includes`` / ``excludes``. Values name choices by key, code or
    label (either language), or a number compared with ordinal bucket bounds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    var: str
    op: Literal["==", "!=", "in", "not in", "<", "<=", ">", ">=", "includes", "excludes"]
    value: Any

    @model_validator(mode="before")
    @classmethod
    def _from_triple(cls, data: Any) -> Any:
        # YAML writes conditions compactly as [var, op, value].
        if isinstance(data, list | tuple) and len(data) == 3:
            return {"var": data[0], "op": data[1], "value": data[2]}
        return data

    def describe(self) -> str:
        value = self.value
        if isinstance(value, list | tuple):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        return f"{self.var} {self.op} {value}"


class Choice(BaseModel):
    """One answer option: a numeric code in the raw data, a stable key in code, two labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: int
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ja: str
    en: str
    lower: float | None = None  # ordinal buckets: inclusive lower bound
    upper: float | None = None  # ordinal buckets: exclusive upper bound (None = open)
    in_base: bool = True  # False for "don't know" style answers left out of the base
    other_text: bool = False  # the "other (please specify)" option with a free-text column

    def label(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class Question(BaseModel):
    """A questionnaire item (or screening / derived variable) as the raw export carries it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    column: str  # raw column; for multi answers the prefix of ``{column}_{code}`` columns
    type: AnswerType
    text: Bilingual
    short: Bilingual | None = None  # short label for axes and filters
    asked: list[Condition] = Field(default_factory=list)  # routing; empty = everyone
    asked_note: Bilingual | None = None  # who was asked, in words
    choices: list[Choice] = Field(default_factory=list)
    unit: Bilingual | None = None  # unit of ordinal bounds or numeric answers
    other_column: str | None = None  # free text behind the choice marked other_text
    required: bool = True  # whether every routed respondent must answer
    # A profile variable readers may break any question down by (the page's explorer): one group
    # per substantive choice. Single, ordinal or multiple answers only.
    breakdown: bool = False

    @model_validator(mode="after")
    def _check_choices(self) -> Question:
        if self.type in ("single", "multi", "ordinal") and not self.choices:
            raise ValueError(Msg("codebook.needs_choices", id=self.id, type=self.type))
        codes = [c.code for c in self.choices]
        keys = [c.key for c in self.choices]
        if len(set(codes)) != len(codes):
            raise ValueError(Msg("codebook.repeated_code", id=self.id))
        if len(set(keys)) != len(keys):
            raise ValueError(Msg("codebook.repeated_key", id=self.id))
        if self.breakdown and self.type not in ("single", "multi", "ordinal"):
            raise ValueError(Msg("codebook.no_breakdown", id=self.id, type=self.type))
        return self

    def label(self, lang: str) -> str:
        return (self.short or self.text).get(lang)

    def choice(self, key_or_code: str | int) -> Choice:
        for c in self.choices:
            if c.key == key_or_code or c.code == key_or_code:
                return c
        raise KeyError(key_or_code)

    @property
    def choice_keys(self) -> list[str]:
        return [c.key for c in self.choices]

    def multi_column(self, choice: Choice) -> str:
        """Raw column of one choice of a multiple-answer question, as vendors name them."""
        return f"{self.column}_{choice.code}"

    def raw_columns(self) -> list[str]:
        """Every raw column this question occupies, in questionnaire order."""
        cols = [self.multi_column(c) for c in self.choices] if self.type == "multi" else [self.column]
        if self.other_column:
            cols.append(self.other_column)
        return cols


class SurveyInfo(BaseModel):
    """What the methodology page says about a wave (labels only; counts come from the data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Bilingual
    short_title: Bilingual | None = None  # how other editions' charts name this one (白書2023)
    publisher: Bilingual
    method: Bilingual
    target: Bilingual
    sampling: list[Bilingual] = Field(default_factory=list)
    vendor: Bilingual | None = None
    period_start: str
    period_end: str
    synthetic: bool = False  # the shipped sample is synthetic; a real export sets this false
    note: Bilingual | None = None


class Codebook(BaseModel):
    """One wave's questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: int = CODEBOOK_FORMAT
    wave: str
    survey: SurveyInfo
    id_column: str
    questions: list[Question]
    source: str | None = Field(default=None, exclude=True)  # file it was read from

    @model_validator(mode="after")
    def _check_unique(self) -> Codebook:
        ids = [q.id for q in self.questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(Msg("codebook.repeated_ids", ids=", ".join(dupes)))
        cols = [c for q in self.questions for c in q.raw_columns()]
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        if dupes:
            raise ValueError(Msg("codebook.shared_columns", columns=", ".join(dupes)))
        known = set(ids)
        for q in self.questions:
            for cond in q.asked:
                if cond.var not in known:
                    raise ValueError(Msg("codebook.unknown_routing", id=q.id, var=cond.var))
        return self

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, qid: str) -> Question:
        try:
            return self.by_id[qid]
        except KeyError:
            raise CodebookError(
                Msg("codebook.no_variable", wave=self.wave, id=qid),
                [Problem(Msg("filter.problem.unknown_variable"), file=self.source, value=qid,
                         expected=Msg("filter.expected.one_of", values=", ".join(sorted(self.by_id))))],
            ) from None

    def expected_columns(self) -> list[str]:
        return [self.id_column] + [c for q in self.questions for c in q.raw_columns()]


def _yaml_error_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    row = mark.line + 1 if mark is not None else None
    return Problem(Msg("codebook.bad_yaml", detail=getattr(exc, "problem", exc)), file=str(path), row=row)


# libyaml's parser, when PyYAML was built with it, reads a codebook eight times faster than the
# pure-Python one; both build the same values (the resolver and constructor are PyYAML's).
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """YAML text as Python values, through libyaml when available.

    A document libyaml refuses is read again by PyYAML's own parser, which raises the error: its
    wording and position are then the same on every installation.
    """
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def compose_yaml(text: str) -> yaml.Node | None:
    """The YAML node tree (with line marks) of ``text``; errors as :func:`parse_yaml` raises them."""
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning syntax errors into a located CodebookError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodebookError(Msg("codebook.file_not_found", path=path)) from None
    except UnicodeDecodeError as exc:
        raise CodebookError(Msg("codebook.not_utf8", path=path, reason=exc.reason)) from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise CodebookError(Msg("codebook.unreadable", path=path), [_yaml_error_problem(path, exc)]) from None


def pydantic_problems(path: Path, exc: ValidationError) -> list[Problem]:
    """One Problem per pydantic error, located by its path inside the YAML document."""
    return [Problem(Msg("codebook.at_field", field=".".join(str(p) for p in err["loc"]),
                        message=pydantic_message(err)), file=str(path)) for err in exc.errors()]


def load_codebook(wave_or_path: str | Path) -> Codebook:
    """Load and check a wave's codebook (``"2025"`` or a path to a YAML file).

    A codebook is read once per process for as long as its bytes stay the same (every stage of
    a build and every renderer asks for it; the model is frozen, so sharing it is safe).
    """
    path = Path(wave_or_path)
    if path.suffix not in (".yml", ".yaml"):
        path = config.codebook_path(str(wave_or_path))
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(Msg("codebook.file_not_found", path=path)) from None
    return _codebook(str(path), content)


@lru_cache(maxsize=16)
def _codebook(source: str, content: bytes) -> Codebook:
    path = Path(source)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CodebookError(Msg("codebook.not_utf8", path=path, reason=exc.reason)) from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise CodebookError(Msg("codebook.unreadable", path=path), [_yaml_error_problem(path, exc)]) from None
    if not isinstance(data, dict):
        raise CodebookError(Msg("codebook.not_a_codebook", path=path))
    if data.get("format", CODEBOOK_FORMAT) != CODEBOOK_FORMAT:
        raise CodebookError(Msg("codebook.format", path=path, format=repr(data.get("format")),
                                supported=CODEBOOK_FORMAT))
    try:
        book = Codebook.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise CodebookError(Msg("codebook.malformed", path=path), pydantic_problems(path, exc)) from None
    return book
