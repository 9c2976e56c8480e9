"""Symbolic proofs of the block-matrix identities behind the coupling factorizations.

Setting
-------
``n = 2d``; matrices are split into ``d x d`` blocks and ``I`` is the ``d x d``
identity.  The coupling matrices are::

    L(A, B) = [[I, 0], [A, B]]        U(C, D) = [[C, D], [0, I]]     (B, C diagonal)
    L_u(A)  = L(A, I)                 U_u(D)  = U(I, D)
    J       = [[0, I], [I, 0]]

Every statement is written once, against a block algebra, and checked in two.

For every block size: the free algebra
--------------------------------------
:class:`FreeBlockAlgebra` takes the blocks to be noncommuting letters
(:mod:`proofs.noncommutative`): inverses are formal letters with
``X X^-1 = X^-1 X = 1``, diagonal blocks are letters that commute with each
other (and with nothing else), and a hypothesis is a relation the letters
obey.  Two sides with the same normal form are equal for every assignment of
``d x d`` matrices (any ``d``, over any field of characteristic 0) that obeys
the relations, because every rewriting rule is such an equation
(docs/theory.md, "Gadget identities for every block size").  Such a statement
is reported for ``"all d"``.

For d = 1, 2, 3: generic symbolic blocks
----------------------------------------
:class:`BlockAlgebra` checks the same statement for a fixed ``d`` by an exact
matrix equality over the rational function field ``K = QQ(x_1, ..., x_m)``,
every free matrix a matrix of fresh indeterminates (full or diagonal);
:class:`sympy.polys.matrices.DomainMatrix` keeps the entries as reduced
fractions, so "equal" means the same rational function entry by entry.  An
identity built with ring operations and the inverses of ``M_1, ..., M_k``
has all denominators dividing a power of ``det(M_1) ... det(M_k)``, so it
holds for every matrix of size ``d`` at which those inverses exist.  These
checks cross-check the free-algebra proofs, and are the only evidence for a
statement without one (reported with the list of ``d`` checked and why).  A
statement whose generic check takes minutes (the five-factor route: five
nested inverses) is checked generically up to ``generic_up_to`` and beyond
that at random rational matrices -- a cross-check, never counted as a proof.

Statements quantified over finitely many concrete matrices (the cross swap,
over all partial permutation matrices of size ``d``) are enumerated with
exact integer arithmetic; in the free algebra the partial permutation is a
letter ``Pi`` with the relations ``Pi Pi^T Pi = Pi``, ``Pi^T Pi Pi^T = Pi^T``
that every (signed) partial permutation matrix satisfies.

"Conditional" statements (the gadget ``u a = I - X^-1, a u = I - Y``; the
three-factor converse ``P R^-1 S - Q = R^-1``) are proved through an exact
parametrisation of the solution set of the hypothesis (``X^-1 := I - u a``,
``Y := I - a u``; ``Q := P R^-1 S - R^-1``).  Since the hypothesis determines
the dependent block uniquely, every matrix tuple satisfying it arises from the
parametrisation, so the generic proof covers all of them.  In the free
algebra ``X^-1 := I - u a`` is the relation (rule) ``u a -> 1 - X^-1``.

API
---
* :data:`STATEMENTS` -- the list of :class:`Statement`.
* :func:`prove_free` -- the free-algebra proof of one statement (all ``d``).
* :func:`prove` -- the check of one statement for one ``d`` -> :class:`ProofResult`.
* :func:`decide` / :func:`verdict` -- both, combined into a :class:`Verdict`
  (``holds``, ``scope``: ``"all d"`` or the ``d`` checked, ``reason``).
* :func:`prove_all`, :func:`format_report`, :func:`verdict_json`.

>>> res = prove(statement_by_name("whitehead"), 2)
>>> res.ok, res.d
(True, 2)
>>> prove_free(statement_by_name("whitehead")).ok
True
>>> alg, m = BlockAlgebra.with_symbols(2, full=("A",))
>>> alg.equal(alg.J * alg.Lu(m["A"]) * alg.J, alg.Uu(m["A"]))
True
>>> alg.equal(alg.Lu(m["A"]), alg.Uu(m["A"]))
False
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from sympy import QQ, Symbol
from sympy.polys.matrices import DomainMatrix

from proofs.noncommutative import BlockMatrix, Poly, RewritingSystem, base_letter, inverse_letter

__all__ = [
    "ALL_D",
    "BlockAlgebra",
    "FreeBlockAlgebra",
    "IdentityFailure",
    "ProofResult",
    "STATEMENTS",
    "Statement",
    "Verdict",
    "assert_equal",
    "decide",
    "format_report",
    "partial_permutations",
    "prove",
    "prove_all",
    "prove_free",
    "statement_by_name",
    "verdict",
    "verdict_json",
]

#: The scope of a statement proved in the free algebra.
ALL_D = "all d"


# ---------------------------------------------------------------------------
# Block algebras: exact over a field K, and free
# ---------------------------------------------------------------------------


class IdentityFailure(AssertionError):
    """Raised by :func:`assert_equal` when two matrices differ."""


# Number of matrix equalities verified during the current ``prove`` call.
_EQUALITIES: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "_EQUALITIES", default=None
)
# The rewriting systems of the free algebras made during the current ``prove_free`` call.
_FREE_SYSTEMS: contextvars.ContextVar[list[RewritingSystem] | None] = contextvars.ContextVar(
    "_FREE_SYSTEMS", default=None
)


def _record(ok: bool, what: str) -> None:
    if not ok:
        raise IdentityFailure(f"not equal: {what}" if what else "matrices differ")
    counter = _EQUALITIES.get()
    if counter is not None:
        counter[0] += 1


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
    _record(_is_equal(lhs, rhs), what)


class _Blocks:
    """The coupling matrices, for any block algebra with ``I``, ``Z``, ``block`` and ``equal``."""

    def L(self, A, B):
        """``L(A, B) = [[I, 0], [A, B]]``."""
        return self.block(self.I, self.Z, A, B)

    def U(self, C, D):
        """``U(C, D) = [[C, D], [0, I]]``."""
        return self.block(C, D, self.Z, self.I)

    def Lu(self, A):
        """``L_u(A) = L(A, I)``."""
        return self.L(A, self.I)

    def Uu(self, D):
        """``U_u(D) = U(I, D)``."""
        return self.U(self.I, D)

    def diag(self, E, F):
        """``diag(E, F) = [[E, 0], [0, F]]``."""
        return self.block(E, self.Z, self.Z, F)

    @staticmethod
    def prod(*Ms):
        out = Ms[0]
        for M in Ms[1:]:
            out = out * M
        return out

    def assert_equal(self, lhs, rhs, what: str = "") -> None:
        """Raise :class:`IdentityFailure` unless ``lhs == rhs`` in this algebra."""
        _record(self.equal(lhs, rhs), what)


class BlockAlgebra(_Blocks):
    """``2d x 2d`` block matrices over a field ``K``.

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

    @classmethod
    def with_random_values(
        cls, d: int, full: Sequence[str] = (), diagonal: Sequence[str] = (), seed: int = 0
    ) -> tuple["BlockAlgebra", dict[str, DomainMatrix]]:
        """Like :meth:`with_symbols`, but random integer matrices over ``QQ``: a cross-check, not a proof."""
        rng = random.Random(seed)
        alg = cls(d, QQ)

        def entry(i, j, name):
            if name in diagonal and i != j:
                return 0
            return rng.choice([-1, 1]) * rng.randint(1, 20) if name in diagonal else rng.randint(-20, 20)

        names = list(full) + list(diagonal)
        return alg, {name: alg.const([[entry(i, j, name) for j in range(d)] for i in range(d)]) for name in names}

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

    def invertible(self, M: DomainMatrix, name: str) -> tuple[DomainMatrix, DomainMatrix]:
        """``(M, M^-1)``; the free algebra names ``M`` by a letter instead."""
        return M, self.inv(M)

    def assume(self, lhs: DomainMatrix, rhs: DomainMatrix, what: str) -> None:
        """A hypothesis about concrete matrices: check that it holds."""
        self.assert_equal(lhs, rhs, f"hypothesis {what}")

    @staticmethod
    def is_diagonal(M: DomainMatrix) -> bool:
        return M.is_diagonal

    @staticmethod
    def equal(lhs: DomainMatrix, rhs: DomainMatrix) -> bool:
        return _is_equal(lhs, rhs)


class FreeBlockAlgebra(_Blocks):
    """``2 x 2`` block matrices whose blocks are noncommutative polynomials: every ``d`` at once.

    >>> alg, m = FreeBlockAlgebra.with_symbols(full=("A",), diagonal=("E",))
    >>> A, E = m["A"], m["E"]
    >>> alg.equal(alg.J * alg.Lu(A) * alg.J, alg.Uu(A))
    True
    >>> alg.equal(alg.diag(E, E) * alg.Lu(A), alg.Lu(A) * alg.diag(E, E))  # E A != A E
    False
    >>> alg.equal(alg.diag(E, E) * alg.Lu(A), alg.Lu(E * A * alg.inv(E)) * alg.diag(E, E))
    True
    """

    def __init__(self):
        self.system = RewritingSystem()
        systems = _FREE_SYSTEMS.get()
        if systems is not None:
            systems.append(self.system)
        self.I, self.Z = Poly.one(), Poly.zero()
        self.J = self.block(self.Z, self.I, self.I, self.Z)

    @classmethod
    def with_symbols(
        cls, full: Sequence[str] = (), diagonal: Sequence[str] = ()
    ) -> tuple["FreeBlockAlgebra", dict[str, Poly]]:
        """A free algebra and one letter per name (``diagonal`` ones commute with each other)."""
        names = list(full) + list(diagonal)
        if len(set(names)) != len(names):
            raise ValueError("duplicate matrix names")
        alg = cls()
        for name in diagonal:
            alg.system.add_diagonal(name)
        return alg, {name: Poly.letter(name) for name in names}

    @staticmethod
    def block(P, Q, R, S) -> BlockMatrix:
        return BlockMatrix(P, Q, R, S)

    @staticmethod
    def split(M: BlockMatrix):
        return M.entries()

    def inv(self, M: Poly) -> Poly:
        """The formal inverse of a letter (which the statement thereby assumes invertible)."""
        letter = M.as_letter()
        if letter is None:
            raise ValueError("the free algebra inverts letters only; name the matrix with invertible()")
        self.system.add_invertible(base_letter(letter))
        return Poly.letter(inverse_letter(letter))

    def invertible(self, M: Poly, name: str) -> tuple[Poly, Poly]:
        """A fresh invertible letter ``name`` with the relation ``name = M``, and its inverse."""
        letter = Poly.letter(name)
        self.system.add_relation(letter, M)
        return letter, self.inv(letter)

    def assume(self, lhs: Poly, rhs: Poly, what: str) -> None:
        """A hypothesis: the relation ``lhs = rhs`` becomes a rewriting rule."""
        self.system.add_relation(lhs, rhs)

    def is_diagonal(self, M: Poly) -> bool:
        """Every word a product of diagonal letters: diagonal for every assignment."""
        diagonal = set(self.system.diagonal)
        return all(base_letter(x) in diagonal for x in M.letters())

    def equal(self, lhs, rhs) -> bool:
        if isinstance(lhs, BlockMatrix):
            return all(self.system.equal(x, y) for x, y in zip(lhs.entries(), rhs.entries()))
        return self.system.equal(lhs, rhs)


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
    """A named identity.

    ``check(d)`` verifies it for block size ``d`` (returns ``True`` or
    raises/returns ``False``); ``free()``, if given, verifies it in the free
    algebra, for every ``d``; ``note`` says what the proofs leave to the reader
    or why there is no free-algebra proof.  For ``d > generic_up_to`` the
    check uses random rational matrices instead of generic ones (generic
    blocks would take minutes): a cross-check of the free-algebra proof, not
    a proof for that ``d``.
    """

    name: str
    text: str
    check: Callable[[int], bool]
    free: Callable[[], bool] | None = None
    note: str = ""
    generic_up_to: int | None = None

    def generic(self, d: int) -> bool:
        """Whether ``check(d)`` uses generic symbolic blocks (a proof for that ``d``)."""
        return self.generic_up_to is None or d <= self.generic_up_to


def _statement(name: str, text: str, body: Callable, note: str = "", generic_up_to: int | None = None) -> Statement:
    """A statement whose ``body(symbols)`` runs unchanged in both algebras."""

    def check(d: int) -> bool:
        generic = statement.generic(d)
        return body(functools.partial(BlockAlgebra.with_symbols if generic else BlockAlgebra.with_random_values, d))

    statement = Statement(
        name, text, check, free=lambda: body(FreeBlockAlgebra.with_symbols), note=note, generic_up_to=generic_up_to
    )
    return statement


@dataclass(frozen=True)
class ProofResult:
    """One proof attempt: for block size ``d``, or in the free algebra (``d is None``).

    ``generic`` is false for a check at random matrices (a cross-check only).
    """

    name: str
    statement: str
    d: int | None
    ok: bool
    seconds: float
    detail: str
    generic: bool = True


@dataclass(frozen=True)
class Verdict:
    """What is established about a statement: ``scope`` is ``"all d"`` or the sizes ``d`` checked."""

    name: str
    statement: str
    holds: bool
    scope: str | tuple[int, ...]
    reason: str
    free: ProofResult | None
    checks: tuple[ProofResult, ...]


def _diagonal_pushing(symbols) -> bool:
    alg, m = symbols(full=("A", "D"), diagonal=("E", "F"))
    A, D, E, F = m["A"], m["D"], m["E"], m["F"]
    Delta = alg.diag(E, F)
    Ei, Fi = alg.inv(E), alg.inv(F)
    alg.assert_equal(Delta * alg.Lu(A), alg.Lu(F * A * Ei) * Delta, "Delta L_u(A) = L_u(F A E^-1) Delta")
    alg.assert_equal(Delta * alg.Uu(D), alg.Uu(E * D * Fi) * Delta, "Delta U_u(D) = U_u(E D F^-1) Delta")
    return True


def _merging(symbols) -> bool:
    alg, m = symbols(full=("A1", "A2", "D1", "D2"), diagonal=("B1", "B2", "C1", "C2"))
    A1, A2, B1, B2 = m["A1"], m["A2"], m["B1"], m["B2"]
    C1, C2, D1, D2 = m["C1"], m["C2"], m["D1"], m["D2"]
    alg.assert_equal(alg.L(A1, B1) * alg.L(A2, B2), alg.L(A1 + B1 * A2, B1 * B2), "L L merge")
    alg.assert_equal(alg.U(C1, D1) * alg.U(C2, D2), alg.U(C1 * C2, C1 * D2 + D1), "U U merge")
    # the merged factors are again of the model form (B, C diagonal)
    if not (alg.is_diagonal(B1 * B2) and alg.is_diagonal(C1 * C2)):
        raise IdentityFailure("merged B / C not diagonal")
    return True


def _cross_swap_blocks(alg, Pi, PiT) -> None:
    """The block identities of the cross swap ``G = U_u(Pi) L_u(-Pi^T) U_u(Pi)``.

    They use of ``Pi`` only ``Pi Pi^T Pi = Pi`` and ``Pi^T Pi Pi^T = Pi^T``,
    true for every signed partial permutation matrix (``Pi^T Pi`` is the 0/1
    diagonal projection onto the matched columns).
    """
    I = alg.I
    alg.assume(Pi * PiT * Pi, Pi, "Pi Pi^T Pi = Pi")
    alg.assume(PiT * Pi * PiT, PiT, "Pi^T Pi Pi^T = Pi^T")
    G = alg.prod(alg.Uu(Pi), alg.Lu(-PiT), alg.Uu(Pi))
    alg.assert_equal(G, alg.block(I - Pi * PiT, Pi, -PiT, I - PiT * Pi), "U_u(Pi) L_u(-Pi^T) U_u(Pi) block formula")
    alg.assert_equal(alg.prod(alg.Lu(-PiT), alg.Uu(Pi), alg.Lu(-PiT)), G, "L_u(-Pi^T) U_u(Pi) L_u(-Pi^T) = G")
    alg.assert_equal(G * G, alg.diag(I - 2 * Pi * PiT, I - 2 * PiT * Pi), "G^2 = diag(I - 2 Pi Pi^T, I - 2 Pi^T Pi)")


def _cross_swap_check(d: int, signed: bool) -> bool:
    alg = BlockAlgebra(d, QQ)
    n = 2 * d
    count = 0
    for pairs in partial_permutations(d, signed=signed):
        Pi = _pi_matrix(alg, pairs)
        _cross_swap_blocks(alg, Pi, Pi.transpose())
        M = alg.Uu(Pi) * alg.Lu(-Pi.transpose()) * alg.Uu(Pi)
        tag = f"Pi pairs (i, j, eps) = {pairs}"
        # coordinate description: [[0, eps], [-eps, 0]] on each matched pair
        # (i, d + j), identity elsewhere -- built independently of the blocks.
        expected = [[1 if r == c else 0 for c in range(n)] for r in range(n)]
        squared = [[1 if r == c else 0 for c in range(n)] for r in range(n)]
        for i, j, e in pairs:
            a, b = i, d + j
            expected[a][a] = expected[b][b] = 0
            expected[a][b], expected[b][a] = e, -e
            squared[a][a] = squared[b][b] = -1
        alg.assert_equal(M, alg.const(expected), f"pairwise [[0, eps], [-eps, 0]] form, {tag}")
        alg.assert_equal(M * M, alg.const(squared), f"square is -1 on matched coordinates, {tag}")
        count += 1
    return count > 0


def _cross_swap_free() -> bool:
    alg, m = FreeBlockAlgebra.with_symbols(full=("Pi", "Pi^T"))
    _cross_swap_blocks(alg, m["Pi"], m["Pi^T"])
    return True


def _whitehead(symbols) -> bool:
    alg, m = symbols(full=("X",))
    X, I = m["X"], alg.I
    Xi = alg.inv(X)
    rhs = alg.prod(alg.Lu(I - Xi), alg.Uu(-I), alg.Lu(I - X), alg.Uu(Xi))
    alg.assert_equal(alg.diag(X, Xi), rhs, "diag(X, X^-1) = L_u(I - X^-1) U_u(-I) L_u(I - X) U_u(X^-1)")
    return True


def _four_factor(alpha, beta, gamma, delta, alg):
    return alg.prod(alg.Lu(alpha), alg.Uu(beta), alg.Lu(gamma), alg.Uu(delta))


def _gadget(symbols) -> bool:
    alg, m = symbols(full=("u", "a"))
    u, a, I = m["u"], m["a"], alg.I
    Xi, X = alg.invertible(I - u * a, "X^-1")  # exact parametrisation of  u a = I - X^-1
    Y = I - a * u  # and  a u = I - Y
    alg.assert_equal(u * a, I - Xi, "hypothesis u a = I - X^-1")
    alg.assert_equal(a * u, I - Y, "hypothesis a u = I - Y")
    rhs = _four_factor(a, -u, -a * X, Xi * u, alg)
    alg.assert_equal(alg.diag(X, Y), rhs, "diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)")
    return True


def _gadget_converse(symbols) -> bool:
    # (i) generic alpha..delta: the off-diagonal blocks are exactly
    #     delta-part X delta + beta and alpha X + gamma, with X = I + beta gamma,
    #     so (X invertible) block diagonal  <=>  delta = -X^-1 beta, alpha = -gamma X^-1.
    alg, m = symbols(full=("alpha", "beta", "gamma", "delta"))
    al, be, ga, de, I = m["alpha"], m["beta"], m["gamma"], m["delta"], alg.I
    X = I + be * ga
    P, Q, R, S = alg.split(_four_factor(al, be, ga, de, alg))
    alg.assert_equal(P, X, "top-left block = X = I + beta gamma")
    alg.assert_equal(Q, X * de + be, "top-right block = X delta + beta")
    alg.assert_equal(R, al * X + ga, "bottom-left block = alpha X + gamma")
    alg.assert_equal(S, (al * X + ga) * de + al * be + I, "bottom-right block")
    # (ii) substituted: generic beta, gamma only.
    alg, m = symbols(full=("beta", "gamma"))
    be, ga, I = m["beta"], m["gamma"], alg.I
    X, Xi = alg.invertible(I + be * ga, "X")
    de = -Xi * be
    al = -ga * Xi
    prod = _four_factor(al, be, ga, de, alg)
    alg.assert_equal(prod, alg.diag(X, I - ga * Xi * be), "product = diag(X, I - gamma X^-1 beta)")
    return True


def _three_factor(symbols) -> bool:
    alg, m = symbols(full=("b", "c", "e"))
    b, c, e, I = m["b"], m["c"], m["e"], alg.I
    lhs = alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e))
    alg.assert_equal(lhs, alg.block(I + b * c, (I + b * c) * e + b, c, c * e + I), "U_u(b) L_u(c) U_u(e) formula")
    return True


def _three_factor_converse(symbols) -> bool:
    alg, m = symbols(full=("P", "R", "S"))
    P, R, S, I = m["P"], m["R"], m["S"], alg.I
    Ri = alg.inv(R)
    Q = P * Ri * S - Ri  # exact parametrisation of  P R^-1 S - Q = R^-1
    M = alg.block(P, Q, R, S)
    c, b, e = R, (P - I) * Ri, Ri * (S - I)
    alg.assert_equal(alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e)), M, "U_u((P-I)R^-1) L_u(R) U_u(R^-1(S-I)) = M")
    return True


def _three_factor_mirror(symbols) -> bool:
    alg, m = symbols(full=("b", "c", "e"))
    b, c, e, I, J = m["b"], m["c"], m["e"], alg.I, alg.J
    lhs = alg.prod(alg.Lu(b), alg.Uu(c), alg.Lu(e))
    # obtained via J: L_u(x) = J U_u(x) J, so L_u U_u L_u = J (U_u L_u U_u) J
    via_j = J * alg.prod(alg.Uu(b), alg.Lu(c), alg.Uu(e)) * J
    alg.assert_equal(lhs, via_j, "L_u(b) U_u(c) L_u(e) = J U_u(b) L_u(c) U_u(e) J")
    alg.assert_equal(lhs, alg.block(I + c * e, c, b + (I + b * c) * e, I + b * c), "L_u(b) U_u(c) L_u(e) formula")
    return True


def _three_factor_mirror_converse(symbols) -> bool:
    alg, m = symbols(full=("P", "Q", "S"))
    P, Q, S, I, J = m["P"], m["Q"], m["S"], alg.I, alg.J
    Qi = alg.inv(Q)
    R = S * Qi * P - Qi  # exact parametrisation of  S Q^-1 P - R = Q^-1
    M = alg.block(P, Q, R, S)
    c, b, e = Q, (S - I) * Qi, Qi * (P - I)
    alg.assert_equal(alg.prod(alg.Lu(b), alg.Uu(c), alg.Lu(e)), M, "L_u((S-I)Q^-1) U_u(Q) L_u(Q^-1(P-I)) = M")
    # and it is the J-conjugate of the U L U converse applied to J M J
    alg.assert_equal(J * M * J, alg.block(S, R, Q, P), "J M J = [[S, R], [Q, P]]")
    return True


def _j_conjugation(symbols) -> bool:
    alg, m = symbols(full=("A", "D"), diagonal=("B", "C"))
    A, B, C, D, J = m["A"], m["B"], m["C"], m["D"], alg.J
    alg.assert_equal(J * J, alg.block(alg.I, alg.Z, alg.Z, alg.I), "J^2 = 1")
    alg.assert_equal(J * alg.L(A, B) * J, alg.U(B, A), "J L(A, B) J = U(B, A)")
    alg.assert_equal(J * alg.U(C, D) * J, alg.L(D, C), "J U(C, D) J = L(D, C)")
    return True


def _absorb_diagonal(symbols) -> bool:
    alg, m = symbols(full=("A", "D"), diagonal=("B", "C", "E", "F"))
    A, B, C, D, E, F = (m[k] for k in "ABCDEF")
    Delta = alg.diag(E, F)
    alg.assert_equal(alg.L(A, B) * Delta, alg.U(E, alg.Z) * alg.L(A * E, B * F), "L(A,B) diag(E,F) = U(E,0) L(AE, BF)")
    alg.assert_equal(alg.U(C, D) * Delta, alg.L(alg.Z, F) * alg.U(C * E, D * F), "U(C,D) diag(E,F) = L(0,F) U(CE, DF)")
    return True


def _cross_swap_group_blocks(alg, A, At, B, Bt) -> bool:
    """``G(Pi)^-1 = G(-Pi)``; ``G(A) G(B) = G(A + B)`` for ``A``, ``B`` on disjoint rows and columns."""
    I = alg.I
    for Pi, PiT in ((A, At), (B, Bt)):
        alg.assume(Pi * PiT * Pi, Pi, "Pi Pi^T Pi = Pi")
        alg.assume(PiT * Pi * PiT, PiT, "Pi^T Pi Pi^T = Pi^T")
    # disjoint rows: A^T B = B^T A = 0; disjoint columns: A B^T = B A^T = 0
    for X, Y in ((At, B), (Bt, A), (A, Bt), (B, At)):
        alg.assume(X * Y, alg.Z, "disjoint rows and columns")

    def G(Pi, PiT):
        return alg.prod(alg.Uu(Pi), alg.Lu(-PiT), alg.Uu(Pi))

    one = alg.block(I, alg.Z, alg.Z, I)
    alg.assert_equal(G(A, At) * G(-A, -At), one, "G(Pi) G(-Pi) = 1")
    alg.assert_equal(G(A, At) * G(B, Bt), G(A + B, At + Bt), "G(A) G(B) = G(A + B)")
    alg.assert_equal(G(A, At) * G(B, Bt), G(B, Bt) * G(A, At), "G(A) G(B) = G(B) G(A)")
    return True


def _cross_swap_group_check(d: int) -> bool:
    alg = BlockAlgebra(d, QQ)
    perms = [_pi_matrix(alg, pairs) for pairs in partial_permutations(d, signed=True)]
    count = 0
    for A in perms:
        for B in perms:
            if (A.transpose() * B).is_zero_matrix and (A * B.transpose()).is_zero_matrix:
                _cross_swap_group_blocks(alg, A, A.transpose(), B, B.transpose())
                count += 1
    return count > 0


def _cross_swap_group_free() -> bool:
    alg, m = FreeBlockAlgebra.with_symbols(full=("A", "A^T", "B", "B^T"))
    return _cross_swap_group_blocks(alg, m["A"], m["A^T"], m["B"], m["B^T"])


def _two_factor(symbols) -> bool:
    alg, m = symbols(full=("A", "D"), diagonal=("B", "C"))
    A, B, C, D = m["A"], m["B"], m["C"], m["D"]
    alg.assert_equal(alg.L(A, B) * alg.U(C, D), alg.block(C, D, A * C, A * D + B), "L(A,B) U(C,D)")
    alg.assert_equal(alg.U(C, D) * alg.L(A, B), alg.block(C + D * A, D * B, A, B), "U(C,D) L(A,B)")
    return True


def _gadget_by_similarity(symbols) -> bool:
    alg, m = symbols(full=("X", "S"))
    X, S, I = m["X"], m["S"], alg.I
    Xi, Si = alg.inv(X), alg.inv(S)
    Y = S * Xi * Si  # Y similar to X^-1
    u, a = Si, S * (I - Xi)
    alg.assert_equal(u * a, I - Xi, "u a = I - X^-1")
    alg.assert_equal(a * u, I - Y, "a u = I - Y")
    rhs = _four_factor(a, -u, -a * X, Xi * u, alg)
    alg.assert_equal(alg.diag(X, Y), rhs, "diag(X, S X^-1 S^-1) = the gadget with u = S^-1, a = S (I - X^-1)")
    return True


def _unit_conjugation(symbols) -> bool:
    alg, m = symbols(full=("A", "D", "M"))
    A, D, M = m["A"], m["D"], m["M"]
    Mi = alg.inv(M)
    frame, frame_inv = alg.diag(M, M), alg.diag(Mi, Mi)
    alg.assert_equal(frame * frame_inv, alg.diag(alg.I, alg.I), "diag(M, M)^-1 = diag(M^-1, M^-1)")
    alg.assert_equal(frame * alg.Lu(A) * frame_inv, alg.Lu(M * A * Mi), "diag(M,M) L_u(A) diag(M,M)^-1 = L_u(M A M^-1)")
    alg.assert_equal(frame * alg.Uu(D) * frame_inv, alg.Uu(M * D * Mi), "diag(M,M) U_u(D) diag(M,M)^-1 = U_u(M D M^-1)")
    return True


def _five_factor(symbols) -> bool:
    # Tn = [[P, Q], [R, S]] with Q invertible; the hypothesis -Q H = Pf U1 (H = R - S Q^-1 P)
    # with U1 = Z0^-1 Pf^-1 Z0 determines R, which is substituted (exact parametrisation).
    alg, m = symbols(full=("P", "Q", "S", "Pf", "Z0"))
    P, Q, S, Pf, Z0, I = m["P"], m["Q"], m["S"], m["Pf"], m["Z0"], alg.I
    Qi, W, Z0i = alg.inv(Q), alg.inv(Pf), alg.inv(Z0)
    U1 = Z0i * W * Z0
    R = S * Qi * P - Qi * Pf * U1
    alg.assert_equal(-Q * (R - S * Qi * P), Pf * U1, "hypothesis -Q H = Pf U1")
    f = Qi * (P - Pf)
    Z, Zi = Z0 * W * Q, Qi * Pf * Z0i
    alg.assert_equal(Z * Zi, I, "Z^-1 = Q^-1 Pf Z0^-1")
    x = (R - S * f - Zi) * W
    e = Z * (S - x * Q - I)
    rhs = alg.prod(alg.Lu(x), alg.Uu((Pf - I) * Z), alg.Lu(Zi), alg.Uu(e), alg.Lu(f))
    alg.assert_equal(alg.block(P, Q, R, S), rhs, "[[P, Q], [R, S]] = L_u(x) U_u((Pf - I) Z) L_u(Z^-1) U_u(e) L_u(f)")
    return True


def _six_first_factor(symbols) -> bool:
    alg, m = symbols(full=("P", "Q", "R", "S", "g"))
    P, Q, R, S, g = m["P"], m["Q"], m["R"], m["S"], m["g"]
    T = alg.block(P, Q, R, S)
    alg.assert_equal(alg.Lu(g) * alg.block(P, Q, R - g * P, S - g * Q), T, "T = L_u(g) [[P, Q], [R - g P, S - g Q]]")
    alg.assert_equal(alg.Uu(g) * alg.block(P - g * R, Q - g * S, R, S), T, "T = U_u(g) [[P - g R, Q - g S], [R, S]]")
    return True


_CROSS_SWAP_NOTE = (
    "the [[0, eps], [-eps, 0]] form on matched pairs is read off the block formula, since Pi Pi^T and "
    "Pi^T Pi are the 0/1 diagonal projections onto the matched rows and columns (docs/theory.md); "
    "it is checked entry by entry for every partial permutation at each d checked"
)

STATEMENTS: list[Statement] = [
    _statement(
        "diagonal_pushing",
        "Delta = diag(E,F), E,F diagonal: Delta L_u(A) = L_u(F A E^-1) Delta, "
        "Delta U_u(D) = U_u(E D F^-1) Delta",
        _diagonal_pushing,
    ),
    _statement(
        "merging",
        "L(A1,B1) L(A2,B2) = L(A1 + B1 A2, B1 B2); U(C1,D1) U(C2,D2) = U(C1 C2, C1 D2 + D1)",
        _merging,
    ),
    Statement(
        "cross_swap",
        "every partial permutation Pi: U_u(Pi) L_u(-Pi^T) U_u(Pi) = L_u(-Pi^T) U_u(Pi) L_u(-Pi^T) = "
        "[[I - Pi Pi^T, Pi], [-Pi^T, I - Pi^T Pi]] = [[0,1],[-1,0]] on matched pairs, "
        "square = -1 on matched coords, 1 elsewhere",
        check=lambda d: _cross_swap_check(d, signed=False),
        free=_cross_swap_free,
        note=_CROSS_SWAP_NOTE,
    ),
    Statement(
        "cross_swap_signed",
        "same as cross_swap for every signed (+-1) partial permutation: [[0,eps],[-eps,0]] on matched pairs",
        check=lambda d: _cross_swap_check(d, signed=True),
        free=_cross_swap_free,
        note=_CROSS_SWAP_NOTE,
    ),
    _statement(
        "whitehead",
        "diag(X, X^-1) = L_u(I - X^-1) U_u(-I) L_u(I - X) U_u(X^-1)",
        _whitehead,
    ),
    _statement(
        "gadget",
        "u a = I - X^-1, a u = I - Y  =>  diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)",
        _gadget,
    ),
    _statement(
        "gadget_converse",
        "L_u(al) U_u(be) L_u(ga) U_u(de) = [[X, X de + be], [al X + ga, *]], X = I + be ga; "
        "with de = -X^-1 be, al = -ga X^-1 it is diag(X, I - ga X^-1 be)",
        _gadget_converse,
    ),
    _statement(
        "three_factor",
        "U_u(b) L_u(c) U_u(e) = [[I + b c, (I + b c) e + b], [c, c e + I]]",
        _three_factor,
    ),
    _statement(
        "three_factor_converse",
        "M = [[P,Q],[R,S]], P R^-1 S - Q = R^-1: M = U_u((P-I) R^-1) L_u(R) U_u(R^-1 (S-I))",
        _three_factor_converse,
    ),
    _statement(
        "three_factor_mirror",
        "L_u(b) U_u(c) L_u(e) = J U_u(b) L_u(c) U_u(e) J = [[I + c e, c], [b + (I + b c) e, I + b c]]",
        _three_factor_mirror,
    ),
    _statement(
        "three_factor_mirror_converse",
        "M = [[P,Q],[R,S]], S Q^-1 P - R = Q^-1: M = L_u((S-I) Q^-1) U_u(Q) L_u(Q^-1 (P-I))",
        _three_factor_mirror_converse,
    ),
    _statement(
        "j_conjugation",
        "J L(A, B) J = U(B, A); J U(C, D) J = L(D, C)",
        _j_conjugation,
    ),
    _statement(
        "absorb_diagonal",
        "L(A,B) diag(E,F) = U(E,0) L(A E, B F); U(C,D) diag(E,F) = L(0,F) U(C E, D F)",
        _absorb_diagonal,
    ),    Statement(
        "cross_swap_group",
        "G(Pi) = U_u(Pi) L_u(-Pi^T) U_u(Pi): G(Pi) G(-Pi) = 1; for signed partial permutations A, B on "
        "disjoint rows and columns G(A) G(B) = G(B) G(A) = G(A + B)",
        check=_cross_swap_group_check,
        free=_cross_swap_group_free,
    ),
    _statement(
        "two_factor",
        "L(A,B) U(C,D) = [[C, D], [A C, A D + B]]; U(C,D) L(A,B) = [[C + D A, D B], [A, B]]",
        _two_factor,
    ),
    _statement(
        "gadget_by_similarity",
        "Y = S X^-1 S^-1: u = S^-1, a = S (I - X^-1) satisfy u a = I - X^-1, a u = I - Y, so "
        "diag(X, Y) = L_u(a) U_u(-u) L_u(-a X) U_u(X^-1 u)",
        _gadget_by_similarity,
    ),
    _statement(
        "unit_conjugation",
        "diag(M, M) L_u(A) diag(M, M)^-1 = L_u(M A M^-1); diag(M, M) U_u(D) diag(M, M)^-1 = U_u(M D M^-1)",
        _unit_conjugation,
    ),
    _statement(
        "five_factor",
        "Q, Pf, Z0 invertible, -Q (R - S Q^-1 P) = Pf Z0^-1 Pf^-1 Z0, f = Q^-1 (P - Pf), Z = Z0 Pf^-1 Q, "
        "x = (R - S f - Z^-1) Pf^-1, e = Z (S - x Q - I): "
        "[[P, Q], [R, S]] = L_u(x) U_u((Pf - I) Z) L_u(Z^-1) U_u(e) L_u(f)",
        _five_factor,
        generic_up_to=1,
    ),
    _statement(
        "six_first_factor",
        "T = [[P, Q], [R, S]] = L_u(g) [[P, Q], [R - g P, S - g Q]] = U_u(g) [[P - g R, Q - g S], [R, S]]",
        _six_first_factor,
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


def _attempt(
    statement: Statement, d: int | None, run: Callable[[], bool], counted: str = "exact equalities verified"
) -> ProofResult:
    """Run one proof; never raises, failures are reported in the result."""
    counter = [0]
    token = _EQUALITIES.set(counter)
    start = time.perf_counter()
    try:
        outcome = run()
        ok = outcome is True
        detail = (
            f"{counter[0]} {counted}"
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
    generic = d is None or statement.generic(d)
    return ProofResult(statement.name, statement.text, d, ok, seconds, detail, generic)


def prove(statement: Statement, d: int) -> ProofResult:
    """Check ``statement`` with generic symbolic ``d x d`` blocks (random ones beyond ``generic_up_to``)."""
    counted = "exact equalities verified" + ("" if statement.generic(d) else " at random rational matrices")
    return _attempt(statement, d, lambda: statement.check(d), counted)


def prove_free(statement: Statement) -> ProofResult | None:
    """Prove ``statement`` in the free algebra (``None`` if it has no such proof).

    On success the detail lists the rules the proof assumed and whether they
    are confluent.

    >>> prove_free(statement_by_name("gadget")).detail
    '3 block equalities with equal normal forms; rules: u*a -> 1 - X^-1; X invertible; confluent'
    """
    if statement.free is None:
        return None
    systems: list[RewritingSystem] = []
    token = _FREE_SYSTEMS.set(systems)
    try:
        result = _attempt(statement, None, statement.free, "block equalities with equal normal forms")
    finally:
        _FREE_SYSTEMS.reset(token)
    if not result.ok:
        return result
    rules: list[str] = []
    for system in systems:
        rules += [f"{'*'.join(lhs)} -> {rhs}" for lhs, rhs in system.relations]
        rules += [f"{x} invertible" for x in system.invertible]
        rules += [f"{', '.join(system.diagonal)} diagonal (commute)"] if system.diagonal else []
    rules = list(dict.fromkeys(rules))
    confluent = all(not system.unresolved_ambiguities() for system in systems)
    detail = (
        f"{result.detail}; "
        + (f"rules: {'; '.join(rules)}; " if rules else "no rules beyond the ring axioms; ")
        + ("confluent" if confluent else "not confluent (equal normal forms still prove it)")
    )
    return ProofResult(result.name, result.statement, None, True, result.seconds, detail)


def verdict(statement: Statement, free: ProofResult | None, checks: Sequence[ProofResult]) -> Verdict:
    """Combine the free-algebra proof and the fixed-``d`` checks of one statement."""
    sizes = tuple(c.d for c in checks)
    proved = tuple(c.d for c in checks if c.generic)
    failed = [c for c in checks if not c.ok]
    note = f"; {statement.note}" if statement.note else ""
    if free is not None and free.ok and not failed:
        holds, scope, reason = True, ALL_D, f"proved in the free algebra: {free.detail}{note}"
    elif free is not None and free.ok:
        holds, scope = False, sizes
        reason = f"the free-algebra proof and the check at d = {failed[0].d} disagree, a bug: {failed[0].detail}"
    elif failed:
        holds, scope = False, sizes
        reason = f"false at d = {', '.join(str(c.d) for c in failed)}: {failed[0].detail}"
    else:
        holds, scope = bool(proved), proved
        why = statement.note if free is None else f"the free-algebra normal forms differ ({free.detail})"
        reason = f"checked only for d = {', '.join(map(str, proved))}: {why}"
    return Verdict(statement.name, statement.text, holds, scope, reason, free, tuple(checks))


def decide(statement: Statement, sizes: Iterable[int] = (1, 2, 3)) -> Verdict:
    """Prove ``statement`` in the free algebra and check it for every ``d`` in ``sizes``.

    >>> v = decide(statement_by_name("three_factor"), sizes=(1,))
    >>> v.holds, v.scope
    (True, 'all d')
    """
    return verdict(statement, prove_free(statement), [prove(statement, d) for d in sizes])


def prove_all(
    sizes: Iterable[int] = (1, 2, 3), statements: Sequence[Statement] | None = None
) -> list[Verdict]:
    """:func:`decide` every statement.

    >>> vs = prove_all(sizes=(1,))
    >>> all(v.holds and v.scope == ALL_D for v in vs), len(vs) == len(STATEMENTS)
    (True, True)
    """
    statements = STATEMENTS if statements is None else statements
    sizes = tuple(sizes)
    return [decide(st, sizes) for st in statements]


def verdict_json(v: Verdict) -> dict:
    """A verdict as a JSON object: ``name``, ``holds``, ``scope`` (``"all d"`` or a list of ``d``), ..."""

    def attempt(r: ProofResult) -> dict:
        return {"ok": r.ok, "seconds": round(r.seconds, 4), "detail": r.detail}

    return {
        "name": v.name,
        "statement": v.statement,
        "holds": v.holds,
        "scope": v.scope if v.scope == ALL_D else list(v.scope),
        "reason": v.reason,
        "free_algebra": None if v.free is None else attempt(v.free),
        "checks": [{"d": r.d, "n": 2 * r.d, "generic": r.generic, **attempt(r)} for r in v.checks],
    }


def format_report(verdicts: Sequence[Verdict]) -> str:
    """Readable table: one row per statement, the free-algebra proof and one column per ``d``.

    >>> r = ProofResult("x", "x = x", 1, True, 0.5, "")
    >>> print(format_report([verdict(Statement("x", "x = x", None, note="why"), None, [r])]))
    statement  all d  d=1          time
    ---------  -----  -----------  -----
    x          -      ok (0.50s)   0.50s
    ---------  -----  -----------  -----
    total: 1/1 hold: 0 for all d, 1 for d = 1 only; 0.50s
    x [d = 1]: checked only for d = 1: why
    """
    sizes = sorted({r.d for v in verdicts for r in v.checks})
    header = ["statement", "all d"] + [f"d={d}" for d in sizes] + ["time"]

    def cell(r: ProofResult | None, bad: str) -> str:
        if r is None:
            return "-"
        return f"{'ok' if r.ok else bad}{'' if r.generic else '*'} ({r.seconds:.2f}s)"

    rows, total = [], 0.0
    for v in verdicts:
        by_d = {r.d: r for r in v.checks}
        seconds = sum(r.seconds for r in v.checks) + (v.free.seconds if v.free else 0.0)
        total += seconds
        row = [v.name, cell(v.free, "differs")]
        row += [cell(by_d.get(d), "FALSE") for d in sizes] + [f"{seconds:.2f}s"]
        rows.append(row)
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    widths = [max(w, 5) for w in widths]
    widths[2:-1] = [max(w, 11) for w in widths[2:-1]]

    def fmt(row):
        return "  ".join(x.ljust(w) for x, w in zip(row, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [fmt(header), rule] + [fmt(r) for r in rows] + [rule]
    holding = [v for v in verdicts if v.holds]
    all_d = sum(v.scope == ALL_D for v in holding)
    only = ", ".join(map(str, sizes))
    lines.append(
        f"total: {len(holding)}/{len(verdicts)} hold: {all_d} for all d, "
        f"{len(holding) - all_d} for d = {only} only; {total:.2f}s"
    )
    if any(not r.generic for v in verdicts for r in v.checks):
        lines.append("*: at random rational matrices (generic blocks take minutes), a cross-check only")
    for v in verdicts:
        scope = ALL_D if v.scope == ALL_D else "d = " + ", ".join(map(str, v.scope))
        lines.append(f"{'' if v.holds else 'FALSE '}{v.name} [{scope}]: {v.reason}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(format_report(prove_all()))
