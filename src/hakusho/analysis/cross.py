"""Cross analysis (the special report, part 4): two answers tabulated against each other.

The crosses themselves are data (``spec/crosses.yml``, see its header for the grammar); this
module reads them, checks them against the codebook, and computes for each one:

* the table of counts (rows × columns) and the row percentages, rounded by the report's one rule
  (:func:`hakusho.analysis.tabulate.percent`);
* a chi-square test of independence (``scipy.stats.chi2_contingency`` with ``correction=False``:
  no Yates continuity correction for any table, so the statistic is the one Cramér's V is defined
  on and the one :mod:`hakusho.analysis.compare` uses). Rows or columns nobody falls into carry no
  information and are left out of the test (they would make expected counts zero);
* Cramér's V, ``sqrt(chi2 / (n · (min(r, c) − 1)))``, *bias-uncorrected*, read in bands:
  below 0.1 negligible, below 0.3 weak, below 0.5 moderate, else strong (the usual reading for
  tables with a few degrees of freedom; written down here so that every headline uses it). V is
  stored and printed with three decimals and read on that value, so print and word agree;
* the expected counts, with a note when more than 20 % of them are under 5 (the chi-square
  approximation is then rough: the note says so rather than hiding it);
* where the rows are ordered (an ordinal question or a count), a Cochran–Armitage trend test on
  the share of the *focus* column band across the rows (scores 0, 1, 2 … in row order,
  two-sided): it says whether that share rises or falls along the rows;
* the disclosure rules of :mod:`hakusho.analysis.disclosure` applied to both margins: a row or column
  whose base is under 10 shows counts but no percentage, one under 30 is marked indicative. The
  test still uses every respondent (it discloses no share of a small group);
* a headline in both languages: what the focus band's share does along the rows and whether the
  association is significant at the 95 % level, and how strong it is.

Everything is written the way chapters are: ``cross.json`` (the document), ``figures.json`` (every
number prose may quote, ``cross.<id>.…``), ``tables/<id>.csv`` (tidy) and one chart per language,
``charts/<id>.<lang>.svg`` (100 % stacked bars, one per row band, in the house style).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from hakusho import config
from hakusho.analysis.compare import ALPHA
from hakusho.analysis.disclosure import INDICATIVE_BELOW, SUPPRESS_BELOW, disclosure_level
from hakusho.analysis.disclosure import note as base_note
from hakusho.analysis.spec import Spec, default_spec
from hakusho.analysis.tabulate import percent
from hakusho.errors import BuildError, CodebookError, FilterError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.survey.codebook import Bilingual, Codebook, Question, read_yaml
from hakusho.survey.wave import Survey
from hakusho.text import numbers

CROSSES_PATH = config.PACKAGE_DIR / "spec" / "crosses.yml"
DOMAIN = "cross"
CHAPTER_ID = "cross"

INDEPENDENCE_TEST = "chi-square test of independence"
TREND_TEST = "Cochran-Armitage trend test"
# Cramér's V bands: upper bounds (exclusive) of each reading; anything above the last is strong.
STRENGTH_BANDS: tuple[tuple[float, str], ...] = ((0.1, "negligible"), (0.3, "weak"), (0.5, "moderate"))
STRONG = "strong"
SMALL_EXPECTED = 5.0  # an expected count under this is "small"
SMALL_EXPECTED_SHARE = 0.2  # more than this share of small expected counts earns a note

CSV_COLUMNS = ["cross_id", "wave", "population", "filter", "row_key", "row_label_ja", "row_label_en",
               "col_key", "col_label_ja", "col_label_en", "count", "row_base", "col_base", "row_pct",
               "expected", "disclosure"]

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


def load_crosses(path: str | Path | None = None) -> list[CrossDef]:
    """The crosses of ``spec/crosses.yml`` (or of another file)."""
    path = Path(path) if path is not None else CROSSES_PATH
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


# ============================================================================ tables and statistics


def cross_counts(survey: Survey, rows: ResolvedAxis, cols: ResolvedAxis, population: pd.Series) -> pd.DataFrame:
    """Counts of respondents per row band (index) and column band (columns), in band order."""
    row_band = rows.assign(survey)
    col_band = cols.assign(survey)
    inside = population.reindex(survey.responses.index, fill_value=False).astype(bool)
    inside &= row_band.notna() & col_band.notna()
    table = pd.DataFrame(0, index=pd.Index(rows.keys), columns=pd.Index(cols.keys))
    pairs = pd.DataFrame({"row": row_band[inside], "col": col_band[inside]})
    for (r, c), n in pairs.groupby(["row", "col"]).size().items():
        table.loc[r, c] = int(n)
    table.index.name, table.columns.name = "row", "col"
    return table


def row_percentages(counts: pd.DataFrame) -> pd.DataFrame:
    """Each cell as a rounded share of its row (NaN for an empty row)."""
    out = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=float)
    for r in counts.index:
        base = int(counts.loc[r].sum())
        for c in counts.columns:
            out.loc[r, c] = percent(int(counts.loc[r, c]), base)
    return out


def expected_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts expected under independence: row total × column total / n."""
    n = counts.to_numpy().sum()
    if n == 0:
        return counts.astype(float) * 0.0
    outer = np.outer(counts.sum(axis=1).to_numpy(), counts.sum(axis=0).to_numpy()) / n
    return pd.DataFrame(outer, index=counts.index, columns=counts.columns)


def cramers_v(chi2: float, n: int, shape: tuple[int, int]) -> float:
    """Cramér's V, bias-uncorrected: sqrt(chi2 / (n · (min(r, c) − 1)))."""
    k = min(shape) - 1
    if n <= 0 or k <= 0:
        raise ValueError("Cramér's V needs at least two rows and two columns with answers")
    return math.sqrt(chi2 / (n * k))


def strength(v: float) -> str:
    """The reading of a Cramér's V (see the module notes for the bands)."""
    for upper, name in STRENGTH_BANDS:
        if v < upper:
            return name
    return STRONG


@dataclass(frozen=True)
class IndependenceTest:
    """The chi-square test of one table, unrounded (cross.json stores it rounded)."""

    chi2: float
    dof: int
    p_value: float
    n: int
    shape: tuple[int, int]  # rows × columns actually tested
    cramers_v: float
    expected_min: float
    expected_small_share: float

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def cramers_v_shown(self) -> float:
        """V as the outputs store and print it (three decimals); its reading is of this value,
        so that a printed 0.100 is never called negligible."""
        return round(self.cramers_v, 3)

    @property
    def p_shown(self) -> float:
        return stored_p(self.p_value)

    @property
    def strength(self) -> str:
        return strength(self.cramers_v_shown)

    @property
    def expected_warning(self) -> bool:
        return self.expected_small_share > SMALL_EXPECTED_SHARE


def independence_test(counts: pd.DataFrame) -> IndependenceTest | None:
    """Chi-square test of independence (no Yates correction) and Cramér's V of a table of counts.

    Empty rows and columns are dropped first. None when fewer than two rows or columns remain or
    the table holds fewer respondents than the suppression line: there is nothing to test.
    """
    table = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    n = int(table.to_numpy().sum())
    if table.shape[0] < 2 or table.shape[1] < 2 or n < SUPPRESS_BELOW:
        return None
    result = stats.chi2_contingency(table.to_numpy(), correction=False)
    expected = np.asarray(result.expected_freq)
    return IndependenceTest(
        chi2=float(result.statistic), dof=int(result.dof), p_value=float(result.pvalue), n=n,
        shape=(int(table.shape[0]), int(table.shape[1])),
        cramers_v=cramers_v(float(result.statistic), n, table.shape),
        expected_min=float(expected.min()),
        expected_small_share=float((expected < SMALL_EXPECTED).mean()),
    )


@dataclass(frozen=True)
class TrendTest:
    """Cochran–Armitage test for a linear trend of one column's share across ordered rows."""

    focus: str
    z: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def direction(self) -> str | None:
        if not self.significant:
            return None
        return "up" if self.z > 0 else "down"


def trend_test(counts: pd.DataFrame, focus: str) -> TrendTest | None:
    """Trend of the share of ``focus`` along the rows (scores 0, 1, 2 … in row order).

    T = Σ tᵢ (xᵢ − nᵢ p̄), Var T = p̄ (1 − p̄) [Σ tᵢ² nᵢ − (Σ tᵢ nᵢ)² / N], z = T / √Var T, two-sided.
    Empty rows keep their score but add nothing. None when the share does not vary at all
    (everyone or no one in ``focus``) or fewer than two rows have answers.
    """
    n_i = counts.sum(axis=1).to_numpy(dtype=float)
    x_i = counts[focus].to_numpy(dtype=float)
    t_i = np.arange(len(n_i), dtype=float)
    total = n_i.sum()
    if (n_i > 0).sum() < 2 or total == 0:
        return None
    p = x_i.sum() / total
    variance = p * (1 - p) * ((t_i**2 * n_i).sum() - (t_i * n_i).sum() ** 2 / total)
    if variance <= 0:
        return None
    z = float((t_i * (x_i - n_i * p)).sum() / math.sqrt(variance))
    return TrendTest(focus=focus, z=z, p_value=float(2 * stats.norm.sf(abs(z))))


def stored_p(p_value: float) -> float:
    """A p-value as the outputs store it: four significant digits.

    Significant digits rather than decimals, because the p-values of strong associations are far
    below 0.0001 and a stored 0.0 would read as impossible; four digits keep outputs independent of
    the last float bits.
    """
    return float(f"{p_value:.4g}")


# ============================================================================ disclosure


def _worst(*levels: str) -> str:
    order = ["ok", "indicative", "suppressed"]
    return max(levels, key=order.index)


def disclosed_percentages(counts: pd.DataFrame, pct: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Row percentages with the disclosure rules of both margins applied, and each cell's level.

    A cell's share is shown unless its row or its column has fewer than 10 respondents; it is
    indicative when either has fewer than 30. Counts are never hidden.
    """
    row_level = {r: disclosure_level(int(counts.loc[r].sum())) for r in counts.index}
    col_level = {c: disclosure_level(int(counts[c].sum())) for c in counts.columns}
    levels = pd.DataFrame([[_worst(row_level[r], col_level[c]) for c in counts.columns] for r in counts.index],
                          index=counts.index, columns=counts.columns)
    shown = pct.astype(float).mask(levels == "suppressed")
    return shown, levels


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


def decimal(value: float, digits: int) -> str:
    """A statistic with a fixed number of decimals (the same in both languages), true minus sign."""
    return f"{value:.{digits}f}".replace("-", numbers.MINUS)


def _per_lang(fn: Any) -> dict[str, str]:
    return {lang: fn(lang) for lang in LANGS}


def headline(title: Mapping[str, str], rows: ResolvedAxis, cols: ResolvedAxis, focus: str,
             counts: pd.DataFrame, shown: pd.DataFrame, test: IndependenceTest | None,
             trend: TrendTest | None) -> dict[str, Any]:
    """The cross's plain-language headline: message keys, parameters, values and both texts.

    First sentence (the shape): along ordered rows with a significant association and a
    significant trend, the focus band's share *rises* or *falls* from the first shown row to the
    last; otherwise the rows where it is highest and lowest are named. Second sentence: whether
    the association is significant at the 95 % level, and its strength (Cramér's V bands).
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
        return {"keys": keys, "params": params, "values": values, "direction": None,
                **{lang: "".join(s[lang] for s in sentences) for lang in LANGS}}

    direction = trend.direction if (trend is not None and test.significant and rows.ordered) else None
    sentences: list[dict[str, str]] = []
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
        keys.append(shape_key)
        sentences.append(_both(shape_key, **params))
    else:
        keys.append("headline.no_shape")
        sentences.append(_both("headline.no_shape", **params))
    stat_key = "headline.significant" if test.significant else "headline.not_significant"
    params["test"] = _both("test.chi2")
    # Printed from the stored values, as the chart and the tables print them.
    params["p"] = _per_lang(lambda lang: numbers.p_value(test.p_shown, lang))
    params["v"] = _per_lang(lambda lang: decimal(test.cramers_v_shown, 3))
    params["strength"] = _both(f"strength_phrase.{test.strength}")
    values.update({"p_value": test.p_shown, "cramers_v": test.cramers_v_shown,
                   "significant": test.significant, "strength": test.strength})
    keys.append(stat_key)
    sentences.append(_both(stat_key, **params))
    if not test.significant and rows.ordered and trend is not None and trend.direction is not None:
        # The chi-square test looks at every column at once; a steady trend in the focus band
        # alone can be clear when the table as a whole is not. Say so instead of dropping it.
        trend_key = f"headline.trend_only_{trend.direction}"
        params["trend_p"] = _per_lang(lambda lang: numbers.p_value(stored_p(trend.p_value), lang))
        values["trend_p_value"] = stored_p(trend.p_value)
        keys.append(trend_key)
        sentences.append(_both(trend_key, **params))
    joiner = {"ja": "", "en": " "}
    return {"keys": keys, "params": params, "values": values, "direction": direction,
            **{lang: joiner[lang].join(s[lang] for s in sentences) for lang in LANGS}}


# ============================================================================ one cross


@dataclass(frozen=True)
class _Context:
    survey: Survey
    spec: Spec
    segment: str
    filter_text: str
    filter_label: dict[str, str]


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
    from hakusho.analysis.chapter import population_label as chapter_population_label

    return chapter_population_label(spec, population, segment)


def compute_cross(cross: CrossDef, ctx: _Context) -> tuple[dict[str, Any], pd.DataFrame]:
    """One cross's document (an entry of cross.json) and its tidy table."""
    rows, cols = check_cross(cross, ctx.survey.codebook, ctx.spec)
    focus = cols.focus or cols.keys[-1]
    population = ctx.survey.population(cross.population, segment=ctx.segment, spec=ctx.spec)
    counts = cross_counts(ctx.survey, rows, cols, population)
    pct = row_percentages(counts)
    shown, levels = disclosed_percentages(counts, pct)
    expected = expected_counts(counts)
    test = independence_test(counts)
    trend = trend_test(counts, focus) if rows.ordered and test is not None else None
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
                                    min=decimal(test.expected_min, 1)))
    if trend is not None:
        notes.append(cross_note("note.trend", band=cols.band(focus).label))
    if ctx.filter_text:
        notes.append(base_note("note.filtered", filter=ctx.filter_label, n=n))

    statistics = None
    if test is not None:
        statistics = {
            "test": INDEPENDENCE_TEST, "yates_correction": False, "alpha": ALPHA,
            "chi2": round(test.chi2, 3), "dof": test.dof, "p_value": test.p_shown,
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
        "rows": _axis_doc(rows, counts),
        "cols": {**_axis_doc(cols, counts), "focus": focus},
        "counts": [[int(v) for v in counts.loc[r]] for r in counts.index],
        "row_pct": [[_number(v, 1) for v in shown.loc[r]] for r in shown.index],
        "cell_disclosure": [[str(v) for v in levels.loc[r]] for r in levels.index],
        "expected": [[_number(v, 2) for v in expected.loc[r]] for r in expected.index] if test is not None else None,
        "statistics": statistics,
        "trend": trend_doc,
        "headline": headline(title, rows, cols, focus, counts, shown, test, trend),
        "notes": notes,
        "table": f"tables/{cross.id}.csv",
        "svg": {lang: f"charts/{cross.id}.{lang}.svg" for lang in LANGS},
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
    out[f"{prefix}.p_value"] = _fig(s and s["p_value"], "p_value", n, level, filter_text)
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
class CrossResult:
    """The cross-analysis part, computed: cross.json, the tidy tables and the figures."""

    document: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Any]
    output_dir: Path | None = field(default=None, compare=False)

    @property
    def cross_ids(self) -> list[str]:
        return [c["id"] for c in self.document["crosses"]]

    def cross(self, cross_id: str) -> Mapping[str, Any]:
        for c in self.document["crosses"]:
            if c["id"] == cross_id:
                return c
        raise KeyError(f"no cross '{cross_id}' (crosses: {', '.join(self.cross_ids)})")

    def table(self, cross_id: str) -> pd.DataFrame:
        return self.tables[cross_id].copy()

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

    def summary(self, lang: str = "ja") -> pd.DataFrame:
        doc = self.document
        rows = [("part", doc["title"][lang]), ("wave", doc["wave"]), ("segment", doc["segment"]),
                ("filter", doc["filter_label"][lang] or "-"), ("n_total", doc["n_total"]),
                ("n_segment", doc["n_segment"]), ("crosses", len(doc["crosses"]))]
        return pd.DataFrame(rows, columns=["", CHAPTER_ID]).set_index("")

    def svg_path(self, cross_id: str, lang: str = "ja") -> Path:
        if self.output_dir is None:
            raise FileNotFoundError("the crosses have not been written yet; call write_crosses first")
        return self.output_dir / self.cross(cross_id)["svg"][lang]

    def show(self, cross_id: str, lang: str = "ja") -> list[Any]:
        """What a notebook displays for one cross: heading and headline, the table, the chart."""
        from IPython.display import SVG, Markdown

        doc = self.cross(cross_id)
        shown: list[Any] = [Markdown(f"### {doc['title'][lang]}\n\n{doc['headline'][lang]}"),
                            self.view(cross_id, lang)]
        if self.output_dir is not None and self.svg_path(cross_id, lang).is_file():
            shown.append(SVG(filename=str(self.svg_path(cross_id, lang))))
        return shown


def _filter(survey: Survey, filters: Sequence[Any], *, segment: str, spec: Spec,
            allow_small_base: bool) -> tuple[Survey, list[list[Any]], str, dict[str, str], int, int]:
    from hakusho.analysis.chapter import MIN_FILTERED_SEGMENT, filter_label, normalize_filters
    from hakusho.survey.filters import describe_filters

    conditions, triples = normalize_filters(filters, survey.codebook)
    text = describe_filters(conditions)
    mask = survey.where(conditions, source="filter") if conditions else pd.Series(True, index=survey.responses.index)
    filtered = survey.subset(mask, conditions)
    seg = spec.segments[segment]
    n_segment = int(filtered.where(seg.where, source=f"segment {segment}").sum())
    if conditions:
        if n_segment == 0:
            raise FilterError(f"filter '{text}' leaves no respondents in the {segment} segment of wave {survey.wave}",
                              [Problem("empty result", value=text, expected="a filter that keeps some respondents")])
        if n_segment < MIN_FILTERED_SEGMENT and not allow_small_base:
            raise FilterError(
                f"filter '{text}' leaves {n_segment} respondents in the {segment} segment of wave {survey.wave}, "
                f"fewer than {MIN_FILTERED_SEGMENT}; pass allow_small_base=True to run the crosses anyway "
                "(small bases are then marked or shown as counts only)",
                [Problem("base too small", value=n_segment, expected=f"at least {MIN_FILTERED_SEGMENT}")])
    return filtered, triples, text, filter_label(conditions, survey.codebook), filtered.n, n_segment


def compute_crosses(survey: Survey, *, segment: str = "saas", filters: Sequence[Any] = (),
                    allow_small_base: bool = False, crosses: Sequence[CrossDef] | str | Path | None = None,
                    spec: Spec | None = None) -> CrossResult:
    """Every cross (of ``spec/crosses.yml`` unless ``crosses`` gives others) for one wave.

    Filters apply first, as they do to chapters; a filter leaving fewer than 30 respondents in the
    segment stops unless ``allow_small_base``.
    """
    spec = spec or default_spec()
    if segment not in spec.segments:
        raise FilterError(f"unknown segment '{segment}' (valid: {', '.join(spec.segments)})")
    if crosses is None or isinstance(crosses, str | Path):
        crosses = load_crosses(crosses)
    filtered, triples, text, label, n_total, n_segment = _filter(survey, filters, segment=segment, spec=spec,
                                                                 allow_small_base=allow_small_base)
    ctx = _Context(filtered, spec, segment, text, label)
    docs, tables, figures = [], {}, {}
    figures[f"{CHAPTER_ID}.n_total"] = _fig(n_total, "n", n_total, disclosure_level(n_total), text)
    figures[f"{CHAPTER_ID}.n_segment"] = _fig(n_segment, "n", n_segment, disclosure_level(n_segment), text)
    for cross in crosses:
        doc, table = compute_cross(cross, ctx)
        docs.append(doc)
        tables[cross.id] = table
        figures.update(cross_figures(doc, filter_text=text))
    document = {
        "chapter": CHAPTER_ID,
        "title": _both("part.title"),
        "wave": survey.wave,
        "segment": segment,
        "filters": triples,
        "filter_text": text,
        "filter_label": label,
        "n_total": n_total,
        "n_segment": n_segment,
        "method": {
            "test": INDEPENDENCE_TEST, "yates_correction": False, "alpha": ALPHA,
            "effect_size": "Cramér's V (bias-uncorrected)",
            "strength_bands": [{"below": upper, "strength": name} for upper, name in STRENGTH_BANDS]
            + [{"below": None, "strength": STRONG}],
            "trend_test": TREND_TEST, "suppress_below": SUPPRESS_BELOW, "indicative_below": INDICATIVE_BELOW,
            "text": _both("method.text"),
        },
        "crosses": docs,
    }
    return CrossResult(document=MappingProxyType(document), tables=MappingProxyType(tables),
                       figures=MappingProxyType(dict(sorted(figures.items()))))


# ============================================================================ writing


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _json_text(obj: Any) -> str:
    return json.dumps(_plain(obj), sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def csv_text(table: pd.DataFrame) -> str:
    """The tidy table as CSV: fixed columns, band order, one decimal for shares, blanks for none."""
    out = table[CSV_COLUMNS].copy()
    out["row_pct"] = [("" if pd.isna(v) else f"{float(v):.1f}") for v in out["row_pct"]]
    out["expected"] = [f"{float(v):.2f}" for v in out["expected"]]
    return out.to_csv(index=False, lineterminator="\n")


def write_crosses(result: CrossResult, output_dir: str | Path, *, draw_charts: bool = True) -> CrossResult:
    """Write cross.json, figures.json, tables/<id>.csv and charts/<id>.<lang>.svg into ``output_dir``."""
    from hakusho.analysis.chapter import write_text  # the chapters' writer: the same bytes on every platform

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "cross.json", _json_text(result.document))
    write_text(out / "figures.json", _json_text(result.figures))
    for cross_id, table in result.tables.items():
        write_text(out / "tables" / f"{cross_id}.csv", csv_text(table))
    if draw_charts:
        from hakusho.charts.draw import save_svg

        for doc in result.document["crosses"]:
            for lang in LANGS:
                fig = draw_cross(_plain(doc), lang, filter_text=result.document["filter_label"][lang])
                save_svg(fig, out / doc["svg"][lang])
    return replace(result, output_dir=out)


def run_crosses(survey: Survey, *, segment: str = "saas", filters: Sequence[Any] = (),
                output_dir: str | Path = "cross_out", allow_small_base: bool = False,
                crosses: Sequence[CrossDef] | str | Path | None = None, spec: Spec | None = None,
                draw_charts: bool = True) -> CrossResult:
    """Compute every cross and write its outputs; the one call the cross notebook makes."""
    result = compute_crosses(survey, segment=segment, filters=filters, allow_small_base=allow_small_base,
                             crosses=crosses, spec=spec)
    return write_crosses(result, output_dir, draw_charts=draw_charts)


# ============================================================================ chart

_PITCH = 0.42  # inches per row band
_BAR = 0.62  # bar height as a share of the pitch
_TITLE_SIZE, _SUB_SIZE, _VALUE_SIZE, _NOTE_SIZE = 12.0, 8.5, 8.0, 7.5
_MARGIN, _GAP = 0.14, 0.12
_LABEL_WIDTH = 2.6  # widest row label before it wraps
_NOT_SHOWN = "#D5DBE1"


def _ink(color: str) -> str:
    """White on dark fills, the text colour on light ones."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return "#FFFFFF" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#26323D"


def _footer(doc: Mapping[str, Any], lang: str, filter_text: str | None) -> list[str]:
    lines = [_tr("chart.footer_base", lang, n=numbers.base_n(doc["base_n"], lang), base=doc["population_label"][lang])]
    s = doc["statistics"]
    if s is None:
        lines.append(_tr("chart.footer_untested", lang))
    else:
        lines.append(_tr("chart.footer_test", lang, chi2=decimal(s["chi2"], 1), dof=s["dof"],
                         p=numbers.p_value(s["p_value"], lang), v=decimal(s["cramers_v"], 3),
                         strength=s["strength_label"][lang]))
    t = doc["trend"]
    if t is not None:
        band = next(b["label"][lang] for b in doc["cols"]["bands"] if b["key"] == t["focus"])
        lines.append(_tr("chart.footer_trend", lang, band=band, p=numbers.p_value(t["p_value"], lang)))
    if filter_text:
        lines.append(_tr("chart.footer_filter", lang, filter=filter_text))
    quiet = {"note.row_pct", "note.test", "note.trend", "note.filtered"}
    lines += [_tr("chart.footer_note", lang, text=n[lang]) for n in doc["notes"] if n["key"] not in quiet]
    return lines


def draw_cross(doc: Mapping[str, Any], lang: str, *, filter_text: str | None = None) -> Any:
    """100 % stacked bars of one cross (a cross.json entry), one bar per row band, in ``lang``.

    Column bands are stacked left to right in a sequential palette when they are ordered, the
    house's categorical one otherwise; each bar ends with its n (marked when indicative). A row
    under 10 respondents gets no bar, only its count; columns under 10 leave a grey "not shown"
    remainder. Above the plot the title, what rows and bars are, and the legend; under it n and
    base, the test, the trend and the notes. Nothing is computed here: shares are the document's.

    >>> fig = draw_cross(result.cross("retention_by_tools"), "en")   # doctest: +SKIP
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    from hakusho.charts import fonts
    from hakusho.charts.draw import WIDTHS, categorical_colors, format_pct, house_style, sequential_colors

    with house_style(lang):
        family = fonts.font_family(lang)
        width = WIDTHS["full"]
        fig = Figure(figsize=(width, 4.0))
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        muted = mpl.rcParams["axes.labelcolor"]
        room = width - 2 * _MARGIN

        rows, cols = doc["rows"]["bands"], doc["cols"]["bands"]
        colors = sequential_colors(len(cols)) if doc["cols"]["ordered"] else categorical_colors(len(cols))
        row_labels = [fonts.wrap_label(b["label"][lang], _LABEL_WIDTH, family=family,
                                       size=mpl.rcParams["ytick.labelsize"]) for b in rows]
        n_texts = [_tr("chart.row_n_indicative" if b["disclosure"] == "indicative" else "chart.row_n", lang,
                       n=numbers.base_n(b["base"], lang)) for b in rows]
        left = _MARGIN + max(fonts.text_width(s, family, mpl.rcParams["ytick.labelsize"]) for s in row_labels) + 0.12
        right = _MARGIN + max(fonts.text_width(s, family, _VALUE_SIZE) for s in n_texts) + 0.15
        plot_w = width - left - right

        # Header: title (with the indicative badge on its line), what the rows and bars are.
        badge = _tr("chart.badge_indicative", lang) if doc["disclosure"] == "indicative" else ""
        badge_w = fonts.text_width(badge, family, _SUB_SIZE) + 0.2 if badge else 0.0
        title = fig.text(0, 0, fonts.wrap_label(doc["title"][lang], room - badge_w, family=family, size=_TITLE_SIZE),
                         ha="left", va="top", fontsize=_TITLE_SIZE, color=mpl.rcParams["axes.titlecolor"])
        badge_text = fig.text(0, 0, badge, ha="right", va="top", fontsize=_SUB_SIZE, color="#7A4E0E") if badge else None
        subtitle = fig.text(0, 0, fonts.wrap_label(
            _tr("chart.subtitle", lang, rows=doc["rows"]["label"][lang], cols=doc["cols"]["label"][lang]),
            room, family=family, size=_SUB_SIZE), ha="left", va="top", fontsize=_SUB_SIZE, color=muted)
        footer = [fig.text(0, 0, fonts.wrap_label(line, room, family=family, size=_NOTE_SIZE), ha="left", va="top",
                           fontsize=_NOTE_SIZE, color=muted) for line in _footer(doc, lang, filter_text)]

        plot_h = len(rows) * _PITCH
        ax = fig.add_axes((left / width, 0.3, plot_w / width, 0.4))
        ys = list(range(len(rows)))
        any_hidden = False
        texts: list[str] = [*row_labels, *n_texts]
        for i, band in enumerate(rows):
            shares = doc["row_pct"][i]
            if band["disclosure"] == "suppressed":
                text = _tr("chart.row_suppressed", lang, n=numbers.count(band["base"], lang))
                texts.append(text)
                ax.text(0.5, i, text, ha="left", va="center", fontsize=_VALUE_SIZE, color=muted)
                continue
            start = 0.0
            for j, share in enumerate(shares):
                if share is None:
                    continue
                ax.barh(i, share, left=start, height=_BAR, color=colors[j], edgecolor="white", linewidth=0.8)
                label = format_pct(share, lang, doc["id"])
                if fonts.text_width(label, family, _VALUE_SIZE) + 0.08 <= share / 100 * plot_w:
                    ax.text(start + share / 2, i, label, ha="center", va="center", fontsize=_VALUE_SIZE,
                            color=_ink(colors[j]))
                    texts.append(label)
                start += share
            if any(s is None for s in shares):
                any_hidden = True
                ax.barh(i, max(0.0, 100.0 - start), left=start, height=_BAR, color=_NOT_SHOWN, edgecolor="white",
                        linewidth=0.8)
            # Rounded shares may add up to 100.1: the axis holds the longest bar, the n follows it.
            ax.annotate(n_texts[i], xy=(max(100.0, start), i), xytext=(6, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=_VALUE_SIZE, color=muted, annotation_clip=False)
        ax.set_xlim(0, max([100.0] + [sum(s for s in r if s is not None) for r in doc["row_pct"]]))
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_yticks(ys, labels=row_labels)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)

        legend_labels = [b["label"][lang] for b in cols]
        handles = [Patch(color=c) for c in colors]
        if any_hidden:
            legend_labels.append(_tr("chart.not_shown", lang))
            handles.append(Patch(color=_NOT_SHOWN))
        texts += legend_labels
        ncols = len(legend_labels)
        legend = ax.legend(handles=handles, labels=legend_labels, loc="lower left", bbox_to_anchor=(0, 1),
                           ncols=ncols, borderaxespad=0.5, fontsize=mpl.rcParams["legend.fontsize"])
        while ncols > 1 and legend.get_window_extent(renderer).width / fig.dpi > plot_w + left - _MARGIN:
            ncols -= 1
            legend.remove()
            legend = ax.legend(handles=handles, labels=legend_labels, loc="lower left", bbox_to_anchor=(0, 1),
                               ncols=ncols, borderaxespad=0.5, fontsize=mpl.rcParams["legend.fontsize"])

        texts += [title.get_text(), subtitle.get_text(), badge, *(f.get_text() for f in footer)]
        missing = sorted({ch for s in texts for ch in fonts.missing_glyphs(s, lang)})
        if missing:
            raise BuildError(f"cross {doc['id']} ({lang}): the {lang} fonts have no glyph for "
                             + ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing))

        def height(text: Text) -> float:
            return text.get_window_extent(renderer).height / fig.dpi if text.get_text() else 0.0

        legend_h = legend.get_window_extent(renderer).height / fig.dpi + 0.1
        head = height(title) + 0.08 + height(subtitle)
        foot = sum(height(f) + 0.04 for f in footer)
        total = _MARGIN + head + _GAP + legend_h + plot_h + _GAP + foot + _MARGIN
        fig.set_size_inches(width, total)
        y = total - _MARGIN
        title.set_position((_MARGIN / width, y / total))
        if badge_text is not None:
            badge_text.set_position(((width - _MARGIN) / width, y / total))
        y -= height(title) + 0.08
        subtitle.set_position((_MARGIN / width, y / total))
        y -= height(subtitle) + _GAP + legend_h + plot_h
        ax.set_position((left / width, y / total, plot_w / width, plot_h / total))
        y -= _GAP
        for f in footer:
            f.set_position((_MARGIN / width, y / total))
            y -= height(f) + 0.04
        # Write the family into every text (ticks too), so a notebook's global style changes nothing.
        for tick in ax.yaxis.get_major_ticks():
            tick.label1.set_fontfamily(family)
        for text in fig.findobj(Text):
            text.set_fontfamily(family)
            text.set_parse_math(False)
    return fig
