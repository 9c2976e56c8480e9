"""How often positive mode needs a seventh swap-network round in the levels method.

    python benchmarks/positive_counts.py

Every family of ``couplings bounds`` for d = 1..16 (exact; 12 matrices each,
the huge family up to d = 8) and 10 Gaussian matrices for d = 32, 64, 128
(float64). The count is proved to be at most ``4 ceil(log2 d) + 16``
(``docs/theory.md``, "Positive mode"); this prints how many rounds the
networks took and the largest count minus that bound.
"""

from __future__ import annotations

import math
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.matrices import from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.front.families import FAMILIES, sample  # noqa: E402


def excess(f, d: int) -> tuple[int, int]:
    return f.count - (4 * (math.ceil(math.log2(d)) if d > 1 else 0) + 16), f.stages["rounds"]


def main() -> int:
    excesses = []
    for d in [1, 2, 3, 4, 5, 6, 7, 8, 12, 16]:
        for family in FAMILIES:
            if family == "huge" and d > 8:
                continue
            for s in range(12):
                T = sample(family, random.Random(1000 * d + s), d, positive=True)
                excesses.append(excess(factor(T, method="levels", mode="positive", seed=s), d))
    for d in [32, 64, 128]:
        for s in range(10):
            A = np.random.default_rng(s).standard_normal((2 * d, 2 * d))
            if np.linalg.det(A) < 0:
                A[0] = -A[0]
            f = factor(from_rows(A.tolist()), method="levels", mode="positive", arith="float64", seed=s)
            excesses.append(excess(f, d))
    rounds = Counter(r for _, r in excesses)
    print(f"{len(excesses)} matrices; rounds: " + ", ".join(f"{r}: {rounds[r]}" for r in sorted(rounds))
          + f"; largest count minus 4 ceil(log2 d) + 16: {max(e for e, _ in excesses)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
