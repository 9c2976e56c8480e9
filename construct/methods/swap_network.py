"""Permutations as products of cross-swap rounds (the paper's permutation stage).

A *round* is a matching between top coordinates ``0..d-1`` and bottom
coordinates ``d..2d-1``; the cross-swap gadget performs all its swaps at once
in three unit factors, and consecutive rounds share a factor, so ``r`` rounds
cost ``2 r + 1`` factors. A permutation is a product of two involutions, and
an involution takes at most 3 rounds (:func:`involution_rounds`); rounds
that move disjoint coordinates merge. Hence at most 6 rounds, 13 factors
(the paper allows 21). ``docs/theory.md`` ("The permutation: a swap
network") has the argument.

>>> word, signs = swap_network([1, 0, 3, 2])
>>> len(word) <= 13
True
>>> from construct.core.matrices import permutation_matrix, diagonal
>>> word.matrix() == permutation_matrix([1, 0, 3, 2]) * diagonal(signs)
True
"""

from __future__ import annotations

from sympy import QQ

from construct.core import trace
from construct.core.couplings import Word
from construct.core.gadgets import cross_swap
from construct.core.matrices import from_rows


def two_involutions(perm, rng=None):
    """``(t1, t2)`` with ``perm = t1 o t2`` and ``t1, t2`` involutions (reflections of each cycle).

    With ``rng``, each cycle is reflected about a random start: other involutions, same product.
    """
    n = len(perm)
    t1, t2, seen = list(range(n)), list(range(n)), [False] * n
    for start in range(n):
        if seen[start]:
            continue
        cycle, k = [], start
        while not seen[k]:
            seen[k] = True
            cycle.append(k)
            k = perm[k]
        m = len(cycle)
        if rng is not None:
            shift = rng.randrange(m)
            cycle = cycle[shift:] + cycle[:shift]
        for i, c in enumerate(cycle):
            t2[c] = cycle[-i % m]
            t1[c] = cycle[(1 - i) % m]
    return t1, t2


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
    for pair, other in zip(top, bottom):
        first, second = quad_rounds(pair, other)
        rounds[0] += first
        rounds[1] += second
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


def quad_rounds(top, bottom):
    """Two rounds for a top pair ``(a, b)`` and a bottom pair ``(c, e)``: ``(a b)(c e) = [(a e)(b c)] [(a c)(b e)]``.

    >>> quad_rounds((0, 1), (2, 3))
    ([(0, 3), (1, 2)], [(0, 2), (1, 3)])
    """
    (a, b), (c, e) = top, bottom
    return [(a, e), (b, c)], [(a, c), (b, e)]


def joined_involution_rounds(tau, d):
    """Four rounds whose product, left to right, is ``tau``, and doubled pairs that join all coordinates.

    Returns ``(rounds, doubles)``. A double ``(k, p, q)`` is a top-bottom
    pair ``(p, q)`` that may be put into both rounds ``k`` and ``k + 1``
    (both positions are idle there), multiplying the product by ``-1`` on
    the two coordinates that sit at ``p`` and ``q``. The orientations of the
    rounds' pairs and the doubles together connect all ``2d`` coordinates, so
    every sign pattern of determinant 1 on top of ``tau`` is reachable
    (``docs/theory.md``, "Positive mode").

    Let the *long* side be the half with at least as many same-half pairs of
    ``tau``. Cross pairs take round 0; a long pair and a short pair take
    rounds 0 and 1 (:func:`quad_rounds`); the ``l`` long pairs left over go
    two at a time with two fixed points ``z, z'`` of the short side, as
    ``(x y)(z z') . (x' y')(z z')`` in rounds 0 to 3; an odd one out is
    ``(x z)(y z)(x z)`` in rounds 0 to 2. The short side has ``2 l`` more fixed
    points than the long side, which is enough helpers. Doubles in rounds
    0, 1 attach every long fixed point and the second pair of every group to
    a short fixed point; doubles in rounds 2, 3 chain all the resulting pieces
    into one path.

    >>> rounds, doubles = joined_involution_rounds([1, 0, 2, 3], 2)
    >>> signed_permutation([[(p, q, 1) for p, q in r] for r in rounds], 4)[0]
    [1, 0, 2, 3]
    """
    n = 2 * d
    pairs = [(i, tau[i]) for i in range(n) if i < tau[i]]
    top = [(i, j) for i, j in pairs if j < d]
    bottom = [(i, j) for i, j in pairs if i >= d]
    long_is_top = len(top) >= len(bottom)
    halves = (range(d), range(d, n)) if long_is_top else (range(d, n), range(d))
    long_pairs, short_pairs = (top, bottom) if long_is_top else (bottom, top)
    long_fixed, short_fixed = ([k for k in half if tau[k] == k] for half in halves)

    def across(lp, sp):  # long and short pair (or position) as top first
        return (lp, sp) if long_is_top else (sp, lp)

    def quad(lp, sp):
        return quad_rounds(*across(lp, sp))

    rounds = [[(i, j) for i, j in pairs if i < d <= j], [], [], []]
    pieces = [(i, j) if long_is_top else (j, i) for i, j in rounds[0]]  # (long, short) positions for rounds 2, 3
    for lp, sp in zip(long_pairs, short_pairs):
        first, second = quad(lp, sp)
        rounds[0] += first
        rounds[1] += second
        pieces.append((lp[0], sp[0]))
    leftover, doubles = long_pairs[len(short_pairs):], []
    for (x, y), (x2, y2) in zip(leftover[0::2], leftover[1::2]):
        z, z2 = short_fixed.pop(), short_fixed.pop()
        for k, lp in enumerate(((x, y), (x2, y2))):  # (x y)(z z') in rounds 0, 1, then (x' y')(z z') in 2, 3
            first, second = quad(lp, (z, z2))
            rounds[2 * k] += first
            rounds[2 * k + 1] += second
        u, u2 = short_fixed.pop(), short_fixed.pop()
        doubles += [(0, *across(x2, u)), (0, *across(y2, u2))]
        pieces.append((x, u))
    tail = []
    if len(leftover) % 2:
        x, y = leftover[-1]
        z = short_fixed.pop()
        rounds[0].append(across(x, z))
        rounds[1].append(across(y, z))
        rounds[2].append(across(x, z))
        tail = [y]
    for f in long_fixed:
        u = short_fixed.pop()
        doubles.append((0, *across(f, u)))
        pieces.append((f, u))
    assert len(short_fixed) == len(tail)  # the lone short fixed point left iff l is odd
    # the path y -> piece 1 -> ... -> piece k -> lone fixed point: (long of one, short of the next)
    chain = (tail or [None]) + [p for long, short in pieces for p in (short, long)] + (short_fixed or [None])
    doubles += [(2, *across(lp, sp)) for lp, sp in zip(chain[0::2], chain[1::2]) if lp is not None and sp is not None]
    return [sorted(r) for r in rounds], doubles


def permutation_rounds(perm, d, rng=None):
    """Rounds of pairs whose cross swaps multiply to ``P`` up to signs, ``P e_j = e_perm[j]``.

    ``perm`` is a product of two involutions (:func:`two_involutions`,
    cycles reflected about random starts when ``rng`` is given), each at most
    3 rounds: at most 6 rounds.

    >>> permutation_rounds([3, 2, 1, 0], 2)
    [[(0, 3), (1, 2)]]
    """
    t1, t2 = two_involutions(perm, rng)
    return merge_disjoint(involution_rounds(t1, d) + involution_rounds(t2, d))


def merge_disjoint(rounds):
    """Merge each round into the one before when they move disjoint coordinates.

    Cross swaps with disjoint supports commute and ``G(A) G(B) = G(A + B)``.
    A pair is ``(p, q)`` or ``(p, q, s)``.

    >>> merge_disjoint([[(0, 2)], [(1, 3)], [(1, 3)]])
    [[(0, 2), (1, 3)], [(1, 3)]]
    """
    merged = []
    for r in rounds:
        if merged and not {k for pair in r for k in pair[:2]} & {k for pair in merged[-1] for k in pair[:2]}:
            merged[-1] = sorted(merged[-1] + r)
        else:
            merged.append(list(r))
    return merged


def signed_permutation(rounds, n):
    """``(images, signs)`` of ``G(R_1) ... G(R_r)``: it sends ``e_j`` to ``signs[j] e_images[j]``.

    A pair ``(p, q, s)`` swaps as ``G e_p = -s e_q``, ``G e_q = s e_p``.

    >>> signed_permutation([[(0, 1, 1)]], 2), signed_permutation([[(0, 1, -1)]], 2)
    (([1, 0], [-1, 1]), ([1, 0], [1, -1]))
    """
    images, signs = list(range(n)), [1] * n
    where = list(range(n))  # where[position] = the j whose image sits there
    for r in reversed(rounds):
        for p, q, s in r:
            jp, jq = where[p], where[q]
            images[jp], signs[jp] = q, -s * signs[jp]
            images[jq], signs[jq] = p, s * signs[jq]
            where[p], where[q] = jq, jp
    return images, signs


def swap_network(perm, K=QQ):
    """A word of unit couplings equal to ``P diag(signs)`` for the permutation ``P e_j = e_perm[j]``.

    Returns ``(word, signs)``; the signs (``+-1``) are what the cross swaps
    leave behind and are for the caller to absorb.
    """
    n = len(perm)
    d = n // 2
    rounds = permutation_rounds(perm, d)
    word = Word(n, d, K=K)
    for k, pairs in enumerate(rounds, 1):
        Pi = [[0] * d for _ in range(d)]
        for i, j in pairs:
            Pi[i][j - d] = 1
        word.extend(cross_swap(from_rows(Pi, K)))
        if trace.active():
            swaps = ", ".join(f"{i + 1} <-> {j + 1}" for i, j in pairs)
            trace.record(f"swap-network round {k} of {len(rounds)}", f"Swaps {swaps} at once with the cross swap "
                         "G(Pi) = U(Pi) L(-Pi^T) U(Pi) (construct/core/gadgets.py, cross_swap).",
                         ("Pi", from_rows(Pi, K)), ("G(Pi)", cross_swap(from_rows(Pi, K)).matrix()))
    images, signs = signed_permutation([[(p, q, 1) for p, q in r] for r in rounds], n)
    assert images == list(perm)
    return word, [K(s) for s in signs]
