"""Every size and every split: an unequal split reduces to the balanced one.

With ``p`` kept coordinates out of ``n`` and ``p < n - p``, a few unit
couplings clear the last ``r = min(p, n - 2p)`` rows and columns:
``T = X diag(T', I_r) Y`` with ``X = U L U`` and ``Y = L U L`` (each at most
three unit couplings, :func:`column_word`), and ``T'`` has size ``n - r`` and
the same split. Repeating this ``k = ceil((n - 2p) / p)`` times leaves a
balanced ``2p x 2p`` matrix for the balanced method; its couplings, and the
inner reductions', act on the cleared coordinates as the identity
(:meth:`~construct.couplings.Word.embedded`). The ``X`` and ``Y`` words of
consecutive steps merge at their ends, so the reduction costs at most
``4k + 2`` couplings (``docs/theory.md``). A split with ``p > n - p`` is the
mirror image (the halves exchanged, lower and upper couplings swapped).

On a generic matrix the clearing words are ``L U`` each, so the word is
``(L U)^k W (L U)^k`` (merged): 8 for odd ``n`` with the five-coupling short
word. When a structured matrix gets more, a few random unit couplings
``L(G)``, ``U(H)`` make ``L(-G) T U(-H)`` generic; its word, which
typically starts with a lower and ends with an upper coupling, absorbs
them, and the shorter word is kept (so the bound stays that of the plain
reduction).

>>> import random
>>> from construct.matrices import from_rows
>>> from construct.short import factor_short
>>> T = from_rows([[0, 1, 2], [1, 0, 0], [3, 1, 1]])
>>> f = factor_split(T, 1, lambda S: factor_short(S, "any", random.Random(0)))
>>> f.word.matrix() == T, f.word.p, f.word.kinds(), f.count <= f.bound
(True, 1, 'ULULU', True)
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct.arith import arithmetic
from construct.couplings import Coupling, Word, lower, upper
from construct.factorization import Factorization
from construct.matrices import from_rows, identity, inverse, rank, zeros
from construct.numeric import NumericWord, exact_decimal, tolerance


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


def split_bound(n: int, p: int, balanced_bound: int) -> int:
    """The bound for the split ``p`` of ``n`` when the balanced method is within ``balanced_bound``.

    >>> split_bound(5, 2, 6), split_bound(6, 1, 6), split_bound(4, 2, 6)
    (12, 24, 6)
    """
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
    :class:`~construct.factorization.Factorization`; the result claims that
    factorization's bound plus :func:`reduction_bound`. The clearing
    couplings are computed exactly; when ``balanced`` is numeric (the levels
    method in float64 or mpmath), its factors are read exactly, the word is
    assembled exactly and rounded to that arithmetic, and the certificate
    claims the tolerance of the rounded product. With ``rng``, a result
    longer than :func:`generic_length` is retried on random preconditionings
    and the shortest word is kept; ``generic_inner`` is the kinds of the
    balanced word of a generic matrix (``"LULUL"`` for the short method),
    by default those of the balanced word at hand.
    """
    n = T.shape[0]
    word, inner, bound = _split_word(T, p, balanced, rng, generic_inner)
    stages = {**inner.stages, "reduction": len(word) - len(inner.word)}
    stage_bounds = {**inner.stage_bounds, "reduction": (reduction_bound(n, p) + 2 * (rng is not None), "")}
    f = Factorization(T, word, inner.mode, inner.method, bound, stages, stage_bounds)
    if inner.tolerance is not None:
        a = arithmetic(inner.arith, inner.digits or 50)
        f.word = NumericWord(n, p, [(c.kind, a.matrix(c.shear), a.matrix(from_rows([c.scale]))[0]) for c in word],
                             a.scalar(1))
        f.arith, f.digits, f.tolerance = inner.arith, inner.digits, tolerance(f.word, T, a)
    return f


def _split_word(T: DomainMatrix, p: int, balanced, rng, generic_inner):
    """``(exact word, inner factorization, bound)``: mirror if ``p > n - p``, clear, precondition when it helps.

    The bound is the plain reduction's (its inner bound plus ``4k + 2``): a
    preconditioned word is only kept when it is shorter than the plain one.
    """
    n = T.shape[0]
    if 2 * p > n:  # mirror: exchange the halves, factor with n - p kept, exchange back
        order = list(range(p, n)) + list(range(p))
        rows = T.to_list()
        word, inner, bound = _split_word(from_rows([[rows[i][j] for j in order] for i in order], T.domain), n - p,
                                         balanced, rng, generic_inner)
        return word.mirrored(), inner, bound
    word, inner = _cleared(T, p, balanced)
    bound = inner.bound + reduction_bound(n, p)
    for _ in range(TRIES if rng is not None else 0):
        if len(word) <= generic_length(peels(n, p), generic_inner or inner.word.kinds()):
            break
        K = T.domain
        G, H = (DomainMatrix([[K(rng.randint(-2, 2)) for _ in range(c)] for _ in range(r)], (r, c), K).to_dense()
                for r, c in ((n - p, p), (p, n - p)))
        left, right = Word(n, p, [lower(G)], K), Word(n, p, [upper(H)], K)
        # L(-G) T U(-H) = (U(-H)^T (L(-G) T)^T)^T
        preconditioned = right.inverse().transposed().apply(left.inverse().apply(T).transpose()).transpose()
        other, other_inner = _cleared(preconditioned.to_dense(), p, balanced)
        other = left * other * right
        if len(other) < len(word):  # shorter than the plain word, so within its bound
            word, inner = other, other_inner
    return word, inner, bound


def _cleared(T: DomainMatrix, p: int, balanced):
    """``(word, inner factorization)`` for ``p <= n - p``: clear ``r`` coordinates, recurse, embed."""
    n = T.shape[0]
    if 2 * p == n:
        inner = balanced(T)
        return (inner.word if inner.tolerance is None else _exact_word(inner.word, T.domain)), inner
    r = min(p, n - 2 * p)
    X = column_word(T[:, n - r:], p)  # X e_j = T e_j on the last r coordinates
    M = X.inverse().apply(T)  # its last r columns are unit vectors
    Yt = column_word(M[n - r:, : n - r].transpose().vstack(identity(r, T.domain)).to_dense(), p)
    N = Yt.inverse().apply(M.transpose()).transpose()  # M Y^-1 = diag(T', I_r) for Y = Yt^T
    word, inner = _cleared(N[: n - r, : n - r].to_dense(), p, balanced)
    return X * word.embedded(n) * Yt.transposed(), inner


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

    >>> from construct.matrices import from_rows
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
