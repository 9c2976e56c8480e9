"""Named families of invertible test matrices, for the tests and ``couplings bounds``.

Each sampler takes a ``random.Random`` and the half size ``d`` and returns an
invertible ``2d x 2d`` matrix over ``QQ``; ``sample(..., positive=True)``
flips the sign of the first row when needed so that ``det > 0``.

>>> import random
>>> T = sample("permutation", random.Random(1), 3)
>>> T.shape, T.rank()
((6, 6), 6)
>>> sample("integer", random.Random(2), 2, positive=True).det() > 0
True
"""

from __future__ import annotations

import random
from fractions import Fraction

from construct.core.matrices import block_diagonal, from_rows, permutation_matrix


def _rows(rng, n, m, entry):
    return [[entry(rng) for _ in range(m)] for _ in range(n)]


def _small(rng):
    return rng.randint(-9, 9)


def _gaussian(rng):
    return Fraction(rng.gauss(0.0, 1.0)).limit_denominator(1000)


def _huge(rng):
    big = rng.getrandbits(rng.choice([64, 200, 400])) + 1
    return rng.choice([1, -1]) * Fraction(big, rng.randint(1, 10**6)) if rng.random() < 0.5 else Fraction(rng.randint(-9, 9), big)


def _invertible(rng, d, entry=_small):
    while True:
        M = from_rows(_rows(rng, d, d, entry))
        if M.rank() == d:
            return M


def gaussian(rng, d):
    return from_rows(_rows(rng, 2 * d, 2 * d, _gaussian))


def integer(rng, d):
    return from_rows(_rows(rng, 2 * d, 2 * d, _small))


def huge(rng, d):
    """Entries of hundreds of bits, and reciprocals of such: huge and tiny at once."""
    return from_rows(_rows(rng, 2 * d, 2 * d, _huge))


def permutation(rng, d):
    """Identity, full reversal, random, cross-half-only or same-half-only permutations."""
    n = 2 * d
    kind = rng.choice(["identity", "reversal", "random", "cross", "same"])
    if kind == "identity":
        perm = list(range(n))
    elif kind == "reversal":
        perm = list(reversed(range(n)))
    elif kind == "random":
        perm = rng.sample(range(n), n)
    elif kind == "cross":  # every point changes half
        top, bottom = rng.sample(range(d), d), rng.sample(range(d, n), d)
        perm = [0] * n
        for i in range(d):
            perm[top[i]], perm[bottom[i]] = bottom[i], top[(i + 1) % d]
    else:  # no point changes half
        perm = rng.sample(range(d), d) + rng.sample(range(d, n), d)
    return permutation_matrix(perm)


def triangular(rng, d):
    n = 2 * d
    lower = rng.random() < 0.5
    rows = [
        [(rng.choice([1, -1]) * rng.randint(1, 9)) if i == j else (_small(rng) if (i > j) == lower else 0) for j in range(n)]
        for i in range(n)
    ]
    return from_rows(rows)


def block_diagonal_family(rng, d):
    return block_diagonal(_invertible(rng, d), _invertible(rng, d))


def singular_offdiagonal(rng, d):
    """Both off-diagonal blocks singular (zero or of rank < d)."""
    while True:
        blocks = [_invertible(rng, d) for _ in range(2)]
        off = [_low_rank(rng, d) for _ in range(2)]
        T = from_rows([a + b for a, b in zip(blocks[0].to_list(), off[0])] + [a + b for a, b in zip(off[1], blocks[1].to_list())])
        if T.rank() == 2 * d:
            return T


def _low_rank(rng, d):
    r = rng.randint(0, d - 1)
    u, v = _rows(rng, d, r, _small), _rows(rng, r, d, _small)
    return [[sum(u[i][k] * v[k][j] for k in range(r)) for j in range(d)] for i in range(d)]


def near_singular(rng, d):
    """A singular integer matrix plus a tiny perturbation: determinant close to zero."""
    n = 2 * d
    while True:
        rows = _rows(rng, n, n, _small)
        rows[-1] = [sum(rows[k][j] for k in range(n - 1)) for j in range(n)]
        eps = Fraction(1, 10 ** rng.randint(6, 30))
        rows[-1][rng.randrange(n)] += eps
        T = from_rows(rows)
        if T.rank() == n:
            return T


FAMILIES = {
    "gaussian": gaussian,
    "integer": integer,
    "huge": huge,
    "permutation": permutation,
    "triangular": triangular,
    "block-diagonal": block_diagonal_family,
    "singular-offdiagonal": singular_offdiagonal,
    "near-singular": near_singular,
}


def sample(family: str, rng: random.Random, d: int, positive: bool = False):
    """An invertible ``2d x 2d`` matrix from ``family`` (``det > 0`` when ``positive``)."""
    while True:
        T = FAMILIES[family](rng, d)
        if T.rank() == 2 * d:
            break
    if positive and T.det() < 0:
        rows = T.to_list()
        rows[0] = [-x for x in rows[0]]
        T = from_rows(rows)
    return T
