"""Tables counted straight from the raw export with pandas, to check the explorer against.

Nothing of hakusho's loading or tabulation is used here: the CSV is read as text, columns are the
vendor's (Q1, Q9, Q30 …), codes are compared as numbers. Only labels and the "in the base" mark
come from the codebook, which is what a reader checking the page would look up too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from hakusho import config
from hakusho.survey.codebook import load_codebook

RAW_2025 = config.RAW_DIR / "2025" / "responses.csv"


@dataclass(frozen=True)
class RawGroup:
    code: int
    n: int  # respondents in the group with a substantive answer (the base)
    counts: dict[int, int]  # answer code -> respondents
    shares: dict[int, float]  # answer code -> share of n, one decimal, half up


def _share(count: int, n: int) -> float:
    return float((Decimal(count) * 100 / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def raw_breakdown(question: str, breakdown: str, *, saas: bool = True, doing: bool = True) -> dict[int, RawGroup]:
    """A single or ordinal question by a single or ordinal breakdown, among SaaS respondents
    (Q3_3 ticked) practising CS (Q9 == 1), from the raw CSV."""
    book = load_codebook("2025")
    q, b = book.question(question), book.question(breakdown)
    raw = pd.read_csv(RAW_2025, dtype=str, keep_default_na=False)
    rows = raw
    if saas:
        rows = rows[rows["Q3_3"] == "1"]
    if doing:
        rows = rows[rows["Q9"] == "1"]
    answers = pd.to_numeric(rows[q.column], errors="coerce")
    groups = pd.to_numeric(rows[b.column], errors="coerce")
    substantive = {c.code for c in q.choices if c.in_base}
    out = {}
    for choice in b.choices:
        if not choice.in_base:
            continue
        mine = answers[groups == choice.code]
        n = int(mine.isin(substantive).sum())
        counts = {c.code: int((mine == c.code).sum()) for c in q.choices}
        shares = {code: _share(k, n) for code, k in counts.items() if code in substantive} if n else {}
        out[choice.code] = RawGroup(choice.code, n, counts, shares)
    return out
