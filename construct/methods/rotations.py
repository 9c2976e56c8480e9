"""Rotation levels: cosine-sine decompositions instead of LU, for ``T`` close to orthogonal.

Used by the levels method in float64 and mpmath (:func:`~construct.methods.levels.routes`).
LU levels give an orthogonal ``T`` shears ``L[B, A] L[A, A]^-1`` whose
singular values are tangents of principal angles, and these grow like
``sqrt(d)``; here every angle is split in half.

An orthogonal ``M`` split into parts ``A`` (``a`` coordinates) and ``B`` has
the CS decomposition ``M = diag(U_A, U_B) R diag(V_A, V_B)`` (LAPACK's
``orcsd``, :func:`scipy.linalg.cossin`), where ``R`` rotates pairs of
coordinates, one in ``A`` and one in ``B``, by angles in ``[0, pi/2]``, and
fixes the others. A rotation by ``theta`` is three shears,
``[[c, -s], [s, c]] = L(t) U(-s) L(t)`` with ``t = tan(theta/2) = s / (1 + c)``,
so ``R = L(X_R) U(Y_R) L(X_R)`` with ``X_R = R[B, A] (I + R[A, A])^-1`` and
``Y_R = R[A, B]``, both of norm at most 1. Moving ``diag(V_A, V_B)`` to the
left conjugates the shears by orthogonal blocks, which keeps their norms
(:func:`~construct.core.orthogonal.rotation_shears`):

    M = diag(U_A V_A, U_B V_B) L(V_B^T X_R V_A) U(V_A^T Y_R V_B) L(V_B^T X_R V_A).

Any invertible ``M`` is ``[[L_AA, 0], [L_BA, L_BB]] Q`` (block LQ) with
``Q`` orthogonal; the rotation of ``Q`` and ``K = W_B^-1 W_BA`` for the
lower left block give ``M = diag(W_A, W_B) L(K + X) U(Y) L(X)``
(:func:`~construct.core.orthogonal.level_shears`), and ``K = 0`` when ``M`` is orthogonal.
The arithmetic computes these splits (``rotation_level_shears``: LAPACK in
float64, polar factors in balls for mpmath; exact rationals have no square
roots and raise :class:`~construct.core.arith.NotAvailable`).
Recursing into the block diagonal factor over the levels of
:func:`~construct.methods.frames.level_splits` gives ``T = D N_m ... N_1 N_0`` with
``N_t = Phi_t L(X1_t) U(Y_t) L(X2_t) Phi_t^T`` in the frames of the levels
method and ``D`` diagonal:

    T = (D Phi_m) L(X1_m) U(Y_m) L(X2_m) G_(m-1)^-1 ... G_0^-1 L(X1_0) U(Y_0) L(X2_0).

``T`` is first scaled by powers of two to columns of norm about 1, so a
``T = Q diag(s)`` leaves an orthogonal matrix to the levels; the scaling
comes back at the right end. ``D Phi_m`` is a signed permutation, a swap
network of ``r`` rounds (:func:`~construct.methods.frames.network`), times a
diagonal that passes through every coupling and is absorbed at the right
end with it. Count: ``2 r + 4 m + 3``
(``docs/theory.md``, "The levels method", section 7).

An unequal split (``p`` kept coordinates, ``2p != n``) takes the levels of
:func:`~construct.methods.frames.capacity_splits` and returns from the last frame
through the changes of frame themselves (``docs/theory.md``, "Every split
in floating point").
"""

from __future__ import annotations

import math

import numpy as np

from construct.core.couplings import Coupling, Word
from construct.methods.frames import (
    capacity_splits,
    cross_swap,
    frame_signs,
    frames,
    level_splits,
    network,
    oriented_pairs,
    oriented_rounds,
    parity,
    round_edges,
    sign_join,
)
from construct.methods.swap_network import merge_disjoint, signed_permutation


def build_rotations(T: np.ndarray, mode: str, a, rng, p: int | None = None):
    """The factors ``(kind, shear, scale)`` of ``T`` by rotation levels, the number of rounds, and the number of
    couplings of the levels (before the first merges with the last round's).

    ``T`` is ``a.matrix(T)``: a float64 array, or mpmath numbers in an object
    array. In positive mode the signs are joined by the swap network (at most
    7 rounds), so every scale is positive. None when ``det T < 0`` there, and
    when a block is singular or not finite, or a polar iteration does not
    converge (then LU levels pivot).

    ``p`` (default ``n // 2``) is the number of coordinates lower couplings
    keep. An unequal split takes the levels of
    :func:`~construct.methods.frames.capacity_splits` and, instead of the swap
    network (which needs equal halves), the frame changes themselves for
    ``Phi_m``: ``Phi_m = G_0 ... G_(m-1)``, ``m`` rounds, oriented in positive
    mode by a T-join over their pairs and the frames', with doubles at the
    left end where the graph needs joining (:func:`_joining_doubles`).
    """
    n = T.shape[0]
    d = n // 2 if p is None else p
    unequal = 2 * d != n
    levels = capacity_splits(n, d) if unequal else level_splits(n)
    m = len(levels) - 1
    # columns scaled by powers of two to norm about 1 (exact); the scaling is absorbed at the right end with F
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(T.astype(float), axis=0)
    exponents = np.round(np.log2(norms)) if np.all(np.isfinite(norms) & (norms > 0)) else np.zeros(n)
    columns = np.array([a.power2(int(k)) for k in exponents])
    blocks = {(0, n): T / columns}  # the block diagonal factor left to split, by range
    pieces = []
    for level in levels:
        pieces.append([])
        for A, B in level:
            try:
                X1, Y, X2, blocks[A[0], A[-1] + 1], blocks[B[0], B[-1] + 1] = a.rotation_level_shears(
                    blocks.pop((A[0], B[-1] + 1)), len(A))
            except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):  # not finite, singular, no convergence
                return None
            pieces[-1].append((A, B, X1, Y, X2))
    D = [blocks[c, c + 1][0, 0] for c in range(n)]
    coords, swaps = frames(levels, n, d)
    position = {c: p for p, c in enumerate(coords[m])}
    unflipped = frame_signs(swaps, n)[m]
    pivot_signs = [unflipped[p] * a.sign(D[c]) for p, c in enumerate(coords[m])]
    if mode == "positive" and parity(coords[m]) * math.prod(pivot_signs) < 0:
        return None
    if unequal:  # Phi_(t+1) = Phi_t G_t; in positive mode the orientations that make the right end positive
        pairs, doubles, chosen = merge_disjoint([list(level) for level in swaps]), [], set()
        if mode == "positive":
            vertex = [position[c] for c in range(n)]
            pairs, doubles = _joining_doubles(pairs, pivot_signs, coords, swaps, vertex, d)
            chosen = sign_join(pairs, doubles, pivot_signs, coords, swaps, vertex)
            assert chosen is not None, "the doubles join every component with an odd number of negative signs"
        rounds, flipped = oriented_rounds(pairs, doubles, chosen)
    else:
        rounds, flipped = network(coords[m], d, pivot_signs, coords, swaps, mode == "positive", rng,
                                  vertex=[position[c] for c in range(n)])
    images, sigma = signed_permutation(rounds, n)
    assert images == coords[m]
    signs = frame_signs(swaps, n, flipped)
    w = Word(n, d, arith=a)
    for t in range(m, -1, -1):
        pos, sign = {c: p for p, c in enumerate(coords[t])}, signs[t]
        x1s, ys, x2s = [], [], []
        for A, B, X1, Y, X2 in pieces[t]:
            rows, cols = [pos[b] - d for b in B], [pos[c] for c in A]
            row_signs, col_signs = [sign[pos[b]] for b in B], [sign[pos[c]] for c in A]
            x1s.append((rows, cols, row_signs, col_signs, X1))
            x2s.append((rows, cols, row_signs, col_signs, X2))
            ys.append((cols, rows, col_signs, row_signs, Y))
        for kind, shears in (("lower", x1s), ("upper", ys), ("lower", x2s)):
            w.append(Coupling(kind, a.assemble(*((n - d, d) if kind == "lower" else (d, n - d)), shears), None))
        if t > 0:  # G_(t-1)^-1 = G(-Pi), in the form L U L whose ends merge with the level couplings
            cross_swap(w, [(p, q, -s) for p, q, s in oriented_pairs(swaps[t - 1], t - 1, flipped)], d, bottom=n - d)
    # D Phi_m = (P S) F with F diagonal: F passes through every coupling, F L(X) = L(F_b X F_a^-1) F, and is
    # absorbed at the right end
    F = np.array([sigma[p] * signs[m][p] * D[c] for p, c in enumerate(coords[m])])
    assert mode != "positive" or np.all(F > 0), "positive mode left a negative sign"
    if np.any(F != 1):
        w.factors = [Coupling(kind, (F[d:, None] * S / F[None, :d]) if kind == "lower" else
                              (F[:d, None] * S / F[None, d:]), scale) for kind, S, scale in w.factors]
    if np.any(F * columns != 1):
        _absorb_right(w, a, F * columns, d)
    word = Word(n, d, arith=a)
    for r in rounds:
        cross_swap(word, r, d, bottom=n - d)
    word.extend(w.factors)
    return word.factors, len(rounds), len(w.factors)


def _joining_doubles(pairs, pivot_signs, coords, swaps, vertex, top):
    """``(rounds, doubles)``: ``pairs`` after empty rounds that hold doubles at the left end, so that every
    connected component of the sign graph holds an even number of negative signs (a T-join exists).

    The graph is :func:`~construct.methods.frames.sign_join`'s: the rounds' pairs and the frames'. A coordinate no
    change of frame moves is alone in it. Components with an odd number of negative signs are joined in
    pairs by doubles ``(k, p, q)`` (positions ``p < top <= q`` idle in the empty rounds ``k, k + 1``, so
    ``G G = -1`` on them): directly when one sits at a top position and the other at a bottom one, else
    through a position of the other half. Doubles go into as few pairs of empty rounds as keep every
    position once per round.
    """
    n = len(pivot_signs)
    _, sigma = signed_permutation([[(p, q, 1) for p, q in r] for r in pairs], n)
    odd = [j for j in range(n) if pivot_signs[j] * sigma[j] < 0]
    root = list(range(n))

    def find(x):
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x
    edges = list(round_edges(pairs, n).values()) + [
        (vertex[coords[t][p]], vertex[coords[t][q]]) for t, level in enumerate(swaps) for p, q in level]
    for u, v in edges:
        root[find(u)] = find(v)
    parity = {}
    for j in odd:
        parity[find(j)] = parity.get(find(j), 0) ^ 1
    unjoined = [next(j for j in odd if find(j) == r) for r, x in parity.items() if x]
    where = list(range(n))  # where[position] = the j sitting there at the left end
    for r in reversed(pairs):
        for p, q in r:
            where[p], where[q] = where[q], where[p]
    at = {j: pos for pos, j in enumerate(where)}
    links = []  # (top position, bottom position)
    for x, y in zip(unjoined[::2], unjoined[1::2]):
        px, py = sorted((at[x], at[y]))
        if px < top <= py:
            links.append((px, py))
        else:  # both in one half: through a position of the other
            z = top if py < top else 0
            links += [(min(px, z), max(px, z)), (min(py, z), max(py, z))]
    double_rounds = []
    for p, q in links:
        free = next((r for r in double_rounds if not {p, q} & {x for pair in r for x in pair}), None)
        if free is None:
            double_rounds.append(free := [])
        free.append((p, q))
    doubles = [(2 * k, p, q) for k, r in enumerate(double_rounds) for p, q in r]
    return [[] for _ in range(2 * len(double_rounds))] + pairs, doubles


def _absorb_right(w, a, F, d):
    """Append the diagonal ``F = diag(F_a, F_b)`` (``d`` entries in ``F_a``) to the word:
    ``L(X, B) F = U(0, F_a) L(X F_a, B F_b)``.

    The upper factor merges with the one before; if the word does not end
    with a lower coupling, ``F`` costs one more.
    """
    e = len(F) - d
    kind, X, B = w.factors.pop() if w.factors and w.factors[-1][0] == "lower" else ("lower", a.zeros(e, d), None)
    if np.any(F[:d] != 1):
        w.append(Coupling("upper", a.zeros(d, e), list(F[:d])))
    w.append(Coupling("lower", X * F[:d][None, :], list(F[d:] if B is None else F[d:] * np.asarray(B))))
