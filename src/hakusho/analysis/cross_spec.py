"""The crosses of the special analysis as data: ``spec/crosses.yml``, read and checked.

A cross names a population and two axes; an axis is a question's choices (maybe folded into
bands) or a count of ticks of a multiple-answer question, cut into bins (see the file's header
for the grammar). :func:`load_crosses` reads the definitions with pydantic, each cross on its own
so that an error names it; :func:`check_cross` resolves its axes against a wave's codebook and
the cross catalog (every band has a label in both languages), with errors that point at the
file and the field where the fix goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hakusho import config
from hakusho.analysis.spec import Spec
from hakusho.errors import BuildError, CodebookError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.survey.codebook import Bilingual, Codebook, Question, read_yaml
from hakusho.survey.wave import Survey

CROSSES_FILE = "spec/crosses.yml"  # the project's own copy, else the package's
DOMAIN = "cross"  # the message catalog of the cross analysis

_KEY = r"^[a-z0-9][a-z0-9_]*$"


# ============================================================================ definitions


class Bin(BaseModel):
    """Counts from ``min`` to ``max`` (both inclusive; no ``max`` = and above)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    band: str = Field(pattern=_KEY)
    min: int = Field(ge=0)
    max: int | None = Field(default=None, ge=0)


class FoldBand(BaseModel):
    """Several choices of a question read as one band."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    band: str = Field(pattern=_KEY)
    keys: list[str] = Field(min_length=1)


class Axis(BaseModel):
    """Rows or columns of a cross: a question's choices (maybe folded), or a count of ticks."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = Field(default=None, pattern=_KEY)
    variable: str | None = None
    fold: list[FoldBand | str] | None = None
    count_of: str | None = None
    keys: list[str] | None = None
    exclude: list[str] | None = None
    bins: list[Bin] | None = None
    focus: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Axis:
        if (self.variable is None) == (self.count_of is None):
            raise ValueError("give exactly one of 'variable' (a question's choices) or 'count_of' (a count)")
        if self.variable is not None and (self.bins or self.keys is not None or self.exclude is not None):
            raise ValueError("'bins', 'keys' and 'exclude' belong to 'count_of' axes; a variable axis uses 'fold'")
        if self.count_of is not None:
            if self.fold is not None:
                raise ValueError("'fold' belongs to variable axes; a count uses 'bins'")
            if not self.bins:
                raise ValueError("a 'count_of' axis needs 'bins'")
            if self.name is None:
                raise ValueError("a 'count_of' axis needs a 'name' (its labels are axis.<name> and "
                                 "band.<name>.<band> in the cross catalog)")
            if self.keys is not None and self.exclude is not None:
                raise ValueError("give 'keys' (count only these) or 'exclude' (count all but these), not both")
        return self

    @property
    def label_name(self) -> str:
        """The name the catalog knows this axis by."""
        return self.name or str(self.variable or self.count_of)


class CrossDef(BaseModel):
    """One cross of ``spec/crosses.yml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Bilingual
    population: str
    rows: Axis
    cols: Axis
    source: str | None = Field(default=None, exclude=True)  # file it was read from, for messages

    @model_validator(mode="after")
    def _focus_on_cols(self) -> CrossDef:
        if self.rows.focus is not None:
            raise ValueError("'focus' names a column band; the rows have none")
        return self


def parse_crosses(data: Any, *, source: str = "crosses") -> list[CrossDef]:
    """Cross definitions from YAML data (``{"crosses": [...]}`` or the list itself).

    Each cross is checked on its own, so an error names the cross and the field.
    """
    items = data.get("crosses") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise CodebookError(f"{source}: expected a list of crosses under 'crosses'")
    out: list[CrossDef] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        cid = str(item.get("id", f"#{i + 1}")) if isinstance(item, Mapping) else f"#{i + 1}"
        try:
            cross = CrossDef.model_validate({**item, "source": source})
        except ValidationError as exc:
            problems = [Problem(f"{'.'.join(str(p) for p in e['loc']) or '(cross)'}: {e['msg']}", file=source)
                        for e in exc.errors()]
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})) or "definition"
            raise CodebookError(f"cross {cid}: malformed {fields} in {source}", problems) from None
        if cross.id in seen:
            raise CodebookError(f"cross {cross.id}: id used twice in {source}")
        seen.add(cross.id)
        out.append(cross)
    return out


def slide_id(cross_id: str) -> str:
    """A cross's slide: the id of its section in the HTML page, and where ``hakusho diff`` says
    its figures (``cross.<id>.…``) appear."""
    return f"cross-{cross_id}"


def load_crosses(path: str | Path | None = None, *, wave: str | None = None) -> list[CrossDef]:
    """The crosses of ``spec/crosses.yml`` (or of another file)."""
    path = Path(path) if path is not None else config.edition_file(Path(CROSSES_FILE).name, wave)
    return parse_crosses(read_yaml(path), source=path.name)


# ============================================================================ resolved axes


@dataclass(frozen=True)
class Band:
    """One row or column of a cross: its key, its label, and who falls into it."""

    key: str
    label: dict[str, str]
    codes: tuple[int, ...] = ()  # choice codes (variable axes)
    low: int = 0  # count range (count axes), inclusive
    high: int | None = None


@dataclass(frozen=True)
class ResolvedAxis:
    """An axis checked against the codebook: where its answers are and what its bands are."""

    which: str  # "rows" or "cols"
    kind: Literal["choice", "count"]
    source: str  # the question
    name: str
    label: dict[str, str]
    ordered: bool
    bands: tuple[Band, ...]
    counted: tuple[str, ...] = ()  # count axes: the choice keys counted
    focus: str | None = None

    @property
    def keys(self) -> list[str]:
        return [b.key for b in self.bands]

    def band(self, key: str) -> Band:
        return next(b for b in self.bands if b.key == key)

    def assign(self, survey: Survey) -> pd.Series:
        """Each respondent's band key (``<NA>`` when the axis does not place them)."""
        out = pd.Series(pd.NA, index=survey.responses.index, dtype="string")
        if self.kind == "choice":
            codes = survey.codes(self.source)
            for band in self.bands:
                out = out.mask(codes.isin(band.codes).fillna(False).astype(bool), band.key)
            return out
        answered = survey.answered(self.source).astype(bool)
        ticks = survey.multi(self.source)[list(self.counted)].fillna(False).astype(bool).sum(axis=1)
        for band in self.bands:
            inside = ticks >= band.low
            if band.high is not None:
                inside &= ticks <= band.high
            out = out.mask(answered & inside, band.key)
        return out


def _problem(cross_id: str, fld: str, message: str, *, source: str | None, value: object = None,
             expected: str | None = None) -> CodebookError:
    return CodebookError(f"cross {cross_id}: {fld}: {message}",
                         [Problem(message, file=source, column=fld, value=value, expected=expected)])


def _catalog_label(key: str) -> dict[str, str] | None:
    """A label from the cross catalog, if both languages have it (one without the other is an error)."""
    have = {lang: Translator(lang, DOMAIN).has(key) for lang in LANGS}
    if not any(have.values()):
        return None
    if not all(have.values()):
        missing = [lang for lang, ok in have.items() if not ok]
        raise BuildError(f"message '{key}' is missing from the {', '.join(missing)} {DOMAIN} catalog")
    return {lang: Translator(lang, DOMAIN)(key) for lang in LANGS}


def _band_label(cross_id: str, fld: str, name: str, band: str, source: str | None) -> dict[str, str]:
    key = f"band.{name}.{band}"
    label = _catalog_label(key)
    if label is None:
        raise _problem(cross_id, fld, f"band '{band}' has no label", source=source, value=band,
                       expected=f"message '{key}' in the ja and en {DOMAIN} catalogs")
    return label


def _question(cross_id: str, fld: str, qid: str, codebook: Codebook, source: str | None) -> Question:
    if qid not in codebook.by_id:
        raise _problem(cross_id, fld, f"codebook {codebook.wave} has no variable '{qid}'", source=source,
                       value=qid, expected="a question id of the codebook")
    return codebook.by_id[qid]


def _choice_keys(cross_id: str, fld: str, question: Question, keys: Sequence[str], source: str | None) -> None:
    valid = question.choice_keys
    unknown = [k for k in keys if k not in valid]
    if unknown:
        raise _problem(cross_id, fld, f"'{unknown[0]}' is not a choice of {question.id}", source=source,
                       value=unknown[0], expected="one of " + ", ".join(valid))


def _resolve_choice_axis(cross_id: str, which: str, axis: Axis, codebook: Codebook,
                         source: str | None) -> ResolvedAxis:
    qid = str(axis.variable)
    question = _question(cross_id, f"{which}.variable", qid, codebook, source)
    if question.type not in ("single", "ordinal"):
        hint = "use count_of for a multiple-answer question" if question.type == "multi" else "it has no choices"
        raise _problem(cross_id, f"{which}.variable", f"{qid} is a {question.type} question; {hint}",
                       source=source, value=question.type, expected="a single or ordinal question")
    substantive = [c for c in question.choices if c.in_base]
    name = axis.label_name
    bands: list[Band] = []
    if axis.fold is None:
        bands = [Band(c.key, {"ja": c.ja, "en": c.en}, (c.code,)) for c in substantive]
    else:
        used: list[str] = []
        for i, entry in enumerate(axis.fold):
            fld = f"{which}.fold[{i}]"
            if isinstance(entry, str):
                _choice_keys(cross_id, fld, question, [entry], source)
                choice = question.choice(entry)
                bands.append(Band(entry, {"ja": choice.ja, "en": choice.en}, (choice.code,)))
                used.append(entry)
                continue
            _choice_keys(cross_id, f"{fld}.keys", question, entry.keys, source)
            label = _band_label(cross_id, fld, name, entry.band, source)
            bands.append(Band(entry.band, label, tuple(question.choice(k).code for k in entry.keys)))
            used += entry.keys
        repeated = sorted({k for k in used if used.count(k) > 1})
        if repeated:
            raise _problem(cross_id, f"{which}.fold", f"choice '{repeated[0]}' is in two bands", source=source,
                           value=repeated[0], expected="each choice in one band")
        outside = [k for k in used if not question.choice(k).in_base]
        if outside:
            raise _problem(cross_id, f"{which}.fold", f"'{outside[0]}' is outside the base of {qid}",
                           source=source, value=outside[0], expected="substantive choices only")
        left = [c.key for c in substantive if c.key not in used]
        if left:
            raise _problem(cross_id, f"{which}.fold", f"choices of {qid} not in any band: {', '.join(left)}",
                           source=source, value=left[0], expected="every substantive choice in one band")
        if question.type == "ordinal":
            order = {c.code: i for i, c in enumerate(substantive)}
            positions = [sorted(order[c] for c in b.codes) for b in bands]
            flat = [p for ps in positions for p in ps]
            contiguous = all(ps == list(range(ps[0], ps[-1] + 1)) for ps in positions)
            if flat != sorted(flat) or not contiguous:
                raise _problem(cross_id, f"{which}.fold", f"bands of the ordinal question {qid} must be runs of "
                               "neighbouring choices in questionnaire order", source=source,
                               expected=", ".join(c.key for c in substantive))
    keys = [b.key for b in bands]
    if len(set(keys)) != len(keys):
        raise _problem(cross_id, f"{which}.fold", "a band name is used twice", source=source)
    label = _catalog_label(f"axis.{name}") or {"ja": question.label("ja"), "en": question.label("en")}
    return ResolvedAxis(which, "choice", qid, name, label, question.type == "ordinal", tuple(bands),
                        focus=axis.focus)


def _resolve_count_axis(cross_id: str, which: str, axis: Axis, codebook: Codebook,
                        source: str | None) -> ResolvedAxis:
    qid = str(axis.count_of)
    question = _question(cross_id, f"{which}.count_of", qid, codebook, source)
    if question.type != "multi":
        raise _problem(cross_id, f"{which}.count_of", f"{qid} is a {question.type} question; a count needs a "
                       "multiple-answer question", source=source, value=question.type, expected="multi")
    if axis.keys is not None:
        _choice_keys(cross_id, f"{which}.keys", question, axis.keys, source)
        counted = [k for k in question.choice_keys if k in axis.keys]
    else:
        _choice_keys(cross_id, f"{which}.exclude", question, axis.exclude or [], source)
        counted = [k for k in question.choice_keys if k not in (axis.exclude or [])]
    if not counted:
        raise _problem(cross_id, f"{which}.exclude", f"no choice of {qid} is left to count", source=source)
    bins = list(axis.bins or [])
    expected_min = 0
    for i, b in enumerate(bins):
        fld = f"{which}.bins[{i}]"
        if b.min != expected_min:
            raise _problem(cross_id, fld, f"bin '{b.band}' starts at {b.min}", source=source, value=b.min,
                           expected=f"{expected_min} (bins start at 0 and leave no gap or overlap)")
        if b.max is None and i != len(bins) - 1:
            raise _problem(cross_id, fld, f"bin '{b.band}' is open-ended but not the last", source=source)
        if b.max is not None and b.max < b.min:
            raise _problem(cross_id, fld, f"bin '{b.band}' ends before it starts", source=source, value=b.max)
        expected_min = (b.max if b.max is not None else b.min) + 1
    if bins[-1].max is not None and bins[-1].max < len(counted):
        raise _problem(cross_id, f"{which}.bins", f"the bins stop at {bins[-1].max} but up to {len(counted)} "
                       "choices can be ticked", source=source, value=bins[-1].max,
                       expected="an open last bin (no max)")
    keys = [b.band for b in bins]
    if len(set(keys)) != len(keys):
        raise _problem(cross_id, f"{which}.bins", "a band name is used twice", source=source)
    name = axis.label_name
    bands = tuple(Band(b.band, _band_label(cross_id, f"{which}.bins[{i}]", name, b.band, source), low=b.min,
                       high=b.max) for i, b in enumerate(bins))
    label = _catalog_label(f"axis.{name}")
    if label is None:
        raise _problem(cross_id, f"{which}.name", f"axis '{name}' has no label", source=source, value=name,
                       expected=f"message 'axis.{name}' in the ja and en {DOMAIN} catalogs")
    return ResolvedAxis(which, "count", qid, name, label, True, bands, tuple(counted), focus=axis.focus)


def resolve_axis(cross_id: str, which: str, axis: Axis, codebook: Codebook, *,
                 source: str | None = None) -> ResolvedAxis:
    """Check an axis against the codebook and the catalog (CodebookError naming cross and field).

    ``source`` is the file the cross was read from; errors point there, since that is where the
    fix goes.
    """
    if axis.variable is not None:
        resolved = _resolve_choice_axis(cross_id, which, axis, codebook, source)
    else:
        resolved = _resolve_count_axis(cross_id, which, axis, codebook, source)
    if resolved.focus is not None and resolved.focus not in resolved.keys:
        raise _problem(cross_id, f"{which}.focus", f"'{resolved.focus}' is not a band of this axis", source=source,
                       value=resolved.focus, expected="one of " + ", ".join(resolved.keys))
    return resolved


def check_cross(cross: CrossDef, codebook: Codebook, spec: Spec) -> tuple[ResolvedAxis, ResolvedAxis]:
    """The cross's rows and columns, checked; its population must be one of the spec's."""
    if cross.population not in spec.populations:
        raise _problem(cross.id, "population", f"unknown population '{cross.population}'", source=cross.source,
                       value=cross.population, expected="one of " + ", ".join(spec.populations))
    return (resolve_axis(cross.id, "rows", cross.rows, codebook, source=cross.source),
            resolve_axis(cross.id, "cols", cross.cols, codebook, source=cross.source))
