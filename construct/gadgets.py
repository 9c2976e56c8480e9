"""Small products of unit couplings with a known matrix (section 3 of the notes).

All gadgets work over any field and return :class:`~construct.couplings.Word`
objects on ``n = 2d`` coordinates with ``p = d``.

>>> from construct.matrices import from_rows, block_diagonal
>>> X = from_rows([[2, 1], [1, 1]])
>>> whitehead(X).matrix() == block_diagonal(X, X.inv())
True
>>> len(cross_swap(from_rows([[0, 1], [0, 0]])))
3
"""

from __future__ import annotations

import random

from sympy.polys.matrices import DomainMatrix

from construct.couplings import Word, lower, upper
from construct.matrices import identity


def cross_swap(Pi: DomainMatrix) -> Word:
    """``U_u(Pi) L_u(-Pi^T) U_u(Pi)``: swaps each matched pair (top ``i``, bottom ``j``).

    For a signed partial permutation ``Pi`` (entry ``eps`` at ``(i, j)``) the
    product sends ``e_i`` to ``-eps e_(d+j)`` and ``e_(d+j)`` to ``eps e_i``.
    """
    d = Pi.shape[0]
    return Word(2 * d, d, [upper(Pi), lower(-Pi.transpose()), upper(Pi)], Pi.domain)


def block_diagonal_gadget(X: DomainMatrix, Xi: DomainMatrix, u: DomainMatrix, a: DomainMatrix) -> Word:
    """``diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)`` when ``u a = I - X^-1``, ``a u = I - Y``.

    ``Xi`` is ``X^-1``, which every caller already has.
    """
    d = X.shape[0]
    return Word(2 * d, d, [lower(a), upper(-u), lower(-a * X), upper(Xi * u)], X.domain)


def whitehead(X: DomainMatrix) -> Word:
    """``diag(X, X^-1)`` in four unit factors (``u = I`` in the block-diagonal gadget)."""
    I, Xi = identity(X.shape[0], X.domain), X.inv()
    return block_diagonal_gadget(X, Xi, I, I - Xi)


def block_diagonal_word(X: DomainMatrix, Y: DomainMatrix, rng: random.Random):
    """``diag(X, Y)`` in four unit factors ``L U L U``, or ``None``.

    Works when ``X^-1`` and ``Y`` are similar and nonderogatory, the case the
    constructions arrange: then ``u a = I - X^-1``, ``a u = I - Y`` is solved
    by ``u = S^-1``, ``a = S (I - X^-1)`` for a similarity ``S X^-1 S^-1 = Y``.
    """
    Xi = X.inv()
    S = similarity(Xi, Y, rng)
    if S is None:
        return None
    I = identity(X.shape[0], X.domain)
    return block_diagonal_gadget(X, Xi, S.inv(), S * (I - Xi))


def similarity(A: DomainMatrix, B: DomainMatrix, rng: random.Random, tries: int = 12):
    """An ``S`` with ``S A S^-1 = B`` from cyclic (Krylov) bases, or ``None``.

    Both Krylov bases ``K = [v, Av, ...]`` turn their matrix into the same
    companion matrix when the characteristic polynomials agree, so
    ``S = K_B K_A^-1``. Unit vectors are tried first: they keep entries small.
    """
    KA, KB = cyclic_basis(A, rng, tries), cyclic_basis(B, rng, tries)
    if KA is None or KB is None:
        return None
    S = KB * KA.inv()
    return S if S * A == B * S else None


def cyclic_basis(A: DomainMatrix, rng: random.Random, tries: int = 12):
    """``[v, Av, ..., A^(d-1) v]`` for a cyclic vector ``v``, or ``None`` if none was found."""
    d, K = A.shape[0], A.domain
    candidates = [[K.one if i == k else K.zero for i in range(d)] for k in (0, d - 1)]
    candidates += [[K(rng.randint(-3, 3)) for _ in range(d)] for _ in range(tries)]
    for v in candidates:
        column = DomainMatrix([[x] for x in v], (d, 1), K).to_dense()
        columns = [column]
        for _ in range(d - 1):
            columns.append(A * columns[-1])
        basis = columns[0].hstack(*columns[1:]).to_dense() if d > 1 else column
        if basis.rank() == d:
            return basis
    return None


def three_factor_word(M: DomainMatrix):
    """``M = U_u(b) L_u(c) U_u(e)`` for ``M = [[P, Q], [R, S]]``, or ``None``.

    Applies when ``R`` is invertible and ``P R^-1 S - Q = R^-1``; then
    ``c = R``, ``b = (P - I) R^-1``, ``e = R^-1 (S - I)``.
    """
    d = M.shape[0] // 2
    P, Q, R, S = M[:d, :d], M[:d, d:], M[d:, :d], M[d:, d:]
    if R.rank() < d:
        return None
    Ri, I = R.inv(), identity(d, M.domain)
    if P * Ri * S - Q != Ri:
        return None
    return Word(2 * d, d, [upper((P - I) * Ri), lower(R), upper(Ri * (S - I))], M.domain)

