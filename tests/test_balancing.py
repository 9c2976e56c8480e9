"""Rescaling between factors (construct/balancing.py): the same product exactly, never a worse largest condition number."""

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.balancing import balance
from construct.conditioning import coupling_condition


@st.composite
def words(draw):
    """Alternating words of couplings on ``2d`` coordinates; shears of norms 1e-3 .. 1e3, some scales not uniform."""
    d = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kinds = ["lower", "upper"] * 6
    start = draw(st.integers(0, 1))
    factors = []
    for kind in kinds[start:start + draw(st.integers(1, 10))]:
        shear = rng.standard_normal((d, d)) * 10.0 ** draw(st.integers(-3, 3))
        scale = None if draw(st.booleans()) else list(rng.uniform(0.1, 10, d) if draw(st.booleans()) else [2.0] * d)
        factors.append((kind, shear, scale))
    return d, factors


def matrix(kind, shear, scale, d):
    M = [[Fraction(int(i == j)) for j in range(2 * d)] for i in range(2 * d)]
    c = [Fraction(1)] * d if scale is None else [Fraction(x) for x in scale]
    for i in range(d):
        for j in range(d):
            if kind == "lower":
                M[d + i][j] = Fraction(shear[i, j])
            else:
                M[i][d + j] = Fraction(shear[i, j])
        M[d + i if kind == "lower" else i][d + i if kind == "lower" else i] = c[i]
    return M


def product(factors, d):
    P = [[Fraction(int(i == j)) for j in range(2 * d)] for i in range(2 * d)]
    for f in factors:
        M = matrix(*f, d)
        P = [[sum(P[i][k] * M[k][j] for k in range(2 * d)) for j in range(2 * d)] for i in range(2 * d)]
    return P


def largest_condition(factors, d):
    return max(coupling_condition(kind, S, np.ones(d) if c is None else np.array(c, dtype=float), d)
               for kind, S, c in factors)


@settings(max_examples=80, deadline=None)
@given(words())
def test_balance_keeps_the_product_exactly_and_never_worsens_the_largest_condition_number(word):
    d, factors = word
    balanced = balance(factors)
    assert [k for k, _, _ in balanced] == [k for k, _, _ in factors]
    assert product(balanced, d) == product(factors, d)  # powers of two: exact in float64
    assert largest_condition(balanced, d) <= largest_condition(factors, d) * (1 + 1e-9)
    for (_, S, c), (_, S2, c2) in zip(factors, balanced):
        if c is not None and len(set(c)) > 1:  # scales that are not uniform (the pivots) stay as they are
            assert c2 is c and S2 is S
