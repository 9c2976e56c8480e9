"""Training flows built from a factorization: maximum likelihood on Gaussian data, next to zuko baselines.

    python benchmarks/flow_training.py [--sizes 16 64] [--rates 1e-3 1e-2] [--schedules constant cosine]
                                       [--steps 500] [--batch 512] [--plot docs/flow_training.png]
                                       [--format table|json]

Data: ``N(0, Sigma)`` with ``Sigma = Q diag(e^u) Q^T`` (``Q`` random
orthogonal, ``u`` uniform in ``[-2, 2]``), 4096 training and 4096 test points.
Every flow maps data to a standard normal latent and is trained in float32
by Adam on the mean negative log-likelihood of batches of ``--batch`` points,
for ``--steps`` steps, at each learning rate, held constant or decayed to 0
along a cosine (``torch.optim.lr_scheduler.CosineAnnealingLR``, the same
for every flow; at a constant rate Adam's steps keep the NLL of a deep
flow above the optimum by a floor that grows with the rate):

* ``native``: ``construct.to_module(W0)``, the native module
  (:mod:`construct.flows.module`);
* ``zuko export``, ``freia export``: ``construct.to_module(W0, library=...)``;
* ``zuko NICE``: ``zuko.flows.NICE(n)`` as zuko builds it (its own initialisation);
* ``zuko LU``: a zuko ``Flow`` of one ``LULinearTransform`` started at ``W0``
  (lower triangular, so its own ``L``; ``U = I``);

where ``W0 = inverse(cholesky(Sigma0))`` whitens a *different* covariance
``Sigma0`` (drawn as ``Sigma``). The optimum is the test NLL of the true
density ``N(0, Sigma)``. Reported per flow: parameters, whether any loss or
parameter became NaN or infinite, the final test NLL (nats per point), its
relative gap to the optimum ``(NLL - optimum) / |optimum|``, and the wall time.
The plot shows the test NLL's gap to the optimum every 25 steps.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import zuko

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import construct  # noqa: E402

POINTS = 4096
EVERY = 25  # steps between test NLL evaluations


def covariance(rng, n: int) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.exp(rng.uniform(-2, 2, n))) @ Q.T


def gaussian_nll(z: torch.Tensor, log_det: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of points whose latent is ``z`` with log-determinant ``log_det``."""
    return (0.5 * z.square().sum(1) + 0.5 * z.shape[1] * math.log(2 * math.pi) - log_det).mean()


def flows(W0: np.ndarray) -> dict:
    """name -> (module, nll(x)) for every flow trained, all float32."""
    n = W0.shape[0]
    native = construct.to_module(W0)
    zuko_export = construct.to_module(W0, library="zuko")
    freia_export = construct.to_module(W0, library="freia")
    nice = zuko.flows.NICE(n)
    lu = zuko.flows.Flow([zuko.flows.UnconditionalTransform(zuko.transforms.LULinearTransform,
                                                            torch.tensor(W0, dtype=torch.float32))],
                         zuko.flows.UnconditionalDistribution(zuko.distributions.DiagNormal, torch.zeros(n),
                                                              torch.ones(n), buffer=True))

    def zuko_nll(flow):
        return lambda x: -flow().log_prob(x).mean()

    return {"native": (native, lambda x: -native.log_prob(x).mean()),
            "zuko export": (zuko_export, zuko_nll(zuko_export)),
            "freia export": (freia_export, lambda x: gaussian_nll(*freia_export(x))),
            "zuko NICE": (nice, zuko_nll(nice)),
            "zuko LU": (lu, zuko_nll(lu))}


def train(module, nll, train_x, test_x, rate: float, schedule: str, steps: int, batch: int, seed: int) -> dict:
    optimizer = torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=rate)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if schedule == "cosine" else None
    generator = torch.Generator().manual_seed(seed)
    curve, blew_up = [], False
    start = time.perf_counter()
    for step in range(steps + 1):
        if step % EVERY == 0 or step == steps:  # the last point is the final NLL, whatever --steps is
            with torch.no_grad():
                curve.append(float(nll(test_x)))
        if step == steps:
            break
        loss = nll(train_x[torch.randint(len(train_x), (batch,), generator=generator)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if decay is not None:
            decay.step()
        if not torch.isfinite(loss) or not all(torch.isfinite(p).all() for p in module.parameters()):
            blew_up = True
            break
    return {"steps": steps, "parameters": sum(p.numel() for p in module.parameters()), "blew_up": blew_up or not math.isfinite(curve[-1]),
            "final": curve[-1], "curve": curve, "seconds": time.perf_counter() - start}


def run(n: int, rates, schedules, steps: int, batch: int) -> list[dict]:
    rng = np.random.default_rng(n)
    Sigma, Sigma0 = covariance(rng, n), covariance(rng, n)
    L = np.linalg.cholesky(Sigma)
    train_x, test_x = (torch.tensor(rng.standard_normal((POINTS, n)) @ L.T, dtype=torch.float32) for _ in range(2))
    W = torch.tensor(np.linalg.inv(L), dtype=torch.float64)
    optimum = float(gaussian_nll(test_x.double() @ W.T, torch.linalg.slogdet(W)[1].expand(POINTS)))
    W0 = np.linalg.inv(np.linalg.cholesky(Sigma0))
    rows = []
    for rate in rates:
        for schedule in schedules:
            torch.manual_seed(0)
            for name, (module, nll) in flows(W0).items():
                result = train(module, nll, train_x, test_x, rate, schedule, steps, batch, seed=1)
                rows.append({"n": n, "rate": rate, "schedule": schedule, "flow": name, "optimum": optimum,
                             "gap": (result["final"] - optimum) / abs(optimum), **result})
    return rows


def plot(rows, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["n"] for r in rows})
    runs = list(dict.fromkeys((r["rate"], r["schedule"]) for r in rows))
    fig, axes = plt.subplots(len(sizes), len(runs), figsize=(4.2 * len(runs), 3.6 * len(sizes)), squeeze=False)
    for (i, n), (j, (rate, schedule)) in ((a, b) for a in enumerate(sizes) for b in enumerate(runs)):
        ax = axes[i][j]
        for r in (r for r in rows if r["n"] == n and (r["rate"], r["schedule"]) == (rate, schedule)):
            gaps = [max(c - r["optimum"], 1e-6) for c in r["curve"]]
            ax.semilogy([min(EVERY * k, r["steps"]) for k in range(len(gaps))], gaps, label=r["flow"] + (" (blew up)" if r["blew_up"] else ""))
        ax.set_title(f"n = {n}, Adam lr {rate:g}, {schedule}")
        ax.set_xlabel("step")
        ax.set_ylabel("test NLL - optimum (nats)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rates", type=float, nargs="+", default=[1e-3, 1e-2])
    parser.add_argument("--schedules", nargs="+", choices=("constant", "cosine"), default=["constant", "cosine"],
                        help="the learning rate held constant, or decayed to 0 along a cosine (default: both)")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--plot", metavar="PNG")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = [row for n in args.sizes for row in run(n, args.rates, args.schedules, args.steps, args.batch)]
    if args.plot:
        plot(rows, args.plot)
    if args.format == "json":
        print(json.dumps([{k: v for k, v in r.items() if k != "curve"} for r in rows], indent=1))
        return 0
    print(f"Adam, {args.steps} steps of batch {args.batch}, float32, one thread; test NLL in nats per point")
    print(f"{'n':>3} {'lr':>6} {'schedule':<8} {'flow':<13} {'params':>7} {'NaN/inf':>7} {'start':>9} {'final':>9} "
          f"{'optimum':>9} {'gap':>9} {'seconds':>7}")
    for r in rows:
        print(f"{r['n']:>3} {r['rate']:>6g} {r['schedule']:<8} {r['flow']:<13} {r['parameters']:>7} {'yes' if r['blew_up'] else 'no':>7} "
              f"{r['curve'][0]:>9.3f} {r['final']:>9.3f} {r['optimum']:>9.3f} {r['gap']:>9.2%} {r['seconds']:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
