"""What a factorization is worth in floating point: per-factor conditioning and the backward error.

For every method and arithmetic: each factor's 2-norm condition number and
largest entry (computed in float64), its largest bit length when exact, and
the relative backward error ``||fl(F_1 ... F_k) - T||_F / ||T||_F`` of the
factors rounded to float64.

>>> from construct.front.factor import factor
>>> from construct.core.matrices import from_rows
>>> s = conditioning(factor(from_rows([[0, 1], [1, 0]]), method="levels"))
>>> s["count"], s["backward_error"], [round(float(f["cond"]), 3) for f in s["factors"]]
(4, 0.0, [2.618, 2.618, 2.618, 1.0])
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph

from construct.core.matrices import bit_length, from_rows
from construct.core.arith import Float64
from construct.core.couplings import Word
from construct.core.numeric import matrix_rows


def _float(x) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def float_factors(word):
    """The factors as ``(kind, shear, scale)`` in float64 (entries too large for float64 become inf)."""
    out = []
    for f in word:
        if isinstance(f.shear, np.ndarray):
            S = f.shear.astype(float)
        else:
            S = np.array([[_float(x) for x in row] for row in matrix_rows(f.shear)], dtype=float).reshape(f.shear.shape)
        out.append((f.kind, S, np.array([_float(s) for s in f.scale], dtype=float)))
    return out


#: Above this size 2-norms are estimated by power iteration instead of an SVD.
EXACT_NORM_SIZE = 1024


def norm2(apply, apply_t, size: int, exact=None) -> float:
    """The 2-norm of an operator: by SVD (``exact()``) up to :data:`EXACT_NORM_SIZE`, else 60 power steps."""
    if exact is not None and size <= EXACT_NORM_SIZE:
        return float(exact())
    x = np.random.default_rng(0).standard_normal(size)
    estimate = 0.0
    for _ in range(60):
        y = apply_t(apply(x))
        estimate = math.sqrt(np.linalg.norm(y))
        if estimate == 0:
            return 0.0
        x = y / np.linalg.norm(y)
    return estimate


def uniform_coupling_condition(s: float, c: float) -> float:
    """2-norm condition number of a coupling ``[[I, 0], [S, c I]]`` (or ``[[c I, S], [0, I]]``) with ``||S||_2 = s``.

    Each singular value ``x`` of ``S`` gives a 2x2 block ``[[1, 0], [x, c]]``
    with singular values ``sigma`` and ``|c| / sigma``, where
    ``sigma^2 = (t + sqrt(t^2 - 4 c^2)) / 2``, ``t = 1 + x^2 + c^2``, largest at
    ``x = s``; unused coordinates give ``1`` and ``|c|``, which lie between.
    So the condition number is ``sigma(s)^2 / |c|``: ``((s + sqrt(s^2 + 4)) / 2)^2``
    at ``c = 1``.

    >>> round(uniform_coupling_condition(1.0, 1.0), 3), round(uniform_coupling_condition(8.0, 8.0), 1)
    (2.618, 16.1)
    """
    if not math.isfinite(s) or not math.isfinite(c) or c == 0:
        return math.inf
    sigma = _largest_singular_value(s, abs(c))
    with np.errstate(over="ignore"):  # a condition number beyond float64 is inf
        return float(sigma * (sigma / abs(c)))


def coupling_condition_bound(s, s_inverse, high, low, x=0, y=0):
    """An upper bound on the condition number of a coupling, exact when its scale is uniform.

    For ``F = [[I, 0], [S, B]]`` with ``B`` diagonal, ``s = ||S||_2``,
    ``s_inverse = ||B^-1 S||_2``, ``high = max |B|``, ``low = min |B|``
    (likewise an upper coupling, whose shear's rows are the scaled half):
    ``F = L(S, high I) diag(I, B / high)`` gives ``||F|| <= sigma(s, high)``
    and ``F^-1 = L(-B^-1 S, B^-1)`` gives ``||F^-1|| <= sigma(s_inverse, 1 / low)``,
    with ``sigma(s, c)`` the largest singular value of a coupling with shear norm
    ``s`` and scale ``c I`` (:func:`uniform_coupling_condition`). When ``B = c I``
    the product is ``sigma(s, c)^2 / c``, the condition number. ``x`` and
    ``y`` (NumPy arrays allowed) multiply the shear by ``2^x`` and the scale
    by ``2^y``.

    >>> float(coupling_condition_bound(8.0, 2.0, 4.0, 4.0)) == uniform_coupling_condition(8.0, 4.0)
    True
    >>> S, scale = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([2.0, 0.5])  # ||B^-1 S|| = 1/2
    >>> round(float(coupling_condition_bound(1.0, 0.5, 2.0, 0.5)), 2), round(coupling_condition("lower", S, scale, 2), 2)
    (4.76, 4.58)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        shear, scale = np.exp2(x), np.exp2(y)
        return _largest_singular_value(s * shear, high * scale) * _largest_singular_value(
            s_inverse * shear / scale, 1 / (low * scale))


def _largest_singular_value(s, c):
    # of [[1, 0], [s, c]] (c >= 0), by the 2x2 formula (hypot(1 + c, s) + hypot(1 - c, s)) / 2: squaring s or c
    # would overflow from 1e154 on (and make inf - inf = NaN), the hypotenuses only when the value itself does
    return (np.hypot(1 + c, s) + np.hypot(1 - c, s)) / 2


def coupling_condition(kind: str, S: np.ndarray, scale: np.ndarray, p: int) -> float:
    """2-norm condition number of one coupling.

    Reordering its coordinates, ``[[diag(b), S], [0, I]]`` becomes ``[[I, 0], [S, diag(b)]]``, and both are
    block diagonal over the connected parts of ``S`` (rows and columns sharing a nonzero), each part a smaller
    coupling; a zero row ``i`` of ``S`` gives the singular value ``|b_i|``, a zero column gives 1. So the
    singular values come from the parts (:func:`_part_extremes`), which for the sparse factors of the levels
    method are small.

    >>> S = np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> M = np.eye(6); M[3:, :3], M[3:, 3:] = S, np.diag([2.0, 0.25, 1.0])
    >>> b = np.array([2.0, 0.25, 1.0])
    >>> [round(float(x), 9) for x in (coupling_condition("lower", S, b, 3), np.linalg.cond(M))]
    [14.809836695, 14.809836695]
    """
    if not np.all(np.isfinite(S)) or not np.all(np.isfinite(scale)):
        return math.inf
    rows, cols = np.nonzero(S)
    r, c = S.shape
    if 0 < len(rows) < S.size:
        graph = scipy.sparse.coo_matrix((np.ones(len(rows)), (rows, r + cols)), shape=(r + c, r + c))
        count, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
        if count > 1:
            parts = [_part_extremes(S[np.ix_(R, C)], scale[R], p) for R, C in (
                (np.flatnonzero(label[:r] == k), np.flatnonzero(label[r:] == k)) for k in range(count))]
            return max(high for high, _ in parts) / min(low for _, low in parts)
    return _whole_condition(kind, S, scale, p)


def _part_extremes(S, scale, p):
    """(largest, smallest) singular value of the coupling [[I, 0], [S, diag(scale)]] (S may have 0 rows or columns)."""
    if S.size == 0:
        values = np.abs(scale) if scale.size else np.ones(1)
        return float(np.max(values)), float(np.min(values))
    c = S.shape[1]
    M = np.eye(sum(S.shape))
    M[c:, :c], M[c:, c:] = S, np.diag(scale)
    sigma = np.linalg.svd(M, compute_uv=False)
    return float(sigma[0]), float(sigma[-1])


def _whole_condition(kind, S, scale, p):
    """The condition number of a coupling taken whole: uniform scales by formula, else SVD or power iteration."""
    if scale.size and np.all(scale == scale[0]):
        s = norm2(lambda x: S @ x, lambda y: S.T @ y, S.shape[1], lambda: np.linalg.norm(S, 2) if S.size else 0.0)
        return uniform_coupling_condition(s, float(scale[0]))
    n = sum(S.shape)
    if n <= EXACT_NORM_SIZE:
        M = np.eye(n)
        if kind == "lower":
            M[p:, :p], M[p:, p:] = S, np.diag(scale)
        else:
            M[:p, :p], M[:p, p:] = np.diag(scale), S
        return float(np.linalg.cond(M))
    # L(S, b) x = (x1, S x1 + b x2) and L(S, b)^-1 = L(-S / b, 1 / b); U likewise with the halves exchanged
    def operator(S, b):
        if kind == "lower":
            return (lambda x: np.concatenate([x[:p], S @ x[:p] + b * x[p:]]),
                    lambda y: np.concatenate([y[:p] + S.T @ y[p:], b * y[p:]]))
        return (lambda x: np.concatenate([b * x[:p] + S @ x[p:], x[p:]]),
                lambda y: np.concatenate([b * y[:p], S.T @ y[:p] + y[p:]]))
    inverse_shear = -S / scale[:, None]
    return norm2(*operator(S, scale), n) * norm2(*operator(inverse_shear, 1 / scale), n)


def matrix_condition(T: np.ndarray) -> float:
    """``cond_2(T)``: by SVD up to :data:`EXACT_NORM_SIZE`, else power iteration on ``T`` and its LU solves."""
    n = T.shape[0]
    if not np.all(np.isfinite(T)):
        return math.inf
    if n <= EXACT_NORM_SIZE:
        return float(np.linalg.cond(T))
    lu = scipy.linalg.lu_factor(T)
    return norm2(lambda x: T @ x, lambda y: T.T @ y, n) * norm2(
        lambda x: scipy.linalg.lu_solve(lu, x), lambda y: scipy.linalg.lu_solve(lu, y, trans=1), n)


def conditioning(f) -> dict:
    """Per-factor condition numbers and largest entries, and the float64 backward error, of a factorization."""
    w = f.word
    n, p = w.n, w.p
    T = np.array([[_float(x) for x in row] for row in f.matrix.to_list()], dtype=float)
    if f.mask is not None:  # the factors act on the coordinates reordered by the mask
        order = [i for i in range(n) if f.mask[i]] + [i for i in range(n) if not f.mask[i]]
        T = T[np.ix_(order, order)]
    factors = float_factors(w)
    rows = []
    for c, (kind, S, scale) in zip(w, factors):
        rows.append({
            "kind": kind,
            "cond": float(coupling_condition(kind, S, scale, p)),
            "max_entry": float(max(np.max(np.abs(S), initial=0.0), np.max(np.abs(scale), initial=0.0))),
            "max_bits": max(bit_length(c.shear), bit_length(from_rows([list(c.scale)]))) if f.tolerance is None else None,
        })
    with np.errstate(all="ignore"):
        P = Word(n, p, factors, arith=Float64()).times(np.eye(n))
        unit = np.ldexp(1.0, np.frexp(np.max(np.abs(T)))[1])  # a power of two: squares of subnormals underflow
        error = float(np.linalg.norm((P - T) / unit) / np.linalg.norm(T / unit))
    return {
        "count": len(w),
        "factors": rows,
        "max_cond": max((r["cond"] for r in rows), default=1.0),
        "max_entry": max((r["max_entry"] for r in rows), default=0.0),
        "max_bits": max((r["max_bits"] or 0 for r in rows), default=0) if f.tolerance is None else None,
        "backward_error": error if math.isfinite(error) else math.inf,
        "cond_T": matrix_condition(T),
        "estimated": n > EXACT_NORM_SIZE,
    }


def format_conditioning(s: dict) -> str:
    """One line per factor and a summary, for the ``factor`` table."""
    exact = s["max_bits"] is not None
    head = f"{'#':>3}  {'kind':<6} {'cond':>9} {'max |entry|':>11}" + (f" {'max bits':>8}" if exact else "")
    lines = [head]
    for i, r in enumerate(s["factors"], 1):
        line = f"{i:>3}  {r['kind']:<6} {r['cond']:>9.3g} {r['max_entry']:>11.3g}"
        lines.append(line + (f" {r['max_bits']:>8}" if exact else ""))
    if s["estimated"]:
        lines.append(f"(condition numbers above {EXACT_NORM_SIZE}x{EXACT_NORM_SIZE} estimated by power iteration)")
    lines.append(
        f"max factor cond {s['max_cond']:.3g} (cond T = {s['cond_T']:.3g}); "
        f"float64 backward error ||prod - T||_F / ||T||_F = {s['backward_error']:.2g}"
    )
    return "\n".join(lines)
