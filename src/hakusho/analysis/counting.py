"""Counting by matrix product, exactly and fast.

Tables are counted as products of 0/1 matrices (respondents × groups against respondents ×
choices), and perturbation keys are summed the same way. numpy multiplies integer matrices with a
plain loop of its own, while floating-point products go to BLAS, which is orders of magnitude
faster: on 78,100 respondents the explorer spent most of its time in integer products. A product
of integer matrices is computed in float64 whenever no sum it forms can pass 2⁵³, so every
partial sum is an integer that float64 holds exactly and the result is the integer product, bit
for bit; beyond that bound the integer product is used.
"""

from __future__ import annotations

import numpy as np

EXACT_BELOW = 2**53  # float64 holds every integer up to here


def count_product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` for integer or boolean matrices, as int64 (see the module notes)."""
    a, b = np.asarray(left), np.asarray(right)
    if a.dtype.kind not in "biu" or b.dtype.kind not in "biu":
        raise TypeError("count_product multiplies integer or boolean matrices")
    inner = a.shape[-1]
    largest = _largest(a) * _largest(b) * inner
    if largest < EXACT_BELOW:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return a.astype(np.int64) @ b.astype(np.int64)


def _largest(values: np.ndarray) -> int:
    """The largest magnitude in ``values`` (0 for an empty one), as a Python int."""
    if values.size == 0:
        return 0
    if values.dtype.kind == "b":
        return 1
    return max(abs(int(values.max())), abs(int(values.min())))
