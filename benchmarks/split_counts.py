"""Counts for every size and split against the proved bound and the parameter count (the count table of docs/methods.md).

    python benchmarks/split_counts.py [--samples 6] [--jobs N | --scheduler ADDRESS]

For each (n, p) below: every family of ``couplings bounds`` (odd sizes as
invertible minors, ``construct/front/sweep.py``), ``--samples`` matrices each,
both modes, factored with the short method and checked by the independent
checker; prints one Markdown row per (n, p): the number of clearing steps
``k``, the largest count measured in each mode, the bounds proved for the
three methods (any mode; short: :func:`~construct.methods.splits.split_bound` with
``short=True``, 8 for odd ``n`` and ``|n - 2p| = 1``) and the
parameter-count lower bound.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.front.families import FAMILIES  # noqa: E402
from construct.front.sweep import proved_bound, sweep  # noqa: E402
from construct.methods.splits import parameter_lower_bound, peels  # noqa: E402

CASES = [(4, 2), (3, 1), (5, 2), (7, 3), (9, 4), (8, 3), (6, 4), (9, 2), (6, 1), (8, 1), (9, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes, as for couplings bounds")
    parser.add_argument("--scheduler", help="the Dask cluster at this address (one sweep for each (n, p))")
    args = parser.parse_args()
    engine = {"jobs": args.jobs, "scheduler": args.scheduler}
    print("| n | p | steps k | short, any: max / bound | short, positive: max / bound "
          "| paper bound | levels bound | parameter count |")
    print("|---|---|---|---|---|---|---|---|")
    for n, p in CASES:
        rows = sweep(list(FAMILIES), [n], ["short"], ["any", "positive"], args.samples, seed=1, split=p, **engine)
        assert not any(r["failures"] for r in rows), [r["failures"] for r in rows]
        most = {mode: max(r["max"] for r in rows if r["mode"] == mode) for mode in ("any", "positive")}
        short = proved_bound(n, p, "short")
        assert max(most.values()) <= short
        print(f"| {n} | {p} | {peels(n, p)} | {most['any']} / {short} | {most['positive']} / {short} "
              f"| {proved_bound(n, p, 'paper')} | {proved_bound(n, p, 'levels')} "
              f"| {parameter_lower_bound(n, p)} |")


if __name__ == "__main__":
    main()
