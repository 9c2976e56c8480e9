"""Short factorizations: at most 6 couplings, 5 when an off-diagonal block is invertible.

Routes, tried in order (``claims.method`` names the one taken):

* ``short:two`` — ``T`` is one coupling or a product ``L U`` / ``U L``
  (top-left, resp. bottom-right, block diagonal and the matching Schur
  complement diagonal);
* ``short:three`` — ``T = U L U`` (or ``L U L``), an exact test for every
  rank of every block (docs/theory.md, "The short method", section 2);
  with ``short:two`` it returns at most ``k`` couplings for every product of
  ``k <= 3`` couplings, in both modes;
* ``short:five`` — ``T = L_u(x) U_u(b) L_u(c) U_u(e) L_u(f) Delta``
  (docs/theory.md, "The short method", section 3) when the top-right block is
  invertible, its mirror when the bottom-left one is; where its genericity
  conditions fail (sparse inputs such as permutations) the same construction
  runs on a conjugate ``diag(M, M) T diag(M, M)^-1`` chosen to satisfy them;
* ``short:six`` — one extra unit factor first makes an off-diagonal block
  invertible (:func:`completing_shear` always does).

There is no other route: the five route's search for its free diagonal ends,
after its random draws, with a finite grid on which a good choice provably
lies (docs/theory.md, "The short method", section 5), so every invertible
``T`` gets at most 6 couplings, and a route that fails where the argument
says it cannot is a :class:`ShortMethodBug`.

>>> import random
>>> from construct.core.matrices import from_rows
>>> T = from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]])
>>> f = factor_short(T, "any", random.Random(0))
>>> f.word.matrix() == T, f.count, f.method
(True, 5, 'short:five')
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile

from sympy.polys.matrices import DomainMatrix

from construct.core.couplings import Word, lower, upper
from construct.core.factorization import Factorization
from construct.core.gadgets import similarity_pair
from construct.core.matrices import (
    bit_length,
    blocks,
    charpoly,
    diagonal,
    diagonal_entries,
    from_rows,
    identity,
    inverse,
    join,
    rank,
    scale_columns,
    scale_rows,
    zeros,
)

#: Random free choices tried per route (the five route then walks :func:`_grid_scales`).
TRIES = 24
#: Tries of the five-coupling route with small free scales; the later ones carry the theory's bound.
SMALL_TRIES = 8
#: Input bit length above which the five-factor route also builds the leading-minor variant.
HUGE_BITS = 32


def factor_short(T: DomainMatrix, mode: str, rng: random.Random) -> Factorization:
    """The first route that builds ``T``; a failure the theory excludes raises :class:`ShortMethodBug`.

    A route answers ``None`` when its conditions fail for ``T`` (or for its
    free choices); a word that is not ``T`` or has a nonpositive scale in
    positive mode, or a step that the argument of docs/theory.md ("The short
    method", section 5) proves cannot fail, is a bug: the matrix is saved to
    a file named in the error (the command line exits with 3).
    """
    positive = mode == "positive"
    for name, route, bound in ROUTES:
        try:
            word = route(T, positive, rng)
        except ShortMethodBug as e:
            raise ShortMethodBug(f"short:{name}: {e}; the matrix is saved in {_save_matrix(T)}") from None
        if word is None:
            continue
        if not _valid(word, T, positive):
            raise ShortMethodBug(f"short:{name} built a word that is not T in mode {mode}; "
                                 f"the matrix is saved in {_save_matrix(T)}")
        return Factorization(T, word, mode, f"short:{name}", bound)
    raise ShortMethodBug(f"no route built T, which the theory excludes (six always succeeds); "
                         f"the matrix is saved in {_save_matrix(T)}")


class ShortMethodBug(RuntimeError):
    """A step of the short method failed where docs/theory.md proves it cannot: a bug to report."""


def _save_matrix(T: DomainMatrix) -> str:
    """Write ``T`` (exact entries, one row per line) to a new file in the temporary directory; return its path."""
    fd, path = tempfile.mkstemp(prefix="couplings-short-bug-", suffix=".csv")
    with os.fdopen(fd, "w") as out:
        out.writelines(", ".join(str(x) for x in row) + "\n" for row in T.to_list())
    return path


def _valid(word: Word, T: DomainMatrix, positive: bool) -> bool:
    """Positive scales where asked, and the product equals ``T`` on two random vectors.

    A safety net, not the proof (the checker multiplies the factors out):
    applying the word to vectors costs ``O(n^2)`` per factor, against
    ``O(n^3)`` for :meth:`Word.matrix`. A wrong word passes with
    probability at most ``2^-62`` per vector (Freivalds: ``(W - T) v = 0``
    for a nonzero ``W - T`` holds for at most one value of some entry of ``v``).
    """
    if positive and _has_nonpositive_scale(word):
        return False
    n, K = T.shape[0], T.domain
    draw = random.Random(n)  # its own generator: the routes' free choices stay as they were
    V = DomainMatrix([[K(draw.getrandbits(62)) for _ in range(2)] for _ in range(n)], (n, 2), K).to_dense()
    return word.apply(V) == T * V


def _is_diagonal(M: DomainMatrix) -> bool:
    return M.is_diagonal and all(x != 0 for x in diagonal_entries(M))


def _two(T, positive, rng):
    """``L(A,B) U(C,D) = [[C, D], [A C, A D + B]]`` or ``U(C,D) L(A,B) = [[C + D A, D B], [A, B]]``.

    Each form has at most one solution, read off the blocks, so trying both
    decides whether ``T`` is a product of at most two couplings (in positive
    mode, of positive-scale ones).
    """
    d, K = T.shape[0] // 2, T.domain
    P, Q, R, S = blocks(T, d)
    words = []
    if _is_diagonal(P):
        A = scale_columns(R, [K.one / x for x in diagonal_entries(P)])
        if (S - A * Q).is_diagonal:
            words.append(Word(2 * d, d, [lower(A, diagonal_entries(S - A * Q)), upper(Q, diagonal_entries(P))], K))
    if _is_diagonal(S):
        D = scale_columns(Q, [K.one / x for x in diagonal_entries(S)])
        if (P - D * R).is_diagonal:
            words.append(Word(2 * d, d, [upper(D, diagonal_entries(P - D * R)), lower(R, diagonal_entries(S))], K))
    return next((w for w in words if not (positive and _has_nonpositive_scale(w))), None)


def _has_nonpositive_scale(word: Word) -> bool:
    return any(s <= 0 for f in word for s in f.scale)


def _three(T, positive, rng):
    return either_orientation(_three_upper, T, positive, rng)


def either_orientation(route, T, positive, rng):
    """``route`` on ``T``, else on ``J T J`` (off-diagonal blocks exchanged) with the word mirrored back."""
    word = route(T, positive, rng)
    if word is None:
        word = route(_half_swapped(T), positive, rng)
        word = word.mirrored() if word is not None else None
    return word


def _half_swapped(T):
    d = T.shape[0] // 2
    P, Q, R, S = blocks(T, d)
    return join(S, R, Q, P)


def _three_upper(T, positive, rng):
    """``T = U(Gamma, D) L(R, B) U_u(X)``, or ``None`` when no product ``U L U`` equals ``T``.

    An exact and complete test (docs/theory.md, "The short method", 2): with
    ``V = T^-1``, such a product exists iff diagonals ``Gamma``, ``beta``
    (``beta = B^-1``) satisfy ``V21 Gamma = -beta R``, ``P nu = Gamma nu``
    on ``ker R`` and ``mu^T V22 = mu^T beta`` on the left kernel of ``V21``
    (:func:`three_scales`); then ``D`` solves ``D R = P - Gamma`` and
    ``V21 D = beta - V22``, and ``X = -(V11 D + V12) B``. No block needs to
    be invertible.
    """
    n, K = T.shape[0], T.domain
    d = n // 2
    P, _, R, _ = blocks(T, d)
    V11, V12, V21, V22 = blocks(T.inv(), d)
    scales = three_scales(P, R, V21, V22, positive)
    if scales is None:
        return None
    gamma, beta = scales
    W, E = P - diagonal(gamma, K), diagonal(beta, K) - V22
    Rg, Vg = generalized_inverse(R), generalized_inverse(V21)
    D = Vg * E + (W - Vg * (V21 * W)) * Rg  # the common solution of D R = W, V21 D = E
    B = [K.one / b for b in beta]
    X = -scale_columns(V11 * D + V12, B)
    return Word(n, d, [upper(D, gamma), lower(R, B), upper(X)], K)


def three_scales(P, R, V21, V22, positive):
    """The diagonals ``(gamma, beta)`` of :func:`_three_upper`, or ``None`` if there are none.

    ``V21 Gamma = -beta R`` ties ``beta_i`` to ``gamma_j`` wherever
    ``R[i, j] != 0`` (and needs ``V21`` and ``R`` to share their zeros), so
    on each connected component of that bipartite graph the scales are one
    multiple ``t`` of a fixed vector. The kernel conditions fix single
    scales (a *pin*); a component with a pin has its ``t`` fixed, one without
    takes ``t = 1`` for its first vertex (in positive mode every scale must
    then come out positive: ``t = -1`` would make that vertex negative).

    >>> from construct.core.matrices import from_rows
    >>> T = from_rows([[2, 1], [0, 3]])  # U L U with R = 0: the scales are the diagonal
    >>> V = T.inv()
    >>> three_scales(T[:1, :1], T[1:, :1], V[1:, :1], V[1:, 1:], True)
    ([2], [1/3])
    """
    d, K = R.shape[0], R.domain
    Rl, Vl = R.to_list(), V21.to_list()
    if any((Rl[i][j] == 0) != (Vl[i][j] == 0) for i in range(d) for j in range(d)):
        return None
    # vertices: ("beta", i) and ("gamma", j); pins from P N = Gamma N and Mt V22 = Mt beta
    N = _kernel(R)
    Mt = _kernel(V21.transpose()).transpose()
    PN, MtV = (P * N).to_list(), (Mt * V22).transpose().to_list()
    Nl, Ml = N.to_list(), Mt.transpose().to_list()
    pins = {}
    for side, targets, bases in (("gamma", PN, Nl), ("beta", MtV, Ml)):
        for i in range(d):
            ok, value = _pin(targets[i], bases[i])
            if not ok:
                return None
            if value is not None:
                pins[(side, i)] = value
    scale = {}
    for root in [("beta", i) for i in range(d)] + [("gamma", j) for j in range(d)]:
        if root in scale:
            continue
        component = _component(root, Rl, Vl, K.one)  # vertex -> its multiple of t
        if component is None:
            return None
        ts = {pins[v] / a for v, a in component.items() if v in pins}
        if len(ts) > 1:
            return None
        t = ts.pop() if ts else K.one  # the root's scale is t: free components take 1
        for v, a in component.items():
            if t * a == 0 or (positive and t * a < 0):
                return None
            scale[v] = t * a
    return [scale[("gamma", j)] for j in range(d)], [scale[("beta", i)] for i in range(d)]


def _component(root, Rl, Vl, one):
    """The connected component of ``root``, each vertex with its scale for ``t = 1``, or ``None`` if inconsistent.

    ``beta_i = -V21[i, j] / R[i, j] gamma_j`` along every edge ``(i, j)``.
    """
    d = len(Rl)
    values, stack = {root: one}, [root]
    while stack:
        side, k = stack.pop()
        for m in range(d):
            i, j = (k, m) if side == "beta" else (m, k)
            if Rl[i][j] == 0:
                continue
            ratio = -Vl[i][j] / Rl[i][j]
            beta, gamma = ("beta", i), ("gamma", j)
            if side == "beta":
                want, other = values[beta] / ratio, gamma
            else:
                want, other = ratio * values[gamma], beta
            if other not in values:
                values[other] = want
                stack.append(other)
            elif values[other] != want:
                return None
    return values


def _pin(target, base):
    """``(True, c)`` if ``target = c base`` for one ``c``; ``(True, None)`` if both are zero (any ``c``); else ``(False, None)``."""
    k = next((k for k, b in enumerate(base) if b != 0), None)
    if k is None:
        return all(x == 0 for x in target), None
    c = target[k] / base[k]
    return all(x == c * b for x, b in zip(target, base)), c


def _kernel(A: DomainMatrix) -> DomainMatrix:
    """A ``d x k`` matrix whose columns are a basis of ``ker A`` (``k = 0`` for invertible ``A``)."""
    d, K = A.shape[1], A.domain
    if rank(A) == d:
        return zeros(d, 0, K)
    return A.nullspace().transpose().to_dense()


def generalized_inverse(A: DomainMatrix) -> DomainMatrix:
    """A ``G`` with ``A G A = A``: ``A^-1`` when ``A`` is invertible.

    From the full-rank factorization ``A = F H`` (``F`` the pivot columns of
    ``A``, ``H`` the nonzero rows of its reduced echelon form):
    ``G = E (F^T F)^-1 F^T`` with ``E`` selecting the pivot columns, since
    ``H E = I`` and ``(F^T F)^-1 F^T F = I``.

    >>> from construct.core.matrices import from_rows
    >>> A = from_rows([[1, 2], [2, 4]])
    >>> A * generalized_inverse(A) * A == A
    True
    """
    Ai = inverse(A)
    if Ai is not None:
        return Ai
    m, K = A.shape[1], A.domain
    _, pivots = A.rref()
    E = DomainMatrix([[K.one if i == p else K.zero for p in pivots] for i in range(m)], (m, len(pivots)), K).to_dense()
    if not pivots:
        return zeros(m, A.shape[0], K)
    F = A * E
    Ft = F.transpose()
    return E * (Ft * F).inv() * Ft


def _five(T, positive, rng):
    return either_orientation(_five_upper, T, positive, rng)


def _five_upper(T, positive, rng):
    """``T = L_u(x) U_u(b) L_u(c) U_u(e) L_u(f) diag(E, F)`` for invertible top-right ``Q0``.

    docs/theory.md, "The short method", section 3: ``F`` is free and ``E`` scales
    ``G = -Q0 F^-1 H0 E^-1`` (``H0`` the Schur complement). The leading-minor
    variant takes ``E`` from the leading minors so that ``G = L1 U1`` with unit triangular
    factors, and :func:`_five_unit` does the rest. Unit words stay unit
    words under conjugation by ``diag(M, M)``, which turns ``G`` into
    ``M G M^-1``; so with ``det G = 1`` any ``M`` taking ``G`` to a product
    ``X Y`` of two regular unipotent triangular matrices works as well
    (:func:`_five_conjugated`); it needs no nonzero leading minors, so it
    handles sparse, permutation-like inputs, and on small entries it gives
    about half the bits at ``d = 16``. On huge entries the leading-minor variant gives
    shorter ones, so for inputs above ``HUGE_BITS`` both are built and the
    shorter kept; building that variant costs minutes at ``n = 64``.
    """
    n, K = T.shape[0], T.domain
    d = n // 2
    P0, Q0, R0, S0 = blocks(T, d)
    Q0i = inverse(Q0)
    if Q0i is None:
        return None
    H0 = R0 - S0 * Q0i * P0
    huge = bit_length(T) > HUGE_BITS
    draws = (_free_scales(d, attempt, positive, rng, K) for attempt in range(TRIES))
    for F in itertools.chain(draws, _grid_scales(d, K)):
        G1 = -scale_columns(Q0, [K.one / v for v in F]) * H0
        Qi = scale_rows(F, Q0i)  # the top-right block of T diag(E, F)^-1 is Q0 F^-1
        candidates = []
        E = [G1.det()] + [K.one] * (d - 1)  # positive when det T > 0 and F > 0
        if not (positive and E[0] <= 0):
            Tn = scale_columns(T, [K.one / v for v in E + F])
            word = _five_conjugated(Tn, scale_columns(G1, [K.one / v for v in E]), rng, Qi)
            if word is not None:
                candidates.append((word, E))
        if not candidates or huge:
            L1, U1, swaps = G1.lu()
            E = diagonal_entries(U1)
            if not swaps and not (positive and any(v <= 0 for v in E)):
                Tn = scale_columns(T, [K.one / v for v in E + F])
                word = _five_unit(Tn, L1.to_dense(), scale_columns(U1.to_dense(), [K.one / v for v in E]), rng, Qi)
                if word is not None:
                    candidates.append((word, E))
        if candidates:
            word, E = min(candidates, key=lambda c: max(bit_length(f.shear) for f in c[0]))
            word.times_diagonal(E, F)
            return word
    raise ShortMethodBug("no free diagonal on the grid gives a nonderogatory G with trace != 2d - 2, "
                         "which the theory excludes")


def _grid_scales(d, K):
    """Every ``F = Psi^-1`` with ``Psi`` on the grid ``{1, ..., delta + 1}^d``, ``delta = (d + 1) (d (d - 1) + 1)``.

    A good ``Psi`` is one where a nonzero polynomial of degree ``<= delta``
    does not vanish (docs/theory.md, "The short method", section 5), and a
    nonzero polynomial of degree ``< delta + 1`` in each variable does not
    vanish on a whole grid with ``delta + 1`` values per coordinate: the
    walk ends with a good ``F``. The grid is astronomically large, but only
    an input on which all the random draws failed comes here.

    >>> from sympy import QQ
    >>> [F for F, _ in zip(_grid_scales(2, QQ), range(3))]
    [[1, 1], [1, 1/2], [1, 1/3]]
    """
    delta = (d + 1) * (d * (d - 1) + 1)
    for Psi in itertools.product(range(1, delta + 2), repeat=d):
        yield [K.one / K(v) for v in Psi]


def _free_scales(d, attempt, positive, rng, K):
    """The free diagonal ``F`` of the five-coupling route's ``attempt``-th try.

    First ``I``, then small distinct entries (short factors; distinct: a
    diagonal ``G``, from a block-antidiagonal ``T``, is nonderogatory only
    then), and from ``SMALL_TRIES`` on ``F = Psi^-1`` with ``Psi_i``
    independent and uniform on ``2 delta`` nonzero integers,
    ``delta = (d + 1) (d (d - 1) + 1)``: the bad ``Psi`` are zeros of a
    nonzero polynomial of degree ``<= delta``, so each such try fails with
    probability ``<= 1/2`` (docs/theory.md, "The short method", section 5).

    >>> import random
    >>> from sympy import QQ
    >>> _free_scales(2, 0, True, random.Random(0), QQ), len(_free_scales(2, SMALL_TRIES, False, random.Random(0), QQ))
    ([1, 1], 2)
    """
    if attempt == 0:
        return [K.one] * d
    if attempt < SMALL_TRIES:
        return [K(v) * (1 if positive else rng.choice([1, -1])) for v in rng.sample(range(1, 2 * d + 2), d)]
    delta = (d + 1) * (d * (d - 1) + 1)
    if positive:
        return [K.one / K(rng.randint(1, 2 * delta)) for _ in range(d)]
    return [K.one / K(rng.randint(1, delta) * rng.choice([1, -1])) for _ in range(d)]


def _five_unit(Tn, Pf, U1, rng, Qi=None, frame=None):
    """Unit factors ``L_u(x) U_u(b) L_u(c) U_u(e) L_u(f) = Tn`` given ``-Q H = Pf U1`` (``Pf = L1``).

    The last factor makes the top-left block ``Pf``. Then
    ``Sigma = -H W Q = C U1 C^-1`` with ``W = Pf^-1`` and ``C = Q^-1 Pf``, so
    ``Z = Z0 C^-1`` for a similarity ``Z0 U1 Z0^-1 = W`` of cyclic bases fixes
    the first factor. Building ``Z0`` from the small triangular ``U1`` and
    ``W`` rather than from ``Sigma`` keeps the entries several times shorter.
    The middle three factors are the three-factor word of
    ``[[Pf, Q], [Z^-1, S - x Q]]``, whose test holds by construction
    (``Pf Z (S - Rf W Q) = Z``, as ``S - Rf W Q = -H W Q = C U1 C^-1`` and
    ``Z^-1 Pf Z = C U1^-1 C^-1``), so it is not rerun; ``Z^-1 = Q^-1 Pf Z0^-1``
    needs no inverse of the large ``Z``. ``Qi`` is ``Q^-1`` if the caller has it.

    With ``frame = (M, M^-1)``, ``Pf`` and ``U1`` are given for the conjugate
    ``diag(M, M) Tn diag(M, M)^-1``, and the word is built for ``Tn`` itself:
    every small matrix ``A`` of that frame enters as ``M^-1 A M``. This is the
    conjugated construction without conjugating the large blocks and
    factors (about 10 large products instead of 25).
    """
    n, K = Tn.shape[0], Tn.domain
    d = n // 2
    P, Q, R, S = blocks(Tn, d)
    W = Pf.inv()
    pair = similarity_pair(U1, W, rng)
    if pair is None:
        if frame is not None:  # X^-1 and Y are regular unipotent, so similar (theory, section 5)
            raise ShortMethodBug("the regular unipotent X^-1 and Y are not found similar")
        return None
    Z0, Z0i = pair
    if frame is None:
        def back(A):
            return A
    else:
        M, Mi = frame

        def back(A):
            return (Mi * A) * M

    I = identity(d, K)
    Qi = Q.inv() if Qi is None else Qi
    Pt = back(Pf)
    f = Qi * (P - Pt)
    Rf = R - S * f
    Z = back(Z0 * W) * Q
    Zi = Qi * back(Pf * Z0i)
    x = (Rf - Zi) * back(W)
    e = Z * (S - x * Q - I)
    return Word(n, d, [lower(x), upper((Pt - I) * Z), lower(Zi), upper(e), lower(f)], K)


def _five_conjugated(Tn, G, rng, Qi=None):
    """:func:`_five_unit` on ``diag(M, M) Tn diag(M, M)^-1`` where ``M G M^-1 = X Y`` splits regularly."""
    split = regular_split(G)
    if split is None:
        return None
    X, Y = split
    pair = similarity_pair(G, X * Y, rng)
    if pair is None:
        return None
    return _five_unit(Tn, X, Y, rng, Qi, frame=pair)


def regular_split(G: DomainMatrix):
    """``(X, Y)``: unit lower ``X`` and unit upper ``Y``, both single Jordan blocks, ``X Y`` with the charpoly of ``G``.

    ``X = I + sigma`` (ones below the diagonal) and ``Y = I + sigma^T + w e_d^T``
    with ``w_d = 0``; the characteristic polynomial of ``X Y`` is affine in
    ``w``, so matching the middle coefficients of ``G``'s (``det G = 1``
    fixes the last) is a linear system, always invertible. ``None`` when
    ``det G != 1`` or ``Y`` is not regular, which happens exactly when
    ``trace G = 2d - 2`` (docs/theory.md, "The short method", section 5).

    >>> from construct.core.matrices import from_rows
    >>> X, Y = regular_split(from_rows([[0, 1, 0], [0, 0, 1], [1, 0, 0]]))
    >>> (X * Y).charpoly()
    [1, 0, 0, -1]
    """
    d, K = G.shape[0], G.domain
    if G.det() != K.one:
        return None
    X = from_rows([[1 if i == j or i == j + 1 else 0 for j in range(d)] for i in range(d)], K)

    def upper_with(w):
        return from_rows([[1 if i == j or j == i + 1 else 0 for j in range(d)] for i in range(d)], K) + from_rows(
            [[w[i] if j == d - 1 else 0 for j in range(d)] for i in range(d)], K
        )

    if d == 1:
        return X, upper_with([K.zero])
    base = charpoly(X * upper_with([K.zero] * d))[1:d]
    columns = []
    for k in range(d - 1):
        w = [K.one if i == k else K.zero for i in range(d)]
        columns.append([a - b for a, b in zip(charpoly(X * upper_with(w))[1:d], base)])
    Ai = inverse(from_rows([[columns[k][r] for k in range(d - 1)] for r in range(d - 1)], K))
    if Ai is None:  # never: the map from w to the coefficients is a bijection (theory, section 5)
        raise ShortMethodBug("regular_split: its linear system is singular")
    target = charpoly(G)
    rhs = from_rows([[t - b] for t, b in zip(target[1:d], base)], K)
    w = [row[0] for row in (Ai * rhs).to_list()] + [K.zero]
    Y = upper_with(w)
    if Y[d - 2, d - 1].element == 0:  # exactly when trace G = 2d - 2
        return None
    if charpoly(X * Y) != target:
        raise ShortMethodBug("regular_split: X Y misses the characteristic polynomial of G")
    return X, Y


def _six(T, positive, rng):
    """One unit factor ``L_u(g)`` or ``U_u(g)`` in front makes an off-diagonal block invertible.

    Small random ``g`` first (short entries), then the ``g`` of
    :func:`completing_shear`, which always makes the block invertible.
    """
    d, K = T.shape[0] // 2, T.domain
    P0, Q0, R0, S0 = blocks(T, d)
    pairs = [(g, g) for g in (small_shear(d, K, rng) for _ in range(TRIES))]
    pairs.append((completing_shear(R0, P0), completing_shear(Q0, S0)))
    return with_first_shear(T, pairs, _five, positive, rng)


def small_shear(d, K, rng) -> DomainMatrix:
    """A random ``d x d`` shear with entries in ``-2..2``."""
    return DomainMatrix([[K(rng.randint(-2, 2)) for _ in range(d)] for _ in range(d)], (d, d), K).to_dense()


def with_first_shear(T, pairs, route, positive, rng):
    """``L_u(gl) W`` or ``U_u(gu) W`` for the first ``(gl, gu)`` of ``pairs`` and orientation where
    ``route`` builds the word ``W`` of the rest, ``L_u(-gl) T`` or ``U_u(-gu) T``; else ``None``."""
    n, K = T.shape[0], T.domain
    d = n // 2
    P0, Q0, R0, S0 = blocks(T, d)
    for gl, gu in pairs:
        for first, rest in ((lower(gl), join(P0, Q0, R0 - gl * P0, S0 - gl * Q0)),
                            (upper(gu), join(P0 - gu * R0, Q0 - gu * S0, R0, S0))):
            word = route(rest, positive, rng)
            if word is not None:
                return Word(n, d, [first], K) * word
    return None


def completing_shear(Q: DomainMatrix, S: DomainMatrix) -> DomainMatrix:
    """A ``g`` with entries ``0, -1`` making ``Q - g S`` invertible, for ``[Q; S]`` of rank ``d``.

    Rows ``I`` of ``Q`` are a basis of its row space; rows ``J`` of ``S``
    complete them to a basis of ``Q^d``. Each other row ``i`` of ``Q`` gets
    ``g[i, j] = -1`` for its own ``j`` in ``J``, so row ``i`` of ``Q - g S`` is
    ``Q[i] + S[j]``, which is ``S[j]`` modulo the rows ``I`` (docs/theory.md,
    "The short method", section 4).

    >>> from construct.core.matrices import from_rows
    >>> Q, S = from_rows([[1, 1], [2, 2]]), from_rows([[1, 0], [0, 1]])
    >>> (Q - completing_shear(Q, S) * S).det() != 0
    True
    """
    d, K = Q.shape[0], Q.domain
    _, I = Q.transpose().rref()  # pivot columns of Q^T: independent rows of Q
    stacked = Q.extract(list(I), list(range(d))).vstack(S) if I else S
    _, pivots = stacked.transpose().rref()  # the rows I first, then the rows J of S completing them
    J = [p - len(I) for p in pivots if p >= len(I)]
    others = [i for i in range(d) if i not in I]
    rows = [[K.zero] * d for _ in range(d)]
    for i, j in zip(others, J):
        rows[i][j] = -K.one
    return DomainMatrix(rows, (d, d), K).to_dense()


#: (name, builder, the bound its certificates claim), in the order they are tried.
ROUTES = [("two", _two, 2), ("three", _three, 3), ("five", _five, 5), ("six", _six, 6)]
