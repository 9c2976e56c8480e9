"""Unequal splits in float64 and mp: levels of the split's sizes (issue 20).

Targets on well-conditioned inputs: the factors rounded to float64 multiply
back to ``T`` within a relative backward error of 1e-12, and no factor is
worse conditioned than ``100 cond T``; every certificate, built through
:func:`construct.front.factor.factor`, is accepted by the checker against ``T``.
"""

import random

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from construct.core.accuracy import AccuracyError
from construct.core.arith import arithmetic
from construct.core.conditioning import conditioning
from construct.core.matrices import from_rows
from construct.front.factor import factor
from construct.methods.frames import capacity_splits, frames
from construct.methods.levels import factor_split_levels, split_levels_bound
from proofs.checker import certificate_number, check_certificate
from tests.helpers import exact_rows

BACKWARD_ERROR = 1e-12
CONDITION = 100


@st.composite
def split_matrices(draw, largest):
    """``(T as floats, p)``: ``n`` in ``3..largest``, any split, Gaussian or random orthogonal, ``cond T <= 1e4``."""
    n = draw(st.integers(3, largest))
    p = draw(st.integers(1, n - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):
        A = np.random.default_rng(seed).standard_normal((n, n))
    else:
        A = scipy.stats.ortho_group.rvs(n, random_state=seed)
    if np.linalg.cond(A) > 1e4:  # rare for Gaussian n <= 24; keep the inputs well conditioned
        A = A + 10 * np.eye(n)
    return A, p


def assert_targets(A, p, arith, digits=30):
    T = from_rows(A.tolist())
    f = factor(T, method="levels", arith=arith, digits=digits, split=p)
    verdict = check_certificate(f.certificate(), matrix=exact_rows(T))
    assert verdict.ok, verdict.reasons
    assert f.word.p == p and f.count <= f.bound
    s = conditioning(f)
    assert s["backward_error"] <= BACKWARD_ERROR, (A.shape[0], p, s["backward_error"])
    assert s["max_cond"] <= CONDITION * s["cond_T"], (A.shape[0], p, s["max_cond"], s["cond_T"])
    return f


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_matrices(24))
def test_float64_every_split_within_targets_and_certified(case):
    A, p = case
    f = assert_targets(A, p, "float64")
    if 2 * p != A.shape[0]:
        assert f.bound == split_levels_bound(A.shape[0], p) and "rotations" in f.stages


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_matrices(10))
def test_mp_every_split_within_targets_and_certified(case):
    A, p = case
    f = assert_targets(A, p, "mp", digits=20)
    assert float(f.certificate()["claims"]["tolerance"]) <= 1e-15 * max(1.0, np.abs(A).max())


@pytest.mark.parametrize("p", [1, 5, 11])
def test_wilkinson_blocks_are_solved_without_growth(p):
    """The blocks of Wilkinson's matrix defeat LU with partial pivoting (growth 2^k); rotation levels solve for the
    lower shears by QR (a backward error of 0.12 at n = 64, p = 8, by LU)."""
    n = 24
    A = np.eye(n) - np.tril(np.ones((n, n)), -1)
    A[:, -1] = 1
    assert_targets(A, p, "float64")


@pytest.mark.parametrize("n, p", [(7, 1), (9, 2), (16, 5), (17, 8), (33, 3), (40, 31)])
def test_capacity_splits_fit_one_frame_and_reach_single_coordinates(n, p):
    levels = capacity_splits(n, p)
    assert [(list(A), list(B)) for A, B in levels[0]] == [(list(range(p)), list(range(p, n)))]
    for level in levels:
        assert sum(len(A) for A, _ in level) <= p and sum(len(B) for _, B in level) <= n - p
    coords, swaps = frames(levels, n, p)
    for level, coord in zip(levels, coords):
        top = set(coord[:p])
        assert all(set(A) <= top and not set(B) & top for A, B in level)
    assert all(len(pairs) <= p for pairs in swaps)
    # the ranges end as single coordinates: every pair of coordinates is separated by some split
    parts = [range(n)]
    for level in levels:
        split = {(A.start, B.stop): (A, B) for A, B in level}
        parts = [x for r in parts for x in (split[r.start, r.stop] if (r.start, r.stop) in split else (r,))]
    assert all(len(r) == 1 for r in parts)


def test_mirrored_split_and_count_against_bound():
    A = np.random.default_rng(3).standard_normal((12, 12))
    for p in (1, 4, 7, 11):
        f = assert_targets(A, p, "float64")
        assert f.count <= split_levels_bound(12, p)


@pytest.mark.parametrize("arith, p", [("float64", 2), ("mp", 7)])
def test_singular_values_spread_to_1e6_take_the_qr_route(arith, p):
    """Rotation levels of such a ``T`` reach ``1e7 cond T`` (their lower shears carry ``cond T``); ``T = Q R`` keeps
    every factor within the target."""
    n = 12
    U, _, V = np.linalg.svd(np.random.default_rng(1).standard_normal((n, n)))
    f = assert_targets(U @ np.diag(np.logspace(0, -6, n)) @ V, p, arith, digits=20)
    assert "R (T = QR)" in f.stages and f.count <= split_levels_bound(n, p)


def test_a_numerically_singular_input_gets_a_certificate_not_an_internal_error():
    """Unit lower triangular with -1 below the diagonal, n = 65: cond T = 7e17, beyond the targets. Building must
    not fail (when rescaling changes nothing, unit couplings keep no scale, which the residual of the routes'
    choice must read as ones); factor then refuses it as numerically singular in float64."""
    n = 65
    T = from_rows((np.eye(n) - np.tril(np.ones((n, n)), -1)).tolist())
    with np.errstate(all="ignore"):
        f = factor_split_levels(T, 8, random.Random(0), arithmetic("float64"))
        assert check_certificate(f.certificate(), matrix=exact_rows(T)).ok
        with pytest.raises(AccuracyError, match="numerically singular in float64"):
            factor(T, method="levels", arith="float64", split=8)


def test_a_pivot_that_vanishes_in_float64_gives_no_word():
    """The same matrix with p = 4: a pivot of R is 0 in float64, which would be a zero scale (no coupling), and
    rotation levels meet a singular block; neither route gives a word."""
    n = 65
    T = from_rows((np.eye(n) - np.tril(np.ones((n, n)), -1)).tolist())
    with np.errstate(all="ignore"):
        assert factor_split_levels(T, 4, random.Random(0), arithmetic("float64")) is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_matrices(16))
def test_positive_mode_every_split_has_positive_scales_and_is_certified(case):
    """Positive mode joins the signs of the right end over the changes of frame, with doubles where a coordinate
    is never moved; a word over the bound is not kept (then the other route, or the exact clearing)."""
    A, p = case
    if np.linalg.det(A) < 0:
        A = A.copy()
        A[0] = -A[0]
    T = from_rows(A.tolist())
    f = factor(T, method="levels", mode="positive", arith="float64", split=p)
    cert = f.certificate()
    assert check_certificate(cert, matrix=exact_rows(T), mode="positive").ok
    assert all(certificate_number(s) > 0 for c in cert["factors"] for s in c["scale"]) and f.count <= f.bound
    if 2 * p != A.shape[0] and f.bound == split_levels_bound(A.shape[0], p):
        assert conditioning(f)["backward_error"] <= BACKWARD_ERROR
