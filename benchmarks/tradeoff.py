"""The depth-conditioning trade-off of the three methods, measured.

For each method and half size d: the number of couplings, the largest factor
condition number (2-norm, float64), the largest factor entry, the float64
backward error ``||fl(F_1 ... F_k) - T||_F / ||T||_F`` of the factors rounded
to float64, and the time. Exact runs factor an integer matrix (entries in
[-9, 9]) and report the largest bit length of a factor entry next to
``T^-1``'s and the time next to one python-flint inverse; float64 runs
(levels only) factor a Gaussian matrix and report the time next to
``scipy.linalg.lu``.

    python benchmarks/tradeoff.py                 # table, docs/tradeoff.json and docs/tradeoff.png
    python benchmarks/tradeoff.py --sizes 4 8 --exact-max 8

The short and paper methods are exact only and slow beyond d = 16 (minutes
at d = 32); ``--exact-max`` caps the d they run at.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.conditioning import conditioning  # noqa: E402
from construct.core.matrices import bit_length, from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"


def exact_row(method: str, d: int, seed: int) -> dict:
    rng = random.Random(seed)
    n = 2 * d
    T = from_rows([[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)])
    t0 = time.process_time()
    f = factor(T, method=method)
    t1 = time.process_time()
    inverse = T.rep.rep.inv()
    t2 = time.process_time()
    s = conditioning(f)
    inverse_bits = max(max(int(x.p).bit_length(), int(x.q).bit_length()) for x in inverse.entries())
    return {"method": method, "arith": "exact", "d": d, "count": s["count"], "max_cond": s["max_cond"],
            "cond_T": s["cond_T"], "max_entry": s["max_entry"], "backward_error": s["backward_error"],
            "max_bits": s["max_bits"], "inverse_bits": inverse_bits, "seconds": t1 - t0,
            "reference_seconds": t2 - t1, "reference": "flint inverse"}


def float_row(d: int, seed: int) -> dict:
    A = np.random.default_rng(seed).standard_normal((2 * d, 2 * d))
    T = from_rows(A.tolist())
    t0 = time.process_time()
    f = factor(T, method="levels", arith="float64")
    t1 = time.process_time()
    scipy.linalg.lu(A)
    t2 = time.process_time()
    s = conditioning(f)
    return {"method": "levels", "arith": "float64", "d": d, "count": s["count"], "max_cond": s["max_cond"],
            "cond_T": s["cond_T"], "max_entry": s["max_entry"], "backward_error": s["backward_error"],
            "max_bits": None, "inverse_bits": None, "seconds": t1 - t0, "reference_seconds": t2 - t1,
            "reference": "scipy.linalg.lu"}


def format_rows(rows) -> str:
    head = ("| method | arith | d | count | max factor cond | cond T | max entry | backward error "
            "| max bits / T^-1 bits | seconds | x reference |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        bits = f"{r['max_bits']} / {r['inverse_bits']}" if r["max_bits"] is not None else "-"
        ratio = r["seconds"] / max(r["reference_seconds"], 1e-6)
        lines.append(
            f"| {r['method']} | {r['arith']} | {r['d']} | {r['count']} | {r['max_cond']:.3g} | {r['cond_T']:.3g} "
            f"| {r['max_entry']:.3g} | {r['backward_error']:.2g} | {bits} | {r['seconds']:.3g} "
            f"| {ratio:.3g} ({r['reference']}) |"
        )
    return "\n".join(lines)


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for (method, arith), style in {("short", "exact"): "s-", ("paper", "exact"): "^-",
                                   ("levels", "exact"): "o-", ("levels", "float64"): "o--"}.items():
        rs = [r for r in rows if r["method"] == method and r["arith"] == arith]
        if not rs:
            continue
        label = f"{method} ({arith})"
        ds = [r["d"] for r in rs]
        axes[0].plot(ds, [r["count"] for r in rs], style, label=label)
        axes[1].plot(ds, [r["max_cond"] / r["cond_T"] for r in rs], style, label=label)
        axes[2].plot(ds, [max(r["backward_error"], 1e-17) for r in rs], style, label=label)
    axes[0].set(title="couplings", xlabel="d (n = 2d)", xscale="log")
    axes[1].set(title="max factor cond / cond T", xlabel="d", xscale="log", yscale="log")
    axes[2].set(title="float64 backward error", xlabel="d", xscale="log", yscale="log")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[4, 8, 16, 32, 64, 128, 256], help="half sizes d")
    parser.add_argument("--exact-max", type=int, default=16, help="largest d for the exact short and paper methods")
    parser.add_argument("--levels-exact-max", type=int, default=64, help="largest d for the exact levels method")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DOCS, help="directory for tradeoff.json and tradeoff.png")
    args = parser.parse_args(argv)
    rows = []
    for d in args.sizes:
        for method in ("short", "paper", "levels"):
            limit = args.levels_exact_max if method == "levels" else args.exact_max
            if d <= limit:
                rows.append(exact_row(method, d, args.seed))
                print(format_rows(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        rows.append(float_row(d, args.seed))
        print(format_rows(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(format_rows(rows))
    args.out.mkdir(exist_ok=True)
    (args.out / "tradeoff.json").write_text(json.dumps(rows, indent=1) + "\n")
    plot(rows, args.out / "tradeoff.png")
    print(f"\nwritten: {args.out / 'tradeoff.json'}, {args.out / 'tradeoff.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
