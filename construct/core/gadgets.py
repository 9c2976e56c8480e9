"""Small products of unit couplings with a known matrix (docs/theory.md, "Gadgets: the identities and their proofs").

All gadgets work over any field and return :class:`~construct.core.couplings.Word`
objects on ``n = 2d`` coordinates with ``p = d``.

>>> from construct.core.matrices import from_rows, block_diagonal
>>> X = from_rows([[2, 1], [1, 1]])
>>> whitehead(X).matrix() == block_diagonal(X, X.inv())
True
>>> len(cross_swap(from_rows([[0, 1], [0, 0]])))
3
"""

from __future__ import annotations

import random

from sympy.polys.matrices import DomainMatrix

from construct.core import trace
from construct.core.couplings import Word, lower, upper
from construct.core.matrices import bit_length, charpoly, flint_matrix, identity, rank


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


def whitehead(X: DomainMatrix, Xi: DomainMatrix | None = None) -> Word:
    """``diag(X, X^-1)`` in four unit factors (``u = I`` in the block-diagonal gadget); ``Xi = X^-1`` if known."""
    Xi = X.inv() if Xi is None else Xi
    I = identity(X.shape[0], X.domain)
    return block_diagonal_gadget(X, Xi, I, I - Xi)


def block_diagonal_word(X: DomainMatrix, Y: DomainMatrix, rng: random.Random, Xi: DomainMatrix | None = None):
    """``diag(X, Y)`` in four unit factors ``L U L U``, or ``None``; ``Xi = X^-1`` if known.

    Works when ``X^-1`` and ``Y`` are similar and nonderogatory, the case the
    constructions arrange: then ``u a = I - X^-1``, ``a u = I - Y`` is solved
    by ``u = S^-1``, ``a = S (I - X^-1)`` for a similarity ``S X^-1 S^-1 = Y``.
    """
    Xi = X.inv() if Xi is None else Xi
    pair = similarity_pair(Xi, Y, rng)
    if pair is None:
        return None
    S, Si = pair
    I = identity(X.shape[0], X.domain)
    return block_diagonal_gadget(X, Xi, Si, S * (I - Xi))


def similarity(A: DomainMatrix, B: DomainMatrix, rng: random.Random, tries: int = 12):
    """An ``S`` with ``S A S^-1 = B`` from cyclic (Krylov) bases, or ``None``.

    Both Krylov bases ``K = [v, Av, ...]`` turn their matrix into the same
    companion matrix when the characteristic polynomials agree, so
    ``S = K_B K_A^-1``. Unit vectors are tried first: they keep entries small.

    >>> import random
    >>> from construct.core.matrices import from_rows
    >>> A, B = from_rows([[1, 1], [0, 2]]), from_rows([[2, 0], [5, 1]])
    >>> S = similarity(A, B, random.Random(0))
    >>> S * A == B * S, similarity(A, 2 * B, random.Random(0))
    (True, None)
    """
    pair = similarity_pair(A, B, rng, tries)
    return None if pair is None else pair[0]


def similarity_pair(A: DomainMatrix, B: DomainMatrix, rng: random.Random, tries: int = 12):
    """``(S, S^-1)`` for the :func:`similarity` ``S``, or ``None``.

    Equal characteristic polynomials decide it, with no products to compare.
    ``S^-1 = K_A K_B^-1`` when ``K_B`` has the shorter entries (as for the
    short method's small canonical ``B``: its inverse is nearly free), else
    flint inverts ``S`` (cheaper than ``K_B`` for the paper's triangular blocks).

    >>> import random
    >>> from construct.core.matrices import from_rows, identity
    >>> S, Si = similarity_pair(from_rows([[1, 1], [0, 2]]), from_rows([[2, 0], [5, 1]]), random.Random(0))
    >>> S * Si == identity(2)
    True
    """
    KA, KB = cyclic_basis(A, rng, tries), cyclic_basis(B, rng, tries)
    if KA is None or KB is None or charpoly(A) != charpoly(B):
        return None
    S = KB * KA.inv()
    trace.record("similarity from cyclic bases", "A and B share their characteristic polynomial and have cyclic "
                 "vectors, so with the Krylov bases K_A = [v, A v, ...] and K_B, S = K_B K_A^-1 gives "
                 "S A S^-1 = B (construct/core/gadgets.py, similarity_pair).", ("A", A), ("B", B), ("S", S))
    return S, KA * KB.inv() if bit_length(KB) < bit_length(KA) else S.inv()


def cyclic_basis(A: DomainMatrix, rng: random.Random, tries: int = 12):
    """``[v, Av, ..., A^(d-1) v]`` for a cyclic vector ``v``; ``None`` exactly when ``A`` is derogatory.

    Unit vectors and small random vectors are tried first (short entries);
    if none is cyclic, :func:`_completed_cyclic_vector` builds one whenever
    ``A`` is nonderogatory.

    >>> import random
    >>> from construct.core.matrices import from_rows
    >>> cyclic_basis(from_rows([[0, 1], [1, 0]]), random.Random(0)).to_list()
    [[1, 0], [0, 1]]
    >>> cyclic_basis(from_rows([[2, 0], [0, 2]]), random.Random(0)) is None
    True
    """
    d, K = A.shape[0], A.domain
    candidates = [[K.one if i == k else K.zero for i in range(d)] for k in (0, d - 1)]
    candidates += [[K(rng.randint(-3, 3)) for _ in range(d)] for _ in range(tries)]
    for v in candidates:
        basis = _krylov(A, v)
        if rank(basis) == d:
            return basis
    if _is_derogatory(A):
        return None
    v = _completed_cyclic_vector(A)
    return None if v is None else _krylov(A, v)


def _is_derogatory(A: DomainMatrix) -> bool:
    """The minimal polynomial is shorter than the characteristic one (flint's ``minpoly`` over ``QQ``).

    >>> from construct.core.matrices import from_rows
    >>> _is_derogatory(from_rows([[2, 0], [0, 2]])), _is_derogatory(from_rows([[2, 1], [0, 2]]))
    (True, False)
    """
    F = flint_matrix(A)
    if F is None:
        return False  # other fields: the construction below decides
    return F.minpoly().degree() < A.shape[0]


def _krylov(A: DomainMatrix, v) -> DomainMatrix:
    """The ``d x d`` matrix ``[v, A v, ..., A^(d-1) v]`` for a list ``v``."""
    d, K = A.shape[0], A.domain
    columns = [DomainMatrix([[x] for x in v], (d, 1), K).to_dense()]
    for _ in range(d - 1):
        columns.append(A * columns[-1])
    return columns[0].hstack(*columns[1:]).to_dense() if d > 1 else columns[0]


def _completed_cyclic_vector(A: DomainMatrix):
    """A cyclic vector of a nonderogatory ``A`` in at most ``d (d + 1)`` Krylov ranks, else ``None``.

    ``v`` grows through ``v + lam e_i``, ``i = 1..d``: for nonderogatory
    ``A``, the Krylov space of ``v + lam e_i`` is that of ``v`` plus that of
    ``e_i`` for all but at most ``d`` values of ``lam`` (docs/theory.md, "The
    short method", section 5), so one of ``lam = 1..d+1`` reaches it, and at
    the end the space holds every ``e_i``.

    >>> from construct.core.matrices import from_rows
    >>> _completed_cyclic_vector(from_rows([[1, 0, 0], [0, 2, 0], [0, 0, 3]]))
    [1, 1, 1]
    """
    d, K = A.shape[0], A.domain
    v = [K.zero] * d
    for i in range(d):
        unit = [K.one if k == i else K.zero for k in range(d)]
        reachable = rank(_krylov(A, v).hstack(_krylov(A, unit)).to_dense())
        for lam in range(1, d + 2):
            w = [x + (K.convert(lam) if k == i else K.zero) for k, x in enumerate(v)]
            if rank(_krylov(A, w)) == reachable:
                v = w
                break
        else:
            return None  # more than d bad values: A is derogatory
    return v if rank(_krylov(A, v)) == d else None
