"""The statistics of a cross: counts (perturbed in a researcher's run), row percentages, the test
of independence (chi-square, or exact / Monte Carlo on a sparse table) with Cramér's V, the
Cochran–Armitage trend test, and the disclosure rules on both margins.

See :mod:`hakusho.analysis.cross` for what each number means in the report and why these tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hakusho.analysis import contingency
from hakusho.analysis.contingency import SMALL_EXPECTED_SHARE
from hakusho.analysis.cross_spec import ResolvedAxis
from hakusho.analysis.disclosure import SUPPRESS_BELOW, disclosure_level
from hakusho.analysis.multiplicity import ALPHA, is_significant, stored_p
from hakusho.analysis.perturbation import Protection
from hakusho.analysis.tabulate import percent
from hakusho.survey.wave import Survey

INDEPENDENCE_TEST = "chi-square test of independence"
TREND_TEST = "Cochran-Armitage trend test"
# Cramér's V bands: upper bounds (exclusive) of each reading; anything above the last is strong.
STRENGTH_BANDS: tuple[tuple[float, str], ...] = ((0.1, "negligible"), (0.3, "weak"), (0.5, "moderate"))
STRONG = "strong"


def cross_counts(survey: Survey, rows: ResolvedAxis, cols: ResolvedAxis, population: pd.Series, *,
                 protection: Protection | None = None) -> pd.DataFrame:
    """Counts of respondents per row band (index) and column band (columns), in band order.

    With ``protection`` each cell is perturbed (:mod:`hakusho.analysis.perturbation`); the margins
    are then the sums of the perturbed cells, so rows still add up to 100 %.
    """
    row_band = rows.assign(survey)
    col_band = cols.assign(survey)
    inside = population.reindex(survey.responses.index, fill_value=False).astype(bool)
    inside &= row_band.notna() & col_band.notna()
    table = pd.DataFrame(0, index=pd.Index(rows.keys), columns=pd.Index(cols.keys))
    pairs = pd.DataFrame({"row": row_band[inside], "col": col_band[inside]})
    if protection is None:
        for (r, c), n in pairs.groupby(["row", "col"]).size().items():
            table.loc[r, c] = int(n)
    else:
        cells = {(r, c): [str(i) for i in group.index] for (r, c), group in pairs.groupby(["row", "col"])}
        for (r, c), n in protection.counts(survey.wave, cells, [str(i) for i in pairs.index]).items():
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
    return pd.DataFrame(contingency.expected_counts(counts.to_numpy()), index=counts.index, columns=counts.columns)


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
    """The test of one table's association (cross.json stores it with its adjusted p-value).

    ``test`` is the chi-square test of independence, or — on a sparse table (Cochran's rule,
    :mod:`hakusho.analysis.contingency`) — Fisher's exact test (2×2) or the Monte Carlo
    chi-square test. ``chi2`` is always the table's chi-square statistic (Cramér's V rests on
    it). ``p_adjusted`` is the p-value after Benjamini–Hochberg across the part's crosses, and
    decides ``significant``.
    """

    chi2: float
    dof: int
    p_value: float
    n: int
    shape: tuple[int, int]  # rows × columns actually tested
    cramers_v: float
    expected_min: float
    expected_small_share: float
    test: str = INDEPENDENCE_TEST
    p_adjusted: float | None = None

    @property
    def p_final(self) -> float:
        return self.p_value if self.p_adjusted is None else self.p_adjusted

    @property
    def significant(self) -> bool:
        return bool(is_significant(self.p_final))

    @property
    def cramers_v_shown(self) -> float:
        """V as the outputs store and print it (three decimals); its reading is of this value,
        so that a printed 0.100 is never called negligible."""
        return round(self.cramers_v, 3)

    @property
    def p_shown(self) -> float:
        """The p-value printed beside the verdict: the adjusted one that decides it."""
        return self.p_final

    @property
    def strength(self) -> str:
        return strength(self.cramers_v_shown)

    @property
    def expected_warning(self) -> bool:
        """Cochran's rule: too few expected answers for the chi-square approximation."""
        return self.expected_small_share > SMALL_EXPECTED_SHARE


def independence_test(counts: pd.DataFrame) -> IndependenceTest | None:
    """The test of independence (see :class:`IndependenceTest`) and Cramér's V of a table of counts.

    Empty rows and columns are dropped first. None when fewer than two rows or columns remain or
    the table holds fewer respondents than the suppression line: there is nothing to test.
    """
    table = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    n = int(table.to_numpy().sum())
    if table.shape[0] < 2 or table.shape[1] < 2 or n < SUPPRESS_BELOW:
        return None
    from scipy import stats  # where used: the renderers import this module for its names

    result = stats.chi2_contingency(table.to_numpy(), correction=False)
    chosen = contingency.table_test(table.to_numpy(), two_by_two=INDEPENDENCE_TEST)
    assert chosen is not None  # two rows and two columns with answers are testable
    name = INDEPENDENCE_TEST if chosen.test == contingency.CHI2_TEST else chosen.test
    return IndependenceTest(
        chi2=float(result.statistic), dof=int(result.dof), p_value=stored_p(chosen.p_value), n=n,
        shape=(int(table.shape[0]), int(table.shape[1])),
        cramers_v=cramers_v(float(result.statistic), n, table.shape),
        expected_min=chosen.expected_min, expected_small_share=chosen.expected_small_share, test=name,
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
    from scipy import stats

    return TrendTest(focus=focus, z=z, p_value=float(2 * stats.norm.sf(abs(z))))


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
