"""Time ``factor`` plus the independent exact check, next to one exact inverse.

Random integer matrices with entries in [-9, 9]; for each size it prints the
time to factor, the time to check the certificate, the time of one exact
inverse with python-flint (``fmpq_mat.inv``), their ratio, the number of
factors and the largest bit length of any factor entry next to the input's.

    python benchmarks/bench_factor.py                    # paper method, n = 16..128
    python benchmarks/bench_factor.py --method short --sizes 16 32
    python benchmarks/bench_factor.py --clock cpu        # process time, for a busy machine

``--clock cpu`` times with ``time.process_time`` (this process's CPU time),
which other jobs on a shared machine disturb far less than wall time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.matrices import bit_length  # noqa: E402
from construct.front.factor import METHODS, factor  # noqa: E402
from construct.front.families import sample  # noqa: E402
from proofs.checker import check_certificate  # noqa: E402


def measure(n: int, method: str, mode: str, seed: int, clock=time.perf_counter) -> dict:
    T = sample("integer", random.Random(seed), n // 2, positive=mode == "positive")
    t0 = clock()
    f = factor(T, method=method, mode=mode, seed=seed)
    t1 = clock()
    verdict = check_certificate(f.certificate())
    t2 = clock()
    T.rep.rep.inv()
    t3 = clock()
    assert verdict.ok, verdict.summary
    bits = max((max(bit_length(c.shear), *(int(s.numerator).bit_length() for s in c.scale)) for c in f.word), default=0)
    return {
        "n": n,
        "factor_s": t1 - t0,
        "check_s": t2 - t1,
        "inverse_s": t3 - t2,
        "count": f.count,
        "input_bits": bit_length(T),
        "factor_bits": bits,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=METHODS, default="paper")
    parser.add_argument("--mode", choices=("any", "positive"), default="any")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"method {args.method}, mode {args.mode}, integer entries in [-9, 9], {args.clock} seconds")
    header = f"{'n':>5} {'factor s':>9} {'check s':>8} {'inverse s':>9} {'ratio':>7} {'count':>5} {'in bits':>7} {'max bits':>8}"
    print(header)
    for n in args.sizes:
        r = measure(n, args.method, args.mode, args.seed, clock)
        ratio = (r["factor_s"] + r["check_s"]) / max(r["inverse_s"], 1e-9)
        print(
            f"{n:>5} {r['factor_s']:>9.3f} {r['check_s']:>8.3f} {r['inverse_s']:>9.4f} {ratio:>7.0f} "
            f"{r['count']:>5} {r['input_bits']:>7} {r['factor_bits']:>8}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
