"""Speed of the native coupling flow: forward + log-determinant against its bare matmuls and one dense matmul.

    python benchmarks/flow_module_speed.py [--sizes 64 256] [--batch 4096] [--repeats 20] [--exports]
                                           [--format table|json]

For each size ``n`` a Gaussian matrix is factored (``construct.factor_array``,
levels, float64) and turned into a :class:`~construct.flows.module.LinearCouplingFlow`
(``construct.to_module``). On one thread (``torch.set_num_threads(1)``), in
float32 and float64, with a batch of ``(batch, n)`` standard normal points
and no autograd, the least of ``repeats`` wall times of:

* ``module``: ``flow(x)``, i.e. ``T x`` and ``log|det T|``;
* ``matmuls``: the bare sequence of its layers' matmuls, ``z_changed = z_kept @ S.T``
  for each shear ``S`` in turn on the same halves (no scales, no reordering,
  no log-determinant): what no implementation of these couplings can skip;
* ``dense``: one ``x @ T.T``;
* with ``--exports``, the same map and log-determinant as the zuko and FrEIA
  exports compute them (``construct.to_module(..., library=...)``).

The table gives the times and the ratios module / matmuls (target: at most
1.5, issue 21) and module / dense.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import construct  # noqa: E402


def least_times(runs: dict, repeats: int) -> dict:
    """The least wall time of each run over ``repeats`` rounds; the runs take turns, so load on the machine hits all."""
    for run in runs.values():
        run()  # warm-up
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def bare_matmuls(flow, x):
    """The shear products of ``flow``'s couplings alone, in order, on the halves of ``x``."""
    z1, z2 = x[:, :flow.split], x[:, flow.split:]
    for lower, S in zip(flow._lower, flow.shears):
        if lower:
            z2 = z1 @ S.T
        else:
            z1 = z2 @ S.T
    return z1, z2


def export_runs(f, dtype, x) -> dict:
    """The zuko and FrEIA exports' forward + log-determinant on ``x``."""
    zuko_flow = construct.to_module(f, library="zuko", dtype=dtype)
    freia_flow = construct.to_module(f, library="freia", dtype=dtype)
    return {"zuko": lambda: zuko_flow().transform.call_and_ladj(x), "freia": lambda: freia_flow(x)}


def measure(n: int, batch: int, repeats: int, exports: bool) -> list[dict]:
    T = np.random.default_rng(n).standard_normal((n, n))
    f = construct.factor_array(T)
    rows = []
    for dtype in (torch.float32, torch.float64):
        flow = construct.to_module(f, dtype=dtype)
        x = torch.randn(batch, n, dtype=dtype, generator=torch.Generator().manual_seed(0))
        dense = torch.from_numpy(T).to(dtype)
        with torch.no_grad():
            times = least_times({"module": lambda: flow(x), "matmuls": lambda: bare_matmuls(flow, x),
                                 "dense": lambda: x @ dense.T, **(export_runs(f, dtype, x) if exports else {})},
                                repeats)
        rows.append({"n": n, "dtype": str(dtype).removeprefix("torch."), "couplings": f.count, "batch": batch,
                     **{f"{k}_ms": 1e3 * v for k, v in times.items()},
                     "module_over_matmuls": times["module"] / times["matmuls"],
                     "module_over_dense": times["module"] / times["dense"],
                     **{f"{k}_over_dense": times[k] / times["dense"] for k in ("zuko", "freia") if k in times}})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--exports", action="store_true", help="time the zuko and FrEIA exports too")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = [row for n in args.sizes for row in measure(n, args.batch, args.repeats, args.exports)]
    if args.format == "json":
        print(json.dumps(rows, indent=1))
        return 0
    print(f"one thread, batch {args.batch}, least of {args.repeats}; forward + log|det| of the native module")
    print(f"{'n':>5} {'dtype':>8} {'couplings':>9} {'module ms':>10} {'matmuls ms':>11} {'dense ms':>9} "
          f"{'/ matmuls':>10} {'/ dense':>8}" + (f" {'zuko/dense':>10} {'freia/dense':>11}" if args.exports else ""))
    for r in rows:
        print(f"{r['n']:>5} {r['dtype']:>8} {r['couplings']:>9} {r['module_ms']:>10.2f} {r['matmuls_ms']:>11.2f} "
              f"{r['dense_ms']:>9.2f} {r['module_over_matmuls']:>10.2f} {r['module_over_dense']:>8.2f}"
              + (f" {r['zuko_over_dense']:>10.1f} {r['freia_over_dense']:>11.1f}" if args.exports else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
