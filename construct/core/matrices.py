"""Thin helpers over SymPy's ``DomainMatrix``, generic over the field.

Every routine takes the field from its arguments (or a ``K`` keyword), so the
same code runs over ``QQ``, an algebraic field or a rational function field.
All results are dense, which over ``QQ`` means python-flint's ``fmpq_mat``.
Some ``DomainMatrix`` methods drop to pure Python even then (``rank``,
``rref``, ``charpoly``, ``lu``, products with a diagonal matrix cost a full
product); :func:`rank`, :func:`inverse`, :func:`charpoly`,
:func:`scale_rows` and :func:`scale_columns` call flint directly over ``QQ``
and fall back to SymPy over other fields.

>>> from sympy import QQ
>>> M = from_rows([[1, 2], [3, 4]])
>>> [M11.to_list() for M11 in blocks(M, 1)]
[[[1]], [[2]], [[3]], [[4]]]
>>> join(*blocks(M, 1)) == M
True
>>> diagonal([QQ(2), QQ(3)]).to_list()
[[2, 0], [0, 3]]
"""

from __future__ import annotations

from fractions import Fraction

import flint
from flint import fmpq_mat
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError


def from_rows(rows, K=QQ) -> DomainMatrix:
    """Dense matrix over ``K`` from a list of rows of ``K``-convertible entries.

    Over ``QQ``, ints, floats (their exact binary value) and fractions go
    straight to python-flint, which is much faster than ``QQ.convert``.
    """
    if K == QQ and rows and all(type(x) in _FAST for row in rows for x in row):
        rows = [[_fmpq(x) for x in row] for row in rows]
    rows = [[K.convert(x) for x in row] for row in rows]
    shape = (len(rows), len(rows[0]) if rows else 0)
    return DomainMatrix(rows, shape, K).to_dense()


def _fmpq(x):
    if type(x) is float:
        return flint.fmpq(*x.as_integer_ratio())
    if type(x) is Fraction:
        return flint.fmpq(x.numerator, x.denominator)
    return flint.fmpq(x)


_FAST = (int, float, Fraction, flint.fmpq, flint.fmpz)


def identity(n: int, K=QQ) -> DomainMatrix:
    return DomainMatrix.eye(n, K).to_dense()


def zeros(rows: int, cols: int, K=QQ) -> DomainMatrix:
    return DomainMatrix.zeros((rows, cols), K).to_dense()


def diagonal(values, K=None) -> DomainMatrix:
    """Square diagonal matrix with the given entries (field taken from ``K``)."""
    values = list(values)
    K = K or QQ
    return DomainMatrix.diag([K.convert(v) for v in values], K, (len(values), len(values))).to_dense()


def diagonal_entries(M: DomainMatrix) -> list:
    return [M[i, i].element for i in range(M.shape[0])]


def blocks(M: DomainMatrix, p: int):
    """The four blocks ``(M11, M12, M21, M22)`` of ``M`` split after row and column ``p``."""
    n = M.shape[0]
    return M[:p, :p], M[:p, p:n], M[p:n, :p], M[p:n, p:n]


def join(M11, M12, M21, M22) -> DomainMatrix:
    """Inverse of :func:`blocks`. Empty blocks (``p = 0`` or ``p = n``) are allowed."""
    top = M11.hstack(M12)
    bottom = M21.hstack(M22)
    return top.vstack(bottom).to_dense()


def block_diagonal(X: DomainMatrix, Y: DomainMatrix) -> DomainMatrix:
    K = X.domain
    return join(X, zeros(X.shape[0], Y.shape[1], K), zeros(Y.shape[0], X.shape[1], K), Y)


def permutation_matrix(perm, K=QQ) -> DomainMatrix:
    """Matrix ``P`` with ``P e_j = e_perm[j]`` (so ``(P x)[perm[j]] = x[j]``)."""
    n = len(perm)
    rows = [[K.zero] * n for _ in range(n)]
    for j, i in enumerate(perm):
        rows[i][j] = K.one
    return DomainMatrix(rows, (n, n), K).to_dense()


def binary_exponent(x) -> int:
    """About ``log2 |x|`` of a nonzero rational (within 1), from the bit lengths alone."""
    return int(x.numerator).bit_length() - int(x.denominator).bit_length()


def bit_length(M: DomainMatrix) -> int:
    """Largest bit length of a numerator or denominator of an entry of ``M`` over ``QQ``.

    Over a field of rational functions (symbolic entries) the builders compare sizes too; there the size is
    the length of the longest printed entry.
    """
    if M.domain.is_FractionField:
        return max((len(str(x)) for row in M.to_list() for x in row), default=0)
    best = 0
    for row in M.to_list():
        for x in row:
            best = max(best, int(x.numerator).bit_length(), int(x.denominator).bit_length())
    return best


def flint_matrix(M: DomainMatrix):
    """The python-flint ``fmpq_mat`` behind a dense ``M`` over ``QQ``, or ``None`` (another field).

    >>> flint_matrix(from_rows([[1, 2]]))
    [1, 2]
    """
    rep = getattr(M.rep, "rep", None)
    return rep if isinstance(rep, fmpq_mat) else None


def rank(M: DomainMatrix) -> int:
    """The rank of ``M`` (flint's ``fmpq_mat.rank`` over ``QQ``, not SymPy's pure-Python ``rref``).

    >>> rank(from_rows([[1, 2], [2, 4]])), rank(from_rows([[1, 2], [3, 4]]))
    (1, 2)
    """
    F = flint_matrix(M)
    return F.rank() if F is not None else M.rank()


def inverse(M: DomainMatrix):
    """``M^-1``, or ``None`` when ``M`` is singular: the invertibility test and the inverse in one go.

    >>> inverse(from_rows([[2, 0], [0, 4]])).to_list(), inverse(from_rows([[1, 2], [2, 4]]))
    ([[1/2, 0], [0, 1/4]], None)
    """
    try:
        return M.inv()
    except (DMNonInvertibleMatrixError, ZeroDivisionError):
        return None


def charpoly(M: DomainMatrix) -> list:
    """Coefficients of ``det(x I - M)``, highest first (flint's ``fmpq_mat.charpoly`` over ``QQ``).

    >>> charpoly(from_rows([[1, 2], [3, 4]]))
    [1, -5, -2]
    """
    F = flint_matrix(M)
    if F is None:
        return M.charpoly()
    K = M.domain
    return [K.convert(c) for c in reversed(F.charpoly().coeffs())]


def scale_rows(values, M: DomainMatrix) -> DomainMatrix:
    """``diag(values) M`` in ``O(n^2)`` operations (a product with a diagonal matrix costs ``O(n^3)``).

    >>> scale_rows([2, 3], from_rows([[1, 1], [1, 2]])).to_list()
    [[2, 2], [3, 6]]
    """
    K = M.domain
    values = [K.convert(v) for v in values]
    if all(v == K.one for v in values):
        return M
    rows = [[v * x for x in row] for v, row in zip(values, M.to_list())]
    return DomainMatrix(rows, M.shape, K).to_dense()


def scale_columns(M: DomainMatrix, values) -> DomainMatrix:
    """``M diag(values)`` in ``O(n^2)`` operations.

    >>> scale_columns(from_rows([[1, 1], [1, 2]]), [2, 3]).to_list()
    [[2, 3], [2, 6]]
    """
    K = M.domain
    values = [K.convert(v) for v in values]
    if all(v == K.one for v in values):
        return M
    rows = [[x * v for x, v in zip(row, values)] for row in M.to_list()]
    return DomainMatrix(rows, M.shape, K).to_dense()
