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

from construct.core.arith import Float64
from construct.core.couplings import Word

__all__ = ["coupling_product", "fit_error", "run_fit", "format_fit", "plot_fit"]

MODES = ("any", "positive")


def _layout(n: int, p: int, k: int):
    """Per factor: (offset in theta, sheared rows, shearing columns); lower couplings at even positions.

    A lower coupling changes the last ``n - p`` coordinates using the first
    ``p``, an upper one the first ``p`` using the last ``n - p``; each has
    ``rows x cols`` shear entries and ``rows`` scales.
    """
    top, bottom = np.arange(p), np.arange(p, n)
    layout, offset = [], 0
    for i in range(k):
        rows, cols = (bottom, top) if i % 2 == 0 else (top, bottom)
        layout.append((offset, rows, cols))
        offset += len(rows) * (len(cols) + 1)
    return layout, offset


def _couplings(theta: np.ndarray, n: int, p: int, k: int, mode: str) -> list:
    """The couplings ``(kind, shear, scale)`` of the parameters ``theta``, lower ones first (scales after exp in
    positive mode)."""
    couplings = []
    for i, (offset, rows, cols) in enumerate(_layout(n, p, k)[0]):
        size = len(rows) * len(cols)
        s = theta[offset + size:offset + size + len(rows)]
        couplings.append(("lower" if i % 2 == 0 else "upper", theta[offset:offset + size].reshape(len(rows), len(cols)),
                          np.exp(s) if mode == "positive" else s))
    return couplings


def _factors(theta: np.ndarray, n: int, p: int, k: int, mode: str):
    """Dense factors F_1..F_k (for the Jacobian's products before and after each) and their scale vectors."""
    mats, scales = [], []
    for (_, rows, cols), (_, shear, scale) in zip(_layout(n, p, k)[0], _couplings(theta, n, p, k, mode)):
        F = np.eye(n)
        F[np.ix_(rows, cols)] = shear
        F[rows, rows] = scale
        mats.append(F)
        scales.append(scale)
    return mats, scales


def coupling_product(theta: np.ndarray, d: int, k: int, mode: str = "any", split: int | None = None) -> np.ndarray:
    """The product F_1 ... F_k for the flat parameter vector ``theta``: ``n = 2d``, ``split`` kept (default ``d``)."""
    return _product(np.asarray(theta, float), 2 * d, d if split is None else split, k, mode)


def _product(theta, n, p, k, mode):
    return Word.as_written(n, p, _couplings(theta, n, p, k, mode), Float64()).matrix()


def _prefix_suffix(mats, n):
    k = len(mats)
    left = [np.eye(n)]
    for F in mats:
        left.append(left[-1] @ F)
    right = [np.eye(n)] * (k + 1)
    for i in range(k - 1, -1, -1):
        right[i] = mats[i] @ right[i + 1]
    return left, right  # left[i] = F_1..F_i, right[i] = F_{i+1}..F_k


def _jacobian(theta, n, p, k, mode, pad):
    """d vec(F_1..F_k) / d theta, row-padded with zeros to ``pad`` rows."""
    mats, scales = _factors(theta, n, p, k, mode)
    left, right = _prefix_suffix(mats, n)
    layout, nparam = _layout(n, p, k)
    J = np.zeros((pad, nparam))
    for i, (base, rows, cols) in enumerate(layout):
        Lm, Rm = left[i], right[i + 1]  # product = Lm @ F_i @ Rm
        size = len(rows) * len(cols)
        for r, row in enumerate(rows):  # entries F[row, col] (shear) and F[row, row] (scale)
            a = Lm[:, row]
            for c, col in enumerate(cols):
                J[:n * n, base + r * len(cols) + c] = np.outer(a, Rm[col, :]).ravel()
            scale_col = np.outer(a, Rm[row, :]).ravel()
            if mode == "positive":
                scale_col = scale_col * scales[i][r]
            J[:n * n, base + size + r] = scale_col
    return J


def _initial(n, p, k, mode, rng, det_sign):
    layout, nparam = _layout(n, p, k)
    theta = np.empty(nparam)
    scale_idx = []
    for base, rows, cols in layout:
        size = len(rows) * len(cols)
        theta[base:base + size] = rng.normal(0.0, 0.5, size)
        s = rng.normal(0.0, 0.3, len(rows))
        if mode == "any":
            s = np.exp(s) * rng.choice([-1.0, 1.0], len(rows))
        theta[base + size:base + size + len(rows)] = s
        scale_idx.append(np.arange(base + size, base + size + len(rows)))
    if mode == "any" and det_sign != 0:
        scale_idx = np.concatenate(scale_idx)
        if np.sign(np.prod(theta[scale_idx])) != det_sign:
            theta[scale_idx[rng.integers(len(scale_idx))]] *= -1.0
    return theta


def fit_error(T, k: int, mode: str = "any", rng=None, starts: int = 3, max_nfev: int = 400,
              split: int | None = None) -> float:
    """Best relative error ``||F_1..F_k - T||_F / ||T||_F`` over ``starts`` random starts.

    ``T`` is ``n x n``, ``n >= 2``; lower couplings keep ``split``
    coordinates (default ``n // 2``); the factors alternate, starting
    with a lower coupling.  Uses Levenberg-Marquardt with an analytic Jacobian
    (the residual is zero-padded when there are more parameters than entries,
    as MINPACK requires), at most ``max_nfev`` evaluations per start.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    T = np.asarray(T, dtype=float)
    n = T.shape[0]
    if T.shape != (n, n) or n < 2:
        raise ValueError("T must be square of size at least 2")
    p = n // 2 if split is None else split
    if not 1 <= p <= n - 1:
        raise ValueError(f"split must be from 1 to n - 1, got {p}")
    if k < 1:
        raise ValueError("k must be >= 1")
    rng = np.random.default_rng(rng)
    pad = max(n * n, _layout(n, p, k)[1])
    target = T.ravel()
    norm = np.linalg.norm(target)
    if norm == 0:
        norm = 1.0
    det_sign = int(np.sign(np.linalg.det(T)))

    def resid(theta):
        r = np.zeros(pad)
        r[:n * n] = _product(theta, n, p, k, mode).ravel() - target
        return r

    def jac(theta):
        return _jacobian(theta, n, p, k, mode, pad)

    best = np.inf
    for _ in range(max(1, starts)):
        x0 = _initial(n, p, k, mode, rng, det_sign)
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
            starts: int = 3, progress: Callable[[str], None] | None = None, size: int | None = None,
            split: int | None = None) -> dict:
    """Fit ``trials`` random ``2*dim x 2*dim`` Gaussian matrices for each k in ``layers``.

    ``size`` (any ``n >= 2``) replaces ``2*dim``; lower couplings keep
    ``split`` coordinates (default ``n // 2``).

    In positive mode a matrix with ``det < 0`` has its first row negated (so it is
    reachable at all).  Deterministic in ``seed``: each (k, trial) uses its own
    generator ``default_rng([seed, k, trial])``.
    """
    rows = []
    n = 2 * dim if size is None else size
    p = n // 2 if split is None else split
    for k in layers:
        k = int(k)
        errs = []
        for t in range(trials):
            rng = np.random.default_rng([seed, k, t])
            T = rng.standard_normal((n, n))
            if mode == "positive" and np.linalg.det(T) < 0:
                T[0] *= -1.0
            errs.append(fit_error(T, k, mode, rng, starts=starts, split=p))
        row = {"k": k, "median": float(np.median(errs)), "best": float(np.min(errs)),
               "worst": float(np.max(errs))}
        rows.append(row)
        if progress is not None:
            progress(f"k={k}: median {row['median']:.3e}, best {row['best']:.3e}")
    return {"n": n, "d": n // 2, "split": p, "mode": mode, "trials": trials, "seed": seed, "starts": starts, "rows": rows}


def format_fit(result: dict) -> str:
    """A plain-text table: k, median, best and worst relative error."""
    n = result.get("n", 2 * result["d"])
    head = (f"random {n}x{n} Gaussian T, split {result.get('split', n // 2)}, "
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
    n = result.get("n", 2 * result["d"])
    ax.set_title(f"least-squares fit, n={n}, split {result.get('split', n // 2)}, "
                 f"mode={result['mode']}, trials={result.get('trials', '?')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
