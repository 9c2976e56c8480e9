"""The levels method: a well-conditioned factorization with low entry heights.

The construction (derived in ``docs/theory.md``, "The levels method"):

1. LU with block row pivoting, ``T = P L D U`` (``L``, ``U`` unit
   triangular): at every split of step 2 the rows of the first part are
   chosen by volume (:mod:`construct.pivoting`).
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
4. The pivot permutation ``P`` is a swap network of at most 6 rounds, 7 in
   positive mode (:func:`network`), which leaves signs ``S``:
   ``T = (P S) (S L S) (S D) U``.
5. In float64 and mpmath the pivots' magnitudes are first spread over the
   levels by powers of two (:func:`spread_pivots`), then the word is
   rescaled between factors by powers of two, and the worst shears are
   halved while the count stays within the bound
   (:func:`~construct.balancing.balance`): the same product, a smaller
   largest condition number.
6. In float64 and mpmath a ``T`` close to orthogonal gets *rotation levels*
   instead (:mod:`construct.rotations`, chosen by :func:`routes`): a block LQ
   and a cosine-sine decomposition per split, three couplings per level, of
   shear norm at most 1 for an orthogonal ``T``.
7. In float64 and mpmath an unequal split ``p != n/2`` gets levels
   of its own sizes (:func:`capacity_splits`, whose ``A`` parts fit in ``p``
   top positions): rotation levels of ``T``, or rotation levels of ``Q`` and
   LU levels of ``R`` for ``T = Q R`` (:func:`factor_split_levels`), within
   :func:`split_levels_bound` (``docs/theory.md``, "Every split in floating
   point").

Count: ``2 r + 4 m + 2`` for ``r`` rounds and ``m = ceil(log2 d)``: at most
``4 ceil(log2 d) + 14`` with ``r <= 6``, and ``4 ceil(log2 d) + 16`` in
positive mode, where joining the signs may take a seventh round; the
certificate claims ``+ 16`` in both modes. Mixing and halving add
couplings only within that claim. Rotation levels take ``2 r + 4 m + 3``
(one more when the word ends with an upper coupling), and are used only
within the claim. The derivations are in
``docs/theory.md``, "The levels method".

>>> import random
>>> from construct.matrices import from_rows
>>> T = from_rows([[2, 1, 0, 3], [1, -1, 2, 0], [0, 4, 1, 1], [5, 0, 0, 2]])
>>> f = factor_levels(T, "any", random.Random(0))
>>> f.word.matrix() == T, f.count <= levels_bound(4)
(True, True)
"""

from __future__ import annotations

import math
import random

import numpy as np
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct import trace
from construct.accuracy import binary_exponent
from construct.arith import arithmetic
from construct.balancing import balance, times_power_of_two
from construct.conditioning import matrix_condition
from construct.couplings import Coupling, Word
from construct.factorization import Factorization
from construct.matrices import diagonal, from_rows, identity, join, permutation_matrix, scale_columns, scale_rows
from construct.numeric import NumericWord, block_product, tolerance
from construct.parse import InputError, negative_det_message
from construct.swap_network import (
    involution_rounds,
    joined_involution_rounds,
    merge_disjoint,
    signed_permutation,
    two_involutions,
)
from proofs.matrix_file import counted


def levels_bound(n: int) -> int:
    """The claimed bound: ``4 ceil(log2 d) + 16`` for ``n = 2d``, in both modes.

    The construction gives ``2 r + 4 m + 2`` couplings for ``r`` rounds and
    ``m = ceil(log2 d)``: ``r <= 6`` in any mode and ``r <= 7`` in positive
    mode (``docs/theory.md``); any mode keeps two couplings for mixing.

    >>> levels_bound(2), levels_bound(8), levels_bound(256)
    (16, 24, 44)
    """
    d = n // 2
    m = math.ceil(math.log2(d)) if d > 1 else 0
    return 4 * m + 16


#: Rounds of the swap network: at most 6, at most 7 with the sign joins of positive mode.
MAX_ROUNDS = {"any": 6, "positive": 7}


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


def capacity_splits(n: int, p: int):
    """Per level, coarse to fine, splits ``(A, B)`` of ranges of ``0..n-1`` for ``p`` top positions of ``n``.

    Every level's ``A`` parts total at most ``p`` coordinates and its ``B``
    parts at most ``n - p``, so one frame holds a level (:func:`frames` with
    ``top = p``). Level 0 splits ``0..n-1`` into ``[0, p)`` and ``[p, n)``;
    then, largest range first, each range of more than one coordinate gives
    its first ``min(floor(len / 2), room)`` coordinates to ``A`` while room
    is left of the ``p``; a level with room left and too many ``B``
    coordinates moves one more coordinate of some range to ``A`` at a time.
    With ``p = 1`` this peels one coordinate per level (``n - 1`` levels);
    with ``2p = n`` it bisects (docs/theory.md, "Every split in floating point").

    >>> [[(list(A), list(B)) for A, B in level] for level in capacity_splits(5, 1)]
    [[([0], [1, 2, 3, 4])], [([1], [2, 3, 4])], [([2], [3, 4])], [([3], [4])]]
    >>> [len(capacity_splits(n, p)) for n, p in ((8, 3), (16, 4), (256, 1), (256, 32), (256, 127))]
    [4, 7, 255, 27, 9]
    """
    q = n - p
    levels, ranges = [], [range(0, n)]
    while True:
        active = sorted((r for r in ranges if len(r) > 1), key=lambda r: (-len(r), r.start))
        if not active:
            return levels
        room, parts = p, []
        for r in active:
            if room == 0:
                break
            parts.append([r, max(1, min(len(r) // 2, room))])
            room -= parts[-1][1]
        # room left means every active range was split; its B parts must fit in the q bottom positions
        while room and sum(len(r) - a for r, a in parts) > q:
            part = next(part for part in parts if part[1] < len(part[0]) - 1)
            part[1] += 1
            room -= 1
        split = {r for r, _ in parts}
        levels.append([(r[:a], r[a:]) for r, a in parts])
        ranges = [r for r in ranges if r not in split] + [s for r, a in parts for s in (r[:a], r[a:])]


def frames(levels, n: int, top: int | None = None):
    """The coordinates of the frames ``Phi_t`` and the cross swaps between them.

    Returns ``(coords, swaps)``: frame ``t`` puts coordinate ``coords[t][p]``
    at position ``p``, and ``swaps[t]`` lists the pairs ``(p, q)`` (top
    position ``p``, bottom position ``q``) exchanged between frames ``t`` and
    ``t + 1``. Signs are :func:`frame_signs`'. ``top`` is the number of top
    positions, ``n // 2`` by default; each level's ``A`` parts must fit
    there and its ``B`` parts below.

    >>> frames(level_splits(4), 4)
    ([[0, 1, 2, 3], [0, 2, 1, 3]], [[(1, 2)]])
    """
    d = n // 2 if top is None else top
    coords, swaps = [list(range(n))], []
    for level in levels[1:]:
        inside = {c for A, _ in level for c in A}
        outside = {c for _, B in level for c in B}
        previous = coords[-1]
        free = [c for c in previous if c not in inside and c not in outside]  # top ones first: fewer swaps
        target = inside | set(free[: d - len(inside)])
        leaving = [p for p in range(d) if previous[p] not in target]
        entering = [q for q in range(d, n) if previous[q] in target]
        coord = list(previous)
        for p, q in zip(leaving, entering):
            coord[p], coord[q] = previous[q], previous[p]
        coords.append(coord)
        swaps.append(list(zip(leaving, entering)))
    return coords, swaps


def frame_signs(swaps, n: int, flipped=frozenset()):
    """Signs of the frames: ``Phi_t e_p = signs[t][p] e_coords[t][p]``.

    The swap of pair ``swaps[t][i]`` is ``G e_p = -s e_q``, ``G e_q = s e_p``
    with ``s = -1`` if ``(t, i)`` is in ``flipped``, else ``s = 1``.

    >>> frame_signs([[(1, 2)]], 4), frame_signs([[(1, 2)]], 4, {(0, 0)})
    ([[1, 1, 1, 1], [1, -1, 1, 1]], [[1, 1, 1, 1], [1, 1, -1, 1]])
    """
    signs = [[1] * n]
    for t, pairs in enumerate(swaps):
        sign = list(signs[-1])
        for i, (p, q) in enumerate(pairs):
            s = -1 if (t, i) in flipped else 1
            sign[p], sign[q] = -s * signs[-1][q], s * signs[-1][p]
        signs.append(sign)
    return signs


def round_edges(rounds, n, doubles=()):
    """The two ``j`` whose signs each pair ``(k, i)`` of the rounds toggles when flipped, and each double.

    A double ``(k, p, q)`` (positions idle in rounds ``k`` and ``k + 1``)
    toggles the two coordinates sitting at ``p`` and ``q`` there.
    """
    where = list(range(n))  # where[position] = the j sitting there before round k acts (rounds act right to left)
    at_round = {}
    for k in reversed(range(len(rounds))):
        at_round[k] = list(where)
        for p, q in rounds[k]:
            where[p], where[q] = where[q], where[p]
    edges = {}
    for k, r in enumerate(rounds):
        for i, (p, q) in enumerate(r):
            edges[("round", k, i)] = (at_round[k][p], at_round[k][q])
    for i, (k, p, q) in enumerate(doubles):
        edges[("double", k, i)] = (at_round[k][p], at_round[k][q])
    return edges


def t_join(n, edges, odd):
    """Edges (keys of ``edges``) whose endpoints have odd degree exactly at ``odd``, or None.

    Exists iff every connected component holds an even number of ``odd``
    vertices: in a spanning forest, a vertex that still needs a flip takes
    the edge to its parent.

    >>> sorted(t_join(4, {"a": (0, 1), "b": (1, 2)}, {0, 2}))
    ['a', 'b']
    >>> t_join(4, {"a": (0, 1)}, {0, 2}) is None
    True
    """
    adjacent = [[] for _ in range(n)]
    for key, (u, v) in edges.items():
        adjacent[u].append((v, key))
        adjacent[v].append((u, key))
    need = [v in odd for v in range(n)]
    seen, chosen = [False] * n, set()
    for root in range(n):
        if seen[root]:
            continue
        seen[root], order, parent = True, [root], {}
        for v in order:  # breadth first; ``order`` grows while it is walked
            for u, key in adjacent[v]:
                if not seen[u]:
                    seen[u] = True
                    parent[u] = (v, key)
                    order.append(u)
        for v in reversed(order[1:]):
            if need[v]:
                up, key = parent[v]
                chosen ^= {key}
                need[v], need[up] = False, not need[up]
        if need[root]:
            return None
    return chosen


def network(perm, d, pivot_signs, coords, swaps, positive, rng, tries=8, vertex=None):
    """The swap network for ``P`` and, in positive mode, the pair orientations that make all scales positive.

    Returns ``(rounds, flipped_frames)``: oriented rounds ``(p, q, s)`` and the
    lower-stage frame pairs ``(t, i)`` to flip. Flipping a round's pair toggles
    the signs ``S`` of the two coordinates it moves; flipping a frame pair in
    the lower stage only toggles the middle scales of the two coordinates it
    exchanges. A T-join of the coordinates with negative middle scale in the
    graph of these pairs fixes every sign. When a component holds an odd
    number of them, the second involution is laid out in four rounds with
    doubles that connect every coordinate (:func:`joined_involution_rounds`):
    at most 7 rounds. Of ``tries`` random reflections of the cycles, the
    fewest rounds win. ``vertex[c]`` is the index ``j`` of ``P e_j`` whose
    sign coordinate ``c`` carries (by default ``c`` itself).
    """
    best = None
    for attempt in range(tries if len(perm) > 2 else 1):
        t1, t2 = two_involutions(perm, rng if attempt else None)
        pairs, doubles, chosen = merge_disjoint(involution_rounds(t1, d) + involution_rounds(t2, d)), [], set()
        if positive:
            chosen = _sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex)
            if chosen is None:
                first = involution_rounds(t1, d)
                second, doubles = joined_involution_rounds(t2, d)
                pairs, doubles = first + second, [(k + len(first), p, q) for k, p, q in doubles]
                chosen = _sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex)
                assert chosen is not None, "the joined layout connects every coordinate"
        rounds, flipped_frames = oriented_rounds(pairs, doubles, chosen)
        if best is None or len(rounds) < len(best[0]):
            best = (rounds, flipped_frames)
    return best


def oriented_rounds(pairs, doubles, chosen):
    """The rounds of signed swaps ``(p, q, orientation)`` for the pairs, the doubles and the orientations chosen
    by :func:`_sign_join`, and the changes of frame it flips."""
    oriented = [[(p, q, -1 if ("round", k, i) in chosen else 1) for i, (p, q) in enumerate(r)]
                for k, r in enumerate(pairs)]
    for tag, k, i in chosen:
        if tag == "double":  # the same orientation twice: -1 on the pair
            _, p, q = doubles[i]
            oriented[k].append((p, q, 1))
            oriented[k + 1].append((p, q, 1))
    return merge_disjoint([sorted(r) for r in oriented if r]), {(t, i) for tag, t, i in chosen if tag == "frame"}


def _sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex=None):
    """The round pairs, frame pairs and doubles to flip so that every middle scale is positive, or None."""
    n = len(pivot_signs)
    vertex = vertex or list(range(n))
    _, sigma = signed_permutation([[(p, q, 1) for p, q in r] for r in pairs], n)
    odd = {j for j in range(n) if pivot_signs[j] * sigma[j] < 0}
    edges = round_edges(pairs, n, doubles)
    edges.update({("frame", t, i): (vertex[coords[t][p]], vertex[coords[t][q]])
                  for t, level in enumerate(swaps) for i, (p, q) in enumerate(level)})
    return t_join(n, edges, odd)


class _WordBuilder:
    """An alternating product of couplings in a given arithmetic; same-kind neighbours merge.

    :class:`~construct.couplings.Word` does the same over a SymPy domain; this
    one works on whatever matrices the arithmetic uses (lists of ``fmpq``,
    NumPy arrays), so the levels method never converts mid-construction.

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

    def cross_swap(self, pairs, d, inverse=False, bottom=None):
        """``G(Pi) = L(-Pi^T) U(Pi) L(-Pi^T)``, or ``G(Pi)^-1 = U(-Pi) L(Pi^T) U(-Pi)``.

        ``Pi`` (``d x bottom``, ``bottom = d`` by default) has the entry ``s``
        at ``(p, q - d)`` for each pair ``(p, q, s)``.
        """
        a = self.a
        bottom = d if bottom is None else bottom
        signed = [(p, q - d, -s if inverse else s) for p, q, s in pairs]
        Pi = a.sparse(d, bottom, signed)
        PiT = a.sparse(bottom, d, [(q, p, -s) for p, q, s in signed])
        for kind in ("upper", "lower", "upper") if inverse else ("lower", "upper", "lower"):
            self.append(kind, Pi if kind == "upper" else PiT)


def build_levels(T: DomainMatrix, mode: str, arith, rng=None, spread=False, p=None):
    """The factors ``(kind, shear, scale)`` of the levels method, in ``arith``; see the module docstring.

    With ``spread`` the pivots' magnitudes are spread over the levels (:func:`spread_pivots`).

    Also returns the number of rounds of the swap network and the growth
    that triggers mixing (:func:`build_with_mixing`), in log2.

    An unequal split ``p`` (``2p != n``) takes the levels of
    :func:`capacity_splits` and has no swap network: it is for an upper
    triangular ``T`` (given as ``a.matrix`` of it) with a positive diagonal in
    positive mode, whose row order stays (:func:`split_qr_levels`); another
    order raises ValueError.
    """
    a = arith
    n = T.shape[0]
    d = n // 2 if p is None else p
    unequal = 2 * d != n
    levels = capacity_splits(n, d) if unequal else level_splits(n)
    M = T if unequal else a.matrix(T)
    perm, L, U, pivots = a.lu(M, {(A[0], B[-1] + 1): len(A) for level in levels for A, B in level})
    if mode == "positive" and _parity(perm) * math.prod(a.sign(x) for x in pivots) < 0:
        raise InputError(_negative_det(T, a))
    coords, swaps = frames(levels, n, d)
    if unequal and perm != list(range(n)):
        raise ValueError("an unequal split has no swap network for the pivot order")
    rounds, flipped_frames = ([], set()) if unequal else network(
        perm, d, [a.sign(x) for x in pivots], coords, swaps, mode == "positive", rng or random.Random(0)
    )
    images, sigma = signed_permutation(rounds, n)
    assert images == perm
    lower_signs = frame_signs(swaps, n, flipped_frames)
    upper_signs = frame_signs(swaps, n)
    m = len(levels) - 1
    X, Y = [], []
    for t, level in enumerate(levels):
        pos = {c: p for p, c in enumerate(coords[t])}
        ls, us = lower_signs[t], upper_signs[t]
        xs, ys = [], []
        for A, B in level:
            a0, a1, b1 = A[0], A[-1] + 1, B[-1] + 1
            rows, cols = [pos[b] - d for b in B], [pos[c] for c in A]
            XR = a.right_solve_lower(a.block(L, a1, b1, a0, a1), a.block(L, a0, a1, a0, a1))  # L[B,A] L[A,A]^-1
            YR = a.left_solve_upper(a.block(U, a0, a1, a0, a1), a.block(U, a0, a1, a1, b1))  # U[A,A]^-1 U[A,B]
            xs.append((rows, cols, [ls[pos[b]] * sigma[b] for b in B], [ls[pos[c]] * sigma[c] for c in A], XR))
            ys.append((cols, rows, [us[pos[c]] for c in A], [us[pos[b]] for b in B], YR))
        X.append(a.assemble(n - d, d, xs))
        Y.append(a.assemble(d, n - d, ys))
    E = [lower_signs[m][p] * upper_signs[m][p] * sigma[c] * pivots[c] for p, c in enumerate(coords[m])]
    assert mode != "positive" or all(a.sign(e) > 0 for e in E), "positive mode left a negative scale"
    if trace.active() and a.is_exact:
        _record_steps(a, perm, L, U, pivots, levels, coords, rounds, X, Y, E)
    # what triggers mixing, in log2: the largest shear entry with all pivots in the middle (E_a Y_m there),
    # or half the spread of the pivots, which shows growth of L^-1 or U^-1 that bounded shears hide
    largest = max(a.max_abs(M) for M in X + Y[:m] + [a.scale_rows(E[:d], Y[m])])
    logs = [a.log2_abs(x) if x != 0 else 0.0 for x in pivots]
    growth = max(a.log2_abs(largest) if largest else -math.inf, (max(logs) - min(logs)) / 2)
    lower_scales, upper_scales = [None] * m, [None] * m
    if spread:
        lower_exponents, upper_exponents = spread_pivots(levels, logs)
        removed = [0] * n
        for part_exponents in lower_exponents + upper_exponents:
            for c, k in part_exponents.items():
                removed[c] += k
        E = [e * a.power2(-removed[c]) for e, c in zip(E, coords[m])]
        lower_scales = [_frame_scales(a, exponents, coords[t][d:]) for t, exponents in enumerate(lower_exponents)]
        upper_scales = [_frame_scales(a, exponents, coords[t][:d]) for t, exponents in enumerate(upper_exponents)]
    w = _WordBuilder(a)
    for r in rounds:
        w.cross_swap(r, d)
    for t in range(m + 1):
        w.append("lower", X[t], E[d:] if t == m else lower_scales[t])
        if t < m:
            w.cross_swap(_oriented(swaps[t], t, flipped_frames), d, bottom=n - d)
    for t in range(m, -1, -1):
        scale = E[:d] if t == m else upper_scales[t]
        if t < m:
            w.cross_swap(_oriented(swaps[t], t), d, inverse=True, bottom=n - d)
        w.append("upper", Y[t] if scale is None else a.scale_rows(scale, Y[t]), scale)
    return w.factors, len(rounds), growth


#: The largest exponent a part takes: a larger mean comes from a few outlying pivots, and moving it
#: would give their neighbours the opposite scale in another coupling (theory.md, section 6).
SPREAD = 4


def spread_pivots(levels, exponents):
    """Powers of two, per level but the finest, that carry most of the pivots' spread in the level couplings.

    ``exponents[c]`` is ``log2 |pivot|`` of coordinate ``c``. Coarse to fine,
    each part of each split (``A`` and ``B``) takes the rounded mean ``k`` of
    what is left of its coordinates' exponents, clipped to ``-SPREAD ..
    SPREAD``, and ``k`` is subtracted from them; what is left at the finest
    level stays in the middle couplings.
    Returns ``(lower, upper)``: per level a dict coordinate -> exponent, for
    the ``B`` parts (the lower coupling's scale) and the ``A`` parts (the
    upper one's). A scale constant on each part of a level commutes with the
    couplings of every finer level, whose splits lie inside one part; so
    ``L D = M_0 Delta_0 M_1 Delta_1 ... M_m Delta_m`` and
    ``D' U = Gamma_m M'_m ... Gamma_0 M'_0`` (``docs/theory.md``, "The levels
    method", section 6).

    >>> spread_pivots(level_splits(4), [0.0, 2.0, 5.0, 7.0])
    ([{2: 4, 3: 4}], [{0: 1, 1: 1}])
    """
    left = list(exponents)
    lower, upper = [], []
    for level in levels[:-1]:
        below, above = {}, {}
        for A, B in level:
            for part, out in ((A, above), (B, below)):
                k = max(-SPREAD, min(SPREAD, round(sum(left[c] for c in part) / len(part))))
                for c in part:
                    out[c] = k
                    left[c] -= k
        lower.append(below)
        upper.append(above)
    return lower, upper


def _frame_scales(a, exponents, coords):
    """The scales ``2^k`` of the coordinates at the given positions, or None when all are 1."""
    if not any(exponents.get(c, 0) for c in coords):
        return None
    return [a.power2(exponents.get(c, 0)) for c in coords]


#: Up to this size a numeric sign of det T that disagrees with the exact one is told apart from det T < 0.
EXACT_DET_SIZE = 256


def _negative_det(T: DomainMatrix, a) -> str:
    """Why positive mode refuses ``T``: ``det T < 0``, or a sign that rounding got wrong."""
    if a.is_exact:
        return negative_det_message("det T < 0")
    if T.shape[0] <= EXACT_DET_SIZE and T.det() > 0:
        return (f"the pivots computed in {a.name} give det T < 0, but det T > 0: T is too ill-conditioned for "
                f"positive mode in {a.name} (use --arith exact, or --arith mp with more --digits)")
    return negative_det_message(f"det T < 0 (its pivots computed in {a.name})")


def _record_steps(a, perm, L, U, pivots, levels, coords, rounds, X, Y, E):
    """The steps of :func:`build_levels` for ``couplings explain`` (exact arithmetic only)."""
    n = len(perm)
    Lm, Um = a.to_domain_matrix(L), a.to_domain_matrix(U)
    Lu = scale_columns(Lm, [1 / Lm[k, k].element for k in range(n)])
    Uu = scale_rows([1 / Um[k, k].element for k in range(n)], Um)
    trace.record("LU with row pivoting", "T = P L D U with P a permutation, L unit lower and U unit upper "
                 "triangular, D the pivots; at every split of the levels the rows of the first part are chosen by "
                 "volume (construct/pivoting.py).",
                 ("P", permutation_matrix(perm)), ("L", Lu), ("D", diagonal(pivots)), ("U", Uu))

    def parts(r):
        return "{" + ", ".join(str(c + 1) for c in r) + "}"

    for t, level in enumerate(levels):
        splits = "; ".join(f"A = {parts(A)}, B = {parts(B)}" for A, B in level)
        frame = ", ".join(str(c + 1) for c in coords[t])
        trace.record(f"level {t + 1} of {len(levels)}", f"Splits {splits}. The blocks L[B, A] L[A, A]^-1 of this level form one unit lower "
                     f"coupling L(X_{t}) and the blocks U[A, A]^-1 U[A, B] one unit upper coupling U(Y_{t}) in the "
                     f"frame that puts the coordinates {frame} at positions 1..{n} (with signs).",
                     (f"X_{t}", a.to_domain_matrix(X[t])), (f"Y_{t}", a.to_domain_matrix(Y[t])))
    swaps = "; ".join(", ".join(f"{p + 1} <-> {q + 1}" for p, q, _ in r) for r in rounds) or "none"
    trace.record("swap network", f"The pivot permutation P, up to signs, is {counted(len(rounds), 'round')} of cross swaps: "
                 f"{swaps} (construct/swap_network.py).")
    trace.record("pivots in the finest frame", "E (the pivots D, signed and reordered to the last frame) "
                 "becomes the scales of the two middle couplings.", ("E", diagonal(E)))


#: A shear entry above ``2^GROWTH_BITS`` (about 10^6), or pivots spread over more than its square, trigger the
#: mixed retry.
GROWTH_BITS = 20


def build_with_mixing(T: DomainMatrix, mode: str, a, rng, spread=False):
    """:func:`build_levels`, retried on ``T R`` for a random well-conditioned ``R`` when the shears grow.

    Block pivoting bounds the lower level shears but no row order bounds
    the upper ones ``U[A, A]^-1 U[A, B]`` (a unit upper triangular ``T``
    with ``-1`` above the diagonal grows like ``2^n``), nor the inverses of
    the triangular factors (a unit lower triangular ``T`` with ``-1`` below
    the diagonal keeps its shears at 1 but its pivots spread like ``2^n``).
    Mixing the columns first with ``R = U(B) L(A)``, ``B`` and ``A`` random
    with entries ``0, +-1/2^k`` (``2^k ~ sqrt(d)``), removes such growth in
    practice; then ``T = (levels word of T R) L(-A) U(-B)``: two more
    couplings, kept only when the growth (the larger of the largest shear
    entry, with the pivots in the middle, and the square root of the pivots'
    spread) shrinks and the count stays within the bound. Returns
    ``(factors, rounds, mixed)``.
    """
    factors, rounds, largest = build_levels(T, mode, a, rng, spread)
    if largest <= GROWTH_BITS:
        return factors, rounds, False
    n = T.shape[0]
    d = n // 2
    unit = QQ(1, 2 ** math.ceil(math.log2(d) / 2))
    A, B = ([[unit * rng.choice((-1, 0, 1)) for _ in range(d)] for _ in range(d)] for _ in range(2))
    R = join(identity(d) + from_rows(B) * from_rows(A), from_rows(B), from_rows(A), identity(d))
    mixed, mixed_rounds, mixed_largest = build_levels(T * R, mode, a, rng, spread)
    w = _WordBuilder(a)
    w.factors = mixed
    w.append("lower", a.sparse(d, d, [(i, j, -x) for i, row in enumerate(A) for j, x in enumerate(row) if x]))
    w.append("upper", a.sparse(d, d, [(i, j, -x) for i, row in enumerate(B) for j, x in enumerate(row) if x]))
    if mixed_largest < largest and len(w.factors) <= levels_bound(n):
        return w.factors, mixed_rounds, True
    return factors, rounds, False


def _parity(perm) -> int:
    """The sign of a permutation."""
    seen, sign = [False] * len(perm), 1
    for start in range(len(perm)):
        k, length = start, 0
        while not seen[k]:
            seen[k], k, length = True, perm[k], length + 1
        if length and length % 2 == 0:
            sign = -sign
    return sign


def _oriented(pairs, t, flipped=frozenset()):
    return [(p, q, -1 if (t, i) in flipped else 1) for i, (p, q) in enumerate(pairs)]


#: The conditioning goal: spare couplings halve the worst shears while the largest bound exceeds ``GOAL cond T``.
GOAL = 10


def _condition(T: DomainMatrix, columns_scaled: bool = False) -> float:
    """``cond_2(T)`` in float64 (infinite when ``T`` does not fit in float64); ``columns_scaled``: of ``T`` with
    its columns scaled to norm about 1 by powers of two, as rotation levels scale them."""
    try:
        A = arithmetic("float64").matrix(T)
        if columns_scaled:
            largest = np.max(np.abs(A), axis=0)
            largest[largest == 0] = 1.0
            norms = largest * np.linalg.norm(A / largest, axis=0)  # without squaring entries from 1e154 on
            A = A * np.exp2(-np.round(np.log2(norms)))
        return matrix_condition(A)
    except (OverflowError, ValueError):
        return math.inf


def split_levels_bound(n: int, p: int) -> int:
    """The bound claimed for ``p`` of ``n`` coordinates kept, ``2p != n``, in float64 and mp: ``10 m + 6``.

    ``m + 1`` levels of :func:`capacity_splits`. Rotation levels take
    ``6 m + 4``: three couplings per level, one per change of frame,
    ``2 m + 1`` for the rounds that return from the last frame (the last
    merging with the levels) and one for the diagonal at the right end. The
    QR route adds the two LU stages of ``R``, ``2 m + 1`` each, the first
    merging with the rotation levels of ``Q``: ``10 m + 5``; one more is
    claimed so that halving has room (docs/theory.md, "Every split in
    floating point").

    >>> split_levels_bound(64, 1), split_levels_bound(64, 16), split_levels_bound(65, 32), split_levels_bound(256, 127)
    (626, 106, 66, 86)
    """
    return 10 * (len(capacity_splits(n, p)) - 1) + 6


def factor_levels(T: DomainMatrix, mode: str, rng: random.Random, arith_name: str = "exact", digits: int = 50,
                  p: int | None = None):
    """The levels method as a :class:`~construct.factorization.Factorization` (numeric ones carry a tolerance).

    In float64 and mp there are two routes (:func:`routes`); the word with the
    smaller largest condition-number bound after rescaling and halving is
    kept, and the second route is only built when the first misses the goal
    ``GOAL cond T``.

    ``p`` (default ``n // 2``) is the number of coordinates lower couplings
    keep. An unequal split is for float64 and mp only, by levels of the
    split's sizes (:func:`factor_split_levels`); None when those fail (a block
    singular at the working precision; in positive mode also ``det T < 0``, or
    more couplings than the bound).
    """
    a = arithmetic(arith_name, digits)
    n = T.shape[0]
    if p is not None and 2 * p != n:
        return factor_split_levels(T, p, rng, a, mode)
    d = n // 2
    if a.is_exact:  # exact factors stay as built: their entries are what theory.md describes
        factors, stages, stage_bounds = build_word(T, mode, a, rng)
        w = Word(n, d)
        for kind, shear, scale in factors:
            S = a.to_domain_matrix(shear)
            w.append(Coupling(kind, S, tuple(scale) if scale is not None else (S.domain.one,) * S.shape[0]))
        return Factorization(T, w, mode, "levels", levels_bound(n), stages, stage_bounds)
    e = _range_exponent(T) if a.name == "float64" else 0
    S = T * QQ(2) ** -e  # the word is built for S = 2^-e T, whose entries and pivots stay in float64's range
    condition = _condition(S)
    best = None
    # the route by T with its columns scaled: Q diag(s) (cond T 1e5) is orthogonal to rotation levels, which they scale
    # away, and got a backward error of 7e-12 from LU levels where rotation levels reach 4e-15 (n = 64)
    for route in routes(S, a, _condition(S, columns_scaled=True)):
        built = build_word(S, mode, a, rng, route)
        if built is None:
            continue
        factors, stages, stage_bounds = built
        factors = times_power_of_two(factors, e, d, a.power2)
        spare = levels_bound(n) - len(factors)
        balanced, largest = balance(factors, power=a.power2, spare=spare, target=GOAL * condition)
        stages["halving"], stage_bounds["halving"] = len(balanced) - len(factors), (spare, "")
        if best is None or largest < best[0]:
            best = (largest, balanced, stages, stage_bounds)
        if largest <= GOAL * condition:
            break
    _, factors, stages, stage_bounds = best
    w = NumericWord(n, d, factors, a.scalar(1))
    tol = tolerance(w, T, a)
    return Factorization(T, w, mode, "levels", levels_bound(n), stages, stage_bounds, arith=a.name,
                         digits=a.digits if a.name == "mp" else None, tolerance=tol)


#: Halvings tried on an unequal split (each costs two couplings and a pass over the word): about what the
#: balanced bound leaves room for; the worst factors are few.
SPLIT_HALVINGS = 3


def factor_split_levels(T: DomainMatrix, p: int, rng: random.Random, a, mode: str = "any") -> Factorization | None:
    """Levels of the split's sizes for ``p`` kept coordinates (``2p != n``), in the numeric ``a``.

    Two routes: rotation levels of ``T``
    (:func:`~construct.rotations.build_rotations` with the levels of
    :func:`capacity_splits`), and, when those miss the goal ``GOAL cond T``
    after rescaling and halving or leave a relative residual above
    ``RESIDUAL_GOAL`` units of roundoff, ``T = Q R``: rotation levels of
    ``Q`` and LU levels of ``R`` (:func:`split_qr_levels`); the word that
    misses its goals by the smaller factor is kept; a word with a zero scale (a pivot
    that vanishes at the working precision) is not. Every shear stays bounded,
    unlike the exact clearing of :mod:`construct.splits`, whose shears grow
    with every step. None when neither route can be built (a block singular
    at the working precision).
    """
    from construct.rotations import build_rotations  # it builds on this module
    n = T.shape[0]
    bound, condition = split_levels_bound(n, p), _condition(T)
    m = len(capacity_splits(n, p)) - 1
    Tn, u = a.matrix(T), a.unit_roundoff
    best = None
    for route in ("rotations", "qr"):
        if route == "rotations":
            built = build_rotations(Tn, mode, a, rng, p)
            stages = built and {"rounds": built[1], "rotations": built[2]}
        else:
            built = split_qr_levels(T, p, rng, a, mode)
            stages = built and {"rounds": built[1], "rotations": built[2], "R (T = QR)": built[3]}
        if built is None or len(built[0]) > bound or any(  # positive mode's doubles may not fit; a scale that
                scale is not None and any(x == 0 for x in scale) for _, _, scale in built[0]):  # is 0: singular here
            continue
        factors = built[0]
        spare = min(bound - len(factors), 2 * SPLIT_HALVINGS)
        balanced, largest = balance(factors, power=a.power2, spare=spare, target=GOAL * condition)
        stages["halving"] = len(balanced) - len(factors)
        # how far the word misses the goals: the condition numbers, and the residual that rounding left
        miss = max(largest / (GOAL * condition), _relative_residual(balanced, p, Tn, a) / (RESIDUAL_GOAL * u))
        if best is None or miss < best[0]:
            best = (miss, balanced, stages, spare)
        if miss <= 1:
            break
    if best is None:
        return None
    _, factors, stages, spare = best
    stage_bounds = {"rounds": (m, ""), "rotations": (4 * m + 4, ""), "R (T = QR)": (4 * m + 2, ""),
                    "halving": (spare, ""), "total": (bound, "")}
    w = NumericWord(n, p, factors, a.scalar(1))
    return Factorization(T, w, mode, "levels", bound, stages, stage_bounds, arith=a.name,
                         digits=a.digits if a.name == "mp" else None, tolerance=tolerance(w, T, a))


#: The relative residual ``max |product - T| / max |T|`` a route of an unequal split should reach, in units of
#: the unit roundoff (1.1e-13 in float64): rotation levels of an ill-conditioned ``T`` miss it (Gaussian n = 65,
#: cond T = 4e4: backward errors 1.5e-12 to 3.9e-12), the QR route does not.
RESIDUAL_GOAL = 1000


def _relative_residual(factors, p: int, Tn, a) -> float:
    """``max |F_1 ... F_k - T| / max |T|``, the product evaluated in the arithmetic ``a``."""
    word = NumericWord(Tn.shape[0], p, factors, a.scalar(1))  # unit scales written out
    P = block_product([(f.kind, f.shear, f.scale) for f in word], p, a.identity(Tn.shape[0]))
    return float(np.max(np.abs(P - Tn)) / np.max(np.abs(Tn)))


def split_qr_levels(T: DomainMatrix, p: int, rng: random.Random, a, mode: str = "any"):
    """``T = Q R`` for an unequal split: rotation levels of ``Q``, then the LU levels of ``R`` (no pivoting).

    ``Q`` is orthogonal, so its rotation levels have shears of norm at most 2;
    ``R`` is upper triangular, so its LU needs no row exchange and its lower
    stage is only the changes of frame, while its upper shears
    ``R[A, A]^-1 R[A, B]`` and its pivots, spread over the levels, carry
    ``cond T``, as LU levels do for balanced splits. Returns
    ``(factors, rounds, couplings of Q's levels, couplings of R)`` (as
    :func:`~construct.rotations.build_rotations` counts them), or None when a
    block is singular at the working precision.
    """
    from construct.rotations import build_rotations  # it builds on this module
    Q, R = a.qr(a.matrix(T))
    if mode == "positive" and any(x == 0 for x in np.diag(R)):  # singular at the working precision: no sign
        return None  # (in any mode the zero pivot becomes a zero scale, which factor_split_levels refuses)
    # R with a positive diagonal (Q S, S R for the signs S of its diagonal): its pivots are the scales of the
    # middle couplings, which positive mode needs positive; det Q then has the sign of det T
    S = np.array([a.scalar(-1) if x < 0 else a.scalar(1) for x in np.diag(R)])
    Q, R = Q * S[None, :], R * S[:, None]
    rotated = build_rotations(Q, mode, a, rng, p)
    try:
        upper, _, _ = build_levels(R, mode, a, rng, spread=True, p=p)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):  # a zero pivot: R is singular here
        return None
    if rotated is None:
        return None
    w = _WordBuilder(a)
    w.factors = list(rotated[0])
    for factor in upper:
        w.append(*factor)
    return w.factors, rotated[1], rotated[2], len(upper)


#: Float64 words are built for ``2^-e T`` when the entries' middle exponent ``e`` is beyond ``RANGE_BITS``.
RANGE_BITS = 256


def _range_exponent(T: DomainMatrix) -> int:
    """``e`` halfway between the exponents of the largest and the smallest nonzero ``|T_ij|``, or 0 when that is
    within ``RANGE_BITS`` of 0.

    Uniformly huge or tiny entries (a Gaussian matrix times ``1e-310``, whose
    pivots' reciprocals overflow) are factored at the scale of 1, and the
    power of two spread over the word (:func:`~construct.balancing.times_power_of_two`);
    entries spread over the whole range stay as they are, none flushed to 0.
    """
    exponents = [binary_exponent(x) for row in T.to_list() for x in row if x]
    e = (max(exponents) + min(exponents)) // 2
    return e if abs(e) > RANGE_BITS else 0


#: Up to this ``cond_2`` of ``T`` with its columns scaled by powers of two rotation levels go first (theory.md, 7).
ROTATION_CONDITION = 10.0


def routes(T: DomainMatrix, a, condition: float):
    """The routes to try, in order: ``"lu"`` (LU levels) and, in float64 and mp, ``"rotations"`` (rotation levels).

    Rotation levels come first for a ``T`` close to orthogonal up to the
    scales of its columns (``condition``, of ``T`` with its columns scaled by
    powers of two, at most ``ROTATION_CONDITION``), where the tangents LU levels carry grow
    like ``sqrt(d)``; they are not tried for a signed permutation, which LU
    levels factor exactly.

    >>> from construct.arith import arithmetic
    >>> routes(from_rows([[3, -4], [4, 3]]), arithmetic("float64"), 1.0), routes(from_rows([[0, 1], [1, 0]]),
    ...                                                                          arithmetic("float64"), 1.0)
    (['rotations', 'lu'], ['lu'])
    """
    if a.is_exact or T.nnz() == T.shape[0]:  # exact: no square roots; invertible with n entries: a signed perm.
        return ["lu"]
    return ["rotations", "lu"] if condition <= ROTATION_CONDITION else ["lu", "rotations"]


def build_word(T: DomainMatrix, mode: str, a, rng, route="lu", spread=None):
    """The word as built by ``route``, before rescaling and halving: ``(factors, stages, stage_bounds)``.

    ``"lu"``: LU levels, mixed if they grow, with the pivots spread over the
    levels unless ``a`` is exact (or ``spread`` says otherwise).
    ``"rotations"`` (float64 and mp): rotation levels (:mod:`construct.rotations`),
    or None when they do not fit in the bound (positive mode, seven rounds)
    or ``det T < 0`` in positive mode.
    """
    n = T.shape[0]
    bounds = {"rounds": (MAX_ROUNDS[mode], ""), "total": (levels_bound(n), 47)}
    if route == "rotations":
        from construct.rotations import build_rotations  # it builds on this module
        built = build_rotations(a.matrix(T), mode, a, rng)
        if not built or len(built[0]) > levels_bound(n):
            return None
        factors, rounds, count = built
        return factors, {"rounds": rounds, "rotations": count}, {**bounds, "rotations": (levels_bound(n) - 12, "")}
    factors, rounds, mixed = build_with_mixing(T, mode, a, rng, spread=not a.is_exact if spread is None else spread)
    return factors, {"rounds": rounds, "mixing": 2 * mixed}, {**bounds, "mixing": (2, "")}
