"""How many tests a report runs, and what that does to "significant".

A report runs many tests at once: one per choice of every compared chart, one per ordinal
distribution. At the 5 % level some of them come out "significant" by chance alone, so no test
decides a mark or a sentence on its own p-value. Two adjustments:

* **Holm within a chart** (the steps of ``statsmodels``' ``multipletests(method="holm")``, against
  which it is tested; see :func:`holm`): the per-choice tests
  of one chart are one family. Holm controls the chance of calling *any* of its choices
  different by chance (the family-wise error rate) at 5 %, without Bonferroni's cost.
* **Benjamini–Hochberg across the report** (``scipy.stats.false_discovery_control``): every test
  of the report (each chart's choices, each ordinal distribution) together. BH keeps the expected
  share of false findings among all the report calls significant at 5 %.

A test's **adjusted p-value** is the larger of the two, so a result is significant only when it
survives both: no chart shows a chance difference among its choices, and the report as a whole
does not fill up with chance findings. The adjusted p decides every mark, flag and sentence.

p-values are stored with twelve significant digits (:func:`stored_p`) — far below anything the
report prints, and free of the last float bits of one machine — and every flag is decided on the
stored value, so a flag and the number printed beside it always agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ALPHA = 0.05
HOLM = "Holm"
BENJAMINI_HOCHBERG = "Benjamini-Hochberg"
P_SIGNIFICANT_DIGITS = 12


def stored_p(p_value: float) -> float:
    """A p-value as the outputs store it (twelve significant digits; see the module notes)."""
    return float(f"{float(p_value):.{P_SIGNIFICANT_DIGITS}g}")


def is_significant(p_value: float | None) -> bool | None:
    """The 5 % decision on a stored p-value (None where nothing was tested)."""
    return None if p_value is None else bool(p_value < ALPHA)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given: statsmodels' ``multipletests(method="holm")``
    step for step (the tests check every result against it). Computed here because that function
    runs a full garbage collection on every call (about 25 ms), which thousands of families — the
    explorer's tables — cannot afford."""
    if len(p_values) == 0:
        return []
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="mergesort")
    stepped = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [stored_p(float(v)) for v in adjusted]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values, in the order given (``scipy.stats.false_discovery_control``)."""
    if len(p_values) == 0:
        return []
    from scipy.stats import false_discovery_control

    adjusted = false_discovery_control(np.asarray(p_values, dtype=float), method="bh")
    return [stored_p(min(1.0, float(p))) for p in np.atleast_1d(adjusted)]


def adjust_arrays(families: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:func:`adjust` for many families held as arrays (NaN: not tested), such as the explorer's
    thousands of tables: Holm within each array, Benjamini–Hochberg across every tested value of
    all of them, and the larger of both, in the same shapes (NaN stays NaN)."""
    arrays = [np.asarray(f, dtype=float) for f in families]
    tested = [~np.isnan(a) for a in arrays]
    report = np.asarray(benjamini_hochberg(np.concatenate([a[t] for a, t in zip(arrays, tested, strict=True)]
                                                          + [np.empty(0)])), dtype=float)
    out, at = [], 0
    for a, t in zip(arrays, tested, strict=True):
        n = int(t.sum())
        final = np.full(a.shape, np.nan)
        if n:
            final[t] = np.maximum(np.asarray(holm(a[t]), dtype=float), report[at:at + n])
        out.append(final)
        at += n
    return out


def adjust(families: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, dict[str, float]]]:
    """Holm within each family and BH across all of them, for a report's raw p-values.

    ``families`` maps a family (a chart) to its tests (a choice, or the distribution) and their
    raw p-values. Returns, for every family and test, ``p_family`` (Holm), ``p_report`` (BH over
    every test of every family) and ``p_adjusted`` (the larger). Families and tests are processed
    in sorted order, so the result does not depend on the order they were found in.
    """
    order = [(fam, key) for fam in sorted(families) for key in sorted(families[fam])]
    raw = [float(families[fam][key]) for fam, key in order]
    report = dict(zip(order, benjamini_hochberg(raw), strict=True))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for fam in sorted(families):
        keys = sorted(families[fam])
        within = dict(zip(keys, holm([families[fam][k] for k in keys]), strict=True))
        out[fam] = {}
        for key in keys:
            p_family, p_report = within[key], report[(fam, key)]
            out[fam][key] = {"p_family": p_family, "p_report": p_report, "p_adjusted": max(p_family, p_report)}
    return out
