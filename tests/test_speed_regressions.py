"""Guards for the fast paths of the exact builders (no timings: speed is measured in benchmarks/).

The builders must not drop to SymPy's pure-Python ``rank``/``rref``/``charpoly``/
``lu`` on large blocks, the shortcuts must agree with what they replace, and
the certificates stay exact (the checker multiplies them out).
"""

import random

import pytest
from sympy.polys.matrices import DomainMatrix

from construct.core.couplings import Word, lower, upper
from construct.core.gadgets import similarity_pair
from construct.core.matrices import (
    blocks,
    charpoly,
    diagonal,
    from_rows,
    identity,
    inverse,
    join,
    rank,
    scale_columns,
    scale_rows,
)
from construct.front.families import sample
from construct.methods.short import _five_unit, regular_split
from tests.helpers import assert_factors


@pytest.mark.parametrize("method", ["short", "paper"])
def test_no_pure_python_rank_or_charpoly(method, monkeypatch):
    """Only the input validation may call ``DomainMatrix.rank``; the builders use flint."""
    T = sample("integer", random.Random(3), 6)
    calls = []

    def forbidden(name):
        def f(self, *args, **kwargs):
            calls.append(name)
            raise AssertionError(f"DomainMatrix.{name} called by a builder")

        return f

    import construct.front.factor as factor_module

    monkeypatch.setattr(factor_module, "validate", lambda *args, **kwargs: None)  # its rank test is not a builder's
    for name in ("rank", "rref", "charpoly"):
        monkeypatch.setattr(DomainMatrix, name, forbidden(name))
    assert_factors(T, method, "any")
    assert calls == []


def test_helpers_agree_with_sympy():
    rng = random.Random(0)
    for _ in range(20):
        d = rng.randint(1, 5)
        M = from_rows([[rng.randint(-2, 2) for _ in range(d)] for _ in range(d)])
        assert rank(M) == M.rank()
        assert charpoly(M) == M.charpoly()
        Mi = inverse(M)
        assert (Mi is None) == (M.rank() < d)
        if Mi is not None:
            assert Mi == M.inv()
        v = [rng.randint(1, 5) for _ in range(d)]
        assert scale_rows(v, M) == diagonal(v) * M
        assert scale_columns(M, v) == M * diagonal(v)


def test_similarity_pair_is_a_similarity_and_its_inverse():
    rng = random.Random(1)
    A = from_rows([[1, 2, 0], [0, 1, 3], [1, 0, 1]])
    B = from_rows([[0, 0, 1], [1, 0, 0], [0, 1, 0]]) * A * from_rows([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    S, Si = similarity_pair(A, B, rng)
    assert S * Si == identity(3) and S * A == B * S
    assert similarity_pair(A, A + identity(3), rng) is None


@pytest.mark.parametrize("seed", range(4))
def test_word_apply_matches_matrix(seed):
    rng = random.Random(seed)
    d = rng.randint(1, 4)

    def block():
        return from_rows([[rng.randint(-3, 3) for _ in range(d)] for _ in range(d)])

    w = Word(2 * d, d, [lower(block(), [2] * d), upper(block()), lower(block()), upper(block(), [-1] * d)])
    V = from_rows([[rng.randint(-5, 5) for _ in range(3)] for _ in range(2 * d)])
    assert w.apply(V) == w.matrix() * V


@pytest.mark.parametrize("seed", range(3))
def test_five_unit_in_a_frame_equals_explicit_conjugation(seed):
    """Building in the original frame gives the conjugated word conjugated back, exactly."""
    rng = random.Random(seed)
    d = 3
    for _ in range(50):
        T = sample("integer", rng, d)
        P, Q, R, S = blocks(T, d)
        Qi = inverse(Q)
        if Qi is None:
            continue
        g = (-Q * (R - S * Qi * P)).det()  # T diag(g, 1, ..., 1)^-1 makes det G = 1
        T = scale_columns(T, [1 / g] + [1] * (2 * d - 1))
        P, Q, R, S = blocks(T, d)
        G = -Q * (R - S * Qi * P)
        split = regular_split(G)
        if split is None:
            continue
        X, Y = split
        pair = similarity_pair(G, X * Y, random.Random(0))
        if pair is None:
            continue
        M, Mi = pair
        fast = _five_unit(T, X, Y, random.Random(1), frame=pair)
        conjugated = _five_unit(join(M * P * Mi, M * Q * Mi, M * R * Mi, M * S * Mi), X, Y, random.Random(1))
        assert fast is not None and conjugated is not None
        assert [(c.kind, c.shear, c.scale) for c in fast] == [(c.kind, Mi * c.shear * M, c.scale) for c in conjugated]
        assert fast.matrix() == T
        return
    pytest.fail("no sample met the conditions")
