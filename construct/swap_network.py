"""Permutations as products of cross-swap rounds (the paper's permutation stage).

A *round* is a matching between top coordinates ``0..d-1`` and bottom
coordinates ``d..2d-1``; the cross-swap gadget performs all its swaps at once
in three unit factors, and consecutive rounds share a factor, so ``r`` rounds
cost ``2 r + 1`` factors. A permutation is a product of two involutions; the
cross-half transpositions of an involution form one round, and its same-half
transpositions become cross-half ones after conjugating by a single routing
round. Hence at most 8 rounds, 17 factors (the paper allows 21).

>>> word, signs = swap_network([1, 0, 3, 2])
>>> len(word) <= 17
True
>>> from construct.matrices import permutation_matrix, diagonal
>>> word.matrix() == permutation_matrix([1, 0, 3, 2]) * diagonal(signs)
True
"""

from __future__ import annotations

from sympy import QQ

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
    """Rounds (lists of (top, bottom) pairs) whose product, applied right to left, is ``tau``.

    ``tau = cross o route o inner o route`` with ``route`` sending one end of
    each same-half pair to the other half, which makes ``inner`` cross-half.
    """
    pairs = [(i, tau[i]) for i in range(2 * d) if i < tau[i]]
    cross = [(i, j) for i, j in pairs if i < d <= j]
    top = [(i, j) for i, j in pairs if j < d]
    bottom = [(i, j) for i, j in pairs if i >= d]
    used = {k for pair in top + bottom for k in pair}
    free_top = [k for k in range(d) if k not in used]
    free_bottom = [k for k in range(d, 2 * d) if k not in used]
    route = [(a, b) for (_, a), (_, b) in zip(top, bottom)]
    route += [(a, free_bottom.pop()) for _, a in top[len(bottom):]]
    route += [(free_top.pop(), b) for _, b in bottom[len(top):]]
    r = _as_permutation(route, 2 * d)
    inner = [(min(i, j), max(i, j)) for i, j in ((r[a], r[b]) for a, b in top + bottom)]
    assert all(i < d <= j for i, j in inner)
    return [rounds for rounds in (cross, route, inner, route) if rounds]


def _as_permutation(pairs, n):
    perm = list(range(n))
    for i, j in pairs:
        perm[i], perm[j] = j, i
    return perm


def swap_network(perm, K=QQ):
    """A word of unit couplings equal to ``P diag(signs)`` for the permutation ``P e_j = e_perm[j]``.

    Returns ``(word, signs)``; the signs (``+-1``) are what the cross swaps
    leave behind and are for the caller to absorb.
    """
    n = len(perm)
    d = n // 2
    t1, t2 = two_involutions(perm)
    rounds = involution_rounds(t1, d) + involution_rounds(t2, d)
    word = Word(n, d, K=K)
    for pairs in rounds:
        Pi = [[0] * d for _ in range(d)]
        for i, j in pairs:
            Pi[i][j - d] = 1
        word.extend(cross_swap(from_rows(Pi, K)))
    # Track where each e_k goes: a swap sends top e_i to -e_j and bottom e_j to +e_i.
    signs, position = [], []
    for k in range(n):
        i, s = k, 1
        for pairs in reversed(rounds):
            partner = dict(pairs + [(j, i2) for i2, j in pairs])
            if i in partner:
                s, i = (-s if i < d else s), partner[i]
        position.append(i)
        signs.append(s)
    assert position == list(perm)
    return word, [K(s) for s in signs]
