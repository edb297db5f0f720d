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
from hakusho.messages import Msg, pydantic_message
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
            raise ValueError(Msg("cross.axis.one_source"))
        if self.variable is not None and (self.bins or self.keys is not None or self.exclude is not None):
            raise ValueError(Msg("cross.axis.bins_on_variable"))
        if self.count_of is not None:
            if self.fold is not None:
                raise ValueError(Msg("cross.axis.fold_on_count"))
            if not self.bins:
                raise ValueError(Msg("cross.axis.needs_bins"))
            if self.name is None:
                raise ValueError(Msg("cross.axis.needs_name"))
            if self.keys is not None and self.exclude is not None:
                raise ValueError(Msg("cross.axis.keys_and_exclude"))
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
            raise ValueError(Msg("cross.axis.focus_on_rows"))
        return self


def parse_crosses(data: Any, *, source: str = "crosses") -> list[CrossDef]:
    """Cross definitions from YAML data (``{"crosses": [...]}`` or the list itself).

    Each cross is checked on its own, so an error names the cross and the field.
    """
    items = data.get("crosses") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise CodebookError(Msg("cross.not_a_list", source=source))
    out: list[CrossDef] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        cid = str(item.get("id", f"#{i + 1}")) if isinstance(item, Mapping) else f"#{i + 1}"
        try:
            cross = CrossDef.model_validate({**item, "source": source})
        except ValidationError as exc:
            problems = [Problem(Msg("codebook.at_field", field=".".join(str(p) for p in e["loc"]) or "(cross)",
                                    message=pydantic_message(e)), file=source) for e in exc.errors()]
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})) or "definition"
            raise CodebookError(Msg("cross.malformed", id=cid, fields=fields, source=source), problems) from None
        if cross.id in seen:
            raise CodebookError(Msg("cross.id_twice", id=cross.id, source=source))
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


def _problem(cross_id: str, fld: str, message: Msg, *, source: str | None, value: object = None,
             expected: str | Msg | None = None) -> CodebookError:
    return CodebookError(Msg("cross.problem", id=cross_id, field=fld, message=message),
                         [Problem(message, file=source, column=fld, value=value, expected=expected)])


def _catalog_label(key: str) -> dict[str, str] | None:
    """A label from the cross catalog, if both languages have it (one without the other is an error)."""
    have = {lang: Translator(lang, DOMAIN).has(key) for lang in LANGS}
    if not any(have.values()):
        return None
    if not all(have.values()):
        missing = [lang for lang, ok in have.items() if not ok]
        raise BuildError(Msg("i18n.missing_key", key=key, lang=", ".join(missing), domain=DOMAIN))
    return {lang: Translator(lang, DOMAIN)(key) for lang in LANGS}


def _band_label(cross_id: str, fld: str, name: str, band: str, source: str | None) -> dict[str, str]:
    key = f"band.{name}.{band}"
    label = _catalog_label(key)
    if label is None:
        raise _problem(cross_id, fld, Msg("cross.no_band_label", band=band), source=source, value=band,
                       expected=Msg("cross.expected.message", key=key, domain=DOMAIN))
    return label


def _question(cross_id: str, fld: str, qid: str, codebook: Codebook, source: str | None) -> Question:
    if qid not in codebook.by_id:
        raise _problem(cross_id, fld, Msg("codebook.no_variable", wave=codebook.wave, id=qid), source=source,
                       value=qid, expected=Msg("cross.expected.question"))
    return codebook.by_id[qid]


def _choice_keys(cross_id: str, fld: str, question: Question, keys: Sequence[str], source: str | None) -> None:
    valid = question.choice_keys
    unknown = [k for k in keys if k not in valid]
    if unknown:
        raise _problem(cross_id, fld, Msg("cross.not_a_choice", key=unknown[0], id=question.id), source=source,
                       value=unknown[0], expected=Msg("filter.expected.one_of", values=", ".join(valid)))


def _resolve_choice_axis(cross_id: str, which: str, axis: Axis, codebook: Codebook,
                         source: str | None) -> ResolvedAxis:
    qid = str(axis.variable)
    question = _question(cross_id, f"{which}.variable", qid, codebook, source)
    if question.type not in ("single", "ordinal"):
        message = (Msg("cross.multi_variable", id=qid) if question.type == "multi"
                   else Msg("cross.no_choices", id=qid, type=Msg(f"type.{question.type}")))
        raise _problem(cross_id, f"{which}.variable", message, source=source, value=question.type,
                       expected=Msg("cross.expected.single"))
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
            raise _problem(cross_id, f"{which}.fold", Msg("cross.two_bands", key=repeated[0]), source=source,
                           value=repeated[0], expected=Msg("cross.expected.one_band"))
        outside = [k for k in used if not question.choice(k).in_base]
        if outside:
            raise _problem(cross_id, f"{which}.fold", Msg("cross.outside_base", key=outside[0], id=qid),
                           source=source, value=outside[0], expected=Msg("cross.expected.substantive"))
        left = [c.key for c in substantive if c.key not in used]
        if left:
            raise _problem(cross_id, f"{which}.fold", Msg("cross.unbanded", id=qid, keys=", ".join(left)),
                           source=source, value=left[0], expected=Msg("cross.expected.every_choice"))
        if question.type == "ordinal":
            order = {c.code: i for i, c in enumerate(substantive)}
            positions = [sorted(order[c] for c in b.codes) for b in bands]
            flat = [p for ps in positions for p in ps]
            contiguous = all(ps == list(range(ps[0], ps[-1] + 1)) for ps in positions)
            if flat != sorted(flat) or not contiguous:
                raise _problem(cross_id, f"{which}.fold", Msg("cross.runs", id=qid), source=source,
                               expected=", ".join(c.key for c in substantive))
    keys = [b.key for b in bands]
    if len(set(keys)) != len(keys):
        raise _problem(cross_id, f"{which}.fold", Msg("cross.band_twice"), source=source)
    label = _catalog_label(f"axis.{name}") or {"ja": question.label("ja"), "en": question.label("en")}
    return ResolvedAxis(which, "choice", qid, name, label, question.type == "ordinal", tuple(bands),
                        focus=axis.focus)


def _resolve_count_axis(cross_id: str, which: str, axis: Axis, codebook: Codebook,
                        source: str | None) -> ResolvedAxis:
    qid = str(axis.count_of)
    question = _question(cross_id, f"{which}.count_of", qid, codebook, source)
    if question.type != "multi":
        raise _problem(cross_id, f"{which}.count_of", Msg("cross.count_needs_multi", id=qid,
                                                           type=Msg(f"type.{question.type}")),
                       source=source, value=question.type, expected="multi")
    if axis.keys is not None:
        _choice_keys(cross_id, f"{which}.keys", question, axis.keys, source)
        counted = [k for k in question.choice_keys if k in axis.keys]
    else:
        _choice_keys(cross_id, f"{which}.exclude", question, axis.exclude or [], source)
        counted = [k for k in question.choice_keys if k not in (axis.exclude or [])]
    if not counted:
        raise _problem(cross_id, f"{which}.exclude", Msg("cross.nothing_to_count", id=qid), source=source)
    bins = list(axis.bins or [])
    expected_min = 0
    for i, b in enumerate(bins):
        fld = f"{which}.bins[{i}]"
        if b.min != expected_min:
            raise _problem(cross_id, fld, Msg("cross.bin_start", band=b.band, min=b.min), source=source, value=b.min,
                           expected=Msg("cross.expected.bin_start", min=expected_min))
        if b.max is None and i != len(bins) - 1:
            raise _problem(cross_id, fld, Msg("cross.bin_open", band=b.band), source=source)
        if b.max is not None and b.max < b.min:
            raise _problem(cross_id, fld, Msg("cross.bin_backwards", band=b.band), source=source, value=b.max)
        expected_min = (b.max if b.max is not None else b.min) + 1
    if bins[-1].max is not None and bins[-1].max < len(counted):
        raise _problem(cross_id, f"{which}.bins", Msg("cross.bins_short", max=bins[-1].max, n=len(counted)),
                       source=source, value=bins[-1].max, expected=Msg("cross.expected.open_bin"))
    keys = [b.band for b in bins]
    if len(set(keys)) != len(keys):
        raise _problem(cross_id, f"{which}.bins", Msg("cross.band_twice"), source=source)
    name = axis.label_name
    bands = tuple(Band(b.band, _band_label(cross_id, f"{which}.bins[{i}]", name, b.band, source), low=b.min,
                       high=b.max) for i, b in enumerate(bins))
    label = _catalog_label(f"axis.{name}")
    if label is None:
        raise _problem(cross_id, f"{which}.name", Msg("cross.no_axis_label", name=name), source=source, value=name,
                       expected=Msg("cross.expected.message", key=f"axis.{name}", domain=DOMAIN))
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
        raise _problem(cross_id, f"{which}.focus", Msg("cross.not_a_band", band=resolved.focus), source=source,
                       value=resolved.focus, expected=Msg("filter.expected.one_of", values=", ".join(resolved.keys)))
    return resolved


def check_cross(cross: CrossDef, codebook: Codebook, spec: Spec) -> tuple[ResolvedAxis, ResolvedAxis]:
    """The cross's rows and columns, checked; its population must be one of the spec's."""
    if cross.population not in spec.populations:
        raise _problem(cross.id, "population", Msg("cross.unknown_population", name=cross.population),
                       source=cross.source, value=cross.population,
                       expected=Msg("filter.expected.one_of", values=", ".join(spec.populations)))
    return (resolve_axis(cross.id, "rows", cross.rows, codebook, source=cross.source),
            resolve_axis(cross.id, "cols", cross.cols, codebook, source=cross.source))
