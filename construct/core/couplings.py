"""Coupling factors and words of them, in any arithmetic: the one word type of the package.

With ``p`` kept coordinates out of ``n``, a *lower coupling* is
``L(A, B) = [[I_p, 0], [A, diag(B)]]`` and an *upper coupling* is
``U(C, D) = [[diag(C), D], [0, I_(n-p)]]``. Each kind is a group
(``L(A1,B1) L(A2,B2) = L(A1 + B1 A2, B1 B2)``), so a :class:`Word` keeps its
factors alternating: appending merges neighbours of the same kind and drops
identities.

A word's entries live in an arithmetic of :mod:`construct.core.arith`: by
default SymPy's ``DomainMatrix`` over a field ``K``
(:class:`~construct.core.arith.Domain`, what the exact constructions
use); the levels method builds its words in python-flint rationals,
float64 or mpmath (:class:`~construct.core.arith.Exact`,
:class:`~construct.core.arith.Float64`, :class:`~construct.core.arith.MP`)
and never converts mid-construction. The merge (:meth:`Word.append`), the
products (:meth:`Word.times`, :meth:`Word.apply`) and the certificate's
factors (:meth:`Word.certificate_factors`) are written once, against the
arithmetic. A builder's factor may have ``scale`` None (a unit coupling):
only those are identities in a rounding arithmetic, so a scaled coupling
whose scales come out as 1 is kept and the count is the construction's.

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

from typing import NamedTuple

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct.core.arith import Domain
from construct.core.matrices import diagonal, identity, join, scale_columns, scale_rows, zeros

LOWER, UPPER = "lower", "upper"


class Coupling(NamedTuple):
    """One factor: ``kind`` is ``"lower"`` or ``"upper"``, ``shear`` a matrix of the word's arithmetic, ``scale``
    a sequence of its numbers (None while a unit factor is being built).

    The methods below are those of the exact constructions (``DomainMatrix`` shears)."""

    kind: str
    shear: object
    scale: tuple | None

    @property
    def domain(self):
        return self.shear.domain

    def matrix(self) -> DomainMatrix:
        """The full ``n x n`` matrix of this factor."""
        K, S, B = self.domain, self.shear, diagonal(self.scale, self.domain)
        rows, cols = S.shape
        if self.kind == LOWER:  # shear is (n-p) x p
            return join(identity(cols, K), zeros(cols, rows, K), S, B)
        return join(B, S, zeros(cols, rows, K), identity(cols, K))

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
    """An alternating product ``F_1 F_2 ... F_k`` of couplings on ``n`` coordinates, ``p`` kept, in the arithmetic
    ``arith`` (by default ``DomainMatrix`` over ``K``)."""

    def __init__(self, n: int, p: int, factors=(), K=QQ, arith=None):
        self.n, self.p, self.K = n, p, K
        self.a = Domain(K) if arith is None else arith
        self.factors: list[Coupling] = []
        for f in factors:
            self.append(f)

    @classmethod
    def as_written(cls, n: int, p: int, factors, arith) -> "Word":
        """The factors as given, neither merged nor dropped: a certificate's factors, one layer of a flow each
        (two adjacent lower couplings stay two, as the certificate numbers them)."""
        w = cls(n, p, arith=arith)
        w.factors = [Coupling(*f) for f in factors]
        return w

    def _like(self, p: int, factors, n: int | None = None) -> "Word":
        return Word(self.n if n is None else n, p, factors, self.K, self.a)

    def __len__(self) -> int:
        return len(self.factors)

    def __iter__(self):
        """The factors, unit scales written out."""
        for kind, shear, scale in self.factors:
            yield Coupling(kind, shear, self.a.unit_scale(shear) if scale is None else scale)

    def kinds(self) -> str:
        """``"LULU"``-style summary of the word."""
        return "".join(f.kind[0].upper() for f in self.factors)

    def append(self, f) -> None:
        """Multiply by the coupling ``f`` (a :class:`Coupling` or a tuple ``(kind, shear, scale)``) on the right.

        ``L(A1, B1) L(A2, B2) = L(A1 + B1 A2, B1 B2)`` and ``U(C1, D1) U(C2, D2) = U(C1 C2, D1 + C1 D2)``.
        """
        a, (kind, shear, scale) = self.a, f
        if self.factors and self.factors[-1].kind == kind:
            _, shear1, scale1 = self.factors.pop()
            shear = a.add(shear1, shear if scale1 is None else a.scale_rows(scale1, shear))
            if scale1 is not None:
                scale = scale1 if scale is None else tuple(x * y for x, y in zip(scale1, scale))
        if not a.is_identity(shear, scale):
            self.factors.append(Coupling(kind, shear, scale))

    def extend(self, other) -> None:
        for f in other:
            self.append(f)

    def __mul__(self, other: "Word") -> "Word":
        w = self._like(self.p, self.factors)
        w.extend(other)
        return w

    def mirrored(self) -> "Word":
        return self._like(self.n - self.p, [f.mirrored() for f in self.factors])

    def transposed(self) -> "Word":
        """The word of ``W^T`` for a word ``W`` of unit factors."""
        return self._like(self.p, [f.transposed() for f in reversed(self.factors)])

    def inverse(self) -> "Word":
        """The word of ``W^-1``.

        >>> from construct.core.matrices import from_rows, identity
        >>> w = Word(3, 1, [lower(from_rows([[1], [2]]), [QQ(3), QQ(1)]), upper(from_rows([[1, 5]]), [QQ(2)])])
        >>> w.matrix() * w.inverse().matrix() == identity(3)
        True
        """
        return self._like(self.p, [f.inverse() for f in reversed(self.factors)])

    def embedded(self, n: int) -> "Word":
        """``diag(W, I)``: this word on the first coordinates of ``n``, the others (kept by neither) left alone.

        The new coordinates join the second group, so the split stays ``p``.

        >>> from construct.core.matrices import from_rows
        >>> Word(2, 1, [upper(from_rows([[2]]))]).embedded(3).matrix().to_list()
        [[1, 2, 0], [0, 1, 0], [0, 0, 1]]
        """
        return self._like(self.p, [f.padded(n - self.n) for f in self.factors], n)

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

    def matrix(self):
        """The product, one block update per factor (for a check, :meth:`apply` is far cheaper)."""
        return self.times(self.a.identity(self.n))

    def times(self, M):
        """``M F_1 ... F_k`` (``M`` with ``n`` columns) in the word's arithmetic (its ``times_word``: factor by factor
        from the left, or in mp a whole word in ball matrices).

        >>> import numpy as np
        >>> from construct.core.arith import Float64
        >>> w = Word(2, 1, [("lower", np.array([[3.0]]), None), ("upper", np.array([[1.0]]), (2.0,))], arith=Float64())
        >>> w.times(np.eye(2)).tolist()
        [[2.0, 1.0], [6.0, 4.0]]
        """
        return self.a.times_word(M, list(self), self.p)

    def apply(self, V):
        """The product times ``V`` (``n x m``), factor by factor from the right: ``O(n^2 m)`` per factor.

        >>> from construct.core.matrices import from_rows
        >>> w = Word(2, 1, [lower(from_rows([[3]])), upper(from_rows([[1]]), [QQ(2)])])
        >>> V = from_rows([[1, 0], [5, 1]])
        >>> w.apply(V) == w.matrix() * V
        True
        """
        a, p = self.a, self.p
        top, bottom = a.rows(V, 0, p), a.rows(V, p, self.n)
        for kind, shear, scale in reversed(list(self)):
            if kind == LOWER:
                bottom = a.add(a.matmul(shear, top), a.scale_rows(scale, bottom))
            else:
                top = a.add(a.scale_rows(scale, top), a.matmul(shear, bottom))
        return a.vstack(top, bottom)

    def certificate_factors(self, entry=str) -> list:
        """The factors as the certificate writes them (``docs/certificate.md``): every number by ``entry``."""
        return [{"kind": f.kind, "shear": [[entry(x) if x else "0" for x in row] for row in self.a.rows_of(f.shear)],
                 "scale": [entry(s) for s in f.scale]} for f in self]
