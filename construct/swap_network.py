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
>>> from construct.matrices import permutation_matrix, diagonal
>>> word.matrix() == permutation_matrix([1, 0, 3, 2]) * diagonal(signs)
True
"""

from __future__ import annotations

from sympy import QQ

from construct import trace
from construct.couplings import Word
from construct.gadgets import cross_swap
from construct.matrices import from_rows


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
                         "G(Pi) = U(Pi) L(-Pi^T) U(Pi) (construct/gadgets.py, cross_swap).",
                         ("Pi", from_rows(Pi, K)), ("G(Pi)", cross_swap(from_rows(Pi, K)).matrix()))
    images, signs = signed_permutation([[(p, q, 1) for p, q in r] for r in rounds], n)
    assert images == list(perm)
    return word, [K(s) for s in signs]
