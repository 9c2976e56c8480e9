"""Unequal splits in floating point: the levels method (rotation levels of the split's sizes) by split.

    python benchmarks/splits_float.py [--arith float64|mp] [--digits D] [--sizes 16 17 64 65 256 257]
                                      [--splits P ...] [--families gaussian orthogonal] [--format table|json|summary]

For each size ``n`` and split ``p`` (every ``p < n/2`` for ``n <= 17``, else
``p`` in ``{1, 2, 4, n/8, n/4, 3n/8, n/2 - 1}`` rounded) and each family
(those of ``benchmarks/adversarial.py`` and ``cond 1e6``, singular values
``1 .. 1e-6`` between random orthogonal matrices; by default Gaussian and a
random orthogonal matrix): couplings, the bound the certificate claims, the bound
of the exact route (clearing to the balanced split, ``construct/methods/splits.py``),
the largest factor condition number over ``cond T``, the float64 backward
error ``||fl(F_1 ... F_k) - T||_F / ||T||_F``, and the time of ``factor``
(wall seconds, and as a multiple of one ``scipy.linalg.lu`` of the same matrix,
the least of 20, measured in the same run).
Targets (issue 20): backward error at most 1e-12 and largest factor condition
number at most 100 cond T for cond T up to 1e6.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adversarial import families  # noqa: E402  (benchmarks/adversarial.py)
from construct.core.conditioning import conditioning  # noqa: E402
from construct.core.matrices import from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.methods.levels import levels_bound  # noqa: E402
from construct.methods.splits import split_bound  # noqa: E402

SIZES = (16, 17, 64, 65, 256, 257)
FAMILIES = ("gaussian", "orthogonal")


def splits(n: int) -> list[int]:
    """Every ``p < n/2`` up to ``n = 17``; else 1, 2, 4, n/8, n/4, 3n/8 and n/2 - 1, rounded and deduplicated.

    >>> splits(8), splits(64), splits(257)
    ([1, 2, 3], [1, 2, 4, 8, 16, 24, 31], [1, 2, 4, 32, 64, 96, 128])
    """
    if n <= 17:
        return list(range(1, (n + 1) // 2))
    return sorted({1, 2, 4} | {round(x) for x in (n / 8, n / 4, 3 * n / 8, n / 2 - 1)})


def graded_singular_values(n: int) -> np.ndarray:
    """``U diag(1 .. 1e-6) V^T`` with random orthogonal ``U``, ``V``: ``cond T = 1e6``, the end of the target range."""
    U, _, V = np.linalg.svd(np.random.default_rng(1).standard_normal((n, n)))
    return U @ np.diag(np.logspace(0, -6, n)) @ V


def lu_seconds(A: np.ndarray) -> float:
    """The least wall time of 20 ``scipy.linalg.lu`` of ``A``."""
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        scipy.linalg.lu(A)
        best = min(best, time.perf_counter() - start)
    return best


def row(name: str, A: np.ndarray, p: int, arith: str, digits: int) -> dict:
    n = A.shape[0]
    T = from_rows(A.tolist())
    start = time.perf_counter()
    f = factor(T, method="levels", arith=arith, digits=digits, split=p)
    seconds = time.perf_counter() - start
    s = conditioning(f)
    return {"family": name, "n": n, "p": p, "count": f.count, "bound": f.bound,
            "exact_bound": split_bound(n, p, levels_bound(2 * min(p, n - p))), "cond_T": s["cond_T"],
            "max_cond_over_cond_T": s["max_cond"] / s["cond_T"], "backward_error": s["backward_error"],
            "seconds": seconds, "lu_ratio": seconds / lu_seconds(A)}


def joined(rows, key, spec):
    """The values of ``key`` in ``rows`` (one per family), formatted by ``spec`` and joined by `` / ``."""
    return " / ".join("failed" if "error" in r else format(r[key], spec) for r in rows)


def summary(rows) -> str:
    """One line per family and size: the couplings over the splits, and the worst condition ratio and backward
    error of any split."""
    lines = ["| family | n | cond T | couplings (p = 1 .. ) | worst max factor cond / cond T | worst backward error |",
             "|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["family"], r["n"]) for r in rows)
    for family, n in keys:
        mine = [r for r in rows if (r["family"], r["n"]) == (family, n)]
        ok = [r for r in mine if "error" not in r]
        failed = f" ({len(mine) - len(ok)} failed)" if len(ok) < len(mine) else ""
        if not ok:
            lines.append(f"| {family} | {n} | | failed{failed} | | |")
            continue
        lines.append(f"| {family} | {n} | {ok[0]['cond_T']:.3g} | {', '.join(str(r['count']) for r in ok)}{failed} "
                     f"| {max(r['max_cond_over_cond_T'] for r in ok):.3g} "
                     f"| {max(r['backward_error'] for r in ok):.2g} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arith", choices=("float64", "mp"), default="float64")
    parser.add_argument("--digits", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES),
                        help="names from benchmarks/adversarial.py (gaussian, orthogonal, 'wilkinson growth', ...)")
    parser.add_argument("--splits", type=int, nargs="+", help="only these p (default: those of splits(n))")
    parser.add_argument("--format", choices=("table", "json", "summary"), default="table",
                        help="summary: one line per family and size, the worst split")
    args = parser.parse_args(argv)
    rows = []
    if args.format == "table":
        print(f"Families: {' / '.join(args.families)} (one value each, in that order); {args.arith}.\n")
        print("| n | p | couplings | bound | exact route's bound | max factor cond / cond T | cond T "
              "| backward error | seconds | x one LU |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        matrices = dict(families(n, np.random.default_rng(0)), **{"cond 1e6": graded_singular_values(n)})
        for p in [p for p in splits(n) if args.splits is None or p in args.splits]:
            line = []
            for name in args.families:
                try:
                    line.append(row(name, matrices[name], p, args.arith, args.digits))
                except Exception as e:  # noqa: BLE001  (numerically singular inputs: reported, not measured)
                    line.append({"family": name, "n": n, "p": p, "error": f"{type(e).__name__}: {e}"})
            rows += line
            if args.format == "table":
                ok = [r for r in line if "error" not in r]
                bounds = f"{ok[0]['bound']} | {ok[0]['exact_bound']}" if ok else " | "
                print(f"| {n} | {p} | {joined(line, 'count', 'd')} | {bounds} "
                      f"| {joined(line, 'max_cond_over_cond_T', '.3g')} | {joined(line, 'cond_T', '.3g')} "
                      f"| {joined(line, 'backward_error', '.2g')} | {joined(line, 'seconds', '.3g')} "
                      f"| {joined(line, 'lu_ratio', '.2g')} |", flush=True)
                for r in line:
                    if "error" in r:
                        print(f"({r['family']}, n = {n}, p = {p}: {r['error'][:100]})", flush=True)
    if args.format == "json":
        print(json.dumps(rows, indent=1))
    if args.format == "summary":
        print(summary(rows))


if __name__ == "__main__":
    main()
