"""The depth-conditioning frontier of linear maps, measured: with k couplings, how well conditioned can the factors be?

For Gaussian and orthogonal ``T`` of size ``n = 2d`` (split ``d``) and every
number of couplings ``k`` from 4 (the least for a generic ``T``) to the
levels method's count (optimised at ``--ks``, 4, 5, 6, 8 by default, for
``n <= 8``, at ``--ks-above-8``, 4, 5 and 6, up to ``--optimise-max``, 16;
at every construction's count), the smallest *largest factor condition number*
(2-norm) found, as a ratio to ``cond T``, by

* the constructions: ``short`` and ``paper`` (exact, on ``T`` rounded to
  multiples of ``2^-8``; only up to ``--exact-max``, they are slow beyond),
  ``levels`` exact and ``levels`` float64 (the float64 word's product
  misses ``T`` by about ``1e-15``);
* optimisation: ``k`` couplings ``F_1 ... F_k`` (kinds alternating,
  shears and scales free, float64, torch) minimising
  ``||F_1 ... F_k - T||_F^2 / ||T||_F^2 + mu * smoothmax_i log cond F_i``
  by L-BFGS while ``mu`` goes down from ``1e-2`` to ``1e-7``, then the
  residual alone with a penalty keeping every ``log cond F_i`` under the
  largest one reached. Starts: every construction word with at most ``k``
  factors, padded with identity couplings (a feasible start), and
  ``--starts`` random ones. A result counts only if
  ``max |F_1 ... F_k - T| / max |T| <= 1e-8`` (the project's default
  ``--max-relative-error``).

A product of ``k' < k`` couplings is one of ``k`` (pad with identities,
condition number 1), so the frontier reported is the best over ``k' <= k``;
the JSON keeps the raw per-``k`` values. This is a measured frontier (an
upper bound on the true one, from finitely many starts), not a theorem.

    python benchmarks/frontier.py                  # table, docs/frontier.json and docs/frontier.png
    python benchmarks/frontier.py --sizes 4 8 --samples 1 --ks 4 5 6   # a minute or two of CPU
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.optimize
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct.core.conditioning import conditioning, float_factors  # noqa: E402
from construct.core.matrices import from_rows  # noqa: E402
from construct.front.factor import factor  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
GOAL = 1e-8  # relative residual a word must meet to count
START_COND = 1e8  # constructions worse than this are no useful start
CLIP = 1e6  # the figure draws larger ratios (short and paper beyond n = 4) at this height
MUS = [1e-2, 1e-4, 0.0]


def sample(family: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """A Gaussian or Haar-orthogonal ``n x n`` matrix, rounded to multiples of ``2^-8`` (exact builders take it)."""
    A = rng.standard_normal((n, n))
    if family == "orthogonal":
        Q, R = np.linalg.qr(A)
        A = Q * np.sign(np.diag(R))
    return np.round(A * 256) / 256


# ---------------------------------------------------------------- couplings in torch


def coupling_matrix(kind: str, shear: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``[[I, 0], [S, diag(b)]]`` (lower) or ``[[diag(c), S], [0, I]]`` (upper), the project's convention."""
    d = scale.shape[0]
    eye, zero = torch.eye(d, dtype=shear.dtype), torch.zeros(d, d, dtype=shear.dtype)
    if kind == "lower":
        return torch.cat([torch.cat([eye, zero], 1), torch.cat([shear, torch.diag(scale)], 1)], 0)
    return torch.cat([torch.cat([torch.diag(scale), shear], 1), torch.cat([zero, eye], 1)], 0)


def word_terms(kinds, shears, scales):
    """The product ``F_1 ... F_k`` and each factor's ``log cond``."""
    mats = [coupling_matrix(k, s, c) for k, s, c in zip(kinds, shears, scales)]
    product = mats[0]
    for m in mats[1:]:
        product = product @ m
    sv = torch.linalg.svdvals(torch.stack(mats))
    return product, torch.log(sv[:, 0]) - torch.log(sv[:, -1])


def relative_residual(product: torch.Tensor, T: torch.Tensor) -> float:
    return float((product - T).abs().max() / T.abs().max())


def optimise(T: np.ndarray, kinds, shears, scales, evaluations: int) -> tuple[list[float], float]:
    """``(every factor's cond, relative residual)`` after the penalised least-squares continuation.

    Residuals ``(F_1 ... F_k - T) / ||T||_F`` and ``sqrt(mu) log cond F_i``,
    minimised by SciPy's trust-region least squares (Jacobian by torch) for
    ``mu`` in :data:`MUS`; the last stage (``mu = 0``) moves to a product
    equal to ``T`` near the well-conditioned point the others found.
    """
    k, d = len(kinds), T.shape[0] // 2
    Tt = torch.tensor(T)
    norm = float(torch.linalg.norm(Tt))

    def unpack(theta):
        return theta[:k * d * d].reshape(k, d, d), theta[k * d * d:].reshape(k, d)

    def residuals(theta, mu):
        product, logc = word_terms(kinds, *unpack(theta))
        return torch.cat([((product - Tt) / norm).reshape(-1), math.sqrt(mu) * logc])

    theta = np.concatenate([np.array(shears).ravel(), np.array(scales).ravel()])
    for mu in MUS:
        fun = lambda x: residuals(torch.tensor(x), mu).numpy()  # noqa: E731
        jac = lambda x: torch.func.jacrev(lambda t: residuals(t, mu))(torch.tensor(x)).numpy()  # noqa: E731
        try:
            theta = scipy.optimize.least_squares(fun, theta, jac=jac, method="trf", max_nfev=evaluations,
                                                 xtol=1e-15, ftol=1e-15, gtol=1e-15).x
        except (ValueError, np.linalg.LinAlgError, RuntimeError):  # a non-finite point or an SVD that failed
            return [math.inf], math.inf
    with torch.no_grad():
        product, logc = word_terms(kinds, *unpack(torch.tensor(theta)))
    if not torch.isfinite(logc).all():
        return [math.inf], math.inf
    return torch.exp(logc).tolist(), relative_residual(product, Tt)


def padded_start(word_factors, k: int):
    """A construction's factors padded to ``k`` with identity couplings (kinds alternating after its last)."""
    kinds = [kind for kind, _, _ in word_factors]
    shears = [S for _, S, _ in word_factors]
    scales = [c for _, _, c in word_factors]
    d = len(scales[0])
    while len(kinds) < k:
        kinds.append("upper" if kinds[-1] == "lower" else "lower")
        shears.append(np.zeros((d, d)))
        scales.append(np.ones(d))
    return kinds, shears, scales


def random_start(d: int, k: int, rng: np.random.Generator):
    kinds = ["lower" if i % 2 == 0 else "upper" for i in range(k)]
    shears = [rng.standard_normal((d, d)) / math.sqrt(d) for _ in range(k)]
    scales = [1 + 0.1 * rng.standard_normal(d) for _ in range(k)]
    return kinds, shears, scales


# ---------------------------------------------------------------- one matrix


def constructions(T: np.ndarray, exact_max: int) -> list[dict]:
    """Every construction's word: method, count, largest factor cond, factors in float64."""
    n = T.shape[0]
    out = []
    exact = from_rows([[Fraction(x) for x in row] for row in T.tolist()])
    runs = [("levels", "exact"), ("levels", "float64")]
    if n <= exact_max:
        runs += [("short", "exact"), ("paper", "exact")]
    for method, arith in runs:
        f = factor(exact if arith == "exact" else from_rows(T.tolist()), method=method, arith=arith)
        c = conditioning(f)
        name = method if arith == "exact" else "levels-float64"
        out.append({"method": name, "count": c["count"], "max_cond": c["max_cond"],
                    "backward_error": c["backward_error"], "factors": float_factors(f.word)})
    return out


def frontier_for(T: np.ndarray, ks: list[int], starts: int, exact_max: int, evaluations: int, rng) -> dict:
    """Per ``k``: the best largest factor cond of the optimised words and of the constructions with ``k`` couplings."""
    d = T.shape[0] // 2
    built = constructions(T, exact_max)
    per_k, optimised, factor_conds = {}, {}, {}
    for k in ks:
        best = math.inf
        candidates = [padded_start(b["factors"], k) for b in built if b["count"] <= k and b["max_cond"] < START_COND]
        candidates += [random_start(d, k, rng) for _ in range(starts)]
        for kinds, shears, scales in candidates:
            conds, residual = optimise(T, kinds, shears, scales, evaluations)
            if residual <= GOAL and max(conds) < best:
                best, factor_conds[k] = max(conds), conds
        optimised[k] = best
    for b in built:  # a construction is a point of the frontier as it is
        per_k[b["count"]] = min(per_k.get(b["count"], math.inf), b["max_cond"])
    for k, v in optimised.items():
        per_k[k] = min(per_k.get(k, math.inf), v)
    return {"cond_T": float(np.linalg.cond(T)), "per_k": dict(sorted(per_k.items())), "optimised": optimised,
            "factor_conds": factor_conds,
            "constructions": [{key: b[key] for key in ("method", "count", "max_cond", "backward_error")}
                              for b in built]}


# ---------------------------------------------------------------- report


def frontier_at(per_k: dict, k: int) -> float:
    """The best over ``k' <= k``: a shorter word padded with identity couplings is a longer one."""
    return min((v for kk, v in per_k.items() if int(kk) <= k), default=math.inf)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--samples", type=int, default=2, help="matrices per family and size")
    parser.add_argument("--starts", type=int, default=2, help="random starts per k (besides the constructions)")
    parser.add_argument("--evaluations", type=int, default=40, help="least-squares evaluations per stage")
    parser.add_argument("--ks", type=int, nargs="+", default=[4, 5, 6, 8], help="k to optimise for n <= 8")
    parser.add_argument("--ks-above-8", type=int, nargs="+", default=[4, 5, 6], help="k to optimise for 8 < n")
    parser.add_argument("--optimise-max", type=int, default=16, help="largest n optimised (constructions only above)")
    parser.add_argument("--exact-max", type=int, default=16, help="largest n for short and paper (exact, slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DOCS / "frontier.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)  # here, not at import: importing the module changes nothing
    rng = np.random.default_rng(args.seed)
    results = []
    start = time.perf_counter()
    for family in ("gaussian", "orthogonal"):
        for n in args.sizes:
            ks = [] if n > args.optimise_max else args.ks if n <= 8 else args.ks_above_8
            for i in range(args.samples):
                T = sample(family, n, rng)
                r = frontier_for(T, ks, args.starts, args.exact_max, args.evaluations, rng)
                r.update(family=family, n=n, sample=i)
                results.append(r)
                print(f"{family} n={n} #{i}: cond T {r['cond_T']:.3g}, {time.perf_counter() - start:.0f} s",
                      file=sys.stderr)
    print(table(results))
    print(f"{time.perf_counter() - start:.0f} s wall; ratio = best largest factor cond / cond T over the samples "
          f"(worst sample); a word counts if its product is T to {GOAL:g} relative; a measured frontier, not a theorem")
    args.out.write_text(json.dumps({"settings": vars(args) | {"out": args.out.name}, "results": results},
                                   indent=1, default=str))
    figure(results, args.out.with_suffix(".png"))
    return 0


def worst_ratio(group: list[dict], k: int) -> float:
    """The largest (over the samples) ratio ``frontier(k) / cond T``."""
    return max(frontier_at(r["per_k"], k) / r["cond_T"] for r in group)


def group_ks(group: list[dict]) -> list[int]:
    return sorted({int(k) for r in group for k in r["per_k"]})


def table(results: list[dict]) -> str:
    lines = []
    for family in ("gaussian", "orthogonal"):
        for n in sorted({r["n"] for r in results}):
            group = [r for r in results if r["family"] == family and r["n"] == n]
            if not group:
                continue
            ks = group_ks(group)
            lines.append(f"{family} n={n} ({len(group)} samples, cond T {min(r['cond_T'] for r in group):.3g}"
                         f"..{max(r['cond_T'] for r in group):.3g})")
            lines.append("  k      " + " ".join(f"{k:>8}" for k in ks))
            lines.append("  ratio  " + " ".join(f"{worst_ratio(group, k):>8.3g}".replace("inf", "  -") for k in ks))
            for method in [c["method"] for c in group[0]["constructions"]]:
                rows = [next(c for c in r["constructions"] if c["method"] == method) for r in group]
                lines.append(f"  {method:<15} count {max(c['count'] for c in rows):>3}, largest cond / cond T "
                             f"{max(c['max_cond'] / r['cond_T'] for c, r in zip(rows, group)):.3g}")
    return "\n".join(lines)


def figure(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    markers = {"short": "s", "paper": "^", "levels": "o", "levels-float64": "D"}
    for ax, family in zip(axes, ("gaussian", "orthogonal")):
        for j, n in enumerate(sorted({r["n"] for r in results})):
            group = [r for r in results if r["family"] == family and r["n"] == n]
            if not group:
                continue
            ks = [k for k in group_ks(group) if math.isfinite(worst_ratio(group, k))]  # every sample has a word
            ax.plot(ks, [min(worst_ratio(group, k), CLIP) for k in ks], "-", color=f"C{j}", label=f"n = {n} (frontier)")
            for method, marker in markers.items():
                rows = [(c, r) for r in group for c in r["constructions"] if c["method"] == method]
                if rows:
                    ax.scatter([c["count"] for c, _ in rows], [min(c["max_cond"] / r["cond_T"], CLIP) for c, r in rows],
                               marker=marker, color=f"C{j}", s=28, facecolors="none")
        ax.set_yscale("log")
        ax.axhline(10, color="gray", lw=0.6, ls=":")
        ax.set_xlabel("k (couplings)")
        ax.set_title(f"{family} T")
        ax.set_ylim(None, CLIP * 3)
    axes[0].set_ylabel("largest factor cond / cond T")
    handles = [plt.Line2D([], [], marker=m, ls="", color="k", markerfacecolor="none", label=name)
               for name, m in markers.items()]
    axes[1].legend(handles=axes[0].get_legend_handles_labels()[0] + handles, fontsize=7, loc="center right")
    fig.suptitle(f"Measured depth-conditioning frontier (worst over samples; dotted: 10 cond T; "
                 f"values above {CLIP:g} drawn at {CLIP:g})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
