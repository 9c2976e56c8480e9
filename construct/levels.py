"""The levels method: a well-conditioned factorization with low entry heights.

``T = W E L D U`` read as (``docs/theory.md``, "The levels method"):

1. LU with row pivoting, ``T = P L D U`` (``L``, ``U`` unit triangular).
2. *Levels.* Split the coordinates ``0..n-1`` recursively into halves: the
   root splits them into top and bottom, every range of a level into a first
   part ``A`` and a second part ``B``. Then ``L = M_0 M_1 ... M_m``
   (coarse to fine) and ``U = M'_m ... M'_0`` with ``M_t = I + N_t``,
   ``M'_t = I + N'_t``, where ``N_t`` holds the blocks
   ``L[B, A] L[A, A]^-1`` and ``N'_t`` the blocks ``U[A, A]^-1 U[A, B]`` of
   level ``t``: ratios of minors of ``T``, so as short as the entries of
   ``T^-1``, and bounded by the pivoting.
3. *Frames.* A signed permutation ``Phi_t`` taking the top half onto a set
   ``S_t`` that contains every ``A`` part of level ``t`` and no ``B`` part
   turns ``M_t`` into one lower unit coupling ``L(X_t)`` and ``M'_t`` into
   one upper unit coupling ``U(Y_t)``. Consecutive frames differ by one cross
   swap ``G(Pi) = L(-Pi^T) U(Pi) L(-Pi^T) = U(Pi) L(-Pi^T) U(Pi)``, whose
   outer factors merge with the level couplings: two couplings per level and
   stage. ``Phi_0`` is the identity, so
   ``L D U = L(X_0) G_0 L(X_1) ... G_(m-1) L(X_m) E U(Y_m) G_(m-1)^-1 ... U(Y_0)``
   with ``E`` the pivots in the finest frame, absorbed as the scales of the
   two middle couplings.
4. The pivot permutation ``P`` is a swap network of at most 6 rounds
   (:func:`permutation_rounds`), which leaves signs ``S``:
   ``T = (P S) (S L S) (S D) U``.

Count: ``2 r + 4 m + 2`` for ``r`` rounds and ``m = ceil(log2 d)``, at most
``4 ceil(log2 d) + 14``; the certificate claims ``4 ceil(log2 d) + 16``,
which also covers the sign rounds positive mode may add.

>>> from construct.matrices import from_rows
>>> T = from_rows([[2, 1, 0, 3], [1, -1, 2, 0], [0, 4, 1, 1], [5, 0, 0, 2]])
>>> w = levels_word(T, "any", "exact")
>>> w.matrix() == T, len(w) <= levels_bound(4)
(True, True)
"""

from __future__ import annotations

import math

from sympy.polys.matrices import DomainMatrix

from construct.arith import arithmetic
from construct.swap_network import two_involutions


def levels_bound(n: int) -> int:
    """The claimed bound ``4 ceil(log2 d) + 16`` for ``n = 2d``."""
    d = n // 2
    return 4 * math.ceil(math.log2(d)) + 16 if d > 1 else 16


def level_splits(n: int):
    """Per level, coarse to fine, the splits ``(A, B)`` of ranges of ``0..n-1`` into two parts.

    Odd ranges give their larger half to whichever side has fewer
    coordinates so far, so that every level's ``A`` parts and ``B`` parts
    each fit in one half (``n/2`` coordinates).

    >>> [[(list(A), list(B)) for A, B in level] for level in level_splits(6)]
    [[([0, 1, 2], [3, 4, 5])], [([0, 1], [2]), ([3], [4, 5])], [([0], [1]), ([4], [5])]]
    """
    d = n // 2
    levels = [[(range(0, d), range(d, n))]]
    while True:
        ranges = [r for A, B in levels[-1] for r in (A, B) if len(r) > 1]
        if not ranges:
            return levels
        splits, excess = [], 0  # excess = (A coordinates) - (B coordinates) so far
        for r in ranges:
            a = len(r) // 2 + (len(r) % 2 if excess <= 0 else 0)
            excess += a - (len(r) - a)
            splits.append((r[:a], r[a:]))
        levels.append(splits)


def frames(levels, n: int):
    """Signed frames ``Phi_t`` and the cross swaps between them.

    Returns ``(coords, signs, swaps)``: ``Phi_t e_p = signs[t][p] e_coords[t][p]``
    and ``swaps[t]`` lists the pairs ``(p, q)`` (top position ``p``, bottom
    position ``q``) of the cross swap ``G`` with ``Phi_(t+1) = Phi_t G``.

    >>> coords, signs, swaps = frames(level_splits(4), 4)
    >>> coords, signs, swaps
    ([[0, 1, 2, 3], [0, 2, 1, 3]], [[1, 1, 1, 1], [1, -1, 1, 1]], [[(1, 2)]])
    """
    d = n // 2
    coords, signs, swaps = [list(range(n))], [[1] * n], []
    for level in levels[1:]:
        inside = {c for A, _ in level for c in A}
        outside = {c for _, B in level for c in B}
        previous = coords[-1]
        # keep free coordinates on the side they are on: fewer swaps
        keep = [c for c in previous[:d] if c not in outside]
        fill = [c for c in previous[d:] if c in inside]
        fill += [c for c in previous[d:] if c not in inside and c not in outside][: d - len(keep) - len(fill)]
        target = set(keep + fill)
        if len(target) < d:  # drop free coordinates that the top cannot hold
            raise AssertionError("level parts do not fit in a half")
        leaving = [p for p in range(d) if previous[p] not in target]
        entering = [q for q in range(d, n) if previous[q] in target]
        coord, sign = list(previous), list(signs[-1])
        for p, q in zip(leaving, entering):  # G e_p = -e_q, G e_q = e_p
            coord[p], coord[q] = previous[q], previous[p]
            sign[p], sign[q] = -signs[-1][q], signs[-1][p]
        coords.append(coord)
        signs.append(sign)
        swaps.append(list(zip(leaving, entering)))
    return coords, signs, swaps


def involution_rounds(tau, d):
    """At most 3 rounds (lists of top-bottom pairs) whose product, left to right, is ``tau``.

    Cross-half pairs go in the first round. A top pair ``(a, b)`` and a
    bottom pair ``(c, e)`` are ``(a e)(b c) . (a c)(b e)``: two rounds. A
    leftover same-half pair ``(x, y)`` is ``(x z)(y z)(x z)`` through a
    fixed point ``z`` of ``tau`` in the other half: three rounds.

    >>> involution_rounds([1, 0, 3, 2], 2)
    [[(0, 3), (1, 2)], [(0, 2), (1, 3)]]
    """
    pairs = [(i, tau[i]) for i in range(2 * d) if i < tau[i]]
    rounds = [[(i, j) for i, j in pairs if i < d <= j], [], []]
    top = [(i, j) for i, j in pairs if j < d]
    bottom = [(i, j) for i, j in pairs if i >= d]
    for (a, b), (c, e) in zip(top, bottom):
        rounds[0] += [(a, e), (b, c)]
        rounds[1] += [(a, c), (b, e)]
    fixed_top = [k for k in range(d) if tau[k] == k]
    fixed_bottom = [k for k in range(d, 2 * d) if tau[k] == k]
    for (x, y) in top[len(bottom):]:
        z = fixed_bottom.pop()
        rounds[0].append((x, z))
        rounds[1].append((y, z))
        rounds[2].append((x, z))
    for (x, y) in bottom[len(top):]:
        z = fixed_top.pop()
        rounds[0].append((z, x))
        rounds[1].append((z, y))
        rounds[2].append((z, x))
    return [sorted(r) for r in rounds if r]


def permutation_rounds(perm, d):
    """Rounds whose cross swaps multiply to ``P`` up to signs, ``P e_j = e_perm[j]``.

    ``perm`` is a product of two involutions, each at most 3 rounds; a
    round that touches none of the coordinates of the next one is merged
    with it. At most 6 rounds.

    >>> permutation_rounds([3, 2, 1, 0], 2)
    [[(0, 3), (1, 2)]]
    """
    t1, t2 = two_involutions(perm)
    rounds = []
    for r in involution_rounds(t1, d) + involution_rounds(t2, d):
        support = {k for pair in r for k in pair}
        if rounds and not support & {k for pair in rounds[-1] for k in pair}:
            rounds[-1] = sorted(rounds[-1] + r)
        else:
            rounds.append(r)
    return rounds


def signed_permutation(rounds, n):
    """``(images, signs)`` of ``G(R_1) ... G(R_r)``: it sends ``e_j`` to ``signs[j] e_images[j]``."""
    images, signs = list(range(n)), [1] * n
    partner = [dict() for _ in rounds]
    for k, r in enumerate(rounds):
        for p, q in r:
            partner[k][p] = (q, -1)  # G e_p = -e_q
            partner[k][q] = (p, 1)  # G e_q = e_p
    for j in range(n):
        for k in reversed(range(len(rounds))):
            if images[j] in partner[k]:
                images[j], s = partner[k][images[j]]
                signs[j] *= s
    return images, signs


class _WordBuilder:
    """An alternating product of couplings in a given arithmetic; same-kind neighbours merge.

    A factor is ``(kind, shear, scale)`` with ``scale`` ``None`` for a unit factor.
    """

    def __init__(self, arith):
        self.a = arith
        self.factors = []

    def append(self, kind, shear, scale=None):
        a = self.a
        if self.factors and self.factors[-1][0] == kind:
            # L(A1, B1) L(A2, B2) = L(A1 + B1 A2, B1 B2) and U(C1, D1) U(C2, D2) = U(C1 C2, D1 + C1 D2)
            _, shear1, scale1 = self.factors.pop()
            shear = a.add(shear1, shear if scale1 is None else a.scale_rows(scale1, shear))
            if scale1 is not None:
                scale = scale1 if scale is None else [x * y for x, y in zip(scale1, scale)]
        if scale is None and a.is_zero(shear):
            return
        self.factors.append((kind, shear, scale))

    def cross_swap(self, pairs, d, inverse=False):
        """``G(Pi) = L(-Pi^T) U(Pi) L(-Pi^T)`` for the pairs, or ``G(Pi)^-1 = U(-Pi) L(Pi^T) U(-Pi)``."""
        a = self.a
        s = -1 if inverse else 1
        Pi = a.sparse(d, d, [(p, q - d, s) for p, q in pairs])
        PiT = a.sparse(d, d, [(q - d, p, -s) for p, q in pairs])
        order = ("upper", "lower", "upper") if inverse else ("lower", "upper", "lower")
        for kind in order:
            self.append(kind, Pi if kind == "upper" else PiT)


def build_levels(T: DomainMatrix, mode: str, arith):
    """The factors ``(kind, shear, scale)`` of the levels method, in ``arith``; see the module docstring.

    Also returns the number of permutation rounds.
    """
    a = arith
    n = T.shape[0]
    d = n // 2
    perm, L, U, pivots = a.lu(a.matrix(T))
    rounds = permutation_rounds(perm, d)
    images, sigma = signed_permutation(rounds, n)
    assert images == perm
    levels = level_splits(n)
    coords, signs, swaps = frames(levels, n)
    middle = [sigma[c] * pivots[c] for c in range(n)]  # E = S D
    if mode == "positive" and any(a.sign(x) < 0 for x in middle):
        raise NotImplementedError("positive mode with negative pivots")
    w = _WordBuilder(a)
    for r in rounds:
        w.cross_swap(r, d)
    m = len(levels) - 1
    X, Y = [], []
    for t, level in enumerate(levels):
        pos = {c: p for p, c in enumerate(coords[t])}
        xs, ys = [], []
        for A, B in level:
            a0, a1, b1 = A[0], A[-1] + 1, B[-1] + 1
            LAA, LBA = a.block(L, a0, a1, a0, a1), a.block(L, a1, b1, a0, a1)
            UAA, UAB = a.block(U, a0, a1, a0, a1), a.block(U, a0, a1, a1, b1)
            rows, cols = [pos[b] - d for b in B], [pos[c] for c in A]
            st = signs[t]
            xs.append((rows, cols, [st[pos[b]] * sigma[b] for b in B], [st[pos[c]] * sigma[c] for c in A],
                       a.right_solve_lower(LBA, LAA)))
            ys.append((cols, rows, [st[pos[c]] for c in A], [st[pos[b]] for b in B], a.left_solve_upper(UAA, UAB)))
        X.append(a.assemble(d, d, xs))
        Y.append(a.assemble(d, d, ys))
    E = [middle[c] for c in coords[m]]
    for t in range(m + 1):
        w.append("lower", X[t], E[d:] if t == m else None)
        if t < m:
            w.cross_swap(swaps[t], d)
    for t in range(m, -1, -1):
        if t == m:
            w.append("upper", a.scale_rows(E[:d], Y[t]), E[:d])
        else:
            w.cross_swap(swaps[t], d, inverse=True)
            w.append("upper", Y[t])
    return w.factors, len(rounds)


def levels_word(T: DomainMatrix, mode: str, arith_name: str = "exact", digits: int = 50):
    """The levels factorization of ``T`` as an exact :class:`~construct.couplings.Word` (exact arithmetic)."""
    from construct.couplings import Coupling, Word

    a = arithmetic(arith_name, digits)
    factors, _ = build_levels(T, mode, a)
    n = T.shape[0]
    d = n // 2
    w = Word(n, d)
    for kind, shear, scale in factors:
        S = a.to_domain_matrix(shear)
        w.append(Coupling(kind, S, tuple(scale) if scale is not None else (S.domain.one,) * S.shape[0]))
    return w
