"""The checker's sparse product: shears used through the blocks their nonzero entries connect.

Certificates shaped like those of the levels method (signed partial permutations, block diagonal shears
in a random order of the coordinates, a few dense shears, scales in the middle, a coupling followed by its
inverse) are built with Fractions and must pass with exact rationals, modulo primes and with balls, and a
change of one shear entry must be caught; the work estimate must stay far below the default limit.
"""
import random
from fractions import Fraction

import pytest

import proofs.checker
import proofs.kernel
from proofs.checker import LIMITS, check_certificate
from proofs.kernel import _blocks
from tests.test_checker import make_cert, rejected


def sparse_factors(rng, n, p, k):
    q = n - p
    factors = []
    for t in range(k):
        kind = "lower" if t % 2 == 0 else "upper"
        rows, cols = (q, p) if kind == "lower" else (p, q)
        shear = [[Fraction(0)] * cols for _ in range(rows)]
        style = rng.choice(["swap", "blocks", "dense", "inverse"] if factors else ["blocks"])
        if style == "swap":  # a signed partial permutation
            for i, j in zip(rng.sample(range(rows), min(rows, cols) // 2), rng.sample(range(cols), cols)):
                shear[i][j] = Fraction(rng.choice([1, -1]))
        elif style in ("blocks", "dense"):  # block diagonal in a random order of the coordinates
            size = min(rows, cols) if style == "dense" else rng.choice([1, 2, 3])
            r_order, c_order = rng.sample(range(rows), rows), rng.sample(range(cols), cols)
            for b in range(min(rows, cols) // size):
                for i in r_order[b * size:(b + 1) * size]:
                    for j in c_order[b * size:(b + 1) * size]:
                        shear[i][j] = Fraction(rng.randint(-50, 50), rng.randint(1, 60))
        if style == "inverse" and factors[-1][0] == kind:  # L(S, s)^-1 = L(-diag(1/s) S, 1/s)
            _, s_prev, sc_prev = factors[-1]
            shear = [[-x / s for x in row] for row, s in zip(s_prev, sc_prev)]
            scale = [1 / s for s in sc_prev]
        else:
            scale = [Fraction(rng.choice([1, 1, 1, 2, -3])) * Fraction(rng.randint(1, 9), rng.randint(1, 9))
                     if style != "swap" else Fraction(1) for _ in range(rows)]
        factors.append((kind, shear, scale))
    return factors


@pytest.mark.parametrize("seed", range(6))
def test_sparse_certificates_agree_with_fractions(seed):
    rng = random.Random(seed)
    n = rng.choice([6, 9, 12])
    p = n // 2 + rng.choice([0, 0, 1])
    cert = make_cert(n, p, sparse_factors(rng, n, p, rng.randint(4, 12)))
    assert check_certificate(cert).ok
    assert check_certificate(cert, fast=True).ok
    f = rng.choice([f for f in cert["factors"]])
    i, j = rng.randrange(len(f["shear"])), rng.randrange(len(f["shear"][0]))
    f["shear"][i][j] = str(Fraction(f["shear"][i][j]) + Fraction(1, 7))
    rejected(cert, "differs from matrix")
    rejected(cert, "differs from matrix", fast=True)


@pytest.mark.parametrize("seed", range(3))
def test_sparse_certificates_with_balls(seed, monkeypatch):
    monkeypatch.setattr(proofs.kernel, "EXACT_TOLERANCE_N", 1)  # decide tolerance claims with ball arithmetic
    rng = random.Random(10 + seed)
    cert = make_cert(10, 5, sparse_factors(rng, 10, 5, 10))
    cert["claims"]["tolerance"] = "1e-20"
    v = check_certificate(cert)
    assert v.ok and "ball arithmetic" in v.summary, v.reasons
    cert["matrix"][3][4] = str(Fraction(cert["matrix"][3][4]) + Fraction(1, 10 ** 15))
    rejected(cert, "by more than the tolerance")


def test_blocks_group_connected_entries():
    entries = {(0, 3): 1, (1, 0): 2, (2, 1): 3, (2, 0): 4, (3, 2): 5}
    blocks = sorted(_blocks(entries, 4, 4))
    assert blocks == [([0], [3], {(0, 3): 1}), ([1, 2], [0, 1], {(1, 0): 2, (2, 1): 3, (2, 0): 4}),
                      ([3], [2], {(3, 2): 5})]
    dense = {(i, j): 1 for i in range(2) for j in range(2)}
    assert _blocks(dense, 2, 2) == [([0, 1], [0, 1], dense)]


def test_levels_like_certificate_is_cheap_within_the_default_limits(monkeypatch):
    """n = 32 with 16 factors: the estimate counts the small blocks, far below the default allowance."""
    spent = []
    original = proofs.checker._work_guard

    def recording(budget):
        guard = original(budget)

        def record(count, *operands):
            spent.append(count * (1 + sum(map(proofs.checker._size, operands)) // 64))
            guard(count, *operands)
        return record
    monkeypatch.setattr(proofs.checker, "_work_guard", recording)
    rng = random.Random(5)
    cert = make_cert(32, 16, sparse_factors(rng, 32, 16, 16))
    assert check_certificate(cert).ok
    assert sum(spent) < LIMITS.work / 30
