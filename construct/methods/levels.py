"""The levels method: a well-conditioned factorization with low entry heights.

The construction (derived in ``docs/theory.md``, "The levels method"):

1. LU with block row pivoting, ``T = P L D U`` (``L``, ``U`` unit
   triangular): at every split of step 2 the rows of the first part are
   chosen by volume (:mod:`construct.core.pivoting`).
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
   positive mode (:func:`~construct.methods.frames.network`), which leaves signs ``S``:
   ``T = (P S) (S L S) (S D) U``.
5. In float64 and mpmath the pivots' magnitudes are first spread over the
   levels by powers of two (:func:`spread_pivots`), then the word is
   rescaled between factors by powers of two, and the worst shears are
   halved while the count stays within the bound
   (:func:`~construct.methods.balancing.balance`): the same product, a smaller
   largest condition number.
6. In float64 and mpmath a ``T`` close to orthogonal gets *rotation levels*
   instead (:mod:`construct.methods.rotations`, chosen by :func:`routes`): a block LQ
   and a cosine-sine decomposition per split, three couplings per level, of
   shear norm at most 1 for an orthogonal ``T``.
7. In float64 and mpmath an unequal split ``p != n/2`` gets levels
   of its own sizes (:func:`~construct.methods.frames.capacity_splits`, whose ``A`` parts fit in ``p``
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
>>> from construct.core.matrices import from_rows
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

from construct.core import trace
from construct.core.arith import arithmetic, float_image
from construct.core.conditioning import matrix_condition
from construct.core.couplings import Coupling, Word
from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.matrices import diagonal, from_rows, identity, join, permutation_matrix, scale_columns, scale_rows
from construct.core.numeric import tolerance
from construct.methods.balancing import balance, times_power_of_two
from construct.methods.frames import (
    capacity_splits,
    cross_swap,
    frame_signs,
    frames,
    level_splits,
    network,
    oriented_pairs,
    parity,
)
from construct.methods.rotations import build_rotations
from construct.methods.swap_network import signed_permutation
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


def build_levels(T: DomainMatrix, mode: str, arith, rng=None, spread=False, p=None):
    """The factors ``(kind, shear, scale)`` of the levels method, in ``arith``; see the module docstring.

    With ``spread`` the pivots' magnitudes are spread over the levels (:func:`spread_pivots`).

    Also returns the number of rounds of the swap network and the growth
    that triggers mixing (:func:`build_with_mixing`), in log2.

    An unequal split ``p`` (``2p != n``) takes the levels of
    :func:`~construct.methods.frames.capacity_splits` and has no swap network: it is for an upper
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
    if mode == "positive" and parity(perm) * math.prod(a.sign(x) for x in pivots) < 0:
        raise InputError(a.negative_det_message(T))
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
    if trace.active():  # only couplings explain traces, and it factors exactly
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
    w = Word(n, d, arith=a)
    for r in rounds:
        cross_swap(w, r, d)
    for t in range(m + 1):
        w.append(Coupling("lower", X[t], E[d:] if t == m else lower_scales[t]))
        if t < m:
            cross_swap(w, oriented_pairs(swaps[t], t, flipped_frames), d, bottom=n - d)
    for t in range(m, -1, -1):
        scale = E[:d] if t == m else upper_scales[t]
        if t < m:
            cross_swap(w, oriented_pairs(swaps[t], t), d, inverse=True, bottom=n - d)
        w.append(Coupling("upper", Y[t] if scale is None else a.scale_rows(scale, Y[t]), scale))
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


def _record_steps(a, perm, L, U, pivots, levels, coords, rounds, X, Y, E):
    """The steps of :func:`build_levels` for ``couplings explain`` (exact arithmetic only)."""
    n = len(perm)
    Lm, Um = a.to_domain_matrix(L), a.to_domain_matrix(U)
    Lu = scale_columns(Lm, [1 / Lm[k, k].element for k in range(n)])
    Uu = scale_rows([1 / Um[k, k].element for k in range(n)], Um)
    trace.record("LU with row pivoting", "T = P L D U with P a permutation, L unit lower and U unit upper "
                 "triangular, D the pivots; at every split of the levels the rows of the first part are chosen by "
                 "volume (construct/core/pivoting.py).",
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
                 f"{swaps} (construct/methods/swap_network.py).")
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
    w = Word(n, d, mixed, arith=a)
    w.append(Coupling("lower", a.sparse(d, d, [(i, j, -x) for i, row in enumerate(A) for j, x in enumerate(row) if x]), None))
    w.append(Coupling("upper", a.sparse(d, d, [(i, j, -x) for i, row in enumerate(B) for j, x in enumerate(row) if x]), None))
    if mixed_largest < largest and len(w.factors) <= levels_bound(n):
        return w.factors, mixed_rounds, True
    return factors, rounds, False


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

    ``m + 1`` levels of :func:`~construct.methods.frames.capacity_splits`. Rotation levels take
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
    """The levels method as a :class:`~construct.core.factorization.Factorization` (numeric ones carry a tolerance).

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
        factors, stages, stage_bounds = build_word(T, mode, a, rng, spread=False)
        w = Word(n, d)
        for kind, shear, scale in factors:
            S = a.to_domain_matrix(shear)
            w.append(Coupling(kind, S, tuple(scale) if scale is not None else (S.domain.one,) * S.shape[0]))
        return Factorization(T, w, mode, "levels", levels_bound(n), stages, stage_bounds)
    e, S = _into_range(T, a)
    condition = _condition(S)
    best = None
    # the route by T with its columns scaled: Q diag(s) (cond T 1e5) is orthogonal to rotation levels, which they scale
    # away, and got a backward error of 7e-12 from LU levels where rotation levels reach 4e-15 (n = 64)
    for route in routes(S, a, _condition(S, columns_scaled=True)):
        built = build_word(S, mode, a, rng, route)
        if built is None:
            continue
        factors, stages, stage_bounds = built
        factors = times_power_of_two(factors, e, n, d, a.power2)
        spare = levels_bound(n) - len(factors)
        balanced, largest = balance(factors, power=a.power2, spare=spare, target=GOAL * condition)
        stages["halving"], stage_bounds["halving"] = len(balanced) - len(factors), (spare, "")
        if best is None or largest < best[0]:
            best = (largest, balanced, stages, stage_bounds)
        if largest <= GOAL * condition:
            break
    _, factors, stages, stage_bounds = best
    w = Word(n, d, factors, arith=a)
    tol = tolerance(w, T, a)
    return Factorization(T, w, mode, "levels", levels_bound(n), stages, stage_bounds, arith=a.name,
                         digits=a.certificate_digits, tolerance=tol)


def _into_range(T: DomainMatrix, a):
    """``(e, S)``: the word is built for ``S = 2^-e T``, whose entries and pivots stay in the arithmetic's range,
    and ``2^e`` is spread over it after (:func:`~construct.methods.balancing.times_power_of_two`)."""
    e = a.range_exponent(T)
    return e, (T * QQ(2) ** -e if e else T)


#: Halvings tried on an unequal split (each costs two couplings and a pass over the word): about what the
#: balanced bound leaves room for; the worst factors are few.
SPLIT_HALVINGS = 3


def factor_split_levels(T: DomainMatrix, p: int, rng: random.Random, a, mode: str = "any") -> Factorization | None:
    """Levels of the split's sizes for ``p`` kept coordinates (``2p != n``), in the numeric ``a``.

    Two routes: rotation levels of ``T``
    (:func:`~construct.methods.rotations.build_rotations` with the levels of
    :func:`~construct.methods.frames.capacity_splits`), and, when those miss the goal ``GOAL cond T``
    after rescaling and halving or leave a relative residual above
    ``RESIDUAL_GOAL`` units of roundoff, ``T = Q R``: rotation levels of
    ``Q`` and LU levels of ``R`` (:func:`split_qr_levels`); the word that
    misses its goals by the smaller factor is kept; a word with a zero scale (a pivot
    that vanishes at the working precision) is not. Every shear stays bounded,
    unlike the exact clearing of :mod:`construct.methods.splits`, whose shears grow
    with every step. None when neither route can be built (a block singular
    at the working precision).
    """
    n = T.shape[0]
    e, S = _into_range(T, a)
    bound, condition = split_levels_bound(n, p), _condition(S)
    m = len(capacity_splits(n, p)) - 1
    Tn, u = a.matrix(T), a.unit_roundoff
    best = None
    for route in ("rotations", "qr"):
        if route == "rotations":
            built = build_rotations(a.matrix(S), mode, a, rng, p)
            stages = built and {"rounds": built[1], "rotations": built[2]}
        else:
            built = split_qr_levels(S, p, rng, a, mode)
            stages = built and {"rounds": built[1], "rotations": built[2], "R (T = QR)": built[3]}
        if built is None or len(built[0]) > bound or any(  # positive mode's doubles may not fit; a scale that
                scale is not None and any(x == 0 for x in scale) for _, _, scale in built[0]):  # is 0: singular here
            continue
        factors = times_power_of_two(built[0], e, n, p, a.power2)
        if len(factors) > bound:  # a kind the word lacked, added to carry the power of two
            continue
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
    w = Word(n, p, factors, arith=a)
    return Factorization(T, w, mode, "levels", bound, stages, stage_bounds, arith=a.name,
                         digits=a.certificate_digits, tolerance=tolerance(w, T, a))


#: The relative residual ``max |product - T| / max |T|`` a route of an unequal split should reach, in units of
#: the unit roundoff (1.1e-13 in float64): rotation levels of an ill-conditioned ``T`` miss it (Gaussian n = 65,
#: cond T = 4e4: backward errors 1.5e-12 to 3.9e-12), the QR route does not.
RESIDUAL_GOAL = 1000


def _relative_residual(factors, p: int, Tn, a) -> float:
    """``max |F_1 ... F_k - T| / max |T|``, the product evaluated in the arithmetic ``a``."""
    P = Word(Tn.shape[0], p, factors, arith=a).times(a.identity(Tn.shape[0]))
    return float(np.max(np.abs(P - Tn)) / np.max(np.abs(Tn)))


def split_qr_levels(T: DomainMatrix, p: int, rng: random.Random, a, mode: str = "any"):
    """``T = Q R`` for an unequal split: rotation levels of ``Q``, then the LU levels of ``R`` (no pivoting).

    ``Q`` is orthogonal, so its rotation levels have shears of norm at most 2;
    ``R`` is upper triangular, so its LU needs no row exchange and its lower
    stage is only the changes of frame, while its upper shears
    ``R[A, A]^-1 R[A, B]`` and its pivots, spread over the levels, carry
    ``cond T``, as LU levels do for balanced splits. Returns
    ``(factors, rounds, couplings of Q's levels, couplings of R)`` (as
    :func:`~construct.methods.rotations.build_rotations` counts them), or None when a
    block is singular at the working precision.
    """
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
    w = Word(T.shape[0], p, rotated[0], arith=a)
    w.extend(upper)
    return w.factors, rotated[1], rotated[2], len(upper)


#: Up to this ``cond_2`` of ``T`` with its columns scaled by powers of two rotation levels go first (theory.md, 7).
ROTATION_CONDITION = 10.0


def routes(T: DomainMatrix, a, condition: float):
    """The routes to try, in order: ``"lu"`` (LU levels) and, in float64 and mp, ``"rotations"`` (rotation levels).

    Rotation levels come first for a ``T`` close to orthogonal up to the
    scales of its columns (``condition``, of ``T`` with its columns scaled by
    powers of two, at most ``ROTATION_CONDITION``), where the tangents LU levels carry grow
    like ``sqrt(d)``; they are not tried for a signed permutation, which LU
    levels factor exactly.

    >>> from construct.core.arith import arithmetic
    >>> routes(from_rows([[3, -4], [4, 3]]), arithmetic("float64"), 1.0), routes(from_rows([[0, 1], [1, 0]]),
    ...                                                                          arithmetic("float64"), 1.0)
    (['rotations', 'lu'], ['lu'])
    """
    if float_image(T)[1] == T.shape[0]:  # invertible with n nonzero entries: a signed permutation
        return ["lu"]
    return ["rotations", "lu"] if condition <= ROTATION_CONDITION else ["lu", "rotations"]


def build_word(T: DomainMatrix, mode: str, a, rng, route="lu", spread=True):
    """The word as built by ``route``, before rescaling and halving: ``(factors, stages, stage_bounds)``.

    ``"lu"``: LU levels, mixed if they grow, with the pivots spread over the
    levels if ``spread``.
    ``"rotations"`` (float64 and mp): rotation levels (:mod:`construct.methods.rotations`),
    or None when they do not fit in the bound (positive mode, seven rounds)
    or ``det T < 0`` in positive mode.
    """
    n = T.shape[0]
    bounds = {"rounds": (MAX_ROUNDS[mode], ""), "total": (levels_bound(n), 47)}
    if route == "rotations":
        built = build_rotations(a.matrix(T), mode, a, rng)
        if not built or len(built[0]) > levels_bound(n):
            return None
        factors, rounds, count = built
        return factors, {"rounds": rounds, "rotations": count}, {**bounds, "rotations": (levels_bound(n) - 12, "")}
    factors, rounds, mixed = build_with_mixing(T, mode, a, rng, spread=spread)
    return factors, {"rounds": rounds, "mixing": 2 * mixed}, {**bounds, "mixing": (2, "")}
