"""Symbolic proofs of the block-matrix identities behind the coupling factorizations.

Setting
-------
``n = 2d``; matrices are split into ``d x d`` blocks and ``I`` is the ``d x d``
identity.  The coupling matrices are::

    L(A, B) = [[I, 0], [A, B]]        U(C, D) = [[C, D], [0, I]]     (B, C diagonal)
    L_u(A)  = L(A, I)                 U_u(D)  = U(I, D)
    J       = [[0, I], [I, 0]]

What "proved" means here
------------------------
Every statement is checked for a fixed block size ``d`` (normally 1, 2, 3) by an
*exact* matrix equality over the rational function field
``K = QQ(x_1, ..., x_m)``, where every free matrix of the statement is a matrix
of fresh, independent indeterminates (full ``d x d`` for "generic" matrices,
diagonal for the diagonal ones).  Arithmetic is done with
:class:`sympy.polys.matrices.DomainMatrix` over ``K``; elements of ``K`` are
kept as reduced fractions, so "equal" means the two sides are the same rational
function entry by entry -- not a numerical or random-point test.

An identity ``lhs == rhs`` in ``K^{2d x 2d}`` whose sides are built with ring
operations and the inverses of some matrices ``M_1, ..., M_k`` has all
denominators dividing a power of ``det(M_1) ... det(M_k)``.  Hence it remains
true under every specialisation of the indeterminates to elements of any field
of characteristic 0 (``QQ``, ``RR``, ``CC``, ...) at which those inverses
exist: the statement holds for *every* matrix of size ``d`` outside the
hypersurface where the used inverses fail.  Identities with no inverse at all
are plain polynomial identities and hold unconditionally (over every
commutative ring, since the coefficients are integers).

Statements quantified over finitely many concrete matrices (the cross swap,
over all partial permutation matrices of size ``d``) are proved by exhaustive
enumeration with exact integer arithmetic.

"Conditional" statements (the gadget ``u a = I - X^-1, a u = I - Y``; the
three-factor converse ``P R^-1 S - Q = R^-1``) are proved through an exact
parametrisation of the solution set of the hypothesis (``X := (I - u a)^-1``,
``Y := I - a u``; ``Q := P R^-1 S - R^-1``).  Since the hypothesis determines
the dependent block uniquely, every matrix tuple satisfying it arises from the
parametrisation, so the generic proof covers all of them.

API
---
* :data:`STATEMENTS` -- the list of :class:`Statement` (name, text, check).
* :func:`prove` -- run one statement for one ``d`` -> :class:`ProofResult`.
* :func:`prove_all` -- run all statements for ``sizes`` -> list of results.
* :func:`format_report` -- text table of the results.
* :class:`BlockAlgebra` -- helpers (``L``, ``U``, ``Lu``, ``Uu``, ``J``,
  block assembly, inverses, exact equality) over any field ``K``.

>>> res = prove(statement_by_name("whitehead"), 2)
>>> res.ok, res.d
(True, 2)
>>> alg, m = BlockAlgebra.with_symbols(2, full=("A",))
>>> alg.equal(alg.J * alg.Lu(m["A"]) * alg.J, alg.Uu(m["A"]))
True
>>> alg.equal(alg.Lu(m["A"]), alg.Uu(m["A"]))
False
"""

from __future__ import annotations

import contextvars
import itertools
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from sympy import QQ, Symbol
from sympy.polys.matrices import DomainMatrix

__all__ = [
    "BlockAlgebra",
    "IdentityFailure",
    "ProofResult",
    "STATEMENTS",
    "Statement",
    "assert_equal",
    "format_report",
    "partial_permutations",
    "prove",
    "prove_all",
    "statement_by_name",
]


# ---------------------------------------------------------------------------
# Exact block algebra over a field K
# ---------------------------------------------------------------------------


class IdentityFailure(AssertionError):
    """Raised by :func:`assert_equal` when two matrices differ."""


# Number of matrix equalities verified during the current ``prove`` call.
_EQUALITIES: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "_EQUALITIES", default=None
)


def _is_equal(lhs: DomainMatrix, rhs: DomainMatrix) -> bool:
    """Exact entrywise equality (robust to dense/sparse internal formats).

    ``DomainMatrix.__eq__`` compares internal representations, so a dense and a
    sparse matrix with identical entries compare *unequal*; we therefore
    subtract in a common dense format and test every entry for zero.
    """
    if lhs.shape != rhs.shape:
        return False
    lhs, rhs = lhs.unify(rhs)
    diff = lhs.to_dense() - rhs.to_dense()
    return all(not entry for row in diff.to_list() for entry in row)


def assert_equal(lhs: DomainMatrix, rhs: DomainMatrix, what: str = "") -> None:
    """Raise :class:`IdentityFailure` unless ``lhs == rhs`` exactly."""
    if not _is_equal(lhs, rhs):
        raise IdentityFailure(f"not equal: {what}" if what else "matrices differ")
    counter = _EQUALITIES.get()
    if counter is not None:
        counter[0] += 1


class BlockAlgebra:
    """``2d x 2d`` block-matrix helpers over a field ``K``.

    >>> alg = BlockAlgebra(1, QQ)
    >>> alg.Lu(alg.const([[3]])).to_Matrix()
    Matrix([
    [1, 0],
    [3, 1]])
    """

    def __init__(self, d: int, K=QQ):
        if d < 1:
            raise ValueError("d must be >= 1")
        self.d = d
        self.K = K
        self.I = DomainMatrix.eye(d, K).to_dense()
        self.Z = DomainMatrix.zeros((d, d), K).to_dense()
        self.J = self.block(self.Z, self.I, self.I, self.Z)

    # -- construction ------------------------------------------------------
    @classmethod
    def with_symbols(
        cls, d: int, full: Sequence[str] = (), diagonal: Sequence[str] = ()
    ) -> tuple["BlockAlgebra", dict[str, DomainMatrix]]:
        """Field of fresh indeterminates and the requested symbolic matrices.

        ``full`` names get a ``d x d`` matrix of independent indeterminates,
        ``diagonal`` names a diagonal one.  Returns ``(algebra, matrices)``.
        """
        names = list(full) + list(diagonal)
        if len(set(names)) != len(names):
            raise ValueError("duplicate matrix names")
        syms: list[Symbol] = []
        index: dict[str, list[list[int | None]]] = {}
        for name in names:
            is_diag = name in diagonal
            grid: list[list[int | None]] = []
            for i in range(d):
                row: list[int | None] = []
                for j in range(d):
                    if is_diag and i != j:
                        row.append(None)
                    else:
                        row.append(len(syms))
                        syms.append(Symbol(f"{name}_{i}{j}"))
                grid.append(row)
            index[name] = grid
        K = QQ.frac_field(*syms) if syms else QQ
        gens = K.gens if syms else ()
        alg = cls(d, K)
        mats = {
            name: DomainMatrix(
                [[K.zero if k is None else gens[k] for k in row] for row in grid],
                (d, d),
                K,
            )
            for name, grid in index.items()
        }
        return alg, mats

    def const(self, rows: Iterable[Iterable[int]]) -> DomainMatrix:
        """Integer/rational constant matrix embedded in ``K``."""
        rows = [[self.K.convert(x) for x in row] for row in rows]
        return DomainMatrix(rows, (len(rows), len(rows[0]) if rows else 0), self.K)

    # -- block structure ---------------------------------------------------
    def block(self, P, Q, R, S) -> DomainMatrix:
        """``[[P, Q], [R, S]]``."""
        return P.hstack(Q).vstack(R.hstack(S)).to_dense()

    def split(self, M: DomainMatrix):
        """Inverse of :meth:`block`: ``(P, Q, R, S)``."""
        d = self.d
        a, b = slice(0, d), slice(d, 2 * d)
        M = M.to_dense()
        return M[a, a], M[a, b], M[b, a], M[b, b]

    def L(self, A, B) -> DomainMatrix:
        """``L(A, B) = [[I, 0], [A, B]]``."""
        return self.block(self.I, self.Z, A, B)

    def U(self, C, D) -> DomainMatrix:
        """``U(C, D) = [[C, D], [0, I]]``."""
        return self.block(C, D, self.Z, self.I)

    def Lu(self, A) -> DomainMatrix:
        """``L_u(A) = L(A, I)``."""
        return self.L(A, self.I)

    def Uu(self, D) -> DomainMatrix:
        """``U_u(D) = U(I, D)``."""
        return self.U(self.I, D)

    def diag(self, E, F) -> DomainMatrix:
        """``diag(E, F) = [[E, 0], [0, F]]``."""
        return self.block(E, self.Z, self.Z, F)

    # -- arithmetic ----------------------------------------------------------
    @staticmethod
    def inv(M: DomainMatrix) -> DomainMatrix:
        """Exact inverse over the field (raises ``ZeroDivisionError`` if singular).

        Over a rational function field, Gauss-Jordan elimination with gcd
        cancellation at every step is slow (tens of seconds for nested 3 x 3
        inverses), so we clear denominators, ``M = N / den`` with ``N`` over the
        polynomial ring, and use the division-free adjugate:
        ``M^-1 = den * adj(N) / det(N)``.  The result is verified exactly
        (``M M^-1 = I``) before it is returned.
        """
        M = M.to_dense()
        K = M.domain
        if getattr(K, "is_FractionField", False):
            den, N = M.clear_denoms(convert=True)
            R = N.domain
            den = getattr(den, "element", den)
            adj, det = N.adj_det()
            if not det:
                raise ZeroDivisionError("matrix is singular")
            Minv = adj.convert_to(K) * (K.convert_from(den, R) / K.convert_from(det, R))
        else:
            Minv = M.inv()
        n = M.shape[0]
        assert_equal(M * Minv, DomainMatrix.eye(n, K), "M M^-1 = I (inverse self-check)")
        return Minv

    @staticmethod
    def prod(*Ms: DomainMatrix) -> DomainMatrix:
        out = Ms[0]
        for M in Ms[1:]:
            out = out * M
        return out

    @staticmethod
    def equal(lhs: DomainMatrix, rhs: DomainMatrix) -> bool:
        return _is_equal(lhs, rhs)


# ---------------------------------------------------------------------------
# Partial permutations
# ---------------------------------------------------------------------------


def partial_permutations(d: int, signed: bool = False) -> Iterator[list[tuple[int, int, int]]]:
    """All partial (signed) permutations of size ``d`` as lists of ``(i, j, eps)``.

    Entry ``Pi[i, j] = eps`` (``eps = 1``, or ``+-1`` if ``signed``); rows and
    columns are used at most once.

    >>> sum(1 for _ in partial_permutations(3)), sum(1 for _ in partial_permutations(3, signed=True))
    (34, 139)
    """
    signs = (1, -1) if signed else (1,)
    for k in range(d + 1):
        for rows in itertools.combinations(range(d), k):
            for cols in itertools.permutations(range(d), k):
                for eps in itertools.product(signs, repeat=k):
                    yield list(zip(rows, cols, eps))


def _pi_matrix(alg: BlockAlgebra, pairs) -> DomainMatrix:
    rows = [[0] * alg.d for _ in range(alg.d)]
    for i, j, e in pairs:
        rows[i][j] = e
    return alg.const(rows)


# ---------------------------------------------------------------------------
# The statements
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """A named identity; ``check(d)`` returns ``True`` or raises/returns ``False``."""

    name: str
    text: str
    check: Callable[[int], bool]


@dataclass(frozen=True)
class ProofResult:
    name: str
    statement: str
    d: int
    ok: bool
    seconds: float
    detail: str


def _diagonal_pushing(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("A", "D"), diagonal=("E", "F"))
    A, D, E, F = m["A"], m["D"], m["E"], m["F"]
    Delta = alg.diag(E, F)
    Ei, Fi = alg.inv(E), alg.inv(F)
    assert_equal(Delta * alg.Lu(A), alg.Lu(F * A * Ei) * Delta, "Delta L_u(A) = L_u(F A E^-1) Delta")
    assert_equal(Delta * alg.Uu(D), alg.Uu(E * D * Fi) * Delta, "Delta U_u(D) = U_u(E D F^-1) Delta")
    return True


def _merging(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(
        d, full=("A1", "A2", "D1", "D2"), diagonal=("B1", "B2", "C1", "C2")
    )
    A1, A2, B1, B2 = m["A1"], m["A2"], m["B1"], m["B2"]
    C1, C2, D1, D2 = m["C1"], m["C2"], m["D1"], m["D2"]
    assert_equal(alg.L(A1, B1) * alg.L(A2, B2), alg.L(A1 + B1 * A2, B1 * B2), "L L merge")
    assert_equal(alg.U(C1, D1) * alg.U(C2, D2), alg.U(C1 * C2, C1 * D2 + D1), "U U merge")
    # the merged factors are again of the model form (B, C diagonal)
    if not ((B1 * B2).is_diagonal and (C1 * C2).is_diagonal):
        raise IdentityFailure("merged B / C not diagonal")
    return True


def _cross_swap_matrix(alg: BlockAlgebra, Pi: DomainMatrix) -> DomainMatrix:
    PiT = Pi.transpose()
    return alg.block(alg.I - Pi * PiT, Pi, -PiT, alg.I - PiT * Pi)


def _cross_swap_check(d: int, signed: bool) -> bool:
    alg = BlockAlgebra(d, QQ)
    n = 2 * d
    count = 0
    for pairs in partial_permutations(d, signed=signed):
        Pi = _pi_matrix(alg, pairs)
        PiT = Pi.transpose()
        M = alg.Uu(Pi) * alg.Lu(-PiT) * alg.Uu(Pi)
        tag = f"Pi pairs (i, j, eps) = {pairs}"
        assert_equal(M, _cross_swap_matrix(alg, Pi), f"U_u(Pi) L_u(-Pi^T) U_u(Pi) block formula, {tag}")
        # coordinate description: [[0, eps], [-eps, 0]] on each matched pair
        # (i, d + j), identity elsewhere -- built independently of the blocks.
        expected = [[1 if r == c else 0 for c in range(n)] for r in range(n)]
        squared = [[1 if r == c else 0 for c in range(n)] for r in range(n)]
        for i, j, e in pairs:
            a, b = i, d + j
            expected[a][a] = expected[b][b] = 0
            expected[a][b], expected[b][a] = e, -e
            squared[a][a] = squared[b][b] = -1
        assert_equal(M, alg.const(expected), f"pairwise [[0, eps], [-eps, 0]] form, {tag}")
        assert_equal(M * M, alg.const(squared), f"square is -1 on matched coordinates, {tag}")
        count += 1
    return count > 0


def _cross_swap(d: int) -> bool:
    return _cross_swap_check(d, signed=False)


def _cross_swap_signed(d: int) -> bool:
    return _cross_swap_check(d, signed=True)


def _whitehead(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("X",))
    X, I = m["X"], alg.I
    Xi = alg.inv(X)
    rhs = alg.prod(alg.Lu(I - Xi), alg.Uu(-I), alg.Lu(I - X), alg.Uu(Xi))
    assert_equal(alg.diag(X, Xi), rhs, "diag(X, X^-1) = L_u(I - X^-1) U_u(-I) L_u(I - X) U_u(X^-1)")
    return True


def _four_factor(alpha, beta, gamma, delta, alg: BlockAlgebra) -> DomainMatrix:
    return alg.prod(alg.Lu(alpha), alg.Uu(beta), alg.Lu(gamma), alg.Uu(delta))


def _gadget(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("u", "a"))
    u, a, I = m["u"], m["a"], alg.I
    X = alg.inv(I - u * a)  # exact parametrisation of  u a = I - X^-1
    Y = I - a * u  # and  a u = I - Y
    Xi = alg.inv(X)
    assert_equal(u * a, I - Xi, "hypothesis u a = I - X^-1")
    assert_equal(a * u, I - Y, "hypothesis a u = I - Y")
    rhs = _four_factor(a, -u, -a * X, Xi * u, alg)
    assert_equal(alg.diag(X, Y), rhs, "diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)")
    return True


def _gadget_converse(d: int) -> bool:
    # (i) generic alpha..delta: the off-diagonal blocks are exactly
    #     delta-part X delta + beta and alpha X + gamma, with X = I + beta gamma,
    #     so (X invertible) block diagonal  <=>  delta = -X^-1 beta, alpha = -gamma X^-1.
    alg, m = BlockAlgebra.with_symbols(d, full=("alpha", "beta", "gamma", "delta"))
    al, be, ga, de, I = m["alpha"], m["beta"], m["gamma"], m["delta"], alg.I
    X = I + be * ga
    P, Q, R, S = alg.split(_four_factor(al, be, ga, de, alg))
    assert_equal(P, X, "top-left block = X = I + beta gamma")
    assert_equal(Q, X * de + be, "top-right block = X delta + beta")
    assert_equal(R, al * X + ga, "bottom-left block = alpha X + gamma")
    assert_equal(S, (al * X + ga) * de + al * be + I, "bottom-right block")
    # (ii) substituted: generic beta, gamma only.
    alg, m = BlockAlgebra.with_symbols(d, full=("beta", "gamma"))
    be, ga, I = m["beta"], m["gamma"], alg.I
    X = I + be * ga
    Xi = alg.inv(X)
    de = -Xi * be
    al = -ga * Xi
    prod = _four_factor(al, be, ga, de, alg)
    assert_equal(prod, alg.diag(X, I - ga * Xi * be), "product = diag(X, I - gamma X^-1 beta)")
    return True


def _three_factor(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("b", "c", "e"))
    b, c, e, I = m["b"], m["c"], m["e"], alg.I
    lhs = alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e))
    assert_equal(lhs, alg.block(I + b * c, (I + b * c) * e + b, c, c * e + I), "U_u(b) L_u(c) U_u(e) formula")
    return True


def _three_factor_converse(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("P", "R", "S"))
    P, R, S, I = m["P"], m["R"], m["S"], alg.I
    Ri = alg.inv(R)
    Q = P * Ri * S - Ri  # exact parametrisation of  P R^-1 S - Q = R^-1
    M = alg.block(P, Q, R, S)
    c, b, e = R, (P - I) * Ri, Ri * (S - I)
    assert_equal(alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e)), M, "U_u((P-I)R^-1) L_u(R) U_u(R^-1(S-I)) = M")
    return True


def _three_factor_mirror(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("b", "c", "e"))
    b, c, e, I, J = m["b"], m["c"], m["e"], alg.I, alg.J
    lhs = alg.prod(alg.Lu(b), alg.Uu(c), alg.Lu(e))
    # obtained via J: L_u(x) = J U_u(x) J, so L_u U_u L_u = J (U_u L_u U_u) J
    via_j = J * alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e)) * J
    assert_equal(lhs, via_j, "L_u(b) U_u(c) L_u(e) = J U_u(b) L_u(c) U_u(e) J")
    assert_equal(lhs, alg.block(I + c * e, c, b + (I + b * c) * e, I + b * c), "L_u(b) U_u(c) L_u(e) formula")
    return True


def _three_factor_mirror_converse(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("P", "Q", "S"))
    P, Q, S, I, J = m["P"], m["Q"], m["S"], alg.I, alg.J
    Qi = alg.inv(Q)
    R = S * Qi * P - Qi  # exact parametrisation of  S Q^-1 P - R = Q^-1
    M = alg.block(P, Q, R, S)
    c, b, e = Q, (S - I) * Qi, Qi * (P - I)
    assert_equal(alg.prod(alg.Lu(b), alg.Uu(c), alg.Lu(e)), M, "L_u((S-I)Q^-1) U_u(Q) L_u(Q^-1(P-I)) = M")
    # and it is the J-conjugate of the U L U converse applied to J M J
    assert_equal(J * M * J, alg.block(S, R, Q, P), "J M J = [[S, R], [Q, P]]")
    return True


def _j_conjugation(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("A", "D"), diagonal=("B", "C"))
    A, B, C, D, J = m["A"], m["B"], m["C"], m["D"], alg.J
    assert_equal(J * J, alg.block(alg.I, alg.Z, alg.Z, alg.I), "J^2 = 1")
    assert_equal(J * alg.L(A, B) * J, alg.U(B, A), "J L(A, B) J = U(B, A)")
    assert_equal(J * alg.U(C, D) * J, alg.L(D, C), "J U(C, D) J = L(D, C)")
    return True


def _absorb_diagonal(d: int) -> bool:
    alg, m = BlockAlgebra.with_symbols(d, full=("A", "D"), diagonal=("B", "C", "E", "F"))
    A, B, C, D, E, F = (m[k] for k in "ABCDEF")
    Delta = alg.diag(E, F)
    assert_equal(alg.L(A, B) * Delta, alg.U(E, alg.Z) * alg.L(A * E, B * F), "L(A,B) diag(E,F) = U(E,0) L(AE, BF)")
    assert_equal(alg.U(C, D) * Delta, alg.L(alg.Z, F) * alg.U(C * E, D * F), "U(C,D) diag(E,F) = L(0,F) U(CE, DF)")
    return True


STATEMENTS: list[Statement] = [
    Statement(
        "diagonal_pushing",
        "Delta = diag(E,F), E,F diagonal: Delta L_u(A) = L_u(F A E^-1) Delta, "
        "Delta U_u(D) = U_u(E D F^-1) Delta",
        _diagonal_pushing,
    ),
    Statement(
        "merging",
        "L(A1,B1) L(A2,B2) = L(A1 + B1 A2, B1 B2); U(C1,D1) U(C2,D2) = U(C1 C2, C1 D2 + D1)",
        _merging,
    ),
    Statement(
        "cross_swap",
        "every partial permutation Pi: U_u(Pi) L_u(-Pi^T) U_u(Pi) = "
        "[[I - Pi Pi^T, Pi], [-Pi^T, I - Pi^T Pi]] = [[0,1],[-1,0]] on matched pairs, "
        "square = -1 on matched coords, 1 elsewhere",
        _cross_swap,
    ),
    Statement(
        "cross_swap_signed",
        "same as cross_swap for every signed (+-1) partial permutation: [[0,eps],[-eps,0]] on matched pairs",
        _cross_swap_signed,
    ),
    Statement(
        "whitehead",
        "diag(X, X^-1) = L_u(I - X^-1) U_u(-I) L_u(I - X) U_u(X^-1)",
        _whitehead,
    ),
    Statement(
        "gadget",
        "u a = I - X^-1, a u = I - Y  =>  diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)",
        _gadget,
    ),
    Statement(
        "gadget_converse",
        "L_u(al) U_u(be) L_u(ga) U_u(de) = [[X, X de + be], [al X + ga, *]], X = I + be ga; "
        "with de = -X^-1 be, al = -ga X^-1 it is diag(X, I - ga X^-1 be)",
        _gadget_converse,
    ),
    Statement(
        "three_factor",
        "U_u(b) L_u(c) U_u(e) = [[I + b c, (I + b c) e + b], [c, c e + I]]",
        _three_factor,
    ),
    Statement(
        "three_factor_converse",
        "M = [[P,Q],[R,S]], P R^-1 S - Q = R^-1: M = U_u((P-I) R^-1) L_u(R) U_u(R^-1 (S-I))",
        _three_factor_converse,
    ),
    Statement(
        "three_factor_mirror",
        "L_u(b) U_u(c) L_u(e) = J U_u(b) L_u(c) U_u(e) J = [[I + c e, c], [b + (I + b c) e, I + b c]]",
        _three_factor_mirror,
    ),
    Statement(
        "three_factor_mirror_converse",
        "M = [[P,Q],[R,S]], S Q^-1 P - R = Q^-1: M = L_u((S-I) Q^-1) U_u(Q) L_u(Q^-1 (P-I))",
        _three_factor_mirror_converse,
    ),
    Statement(
        "j_conjugation",
        "J L(A, B) J = U(B, A); J U(C, D) J = L(D, C)",
        _j_conjugation,
    ),
    Statement(
        "absorb_diagonal",
        "L(A,B) diag(E,F) = U(E,0) L(A E, B F); U(C,D) diag(E,F) = L(0,F) U(C E, D F)",
        _absorb_diagonal,
    ),
]


def statement_by_name(name: str) -> Statement:
    for st in STATEMENTS:
        if st.name == name:
            return st
    raise KeyError(name)


# ---------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------


def prove(statement: Statement, d: int) -> ProofResult:
    """Run ``statement.check(d)``; never raises, failures are reported in the result."""
    counter = [0]
    token = _EQUALITIES.set(counter)
    start = time.perf_counter()
    try:
        outcome = statement.check(d)
        ok = outcome is True
        detail = (
            f"{counter[0]} exact matrix equalities verified"
            if ok
            else f"check returned {outcome!r} after {counter[0]} equalities"
        )
    except IdentityFailure as exc:
        ok, detail = False, str(exc)
    except Exception as exc:  # e.g. a singular "generic" matrix: a bug, not a proof
        ok, detail = False, f"error: {type(exc).__name__}: {exc}"
    finally:
        _EQUALITIES.reset(token)
    seconds = time.perf_counter() - start
    return ProofResult(statement.name, statement.text, d, ok, seconds, detail)


def prove_all(
    sizes: Iterable[int] = (1, 2, 3), statements: Sequence[Statement] | None = None
) -> list[ProofResult]:
    """Prove every statement for every block size in ``sizes``.

    >>> rs = prove_all(sizes=(1,))
    >>> all(r.ok for r in rs), len(rs) == len(STATEMENTS)
    (True, True)
    """
    statements = STATEMENTS if statements is None else statements
    sizes = tuple(sizes)
    return [prove(st, d) for st in statements for d in sizes]


def format_report(results: Sequence[ProofResult]) -> str:
    """Readable table: one row per statement, one column per ``d``, total time.

    >>> print(format_report([ProofResult("x", "x = x", 1, True, 0.5, "")]))
    statement  d=1          time
    ---------  -----------  -----
    x          ok (0.50s)   0.50s
    ---------  -----------  -----
    total: 1/1 proved, 0.50s
    """
    sizes = sorted({r.d for r in results})
    names: list[str] = []
    for r in results:
        if r.name not in names:
            names.append(r.name)
    cell = {(r.name, r.d): r for r in results}
    header = ["statement"] + [f"d={d}" for d in sizes] + ["time"]
    rows = []
    for name in names:
        row = [name]
        total = 0.0
        for d in sizes:
            r = cell.get((name, d))
            if r is None:
                row.append("-")
            else:
                total += r.seconds
                row.append(f"{'ok' if r.ok else 'FALSE'} ({r.seconds:.2f}s)")
        row.append(f"{total:.2f}s")
        rows.append(row)
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    widths = [max(w, 5) for w in widths]
    widths[1:-1] = [max(w, 11) for w in widths[1:-1]]

    def fmt(row):
        return "  ".join(x.ljust(w) for x, w in zip(row, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [fmt(header), rule] + [fmt(r) for r in rows] + [rule]
    n_ok = sum(r.ok for r in results)
    lines.append(f"total: {n_ok}/{len(results)} proved, {sum(r.seconds for r in results):.2f}s")
    failures = [r for r in results if not r.ok]
    for r in failures:
        lines.append(f"FALSE {r.name} d={r.d}: {r.detail}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(format_report(prove_all()))
