"""Kamiran & Calders reweighing: the weights equal the closed form P(g) P(y) / P(g, y)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.exceptions import InvalidInputError
from equilens.mitigate import reweighing_weights


def _closed_form(y: list[int], g: list[str]) -> list[float]:
    """The textbook formula, row by row with plain counting (an independent implementation)."""
    n = len(y)
    out = []
    for yi, gi in zip(y, g, strict=True):
        p_g = sum(1 for x in g if x == gi) / n
        p_y = sum(1 for x in y if x == yi) / n
        p_gy = sum(1 for a, b in zip(y, g, strict=True) if a == yi and b == gi) / n
        out.append(p_g * p_y / p_gy)
    return out


def test_weights_of_a_small_table() -> None:
    y = [1, 1, 0, 0, 0, 1, 0, 0]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    # P(a) = 1/2, P(y=1) = 3/8, P(a, 1) = 2/8: weight (1/2)(3/8)/(2/8) = 0.75.
    w = reweighing_weights(y, g)
    assert w[0] == pytest.approx(0.75)
    np.testing.assert_allclose(w, _closed_form(y, g))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from("abc")), min_size=1, max_size=60))
def test_weights_equal_the_closed_form_and_balance_the_groups(rows: list[tuple[int, str]]) -> None:
    y = [r[0] for r in rows]
    g = [r[1] for r in rows]
    w = reweighing_weights(y, g)
    np.testing.assert_allclose(w, _closed_form(y, g), rtol=1e-12)
    ya, ga = np.array(y), np.array(g)
    for label in set(g):
        in_g = ga == label
        if len(set(ya[in_g])) < len(set(y)):
            continue  # a group without some label cannot take the overall base rate
        # Each group keeps its total weight, and its weighted base rate is the overall rate.
        assert w[in_g].sum() == pytest.approx(in_g.sum())
        assert (w[in_g] * ya[in_g]).sum() / w[in_g].sum() == pytest.approx(ya.mean())


def test_inconsistent_lengths_are_one_line() -> None:
    with pytest.raises(InvalidInputError, match="inconsistent numbers of rows"):
        reweighing_weights([0, 1], ["a"])
