"""Block pivoting (construct/core/pivoting.py): the row order bounds every lower level block by 1 + DELTA."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.core.pivoting import DELTA, Singular, level_lu, maxvol_rows
from construct.front.families import sample
from construct.methods.frames import level_splits
from construct.methods.levels import levels_bound
from tests.helpers import assert_factors


def splits_of(n):
    return {(A[0], B[-1] + 1): len(A) for level in level_splits(n) for A, B in level}


matrices = st.builds(
    lambda n, seed, kind: _matrix(n, seed, kind),
    st.integers(2, 40).map(lambda k: 2 * (k // 2) or 2),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["gaussian", "wilkinson", "orthogonal", "graded", "integer"]),
)


def _matrix(n, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "wilkinson":
        A = np.eye(n) - np.tril(np.ones((n, n)), -1)
        A[:, -1] = 1
        return A[rng.permutation(n)]
    if kind == "orthogonal":
        return np.linalg.qr(rng.standard_normal((n, n)))[0]
    if kind == "graded":  # rows of very different sizes
        return rng.standard_normal((n, n)) * np.logspace(-8, 8, n)[:, None]
    if kind == "integer":  # small integers: exact ties and zeros; drawn again until invertible
        A = rng.integers(-3, 4, (n, n)).astype(float)
        while abs(np.linalg.det(A)) < 0.5:
            A = rng.integers(-3, 4, (n, n)).astype(float)
        return A
    return rng.standard_normal((n, n))


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_level_lu_reorders_rows_into_an_lu_with_every_lower_level_block_bounded(F):
    n = F.shape[0]
    order, L, U = level_lu(F, splits_of(n))
    assert sorted(order) == list(range(n))
    assert np.allclose(L @ U, F[order], atol=1e-9 * np.abs(F).max())
    assert np.allclose(np.diag(L), 1) and np.allclose(np.triu(L, 1), 0) and np.allclose(np.tril(U, -1), 0)
    for level in level_splits(n):
        for A, B in level:
            a0, a1, b1 = A[0], A[-1] + 1, B[-1] + 1
            block = np.linalg.solve(L[a0:a1, a0:a1].T, L[a1:b1, a0:a1].T).T  # L[B, A] L[A, A]^-1
            assert np.abs(block).max() <= 1 + DELTA + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_maxvol_rows_bound_every_entry_of_the_interpolation_matrix(a, extra, seed):
    F = np.random.default_rng(seed).standard_normal((a + extra, a))
    rows = maxvol_rows(F)
    assert len(set(rows)) == a
    C = np.linalg.solve(F[rows].T, F.T).T
    assert np.abs(C).max() <= 1 + DELTA + 1e-9


@pytest.mark.parametrize("F, splits", [
    (np.array([[0.0, 1.0], [0.0, 2.0]]), {(0, 2): 1}),
    # rank one after rounding (an exact matrix with entries near 1e216 and 1e114): LAPACK calls it singular
    (np.block([[np.array([[-2.61626466e216, 2.61626466e216], [2.20342262e114, -2.20342262e114]]), np.zeros((2, 2))],
               [np.zeros((2, 2)), np.eye(2)]]), {(0, 4): 2, (0, 2): 1, (2, 4): 1}),
])
def test_a_block_singular_in_float64_is_reported_so_that_the_caller_can_fall_back(F, splits):
    with pytest.raises(Singular):
        level_lu(F, splits)


def test_entries_spanning_hundreds_of_decades_still_give_distinct_rows_and_an_exact_factorization():
    """Regression: rounding made maxvol pick a row it had already chosen (the ``huge`` family, d = 7)."""
    T = sample("huge", random.Random(7003), 7, positive=True)
    assert_factors(T, "levels", "positive", bound=levels_bound(14))
