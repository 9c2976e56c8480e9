"""Certified lower bounds: matrices that are NOT a product of k couplings.

This module never imports ``construct``; it uses only the standard library
(``fractions``, ``json``) and, for the optional Groebner cross-check, SymPy.

Witness format ``couplings.lower-bound/1`` (one JSON object per file in
``proofs/witnesses/``; every number is an exact string ``-?[0-9]+(/[0-9]+)?``)::

    {"format": "couplings.lower-bound/1",
     "id": "any_k5",                                   # optional label
     "mode": "any" | "positive",
     "k": 5, "n": 4, "split": 2,
     "matrix": [["0", "1", "0", "0"], ...],            # n rows of n numbers
     "argument": "block-diagonal-trace-sign",          # name of a lemma below
     "statement": "one sentence",
     "upper_example": [{"kind": "lower", "shear": [[...]], "scale": [...]}, ...],
     "notes": "free text"}                             # optional

The claim is: ``matrix`` is not a product of k (or fewer) couplings with the
given split, in the given scale mode, whatever the order of the factors.  With
``p = split``, ``L(A, B) = [[I_p, 0], [A, diag(B)]]`` and ``U(C, D) =
[[diag(C), D], [0, I]]``; scales are nonzero (``any``) or positive
(``positive``).  The optional ``upper_example`` lists factors in the format of
``couplings.certificate/1`` (lower = ``[[I_p, 0], [shear, diag(scale)]]``,
upper = ``[[diag(scale), shear], [0, I]]``) whose product in list order is the
matrix; it shows how far the lower bound is from the truth.

Each ``argument`` names a lemma, proved in the docstring of its checker.  A
checker re-verifies, from the matrix alone and in exact rational arithmetic,
exactly the hypotheses its lemma needs, and that ``k`` does not exceed what
the lemma proves.

Common reduction (used by every lemma; the identities are re-checked in
``tests/test_lower_bounds.py``).  Write ``L_u(A) = L(A, I)``, ``U_u(D) =
U(I, D)`` and ``Delta = diag(E, F)`` with ``E, F`` diagonal.

(R1) ``L(A, B) = L_u(A) diag(I, B)`` and ``U(C, D) = U_u(D) diag(C, I)``.
(R2) ``Delta L_u(A) = L_u(F A E^-1) Delta`` and
     ``Delta U_u(D) = U_u(E D F^-1) Delta``.
(R3) ``L_u(A) L_u(A') = L_u(A + A')``, ``U_u(D) U_u(D') = U_u(D + D')``,
     ``L_u(0) = U_u(0) = I``.

By (R1) and (R2) a product of j couplings is ``W Delta`` with ``W`` a product
of j unit factors and ``Delta`` a product of the scale matrices, hence a
diagonal whose entries are nonzero (positive in mode ``positive``).  By (R3)
``W`` can be merged into an alternating word and padded with identity factors,
so if ``T`` is a product of at most k couplings then ``T Delta^-1`` is an
alternating word of exactly k unit factors starting with ``L_u`` or with
``U_u``, for some admissible ``Delta``.

Lemmas 1-3 are about block diagonals; Lemmas 4-7 (k = 1 ... 4) apply to any
matrix with square blocks, and :func:`lower_bound_witness` returns the
strongest witness the lemmas give for a given matrix (``couplings minimal``);
``groebner-3`` and ``groebner-4`` (:func:`groebner_no_word`) are the
computer-algebra versions, slow beyond ``d = 2``.

>>> {"any_k3", "any_k5", "positive_k5"} <= {w["id"] for w in load_witnesses()}
True
>>> all(check_witness(w)[0] for w in load_witnesses())
True
"""
from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from pathlib import Path

FORMAT = "couplings.lower-bound/1"
WITNESS_DIR = Path(__file__).resolve().parent / "witnesses"
MODES = ("any", "positive")
_NUMBER = re.compile(r"(-?[0-9]+)(?:/([0-9]+))?")
_KEYS = {"format", "mode", "k", "n", "split", "matrix", "argument", "statement"}
_OPTIONAL = {"id", "upper_example", "notes"}


class WitnessError(ValueError):
    """The witness object is malformed (wrong keys, types or numbers)."""


# ---------------------------------------------------------------- exact helpers


def parse_number(s) -> Fraction:
    """Parse an exact number string.

    >>> parse_number("-6/4"), parse_number("7")
    (Fraction(-3, 2), Fraction(7, 1))
    >>> parse_number("0.5")
    Traceback (most recent call last):
    ...
    proofs.lower_bounds.WitnessError: expected an exact number string like "-3/7", got '0.5'
    """
    m = _NUMBER.fullmatch(s) if isinstance(s, str) else None
    if m is None:
        raise WitnessError(f'expected an exact number string like "-3/7", got {s!r}')
    den = int(m[2] or 1)
    if den == 0:
        raise WitnessError(f"zero denominator in {s!r}")
    return Fraction(int(m[1]), den)


def _table(rows, r, c, what):
    if not isinstance(rows, list) or len(rows) != r:
        raise WitnessError(f"{what}: expected {r} rows")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != c:
            raise WitnessError(f"{what}: row {i} should have {c} entries")
        out.append([parse_number(x) for x in row])
    return out


def _eye(n):
    return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]


def _matmul(a, b):
    return [[sum((x * y for x, y in zip(row, col)), Fraction(0)) for col in zip(*b)] for row in a]


def _det(m):
    """Exact determinant by Gaussian elimination over the rationals.

    >>> _det([[Fraction(0), Fraction(1)], [Fraction(1), Fraction(0)]])
    Fraction(-1, 1)
    """
    a = [row[:] for row in m]
    n, det = len(a), Fraction(1)
    for j in range(n):
        piv = next((i for i in range(j, n) if a[i][j] != 0), None)
        if piv is None:
            return Fraction(0)
        if piv != j:
            a[j], a[piv] = a[piv], a[j]
            det = -det
        det *= a[j][j]
        for i in range(j + 1, n):
            f = a[i][j] / a[j][j]
            if f:
                a[i] = [x - f * y for x, y in zip(a[i], a[j])]
    return det


def _inverse(m):
    """Exact inverse (Gauss-Jordan); ``None`` if singular."""
    n = len(m)
    a = [row[:] + e for row, e in zip(m, _eye(n))]
    for j in range(n):
        piv = next((i for i in range(j, n) if a[i][j] != 0), None)
        if piv is None:
            return None
        a[j], a[piv] = a[piv], a[j]
        inv = 1 / a[j][j]
        a[j] = [x * inv for x in a[j]]
        for i in range(n):
            if i != j and a[i][j]:
                f = a[i][j]
                a[i] = [x - f * y for x, y in zip(a[i], a[j])]
    return [row[n:] for row in a]


def _blocks(T, p):
    return ([r[:p] for r in T[:p]], [r[p:] for r in T[:p]],
            [r[:p] for r in T[p:]], [r[p:] for r in T[p:]])


def _is_zero(m):
    return all(x == 0 for row in m for x in row)


def _is_diagonal(m):
    return all(x == 0 for i, row in enumerate(m) for j, x in enumerate(row) if i != j)


def _fmt(m):
    return "[" + ", ".join("[" + ", ".join(str(x) for x in row) + "]" for row in m) + "]"


def factor_matrix(kind, shear, scale, n, p):
    """Dense matrix of one factor (Fractions), format of ``couplings.certificate/1``.

    >>> factor_matrix("upper", [[Fraction(5)]], [Fraction(2)], 2, 1)
    [[Fraction(2, 1), Fraction(5, 1)], [Fraction(0, 1), Fraction(1, 1)]]
    """
    m = _eye(n)
    if kind == "lower":
        for r in range(n - p):
            m[p + r][:p] = list(shear[r])
            m[p + r][p + r] = scale[r]
    elif kind == "upper":
        for r in range(p):
            m[r][p:] = list(shear[r])
            m[r][r] = scale[r]
    else:
        raise WitnessError(f"unknown factor kind {kind!r}")
    return m


# ---------------------------------------------------------------- lemma 1 (k = 3)


def check_block_diagonal_not_scaling(T, p, mode):
    """Lemma 1 (k = 3).  Let ``T = [[P, Q], [R, S]]`` (split p, any sizes).  If
    ``Q = 0`` and ``R = 0`` and ``T`` is not a diagonal matrix whose diagonal
    entries are admissible scales (nonzero; positive in mode ``positive``), then
    ``T`` is not a product of 3 couplings (either order) in that mode.

    Proof.  By the common reduction, ``W = T Delta^-1`` is ``U_u(b) L_u(c)
    U_u(e)`` or ``L_u(a) U_u(b) L_u(c)`` for an admissible diagonal ``Delta =
    diag(E, F)``; ``W = [[P E^-1, 0], [0, S F^-1]]`` still has zero off-diagonal
    blocks.  Multiplying out,

        U_u(b) L_u(c) U_u(e) = [[I + b c, (I + b c) e + b], [c, c e + I]],
        L_u(a) U_u(b) L_u(c) = [[I + b c, b], [a + (a b + I) c, a b + I]].

    In the first case the bottom-left block gives ``c = 0``, so ``W = U_u(b +
    e)`` and the top-right block gives ``b + e = 0``: ``W = I``.  In the second
    case the top-right block gives ``b = 0``, so ``W = L_u(a + c)`` and the
    bottom-left block gives ``a + c = 0``: ``W = I``.  Hence ``T = Delta`` is
    diagonal with admissible entries, contrary to the hypothesis.  QED

    Sharpness: for ``d = 1`` every invertible 2 x 2 matrix (with ``det > 0`` in
    mode positive) that is not excluded by this lemma is a product of 3
    couplings, see :func:`three_couplings_2x2`.
    """
    n, reasons = len(T), []
    P, Q, R, S = _blocks(T, p)
    ok = True
    if _is_zero(Q) and _is_zero(R):
        reasons.append("both off-diagonal blocks are zero")
    else:
        ok = False
        reasons.append("an off-diagonal block is nonzero (lemma needs Q = R = 0)")
    if not _is_diagonal(T):
        bad = "P" if not _is_diagonal(P) else "S"
        reasons.append(f"diagonal block {bad} is not a diagonal matrix, so T is not a scaling")
    elif mode == "positive" and any(T[i][i] <= 0 for i in range(n)):
        i = next(i for i in range(n) if T[i][i] <= 0)
        reasons.append(f"T is diagonal with entry T[{i}][{i}] = {T[i][i]} <= 0, "
                       "not a positive scaling")
    else:
        ok = False
        reasons.append("T is itself an admissible diagonal scaling (a product of 2 couplings)")
    return ok, reasons


# ---------------------------------------------------------------- lemma 2 (k = 5), trace sign


def sign_set(v, mode):
    """A superset of the signs of ``sum(v_i x_i)`` over admissible ``x``.

    Admissible: all ``x_i != 0`` (mode any) or all ``x_i > 0`` (mode positive).
    (The returned sets are in fact exact.)

    >>> sorted(sign_set([0, 0], "any")), sorted(sign_set([0, 3], "any"))
    ([0], [-1, 1])
    >>> sorted(sign_set([1, 2], "positive")), sorted(sign_set([1, -2], "positive"))
    ([1], [-1, 0, 1])
    """
    nonzero = [x for x in v if x != 0]
    if not nonzero:
        return {0}  # the sum is identically 0
    if mode == "any":
        # one nonzero coefficient: the sum is v_j x_j != 0
        return {-1, 1} if len(nonzero) == 1 else {-1, 0, 1}
    if all(x > 0 for x in nonzero):
        return {1}  # sum of nonnegative terms, one of them > 0
    if all(x < 0 for x in nonzero):
        return {-1}
    return {-1, 0, 1}


def _diag_spectrum_lemma():
    """Lemma 0 (block-diagonal spectral invariant, k <= 5).  Let ``T = diag(X,
    Y)`` with ``X, Y`` invertible ``d x d`` (``n = 2d``).  If ``T`` is a product of
    at most 5 couplings in a mode, there are diagonal ``E, G`` with admissible
    entries such that ``E X^-1`` and ``Y G`` have the same characteristic
    polynomial.

    Proof.  By the common reduction ``W = T Delta^-1 = diag(X', Y')`` with
    ``X' = X E^-1``, ``Y' = Y F^-1`` (``Delta = diag(E, F)`` admissible) is an
    alternating word of 5 unit factors.

    Case ``W = L_u(x) U_u(b) L_u(c) U_u(e) L_u(f)``.  Then

        L_u(-x) W L_u(-f) = [[X', 0], [-x X' - Y' f, Y']]
                          = U_u(b) L_u(c) U_u(e)
                          = [[I + b c, (I + b c) e + b], [c, c e + I]].

    Comparing blocks: ``X' = I + b c``, ``X' e + b = 0``, ``Y' = I + c e``.
    Substituting ``b = -X' e`` gives ``X' = I - X' e c``, i.e. ``X'^-1 = I + e
    c``.  Since ``e c`` and ``c e`` (square) have the same characteristic
    polynomial, so do ``X'^-1 = E X^-1`` and ``Y' = Y F^-1``; take ``G =
    F^-1``.

    Case ``W = U_u(x) L_u(b) U_u(c) L_u(e) U_u(f)``.  Conjugating with ``J =
    [[0, I], [I, 0]]`` (``J U_u(D) J = L_u(D)``, ``J diag(X', Y') J = diag(Y',
    X')``) gives the first case for ``diag(Y', X')``: ``Y'^-1`` and ``X'``
    have the same characteristic polynomial, i.e. the same eigenvalues with
    multiplicity; inverting them, so do ``X'^-1`` and ``Y'``.  QED

    (For 4 factors the same holds: pad with ``f = 0``.  Conversely, if
    ``X'^-1 = I + e c`` and ``Y' = I + c e`` then ``diag(X', Y') = L_u(-c
    X'^-1) U_u(-X' e) L_u(c) U_u(e)``: for block diagonals 4 and 5 unit
    factors reach the same set.)
    """


def check_block_diagonal_trace_sign(T, p, mode):
    """Lemma 2 (k = 5, trace sign).  Let ``T = diag(X, Y)``, ``n = 2d``, ``X, Y``
    invertible, ``v`` the diagonal of ``X^-1`` and ``w`` the diagonal of ``Y``.
    If the sign sets of ``sum v_i e_i`` and ``sum w_i g_i`` over admissible
    ``e, g`` (see :func:`sign_set`) are disjoint, then ``T`` is not a product
    of 5 (hence of 4 or fewer) couplings in that mode.

    Proof.  Lemma 0 (docstring of ``_diag_spectrum_lemma``, repeated here):
    a product of at most 5 couplings gives admissible diagonal ``E, G`` with
    ``charpoly(E X^-1) = charpoly(Y G)``.  (Reduction: ``T Delta^-1 =
    diag(X', Y')`` is ``L_u(x) U_u(b) L_u(c) U_u(e) L_u(f)`` or its mirror;
    ``L_u(-x) diag(X', Y') L_u(-f) = [[X', 0], [*, Y']]`` must equal ``U_u(b)
    L_u(c) U_u(e) = [[I + b c, (I + b c) e + b], [c, c e + I]]``, which forces
    ``X'^-1 = I + e c``, ``Y' = I + c e``, and ``e c``, ``c e`` share their
    characteristic polynomial; the mirror word follows by conjugating with
    ``J`` and inverting eigenvalues.)  In particular the traces agree:
    ``sum_i e_i v_i = tr(E X^-1) = tr(Y G) = sum_i w_i g_i``, whose signs lie
    in the two (disjoint) sign sets: a contradiction.  QED

    Examples: ``X = [[0, 1], [1, 0]]`` (``v = 0``) with ``Y = [[1, 1], [1,
    0]]`` (one nonzero diagonal entry) in mode any; the rotation ``X = [[0,
    -1], [1, 0]]`` with ``Y = I`` in mode positive (``0`` versus ``> 0``).
    """
    n, reasons = len(T), []
    if 2 * p != n:
        return False, [f"lemma needs square blocks (split {p} != n/2 = {n / 2})"]
    X, Q, R, Y = _blocks(T, p)
    if not (_is_zero(Q) and _is_zero(R)):
        return False, ["an off-diagonal block is nonzero (lemma needs T = diag(X, Y))"]
    reasons.append("T = diag(X, Y): both off-diagonal blocks are zero")
    Xi = _inverse(X)
    if Xi is None or _det(Y) == 0:
        return False, reasons + ["X or Y is singular"]
    v = [Xi[i][i] for i in range(p)]
    w = [Y[i][i] for i in range(p)]
    sv, sw = sign_set(v, mode), sign_set(w, mode)
    name = {-1: "<0", 0: "0", 1: ">0"}
    show = lambda s: "{" + ", ".join(name[x] for x in sorted(s)) + "}"  # noqa: E731
    reasons.append(f"diag(X^-1) = [{', '.join(map(str, v))}]: sign of tr(E X^-1) in {show(sv)}")
    reasons.append(f"diag(Y) = [{', '.join(map(str, w))}]: sign of tr(Y G) in {show(sw)}")
    if sv & sw:
        return False, reasons + ["the sign sets overlap: the trace invariant does not obstruct"]
    reasons.append("the sign sets are disjoint, so tr(E X^-1) != tr(Y G) for all admissible E, G")
    return True, reasons


# ---------------------------------------------------------------- lemma 3 (k = 5), real spectra


def _always_nonreal(N):
    """For 2 x 2 ``N``: ``D N`` has non-real eigenvalues for every positive diagonal ``D``
    if ``N`` has zero diagonal and ``det N > 0`` (sufficient, and for 2 x 2 also necessary)."""
    return N[0][0] == 0 and N[1][1] == 0 and _det(N) > 0


def _always_real(N):
    """For 2 x 2 ``N``: ``D N`` has real eigenvalues for every positive diagonal ``D`` if
    ``beta >= -2 |n11 n22|`` with ``beta = 2 n11 n22 - 4 det N`` (see lemma 3)."""
    n11, n22 = N[0][0], N[1][1]
    beta = 2 * n11 * n22 - 4 * _det(N)
    return beta >= -2 * abs(n11 * n22)


def check_block_diagonal_nonreal_spectrum(T, p, mode):
    """Lemma 3 (k = 5, positive mode, d = 2, real versus non-real spectra).  Let
    ``T = diag(X, Y)`` with ``X, Y`` invertible 2 x 2, ``N_X = X^-1`` and
    ``N_Y = Y``.  Call a 2 x 2 ``N`` *always non-real* if ``n11 = n22 = 0`` and
    ``det N > 0``, and *always real* if ``beta >= -2 |n11 n22|`` where ``beta =
    2 n11 n22 - 4 det N``.  If one of ``N_X, N_Y`` is always non-real and the
    other always real, then ``T`` is not a product of 5 positive couplings.

    Proof.  For a positive diagonal ``D = diag(d1, d2)``, ``D N`` and ``N D``
    have characteristic polynomial ``t^2 - (n11 d1 + n22 d2) t + d1 d2 det N``
    with discriminant ``disc(d) = (n11 d1 + n22 d2)^2 - 4 d1 d2 det N = alpha
    d1^2 + beta d1 d2 + gamma d2^2``, ``alpha = n11^2``, ``gamma = n22^2``.  If
    ``N`` is always non-real, ``disc = -4 d1 d2 det N < 0``: non-real
    eigenvalues.  If ``N`` is always real, by AM-GM ``alpha d1^2 + gamma d2^2
    >= 2 sqrt(alpha gamma) d1 d2 = 2 |n11 n22| d1 d2``, so ``disc >= (2 |n11
    n22| + beta) d1 d2 >= 0``: real eigenvalues.  By Lemma 0 (see
    ``_diag_spectrum_lemma`` and Lemma 2), a product of at most 5 positive
    couplings gives positive diagonal ``E, G`` with ``charpoly(E X^-1) =
    charpoly(Y G)``, one of which has real roots and the other not.  QED

    Example: ``diag(R, I)`` with the rotation ``R = [[0, -1], [1, 0]]``:
    ``R^-1 = [[0, 1], [-1, 0]]`` is always non-real, ``I`` is always real
    (``beta = -2``).  In mode ``any`` the lemma does not apply (``d1 d2 < 0``
    makes ``E R^-1`` real), and indeed ``diag(R, I)`` is then a product of 4.
    """
    n, reasons = len(T), []
    if mode != "positive":
        return False, ["lemma 3 needs positive scales (in mode any, d1 d2 < 0 is allowed)"]
    if not (n == 4 and p == 2):
        return False, [f"lemma 3 is stated for n = 4, split = 2 (got n = {n}, split = {p})"]
    X, Q, R, Y = _blocks(T, p)
    if not (_is_zero(Q) and _is_zero(R)):
        return False, ["an off-diagonal block is nonzero (lemma needs T = diag(X, Y))"]
    reasons.append("T = diag(X, Y): both off-diagonal blocks are zero")
    NX = _inverse(X)
    if NX is None or _det(Y) == 0:
        return False, reasons + ["X or Y is singular"]
    for first, second, a, b in ((NX, Y, "X^-1", "Y"), (Y, NX, "Y", "X^-1")):
        if _always_nonreal(first) and _always_real(second):
            reasons.append(f"{a} = {_fmt(first)} has zero diagonal and det {_det(first)} > 0: "
                           f"D {a} has non-real eigenvalues for all D > 0")
            n11, n22 = second[0][0], second[1][1]
            beta = 2 * n11 * n22 - 4 * _det(second)
            reasons.append(f"{b} = {_fmt(second)} has beta = {beta} >= -2|n11 n22| = "
                           f"{-2 * abs(n11 * n22)}: {b} D has real eigenvalues for all D > 0")
            return True, reasons
    return False, reasons + ["neither (X^-1 always non-real, Y always real) nor the converse holds"]


# ---------------------------------------------------------------- lemmas 4-7: any matrix, k = 1 ... 4


def _admissible_diagonal(m, mode):
    """``m`` is a diagonal matrix with admissible entries (nonzero; positive in mode positive)."""
    return _is_diagonal(m) and all(m[i][i] != 0 and (mode == "any" or m[i][i] > 0) for i in range(len(m)))


def _sub(a, b):
    return [[x - y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _schur(T, p, side):
    """``(A, Sigma)`` for the word starting with a lower factor (``side = "top"``: ``A = P^-1``,
    ``Sigma = S - R P^-1 Q``) or with an upper one (``"bottom"``: ``S^-1``, ``P - Q S^-1 R``);
    ``None`` when the pivot block is singular."""
    P, Q, R, S = _blocks(T, p)
    if side == "bottom":
        P, Q, R, S = S, R, Q, P
    A = _inverse(P)
    if A is None:
        return None
    return A, _sub(S, _matmul(_matmul(R, A), Q))


def check_not_one_coupling(T, p, mode):
    """Lemma 4 (k = 1).  ``T`` is a single coupling (or ``I``) iff its top rows are ``[I, 0]``
    and its bottom-right block an admissible diagonal (``L(A, B)``), or its bottom rows are
    ``[0, I]`` and its top-left block an admissible diagonal (``U(C, D)``).  Proof: these are the
    definitions.  QED
    """
    n = len(T)
    P, Q, R, S = _blocks(T, p)
    lower = P == _eye(p) and _is_zero(Q) and _admissible_diagonal(S, mode)
    upper = S == _eye(n - p) and _is_zero(R) and _admissible_diagonal(P, mode)
    if lower or upper:
        return False, [f"T is a single {'lower' if lower else 'upper'} coupling"]
    return True, ["T is not [[I, 0], [A, diag(b)]] nor [[diag(c), D], [0, I]] with admissible scales"]


def check_not_two_couplings(T, p, mode):
    """Lemma 5 (k = 2).  ``T`` is a product of at most 2 couplings iff ``P`` and ``S - R P^-1 Q``
    are admissible diagonals (``L U``) or ``S`` and ``P - Q S^-1 R`` are (``U L``).

    Proof.  A product of at most 2 couplings is ``L(A, B) U(C, D)`` or ``U(C, D) L(A, B)``
    (a missing factor is ``L(0, I)`` or ``U(I, 0)``).  ``L(A, B) U(C, D) = [[C, D], [A C,
    A D + B]]``: ``P = C``, ``Q = D``, ``A = R P^-1`` and ``B = S - R P^-1 Q``; conversely
    these blocks define the factors.  ``U(C, D) L(A, B) = [[C + D A, D B], [A, B]]``:
    ``B = S``, ``A = R``, ``D = Q S^-1``, ``C = P - Q S^-1 R``.  QED
    """
    reasons = []
    for word, side in (("L U", "top"), ("U L", "bottom")):
        P = _blocks(T, p)[0 if side == "top" else 3]
        schur = _schur(T, p, side) if _admissible_diagonal(P, mode) else None
        if schur is None:
            reasons.append(f"{word}: the {'top-left' if side == 'top' else 'bottom-right'} block is not an "
                           "admissible diagonal")
        elif _admissible_diagonal(schur[1], mode):
            return False, [f"T = {word} with the Schur complement {_fmt(schur[1])}"]
        else:
            reasons.append(f"{word}: the Schur complement {_fmt(schur[1])} is not an admissible diagonal")
    return True, reasons


def _kernel(m):
    """A basis (list of vectors) of ``{v : m v = 0}``, by reduced row echelon form."""
    rows, cols = len(m), len(m[0])
    a, pivots, r = [row[:] for row in m], [], 0
    for j in range(cols):
        piv = next((i for i in range(r, rows) if a[i][j] != 0), None)
        if piv is None:
            continue
        a[r], a[piv] = a[piv], a[r]
        a[r] = [x / a[r][j] for x in a[r]]
        for i in range(rows):
            if i != r and a[i][j]:
                a[i] = [x - a[i][j] * y for x, y in zip(a[i], a[r])]
        pivots.append(j)
        r += 1
    basis = []
    for free in (j for j in range(cols) if j not in pivots):
        v = [Fraction(0)] * cols
        v[free] = Fraction(1)
        for i, j in enumerate(pivots):
            v[j] = -a[i][free]
        basis.append(v)
    return basis


def _pins(M, kernel):
    """Values ``x_i`` forced by ``M v = diag(x) v`` for all ``v`` in ``kernel``; ``None`` if inconsistent."""
    pins = {}
    for v in kernel:
        Mv = [sum((a * b for a, b in zip(row, v)), Fraction(0)) for row in M]
        for i, (target, base) in enumerate(zip(Mv, v)):
            if base == 0:
                if target != 0:
                    return None
            elif pins.setdefault(i, target / base) != target / base:
                return None
    return pins


def _three_scales(T, p, mode):
    """Admissible ``gamma, beta`` meeting the conditions of Lemma 6 for ``U L U``, or ``None``."""
    P, _, R, _ = _blocks(T, p)
    _, _, V21, V22 = _blocks(_inverse(T), p)
    d = p
    if any((R[i][j] == 0) != (V21[i][j] == 0) for i in range(d) for j in range(d)):
        return None
    gamma_pins = _pins(P, _kernel(R))
    Vt = [list(col) for col in zip(*V22)]
    beta_pins = _pins(Vt, _kernel([list(col) for col in zip(*V21)]))
    if gamma_pins is None or beta_pins is None:
        return None
    pins = {("g", i): x for i, x in gamma_pins.items()} | {("b", i): x for i, x in beta_pins.items()}
    value = {}
    for root in [("b", i) for i in range(d)] + [("g", j) for j in range(d)]:
        if root in value:
            continue
        comp, todo = {root: Fraction(1)}, [root]  # beta_i = -V21_ij gamma_j / R_ij on the support
        while todo:
            side, k = todo.pop()
            for m in range(d):
                i, j = (k, m) if side == "b" else (m, k)
                if R[i][j] == 0:
                    continue
                ratio = -V21[i][j] / R[i][j]
                other, want = (("g", j), comp[("b", i)] / ratio) if side == "b" else (("b", i), ratio * comp[("g", j)])
                if other not in comp:
                    comp[other] = want
                    todo.append(other)
                elif comp[other] != want:
                    return None
        ts = {pins[v] / a for v, a in comp.items() if v in pins}
        if len(ts) > 1:
            return None
        t = ts.pop() if ts else Fraction(1)  # a free component: in mode positive its root must be > 0
        for v, a in comp.items():
            if t * a == 0 or (mode == "positive" and t * a < 0):
                return None
            value[v] = t * a
    return [value[("g", j)] for j in range(d)], [value[("b", i)] for i in range(d)]


def check_not_three_couplings(T, p, mode):
    """Lemma 6 (k = 3; square blocks).  Let ``V = T^-1`` with blocks ``V21, V22``.  If there are
    no admissible diagonals ``Gamma``, ``beta`` with (i) ``V21 Gamma = -beta R``, (ii) ``P v =
    Gamma v`` for every ``v`` in ``ker R`` and (iii) ``u^T V22 = u^T beta`` for every ``u`` with
    ``u^T V21 = 0``, and the same holds for ``J T J = [[S, R], [Q, P]]``, then ``T`` is not a
    product of 3 couplings.

    Proof.  A product of at most 3 couplings is ``U L U`` or ``L U L`` (pad with identities).
    Moving scales left (``U(C, D) = diag(C, I) U_u(C^-1 D)``, ``L(A, B) diag(C, I) =
    diag(C, I) L(A C, B)``, ``U(C1, D1) diag(C, I) = U(C1 C, D1)``), ``U L U = U(Gamma, D)
    L(A, B) U_u(X)``.  Then ``T U_u(-X) = U(Gamma, D) L(A, B) = [[Gamma + D A, D B], [A, B]]``
    has the bottom rows ``[R, S - R X]`` of ``T U_u(-X)``: ``A = R`` and ``P = Gamma + D R``,
    which gives (ii).  With ``beta = B^-1``, ``V = U_u(-X) L(-beta R, beta) U(Gamma^-1, -Gamma^-1
    D)``, and ``U_u(-X)`` keeps bottom rows, so ``[V21, V22] = [-beta R Gamma^-1, beta R
    Gamma^-1 D + beta]``: (i), and ``V22 = beta - V21 D``, which gives (iii).  ``L U L`` is
    ``U L U`` for ``J T J`` (``J L(A, B) J = U(B, A)``).  The search is exact: (i) ties
    ``beta_i`` to ``gamma_j`` on the support of ``R`` (which must be that of ``V21``), so on
    each connected component the scales are ``t`` times fixed values; (ii) and (iii) fix single
    scales.  QED  (These conditions are also sufficient: ``short:three`` builds the product.)
    """
    n = len(T)
    if 2 * p != n:
        return False, [f"lemma needs square blocks (split {p} != n/2)"]
    reasons = []
    for word, M in (("U L U", T), ("L U L", [r[p:] + r[:p] for r in T[p:] + T[:p]])):
        scales = _three_scales(M, p, mode)
        if scales is not None:
            return False, reasons + [f"{word}: admissible Gamma = {scales[0]}, beta = {scales[1]} exist"]
        reasons.append(f"{word}: no admissible diagonals Gamma, beta with V21 Gamma = -beta R, "
                       "P = Gamma on ker R, V22 = beta on the left kernel of V21")
    return True, reasons


def check_four_couplings_trace_sign(T, p, mode):
    """Lemma 7 (k = 4, trace sign; square blocks).  Let ``A = P^-1``, ``Sigma = S - R P^-1 Q``
    when ``P`` is invertible.  The word ``L U L U`` is *excluded* if (a) ``P`` is invertible and
    the sign sets (:func:`sign_set`) of ``diag(A)`` and ``diag(Sigma)`` are disjoint, or (b)
    ``P = 0`` and for some ``i`` the sign set of ``(Q_ik R_ki)_k`` does not contain ``-1`` (mode
    positive) or is ``{0}`` (mode any).  The word ``U L U L`` is excluded if the same holds
    for ``J T J = [[S, R], [Q, P]]``.  If both words are excluded, ``T`` is not a product of 4
    couplings.

    Proof.  By the common reduction ``M = T Delta^-1`` is ``L_u(a) U_u(b) L_u(c) U_u(e)`` or
    ``U_u L_u U_u L_u``.  In the first case the blocks of ``M`` are ``P_M = I + b c``, ``Q_M =
    P_M e + b``, ``R_M = a P_M + c``, ``S_M = a Q_M + c e + I``.  (a) ``P_M = P E^-1`` is
    invertible, and ``S_M - R_M P_M^-1 Q_M = I + c e - c P_M^-1 (P_M e + b) = I - c (I + b
    c)^-1 b = (I + c b)^-1`` (push-through identity).  The left side is ``Sigma F^-1`` and
    ``P_M^-1 = E A``.  Since ``b c`` and ``c b`` have the same characteristic polynomial, so
    do ``(I + b c)^-1 = E A`` and ``(I + c b)^-1 = Sigma F^-1``; in particular their traces
    ``sum_i e_i A_ii`` and ``sum_i Sigma_ii / f_i`` are equal, which disjoint sign sets
    forbid.  (b) ``P_M = 0`` gives ``b c = -I``, ``Q_M = b``, ``R_M = c``, so ``Q F^-1 R E^-1 =
    -I``: ``sum_k Q_ik R_ki / f_k = -e_i`` for every ``i``, which must be admissible (nonzero;
    negative in mode positive after the sign), and the sign set says it cannot be.  The
    second word is the first one for ``J T J``.  QED

    For ``d = 2`` the trace is the only obstruction to the characteristic-polynomial
    condition over the reals (``docs/theory.md``); for block diagonals ``T = diag(X, Y)``
    both conditions (a) are that of Lemma 2.  Example of (b): ``J`` (``P = S = 0``, ``Q = R
    = I``) is not a product of 4 positive couplings.
    """
    n = len(T)
    if 2 * p != n:
        return False, [f"lemma needs square blocks (split {p} != n/2)"]
    name = {-1: "<0", 0: "0", 1: ">0"}
    show = lambda s: "{" + ", ".join(name[x] for x in sorted(s)) + "}"  # noqa: E731
    reasons = []
    for word, M in (("L U L U", T), ("U L U L", [r[p:] + r[:p] for r in T[p:] + T[:p]])):
        P, Q, R, _ = _blocks(M, p)
        schur = _schur(M, p, "top")
        if schur is not None:
            A, Sigma = schur
            sa = sign_set([A[i][i] for i in range(p)], mode)
            ss = sign_set([Sigma[i][i] for i in range(p)], mode)
            reasons.append(f"{word}: sign of tr(E A) in {show(sa)}, of tr(Sigma G) in {show(ss)} "
                           "(A, Sigma: inverse pivot block and its Schur complement)")
            if sa & ss:
                return False, reasons + [f"{word}: the sign sets overlap"]
        elif _is_zero(P):
            needed = {-1} if mode == "positive" else {-1, 1}
            blocked = [i for i in range(p) if not sign_set([Q[i][k] * R[k][i] for k in range(p)], mode) & needed]
            if not blocked:
                return False, reasons + [f"{word}: the pivot block is 0 and every diagonal entry of Q G R "
                                         "can be admissible"]
            reasons.append(f"{word}: the pivot block is 0 and entry {blocked[0]} of the diagonal of Q G R "
                           f"cannot be {'< 0' if mode == 'positive' else 'nonzero'}")
        else:
            return False, reasons + [f"{word}: the pivot block is singular but not 0 (the lemma does not apply)"]
    return True, reasons + ["both words are excluded"]


def groebner_no_word(T, p, k):
    """``(ok, reasons)``: for each alternating word ``w`` of ``k`` unit factors the system
    ``w(blocks) = T diag(t)``, ``t_i s_i = 1`` has reduced Groebner basis ``[1]`` over Q.

    Then no product of ``k`` couplings with nonzero (hence none with positive) scales equals
    ``T``: by the common reduction such a product gives a solution, even over C.  Square
    blocks only.  Cost grows fast: ``k = 3``, ``d = 2`` takes under a second, ``k = 4`` about
    half a minute.
    """
    from sympy import Matrix, diag, eye, groebner, symbols, zeros

    n = len(T)
    if 2 * p != n:
        return False, ["implemented for square blocks only"]
    d = p
    t, s = symbols(f"t0:{n}"), symbols(f"s0:{n}")
    target = Matrix(T) * diag(*t)
    ok, reasons = True, []
    for start in "LU":
        mats = [Matrix(d, d, symbols(f"m{i}_0:{d * d}")) for i in range(k)]
        W, word = eye(n), ""
        for i, m in enumerate(mats):
            kind = "LU"[(i + (start == "U")) % 2]
            word += kind
            block = Matrix.vstack(Matrix.hstack(eye(d), zeros(d)), Matrix.hstack(m, eye(d))) if kind == "L" else \
                Matrix.vstack(Matrix.hstack(eye(d), m), Matrix.hstack(zeros(d), eye(d)))
            W = W * block
        eqs = list(W - target) + [ti * si - 1 for ti, si in zip(t, s)]
        gb = groebner(eqs, *([x for m in mats for x in m] + list(t) + list(s)), order="grevlex")
        good = list(gb.exprs) == [1]
        ok &= good
        reasons.append(f"word {word}: Groebner basis {'== [1]' if good else '!= [1]'}")
    return ok, reasons


def _groebner_lemma(k):
    def check(T, p, mode):
        return groebner_no_word(T, p, k)
    check.__doc__ = f"Groebner bases over Q (k = {k}): see :func:`groebner_no_word`."
    return check


# ---------------------------------------------------------------- registry and checking

ARGUMENTS = {
    # name: (checker, largest k the lemma proves)
    "block-diagonal-not-scaling": (check_block_diagonal_not_scaling, 3),
    "block-diagonal-trace-sign": (check_block_diagonal_trace_sign, 5),
    "block-diagonal-nonreal-spectrum": (check_block_diagonal_nonreal_spectrum, 5),
    "not-one-coupling": (check_not_one_coupling, 1),
    "not-two-couplings": (check_not_two_couplings, 2),
    "not-three-couplings": (check_not_three_couplings, 3),
    "four-couplings-trace-sign": (check_four_couplings_trace_sign, 4),
    "groebner-3": (_groebner_lemma(3), 3),
    "groebner-4": (_groebner_lemma(4), 4),
}
#: the lemmas that decide from the matrix alone in polynomial time (the Groebner ones may take minutes)
FAST_ARGUMENTS = [name for name in ARGUMENTS if not name.startswith("groebner")]


def parse_witness(obj):
    """Validate the format; return ``(mode, k, n, p, T)`` or raise :class:`WitnessError`."""
    if not isinstance(obj, dict):
        raise WitnessError("a witness is a JSON object")
    missing = _KEYS - obj.keys()
    if missing:
        raise WitnessError(f"missing keys: {sorted(missing)}")
    extra = obj.keys() - _KEYS - _OPTIONAL
    if extra:
        raise WitnessError(f"unknown keys: {sorted(extra)}")
    if obj["format"] != FORMAT:
        raise WitnessError(f"format should be {FORMAT!r}")
    mode = obj["mode"]
    if mode not in MODES:
        raise WitnessError(f"mode should be one of {MODES}")
    k, n, p = obj["k"], obj["n"], obj["split"]
    for name, val in (("k", k), ("n", n), ("split", p)):
        if type(val) is not int:
            raise WitnessError(f"{name} should be an integer")
    if n < 2 or not 1 <= p <= n - 1:
        raise WitnessError("need n >= 2 and 1 <= split <= n - 1")
    if k < 1:
        raise WitnessError("k should be >= 1")
    if obj["argument"] not in ARGUMENTS:
        raise WitnessError(f"unknown argument {obj['argument']!r}")
    if not isinstance(obj["statement"], str):
        raise WitnessError("statement should be a string")
    T = _table(obj["matrix"], n, n, "matrix")
    return mode, k, n, p, T


def check_upper_example(obj):
    """Check ``obj["upper_example"]``: admissible factors whose exact product is the matrix.

    Returns ``(ok, reasons)``; ``ok`` is ``None`` when there is no example.
    """
    if "upper_example" not in obj:
        return None, []
    mode, k, n, p, T = parse_witness(obj)
    factors = obj["upper_example"]
    if not isinstance(factors, list) or not factors:
        return False, ["upper_example should be a nonempty list of factors"]
    prod = _eye(n)
    for i, f in enumerate(factors):
        if not isinstance(f, dict) or set(f) != {"kind", "shear", "scale"}:
            return False, [f"factor {i}: expected keys kind, shear, scale"]
        kind = f["kind"]
        if kind not in ("lower", "upper"):
            return False, [f"factor {i}: kind should be 'lower' or 'upper'"]
        r, c = (n - p, p) if kind == "lower" else (p, n - p)
        try:
            shear = _table(f["shear"], r, c, f"factor {i} shear")
            scale = _table([f["scale"]], 1, r, f"factor {i} scale")[0]
        except WitnessError as exc:
            return False, [str(exc)]
        if any(s == 0 for s in scale) or (mode == "positive" and any(s <= 0 for s in scale)):
            return False, [f"factor {i}: scale not admissible in mode {mode}"]
        prod = _matmul(prod, factor_matrix(kind, shear, scale, n, p))
    if prod != T:
        return False, [f"the product of the {len(factors)} factors is not the matrix"]
    reasons = [f"explicit product of {len(factors)} {mode}-mode couplings equals the matrix"]
    if len(factors) <= k:
        return False, reasons + [f"this contradicts the claimed lower bound k = {k}"]
    return True, reasons


def check_witness(obj):
    """Re-verify a witness from its matrix alone.  Returns ``(ok, reasons)``.

    ``ok`` is True iff the format is valid, the matrix is invertible (with
    positive determinant in mode positive, where other inputs are unreachable
    anyway), the named lemma's hypotheses hold, ``k`` is at most what the lemma
    proves, and an ``upper_example`` (if present) checks.
    """
    try:
        mode, k, n, p, T = parse_witness(obj)
    except WitnessError as exc:
        return False, [f"malformed witness: {exc}"]
    checker, kmax = ARGUMENTS[obj["argument"]]
    reasons = []
    det = _det(T)
    if det == 0:
        return False, ["the matrix is singular"]
    if mode == "positive" and det < 0:
        return False, [f"det = {det} < 0: no product of positive couplings at all (vacuous)"]
    reasons.append(f"det = {det}")
    if k > kmax:
        return False, reasons + [f"claimed k = {k} exceeds what {obj['argument']} proves ({kmax})"]
    ok, why = checker(T, p, mode)
    reasons += why
    if ok:
        reasons.append(f"lemma {obj['argument']}: not a product of {kmax} >= k = {k} couplings")
    try:
        ex_ok, ex_why = check_upper_example(obj)
    except WitnessError as exc:  # pragma: no cover - parse_witness already passed
        ex_ok, ex_why = False, [str(exc)]
    reasons += ex_why
    if ex_ok is False:
        ok = False
    return ok, reasons


def load_witnesses(directory=None):
    """All witnesses in ``proofs/witnesses/*.json`` (sorted by file name), as dicts."""
    directory = Path(directory) if directory else WITNESS_DIR
    out = []
    for path in sorted(directory.glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            out.append(json.load(fh))
    return out


def format_report(witnesses=None) -> str:
    """Human-readable report: each witness with mode, k, matrix, statement, verdict."""
    witnesses = load_witnesses() if witnesses is None else witnesses
    lines, n_ok = [], 0
    for w in witnesses:
        ok, reasons = check_witness(w)
        n_ok += bool(ok)
        lines.append(f"== {w.get('id', '?')}: mode {w.get('mode')}, not a product of "
                     f"k = {w.get('k')} couplings (n = {w.get('n')}, split = {w.get('split')})")
        for row in w.get("matrix", []):
            lines.append("     [" + " ".join(f"{x:>5}" for x in row) + " ]")
        lines.append(f"   statement: {w.get('statement')}")
        lines.append(f"   argument:  {w.get('argument')}")
        if "upper_example" in w:
            lines.append(f"   upper example: {len(w['upper_example'])} factors")
        lines.append(f"   verdict: {'CERTIFIED' if ok else 'REJECTED'}")
        lines += [f"     - {r}" for r in reasons]
    lines.append(f"{n_ok}/{len(witnesses)} lower-bound witnesses certified")
    return "\n".join(lines)


# ---------------------------------------------------------------- a given matrix


def lower_bound_witness(T, p, mode, arguments=None):
    """The strongest witness the lemmas give for the matrix ``T`` (rows of Fractions), or ``None``.

    Tries ``arguments`` (default :data:`FAST_ARGUMENTS`) from the largest ``k`` they can
    prove down, and returns the first that applies, as a witness object in the format above
    (so :func:`check_witness` re-checks it from the matrix alone).  ``T`` is at least the
    returned ``k + 1`` couplings; ``None`` means only the trivial bound (``T != I``: 1).

    >>> T = [[Fraction(x) for x in row] for row in [[0, 1], [1, 0]]]  # the swap needs 3
    >>> w = lower_bound_witness(T, 1, "any")
    >>> w["k"], w["argument"], check_witness(w)[0]
    (2, 'not-two-couplings', True)
    """
    n = len(T)
    names = FAST_ARGUMENTS if arguments is None else arguments
    for name in sorted(names, key=lambda a: -ARGUMENTS[a][1]):
        checker, k = ARGUMENTS[name]
        ok, reasons = checker(T, p, mode)
        if ok:
            return {"format": FORMAT, "mode": mode, "k": k, "n": n, "split": p,
                    "matrix": [[str(x) for x in row] for row in T], "argument": name,
                    "statement": f"not a product of {k} couplings in mode {mode}: " + "; ".join(reasons)}
    return None


# ---------------------------------------------------------------- d = 1: three always suffice


def three_couplings_2x2(T, mode="any"):
    """Factor an invertible 2 x 2 ``T`` (split 1) into at most 3 couplings, exactly.

    This is why no 2 x 2 matrix witnesses k = 3 in mode any: the smallest
    block size with such a witness is d = 2.  In mode positive the only 2 x 2
    matrices (with ``det > 0``) that need 4 are the diagonal ones with negative
    entries (lemma 1), e.g. ``-I``.  Returns a list of ``(kind, shear, scale)``
    with Fraction entries (``shear`` 1 x 1, ``scale`` length 1), or ``None`` when
    ``T`` is such a negative diagonal in mode positive.

    If ``r != 0``: ``T = U(1, b) L(c, 1) U(D, e)`` with ``D = det T``,
    ``c = r / D``, ``b = (p - D) / r``, ``e = D (s - 1) / r``; if ``q != 0``,
    the mirror ``T = L(a, 1) U(1, b) L(c, D)`` with ``b = q / D``,
    ``c = (p - 1) / b``, ``a = (s / D - 1) / b``; else ``T = U(p, 0) L(0, s)``.

    >>> T = [[Fraction(2), Fraction(3)], [Fraction(5), Fraction(7)]]
    >>> fs = three_couplings_2x2(T)
    >>> prod = _eye(2)
    >>> for kind, sh, sc in fs: prod = _matmul(prod, factor_matrix(kind, sh, sc, 2, 1))
    >>> prod == T, len(fs)
    (True, 3)
    """
    (p, q), (r, s) = T
    D = p * s - q * r
    if D == 0:
        raise ValueError("singular")
    if mode == "positive" and D < 0:
        raise ValueError("det < 0 is unreachable in mode positive")
    F = Fraction
    if r != 0:
        c, b, e = r / D, (p - D) / r, D * (s - 1) / r
        return [("upper", [[b]], [F(1)]), ("lower", [[c]], [F(1)]), ("upper", [[e]], [D])]
    if q != 0:
        b = q / D
        c, a = (p - 1) / b, (s / D - 1) / b
        return [("lower", [[a]], [F(1)]), ("upper", [[b]], [F(1)]), ("lower", [[c]], [D])]
    if mode == "positive" and p < 0:
        return None
    return [("upper", [[F(0)]], [p]), ("lower", [[F(0)]], [s])]


# ---------------------------------------------------------------- optional Groebner cross-check


def groebner_crosscheck(obj, full=True):
    """Independent computer-algebra check for a mode-``any`` witness ``T = diag(X, Y)``.

    For every alternating word ``w`` of ``k`` unit factors (starting with L and
    with U) it builds the polynomial system ``w(blocks) = T diag(t)``, ``t_i
    s_i = 1`` (``diag(t) = Delta^-1``, entries invertible) and checks that its
    reduced Groebner basis over Q is ``[1]``: no solution even over C, hence
    none over R with nonzero scales.  This relies only on the common
    reduction (R1)-(R3), not on the lemmas.  With ``full=False`` (``k = 5``,
    block-diagonal only) it instead checks the two reduced systems of Lemma 0
    (``X diag(t) (I + e c) = I``, ``Y G = I + c e`` and the mirror) which is
    fast.  Positivity cannot be expressed over C, so mode-positive witnesses
    are refused.  Timing (sympy 1.14, one core): ``k = 3`` full < 1 s,
    ``k = 5`` full about 65 s per word, reduced < 0.1 s.

    Returns ``(ok, reasons)``.
    """
    from sympy import Matrix, diag, eye, groebner, symbols

    mode, k, n, p, T = parse_witness(obj)
    if mode != "any":
        return False, ["Groebner bases work over C: positivity cannot be encoded, skipped"]
    if 2 * p != n:
        return False, ["cross-check implemented for square blocks only"]
    if full:
        return groebner_no_word(T, p, k)
    d = p
    t = symbols(f"t0:{n}")
    s = symbols(f"s0:{n}")
    inv_eqs = [ti * si - 1 for ti, si in zip(t, s)]
    reasons, ok = [], True
    if k > 5:
        return False, ["the reduced system covers k <= 5 only"]
    X, Q, R, Y = (Matrix(b) for b in _blocks(T, p))
    if not (Q.is_zero_matrix and R.is_zero_matrix):
        return False, ["the reduced system needs T = diag(X, Y)"]
    e = Matrix(d, d, symbols(f"e0:{d * d}"))
    c = Matrix(d, d, symbols(f"c0:{d * d}"))
    Einv, G = diag(*t[:d]), diag(*t[d:])  # X' = X E^-1, Y' = Y G
    systems = {
        "LULUL (X'^-1 = I + e c, Y' = I + c e)": list(X * Einv * (eye(d) + e * c) - eye(d))
        + list(Y * G - eye(d) - c * e),
        "ULULU (Y'^-1 = I + e c, X' = I + c e)": list(Y * G * (eye(d) + e * c) - eye(d))
        + list(X * Einv - eye(d) - c * e),
    }
    for name, eqs in systems.items():
        gb = groebner(eqs + inv_eqs, *(list(e) + list(c) + list(t) + list(s)), order="grevlex")
        good = list(gb.exprs) == [1]
        ok &= good
        reasons.append(f"reduced {name}: Groebner basis {'== [1]' if good else '!= [1]'}")
    return ok, reasons


def main(argv=None) -> int:
    """``python -m proofs.lower_bounds [--groebner] [--full]``."""
    argv = sys.argv[1:] if argv is None else argv
    print(format_report())
    ok = all(check_witness(w)[0] for w in load_witnesses())
    if "--groebner" in argv:
        for w in load_witnesses():
            if w["mode"] != "any":
                continue
            full = "--full" in argv or w["k"] <= 4
            g_ok, why = groebner_crosscheck(w, full=full)
            print(f"groebner {w.get('id')}: {'ok' if g_ok else 'FAILED'}; " + "; ".join(why))
            ok &= g_ok
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
