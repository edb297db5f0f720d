"""Tables of shares: the arithmetic every chart and every quoted figure rests on.

Rounding rule (written down once, used everywhere): a percentage is shown with one decimal,
rounded half up (0.05 → 0.1), as the published report does. A combined share quoted in text
("78.2 % say … or more") is the sum of the *rounded* shares of its buckets, so that the headline
always equals what a reader adds up from the chart's labels.

Bases: a percentage is of the respondents in the base population who were asked the question
and gave a substantive answer (choices marked ``in_base: false`` — "don't know" — are counted and
shown but left out of the base). Multiple-answer shares are each of the same base and may sum
past 100 %.

Protected tables (a researcher's filtered run, see :mod:`hakusho.analysis.perturbation`): counts
are perturbed and shares are of the perturbed counts. The base of a single or ordinal question is
the sum of its perturbed substantive counts; that of a multiple-answer question is a perturbed
count of its own, and no choice's count exceeds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hakusho.analysis.counting import count_product
from hakusho.survey.wave import Survey

if TYPE_CHECKING:
    from hakusho.analysis.perturbation import Protection

TABLE_COLUMNS = ["choice_code", "choice_key", "label_ja", "label_en", "count", "base", "pct"]


def round_pct(value: float) -> float:
    """One decimal, half up — the report's only rounding rule for percentages."""
    if pd.isna(value):
        return float("nan")
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent(count: int, base: int) -> float:
    """``count`` as a rounded percentage of ``base`` (NaN for an empty base)."""
    if base <= 0:
        return float("nan")
    return round_pct(Decimal(int(count)) * 100 / Decimal(int(base)))  # type: ignore[arg-type]


def base_mask(survey: Survey, qid: str, population: pd.Series) -> pd.Series:
    """Respondents who count in the base: in the population, asked, and answered substantively."""
    q = survey.question(qid)
    mask = population.reindex(survey.responses.index, fill_value=False).astype(bool)
    mask &= survey.answered(qid)
    if q.type in ("single", "ordinal"):
        substantive = [c.code for c in q.choices if c.in_base]
        mask &= survey.codes(qid).isin(substantive).fillna(False).astype(bool)
    return mask


def _choice_counts(survey: Survey, qid: str, population: pd.Series,
                  member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per group and choice (groups × choices) and the base of each group, in one pass.

    ``member`` says who is in which group (respondents × groups, in the order of the survey's
    rows); a respondent outside ``population`` never counts. Single and
    ordinal answers count everyone in the group who answered, "don't know" included; the base
    holds only substantive answers (:func:`base_mask`). Multiple answers count among the base.
    """
    q = survey.question(qid)
    index = survey.responses.index
    in_pop = population.reindex(index, fill_value=False).astype(bool)
    in_base = base_mask(survey, qid, in_pop).to_numpy(dtype=bool)
    member = member & in_pop.to_numpy(dtype=bool)[:, None]
    if q.type == "multi":
        answers = survey.multi(qid).fillna(False).to_numpy(dtype=bool)
        counted = in_base
    else:
        codes = survey.codes(qid)
        answers = np.column_stack([(codes == c.code).fillna(False).to_numpy(dtype=bool) for c in q.choices])
        counted = (in_pop & survey.answered(qid)).to_numpy(dtype=bool)
    counts = count_product((member & counted[:, None]).T, answers)
    bases = (member & in_base[:, None]).sum(axis=0).astype(np.int64)
    return counts, bases


def _protected_choice_counts(survey: Survey, qid: str, population: pd.Series, member: np.ndarray,
                             protection: Protection) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_choice_counts` perturbed: each group is a table of its own, whose population is
    everyone of the group who answered (see :func:`share_table`)."""
    from hakusho.analysis.perturbation import protect_count_matrix

    q = survey.question(qid)
    index = survey.responses.index
    in_pop = population.reindex(index, fill_value=False).astype(bool)
    in_base = base_mask(survey, qid, in_pop).to_numpy(dtype=bool)
    member = member & in_pop.to_numpy(dtype=bool)[:, None]
    who = member & survey.answered(qid).to_numpy(dtype=bool)[:, None]  # respondents × groups
    based = member & in_base[:, None]
    if q.type == "multi":
        answers = survey.multi(qid).fillna(False).to_numpy(dtype=bool)
        counted = based
    else:
        codes = survey.codes(qid)
        answers = np.column_stack([(codes == c.code).fillna(False).to_numpy(dtype=bool) for c in q.choices])
        counted = who
    n_groups, k = member.shape[1], len(q.choices)
    cells = (counted[:, :, None] & answers[:, None, :]).reshape(len(index), n_groups * k).T
    populations = np.repeat(who.T, k, axis=0)
    record_ids = [str(i) for i in index]
    keys = protection.keys(survey.wave)
    counts = protect_count_matrix(cells, populations, record_ids, keys).reshape(n_groups, k)
    if q.type == "multi":
        bases = protect_count_matrix(based.T, who.T, record_ids, keys)
        counts = np.minimum(counts, bases[:, None])
    else:  # one answer each: the base is the answers inside it
        bases = counts[:, [c.in_base for c in q.choices]].sum(axis=1)
    return counts, bases.astype(np.int64)


def _share_table(survey: Survey, qid: str, counts: np.ndarray, base: int) -> pd.DataFrame:
    q = survey.question(qid)
    rows = []
    for choice, count in zip(q.choices, counts, strict=True):
        pct = percent(int(count), base) if choice.in_base else float("nan")
        rows.append((choice.code, choice.key, choice.ja, choice.en, int(count), base, pct))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def share_of_base(survey: Survey, qid: str, population: pd.Series, *,
                  protection: Protection | None = None) -> pd.DataFrame:
    """Count and rounded share of each choice among the base (single, ordinal or multi).

    Choices outside the base ("don't know") keep their count but get no percentage. With
    ``protection`` the counts are perturbed (see the module notes): the respondents behind each
    count are gathered first, since the noise of a cell depends on who is in it.
    """
    if protection is None:
        counts, bases = _choice_counts(survey, qid, population, np.ones((survey.n, 1), dtype=bool))
        return _share_table(survey, qid, counts[0], int(bases[0]))
    q = survey.question(qid)
    in_pop = population.reindex(survey.responses.index, fill_value=False).astype(bool)
    in_base = base_mask(survey, qid, in_pop)
    who = in_pop & survey.answered(qid)
    members: dict[str, pd.Series] = {}
    if q.type == "multi":
        ticked = survey.multi(qid).fillna(False).astype(bool)
        for choice in q.choices:
            members[choice.key] = in_base & ticked[choice.key]
    else:
        codes = survey.codes(qid)
        for choice in q.choices:
            members[choice.key] = who & (codes == choice.code).fillna(False).astype(bool)
    return share_table(q.choices, members, in_base, who, multi=q.type == "multi", wave=survey.wave,
                       protection=protection)


def share_table(choices: Sequence[Any], members: Mapping[str, pd.Series], in_base: pd.Series,
                tabulated: pd.Series, *, multi: bool, wave: str, protection: Protection | None = None) -> pd.DataFrame:
    """A share table (TABLE_COLUMNS) from who falls into each choice, exact or perturbed: for an
    earlier wave's answers read in a later wave's terms, and for any protected table.

    ``members`` maps each choice key to a mask of its respondents, ``in_base`` masks the base and
    ``tabulated`` everyone the table counts (the base and those outside it).
    """
    if protection is None:
        counts = {key: int(mask.sum()) for key, mask in members.items()}
        base = int(in_base.sum())
    else:
        from hakusho.analysis.perturbation import ids

        population = ids(tabulated)
        counts = protection.counts(wave, {key: ids(mask) for key, mask in members.items()}, population)
        if multi:
            base = protection.count(wave, ids(in_base), population)
            counts = {key: min(n, base) for key, n in counts.items()}
    if not multi:  # one answer each: the base is the answers inside it
        base = sum(counts[c.key] for c in choices if c.in_base)
    rows = []
    for choice in choices:
        count = counts[choice.key]
        pct = percent(count, base) if choice.in_base else float("nan")
        rows.append((choice.code, choice.key, choice.ja, choice.en, count, base, pct))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def shares_by_group(survey: Survey, qid: str, population: pd.Series,
                    groups: Mapping[str, pd.Series], *, protection: Protection | None = None) -> pd.DataFrame:
    """:func:`share_of_base` of each group of ``population``, stacked (series id = group key).

    The same counting as one population at a time, done for every group at once: a breakdown
    of one question by a profile variable (the explorer's tables) costs one pass, not one per
    group. Groups may overlap (a multiple-answer breakdown); each is cut to ``population``. With
    ``protection`` every group's counts are perturbed exactly as :func:`share_of_base` perturbs
    that group's table.
    """
    q = survey.question(qid)
    index = survey.responses.index
    # Filled a group per row (contiguous writes), used as respondents × groups.
    by_group = np.zeros((len(groups), len(index)), dtype=bool)
    for i, g in enumerate(groups.values()):
        aligned = g if g.index.equals(index) else g.reindex(index, fill_value=False)
        by_group[i] = aligned.fillna(False).to_numpy(dtype=bool)
    member = by_group.T
    if protection is None:
        counts, bases = _choice_counts(survey, qid, population, member)
    else:
        counts, bases = _protected_choice_counts(survey, qid, population, member, protection)
    k = len(q.choices)
    out = pd.DataFrame({
        "series": [key for key in groups for _ in range(k)],
        "choice_code": [c.code for c in q.choices] * len(groups),
        "choice_key": [c.key for c in q.choices] * len(groups),
        "label_ja": [c.ja for c in q.choices] * len(groups),
        "label_en": [c.en for c in q.choices] * len(groups),
        "count": pd.array(counts.reshape(-1), dtype="Int64"),
        "base": np.repeat(bases, k).astype(int),
        "pct": [percent(int(n), int(b)) if c.in_base else float("nan")
                for n, b, c in zip(counts.reshape(-1), np.repeat(bases, k), q.choices * len(groups), strict=True)],
    })
    return out[SERIES_COLUMNS]


def group_share(table: pd.DataFrame, keys: list[str]) -> float:
    """A combined share as the sum of the rounded shares of ``keys`` (see the module rule)."""
    missing = sorted(set(keys) - set(table["choice_key"]))
    if missing:
        raise KeyError(f"no such choices: {', '.join(missing)}")
    picked = table.set_index("choice_key").loc[keys, "pct"]
    return round_pct(float(sum(Decimal(repr(float(v))) for v in picked)))


def median_bucket(table: pd.DataFrame) -> str | None:
    """Key of the bucket holding the median respondent of an ordinal table (base choices only).

    The median respondent is the ceil(n/2)-th in bucket order; with an even base that is the
    lower of the two middle respondents' buckets, the usual convention for grouped data.
    """
    rows = table[table["pct"].notna()]
    base = int(rows["base"].iloc[0]) if len(rows) else 0
    if base == 0:
        return None
    target = (base + 1) // 2
    running = 0
    for key, count in zip(rows["choice_key"], rows["count"], strict=True):
        running += int(count)
        if running >= target:
            return str(key)
    return None


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Choices by share, largest first; ties keep questionnaire order (stable sort)."""
    rows = table[table["pct"].notna()].copy()
    rows["rank"] = rows["count"].rank(method="min", ascending=False).astype(int)
    return rows.sort_values("count", ascending=False, kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Several series in one table. A *series* is one bar group of a chart: a population of the
# report wave (SaaS vs non-SaaS, practising vs about to start) or a whole wave (2025 vs 2023).
# Series tables are long: one row per series and choice, series in drawing order, choices in
# questionnaire order, so that writing them out needs no sorting and is stable.

SERIES_COLUMNS = ["series", *TABLE_COLUMNS]


def stack_series(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One long table from per-series share tables, keeping the mapping's order of series."""
    if not tables:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    parts = [table.assign(series=series_id)[SERIES_COLUMNS] for series_id, table in tables.items()]
    out = pd.concat(parts, ignore_index=True)
    # Int64: a series may lack a count for a choice it never offered (see hakusho.analysis.chapter).
    out["count"] = out["count"].astype("Int64")
    out["base"] = out["base"].astype(int)
    out["pct"] = out["pct"].astype(float)
    return out


def shares_by_population(survey: Survey, qid: str, populations: Mapping[str, pd.Series]) -> pd.DataFrame:
    """``share_of_base`` for each population, stacked (series id = population id)."""
    return stack_series({pop_id: share_of_base(survey, qid, mask) for pop_id, mask in populations.items()})


def series_ids(table: pd.DataFrame) -> list[str]:
    """The series of a long table in drawing order."""
    return list(dict.fromkeys(table["series"]))


def one_series(table: pd.DataFrame, series_id: str) -> pd.DataFrame:
    """The rows of one series, as a plain share table (TABLE_COLUMNS)."""
    rows = table[table["series"] == series_id]
    return rows[TABLE_COLUMNS].reset_index(drop=True)


def series_bases(table: pd.DataFrame) -> dict[str, int]:
    """Base n of every series."""
    return {s: int(one_series(table, s)["base"].iloc[0]) if len(one_series(table, s)) else 0
            for s in series_ids(table)}


def median_by_series(table: pd.DataFrame) -> dict[str, str | None]:
    """Median bucket of every series (ordinal questions); None where no percentage is shown."""
    return {s: median_bucket(one_series(table, s)) for s in series_ids(table)}


def ranking(table: pd.DataFrame) -> list[str]:
    """Keys of the base choices by count, largest first (ties in questionnaire order)."""
    return [str(k) for k in ranked(table)["choice_key"]]


def group_shares(table: pd.DataFrame, groups: Mapping[str, list[str]]) -> dict[str, dict[str, float | None]]:
    """Combined share of each group in every series (None where the shares are not shown).

    The sum of rounded shares, as :func:`group_share` defines it; a group is only as shown as the
    shares it adds up, so a suppressed series has no combined share either.
    """
    out: dict[str, dict[str, float | None]] = {}
    for group_id, keys in groups.items():
        out[group_id] = {}
        for series_id in series_ids(table):
            rows = one_series(table, series_id)
            picked = rows.set_index("choice_key").reindex(keys)["pct"]
            if picked.isna().any():
                missing = sorted(set(keys) - set(rows["choice_key"]))
                if missing:
                    raise KeyError(f"group {group_id}: no such choices: {', '.join(missing)}")
                out[group_id][series_id] = None
            else:
                out[group_id][series_id] = group_share(rows, keys)
    return out
