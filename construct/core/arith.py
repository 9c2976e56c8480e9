"""The linear algebra the levels method needs, in three arithmetics.

One construction (:mod:`construct.methods.levels`) runs on any of these. It needs an
LU decomposition with row pivoting, two triangular solves on sub-blocks, and
a way to assemble signed sub-blocks into a matrix:

* :class:`Exact` -- python-flint rationals; no value is ever rounded.
  python-flint's fraction-free LU pivots only where an exact minor vanishes.
* :class:`Float64` -- NumPy/SciPy.
* :class:`MP` -- mpmath numbers at ``digits`` significant digits in NumPy
  object arrays.

Rotation levels (:mod:`construct.methods.rotations`) need square roots: a
QR decomposition (``qr``) and the block LQ and cosine-sine split of a level
(``rotation_level_shears``, :mod:`construct.core.orthogonal`). Float64 and
MP have them; exact rationals raise :class:`NotAvailable`. What differs
between the arithmetics is asked of the arithmetic, never of its name:
``range_exponent`` (float64's exponent range is bounded),
``certificate_digits`` (what a certificate records), ``negative_det_message``
(whether a negative pivot product can be rounding's doing), ``is_identity``
(which factors a word drops).

``lu(T, splits)`` pivots by blocks: the row order is chosen in float64 by
:func:`construct.core.pivoting.level_lu` for the level recursion ``splits``
(partial pivoting where the matrix does not fit in float64 or is singular
there), so the factors of all three arithmetics are equally well
conditioned. It returns ``(perm, L, U, pivots)`` with ``T = P L D^-1 U``-style
factors: ``P e_j = e_perm[j]``, ``L`` lower and ``U`` upper triangular, and
``pivots[k]`` the k-th pivot of ``P^T T = L' diag(pivots) U'`` (``L'``, ``U'``
unit). ``L`` and ``U`` may differ from ``L'``, ``U'`` by diagonal scalings,
which cancel in the only quantities the construction takes from them,
``L[B, A] L[A, A]^-1`` and ``U[A, A]^-1 U[A, B]``.

>>> from construct.core.matrices import from_rows
>>> T = from_rows([[0, 2], [3, 1]])
>>> for a in (Exact(), Float64(), MP(30)):
...     perm, L, U, pivots = a.lu(a.matrix(T), {(0, 2): 1})
...     print(a.name, perm, [str(p) for p in pivots])
exact [1, 0] ['3', '2']
float64 [1, 0] ['3.0', '2.0']
mp [1, 0] ['3.0', '2.0']
"""

from __future__ import annotations

import math

import flint
import mpmath
import numpy as np
import scipy.linalg
import scipy.sparse
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices._dfm import DFM

from construct.core.errors import negative_det_message
from construct.core.matrices import binary_exponent
from construct.core.matrices import identity as domain_identity
from construct.core.matrices import scale_columns as domain_scale_columns
from construct.core.matrices import scale_rows as domain_scale_rows
from construct.core.matrices import zeros as domain_zeros
from construct.core.orthogonal import ball_level_shears, ball_precision, level_shears, to_arb, to_mp
from construct.core.pivoting import Singular, level_lu


class NotAvailable(ValueError):
    """An operation the arithmetic does not have (square roots in exact rationals); the message says which."""


class _WordProducts:
    """The product of a word, written once against the arithmetic's block operations (:class:`Domain`, the float
    arithmetics; :class:`MP` multiplies in ball matrices instead)."""

    def times_word(self, M, factors, p: int):
        """``M F_1 ... F_k`` for the ``factors`` ``(kind, shear, scale)`` of a word keeping ``p`` (scales written
        out), factor by factor from the left (:meth:`~construct.core.couplings.Word.times`)."""
        n = M.shape[1]
        for kind, shear, scale in factors:
            left, right = self.columns(M, 0, p), self.columns(M, p, n)
            if kind == "lower":
                left, right = self.add(left, self.matmul(right, shear)), self.scale_columns(right, scale)
            else:
                left, right = self.scale_columns(left, scale), self.add(right, self.matmul(left, shear))
            M = self.hstack(left, right)
        return M


class Domain(_WordProducts):
    """SymPy ``DomainMatrix`` over a field ``K`` (``QQ``, or rational functions): the exact constructions' words.

    Only what a :class:`~construct.core.couplings.Word` needs: its merge and its products.
    """

    name = "exact"

    def __init__(self, K=QQ):
        self.K = K

    def add(self, A, B):
        return A + B

    def scale_rows(self, s, A):
        return domain_scale_rows(s, A)

    def scale_columns(self, A, s):
        return domain_scale_columns(A, s)

    def matmul(self, A, B):
        return A * B

    def columns(self, M, c0, c1):
        return M[:, c0:c1]

    def rows(self, M, r0, r1):
        return M[r0:r1, :]

    def hstack(self, A, B):
        return A.hstack(B).to_dense()

    def vstack(self, A, B):
        return A.vstack(B).to_dense()

    def rows_of(self, M) -> list:
        return M.to_list()

    def identity(self, n):
        return domain_identity(n, self.K)

    def zeros(self, r, c):
        return domain_zeros(r, c, self.K)

    def unit_scale(self, shear):
        return (shear.domain.one,) * shear.shape[0]

    def is_identity(self, shear, scale) -> bool:
        """Decided by value: exact numbers are what they are."""
        one = shear.domain.one
        return shear.is_zero_matrix and (scale is None or all(s == one for s in scale))


class Exact:
    """Exact rationals: blocks are python-flint ``fmpz_mat`` / ``fmpq_mat``."""

    name = "exact"
    is_exact = True
    certificate_digits = None

    def matrix(self, T: DomainMatrix):
        """``T`` as a list of rows of ``fmpq``."""
        return [[flint.fmpq(int(x.numerator), int(x.denominator)) for x in row] for row in T.to_list()]

    def lu(self, A, splits):
        n = len(A)
        den = math.lcm(*(int(x.q) for row in A for x in row))
        order = _float_pivot_order(A, splits)
        P, L, D, U = flint.fmpz_mat([[int(A[i][j] * den) for j in range(n)] for i in order]).fflu()
        # P (rows of A in ``order``) = L D^-1 U; compose fflu's own exchanges (exact zero pivots only)
        perm = [order[next(j for j in range(n) if P[i, j] != 0)] for i in range(n)]
        # the k-th pivot of den * A is L[k,k] U[k,k] / D[k,k]
        pivots = [flint.fmpq(L[k, k] * U[k, k], D[k, k] * den) for k in range(n)]
        return perm, L.tolist(), U.tolist(), pivots

    def block(self, M, r0, r1, c0, c1):
        return flint.fmpz_mat([row[c0:c1] for row in M[r0:r1]]) if r1 > r0 and c1 > c0 else flint.fmpz_mat(r1 - r0, c1 - c0)

    def right_solve_lower(self, B, L):
        """``B L^-1``."""
        return L.transpose().solve(B.transpose()).transpose().tolist()

    def left_solve_upper(self, U, B):
        """``U^-1 B``."""
        return U.solve(B).tolist()

    def assemble(self, r, c, pieces):
        """An ``r x c`` matrix with ``M[rows[i]][cols[j]] = rs[i] * cs[j] * block[i][j]`` for each piece."""
        zero = flint.fmpq(0)
        M = [[zero] * c for _ in range(r)]
        for rows, cols, rs, cs, block in pieces:
            for i, row in enumerate(block):
                out, s = M[rows[i]], rs[i]
                for j, x in enumerate(row):
                    out[cols[j]] = x if s * cs[j] > 0 else -x
        return M

    def sparse(self, r, c, triples):
        return self.assemble(r, c, [([i], [j], [1], [1], [[_to_fmpq(v)]]) for i, j, v in triples])

    def scalar(self, x):
        return flint.fmpq(x)

    def to_domain_matrix(self, rows) -> DomainMatrix:
        r, c = len(rows), len(rows[0]) if rows else 0
        return DomainMatrix.from_rep(DFM(flint.fmpq_mat(r, c, [x for row in rows for x in row]), (r, c), QQ))

    def add(self, A, B):
        return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(A, B)]

    def scale_rows(self, s, A):
        return [[si * a for a in row] for si, row in zip(s, A)]

    def is_zero(self, A):
        return all(x == 0 for row in A for x in row)

    def max_abs(self, A):
        return max((abs(x) for row in A for x in row), default=0)

    def sign(self, x):
        return 1 if x > 0 else -1

    def log2_abs(self, x) -> float:
        return math.log2(abs(int(x.p))) - math.log2(int(x.q))  # Python ints: any size

    def unit_scale(self, shear):
        return (flint.fmpq(1),) * len(shear)

    def power2(self, k: int):
        return flint.fmpq(2) ** k

    def zeros(self, r, c):
        return [[flint.fmpq(0)] * c for _ in range(r)]

    def identity(self, n):
        return [[flint.fmpq(int(i == j)) for j in range(n)] for i in range(n)]

    def range_exponent(self, T) -> int:
        """0: exact rationals have every exponent."""
        return 0

    def qr(self, A):
        raise NotAvailable("a QR decomposition needs square roots, which exact rationals do not have "
                           "(use --arith float64 or mp)")

    def rotation_level_shears(self, M, a):
        raise NotAvailable("rotation levels need square roots, which exact rationals do not have "
                           "(use --arith float64 or mp)")

    def negative_det_message(self, T) -> str:
        return negative_det_message("det T < 0")

    def is_identity(self, shear, scale) -> bool:
        """A unit factor with a zero shear (a scaled factor is kept while building: the count is the construction's)."""
        return scale is None and self.is_zero(shear)


def _to_fmpq(v):
    """An int or a rational (``Fraction``, ``fmpq``) as an ``fmpq``."""
    return flint.fmpq(int(v.numerator), int(v.denominator))


def _float_pivot_order(A, splits):
    """Row order of float64 block pivoting on ``A``: partial pivoting if a block is singular in
    float64, the identity if ``A`` does not fit in float64."""
    n = len(A)
    try:
        F = np.array([[float(x) for x in row] for row in A], dtype=float)
    except (OverflowError, ValueError):
        return list(range(n))
    if not np.all(np.isfinite(F)) or not np.any(F):
        return list(range(n))
    try:
        return level_lu(F, splits)[0]
    except Singular:
        P, _, _ = scipy.linalg.lu(F)
        return [int(i) for i in np.argmax(P, axis=0)]


class _Numeric(_WordProducts):
    """Shared code of the float arithmetics: matrices are NumPy arrays."""

    is_exact = False

    def block(self, M, r0, r1, c0, c1):
        return M[r0:r1, c0:c1]

    def assemble(self, r, c, pieces):
        M = self.zeros(r, c)
        for rows, cols, rs, cs, block in pieces:
            M[np.ix_(rows, cols)] = np.asarray(rs)[:, None] * np.asarray(block) * np.asarray(cs)[None, :]
        return M

    def sparse(self, r, c, triples):
        M = self.zeros(r, c)
        for i, j, v in triples:
            M[i, j] = self.scalar(int(v.numerator)) / int(v.denominator)  # v an int or a rational
        return M

    def add(self, A, B):
        return A + B

    def scale_rows(self, s, A):
        return np.asarray(s)[:, None] * A

    def scale_columns(self, A, s):
        return A * np.asarray(s)[None, :]

    def matmul(self, A, B):
        return A @ B

    def columns(self, M, c0, c1):
        return M[:, c0:c1]

    def rows(self, M, r0, r1):
        return M[r0:r1, :]

    def hstack(self, A, B):
        return np.hstack([A, B])

    def vstack(self, A, B):
        return np.vstack([A, B])

    def rows_of(self, M) -> list:
        return M.tolist()

    def unit_scale(self, shear):
        return (self.scalar(1),) * shear.shape[0]

    def is_identity(self, shear, scale) -> bool:
        """A unit factor with a zero shear (a scaled factor is kept while building: the count is the construction's)."""
        return scale is None and self.is_zero(shear)

    def is_zero(self, A):
        return not np.any(A != 0)

    def max_abs(self, A):
        return np.max(np.abs(A)) if A.size else 0

    def sign(self, x):
        return 1 if x > 0 else -1

    def power2(self, k: int):
        """``2^k``, exact."""
        return self.scalar(2) ** k

    def negative_det_message(self, T) -> str:
        """Why positive mode refuses ``T``: ``det T < 0``, or a sign that rounding got wrong (told apart up to
        ``EXACT_DET_SIZE``)."""
        if T.shape[0] <= EXACT_DET_SIZE and T.det() > 0:
            return (f"the pivots computed in {self.name} give det T < 0, but det T > 0: T is too ill-conditioned for "
                    f"positive mode in {self.name} (use --arith exact, or --arith mp with more --digits)")
        return negative_det_message(f"det T < 0 (its pivots computed in {self.name})")


#: Up to this size a numeric sign of det T that disagrees with the exact one is told apart from det T < 0.
EXACT_DET_SIZE = 256

#: Float64 words are built for ``2^-e T`` when the entries' middle exponent ``e`` is beyond ``RANGE_BITS``.
RANGE_BITS = 256

#: ``(T, T in float64, nonzero entries of T)`` of the last :func:`float_image` call.
_LAST_FLOAT = None


def float_image(T: DomainMatrix):
    """``(T rounded to float64, the number of nonzero entries of T)``, read once for the last ``T`` asked (the levels
    method and the accuracy check ask for the same ``T`` several times, and each reading converts every entry in
    Python). The array is shared: callers copy it before changing it."""
    global _LAST_FLOAT
    if _LAST_FLOAT is None or _LAST_FLOAT[0] is not T:
        n, m = T.shape
        entries = T.to_dfm().rep.entries()
        _LAST_FLOAT = (T, np.array(entries, dtype=float).reshape(n, m), sum(map(bool, entries)))
    return _LAST_FLOAT[1:]


#: :func:`normal_exponents`' exponent of a zero entry: below every float64's.
NO_EXPONENT = -(2 ** 40)


def normal_exponents(T: DomainMatrix):
    """``(F, E)``: ``T``'s float64 image and ``floor(log2 |F_ij|)`` (:data:`NO_EXPONENT` where ``F_ij = 0``), when
    every nonzero entry of ``T`` is a normal float64 in ``F`` (not rounded to 0, infinite or subnormal); else
    None. For float entries ``E`` is :func:`~construct.core.matrices.binary_exponent`'s, within 1 for other
    rationals; no entry is read in Python."""
    F, nonzero = float_image(T)
    magnitudes = np.abs(F)
    present = magnitudes != 0
    if not nonzero or np.count_nonzero(present) != nonzero or not np.isfinite(magnitudes).all() or \
            magnitudes[present].min() < 2.0 ** -1022:
        return None
    return F, np.where(present, np.frexp(magnitudes)[1] - 1, NO_EXPONENT)


class Float64(_Numeric):
    """IEEE double precision, LAPACK's partial-pivoting LU and triangular solves."""

    name = "float64"
    digits = 16
    certificate_digits = None
    unit_roundoff = 2.0**-53

    def matrix(self, T: DomainMatrix):
        """``T`` rounded to float64 (a fresh array; the last conversion is kept, as the levels method asks for the
        same ``T`` several times and each conversion reads every entry in Python)."""
        return float_image(T)[0].copy()

    def lu(self, A, splits):
        try:
            order, L, U = level_lu(A, splits)
        except Singular:  # T is singular in float64: partial pivoting says where
            P, L, U = scipy.linalg.lu(A)
            order = [int(i) for i in np.argmax(P, axis=0)]
        return order, L, U, list(np.diag(U))

    def right_solve_lower(self, B, L):
        return scipy.linalg.solve_triangular(L, B.T, trans="T", lower=True).T

    def matmul(self, A, B):
        """``A B``; a large sparse ``B`` (cross swaps, fine levels) through ``scipy.sparse``."""
        if B.size > 4096 and np.count_nonzero(B) < B.size // 8:
            return np.asarray((scipy.sparse.csc_matrix(B).T @ A.T).T)  # dense @ sparse, column-major
        return A @ B

    def qr(self, A):
        """``(Q, R)``: ``A = Q R``, ``Q`` orthogonal, ``R`` upper triangular (LAPACK's Householder QR)."""
        return np.linalg.qr(A)

    def rotation_level_shears(self, M, a):
        """``(X1, Y, X2, W_A, W_B)`` with ``M = diag(W_A, W_B) L(X1) U(Y) L(X2)``, by LAPACK's QR and CS splits."""
        return level_shears(M, a)

    def range_exponent(self, T: DomainMatrix) -> int:
        """``e`` halfway between the exponents of the largest and the smallest nonzero ``|T_ij|``, or 0 when that is
        within ``RANGE_BITS`` of 0.

        Uniformly huge or tiny entries (a Gaussian matrix times ``1e-310``, whose
        pivots' reciprocals overflow) are factored at the scale of 1, and the
        power of two spread over the word (:func:`~construct.methods.balancing.times_power_of_two`);
        entries spread over the whole range stay as they are, none flushed to 0.
        """
        image = normal_exponents(T)
        if image is not None:  # exponents within 1 of binary_exponent's: far inside the range the answer is 0
            E = image[1]
            if abs((int(E.max()) + int(E[E != NO_EXPONENT].min())) // 2) <= RANGE_BITS - 4:
                return 0
        exponents = [binary_exponent(x) for row in T.to_list() for x in row if x]
        e = (max(exponents) + min(exponents)) // 2
        return e if abs(e) > RANGE_BITS else 0

    def left_solve_upper(self, U, B):
        return scipy.linalg.solve_triangular(U, B, lower=False)

    def zeros(self, r, c):
        return np.zeros((r, c))

    def identity(self, n):
        return np.eye(n)

    def scalar(self, x):
        return float(x)

    def log2_abs(self, x) -> float:
        return math.log2(abs(x))


class MP(_Numeric):
    """mpmath at ``digits`` significant decimal digits (NumPy object arrays of ``mpf``).

    The cubic work (products, the LU, triangular solves, a word's product) runs in python-flint's ball
    matrices at the same precision, every result replaced by its midpoint: the same approximate arithmetic as
    mpmath's, in C (docs/design.md, "mp speed")."""

    name = "mp"

    def __init__(self, digits: int = 50):
        self.digits = digits
        self.ctx = mpmath.MPContext()
        self.ctx.dps = digits
        self.unit_roundoff = mpmath.mpf(2) ** -self.ctx.prec

    def matrix(self, T: DomainMatrix):
        mpf = self.ctx.mpf
        return np.array(
            [[mpf(int(x.numerator)) / int(x.denominator) for x in row] for row in T.to_list()], dtype=object
        )

    def lu(self, A, splits):
        """Rows in float64's block pivoting order: ``A[perm] = L U`` with ``L`` unit lower.

        By blocks in python-flint's ball matrices at the working precision (midpoints kept, as :meth:`matmul`
        does); a pivot that vanishes at this precision is exchanged for the largest below it, by the elimination
        of :meth:`_pivoting_lu`.
        """
        perm = _float_pivot_order(A, splits)
        try:
            with ball_precision(self.ctx.prec):
                L, U = _block_lu(to_arb(A[perm]))
        except ZeroDivisionError:  # a pivot is 0 at this precision
            return self._pivoting_lu(A, perm)
        L, U = to_mp(L, self), to_mp(U, self)
        return perm, L, U, list(np.diag(U))

    def _pivoting_lu(self, A, perm):
        """``A[perm] = L U`` elementwise in mpmath, a pivot that vanishes exchanged for the largest below it."""
        A = A[perm]
        n = A.shape[0]
        for k in range(n):
            i = k if A[k, k] != 0 else k + int(np.argmax(np.abs(A[k:, k])))
            if i != k:
                A[[k, i]] = A[[i, k]]
                perm[k], perm[i] = perm[i], perm[k]
            A[k + 1:, k] = A[k + 1:, k] / A[k, k]
            A[k + 1:, k + 1:] -= np.outer(A[k + 1:, k], A[k, k + 1:])
        zero = self.ctx.zero
        L, U = _fill(np.tril(A, -1), zero), _fill(np.triu(A), zero)
        for i in range(n):
            L[i, i] = self.ctx.one
        return perm, L, U, list(np.diag(U))

    def identity(self, n):
        M = self.zeros(n, n)
        for i in range(n):
            M[i, i] = self.ctx.one
        return M

    @property
    def certificate_digits(self) -> int:
        return self.digits

    def range_exponent(self, T) -> int:
        """0: mpmath's exponents are unbounded."""
        return 0

    def rotation_level_shears(self, M, a):
        """``(X1, Y, X2, W_A, W_B)`` with ``M = diag(W_A, W_B) L(X1) U(Y) L(X2)``, by polar factors in balls."""
        return ball_level_shears(M, a, self)

    def qr(self, A):
        """``(Q, R)``: ``A = Q R``, ``Q`` orthogonal, ``R`` upper triangular (mpmath's Householder QR)."""
        Q, R = self.ctx.qr(self.ctx.matrix(A.tolist()))
        return (np.array(Q.tolist(), dtype=object),
                _fill(np.triu(np.array(R.tolist(), dtype=object)), self.ctx.zero))

    def right_solve_lower(self, B, L):
        """``B L^-1`` (``L`` lower triangular), as ``(L^T)^-1 B^T`` transposed (:meth:`left_solve_upper`)."""
        return self.left_solve_upper(L.T, B.T).T

    def left_solve_upper(self, U, B):
        """``U^-1 B`` (``U`` upper triangular) by python-flint's approximate solver at the working precision."""
        if not B.size:
            return self.zeros(*B.shape)
        with ball_precision(self.ctx.prec):
            return to_mp(to_arb(U).solve(to_arb(B), algorithm="approx"), self)

    def zeros(self, r, c):
        return np.full((r, c), self.ctx.zero, dtype=object)

    def times_word(self, M, factors, p: int):
        """``M F_1 ... F_k`` (the ``factors`` ``(kind, shear, scale)`` of a word keeping ``p``) in python-flint's
        ball matrices at the working precision, midpoints kept after every step: ``M`` is converted once each
        way, not once per factor (:meth:`~construct.core.couplings.Word.times`; at n = 256, 30 digits, the
        conversions took 20 of the 30 seconds of the product)."""
        with ball_precision(self.ctx.prec):
            rows = to_arb(M).tolist()
            for kind, shear, scale in factors:
                left, right = [r[:p] for r in rows], [r[p:] for r in rows]
                kept, changed = (right, left) if kind == "lower" else (left, right)
                s = to_arb(np.array([scale], dtype=object)).tolist()[0]
                sheared = (flint.arb_mat(changed) + flint.arb_mat(kept) * to_arb(shear)).mid().tolist()
                scaled = [[(x * c).mid() for x, c in zip(r, s)] for r in kept]
                left, right = (sheared, scaled) if kind == "lower" else (scaled, sheared)
                rows = [a + b for a, b in zip(left, right)]
            return to_mp(flint.arb_mat(rows), self)

    def matmul(self, A, B):
        """``A B`` by python-flint's ball matrices at the working precision, the midpoints rounded back (issue 22:
        mpmath's Python loops took 40 of 50 seconds at n = 64)."""
        if not A.size or not B.size:
            return A @ B
        with ball_precision(self.ctx.prec):
            return to_mp((to_arb(A) * to_arb(B)).mid(), self)

    def scalar(self, x):
        return self.ctx.mpf(x)

    def log2_abs(self, x) -> float:
        # mpmath exponents may lie beyond float64's; 53 bits suffice (ln 2 at 100000 digits takes seconds)
        return float(mpmath.log(abs(x), 2))


#: Below this size :func:`_block_lu` eliminates entry by entry.
BLOCK_LU_SIZE = 16


def _block_lu(A: flint.arb_mat):
    """``A = L U`` without exchanges, ``L`` unit lower triangular, in ball matrices at ``flint.ctx.prec`` with
    every result replaced by its midpoint (approximate arithmetic at that precision, as mpmath's); recursive on
    halves, so the work is in ball matrix products and solves. ZeroDivisionError when a pivot is 0."""
    n = A.nrows()
    if n <= BLOCK_LU_SIZE:
        rows = [[A[i, j].mid() for j in range(n)] for i in range(n)]
        for k in range(n):
            if rows[k][k] == 0:
                raise ZeroDivisionError("a zero pivot")
            for i in range(k + 1, n):
                rows[i][k] = (rows[i][k] / rows[k][k]).mid()
                for j in range(k + 1, n):
                    rows[i][j] = (rows[i][j] - rows[i][k] * rows[k][j]).mid()
        L = flint.arb_mat([[rows[i][j] if j < i else 1 if j == i else 0 for j in range(n)] for i in range(n)])
        U = flint.arb_mat([[rows[i][j] if j >= i else 0 for j in range(n)] for i in range(n)])
        return L, U
    k = n // 2
    rows = A.tolist()
    A11, A12 = flint.arb_mat([r[:k] for r in rows[:k]]), flint.arb_mat([r[k:] for r in rows[:k]])
    A21, A22 = flint.arb_mat([r[:k] for r in rows[k:]]), flint.arb_mat([r[k:] for r in rows[k:]])
    L11, U11 = _block_lu(A11)
    U12 = L11.solve(A12, algorithm="approx")
    L21 = U11.transpose().solve(A21.transpose(), algorithm="approx").transpose()
    L22, U22 = _block_lu((A22 - L21 * U12).mid())
    zero_top, zero_bottom = [0] * (n - k), [0] * k
    L = flint.arb_mat([r + zero_top for r in L11.tolist()] + [a + b for a, b in zip(L21.tolist(), L22.tolist())])
    U = flint.arb_mat([a + b for a, b in zip(U11.tolist(), U12.tolist())] + [zero_bottom + r for r in U22.tolist()])
    return L, U


def _fill(M, zero):
    M[M == 0] = zero
    return M


def arithmetic(name: str, digits: int = 50):
    """The arithmetic called ``name`` (``exact``, ``float64`` or ``mp``)."""
    if name == "exact":
        return Exact()
    if name == "float64":
        return Float64()
    if name == "mp":
        return MP(digits)
    raise ValueError(f"unknown arithmetic {name!r}")
