"""The paper's construction on every family, in both modes: exact, checked, within 13/7/7 (21/13/47)."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.core.matrices import from_rows, permutation_matrix
from construct.front.families import FAMILIES, sample
from construct.methods.lup import lup
from construct.methods.swap_network import swap_network, two_involutions
from tests.helpers import assert_factors

modes = st.sampled_from(["any", "positive"])


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from(sorted(FAMILIES)), d=st.integers(1, 6), seed=st.integers(0, 2**32), mode=modes)
def test_paper_on_every_family(family, d, seed, mode):
    T = sample(family, random.Random(seed), d, positive=mode == "positive")
    f = assert_factors(T, "paper", mode)
    assert f.count <= 27 and set(f.stages) == {"permutation", "lower", "upper"}


def assert_swap_network(perm):
    n = len(perm)
    word, signs = swap_network(list(perm))
    assert len(word) <= 13 and all(s in (1, -1) for s in signs)
    assert word.matrix() == permutation_matrix(list(perm)) * from_rows([[s if i == j else 0 for j in range(n)] for i, s in enumerate(signs)])


@pytest.mark.parametrize("n", [2, 4, 6])
def test_swap_network_realises_all_permutations_up_to_n6_up_to_signs(n):
    """Every one of the n! permutations for n = 2, 4, 6."""
    for perm in itertools.permutations(range(n)):
        assert_swap_network(perm)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 20).map(lambda d: 2 * d), data=st.data())
def test_swap_network_realises_random_permutations_n8_to_n40_up_to_signs(n, data):
    """40 Hypothesis-drawn permutations for n = 8 .. 40."""
    assert_swap_network(data.draw(st.permutations(range(n))))


@pytest.mark.parametrize("n", [2, 4, 6, 8, 20, 40])
@pytest.mark.parametrize("kind", ["identity", "reversal", "random", "cross", "same"])
@pytest.mark.parametrize("mode", ["any", "positive"])
def test_permutation_families_up_to_40(n, kind, mode):
    d, rng = n // 2, random.Random(n)
    perm = {
        "identity": list(range(n)),
        "reversal": list(reversed(range(n))),
        "random": rng.sample(range(n), n),
        "cross": [d + (i + 1) % d for i in range(d)] + list(range(d)),
        "same": [(i + 1) % d for i in range(d)] + [d + (i + 1) % d for i in range(d)],
    }[kind]
    T = permutation_matrix(perm)
    if mode == "positive" and T.det() < 0:
        T = from_rows([[-x for x in T.to_list()[0]]] + T.to_list()[1:])
    f = assert_factors(T, "paper", mode)
    assert f.stages["permutation"] <= 13


@given(perm=st.integers(1, 12).flatmap(lambda d: st.permutations(range(2 * d))))
def test_two_involutions(perm):
    t1, t2 = two_involutions(list(perm))
    assert [t1[t2[k]] for k in range(len(perm))] == list(perm)
    assert all(t[t[k]] == k for t in (t1, t2) for k in range(len(perm)))


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 5), seed=st.integers(0, 2**32))
def test_lup(d, seed):
    T = sample("integer", random.Random(seed), d)
    perm, L, U = lup(T)
    assert permutation_matrix(perm) * L * U == T and L.is_lower and U.is_upper
    assert all(L[i, i].element == 1 for i in range(2 * d))


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 6), seed=st.integers(0, 2**32), mode=modes, lower=st.booleans())
def test_triangular_stage_at_most_seven(d, seed, mode, lower):
    rng = random.Random(seed)
    while True:
        T = sample("triangular", rng, d, positive=mode == "positive")
        if T.is_lower == lower or T.is_diagonal:
            break
    f = assert_factors(T, "paper", mode)
    assert f.stages["permutation"] == 0
    assert f.stages["lower" if lower else "upper"] <= 7


@pytest.mark.parametrize("mask", [None, "alternate"])
def test_certificate_is_for_the_input_matrix(mask):
    """The certificate states the matrix that was factored, and its factors multiply to it.

    Mutation this catches (tried): delete ``result.matrix = T`` from
    ``construct/front/factor.py`` and drop the paper builder's upper-triangular stage
    (``word = permutation * lower``, certified as ``Factorization(word.matrix(), ...)``).
    The certificate then still passes the checker, because it states the
    product of its own factors, but it is for another matrix.
    """
    T = from_rows([[0, 1, 2, 3], [1, 1, 4, 0], [0, 2, 1, 1], [5, 0, 1, 2]])
    f = assert_factors(T, "paper", "any", mask=mask)
    assert f.stages["upper"] > 0 and f.stages["lower"] > 0 and f.stages["permutation"] > 0


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_d_equals_one(mode):
    for rows in ([[0, 1], [-1, 0]], [[2, 3], [5, 7]], [[-1, 0], [0, -1]], [[0, 2], [3, 0]], [[1, 0], [0, 1]]):
        T = from_rows(rows)
        if mode == "positive" and T.det() < 0:
            continue
        assert_factors(T, "paper", mode)
