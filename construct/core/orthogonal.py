"""The orthogonal decompositions behind rotation levels: block LQ and cosine-sine (CS) splits, per arithmetic.

:mod:`construct.methods.rotations` needs, for an invertible ``M`` split after
``a`` coordinates, ``M = diag(W_A, W_B) L(X1) U(Y) L(X2)`` with shears of
norm about 1 (:func:`level_shears`; the derivation is in that module's
docstring and ``docs/theory.md``, "The levels method", section 7). The
arithmetics of :mod:`construct.core.arith` offer it as
``rotation_level_shears``: float64 by LAPACK (:func:`level_shears`, QR and
:func:`scipy.linalg.cossin`), mpmath by Newton's polar iteration in
python-flint balls at the working precision (:func:`ball_level_shears`), and
exact rationals not at all (square roots).
"""

from __future__ import annotations

from contextlib import contextmanager

import math

import flint
import numpy as np
import scipy.linalg


def rotation_shears(M: np.ndarray, a: int):
    """``(X, Y, W_A, W_B)`` with ``M = diag(W_A, W_B) L(X) U(Y) L(X)`` for an orthogonal ``M`` split after ``a``.

    ``||X||, ||Y|| <= 1`` and ``W_A``, ``W_B`` are orthogonal (up to rounding).
    Raises ValueError if LAPACK's ``R`` is not laid out as documented.

    >>> c, s = np.cos(2.0), np.sin(2.0)
    >>> X, Y, WA, WB = rotation_shears(np.array([[c, -s], [s, c]]), 1)
    >>> L, U = np.array([[1, 0], [X[0, 0], 1]]), np.array([[1, Y[0, 0]], [0, 1]])
    >>> bool(np.allclose(np.diag([WA[0, 0], WB[0, 0]]) @ L @ U @ L, [[c, -s], [s, c]])), bool(abs(X[0, 0]) <= 1)
    (True, True)
    """
    U, R, V = scipy.linalg.cossin(M, p=a, q=a)
    UA, UB, VA, VB = U[:a, :a], U[a:, a:], V[:a, :a], V[a:, a:]
    cosines = np.diag(R[:a, :a])
    XR, YR = R[a:, :a] / (1 + cosines)[None, :], R[:a, a:]
    # R = L(XR) U(YR) L(XR) holds for the layout LAPACK documents (cosines >= 0, each pair rotated once)
    if not (np.all(cosines >= 0) and np.allclose(_triple(XR, YR), R, atol=1e-12)):
        raise ValueError("unexpected layout of the CS decomposition")
    return VB.T @ XR @ VA, VA.T @ YR @ VB, UA @ VA, UB @ VB


def polar_rotation_shears(M: flint.arb_mat, a: int, bits: int):
    """:func:`rotation_shears` at ``bits`` bits of precision, from polar decompositions instead of LAPACK's CS
    decomposition; python-flint ball matrices, of which only the midpoints are kept.

    With ``W_A``, ``W_B`` the orthogonal polar factors of ``M[A, A]`` and
    ``M[B, B]``, ``R = diag(W_A, W_B)^T M`` is orthogonal with symmetric
    positive definite diagonal blocks: the ``R`` of the CS decomposition seen
    in the basis ``V``, so ``X = R[B, A] (I + R[A, A])^-1`` and ``Y = R[A, B]``.
    A singular diagonal block (an angle of exactly ``pi/2``) raises
    ZeroDivisionError; a result that does not reassemble ``R`` ValueError.
    """
    M11, M12, M21, M22 = _blocks(M, a)
    WA, WB = _polar(M11, bits), _polar(M22, bits)
    RAA, RAB, RBA = WA.transpose() * M11, WA.transpose() * M12, WB.transpose() * M21
    X = (_identity(a) + RAA).transpose().solve(RBA.transpose()).transpose().mid()
    R = _join(RAA, RAB, RBA, WB.transpose() * M22)
    triple = _join(_identity(a), RAB, X, _identity(M.nrows() - a) + X * RAB) * _join(
        _identity(a), _zeros(a, M.nrows() - a), X, _identity(M.nrows() - a))
    if _largest(triple - R) > _power_of_two(-bits // 2):
        raise ValueError("the polar factors do not give the rotation")
    return X, RAB.mid(), WA, WB


def _polar(X: flint.arb_mat, bits: int) -> flint.arb_mat:
    """The polar factor (orthonormal columns) of a full-rank ``X`` with at least as many rows as columns:
    Newton's iteration ``X <- (g X + X (X^T X)^-1 / g) / 2``, scaled by ``g`` while far from converged
    (Higham, *Functions of Matrices*, 8.6)."""
    for _ in range(100):
        Z = X * (X.transpose() * X).inv()
        g = math.sqrt(float(_frobenius(Z) / _frobenius(X)))
        scale = flint.arb(g) if abs(g - 1) > 0.01 else flint.arb(1)
        following = ((X * scale + Z / scale) / 2).mid()
        change, X = _frobenius(following - X), following
        if change <= _power_of_two(-bits // 2) * _frobenius(X):  # one more step: quadratic convergence
            return ((X + X * (X.transpose() * X).inv()) / 2).mid()
    raise ValueError("the polar iteration did not converge")


# Sizes are compared as exact points (midpoints, radius 0), never as floats: at more than 2148 bits
# of working precision 2^(-bits/2) underflows in float64 and the iteration would stop early.
def _frobenius(X) -> flint.arb:
    return (X.transpose() * X).trace().mid().sqrt().mid()


def _largest(X) -> flint.arb:
    return max(abs(x.mid()) for x in X.entries())


def _power_of_two(k: int) -> flint.arb:
    return flint.arb(2) ** k


def _blocks(M, a):
    rows = M.tolist()
    return (flint.arb_mat([r[:a] for r in rows[:a]]), flint.arb_mat([r[a:] for r in rows[:a]]),
            flint.arb_mat([r[:a] for r in rows[a:]]), flint.arb_mat([r[a:] for r in rows[a:]]))


def _join(A, B, C, D):
    """``[[A, B], [C, D]]``."""
    top, bottom = zip(A.tolist(), B.tolist()), zip(C.tolist(), D.tolist())
    return flint.arb_mat([r + s for r, s in top] + [r + s for r, s in bottom])


def _identity(n):
    return flint.arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def _zeros(r, c):
    return flint.arb_mat(r, c)


@contextmanager
def ball_precision(bits: int):
    """python-flint's working precision set to ``bits`` inside the block, restored after it."""
    saved, flint.ctx.prec = flint.ctx.prec, bits
    try:
        yield
    finally:
        flint.ctx.prec = saved


def to_arb(A) -> flint.arb_mat:
    """An object array of mpmath numbers as a python-flint ball matrix, exactly (the working precision holds them)."""
    def exact(x):
        sign, man, exp, _ = x._mpf_  # (-1)^sign man 2^exp: mpmath's representation
        man = -int(man) if sign else int(man)
        return flint.arb(flint.fmpq(man << exp, 1) if exp >= 0 else flint.fmpq(man, 1 << -exp))
    return flint.arb_mat([[exact(x) for x in row] for row in A])


def to_mp(B: flint.arb_mat, arith):
    """The midpoints of a ball matrix as an object array of mpmath numbers (rounded to the working precision)."""
    mpf = arith.ctx.mpf
    return np.array([[mpf(tuple(int(v) for v in x.mid().man_exp())) for x in row] for row in B.tolist()],
                    dtype=object)


def ball_level_shears(M, a, arith):
    """:func:`level_shears` for :class:`~construct.core.arith.MP` ``arith``: block LQ by polar factors, then
    :func:`polar_rotation_shears`, in python-flint balls at the working precision plus 32 guard bits."""
    bits = arith.ctx.prec
    with ball_precision(bits + 32):
        rows = to_arb(M).tolist()
        MA, MB = flint.arb_mat(rows[:a]), flint.arb_mat(rows[a:])
        Q1 = _polar(MA.transpose(), bits)  # orthonormal columns spanning the rows of M[A, :]
        P = MB.transpose() - Q1 * (Q1.transpose() * MB.transpose())
        Q2 = _polar(P, bits)  # and their complement
        Q = flint.arb_mat([r + s for r, s in zip(Q1.tolist(), Q2.tolist())])
        X, Y, QA, QB = polar_rotation_shears(Q.transpose(), a, bits)
        WA, WB = MA * Q1 * QA, MB * Q2 * QB
        # normal equations: symmetric positive definite, so no growth in the elimination (a Wilkinson-like W_B
        # loses 2^k to partial pivoting); they square cond W_B <= cond M, which the 32 guard bits absorb
        K = (WB.transpose() * WB).solve(WB.transpose() * (MB * Q1 * QA))
        return tuple(to_mp(B.mid(), arith) for B in (K + X, Y, X, WA, WB))


def level_shears(M: np.ndarray, a: int):
    """``(X1, Y, X2, W_A, W_B)`` with ``M = diag(W_A, W_B) L(X1) U(Y) L(X2)`` for an invertible ``M`` split after ``a``,
    in float64 by LAPACK's QR and CS decompositions (:func:`ball_level_shears` is the same at mpmath's precision).

    Block LQ, ``M = [[L_AA, 0], [L_BA, L_BB]] Q`` with ``Q`` orthogonal (the first
    rows of ``Q`` span those of ``M[A, :]``), then :func:`rotation_shears` of
    ``Q``: ``M = [[W_A, 0], [W_BA, W_B]] L(X) U(Y) L(X) = diag(W_A, W_B) L(K + X) U(Y) L(X)``
    with ``K = W_B^-1 W_BA``, which is 0 for an orthogonal ``M``. The singular
    values of ``W_A`` and ``W_B`` lie between the extreme ones of ``M``.

    >>> M = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> X1, Y, X2, WA, WB = level_shears(M, 1)
    >>> L1, U, L2 = (np.array([[1, 0], [X1[0, 0], 1]]), np.array([[1, Y[0, 0]], [0, 1]]),
    ...              np.array([[1, 0], [X2[0, 0], 1]]))
    >>> bool(np.allclose(np.diag([WA[0, 0], WB[0, 0]]) @ L1 @ U @ L2, M))
    True
    """
    Q, _ = scipy.linalg.qr(M[:a].T)
    X, Y, QA, QB = rotation_shears(Q.T, a)
    WA, WB = M[:a] @ Q[:, :a] @ QA, M[a:] @ Q[:, a:] @ QB
    # by QR, not LU: partial pivoting's growth (2^k for Wilkinson-like blocks, which the levels of an unequal
    # split meet) would lose K although W_B is as well conditioned as M
    QW, RW = np.linalg.qr(WB)
    K = scipy.linalg.solve_triangular(RW, QW.T @ (M[a:] @ Q[:, :a] @ QA))
    return K + X, Y, X, WA, WB


def _triple(X, Y):
    """``L(X) U(Y) L(X) = [[I + Y X, Y], [2 X + X Y X, I + X Y]]``, by blocks (a product of the whole
    matrices costs ``n^3``, too much for the many levels of an unequal split)."""
    b, a = X.shape
    XY = X @ Y
    return np.block([[np.eye(a) + Y @ X, Y], [2 * X + XY @ X, np.eye(b) + XY]])
