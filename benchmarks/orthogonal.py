"""Random orthogonal matrices, the hard case for LU levels: the levels method in float64 (rotation levels).

    python benchmarks/orthogonal.py [--sizes 64 128 256 512] [--seeds 3] [--arith mp --digits 30]

For each size and seed (``scipy.stats.ortho_group``): couplings against the
claimed bound, the halvings spent, the largest factor condition number
(``cond T = 1``, so the goal ``10 cond T`` is 10), the float64 backward error
and the process time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.conditioning import conditioning  # noqa: E402
from construct.core.matrices import from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.methods.levels import levels_bound  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 128, 256, 512])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1 .. SEEDS per size")
    parser.add_argument("--arith", choices=["float64", "mp"], default="float64")
    parser.add_argument("--digits", type=int, default=30, help="significant digits for --arith mp")
    args = parser.parse_args(argv)
    print("| n | seed | couplings / bound | halving | max factor cond | backward error | seconds |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for seed in range(1, args.seeds + 1):
            Q = scipy.stats.ortho_group.rvs(n, random_state=seed)
            start = time.process_time()
            f = factor(from_rows(Q.tolist()), method="levels", arith=args.arith, digits=args.digits)
            seconds = time.process_time() - start
            s = conditioning(f)
            print(f"| {n} | {seed} | {f.count} / {levels_bound(n)} | {f.stages['halving']} | {s['max_cond']:.3g} "
                  f"| {s['backward_error']:.2g} | {seconds:.3g} |", flush=True)


if __name__ == "__main__":
    main()
