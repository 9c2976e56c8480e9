"""Every size and every split: an unequal split reduces to the balanced one.

With ``p`` kept coordinates out of ``n`` and ``p < n - p``, a few unit
couplings clear the last ``r = min(p, n - 2p)`` rows and columns:
``T = X diag(T', I_r) Y`` with ``X = U L U`` and ``Y = L U L`` (each at most
three unit couplings, :func:`column_word`), and ``T'`` has size ``n - r`` and
the same split. Repeating this ``k = ceil((n - 2p) / p)`` times leaves a
balanced ``2p x 2p`` matrix for the balanced method; its couplings, and the
inner reductions', act on the cleared coordinates as the identity
(:meth:`~construct.core.couplings.Word.embedded`). The ``X`` and ``Y`` words of
consecutive steps merge at their ends, so the reduction costs at most
``4k + 2`` couplings (``docs/theory.md``; 4 for odd ``n >= 5``, below). A
split with ``p > n - p`` is the mirror image (the halves exchanged, lower
and upper couplings swapped).

For odd ``n`` and ``p = floor(n/2)`` one step clears one coordinate, and
:func:`absorbed_clearing` picks it (and unit couplings ``L(G)``, ``U(H)``
that the clearing words absorb) so that both clearing words are ``L U``;
such a choice exists for every invertible ``T`` when ``n >= 5``. The
balanced rest starts with ``U_u(g)`` when both of its off-diagonal blocks
are singular (:func:`_balanced_word`), which merges into the clearing word
before it. With the short method the balanced word is then at most five
couplings, or ``U_u(g)`` and five, and the merged word ``L U W L U`` is at
most 8 couplings, in both modes (``n = 3``: the 2 x 2 rest gets at most
3 couplings, or ``U_u(g)`` and 3, so even clearing words ``U L U`` and
``L U L`` give at most 8). For other splits, a result longer than the
generic pattern is retried on random preconditionings ``L(-G) T U(-H)``
(the shorter word is kept; a measured gain, not needed for the bound).

>>> import random
>>> from construct.core.matrices import from_rows
>>> from construct.methods.short import factor_short
>>> T = from_rows([[0, 1, 2], [1, 0, 0], [3, 1, 1]])
>>> f = factor_split(T, 1, lambda S: factor_short(S, "any", random.Random(0)))
>>> f.word.matrix() == T, f.word.p, f.word.kinds(), f.bound
(True, 1, 'ULULU', 8)
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct.core.arith import arithmetic
from construct.core.couplings import LOWER, Coupling, Word, lower, upper
from construct.core.factorization import Factorization
from construct.core.matrices import blocks, from_rows, identity, inverse, join, rank, zeros
from construct.core.numeric import exact_decimal, tolerance
from construct.methods.short import completing_shear


def peels(n: int, p: int) -> int:
    """How many clearing steps take the split ``(p, n - p)`` to a balanced one.

    >>> peels(4, 2), peels(5, 2), peels(5, 3), peels(9, 1), peels(10, 3)
    (0, 1, 1, 7, 2)
    """
    s = min(p, n - p)
    return -(-(n - 2 * s) // s)


def reduction_bound(n: int, p: int) -> int:
    """Couplings the reduction adds at most: ``4k + 2`` for ``k`` clearing steps, 0 for a balanced split."""
    k = peels(n, p)
    return 4 * k + 2 if k else 0


def generic_length(k: int, inner_kinds: str) -> int:
    """Couplings of ``(L U)^k W (L U)^k`` after merging, for a balanced word ``W`` of the given kinds.

    >>> generic_length(1, "LULUL"), generic_length(1, "ULULU"), generic_length(7, "LUL")
    (8, 8, 30)
    """
    kinds = "LU" * k + inner_kinds + "LU" * k
    return sum(1 for i, c in enumerate(kinds) if i == 0 or c != kinds[i - 1])


#: Random preconditioning pairs tried when the plain reduction is longer than :func:`generic_length`.
TRIES = 3


#: The proved bound of the short method for odd ``n`` and ``p = floor(n/2)`` or ``ceil(n/2)``, both modes.
ODD_SHORT_BOUND = 8


def split_bound(n: int, p: int, balanced_bound: int, short: bool = False) -> int:
    """The bound for the split ``p`` of ``n`` when the balanced method is within ``balanced_bound``.

    ``balanced_bound`` plus :func:`reduction_bound`, except for odd ``n`` and
    ``|n - 2p| = 1``, where the clearing words are absorbed
    (:func:`absorbed_clearing`): :data:`ODD_SHORT_BOUND` when the balanced
    method is the short one (``short``: at most five couplings when an
    off-diagonal block is invertible), else ``balanced_bound + 4`` for
    ``n >= 5`` (docs/theory.md, "Every size and split").

    >>> split_bound(5, 2, 6), split_bound(5, 2, 6, short=True), split_bound(3, 2, 6, short=True)
    (10, 8, 8)
    >>> split_bound(6, 1, 6, short=True), split_bound(4, 2, 6), split_bound(3, 1, 27)
    (24, 6, 33)
    """
    if abs(n - 2 * p) == 1 and short:
        return ODD_SHORT_BOUND
    if abs(n - 2 * p) == 1 and n >= 5:
        return balanced_bound + 4
    return balanced_bound + reduction_bound(n, p)


def parameter_lower_bound(n: int, p: int) -> int:
    """The fewest alternating couplings with at least ``n^2`` free parameters.

    A lower coupling has ``p(n - p) + (n - p)`` parameters, an upper one
    ``p(n - p) + p``; a product of ``k`` of them is a polynomial image of at
    most that many parameters, so a generic ``n x n`` matrix needs the
    smallest ``k`` whose total reaches ``n^2``.

    >>> parameter_lower_bound(4, 2), parameter_lower_bound(5, 2), parameter_lower_bound(9, 1)
    (3, 3, 7)
    """
    q = n - p
    many, few = p * q + max(p, q), p * q + min(p, q)
    k = 0
    while (k + 1) // 2 * many + k // 2 * few < n * n:
        k += 1
    return k


def factor_split(T: DomainMatrix, p: int, balanced, rng: random.Random | None = None,
                 generic_inner: str | None = None) -> Factorization:
    """Couplings of the split ``p`` whose product is ``T``, through ``balanced`` on the balanced rest.

    ``balanced`` maps a ``2s x 2s`` matrix (``s = min(p, n - p)``) to its
    :class:`~construct.core.factorization.Factorization`; the result claims
    :func:`split_bound` of that factorization's bound (8 for odd ``n``,
    ``|n - 2p| = 1``, when it comes from the short method). The clearing
    couplings are computed exactly; when ``balanced`` is numeric (the levels
    method in float64 or mpmath), its factors are read exactly, the word is
    assembled exactly and rounded to that arithmetic, and the certificate
    claims the tolerance of the rounded product against ``T``. For
    ``|n - 2p| = 1`` the clearing is chosen deterministically
    (:func:`absorbed_clearing`); for other splits, with ``rng``, a result
    longer than :func:`generic_length` is retried on random preconditionings
    (a measured gain only) and the shortest word is kept; ``generic_inner``
    is the kinds of the balanced word of a generic matrix (``"LULUL"`` for
    the short method), by default those of the balanced word at hand.
    """
    n = T.shape[0]
    word, inner, bound = _split_word(T, p, balanced, rng, generic_inner)
    # couplings beyond the balanced word (none when merges with U_u(g) of _balanced_word make the word shorter)
    stages = {**inner.stages, "reduction": max(0, len(word) - len(inner.word))}
    retried = rng is not None and abs(n - 2 * p) > 1
    stage_bounds = {**inner.stage_bounds, "reduction": (reduction_bound(n, p) + 2 * retried, ""), "total": (bound, "")}
    f = Factorization(T, word, inner.mode, inner.method, bound, stages, stage_bounds)
    if inner.tolerance is not None:
        a = arithmetic(inner.arith, inner.digits or 50)
        f.word = Word(n, p, [(c.kind, a.matrix(c.shear), tuple(a.matrix(from_rows([c.scale]))[0])) for c in word],
                      arith=a)
        f.arith, f.digits, f.tolerance = inner.arith, inner.digits, tolerance(f.word, T, a)
    return f


def _split_word(T: DomainMatrix, p: int, balanced, rng, generic_inner):
    """``(exact word, inner factorization, bound)``: mirror if ``p > n - p``, then clear.

    ``|n - 2p| = 1``: the clearing of :func:`absorbed_clearing`, whose word
    the bound covers; when that clearing is not the plain one, the plain
    word is built too and kept if it is shorter. Other splits: the plain
    clearing, retried on random preconditionings when it is longer than
    :func:`generic_length`. A word other than the one the bound is proved
    for is only kept when it is shorter, so the bound stays valid.
    """
    n = T.shape[0]
    if 2 * p > n:  # mirror: exchange the halves, factor with n - p kept, exchange back
        order = list(range(p, n)) + list(range(p))
        word, inner, bound = _split_word(T.extract(order, order), n - p, balanced, rng, generic_inner)
        return word.mirrored(), inner, bound
    if n - 2 * p == 1:
        order, G, H = absorbed_clearing(T, p)
        S = T.extract(order, order)
        left, right = Word(n, p, [lower(G)], T.domain), Word(n, p, [upper(H)], T.domain)
        word, inner = _cleared(_preconditioned(S, left, right), p, balanced)
        word = _reordered(left * word * right, order)
        bound = split_bound(n, p, inner.bound, short=inner.method.startswith("short"))
        if order != sorted(order) or not (G.is_zero_matrix and H.is_zero_matrix):
            plain, plain_inner = _cleared(T, p, balanced)
            if len(plain) < len(word):
                word, inner = plain, plain_inner
        return word, inner, bound
    word, inner = _cleared(T, p, balanced)
    bound = split_bound(n, p, inner.bound)
    for _ in range(TRIES if rng is not None else 0):
        if len(word) <= generic_length(peels(n, p), generic_inner or inner.word.kinds()):
            break
        K = T.domain
        G, H = (DomainMatrix([[K(rng.randint(-2, 2)) for _ in range(c)] for _ in range(r)], (r, c), K).to_dense()
                for r, c in ((n - p, p), (p, n - p)))
        left, right = Word(n, p, [lower(G)], K), Word(n, p, [upper(H)], K)
        other, other_inner = _cleared(_preconditioned(T, left, right), p, balanced)
        other = left * other * right
        if len(other) < len(word):  # shorter than the plain word, so within its bound
            word, inner = other, other_inner
    return word, inner, bound


def _preconditioned(T: DomainMatrix, left: Word, right: Word) -> DomainMatrix:
    """``left^-1 T right^-1``, by applying the words (``(right^-1)^T (left^-1 T)^T``, transposed back)."""
    return right.inverse().transposed().apply(left.inverse().apply(T).transpose()).transpose().to_dense()


def absorbed_clearing(T: DomainMatrix, p: int):
    """``(order, G, H)`` for ``n = 2p + 1``: clear coordinate ``order[-1]`` of ``L(-G) T[order, order] U(-H)``.

    ``order`` moves one coordinate ``j`` of the second group to the end
    (and keeps the others in place); ``G`` is zero but for its last row and
    ``H`` but for its last column, so ``L(G)`` and ``U(H)`` merge into the
    clearing words, and these are ``L U`` each (or shorter,
    :func:`_clearing`). The plain clearing of the last coordinate first;
    if a word needs a lift, the last ``j`` where ``T[P + j, P + j] - E_jj``
    (``P`` the first group) has rank at least 2, which exists for every
    invertible ``T`` when ``p >= 2``: ``H`` (a unit vector or 0) makes the
    cleared column's top nonzero, and ``G`` (a unit row or 0) the cleared
    row's (docs/theory.md, "Every size and split": the lemma on absorbed
    clearing). When no ``j`` has that rank (only ``n = 3`` can), the plain
    clearing.

    Here the top of the last column is zero, and ``U(-H)`` subtracts column 0 from it:

    >>> from construct.core.matrices import permutation_matrix
    >>> order, G, H = absorbed_clearing(permutation_matrix([0, 4, 1, 2, 3]), 2)
    >>> order, G.is_zero_matrix, H.to_list()
    ([0, 1, 2, 3, 4], True, [[0, 0, 1], [0, 0, 0]])
    """
    n, K = T.shape[0], T.domain
    q, P = n - p, list(range(p))
    plain = list(range(n)), zeros(q, p, K), zeros(p, q, K)
    X, _, Yt = _clearing(T, p)
    if len(X) <= 2 and len(Yt) <= 2:
        return plain
    for j in reversed(range(p, n)):
        if rank(T.extract(P + [j], P + [j]) - _unit(p + 1, p + 1, p, p, K)) < 2:
            continue
        order = [i for i in range(n) if i != j] + [j]
        S = T.extract(order, order)
        a, c = S[:p, :p], S[:p, n - 1:]
        # U(-H) adds -a h to the cleared column's top c: h = 0, or e_l for a nonzero column l of a (the lemma's (i))
        shift = None if not c.is_zero_matrix else next(l for l in range(p) if not a[:, l].is_zero_matrix)
        H = zeros(p, q, K) if shift is None else _unit(p, q, shift, q - 1, K)
        top = c if shift is None else c - a[:, shift]
        # L(-G) moves the cleared row's top by G's last row times (I - top u^T) a, u^T top = 1
        u = _left_inverse(top)
        rest = (a - top * (u * a)).to_dense()
        i = next((i for i in range(p) if not rest[i, :].is_zero_matrix), None)
        for G in [zeros(q, p, K)] + ([] if i is None else [_unit(q, p, q - 1, i, K)]):
            left, right = Word(n, p, [lower(G)], K), Word(n, p, [upper(H)], K)
            X, _, Yt = _clearing(_preconditioned(S, left, right), p)
            if len(X) <= 2 and len(Yt) <= 2:
                return order, G, H
        raise AssertionError("no absorbed clearing for a coordinate where docs/theory.md proves one")
    return plain


def _unit(rows: int, cols: int, i: int, j: int, K) -> DomainMatrix:
    """The ``rows x cols`` matrix with a single 1 at ``(i, j)``."""
    entries = [[K.zero] * cols for _ in range(rows)]
    entries[i][j] = K.one
    return DomainMatrix(entries, (rows, cols), K).to_dense()


def _reordered(word: Word, order: list[int]) -> Word:
    """The word of ``T`` from that of ``T[order, order]``, ``order`` moving second-group coordinates only.

    Conjugating by such a permutation keeps each coupling's kind: the lower
    shears' rows and scales and the upper shears' columns are permuted.
    """
    p, K = word.p, word.K
    back = [order.index(i) for i in range(word.n)]  # T[i, j] = S[back[i], back[j]]
    inner = [b - p for b in back[p:]]

    def coupling(f: Coupling) -> Coupling:
        if f.kind == LOWER:
            return Coupling(f.kind, f.shear.extract(inner, list(range(p))), tuple(f.scale[b] for b in inner))
        return Coupling(f.kind, f.shear.extract(list(range(p)), inner), f.scale)
    return Word(word.n, p, [coupling(f) for f in word], K)


def _cleared(T: DomainMatrix, p: int, balanced):
    """``(word, inner factorization)`` for ``p <= n - p``: clear ``r`` coordinates, recurse, embed."""
    n = T.shape[0]
    if 2 * p == n:
        return _balanced_word(T, balanced)
    r = min(p, n - 2 * p)
    X, N, Yt = _clearing(T, p)
    word, inner = _cleared(N[: n - r, : n - r].to_dense(), p, balanced)
    return X * word.embedded(n) * Yt.transposed(), inner


def _clearing(T: DomainMatrix, p: int):
    """``(X, N, Yt)`` with ``T = X N Yt^T``, ``N = diag(T', I_r)``: unit words clearing the last ``r`` coordinates."""
    n = T.shape[0]
    r = min(p, n - 2 * p)
    X = column_word(T[:, n - r:], p)  # X e_j = T e_j on the last r coordinates
    M = X.inverse().apply(T)  # its last r columns are unit vectors
    Yt = column_word(M[n - r:, : n - r].transpose().vstack(identity(r, T.domain)).to_dense(), p)
    return X, Yt.inverse().apply(M.transpose()).transpose(), Yt  # M Y^-1 = diag(T', I_r) for Y = Yt^T


def _balanced_word(T: DomainMatrix, balanced):
    """``(word, inner factorization)`` of the balanced rest, ``U_u(g)`` first if both off-diagonal blocks are singular.

    Then ``U_u(-g) T`` has an invertible top-right block (``g`` from
    :func:`~construct.methods.short.completing_shear`), where the short method needs
    at most five couplings, and ``U_u(g)`` merges into the last factor of
    the clearing word before it, an upper coupling: free for every method.
    """
    n, K = T.shape[0], T.domain
    d = n // 2
    P0, Q0, R0, S0 = blocks(T, d)
    first = Word(n, d, [], K)
    if rank(Q0) < d and rank(R0) < d:
        g = completing_shear(Q0, S0)
        first = Word(n, d, [upper(g)], K)
        T = join(P0 - g * R0, Q0 - g * S0, R0, S0)
    inner = balanced(T)
    return first * (inner.word if inner.tolerance is None else _exact_word(inner.word, K)), inner


def _exact_word(word, K) -> Word:
    """The exact word of a numeric one: every float64 or ``mpf`` entry read as its exact binary value."""
    def exact(x):  # floats go to python-flint exactly in from_rows
        return float(x) if isinstance(x, (float, np.floating)) else Fraction(exact_decimal(x))

    return Word(word.n, word.p, [
        Coupling(f.kind, from_rows([[exact(x) for x in row] for row in f.shear.tolist()], K),
                 tuple(from_rows([[exact(x) for x in f.scale]], K).to_list()[0]))
        for f in word
    ], K)


def column_word(V: DomainMatrix, p: int) -> Word:
    """Unit couplings ``X = U(D') L(A) U(D)`` whose last ``r`` columns are ``V`` (``n x r``, rank ``r <= p``).

    Also, when the last ``r`` rows of ``V`` are ``I_r``, the last ``r`` rows
    of ``X`` are those of the identity (``A`` vanishes there), which the
    clearing of rows relies on. ``D' = 0`` when the top ``p`` rows of ``V``
    have rank ``r``: then ``X = L U``.

    >>> from construct.core.matrices import from_rows
    >>> V = from_rows([[0], [2], [5]])
    >>> X = column_word(V, 1)
    >>> X.kinds(), X.matrix()[:, 2:] == V
    ('ULU', True)
    """
    n, r = V.shape
    K, q = V.domain, n - p
    top, bottom = V[:p, :], V[p:, :]
    lift = _lift(V, p)
    W = top - lift * bottom  # p x r of rank r
    unit = zeros(q - r, r, K).vstack(identity(r, K)).to_dense()  # e_j, j among the last r, in the bottom half
    A = (bottom - unit) * _left_inverse(W)
    D = zeros(p, q - r, K).hstack(W).to_dense()
    # U(D) e_j = (W, e_j) -> L(A): (W, V_bottom) -> U(D'): (W + D' V_bottom, V_bottom) = V
    return Word(n, p, [upper(lift), lower(A), upper(D)], K)


def _lift(V: DomainMatrix, p: int) -> DomainMatrix:
    """A ``p x (n - p)`` matrix ``D'`` with ``V_top - D' V_bottom`` of full column rank.

    Zero when ``V_top`` has full rank. Otherwise take ``r`` independent rows
    ``S`` of ``V`` and pair each of them in the bottom half with a top row
    ``t`` outside ``S`` (there are enough, ``r <= p``); ``D'[t, s] = -lam``
    adds ``lam`` times row ``s`` to row ``t``. On the rows of ``S`` in the
    top half and the paired ``t``, the determinant is a polynomial in
    ``lam`` of degree ``m`` (the number of pairs) with leading coefficient
    ``+-det V[S] != 0`` and a root at 0, so one of ``lam = 1..m`` is no root.
    """
    n, r = V.shape
    K, q = V.domain, n - p
    if rank(V[:p, :]) == r:
        return zeros(p, q, K)
    rows = _independent_rows(V)
    kept_top = [i for i in rows if i < p]
    pairs = list(zip([i for i in range(p) if i not in kept_top], [i - p for i in rows if i >= p]))
    for lam in range(1, len(pairs) + 1):
        entries = [[K.zero] * q for _ in range(p)]
        for t, s in pairs:
            entries[t][s] = K(-lam)
        lift = DomainMatrix(entries, (p, q), K).to_dense()
        if rank(V[:p, :] - lift * V[p:, :]) == r:
            return lift
    raise AssertionError("V does not have full column rank")


def _independent_rows(M: DomainMatrix) -> list[int]:
    """Indices of ``rank M`` linearly independent rows of ``M``."""
    return list(M.transpose().rref()[1])


def _left_inverse(W: DomainMatrix) -> DomainMatrix:
    """An ``r x p`` matrix ``W^+`` with ``W^+ W = I_r``, for ``W`` of full column rank ``r``."""
    (p, r), K = W.shape, W.domain
    if r == 1 and K == QQ:  # divide by the largest entry: small clearing shears when rounded to floats later
        rows = [max(range(p), key=lambda i: abs(W[i, 0].element))]
    else:
        rows = _independent_rows(W)
    square_inverse = inverse(W.extract(rows, list(range(r)))).to_list()
    entries = [[K.zero] * p for _ in range(r)]
    for a, i in enumerate(rows):
        for b in range(r):
            entries[b][i] = square_inverse[b][a]
    return DomainMatrix(entries, (r, p), K).to_dense()
