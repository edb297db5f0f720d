"""Seeded synthetic respondent data in the vendor's raw export layout.

The real respondent data of the white paper is not public, so the project ships a synthetic
sample instead. It is generated from two inputs: the wave's codebook (which questions, which
choices, who was asked) and a calibration file, ``data/synthetic/targets_<wave>.yml``, holding
the number of respondents per cell and, per question and cell, either exact counts (the figures
the published report prints, realised exactly) or shares (everything else, made plausible).

How answers hang together is the model written here: a respondent's company size drives revenue,
customers, team size and tool adoption; retention rises with the number of CS tools adopted;
CS BPO use rises with CS headcount; ARPA follows ARR per customer. Exact counts are met by
assigning a cell's answers in order of such a score (ordinal questions) or by weighted sampling
without replacement (multiple answers), then repairing rows left without an answer by moving a
tick from a respondent with several: column totals never change.

Everything is vectorised with numpy and seeded per question, so regeneration is byte-identical
and editing one question's targets leaves every other question's answers unchanged.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.config import display_path
from hakusho.errors import CodebookError, HakushoError, Problem
from hakusho.messages import Msg
from hakusho.survey.codebook import Codebook, Question, load_codebook, read_yaml

DEFAULT_SEED = 20241201
RESPONSES_FILE = "responses.csv"
FRAME_DIMS = ("route", "segment", "cs_status")
OTHER_TEXT_SHARE = 0.7  # share of "other" answers that come with free text
_BLANK = -1


def targets_path(wave: str) -> Path:
    return config.SYNTHETIC_DIR / f"targets_{wave}.yml"


def load_targets(wave: str, path: Path | None = None) -> dict[str, Any]:
    """The calibration file of a wave, checked for its top-level shape."""
    path = path or targets_path(wave)
    data = read_yaml(path)
    if not isinstance(data, dict) or "frame" not in data or "questions" not in data:
        raise CodebookError(Msg("synthetic.not_calibration", path=path))
    if str(data.get("wave")) != str(wave):
        raise CodebookError(Msg("synthetic.other_wave", path=path, found=repr(data.get("wave")), wave=repr(wave)))
    data["_source"] = str(path)
    return data


def _round_half_up(value: float) -> int:
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _largest_remainder(n: int, weights: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``n`` in proportion to ``weights`` (ties broken by position)."""
    if n == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(np.int64)
    rest = n - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


@dataclass
class _Context:
    """Everything generated so far for one wave."""

    codebook: Codebook
    n: int
    frame: dict[str, np.ndarray]
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # single/ordinal: code or -1
    ticks: dict[str, np.ndarray] = field(default_factory=dict)  # multi: bool n × choices
    asked: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, np.ndarray] = field(default_factory=dict)
    _z: dict[str, np.ndarray] = field(default_factory=dict)  # answers are final once made
    _dims: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def position(self, qid: str) -> np.ndarray:
        """Place of each answer on the question's substantive scale (NaN if none)."""
        q = self.codebook.by_id[qid]
        return _lookup_codes(self.codes[qid], {c.code: float(i) for i, c in enumerate(
            c for c in q.choices if c.in_base)})

    def z(self, qid: str) -> np.ndarray:
        """Standardised answer of an ordinal question (0 where missing or not generated)."""
        if qid not in self.codes:
            return np.zeros(self.n)
        if qid not in self._z:
            self._z[qid] = _standardise(self.position(qid))
        return self._z[qid]

    def tick(self, qid: str, key: str) -> np.ndarray:
        q = self.codebook.by_id[qid]
        if qid not in self.ticks or key not in q.choice_keys:
            return np.zeros(self.n, dtype=bool)
        return self.ticks[qid][:, q.choice_keys.index(key)]


def _lookup_codes(codes: np.ndarray, values: dict[int, float]) -> np.ndarray:
    """``values[code]`` for every code, NaN for blanks and codes not in ``values``."""
    table = np.full(max([*values, 0]) + 2, np.nan)
    for code, value in values.items():
        table[code] = value
    safe = np.where((codes >= 0) & (codes < len(table) - 1), codes, len(table) - 1)
    return table[safe]


def _standardise(values: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(values)
    out = np.zeros(len(values))
    if ok.sum() > 1 and values[ok].std() > 0:
        out[ok] = (values[ok] - values[ok].mean()) / values[ok].std()
    return out


# ---------------------------------------------------------------- the model: what drives what
# An ordinal driver returns a score per respondent (higher = higher bucket); a multi driver
# returns logits per choice key (higher = more likely to be ticked).
Score = Callable[[_Context, np.random.Generator], np.ndarray]
Logits = Callable[[_Context, np.random.Generator], dict[str, np.ndarray]]

_CS_TOOLS = ("crm", "cs_platform", "helpdesk", "chat", "ma", "bi", "product_analytics", "knowledge_base",
             "digital_adoption", "survey_tools", "generative_ai")
_SENIORITY = {"executive": 5, "director": 4, "manager": 3, "supervisor": 2, "staff": 1, "contract": 0, "other": 1}


def _noise(ctx: _Context, rng: np.random.Generator, sd: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, sd, ctx.n)


def _size(ctx: _Context) -> np.ndarray:
    return ctx.z("employees")


def _cs_tool_count(ctx: _Context) -> np.ndarray:
    return sum(ctx.tick("tools", k).astype(float) for k in _CS_TOOLS)


def _seniority(ctx: _Context) -> np.ndarray:
    if "position" not in ctx.codes:
        return np.zeros(ctx.n)
    q = ctx.codebook.by_id["position"]
    rank = {c.code: float(_SENIORITY.get(c.key, 1)) for c in q.choices}
    return _standardise(_lookup_codes(ctx.codes["position"], rank))


def _headcount_or_size(ctx: _Context) -> np.ndarray:
    # Respondents not asked about team size (not practising) count as having a small team.
    hc = ctx.z("cs_headcount")
    return np.where(ctx.codes.get("cs_headcount", np.full(ctx.n, _BLANK)) == _BLANK, 0.3 * _size(ctx) - 1.0, hc)


def _within_revenue(ctx: _Context, score: np.ndarray) -> np.ndarray:
    """Order by company revenue first, ``score`` only within a revenue band.

    The recurring revenue of the services CS covers cannot exceed the company's revenue, so ARR
    buckets are handed out in revenue order (unknown revenue sits in the middle).
    """
    if "revenue" not in ctx.codes:
        return score
    band = ctx.position("revenue")
    band = np.where(np.isnan(band), np.nanmedian(band) if (~np.isnan(band)).any() else 0.0, band)
    return 10.0 * band + np.clip(score, -4.5, 4.5)


ORDINAL_DRIVERS: dict[str, Score] = {
    "revenue": lambda c, r: _size(c) + _noise(c, r, 0.35),
    "customers": lambda c, r: 0.5 * _size(c) + _noise(c, r),
    "products": lambda c, r: 0.5 * _size(c) + 0.3 * c.z("customers") + _noise(c, r),
    "cs_headcount": lambda c, r: 0.5 * _size(c) + 0.4 * c.z("customers") + _noise(c, r, 0.8),
    "cs_years": lambda c, r: 0.3 * _size(c) + _noise(c, r),
    "penetration": lambda c, r: 0.4 * c.z("cs_years") + _noise(c, r),
    "mgmt_understanding": lambda c, r: 0.5 * c.z("penetration") + _noise(c, r),
    "effect": lambda c, r: 0.4 * c.z("penetration") + _noise(c, r),
    "retention": lambda c, r: 0.9 * _standardise(_cs_tool_count(c)) + _noise(c, r, 0.6),
    "nrr": lambda c, r: 0.6 * c.z("retention") - 0.6 * c.z("revenue_churn") + _noise(c, r),
    "arr": lambda c, r: _within_revenue(c, 0.5 * c.z("customers") + _noise(c, r, 0.7)),
    "arpa": lambda c, r: c.z("arr") - c.z("customers") + _noise(c, r, 0.3),
    "headcount_change": lambda c, r: 0.3 * _size(c) + _noise(c, r),
    "headcount_outlook": lambda c, r: 0.6 * c.z("headcount_change") + _noise(c, r),
    "cs_career": lambda c, r: 0.5 * c.z("cs_years") + _noise(c, r),
    "income": lambda c, r: 0.6 * _seniority(c) + 0.4 * c.z("cs_career") + 0.3 * _size(c) + _noise(c, r, 0.8),
}

MULTI_DRIVERS: dict[str, Logits] = {
    "tools": lambda c, r: {**{k: 0.8 * _size(c) for k in _CS_TOOLS},
                           "spreadsheet": -0.6 * _size(c), "none": -1.0 * _size(c)},
    "services": lambda c, r: {"cs_bpo": 1.2 * _headcount_or_size(c), "none": -0.7 * _headcount_or_size(c)},
    "specialist_teams": lambda c, r: {**{k: 0.7 * c.z("cs_headcount") for k in c.codebook.by_id[
        "specialist_teams"].choice_keys}, "none": -1.2 * c.z("cs_headcount")},
    "measures": lambda c, r: {k: 0.4 * c.z("cs_years") for k in c.codebook.by_id["measures"].choice_keys},
    "kpis_tracked": lambda c, r: {k: 0.4 * c.z("arr") for k in ("nrr", "grr", "health_score", "expansion_revenue")},
}

# Multiple answers that can only name what the respondent ticked in an earlier question.
ELIGIBLE_FROM: dict[str, Callable[[_Context], dict[str, np.ndarray]]] = {
    "measures_effective": lambda c: {k: c.tick("measures", k) for k in c.codebook.by_id["measures"].choice_keys},
    "measures_ineffective": lambda c: {
        k: c.tick("measures", k) & ~c.tick("measures_effective", k)
        for k in c.codebook.by_id["measures"].choice_keys},
}

# Generated before the question that names them, whatever the questionnaire order.
DEPENDS: dict[str, tuple[str, ...]] = {
    "retention": ("tools",),
    "arpa": ("arr",),
    "nrr": ("revenue_churn", "retention"),
    "services": ("cs_headcount",),
}


# ---------------------------------------------------------------- cells and routing
def _frame(targets: dict[str, Any], scale: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    frame = targets["frame"]
    dims = list(frame.get("dims", []))
    src = targets["_source"]
    if not set(dims) <= set(FRAME_DIMS):
        raise CodebookError(f"{src}: frame dims must be among {', '.join(FRAME_DIMS)}", [])
    parts: dict[str, list[str]] = {d: [] for d in dims}
    for key, count in frame["cells"].items():
        values = str(key).split(".")
        if len(values) != len(dims) or not isinstance(count, int) or count < 0:
            raise CodebookError(f"{src}: bad frame cell", [Problem(
                "a frame cell names one value per dim and a count", file=src, column=f"frame.cells.{key}",
                value=count, expected=".".join(dims) + ": <whole number>")])
        for d, v in zip(dims, values, strict=True):
            parts[d] += [v] * (count * scale)
    n = len(parts[dims[0]]) if dims else 0
    order = rng.permutation(n)
    return {d: np.array(parts[d], dtype=object)[order] for d in dims}


def _cells(ctx: _Context, by: list[str], asked: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The asked respondents grouped by cell: (cell key, row numbers), keys in sorted order."""
    for d in by:
        if d not in ctx.frame:
            raise CodebookError(f"cells by '{d}', which the frame does not have (frame: {', '.join(ctx.frame)})")
    if not by:
        return [("", np.flatnonzero(asked))] if asked.any() else []
    index = np.zeros(ctx.n, dtype=np.int64)
    labels: list[list[str]] = [[]]
    for d in by:
        if d not in ctx._dims:
            ctx._dims[d] = np.unique(ctx.frame[d].astype(str), return_inverse=True)
        values, inverse = ctx._dims[d]
        index = index * len(values) + inverse
        labels = [[*lab, v] for lab in labels for v in values]
    out = []
    for i, lab in enumerate(labels):
        rows = np.flatnonzero(asked & (index == i))
        if rows.size:
            out.append((".".join(lab), rows))
    return sorted(out, key=lambda item: item[0])


def _lookup(cells: dict[str, Any], key: str) -> tuple[str, dict[str, Any]] | None:
    """The cell spec for ``key``: exact, then with trailing parts wildcarded, then ``"*"``."""
    parts = key.split(".")
    for i in range(len(parts), -1, -1):
        candidate = ".".join(parts[:i] + ["*"] * (len(parts) - i)) if i < len(parts) else key
        if candidate in cells:
            return candidate, cells[candidate]
    if "*" in cells:
        return "*", cells["*"]
    return None


def _asked(ctx: _Context, q: Question) -> np.ndarray:
    mask = np.ones(ctx.n, dtype=bool)
    for cond in q.asked:
        src = ctx.codebook.by_id[cond.var]
        values = cond.value if isinstance(cond.value, list | tuple) else [cond.value]
        if src.type == "multi":
            hit = np.zeros(ctx.n, dtype=bool)
            for v in values:
                hit |= ctx.tick(cond.var, src.choice(v).key)
            mask &= hit if cond.op in ("includes", "==", "in") else ~hit
        else:
            codes = [src.choice(v).code for v in values]
            hit = np.isin(ctx.codes[cond.var], codes)
            if cond.op in ("==", "in"):
                mask &= hit
            elif cond.op in ("!=", "not in"):
                mask &= ~hit & (ctx.codes[cond.var] != _BLANK)
            else:
                raise CodebookError(f"routing of {q.id}: the generator does not handle '{cond.op}'")
    return mask


# ---------------------------------------------------------------- assigning answers in a cell
def _cell_counts(q: Question, spec: dict[str, Any], n: int, scale: int, where: str,
                 eligible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Counts per choice for ``n`` respondents and which of them are exact.

    Shares of a multiple-answer choice are of the respondents who can give it (``eligible``
    per choice; everyone unless an earlier answer limits it).
    """
    keys = q.choice_keys
    counts = np.zeros(len(keys), dtype=np.int64)
    exact = np.zeros(len(keys), dtype=bool)
    for part in ("counts", "shares"):
        for key in (spec.get(part) or {}):
            if key not in keys:
                raise CodebookError(f"{where}: {q.id} has no choice '{key}'",
                                    [Problem("unknown choice", column=q.id, value=key, expected=", ".join(keys))])
    given = {k: v for k, v in (spec.get("counts") or {}).items()}
    shares = {k: float(v) for k, v in (spec.get("shares") or {}).items()}
    for i, k in enumerate(keys):
        if k in given:
            counts[i] = int(given[k]) * scale
            exact[i] = True
    if q.type == "multi":
        bases = eligible if eligible is not None else np.full(len(keys), n)
        for i, k in enumerate(keys):
            if not exact[i] and k in shares:
                counts[i] = _round_half_up(int(bases[i]) * shares[k] / 100)
        return counts, exact
    if given and shares:
        raise CodebookError(f"{where}: {q.id} is single-answer; give counts or shares, not both")
    if given:
        if int(counts.sum()) != n:
            raise CodebookError(f"{where}: counts of {q.id} add up to {int(counts.sum()) // scale}, "
                                f"but the cell has {n // scale} respondents")
        return counts, exact
    weights = np.array([shares.get(k, 0.0) for k in keys])
    if n and weights.sum() <= 0:
        raise CodebookError(f"{where}: {q.id} needs counts or shares for {n // scale} respondents")
    return _largest_remainder(n, weights), exact


def _assign_choice(q: Question, counts: np.ndarray, score: np.ndarray | None,
                   rng: np.random.Generator) -> np.ndarray:
    """Codes for one cell: "don't know" answers at random, the rest in order of ``score``."""
    m = int(counts.sum())
    out = np.empty(m, dtype=np.int64)
    perm = rng.permutation(m)
    outside = [i for i, c in enumerate(q.choices) if not c.in_base]
    inside = [i for i, c in enumerate(q.choices) if c.in_base]
    n_out = int(counts[outside].sum()) if outside else 0
    out[perm[:n_out]] = np.repeat([q.choices[i].code for i in outside], counts[outside]) if outside else []
    rest = perm[n_out:]
    codes = np.repeat([q.choices[i].code for i in inside], counts[inside])
    if q.type == "ordinal" and score is not None:
        rest = rest[np.argsort(score[rest], kind="stable")]
    out[rest] = codes
    return out


def _top_k(keys: np.ndarray, k: int) -> np.ndarray:
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.argpartition(-keys, k - 1)[:k]


def _repair(ticks: np.ndarray, need: np.ndarray, cols: list[int], rng: np.random.Generator,
            eligible: np.ndarray | None = None) -> int:
    """Give every ``need`` row a tick among ``cols`` by moving ticks from rows holding several.

    A row only receives a choice it is ``eligible`` for. Column totals stay as they were.
    Returns how many rows could not be served.
    """
    if not cols:
        return int(need.sum())
    cols_arr = np.array(cols)
    held = ticks[:, cols_arr].sum(axis=1)
    totals = ticks[:, cols_arr].sum(axis=0)
    for _ in range(100):
        moved = False
        for j in rng.permutation(len(cols)):
            lacking = need & (held == 0)
            if not lacking.any():
                return 0
            zero = np.flatnonzero(lacking & eligible[:, cols_arr[j]]) if eligible is not None else \
                np.flatnonzero(lacking)
            donors = np.flatnonzero(ticks[:, cols_arr[j]] & (held >= 2))
            quota = max(1, int(np.ceil(zero.size * totals[j] / max(int(totals.sum()), 1))))
            m = min(zero.size, donors.size, quota)
            if m == 0:
                continue
            take = rng.choice(donors, m, replace=False)
            give = rng.choice(zero, m, replace=False)
            ticks[take, cols_arr[j]] = False
            ticks[give, cols_arr[j]] = True
            held[take] -= 1
            held[give] += 1
            moved = True
        if not moved:
            break
    held = ticks[:, cols_arr].sum(axis=1)
    return int((need & (held == 0)).sum())


def _assign_multi(q: Question, counts: np.ndarray, exact: np.ndarray, logits: np.ndarray,
                  eligible: np.ndarray, require: list[int] | None, require_rows: np.ndarray,
                  rng: np.random.Generator, where: str) -> np.ndarray:
    """Ticks for one cell: exactly ``counts[j]`` per choice, everyone with at least one."""
    m, k = logits.shape
    keys = q.choice_keys
    none = keys.index("none") if "none" in keys else None
    ticks = np.zeros((m, k), dtype=bool)
    none_given = none is not None and (exact[none] or counts[none] > 0)
    is_none = np.zeros(m, dtype=bool)
    if none_given:
        gumbel = logits[:, none] + rng.gumbel(size=m)
        is_none[_top_k(gumbel, int(counts[none]))] = True
        ticks[:, none] = is_none
    for j in range(k):
        if j == none:
            continue
        candidates = eligible[:, j] & ~is_none
        want = int(counts[j])
        if want > candidates.sum():
            if exact[j]:
                raise CodebookError(f"{where}: {q.id}={keys[j]} wants {want} respondents, only "
                                    f"{int(candidates.sum())} can give it")
            want = int(candidates.sum())
        gumbel = np.where(candidates, logits[:, j] + rng.gumbel(size=m), -np.inf)
        ticks[_top_k(gumbel, want), j] = True
    others = [j for j in range(k) if j != none]
    if none is not None and not none_given:
        # "None" is what is left for a respondent who ticked nothing else.
        ticks[:, none] = ~ticks[:, others].any(axis=1)
    elif _repair(ticks, ~is_none, others, rng, eligible):
        zero = np.flatnonzero(~is_none & ~ticks[:, others].any(axis=1))
        if none is not None and not exact[none]:
            ticks[zero, none] = True  # nothing they could name is left for them
        else:
            free = np.array([j for j in others if not exact[j]], dtype=np.int64)
            weights = np.maximum(counts[free], 1).astype(float) if free.size else np.zeros(0)
            for row in zero:
                ok = eligible[row, free] if free.size else np.zeros(0, dtype=bool)
                if not ok.any():
                    raise CodebookError(f"{where}: {q.id} leaves respondents without an answer; raise the counts")
                w = weights * ok
                ticks[row, free[rng.choice(free.size, p=w / w.sum())]] = True
    if require:
        left = _repair(ticks, require_rows, require, rng)
        if left:
            raise CodebookError(f"{where}: {left} respondents cannot meet the require_any rule of {q.id}")
    return ticks


# ---------------------------------------------------------------- one question
def _qrng(seed: int, wave: str, qid: str) -> np.random.Generator:
    return np.random.default_rng([seed, int(wave), zlib.crc32(qid.encode("utf-8"))])


def _generate_question(ctx: _Context, q: Question, spec: dict[str, Any] | None, *, seed: int,
                       wave: str, scale: int, src: str) -> None:
    rng = _qrng(seed, wave, q.id)
    asked = _asked(ctx, q)
    ctx.asked[q.id] = asked
    where = f"{src}: questions.{q.id}"
    if q.type in ("numeric", "text"):
        raise CodebookError(f"{where}: the generator does not produce {q.type} answers")
    if spec is None:
        if asked.any():
            raise CodebookError(f"{where}: no targets for a question asked of {int(asked.sum())} respondents")
        spec = {}
    cells = spec.get("cells") or {}
    by = list(spec.get("by", ["segment", "cs_status"]))
    groups = _cells(ctx, by, asked)
    if q.type == "multi":
        _generate_multi(ctx, q, spec, cells, groups, rng, scale, where)
    else:
        score = ORDINAL_DRIVERS[q.id](ctx, rng) if q.id in ORDINAL_DRIVERS else rng.random(ctx.n)
        codes = np.full(ctx.n, _BLANK, dtype=np.int64)
        for key, rows in groups:
            found = _lookup(cells, key)
            if found is None:
                raise CodebookError(f"{where}: no cell for '{key}' ({len(rows) // scale} respondents)")
            counts, _ = _cell_counts(q, found[1], len(rows), scale, f"{where}.cells.{found[0]}")
            codes[rows] = _assign_choice(q, counts, score[rows], rng)
        ctx.codes[q.id] = codes
    _other_text(ctx, q, spec.get("other_text") or [], rng)


def _generate_multi(ctx: _Context, q: Question, spec: dict[str, Any], cells: dict[str, Any],
                    groups: list[tuple[str, np.ndarray]], rng: np.random.Generator, scale: int, where: str) -> None:
    choice_keys = q.choice_keys
    drive = MULTI_DRIVERS[q.id](ctx, rng) if q.id in MULTI_DRIVERS else {}
    logits = np.zeros((ctx.n, len(choice_keys)))
    for key, values in drive.items():
        if key in choice_keys:  # drivers name choices of either wave
            logits[:, choice_keys.index(key)] = values
    eligible = np.ones((ctx.n, len(choice_keys)), dtype=bool)
    if q.id in ELIGIBLE_FROM:
        for key, mask in ELIGIBLE_FROM[q.id](ctx).items():
            if key in choice_keys:
                eligible[:, choice_keys.index(key)] = mask
    rule = spec.get("require_any")
    require = [choice_keys.index(k) for k in rule["keys"]] if rule else None
    rule_rows = np.ones(ctx.n, dtype=bool)
    if rule:
        for dim, value in rule.items():
            if dim != "keys":
                rule_rows &= ctx.frame[dim] == value
    ticks = np.zeros((ctx.n, len(choice_keys)), dtype=bool)
    for key, rows in groups:
        found = _lookup(cells, key)
        if found is None:
            raise CodebookError(f"{where}: no cell for '{key}' ({len(rows) // scale} respondents)")
        counts, exact = _cell_counts(q, found[1], len(rows), scale, f"{where}.cells.{found[0]}",
                                     eligible[rows].sum(axis=0))
        ticks[rows] = _assign_multi(q, counts, exact, logits[rows], eligible[rows], require,
                                    rule_rows[rows], rng, f"{where}.cells.{found[0]}")
    ctx.ticks[q.id] = ticks


def _other_text(ctx: _Context, q: Question, texts: list[str], rng: np.random.Generator) -> None:
    if not q.other_column:
        return
    out = np.full(ctx.n, "", dtype=object)
    other = next((c for c in q.choices if c.other_text), None)
    if other is not None and texts:
        chose = ctx.tick(q.id, other.key) if q.type == "multi" else ctx.codes[q.id] == other.code
        rows = np.flatnonzero(chose)
        filled = rows[rng.random(rows.size) < OTHER_TEXT_SHARE]
        out[filled] = np.array(texts, dtype=object)[rng.integers(0, len(texts), filled.size)]
    ctx.texts[q.id] = out


# ---------------------------------------------------------------- the whole wave
def _set_frame_answers(ctx: _Context) -> None:
    """Route and CS status come straight from the frame; the SaaS segment is checked later."""
    for qid in ("route", "cs_status"):
        if qid in ctx.frame and qid in ctx.codebook.by_id:
            q = ctx.codebook.by_id[qid]
            code = {c.key: c.code for c in q.choices}
            unknown = sorted(set(ctx.frame[qid]) - set(code))
            if unknown:
                raise CodebookError(f"the frame names {qid} '{unknown[0]}', which the codebook lacks")
            ctx.codes[qid] = pd.Series(ctx.frame[qid]).map(code).to_numpy(dtype=np.int64)
            ctx.asked[qid] = np.ones(ctx.n, dtype=bool)
            ctx.texts[qid] = np.full(ctx.n, "", dtype=object)


def generate(wave: str, *, seed: int = DEFAULT_SEED, scale: int = 1,
             codebook: Codebook | None = None, targets: dict[str, Any] | None = None) -> pd.DataFrame:
    """One wave's synthetic raw export: text cells, columns as the codebook names them.

    ``scale`` multiplies every cell (``scale=100`` gives 78,100 rows for 2025) while keeping
    every calibrated percentage exactly as at scale 1.
    """
    if scale < 1:
        raise HakushoError(Msg("synthetic.bad_scale", scale=scale))
    wave = str(wave)
    codebook = codebook or load_codebook(wave)
    targets = targets or load_targets(wave)
    src = targets["_source"]
    specs: dict[str, Any] = targets["questions"] or {}
    unknown = sorted(set(specs) - set(codebook.by_id))
    if unknown:
        raise CodebookError(Msg("synthetic.unknown_questions", path=src, wave=wave),
                            [Problem(Msg("synthetic.problem.unknown_question"), file=src, value=u,
                                     expected=Msg("synthetic.expected.variable")) for u in unknown])
    frame = _frame(targets, scale, _qrng(seed, wave, "__frame__"))
    ctx = _Context(codebook=codebook, n=len(next(iter(frame.values()))), frame=frame)
    _set_frame_answers(ctx)

    done = set(ctx.codes)

    def make(qid: str) -> None:
        if qid in done or qid not in codebook.by_id:
            return
        done.add(qid)
        for dep in DEPENDS.get(qid, ()):
            make(dep)
        _generate_question(ctx, codebook.by_id[qid], specs.get(qid), seed=seed, wave=wave, scale=scale, src=src)

    for q in codebook.questions:
        make(q.id)
    if "segment" in frame and "industry" in ctx.ticks:
        saas = ctx.tick("industry", "saas")
        if not np.array_equal(saas, frame["segment"] == "saas"):
            raise CodebookError(f"{src}: industry=saas must be ticked by exactly the frame's SaaS cells")
    return _to_table(ctx)


def _to_table(ctx: _Context) -> pd.DataFrame:
    """The export layout: id, then each question's columns in questionnaire order, as text."""
    book = ctx.codebook
    width = max(4, len(str(ctx.n)))
    columns: dict[str, np.ndarray] = {book.id_column: np.array([f"R{i:0{width}d}" for i in range(1, ctx.n + 1)],
                                                                dtype=object)}
    flags = np.array(["", "0", "1"], dtype=object)
    for q in book.questions:
        asked = ctx.asked[q.id]
        if q.type == "multi":
            ticks = ctx.ticks[q.id]
            for j, choice in enumerate(q.choices):
                columns[q.multi_column(choice)] = flags[asked * (1 + ticks[:, j])]
        else:
            codes = ctx.codes[q.id]
            text = np.array([""] + [str(c) for c in range(int(codes.max(initial=0)) + 1)], dtype=object)
            columns[q.column] = text[codes + 1]
        if q.other_column:
            columns[q.other_column] = ctx.texts[q.id]
    return pd.DataFrame(columns, columns=book.expected_columns())


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def to_csv_text(table: pd.DataFrame) -> str:
    """The exact text written to disk: a header, one line per respondent, LF line endings,
    cells quoted only where they hold a comma, quote or line break (RFC 4180)."""
    columns = []
    for name in table.columns:
        values = table[name].astype(object).to_numpy()
        if any(any(ch in str(v) for ch in ',"\r\n') for v in set(values)):
            values = np.array([_csv_cell(str(v)) for v in values], dtype=object)
        columns.append(values)
    header = ",".join(_csv_cell(str(c)) for c in table.columns)
    lines = [",".join(row) for row in zip(*columns, strict=True)]
    return "\n".join([header, *lines]) + "\n"


def write(wave: str, out_dir: Path | None = None, *, seed: int = DEFAULT_SEED, scale: int = 1,
          force: bool = False) -> Path:
    """Generate a wave and write ``<out_dir>/responses.csv`` (default: the wave's raw folder).

    A real export must never be replaced by accident, so where the file goes is checked before
    anything is generated:

    * into the project's raw folder of the wave (the default): never next to another export; a
      ``responses.csv`` that differs from the result is replaced only with ``force`` and only
      while the wave's codebook says its data is synthetic (``survey.synthetic``);
    * anywhere else (``--out``): a folder that is new, empty or an earlier output of this
      command, as for every command that writes (:mod:`hakusho.pipeline.outputs`); it gets a
      ``manifest.json`` saying so.
    """
    from hakusho.pipeline import outputs

    wave = str(wave)
    default = config.raw_wave_dir(wave)
    into_project = out_dir is None or outputs.resolve(out_dir) == outputs.resolve(default)
    if into_project:
        out_dir = default
        _check_raw_folder(wave, default, force=force)
    else:
        outputs.claim_folder(out_dir, command="synthesize")
    assert out_dir is not None
    path = Path(out_dir) / RESPONSES_FILE
    data = to_csv_text(generate(wave, seed=seed, scale=scale)).encode("utf-8")
    if not into_project:
        outputs.write_files(out_dir, {RESPONSES_FILE: data}, command="synthesize")
        return path
    if path.is_file() and path.read_bytes() == data:
        return path
    if path.exists() and not force:
        raise HakushoError(Msg("synthetic.differs", path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs.write_file(path, data)
    return path


def _check_raw_folder(wave: str, folder: Path, *, force: bool) -> None:
    """The project's raw folder of ``wave`` may receive the synthetic sample only while it holds
    nothing but an earlier one (see :func:`write`)."""
    if not folder.exists():
        return
    others = sorted(p.name for p in folder.iterdir()
                    if p.suffix.lower() in (".csv", ".xlsx", ".sav") and p.name != RESPONSES_FILE)
    if others:
        raise HakushoError(Msg("synthetic.other_export", path=display_path(folder), names=", ".join(others)))
    if force and (folder / RESPONSES_FILE).exists():
        survey = (read_yaml(config.codebook_path(wave)) or {}).get("survey") or {}
        if not survey.get("synthetic"):
            raise HakushoError(Msg("synthetic.real_data", path=display_path(folder / RESPONSES_FILE),
                                   codebook=config.codebook_path(wave).name, wave=wave))
