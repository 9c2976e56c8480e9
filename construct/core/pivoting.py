"""Block pivoting for the levels method: rows chosen by volume, level by level, in float64.

Partial pivoting bounds ``|L| <= 1`` entry by entry, but the levels method
uses the *block* ratios ``L[B, A] L[A, A]^-1`` (and ``U[A, A]^-1 U[A, B]``),
which partial pivoting does not bound: for a random orthogonal ``T`` they
reach 10-100. Choosing, at every split ``(A, B)`` of the level recursion,
the rows of the ``A`` part so that the leading block has (locally) maximal
volume in its columns bounds ``|M[B, :a] M[A, :a]^-1| <= 1 + DELTA`` entry by
entry (:func:`maxvol_rows`), and with it the conditioning of the level
couplings (``docs/theory.md``, "Block pivoting").

:func:`level_lu` does this recursively and returns the LU decomposition of
the reordered matrix; the exact and mpmath arithmetics take only its row
order. Everything here is float64: it chooses, it does not certify.

>>> import numpy as np
>>> F = np.array([[1e-3, 1.0], [1.0, 1.0]])
>>> order, L, U = level_lu(F, {(0, 2): 1})
>>> order, bool(np.allclose(L @ U, F[order]))
([1, 0], True)
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

#: Stop exchanging rows when no entry of ``M M[rows]^-1`` exceeds ``1 + DELTA``.
DELTA = 0.05


class Singular(ArithmeticError):
    """A block is singular in float64: the caller falls back to its own pivoting."""


def maxvol_rows(F: np.ndarray, max_swaps: int | None = None) -> list[int]:
    """Rows ``I`` of the ``k x a`` matrix ``F`` (``k >= a``) with ``|F F[I]^-1| <= 1 + DELTA``.

    Starts from partial pivoting's rows and exchanges a chosen row for an
    outside one while that raises ``|det F[I]|`` by more than ``1 + DELTA``
    (Goreinov and Tyrtyshnikov's *maxvol*); each exchange is a rank-one
    update of ``C = F F[I]^-1``.

    >>> F = np.array([[1.0, 0.0], [0.0, 0.1], [0.0, 1.0]])
    >>> maxvol_rows(F)
    [0, 2]
    """
    k, a = F.shape
    if a == 0:
        return []
    P, _, U = scipy.linalg.lu(F)
    if np.min(np.abs(np.diag(U))) == 0:
        raise Singular("a block is singular in float64")
    rows = [int(i) for i in np.argmax(P, axis=0)[:a]]
    C = scipy.linalg.solve(F[rows].T, F.T).T  # C[rows] = I
    if not np.all(np.isfinite(C)):
        raise Singular("a block is singular in float64")
    for _ in range(max_swaps if max_swaps is not None else 4 * a + 16):
        if not np.all(np.isfinite(C)):
            raise Singular("a block overflows float64")
        outside = np.abs(C)
        outside[rows] = 0  # rounding can push a chosen row's entries past 1 when the entries span many decades
        i, j = np.unravel_index(np.argmax(outside), C.shape)
        if outside[i, j] <= 1 + DELTA:
            break
        # row i replaces rows[j]: the volume grows by |C[i, j]|; Sherman-Morrison updates C
        v = C[i].copy()
        v[j] -= 1
        C -= np.outer(C[:, j], v / C[i, j])
        rows[j] = int(i)
    return rows


def level_lu(F: np.ndarray, splits: dict):
    """Row order and LU of ``F[order]`` with rows chosen by :func:`maxvol_rows` at every split.

    ``splits`` maps each range ``(start, stop)`` of the level recursion that
    is split to the length of its first part. Returns ``(order, L, U)``,
    ``L`` unit lower and ``U`` upper triangular with ``F[order] = L U``.
    Raises :class:`Singular` when a block is singular in float64.
    """
    n = F.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)  # ill-conditioned blocks are expected
        try:
            order, L, U = _level_lu(np.array(F, dtype=float), 0, n, splits)
        except np.linalg.LinAlgError as e:  # also scipy's: a block singular after rounding
            raise Singular(str(e)) from None
    if not (np.all(np.isfinite(L)) and np.all(np.isfinite(U))):
        raise Singular("a block overflows float64")
    return order, L, U


def _level_lu(M, start, stop, splits):
    k = stop - start
    if k == 1:
        if M[0, 0] == 0:
            raise Singular("a pivot is zero in float64")
        return [0], np.eye(1), M.copy()
    a = splits[(start, stop)]
    chosen = maxvol_rows(M[:, :a])
    rows = chosen + [i for i in range(k) if i not in set(chosen)]
    M = M[rows]
    top, L11, U11 = _level_lu(M[:a, :a], start, start + a, splits)
    U12 = scipy.linalg.solve_triangular(L11, M[:a, a:][top], lower=True, unit_diagonal=True)
    L21 = scipy.linalg.solve_triangular(U11, M[a:, :a].T, trans="T", lower=False).T
    bottom, L22, U22 = _level_lu(M[a:, a:] - L21 @ U12, start + a, stop, splits)
    L = np.zeros((k, k))
    U = np.zeros((k, k))
    L[:a, :a], L[a:, :a], L[a:, a:] = L11, L21[bottom], L22
    U[:a, :a], U[:a, a:], U[a:, a:] = U11, U12, U22
    order = [rows[i] for i in top] + [rows[a + i] for i in bottom]
    return order, L, U
