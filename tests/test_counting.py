"""Counting by matrix product: the float64 route gives the integer product, bit for bit, and the
integer route takes over where float64 could no longer hold every sum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusho.analysis import counting
from hakusho.analysis.counting import EXACT_BELOW, count_product


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**31), st.integers(0, 2**32))
def test_a_product_of_counts_is_the_integer_product(rows, groups, choices, seed, top) -> None:
    rng = np.random.default_rng(seed)
    member = rng.random((groups, rows)) < 0.4
    answers = rng.random((rows, choices)) < 0.3
    keys = rng.integers(0, top + 1, rows, dtype=np.int64)
    assert np.array_equal(count_product(member, answers), member.astype(np.int64) @ answers.astype(np.int64))
    assert count_product(member, answers).dtype == np.int64
    assert np.array_equal(count_product(member, keys), member.astype(np.int64) @ keys)


def test_sums_near_the_float64_limit_stay_exact() -> None:
    # Two keys whose sum is odd and above 2⁵³ would lose their last bit in float64.
    big = np.array([2**52 + 1, 2**52], dtype=np.int64)
    ones = np.ones((1, 2), dtype=bool)
    summed = count_product(ones, big)
    assert summed.dtype == np.int64 and int(summed[0]) == 2**53 + 1
    # One key alone beyond the limit: float64 would round it.
    alone = count_product(np.ones((1, 1), dtype=bool), np.array([2**53 + 1], dtype=np.int64))
    assert alone.dtype == np.int64 and int(alone[0]) == 2**53 + 1
    # Under the bound, the float route is taken and is exact.
    keys = np.full(1000, 2**32 - 1, dtype=np.int64)
    assert count_product(np.ones((3, 1000), dtype=bool), keys).tolist() == [1000 * (2**32 - 1)] * 3


def test_the_float_route_is_taken_only_under_the_bound(monkeypatch) -> None:
    taken = []
    real = np.rint

    def spy(x, *args, **kwargs):
        taken.append(x.dtype)
        return real(x, *args, **kwargs)

    monkeypatch.setattr(counting.np, "rint", spy)
    count_product(np.ones((2, 3), dtype=bool), np.ones((3, 2), dtype=bool))
    assert taken == [np.float64]
    count_product(np.ones((1, 2), dtype=np.int64), np.array([EXACT_BELOW // 2, 1], dtype=np.int64))
    assert taken == [np.float64], "2 × 2⁵² × 1 reaches 2⁵³: the integer product"
    # A 0/1 matrix counts as at most 1 per cell: 1 × 2⁵¹ × 2 = 2⁵² stays under the bound.
    count_product(np.ones((1, 2), dtype=bool), np.array([EXACT_BELOW // 4, 1], dtype=np.int64))
    assert taken == [np.float64, np.float64]


def test_empty_and_negative_matrices() -> None:
    assert count_product(np.zeros((0, 4), dtype=bool), np.zeros((4, 3), dtype=bool)).shape == (0, 3)
    a = np.array([[-3, 2], [1, -7]], dtype=np.int64)
    assert np.array_equal(count_product(a, a), a @ a)


def test_floating_input_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^count_product multiplies integer or boolean matrices$"):
        count_product(np.ones((2, 2)), np.ones((2, 2), dtype=bool))
    with pytest.raises(TypeError, match=r"^count_product multiplies integer or boolean matrices$"):
        count_product(np.ones((2, 2), dtype=bool), np.ones((2, 2)))
