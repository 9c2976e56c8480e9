"""Coupling factors and words of them, over any field.

With ``p`` kept coordinates out of ``n``, a *lower coupling* is
``L(A, B) = [[I_p, 0], [A, diag(B)]]`` and an *upper coupling* is
``U(C, D) = [[diag(C), D], [0, I_(n-p)]]``. Each kind is a group
(``L(A1,B1) L(A2,B2) = L(A1 + B1 A2, B1 B2)``), so a :class:`Word` keeps its
factors alternating: appending merges neighbours of the same kind and drops
identities.

>>> from sympy import QQ
>>> from construct.core.matrices import from_rows
>>> w = Word(2, 1)
>>> w.append(lower(from_rows([[3]])))
>>> w.append(lower(from_rows([[-3]])))
>>> len(w)
0
>>> w.append(upper(from_rows([[1]]), [QQ(2)]))
>>> w.matrix().to_list()
[[2, 1], [0, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct.core.matrices import diagonal, identity, join, scale_columns, scale_rows, zeros

LOWER, UPPER = "lower", "upper"


@dataclass(frozen=True)
class Coupling:
    """One factor: ``kind`` is ``"lower"`` or ``"upper"``, ``scale`` a tuple of field elements."""

    kind: str
    shear: DomainMatrix
    scale: tuple

    @property
    def domain(self):
        return self.shear.domain

    def is_identity(self) -> bool:
        one = self.domain.one
        return self.shear.is_zero_matrix and all(s == one for s in self.scale)

    def matrix(self) -> DomainMatrix:
        """The full ``n x n`` matrix of this factor."""
        K, S, B = self.domain, self.shear, diagonal(self.scale, self.domain)
        rows, cols = S.shape
        if self.kind == LOWER:  # shear is (n-p) x p
            return join(identity(cols, K), zeros(cols, rows, K), S, B)
        return join(B, S, zeros(cols, rows, K), identity(cols, K))

    def merge(self, other: "Coupling") -> "Coupling":
        """The product ``self * other`` of two factors of the same kind."""
        assert self.kind == other.kind
        scale = tuple(a * b for a, b in zip(self.scale, other.scale))
        return Coupling(self.kind, self.shear + scale_rows(self.scale, other.shear), scale)

    def mirrored(self) -> "Coupling":
        """``J F J`` for the half swap ``J``: a lower factor becomes an upper one and back."""
        return Coupling(UPPER if self.kind == LOWER else LOWER, self.shear, self.scale)

    def transposed(self) -> "Coupling":
        """``F^T`` of a unit factor (``L_u(A)^T = U_u(A^T)``)."""
        assert all(s == self.domain.one for s in self.scale)
        shear = self.shear.transpose()
        return Coupling(UPPER if self.kind == LOWER else LOWER, shear, (self.domain.one,) * shear.shape[0])

    def inverse(self) -> "Coupling":
        """``F^-1``: ``L(A, B)^-1 = L(-B^-1 A, B^-1)``, ``U(C, D)^-1 = U(C^-1, -C^-1 D)``."""
        scale = tuple(1 / s for s in self.scale)
        return Coupling(self.kind, -scale_rows(scale, self.shear), scale)

    def padded(self, extra: int) -> "Coupling":
        """This factor on ``extra`` more coordinates, appended at the end and left alone (``diag(F, I)``)."""
        K, (rows, cols) = self.domain, self.shear.shape
        if self.kind == LOWER:  # the new coordinates are sheared by nothing and scaled by 1
            return Coupling(LOWER, self.shear.vstack(zeros(extra, cols, K)).to_dense(), self.scale + (K.one,) * extra)
        return Coupling(UPPER, self.shear.hstack(zeros(rows, extra, K)).to_dense(), self.scale)


def lower(A: DomainMatrix, scale=None) -> Coupling:
    """``L(A, scale)``; unit (``L_u(A)``) when ``scale`` is omitted."""
    K = A.domain
    return Coupling(LOWER, A, tuple(scale) if scale is not None else (K.one,) * A.shape[0])


def upper(D: DomainMatrix, scale=None) -> Coupling:
    """``U(scale, D)``; unit (``U_u(D)``) when ``scale`` is omitted."""
    K = D.domain
    return Coupling(UPPER, D, tuple(scale) if scale is not None else (K.one,) * D.shape[0])


class Word:
    """An alternating product ``F_1 F_2 ... F_k`` of couplings on ``n`` coordinates, ``p`` kept."""

    def __init__(self, n: int, p: int, factors=(), K=QQ):
        self.n, self.p, self.K = n, p, K
        self.factors: list[Coupling] = []
        for f in factors:
            self.append(f)

    def __len__(self) -> int:
        return len(self.factors)

    def __iter__(self):
        return iter(self.factors)

    def kinds(self) -> str:
        """``"LULU"``-style summary of the word."""
        return "".join(f.kind[0].upper() for f in self.factors)

    def append(self, f: Coupling) -> None:
        if self.factors and self.factors[-1].kind == f.kind:
            f = self.factors.pop().merge(f)
        if not f.is_identity():
            self.factors.append(f)

    def extend(self, other) -> None:
        for f in other:
            self.append(f)

    def __mul__(self, other: "Word") -> "Word":
        w = Word(self.n, self.p, self.factors, self.K)
        w.extend(other)
        return w

    def mirrored(self) -> "Word":
        return Word(self.n, self.n - self.p, [f.mirrored() for f in self.factors], self.K)

    def transposed(self) -> "Word":
        """The word of ``W^T`` for a word ``W`` of unit factors."""
        return Word(self.n, self.p, [f.transposed() for f in reversed(self.factors)], self.K)

    def inverse(self) -> "Word":
        """The word of ``W^-1``.

        >>> from construct.core.matrices import from_rows, identity
        >>> w = Word(3, 1, [lower(from_rows([[1], [2]]), [QQ(3), QQ(1)]), upper(from_rows([[1, 5]]), [QQ(2)])])
        >>> w.matrix() * w.inverse().matrix() == identity(3)
        True
        """
        return Word(self.n, self.p, [f.inverse() for f in reversed(self.factors)], self.K)

    def embedded(self, n: int) -> "Word":
        """``diag(W, I)``: this word on the first coordinates of ``n``, the others (kept by neither) left alone.

        The new coordinates join the second group, so the split stays ``p``.

        >>> from construct.core.matrices import from_rows
        >>> Word(2, 1, [upper(from_rows([[2]]))]).embedded(3).matrix().to_list()
        [[1, 2, 0], [0, 1, 0], [0, 0, 1]]
        """
        return Word(n, self.p, [f.padded(n - self.n) for f in self.factors], self.K)

    def times_diagonal(self, E, F) -> None:
        """Absorb ``diag(E, F)`` on the right into the last two factors.

        ``L(A,B) diag(E,F) = U(E,0) L(AE, BF)`` and
        ``U(C,D) diag(E,F) = L(0,F) U(CE, DF)``: the left-over one-sided
        diagonal merges into the factor before, so the count only grows
        when the word is shorter than two.
        """
        K = self.K
        E, F = tuple(E), tuple(F)
        last = self.factors.pop() if self.factors else None
        if last is None or last.kind == LOWER:
            A = last.shear if last else zeros(self.n - self.p, self.p, K)
            B = last.scale if last else (K.one,) * (self.n - self.p)
            self.append(upper(zeros(self.p, self.n - self.p, K), E))
            self.append(lower(scale_columns(A, E), [b * f for b, f in zip(B, F)]))
        else:
            self.append(lower(zeros(self.n - self.p, self.p, K), F))
            self.append(upper(scale_columns(last.shear, F), [c * e for c, e in zip(last.scale, E)]))

    def matrix(self) -> DomainMatrix:
        """The exact product, one block update per factor (for a check, :meth:`apply` is far cheaper)."""
        K, p = self.K, self.p
        M = identity(self.n, K)
        for f in self.factors:
            left, right = M[:, :p], M[:, p:]
            if f.kind == LOWER:
                left, right = left + right * f.shear, scale_columns(right, f.scale)
            else:
                left, right = scale_columns(left, f.scale), right + left * f.shear
            M = left.hstack(right).to_dense()
        return M

    def apply(self, V: DomainMatrix) -> DomainMatrix:
        """The product times ``V`` (``n x m``), factor by factor from the right: ``O(n^2 m)`` per factor.

        >>> from construct.core.matrices import from_rows
        >>> w = Word(2, 1, [lower(from_rows([[3]])), upper(from_rows([[1]]), [QQ(2)])])
        >>> V = from_rows([[1, 0], [5, 1]])
        >>> w.apply(V) == w.matrix() * V
        True
        """
        p = self.p
        top, bottom = V[:p, :], V[p:, :]
        for f in reversed(self.factors):
            if f.kind == LOWER:
                bottom = f.shear * top + scale_rows(f.scale, bottom)
            else:
                top = scale_rows(f.scale, top) + f.shear * bottom
        return top.vstack(bottom).to_dense()
