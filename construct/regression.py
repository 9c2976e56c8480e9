"""Numerical experiment: how many coupling layers does a *fit* of a random matrix need?

With ``n = 2d`` and ``d x d`` blocks, a lower coupling is
``L(A, b) = [[I, 0], [A, diag(b)]]`` and an upper coupling is
``U(c, D) = [[diag(c), D], [0, I]]``.  For a random linear map ``T`` (iid
N(0, 1) entries) and a number of layers ``k`` we minimise the squared Frobenius
error ``||F_1 ... F_k - T||_F^2`` over alternating products ``F_1 = L, F_2 = U,
F_3 = L, ...`` with :func:`scipy.optimize.least_squares` (Levenberg-Marquardt
with an analytic Jacobian), keep the best of a few random starts, and report
the relative error ``||F_1 ... F_k - T||_F / ||T||_F``.

Scale modes: ``"any"`` lets the scale entries be free reals (the determinant of
the product is the product of all scales, so the random starts pick scale signs
matching ``sign(det T)``); ``"positive"`` writes every scale as ``exp(s)`` with
``s`` free, so only ``det T > 0`` can be reached.

This is floating-point evidence only, not a proof: a small error says a
numerical fit was found, a large one says the optimiser did not find one.  So
it lives with the (untrusted) builders in ``construct``, not in ``proofs``; the
exact constructions give the counts to compare against, and this module does
not import them.

>>> import numpy as np
>>> T = np.array([[2.0, 1.0], [1.0, 3.0]])
>>> fit_error(T, 4, "positive", np.random.default_rng(0)) < 1e-8
True
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
from scipy.optimize import least_squares

__all__ = ["coupling_product", "fit_error", "run_fit", "format_fit", "plot_fit"]

MODES = ("any", "positive")


def _factors(theta: np.ndarray, d: int, k: int, mode: str):
    """Dense factors F_1..F_k and their raw scale vectors (after exp in positive mode)."""
    per = d * d + d
    n = 2 * d
    mats, scales = [], []
    for i in range(k):
        blk = theta[i * per:(i + 1) * per]
        shear = blk[:d * d].reshape(d, d)
        s = blk[d * d:]
        scale = np.exp(s) if mode == "positive" else s
        F = np.eye(n)
        if i % 2 == 0:  # lower coupling L(A, b)
            F[d:, :d] = shear
            F[d:, d:] = np.diag(scale)
        else:  # upper coupling U(c, D)
            F[:d, :d] = np.diag(scale)
            F[:d, d:] = shear
        mats.append(F)
        scales.append(scale)
    return mats, scales


def coupling_product(theta: np.ndarray, d: int, k: int, mode: str = "any") -> np.ndarray:
    """The product F_1 ... F_k for the flat parameter vector ``theta``."""
    mats, _ = _factors(np.asarray(theta, float), d, k, mode)
    P = np.eye(2 * d)
    for F in mats:
        P = P @ F
    return P


def _prefix_suffix(mats, n):
    k = len(mats)
    left = [np.eye(n)]
    for F in mats:
        left.append(left[-1] @ F)
    right = [np.eye(n)] * (k + 1)
    for i in range(k - 1, -1, -1):
        right[i] = mats[i] @ right[i + 1]
    return left, right  # left[i] = F_1..F_i, right[i] = F_{i+1}..F_k


def _jacobian(theta, d, k, mode, pad):
    """d vec(F_1..F_k) / d theta, row-padded with zeros to ``pad`` rows."""
    n = 2 * d
    mats, scales = _factors(theta, d, k, mode)
    left, right = _prefix_suffix(mats, n)
    per = d * d + d
    J = np.zeros((pad, k * per))
    for i in range(k):
        Lm, Rm = left[i], right[i + 1]  # product = Lm @ F_i @ Rm
        base = i * per
        if i % 2 == 0:  # entries F[d+r, c] (shear) and F[d+r, d+r] (scale)
            rows, shear_cols = d + np.arange(d), np.arange(d)
        else:  # entries F[r, d+c] (shear) and F[r, r] (scale)
            rows, shear_cols = np.arange(d), d + np.arange(d)
        for r in range(d):
            a = Lm[:, rows[r]]
            for c in range(d):
                J[:n * n, base + r * d + c] = np.outer(a, Rm[shear_cols[c], :]).ravel()
            col = np.outer(a, Rm[rows[r], :]).ravel()
            if mode == "positive":
                col = col * scales[i][r]
            J[:n * n, base + d * d + r] = col
    return J


def _initial(d, k, mode, rng, det_sign):
    per = d * d + d
    theta = np.empty(k * per)
    for i in range(k):
        theta[i * per:i * per + d * d] = rng.normal(0.0, 0.5, d * d)
        s = rng.normal(0.0, 0.3, d)
        if mode == "any":
            s = np.exp(s) * rng.choice([-1.0, 1.0], d)
        theta[i * per + d * d:(i + 1) * per] = s
    if mode == "any" and det_sign != 0:
        scale_idx = np.concatenate([np.arange(i * per + d * d, (i + 1) * per) for i in range(k)])
        if np.sign(np.prod(theta[scale_idx])) != det_sign:
            theta[scale_idx[rng.integers(len(scale_idx))]] *= -1.0
    return theta


def fit_error(T, k: int, mode: str = "any", rng=None, starts: int = 3, max_nfev: int = 400) -> float:
    """Best relative error ``||F_1..F_k - T||_F / ||T||_F`` over ``starts`` random starts.

    ``T`` is ``n x n`` with ``n = 2d`` even; the factors alternate, starting
    with a lower coupling.  Uses Levenberg-Marquardt with an analytic Jacobian
    (the residual is zero-padded when there are more parameters than entries,
    as MINPACK requires), at most ``max_nfev`` evaluations per start.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    T = np.asarray(T, dtype=float)
    n = T.shape[0]
    if T.shape != (n, n) or n % 2 or n == 0:
        raise ValueError("T must be square of even size")
    if k < 1:
        raise ValueError("k must be >= 1")
    rng = np.random.default_rng(rng)
    d = n // 2
    nparam = k * (d * d + d)
    pad = max(n * n, nparam)
    target = T.ravel()
    norm = np.linalg.norm(target)
    if norm == 0:
        norm = 1.0
    det_sign = int(np.sign(np.linalg.det(T)))

    def resid(theta):
        r = np.zeros(pad)
        r[:n * n] = coupling_product(theta, d, k, mode).ravel() - target
        return r

    def jac(theta):
        return _jacobian(theta, d, k, mode, pad)

    best = np.inf
    for _ in range(max(1, starts)):
        x0 = _initial(d, k, mode, rng, det_sign)
        with np.errstate(over="ignore", invalid="ignore"):
            sol = least_squares(resid, x0, jac=jac, method="lm", max_nfev=max_nfev,
                                xtol=1e-15, ftol=1e-15, gtol=1e-15)
            err = np.linalg.norm(resid(sol.x)[:n * n]) / norm
        if np.isfinite(err):
            best = min(best, float(err))
        if best < 1e-12:
            break
    return best


def run_fit(dim: int, layers: Iterable[int], trials: int, mode: str = "any", seed: int = 0,
            starts: int = 3, progress: Callable[[str], None] | None = None) -> dict:
    """Fit ``trials`` random ``2*dim x 2*dim`` Gaussian matrices for each k in ``layers``.

    In positive mode a matrix with ``det < 0`` has its first row negated (so it is
    reachable at all).  Deterministic in ``seed``: each (k, trial) uses its own
    generator ``default_rng([seed, k, trial])``.
    """
    rows = []
    n = 2 * dim
    for k in layers:
        k = int(k)
        errs = []
        for t in range(trials):
            rng = np.random.default_rng([seed, k, t])
            T = rng.standard_normal((n, n))
            if mode == "positive" and np.linalg.det(T) < 0:
                T[0] *= -1.0
            errs.append(fit_error(T, k, mode, rng, starts=starts))
        row = {"k": k, "median": float(np.median(errs)), "best": float(np.min(errs)),
               "worst": float(np.max(errs))}
        rows.append(row)
        if progress is not None:
            progress(f"k={k}: median {row['median']:.3e}, best {row['best']:.3e}")
    return {"n": 2 * dim, "d": dim, "mode": mode, "trials": trials, "seed": seed, "starts": starts, "rows": rows}


def format_fit(result: dict) -> str:
    """A plain-text table: k, median, best and worst relative error."""
    head = (f"random {2 * result['d']}x{2 * result['d']} Gaussian T, d={result['d']}, "
            f"mode={result['mode']}, trials={result.get('trials', '?')}")
    lines = [head, f"{'k':>3}  {'median':>10}  {'best':>10}  {'worst':>10}"]
    for r in result["rows"]:
        lines.append(f"{r['k']:>3}  {r['median']:>10.3e}  {r['best']:>10.3e}  {r['worst']:>10.3e}")
    return "\n".join(lines)


def plot_fit(result: dict, path, marks=None) -> None:
    """Log-scale relative error vs k, with dashed lines at exact-construction counts in range."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if marks is None:
        marks = {"short (exact)": 6, "paper (exact)": 47}
    ks = [r["k"] for r in result["rows"]]
    floor = 1e-16
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ks, [max(r["median"], floor) for r in result["rows"]], "o-", label="median")
    ax.plot(ks, [max(r["best"], floor) for r in result["rows"]], "s--", alpha=0.6, label="best")
    ax.fill_between(ks, [max(r["best"], floor) for r in result["rows"]],
                    [max(r["worst"], floor) for r in result["rows"]], alpha=0.15)
    ax.set_yscale("log")
    if ks:
        lo, hi = min(ks), max(ks)
        for i, (name, kk) in enumerate(marks.items()):
            if lo <= kk <= hi:
                ax.axvline(kk, linestyle="--", color=f"C{i + 2}", label=f"{name}: k={kk}")
    ax.set_xlabel("number of coupling layers k")
    ax.set_ylabel("relative Frobenius error")
    ax.set_title(f"least-squares fit, d={result['d']} (n={2 * result['d']}), "
                 f"mode={result['mode']}, trials={result.get('trials', '?')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
