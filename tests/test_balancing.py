"""Rescaling and halving (construct/methods/balancing.py): the same product exactly, within the spare count, and a
largest condition-number bound that is a bound and never worse."""

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.core.conditioning import coupling_condition, coupling_condition_bound
from construct.methods.balancing import balance
from construct.methods.balancing import _stats


@st.composite
def words(draw):
    """Alternating words of couplings on ``2d`` coordinates; shears of norms 1e-3 .. 1e3, scales of both signs, some
    not uniform."""
    d = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kinds = ["lower", "upper"] * 6
    start = draw(st.integers(0, 1))
    factors = []
    for kind in kinds[start:start + draw(st.integers(1, 10))]:
        shear = rng.standard_normal((d, d)) * 10.0 ** draw(st.integers(-3, 3))
        if draw(st.booleans()):
            scale = None
        elif draw(st.booleans()):
            scale = list(rng.uniform(0.1, 10, d) * rng.choice([-1, 1], d))
        else:
            scale = [draw(st.sampled_from([-2.0, 2.0]))] * d
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


def condition(kind, S, c, d):
    return coupling_condition(kind, S, np.ones(d) if c is None else np.array(c, dtype=float), d)


def largest_bound(factors):
    return max(coupling_condition_bound(*_stats(S, c)) for _, S, c in factors)


@settings(max_examples=80, deadline=None)
@given(words(), st.sampled_from([0, 2, 4]))
def test_balance_keeps_the_product_exactly_within_the_spare_count_and_never_worsens_the_largest_bound(word, spare):
    d, factors = word
    balanced, largest = balance(factors, spare=spare)
    kinds = [k for k, _, _ in balanced]
    assert len(factors) <= len(balanced) <= len(factors) + spare and (len(balanced) - len(factors)) % 2 == 0
    assert kinds[0] == factors[0][0] and all(k != k2 for k, k2 in zip(kinds, kinds[1:]))  # still alternating
    assert product(balanced, d) == product(factors, d)  # powers of two: exact in float64
    assert largest_bound(balanced) <= largest_bound(factors) * (1 + 1e-9)
    assert math.isclose(largest, largest_bound(balanced), rel_tol=1e-9)  # the bound it reports is the word's
    for kind, S, c in balanced:  # the bound the dynamic programming minimises is one
        assert condition(kind, S, c, d) <= coupling_condition_bound(*_stats(S, c)) * (1 + 1e-9)


@settings(max_examples=40, deadline=None)
@given(words())
def test_with_uniform_scales_the_bound_is_the_condition_number_and_balance_never_worsens_it(word):
    d, factors = word
    factors = [(kind, S, None if c is None else [c[0]] * d) for kind, S, c in factors]
    for kind, S, c in factors:
        assert abs(condition(kind, S, c, d) - coupling_condition_bound(*_stats(S, c))) <= 1e-9 * condition(kind, S, c, d)
    before = max(condition(*f, d) for f in factors)
    assert max(condition(*f, d) for f in balance(factors)[0]) <= before * (1 + 1e-9)


@settings(max_examples=40, deadline=None)
@given(words())
def test_halvings_beyond_the_target_each_cut_the_largest_bound_by_the_gain(word):
    """Above the target every halving that helps is kept; at or below it only those worth GAIN per two couplings."""
    from construct.methods.balancing import GAIN

    d, factors = word
    rescaled = largest_bound(balance(factors)[0])
    eager, sparing = balance(factors, spare=6, target=0.0)[0], balance(factors, spare=6, target=math.inf)[0]
    assert largest_bound(eager) <= largest_bound(sparing) * (1 + 1e-9)
    halvings = (len(sparing) - len(factors)) // 2
    assert largest_bound(sparing) <= rescaled * GAIN**halvings * (1 + 1e-9)
