"""Conditioning bought with accuracy: fixed-depth affine-coupling flows with a bounded Jacobian condition number.

The paper proves that affine couplings are universal approximators, but its
construction's Jacobian has a smallest singular value that shrinks with the
accuracy: accuracy is bought with conditioning. This script is an
*experiment about that theorem*, not its construction: it fits flows of
fixed depth (3 affine couplings, the MLP conditioners of
``benchmarks/padding.py``) to a 2-D mixture of four well-separated Gaussians
(centres ``(+-3, +-3)``, standard deviation 0.3) by maximum likelihood plus
a penalty ``WEIGHT * mean(relu(log cond J_f(x) - log kappa)^2)`` on the
training batch, for bounds ``kappa`` from 2 to infinity (no penalty), and
reports the best (over seeds) 2-Wasserstein distance between samples and
held-out points, with the condition numbers actually reached on held-out
points (the penalty is soft, so the measured ones are what counts).

    python benchmarks/conditioning_accuracy.py           # table, docs/conditioning_accuracy.{json,png}
    python benchmarks/conditioning_accuracy.py --quick   # 1 seed, fewer steps

The per-layer log-scales are also soft-clamped at 3 (``Coupling.CLAMP``), so
even "no bound" is a bounded family; the measured condition numbers show
how far each bound was used.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from padding import Flow, jacobian, train_loop, w2  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
WEIGHT = 10.0
BOUNDS = [2.0, 4.0, 10.0, 30.0, 100.0, 1000.0, math.inf]


def mixture(n: int, rng: np.random.Generator) -> np.ndarray:
    """Four Gaussians at ``(+-3, +-3)`` with standard deviation 0.3, equal weights."""
    centres = np.array([[3, 3], [3, -3], [-3, 3], [-3, -3]], dtype=float)
    return centres[rng.integers(0, 4, n)] + 0.3 * rng.standard_normal((n, 2))


def log_cond(flow: Flow, x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """``log cond J_f(x)`` per point, from the 2 x 2 Jacobian's Frobenius norm and determinant."""
    J = jacobian(flow, x, create_graph)
    fro = (J ** 2).sum((1, 2))
    det = (J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]).abs()
    root = torch.sqrt(torch.clamp(fro ** 2 - 4 * det ** 2, min=1e-12))  # finite gradient at J = I
    big, small = (fro + root) / 2, torch.clamp(2 * det ** 2 / (fro + root), min=1e-30)  # squared singular values
    return 0.5 * (torch.log(big) - torch.log(small))


def run(bound: float, seed: int, steps: int, n_test: int) -> dict:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    data = torch.tensor(mixture(20_000, rng), dtype=torch.float32)
    test = mixture(n_test, rng)
    flow = Flow(2, layers=3, hidden=64)

    def loss(batch):
        nll = -flow.log_prob(batch).mean()
        if math.isinf(bound):
            return nll
        excess = torch.relu(log_cond(flow, batch, create_graph=True) - math.log(bound))
        return nll + WEIGHT * excess.pow(2).mean()

    train_loop(flow, data, loss, steps, batch=512, lr=2e-3, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        samples = flow.inverse(torch.randn(n_test, 2, generator=gen)).numpy().astype(np.float64)
    samples = np.nan_to_num(samples, nan=1e3, posinf=1e3, neginf=-1e3)
    conds = np.exp(log_cond(flow, torch.tensor(test, dtype=torch.float32), create_graph=False).detach().numpy())
    return {"bound": bound, "seed": seed, "w2": w2(samples, test),
            "cond_q50_95_max": [float(np.quantile(conds, 0.5)), float(np.quantile(conds, 0.95)), float(conds.max())],
            "samples": samples[:400].round(3).tolist()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 300 steps")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=DOCS / "conditioning_accuracy.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.steps, args.test = 1, 300, 500
    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = [run(b, s, args.steps, args.test) for b in BOUNDS for s in range(args.seeds)]
    floor = w2(mixture(args.test, np.random.default_rng(99)), mixture(args.test, np.random.default_rng(98)))
    best = {b: min((r for r in rows if r["bound"] == b), key=lambda r: r["w2"]) for b in BOUNDS}
    print(f"{'bound':>8} {'best W2':>8} {'cond med':>9} {'cond q95':>9} {'cond max':>9}")
    for b, r in best.items():
        c = r["cond_q50_95_max"]
        print(f"{b:>8g} {r['w2']:>8.3f} {c[0]:>9.3g} {c[1]:>9.3g} {c[2]:>9.3g}")
    print(f"W2 between two samples of the target (floor): {floor:.3f}; {len(rows)} runs of {args.steps} steps, "
          f"{time.perf_counter() - start:.0f} s wall. An experiment about the theorem, not its construction.")
    args.out.write_text(json.dumps({"settings": vars(args) | {"out": args.out.name}, "weight": WEIGHT, "floor": floor,
                                    "runs": rows}, indent=1, default=str))
    figure(best, floor, args.out.with_suffix(".png"))
    return 0


def figure(best: dict, floor: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    finite = [b for b in best if math.isfinite(b)]
    xs = finite + [max(finite) * 10]
    axes[0].plot(xs, [best[b]["w2"] for b in finite] + [best[math.inf]["w2"]], "o-")
    axes[0].axhline(floor, color="gray", ls=":", lw=0.8, label="two target samples")
    axes[0].set_xscale("log")
    axes[0].set_xticks(xs, [f"{b:g}" for b in finite] + ["none"], fontsize=7)
    axes[0].set_xlabel("bound on cond J (penalty)")
    axes[0].set_ylabel("best W2 to held-out points")
    axes[0].legend(fontsize=7)
    axes[0].set_title("accuracy vs conditioning bound, 3 couplings", fontsize=9)
    for ax, b in zip(axes[1:], [finite[0], math.inf]):
        pts = np.array(best[b]["samples"])
        ax.scatter(pts[:, 0], pts[:, 1], s=2)
        ax.set_xlim(-5, 5)
        ax.set_ylim(-5, 5)
        ax.set_title(f"samples, bound {'none' if math.isinf(b) else f'{b:g}'}: W2 {best[b]['w2']:.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
