"""Orthogonal T in float64: the rotation levels (construct/methods/rotations.py), certified against the input."""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from construct.core.conditioning import conditioning, uniform_coupling_condition
from construct.core.matrices import from_rows
from construct.front.factor import factor
from construct.methods.levels import levels_bound
from construct.methods.levels import routes
from construct.core.orthogonal import rotation_shears
from proofs.checker import certificate_number, check_certificate
from tests.helpers import exact_rows

#: A unit coupling whose shear has norm 2 (a level shear plus a cross swap's): every factor as built is at most this.
AS_BUILT = uniform_coupling_condition(2.0, 1.0)


def _rotation(theta):
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


@st.composite
def orthogonal_matrices(draw):
    """Random orthogonal matrices, and ones whose angles are exactly 0 or pi/2 at some level."""
    n = draw(st.sampled_from([2, 4, 6, 8, 10, 14, 16, 22, 32]))
    d = n // 2
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    family = draw(st.sampled_from(["random", "block-diagonal", "anti-diagonal", "reflection", "plane rotations"]))
    Q = scipy.stats.ortho_group.rvs(n, random_state=rng) if n > 1 else np.eye(n)
    if family == "block-diagonal":  # every level-0 angle is 0
        Q[:d, d:] = Q[d:, :d] = 0
        Q[:d, :d], Q[d:, d:] = scipy.stats.ortho_group.rvs(d, random_state=rng) if d > 1 else 1, np.eye(d)
    elif family == "anti-diagonal":  # every level-0 angle is pi/2
        Q = np.block([[np.zeros((d, d)), -np.eye(d)], [scipy.stats.ortho_group.rvs(d, random_state=rng)
                                                        if d > 1 else np.eye(1), np.zeros((d, d))]])
    elif family == "reflection":
        v = rng.standard_normal(n)
        Q = np.eye(n) - 2 * np.outer(v, v) / (v @ v)
    elif family == "plane rotations":  # coordinate pairs (i, i + d) rotated by 0, pi/2 or a random angle
        Q = np.eye(n)
        for i in range(d):
            R = _rotation(draw(st.sampled_from([0.0, math.pi / 2, float(rng.uniform(-math.pi, math.pi))])))
            Q[np.ix_([i, i + d], [i, i + d])] = R
    return Q


def _certified(Q, mode, arith="float64"):
    if mode == "positive" and np.linalg.det(Q) < 0:
        Q = Q.copy()
        Q[:, 0] = -Q[:, 0]
    T = from_rows(Q.tolist())
    f = factor(T, method="levels", mode=mode, arith=arith, digits=30)
    cert = f.certificate()
    verdict = check_certificate(cert, matrix=exact_rows(T))
    assert verdict.ok, verdict.reasons
    return f, cert


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orthogonal_matrices(), st.sampled_from(["any", "positive"]), st.sampled_from(["float64", "mp"]))
def test_orthogonal_rotation_word_certified_within_bound_and_well_conditioned(Q, mode, arith):
    """Every orthogonal T (not a signed permutation), in float64 and at 30 digits: the checker accepts the
    certificate against T, the count is within the bound, positive mode has positive scales, and no factor is worse
    than a unit coupling with shear 2. LU levels, within the goal, may stand in where rotation levels are not built:
    in positive mode when seven rounds do not fit in the bound, in mp at an angle of exactly pi/2 (a singular block
    has no polar factor); in float64 in any mode they never do."""
    if np.count_nonzero(Q) == Q.shape[0]:
        return
    f, cert = _certified(Q, mode, arith)
    n = Q.shape[0]
    s = conditioning(f)
    assert f.count <= levels_bound(n) and s["backward_error"] < 1e-13
    if mode == "positive":
        assert all(certificate_number(x) > 0 for c in cert["factors"] for x in c["scale"])
    if "rotations" not in f.stages:
        assert mode == "positive" or arith == "mp"
        assert s["max_cond"] <= 10 * s["cond_T"]
        return
    assert f.stages["rotations"] <= levels_bound(n) - 12
    assert s["max_cond"] <= AS_BUILT * (1 + 1e-9)


@pytest.mark.parametrize("n", [64, 256])
def test_random_orthogonal_meets_the_conditioning_goal_by_rotations(n):
    """The goal max cond <= 10 cond T (cond T = 1) where LU levels gave 10 to 18 at n >= 256 (theory.md, 7)."""
    f, _ = _certified(scipy.stats.ortho_group.rvs(n, random_state=n), "any")
    s = conditioning(f)
    assert "rotations" in f.stages and s["max_cond"] <= AS_BUILT and s["backward_error"] < 1e-13


@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_rotation_shears_norm_at_most_one_and_reassemble(a, b, seed):
    """M = diag(W_A, W_B) L(X) U(Y) L(X) with ||X||, ||Y|| <= 1 and W_A, W_B orthogonal, for parts of any sizes."""
    n = a + b
    M = scipy.stats.ortho_group.rvs(n, random_state=seed) if n > 1 else np.eye(1)
    X, Y, WA, WB = rotation_shears(M, a)
    L = np.block([[np.eye(a), np.zeros((a, b))], [X, np.eye(b)]])
    U = np.block([[np.eye(a), Y], [np.zeros((b, a)), np.eye(b)]])
    W = np.block([[WA, np.zeros((a, b))], [np.zeros((b, a)), WB]])
    assert np.allclose(W @ L @ U @ L, M, atol=1e-12)
    assert np.linalg.norm(X, 2) <= 1 + 1e-12 and np.linalg.norm(Y, 2) <= 1 + 1e-12
    assert np.allclose(WA.T @ WA, np.eye(a)) and np.allclose(WB.T @ WB, np.eye(b))


def test_signed_permutations_keep_lu_levels_which_factor_them_exactly():
    from construct.core.arith import arithmetic

    P = np.eye(8)[[3, 0, 6, 1, 7, 2, 5, 4]] * np.array([1, -1, 1, 1, -1, 1, 1, 1])
    assert routes(from_rows(P.tolist()), arithmetic("float64"), 1.0) == ["lu"]
    f = factor(from_rows(P.tolist()), method="levels", arith="float64")
    assert "rotations" not in f.stages and conditioning(f)["backward_error"] == 0


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_random_orthogonal_in_mp_by_rotation_levels_at_30_digits(mode):
    """mpmath: polar factors in python-flint balls instead of LAPACK's CS decomposition, the same shears."""
    f, cert = _certified(scipy.stats.ortho_group.rvs(32, random_state=7), mode, "mp")
    assert "rotations" in f.stages and conditioning(f)["max_cond"] <= AS_BUILT
    assert float(cert["claims"]["tolerance"]) < 1e-27


def _near_orthogonal(n):
    rng = np.random.default_rng(n)
    return scipy.stats.ortho_group.rvs(n, random_state=n) + 0.1 * rng.standard_normal((n, n)) / np.sqrt(n)


def _columns_scaled(n, spread=1e3):
    return scipy.stats.ortho_group.rvs(n, random_state=1) * np.geomspace(1, spread, n)[None, :]


@pytest.mark.parametrize("T, route", [(_near_orthogonal(256), "rotations"), (_columns_scaled(64), "rotations"),
                                      (_columns_scaled(64, 1e6), "rotations"),
                                      (np.random.default_rng(3).standard_normal((64, 64)), "lu")],
                         ids=["orthogonal+noise-256", "columns-scaled-64", "columns-scaled-1e6-64", "gaussian-64"])
def test_float64_route_kept_and_the_conditioning_goal(T, route):
    """cond T <= 10: rotation levels first. Otherwise LU levels, and rotation levels only where LU misses the goal:
    columns of an orthogonal matrix scaled over 1..1e3 give LU levels 17 cond T, over 1..1e6 1.7e4 cond T
    (theory.md, section 7)."""
    f = factor(from_rows(T.tolist()), method="levels", arith="float64")
    s = conditioning(f)
    assert ("rotations" in f.stages) == (route == "rotations")
    assert s["max_cond"] <= 10 * s["cond_T"] and s["backward_error"] < 1e-13 and f.count <= levels_bound(T.shape[0])
