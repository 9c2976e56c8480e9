"""The short method: exact, checked, at most 6 factors (5 with an invertible off-diagonal block)."""

import itertools
import math
import multiprocessing
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.core.matrices import blocks, from_rows
from construct.front.factor import factor
from construct.front.families import FAMILIES, sample
from construct.methods.short import ROUTES
from tests.helpers import assert_factors

FAMILY_NAMES = sorted(FAMILIES)


def expected_bound(T):
    d = T.shape[0] // 2
    _, Q, R, _ = blocks(T, d)
    return 5 if Q.rank() == d or R.rank() == d else 6


ROUTE_BOUNDS = {f"short:{name}": bound for name, _, bound in ROUTES}


def assert_route(method, count, bound):
    """The route is one that exists, the count within its bound, and six only without an invertible
    off-diagonal block (``bound`` 6: :func:`expected_bound`)."""
    assert method in ROUTE_BOUNDS and count <= ROUTE_BOUNDS[method], (method, count)
    assert method != "short:six" or bound == 6, method


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from(FAMILY_NAMES), d=st.integers(1, 5), seed=st.integers(0, 2**32))
def test_short_any_mode_at_most_six(family, d, seed):
    T = sample(family, random.Random(seed), d)
    f = assert_factors(T, "short", "any", seed=seed, bound=expected_bound(T))
    assert_route(f.method, f.count, expected_bound(T))


@settings(max_examples=40, deadline=None)
@given(family=st.sampled_from(FAMILY_NAMES), d=st.integers(1, 4), seed=st.integers(0, 2**32))
def test_short_positive_mode_at_most_six(family, d, seed):
    T = sample(family, random.Random(seed), d, positive=True)
    f = assert_factors(T, "short", "positive", seed=seed, bound=6)
    assert_route(f.method, f.count, expected_bound(T))


def permutation_input(perm, mode):
    """The permutation matrix of ``perm``; in positive mode with its first row negated when ``det < 0``."""
    n = len(perm)
    rows = [[1 if perm[j] == i else 0 for j in range(n)] for i in range(n)]
    T = from_rows(rows)
    if mode == "positive" and T.det() < 0:
        T = from_rows([[-x for x in rows[0]]] + rows[1:])
    return T


def factor_permutation(case):
    """Factor one (signed) permutation through :func:`assert_factors`; runs in a worker process."""
    perm, mode = case
    T = permutation_input(perm, mode)
    f = assert_factors(T, "short", mode, bound=6)
    return f.count, f.method, expected_bound(T)


def check_permutations(cases):
    """Sparse inputs defeat the plain five-factor construction; the conjugated one handles them."""
    with multiprocessing.Pool(2) as pool:
        results = pool.map(factor_permutation, cases, chunksize=16)
    assert len(results) == len(cases)
    for (perm, mode), (count, method, bound) in zip(cases, results):
        assert_route(method, count, bound)
        assert count <= bound, (perm, mode, count)  # 5 when an off-diagonal block is invertible, else 6


@pytest.mark.parametrize("n", [2, 4, 6])
def test_short_all_permutations_up_to_n6_in_six(n):
    """Every one of the n! permutations for n = 2, 4, 6 (746 in all), in both modes."""
    perms = list(itertools.permutations(range(n)))
    assert len(perms) == math.factorial(n)
    check_permutations([(p, mode) for p in perms for mode in ("any", "positive")])


def test_short_random_permutations_n8_in_six():
    """A random sample of 300 of the 40320 permutations for n = 8 (seeded), in both modes."""
    rng = random.Random(8)
    perms = [tuple(rng.sample(range(8), 8)) for _ in range(300)]
    check_permutations([(p, mode) for p in perms for mode in ("any", "positive")])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(5, 6).map(lambda d: 2 * d), data=st.data(), mode=st.sampled_from(["any", "positive"]))
def test_short_random_permutations_n10_n12_in_six(n, data, mode):
    """30 Hypothesis-drawn permutations for n = 10 and 12."""
    perm = data.draw(st.permutations(range(n)))
    count, method, bound = factor_permutation((perm, mode))
    assert_route(method, count, bound)
    assert count <= bound


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 4), seed=st.integers(0, 2**32), mask=st.sampled_from(["alternate", "checkerboard"]))
def test_short_with_masks(d, seed, mask):
    T = sample("integer", random.Random(seed), d)
    f = assert_factors(T, "short", "any", mask=mask, seed=seed)
    assert f.certificate().get("mask") == f.mask and (f.mask is not None or d == 1)


@pytest.mark.parametrize(
    "rows, count, route",
    [
        ([[1, 0, 0, 0], [0, 1, 0, 0], [2, 3, 5, 0], [1, 1, 0, 7]], 1, "short:two"),  # one lower coupling
        ([[2, 0, 1, 1], [0, 3, 0, 1], [2, 0, 2, 1], [4, 3, 2, 4]], 2, "short:two"),  # L U
        ([[0, 1], [-1, 0]], 3, "short:three"),  # the cross swap
        ([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], 3, "short:three"),  # J, up to the diagonal
    ],
)
def test_trivial_cases(rows, count, route):
    f = assert_factors(from_rows(rows), "short", "any")
    assert (f.count, f.method) == (count, route)


def test_generic_is_five():
    f = assert_factors(from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]]), "short", "any")
    assert f.count == 5 and f.word.kinds() in ("LULUL", "ULULU")


def test_same_seed_same_certificate():
    T = sample("integer", random.Random(5), 3)
    a = factor(T, "short", "any", seed=7).certificate()
    b = factor(T, "short", "any", seed=7).certificate()
    assert a == b


@pytest.mark.parametrize("d", [2, 5, 6, 8])
@pytest.mark.parametrize("mode", ["any", "positive"])
def test_block_antidiagonal_reversal(d, mode):
    """G is diagonal here: the free diagonal needs d distinct entries (a positive-mode failure once)."""
    n = 2 * d
    rows = [[1 if i + j == n - 1 else 0 for j in range(n)] for i in range(n)]
    T = from_rows(rows)
    if mode == "positive" and T.det() < 0:
        T = from_rows([[-x for x in rows[0]]] + rows[1:])
    f = assert_factors(T, "short", mode, bound=expected_bound(T))
    assert_route(f.method, f.count, expected_bound(T))


def test_sparse_domain_matrix_is_normalised():
    """``DomainMatrix.eye(4, QQ)`` is sparse; it once failed every short route and got 13 paper factors."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    I = DomainMatrix.eye(4, QQ)
    assert I.rep.fmt == "sparse"
    f = assert_factors(I, "short", "any")
    assert (f.count, f.method) == (0, "short:two")
    T = from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]])
    assert factor(T.to_sparse()).certificate() == factor(T).certificate()


@pytest.mark.parametrize("method", ["short", "paper"])
def test_integer_domain_matrix_is_normalised(method):
    """A matrix over ``ZZ`` once crashed with ``DMNotAField``; it gets the certificate of the same matrix over QQ."""
    from sympy import ZZ
    from sympy.polys.matrices import DomainMatrix

    rows = [[0, 1, 2, 3], [1, 1, 4, 0], [0, 2, 1, 1], [5, 0, 1, 2]]
    T = DomainMatrix([[ZZ(x) for x in row] for row in rows], (4, 4), ZZ)
    f = assert_factors(T, method, "any")
    assert f.matrix.domain == from_rows(rows).domain
    assert f.certificate() == factor(from_rows(rows), method).certificate()
    assert factor(T.to_sparse(), method).certificate() == f.certificate()


def _hard_family(name, d, rng):
    """A matrix of a family where the five-coupling route's genericity conditions are tight (docs/theory.md)."""
    from construct.core.matrices import block_diagonal, identity, join, zeros

    def invertible():
        while True:
            X = from_rows([[rng.randint(-3, 3) for _ in range(d)] for _ in range(d)])
            if X.det() != 0:
                return X

    I, Z = identity(d), zeros(d, d)
    shift = from_rows([[1 if j == i + 1 else 0 for j in range(d)] for i in range(d)])
    X = invertible()
    if name == "scalar blocks":  # G is diagonal: nonderogatory only for distinct free scales
        return join(2 * I, 3 * I, I, 5 * I)
    if name == "scalar matrix":  # derogatory, both off-diagonal blocks zero
        return 2 * identity(2 * d)
    if name == "minus identity":
        return -identity(2 * d)
    if name == "jordan blocks":  # derogatory blocks sharing the eigenvalue 1
        return join(I + shift, I, Z, I + shift)
    if name == "shared eigenvalues":  # the same block four times, up to the identity
        return join(X, I, -I, X)
    if name == "block diagonal X, X^-1":
        return block_diagonal(X, X.inv())
    if name == "zero bottom-left block":
        return join(X, invertible(), Z, invertible())
    if name == "half swap":
        return join(Z, I, I, Z)
    raise ValueError(name)


HARD_FAMILIES = ["scalar blocks", "scalar matrix", "minus identity", "jordan blocks", "shared eigenvalues",
                 "block diagonal X, X^-1", "zero bottom-left block", "half swap"]


def _with_positive_det(T):
    rows = T.to_list()
    return T if T.det() > 0 else from_rows([[-x for x in rows[0]]] + rows[1:])


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(HARD_FAMILIES), d=st.integers(1, 5), seed=st.integers(0, 2**32),
       mode=st.sampled_from(["any", "positive"]))
def test_hard_families_within_six_by_a_route_that_exists(name, d, seed, mode):
    """Derogatory matrices, scalar and zero blocks, blocks sharing eigenvalues (d = 1..5)."""
    T = _hard_family(name, d, random.Random(seed))
    if T.det() == 0:
        return
    if mode == "positive":
        T = _with_positive_det(T)
    f = assert_factors(T, "short", mode, seed=seed, bound=expected_bound(T))
    assert_route(f.method, f.count, expected_bound(T))


@pytest.mark.parametrize("name", ["scalar blocks", "scalar matrix", "jordan blocks", "half swap"])
@pytest.mark.parametrize("mode", ["any", "positive"])
def test_hard_families_d8_within_six_by_a_route_that_exists(name, mode):
    T = _hard_family(name, 8, random.Random(8))
    if mode == "positive":
        T = _with_positive_det(T)
    f = assert_factors(T, "short", mode, bound=expected_bound(T))
    assert_route(f.method, f.count, expected_bound(T))


def sparse_invertible(rng, d):
    """A random invertible ``2d x 2d`` matrix with mostly zero entries (singular blocks are frequent)."""
    while True:
        T = from_rows([[rng.choice([0, 0, 0, 1, -1, 2]) for _ in range(2 * d)] for _ in range(2 * d)])
        if T.det() != 0:
            return T


@settings(max_examples=80, deadline=None)
@given(d=st.integers(1, 6), seed=st.integers(0, 2**32))
def test_completing_shear_makes_the_off_diagonal_blocks_invertible(d, seed):
    """The six route's deterministic ``g``: ``Q0 - g S0`` invertible for every invertible ``T`` (theory, section 4)."""
    from construct.methods.short import completing_shear

    T = sparse_invertible(random.Random(seed), d)
    P0, Q0, R0, S0 = blocks(T, d)
    assert (Q0 - completing_shear(Q0, S0) * S0).det() != 0
    assert (R0 - completing_shear(R0, P0) * P0).det() != 0


@settings(max_examples=80, deadline=None)
@given(d=st.integers(1, 7), data=st.data())
def test_regular_split_fails_exactly_when_the_trace_is_2d_minus_2(d, data):
    """For ``det G = 1``: ``regular_split`` succeeds iff ``trace G != 2d - 2`` (theory, section 5, (C3))."""
    from construct.methods.short import regular_split

    coefficients = data.draw(st.lists(st.integers(-4, 4), min_size=d - 1, max_size=d - 1))
    if d > 1 and data.draw(st.booleans()):
        coefficients[0] = -(2 * d - 2)  # x^d + c1 x^(d-1) + ...: trace -c1 = 2d - 2
    companion = [[1 if i == j + 1 else 0 for j in range(d)] for i in range(d)]
    for i, c in enumerate(reversed(coefficients + [(-1) ** d])):  # last column: -c_d, ..., -c_1
        companion[i][d - 1] = -c
    G = from_rows(companion)
    assert G.det() == 1
    split = regular_split(G)
    assert (split is not None) == (sum(G[i, i].element for i in range(d)) != 2 * d - 2)
    if split is not None:
        X, Y = split
        assert (X * Y).charpoly() == G.charpoly()


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["identity", "permutation", "jordan", "zero diagonal", "sparse"]),
       d=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_a_random_diagonal_scaling_makes_hard_matrices_nonderogatory(name, d, seed):
    """The lemma of theory section 5 on hard ``K``: ``Psi K`` has a cyclic vector for a random diagonal ``Psi``."""
    from construct.core.gadgets import cyclic_basis
    from construct.core.matrices import scale_rows

    rng = random.Random(seed)
    if name == "identity":
        rows = [[int(i == j) for j in range(d)] for i in range(d)]
    elif name == "permutation":
        perm = rng.sample(range(d), d)
        rows = [[int(perm[j] == i) for j in range(d)] for i in range(d)]
    elif name == "jordan":
        rows = [[int(j in (i, i + 1)) for j in range(d)] for i in range(d)]
    elif name == "zero diagonal":
        rows = [[0 if i == j else 1 for j in range(d)] for i in range(d)]
    else:
        rows = [[rng.choice([0, 0, 0, 1, -1]) for _ in range(d)] for _ in range(d)]
        for i in range(d):
            rows[i][(i + 1) % d] = 1
    K = from_rows(rows)
    if K.det() == 0:
        return
    Psi = [rng.randint(1, 10**6) for _ in range(d)]
    assert cyclic_basis(scale_rows(Psi, K), rng) is not None


@settings(max_examples=60, deadline=None)
@given(d=st.integers(1, 7), seed=st.integers(0, 2**32), derogatory=st.booleans())
def test_completed_cyclic_vector_exists_exactly_for_nonderogatory_matrices(d, seed, derogatory):
    """Jordan forms with repeated eigenvalues, conjugated: one Jordan block per eigenvalue, or (derogatory) two blocks for 1."""
    from construct.core.gadgets import _completed_cyclic_vector, _krylov
    from construct.core.matrices import rank

    rng = random.Random(seed)
    if derogatory and d < 2:
        return
    eigenvalues = sorted(rng.choice([1, 1, 2, -1]) for _ in range(d))
    if derogatory:
        eigenvalues[:2] = [1, 1]
    J = [[eigenvalues[i] if i == j else 0 for j in range(d)] for i in range(d)]
    for i in range(d - 1):  # one block per eigenvalue, except the split at position 0 | 1 when derogatory
        if eigenvalues[i] == eigenvalues[i + 1] and not (derogatory and i == 0):
            J[i][i + 1] = 1
    while True:
        M = from_rows([[rng.randint(-2, 2) for _ in range(d)] for _ in range(d)])
        if M.det() != 0:
            break
    A = M * from_rows(J) * M.inv()
    v = _completed_cyclic_vector(A)
    if derogatory:
        assert v is None
    else:
        assert v is not None and rank(_krylov(A, v)) == d


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_five_route_with_the_spread_free_scales_of_the_theory(monkeypatch, mode):
    """``F = I`` gives a derogatory ``G`` (similar to ``diag(1/9, 3, 3)``); the spread draws succeed."""
    from fractions import Fraction

    from construct.methods import short
    from construct.core.gadgets import _is_derogatory
    from construct.core.matrices import join

    monkeypatch.setattr(short, "SMALL_TRIES", 1)  # every try after F = I is a spread draw (theory, section 5)
    M = from_rows([[1, 1, 0], [0, 1, 1], [1, 0, 1]])
    G = M * from_rows([[Fraction(1, 9), 0, 0], [0, 3, 0], [0, 0, 3]]) * M.inv()
    G1 = G * from_rows([[2, 0, 0], [0, 1, 0], [0, 0, 1]])  # F = I: E = diag(det G1, 1, 1) = diag(2, 1, 1)
    P0, S0 = from_rows([[1, 2, 0], [0, 1, 1], [1, 0, 1]]), from_rows([[2, 1, 1], [0, 1, 0], [1, 1, 3]])
    Q0 = from_rows([[1, 1, 0], [0, 1, 1], [1, 0, 2]])
    H0 = -Q0.inv() * G1  # so that -Q0 H0 = G1
    T = join(P0, Q0, H0 + S0 * Q0.inv() * P0, S0)
    assert T.det() == 2 and _is_derogatory(G)
    f = assert_factors(T, "short", mode)
    assert (f.count, f.method) == (5, "short:five")


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_five_route_finds_a_good_free_diagonal_on_the_grid_without_random_draws(monkeypatch, mode):
    """The proof's grid alone (no random draws) ends with a good ``F``, also where ``F = I`` is bad."""
    from construct.methods import short

    monkeypatch.setattr(short, "TRIES", 0)
    rng = random.Random(5)
    for name in ["scalar blocks", "shared eigenvalues", "block diagonal X, X^-1", "half swap"]:
        T = _with_positive_det(_hard_family(name, 3, rng))
        f = assert_factors(T, "short", mode, bound=expected_bound(T))
        assert f.method in ("short:two", "short:three", "short:five", "short:six")


def test_no_route_left_is_an_internal_error_never_a_longer_certificate(monkeypatch):
    from construct.methods import short

    monkeypatch.setattr(short, "ROUTES", [(name, lambda T, positive, rng: None, bound)
                                          for name, _, bound in short.ROUTES])
    with pytest.raises(short.ShortMethodBug, match="saved in"):
        short.factor_short(from_rows([[1, 2], [3, 4]]), "any", random.Random(0))
