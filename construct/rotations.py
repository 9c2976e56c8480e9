"""Rotation levels: cosine-sine decompositions instead of LU, for ``T`` close to orthogonal.

Used by the levels method in float64 (:func:`~construct.levels.routes`).
LU levels give an orthogonal ``T`` shears ``L[B, A] L[A, A]^-1`` whose
singular values are tangents of principal angles, and these grow like
``sqrt(d)``; here every angle is split in half.

An orthogonal ``M`` split into parts ``A`` (``a`` coordinates) and ``B`` has
the CS decomposition ``M = diag(U_A, U_B) R diag(V_A, V_B)`` (LAPACK's
``orcsd``, :func:`scipy.linalg.cossin`), where ``R`` rotates pairs of
coordinates, one in ``A`` and one in ``B``, by angles in ``[0, pi/2]``, and
fixes the others. A rotation by ``theta`` is three shears,
``[[c, -s], [s, c]] = L(t) U(-s) L(t)`` with ``t = tan(theta/2) = s / (1 + c)``,
so ``R = L(X_R) U(Y_R) L(X_R)`` with ``X_R = R[B, A] (I + R[A, A])^-1`` and
``Y_R = R[A, B]``, both of norm at most 1. Moving ``diag(V_A, V_B)`` to the
left conjugates the shears by orthogonal blocks, which keeps their norms
(:func:`rotation_shears`):

    M = diag(U_A V_A, U_B V_B) L(V_B^T X_R V_A) U(V_A^T Y_R V_B) L(V_B^T X_R V_A).

Any invertible ``M`` is ``[[L_AA, 0], [L_BA, L_BB]] Q`` (block LQ) with
``Q`` orthogonal; the rotation of ``Q`` and ``K = W_B^-1 W_BA`` for the
lower left block give ``M = diag(W_A, W_B) L(K + X) U(Y) L(X)``
(:func:`level_shears`), and ``K = 0`` when ``M`` is orthogonal.
Recursing into the block diagonal factor over the levels of
:func:`~construct.levels.level_splits` gives ``T = D N_m ... N_1 N_0`` with
``N_t = Phi_t L(X1_t) U(Y_t) L(X2_t) Phi_t^T`` in the frames of the levels
method and ``D`` diagonal:

    T = (D Phi_m) L(X1_m) U(Y_m) L(X2_m) G_(m-1)^-1 ... G_0^-1 L(X1_0) U(Y_0) L(X2_0).

``T`` is first scaled by powers of two to columns of norm about 1, so a
``T = Q diag(s)`` leaves an orthogonal matrix to the levels; the scaling
comes back at the right end. ``D Phi_m`` is a signed permutation, a swap
network of ``r`` rounds (:func:`~construct.levels.network`), times a
diagonal that passes through every coupling and is absorbed at the right
end with it. Count: ``2 r + 4 m + 3``
(``docs/theory.md``, "The levels method", section 7).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from construct.levels import _oriented, _parity, _WordBuilder, frame_signs, frames, level_splits, network
from construct.swap_network import signed_permutation


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


def level_shears(M: np.ndarray, a: int):
    """``(X1, Y, X2, W_A, W_B)`` with ``M = diag(W_A, W_B) L(X1) U(Y) L(X2)`` for an invertible ``M`` split after ``a``.

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
    K = np.linalg.solve(WB, M[a:] @ Q[:, :a] @ QA)
    return K + X, Y, X, WA, WB


def _triple(X, Y):
    """``L(X) U(Y) L(X)``."""
    b, a = X.shape
    L = np.block([[np.eye(a), np.zeros((a, b))], [X, np.eye(b)]])
    U = np.block([[np.eye(a), Y], [np.zeros((b, a)), np.eye(b)]])
    return L @ U @ L


def build_rotations(T: np.ndarray, mode: str, a, rng):
    """The factors ``(kind, shear, scale)`` of ``T`` (a float64 array) by rotation levels, the number of rounds,
    and the number of couplings of the levels (before the first merges with the last round's).

    In positive mode the signs are joined by the swap network (at most 7
    rounds), so every scale is positive; None when ``det T < 0`` there, and
    when a block is singular or not finite in float64 (then LU levels pivot).
    """
    n = T.shape[0]
    d = n // 2
    levels = level_splits(n)
    m = len(levels) - 1
    # columns scaled by powers of two to norm about 1 (exact); the scaling is absorbed at the right end with F
    norms = np.linalg.norm(T, axis=0)
    columns = np.exp2(np.round(np.log2(norms))) if np.all(np.isfinite(norms) & (norms > 0)) else np.ones(n)
    blocks = {(0, n): T / columns}  # the block diagonal factor left to split, by range
    pieces = []
    for level in levels:
        pieces.append([])
        for A, B in level:
            try:
                X1, Y, X2, blocks[A[0], A[-1] + 1], blocks[B[0], B[-1] + 1] = level_shears(
                    blocks.pop((A[0], B[-1] + 1)), len(A))
            except (ValueError, np.linalg.LinAlgError):  # infinite entries, a singular block, or the layout
                return None
            pieces[-1].append((A, B, X1, Y, X2))
    D = [float(blocks[c, c + 1][0, 0]) for c in range(n)]
    coords, swaps = frames(levels, n)
    position = {c: p for p, c in enumerate(coords[m])}
    unflipped = frame_signs(swaps, n)[m]
    pivot_signs = [unflipped[p] * a.sign(D[c]) for p, c in enumerate(coords[m])]
    if mode == "positive" and _parity(coords[m]) * math.prod(pivot_signs) < 0:
        return None
    rounds, flipped = network(coords[m], d, pivot_signs, coords, swaps, mode == "positive", rng,
                              vertex=[position[c] for c in range(n)])
    images, sigma = signed_permutation(rounds, n)
    assert images == coords[m]
    signs = frame_signs(swaps, n, flipped)
    w = _WordBuilder(a)
    for t in range(m, -1, -1):
        pos, sign = {c: p for p, c in enumerate(coords[t])}, signs[t]
        x1s, ys, x2s = [], [], []
        for A, B, X1, Y, X2 in pieces[t]:
            rows, cols = [pos[b] - d for b in B], [pos[c] for c in A]
            row_signs, col_signs = [sign[pos[b]] for b in B], [sign[pos[c]] for c in A]
            x1s.append((rows, cols, row_signs, col_signs, X1))
            x2s.append((rows, cols, row_signs, col_signs, X2))
            ys.append((cols, rows, col_signs, row_signs, Y))
        for kind, shears in (("lower", x1s), ("upper", ys), ("lower", x2s)):
            w.append(kind, a.assemble(d, d, shears))
        if t > 0:  # G_(t-1)^-1 = G(-Pi), in the form L U L whose ends merge with the level couplings
            w.cross_swap([(p, q, -s) for p, q, s in _oriented(swaps[t - 1], t - 1, flipped)], d)
    # D Phi_m = (P S) F with F diagonal: F passes through every coupling, F L(X) = L(F_b X F_a^-1) F, and is
    # absorbed at the right end
    F = np.array([sigma[p] * signs[m][p] * D[c] for p, c in enumerate(coords[m])])
    assert mode != "positive" or np.all(F > 0), "positive mode left a negative sign"
    if np.any(F != 1):
        w.factors = [(kind, (F[d:, None] * S / F[None, :d]) if kind == "lower" else (F[:d, None] * S / F[None, d:]),
                      scale) for kind, S, scale in w.factors]
    if np.any(F * columns != 1):
        _absorb_right(w, a, F * columns, d)
    word = _WordBuilder(a)
    for r in rounds:
        word.cross_swap(r, d)
    for factor in w.factors:
        word.append(*factor)
    return word.factors, len(rounds), len(w.factors)


def _absorb_right(w, a, F, d):
    """Append the diagonal ``F = diag(F_a, F_b)`` to the word: ``L(X, B) F = U(0, F_a) L(X F_a, B F_b)``.

    The upper factor merges with the one before; if the word does not end
    with a lower coupling, ``F`` costs one more.
    """
    kind, X, B = w.factors.pop() if w.factors and w.factors[-1][0] == "lower" else ("lower", a.zeros(d, d), None)
    if np.any(F[:d] != 1):
        w.append("upper", a.zeros(d, d), list(F[:d]))
    w.append("lower", X * F[:d][None, :], list(F[d:] if B is None else F[d:] * np.asarray(B)))
