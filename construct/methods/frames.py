"""Levels, frames and swap networks: the scaffolding shared by LU levels and rotation levels.

Both :mod:`construct.methods.levels` (LU levels) and
:mod:`construct.methods.rotations` (rotation levels) split the coordinates
into levels (:func:`level_splits`, or :func:`capacity_splits` for an
unequal split), move between the levels' frames by cross swaps
(:func:`frames`, :func:`frame_signs`), lay the pivot permutation out as a
swap network whose pair orientations fix the signs in positive mode
(:func:`network`, :func:`sign_join`, :func:`t_join`), and append the cross
swaps to a word in the working arithmetic (:func:`cross_swap`). The derivations
are in ``docs/theory.md``, "The levels method".
"""

from __future__ import annotations

from construct.core.couplings import Coupling
from construct.methods.swap_network import (
    involution_rounds,
    joined_involution_rounds,
    merge_disjoint,
    signed_permutation,
    two_involutions,
)


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
            chosen = sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex)
            if chosen is None:
                first = involution_rounds(t1, d)
                second, doubles = joined_involution_rounds(t2, d)
                pairs, doubles = first + second, [(k + len(first), p, q) for k, p, q in doubles]
                chosen = sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex)
                assert chosen is not None, "the joined layout connects every coordinate"
        rounds, flipped_frames = oriented_rounds(pairs, doubles, chosen)
        if best is None or len(rounds) < len(best[0]):
            best = (rounds, flipped_frames)
    return best


def oriented_rounds(pairs, doubles, chosen):
    """The rounds of signed swaps ``(p, q, orientation)`` for the pairs, the doubles and the orientations chosen
    by :func:`sign_join`, and the changes of frame it flips."""
    oriented = [[(p, q, -1 if ("round", k, i) in chosen else 1) for i, (p, q) in enumerate(r)]
                for k, r in enumerate(pairs)]
    for tag, k, i in chosen:
        if tag == "double":  # the same orientation twice: -1 on the pair
            _, p, q = doubles[i]
            oriented[k].append((p, q, 1))
            oriented[k + 1].append((p, q, 1))
    return merge_disjoint([sorted(r) for r in oriented if r]), {(t, i) for tag, t, i in chosen if tag == "frame"}


def sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex=None):
    """The round pairs, frame pairs and doubles to flip so that every middle scale is positive, or None."""
    n = len(pivot_signs)
    vertex = vertex or list(range(n))
    _, sigma = signed_permutation([[(p, q, 1) for p, q in r] for r in pairs], n)
    odd = {j for j in range(n) if pivot_signs[j] * sigma[j] < 0}
    edges = round_edges(pairs, n, doubles)
    edges.update({("frame", t, i): (vertex[coords[t][p]], vertex[coords[t][q]])
                  for t, level in enumerate(swaps) for i, (p, q) in enumerate(level)})
    return t_join(n, edges, odd)


def cross_swap(w, pairs, d, inverse=False, bottom=None):
    """Append ``G(Pi) = L(-Pi^T) U(Pi) L(-Pi^T)``, or ``G(Pi)^-1 = U(-Pi) L(Pi^T) U(-Pi)``, to the word ``w``.

    ``Pi`` (``d x bottom``, ``bottom = d`` by default) has the entry ``s``
    at ``(p, q - d)`` for each pair ``(p, q, s)``; it is built in the word's
    arithmetic, so the levels method never converts mid-construction.
    """
    a = w.a
    bottom = d if bottom is None else bottom
    signed = [(p, q - d, -s if inverse else s) for p, q, s in pairs]
    Pi = a.sparse(d, bottom, signed)
    PiT = a.sparse(bottom, d, [(q, p, -s) for p, q, s in signed])
    for kind in ("upper", "lower", "upper") if inverse else ("lower", "upper", "lower"):
        w.append(Coupling(kind, Pi if kind == "upper" else PiT, None))


def parity(perm) -> int:
    """The sign of a permutation.

    >>> parity([0, 1, 2]), parity([1, 0, 2]), parity([1, 2, 0])
    (1, -1, 1)
    """
    seen, sign = [False] * len(perm), 1
    for start in range(len(perm)):
        k, length = start, 0
        while not seen[k]:
            seen[k], k, length = True, perm[k], length + 1
        if length and length % 2 == 0:
            sign = -sign
    return sign


def oriented_pairs(pairs, t, flipped=frozenset()):
    """The pairs ``(p, q)`` of cross swap ``t`` as ``(p, q, s)``, with ``s = -1`` for those in ``flipped``."""
    return [(p, q, -1 if (t, i) in flipped else 1) for i, (p, q) in enumerate(pairs)]
