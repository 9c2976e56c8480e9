"""The levels method in float64 on inputs that defeat partial pivoting, and other hard families.

    python benchmarks/adversarial.py [--n 64]

For each family: the route (``lu`` or ``rotations`` levels), couplings, largest factor condition number next to
``cond T`` and next to that of the word as built (all pivots in the two
middle couplings, no rescaling, no halving; for an orthogonal ``T``, the
rotation levels as built), largest factor entry, and the
float64 backward error ``||fl(F_1 ... F_k) - T||_F / ||T||_F``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.accuracy import AccuracyError  # noqa: E402
from construct.core.arith import arithmetic  # noqa: E402
from construct.core.conditioning import conditioning, coupling_condition  # noqa: E402
from construct.core.matrices import from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.methods.levels import build_word  # noqa: E402


def as_built(T, d, route):
    """The largest condition number of the float64 word as built by ``route`` (``lu`` or ``rotations``)."""
    built, _, _ = build_word(T, "any", arithmetic("float64"), random.Random(0), route, spread=False)
    return max(coupling_condition(kind, S, np.ones(d) if c is None else np.array(c, dtype=float), d)
               for kind, S, c in built)


def wilkinson(n):
    """Partial pivoting's worst case: growth 2^(n-1) in U."""
    A = np.eye(n) - np.tril(np.ones((n, n)), -1)
    A[:, -1] = 1
    return A


def families(n, rng):
    d = n // 2
    yield "gaussian", rng.standard_normal((n, n))
    yield "wilkinson growth", wilkinson(n)
    L = np.eye(n) - np.tril(np.ones((n, n)), -1)  # unit lower, inverse entries 2^(i-j-1)
    yield "triangular, 2^n inverse", L
    U, _, V = np.linalg.svd(rng.standard_normal((n, n)))
    yield "cond 1e8", U @ np.diag(np.logspace(0, -8, n)) @ V
    Q = scipy.stats.ortho_group.rvs(n, random_state=1)
    yield "orthogonal", Q
    yield "orthogonal + 0.1 noise", Q + 0.1 * rng.standard_normal((n, n)) / np.sqrt(n)
    yield "orthogonal, columns scaled 1..1e3", Q * np.geomspace(1, 1e3, n)[None, :]
    yield "orthogonal, rows scaled 1..1e3", Q * np.geomspace(1, 1e3, n)[:, None]
    yield "permutation", np.eye(n)[rng.permutation(n)]
    B = np.zeros((n, n))
    B[:d, :d], B[d:, d:] = rng.standard_normal((d, d)), rng.standard_normal((n - d, n - d))
    yield "block diagonal", B
    yield "nearly singular (1e-12)", U @ np.diag(np.r_[np.ones(n - 1), 1e-12]) @ V


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print("| family | levels | couplings | max factor cond | as built | cond T | max entry | backward error |")
    print("|---|---|---|---|---|---|---|---|")
    for name, A in families(args.n, rng):
        T = from_rows(A.tolist())
        try:
            f = factor(T, method="levels", arith="float64")
        except AccuracyError:  # numerically singular in float64: refused, as factor refuses it
            print(f"| {name} | refused | - | - | - | {np.linalg.cond(A):.3g} | - | - |", flush=True)
            continue
        route = "rotations" if "rotations" in f.stages else "lu"
        s = conditioning(f)
        print(f"| {name} | {route} | {s['count']} | {s['max_cond']:.3g} | {as_built(T, args.n // 2, route):.3g} "
              f"| {s['cond_T']:.3g} | {s['max_entry']:.3g} | {s['backward_error']:.2g} |", flush=True)


if __name__ == "__main__":
    main()
