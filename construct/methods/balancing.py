"""Rescaling between factors, and halving the worst shears: the same product, better conditioned couplings.

Used by the levels method in float64 and mpmath.

*Rescaling.* For diagonal ``D_i = diag(2^a_i I, 2^b_i I)`` with
``D_0 = D_k = I``, the factors ``D_(i-1)^-1 F_i D_i`` multiply to the same
matrix and are again couplings when a lower coupling keeps ``a`` and an
upper one keeps ``b``:

* lower ``[[I, 0], [X, B]]`` becomes ``[[I, 0], [2^(a - b_(i-1)) X, 2^(b_i - b_(i-1)) B]]``;
* upper ``[[C, Z], [0, I]]`` becomes ``[[2^(a_i - a_(i-1)) C, 2^(b - a_(i-1)) Z], [0, I]]``.

Powers of two are exact in binary floating point, so nothing is rounded
(short of overflow and underflow).
A coupling with shear ``S`` and scale ``c`` has condition number at most
:func:`~construct.core.conditioning.coupling_condition_bound`, which needs only
``||S||_2``, ``||c^-1 S||_2`` and the extreme ``|c|``, so it follows every
rescaling in closed form; for a uniform scale ``c I`` it is the condition
number itself: about ``s^2`` at ``c = 1`` but about ``2 s`` at ``c = s``. So
a badly conditioned coupling next to a cross swap (shear norm 1) can trade
its condition number against its neighbour's. :func:`balance` picks the
exponents in ``[-EXPONENT, EXPONENT]`` that minimise the largest bound over
the whole word, by dynamic programming over the states ``(a, b)``.

*Halving.* ``L(S, B) = L(S/2) U(0) L(S/2, B)`` and
``U(S, C) = U(S/2) L(0) U(S/2, C)``: two more couplings (the middle one is
the identity until rescaled, then a pure scaling), and shears of half the
norm, which after rescaling costs about half the condition number. With
``spare`` couplings left under the method's bound, :func:`balance` halves,
one at a time, the factor whose halving helps most (:func:`_best_halving`),
and keeps the halvings while the largest bound is above a target (the
levels method's conditioning goal) or each two couplings cut it by
:data:`GAIN` on average: depth is not spent on small gains.
``docs/theory.md``, "The levels method", section 6.

Here ``L(8) U(1) L(1)`` (condition numbers 66, 2.6, 2.6) becomes
``L(8, 4) U(4, 1) L(1/4, 1/4)``, the same product with condition numbers 20.2, 17.9, 4.3:

>>> import numpy as np
>>> word = [("lower", np.array([[8.0]]), None), ("upper", np.array([[1.0]]), None), ("lower", np.array([[1.0]]), None)]
>>> rescaled, largest = balance(word)
>>> [(kind, float(S[0, 0]), [float(x) for x in c]) for kind, S, c in rescaled], round(largest, 1)
([('lower', 8.0, [4.0]), ('upper', 4.0, [1.0]), ('lower', 0.25, [0.25])], 20.2)
>>> from construct.core.conditioning import uniform_coupling_condition
>>> [round(uniform_coupling_condition(s, c), 1) for s, c in [(8, 1), (8, 4), (4, 1), (0.25, 0.25)]]
[66.0, 20.2, 17.9, 4.3]

With two spare couplings the shear 8 is halved, ``L(4) U(0) L(4)``, and then rescaled:

>>> halved, _ = balance(word, spare=2)
>>> [(kind, float(S[0, 0]), [float(x) for x in c]) for kind, S, c in halved][:3]
[('lower', 4.0, [4.0]), ('upper', 0.0, [0.25]), ('lower', 0.25, [0.25])]
>>> from construct.core.conditioning import coupling_condition
>>> [round(coupling_condition(kind, S, np.array(c), 1), 1) for kind, S, c in halved]
[8.1, 4.0, 4.3, 8.1, 2.6]
"""

from __future__ import annotations

import math

import numpy as np

from construct.core.conditioning import coupling_condition_bound, norm2

#: Exponents ``a, b`` range over ``-EXPONENT .. EXPONENT``.
EXPONENT = 4

#: Shear norms are computed by an SVD up to this size, estimated by power iteration above it.
EXACT_NORM_SIZE = 256

#: Two more couplings must buy at least this factor on the largest bound (on average over the halvings kept).
GAIN = 0.8

#: Halvings are chosen by the least sum of ``(bound / largest)^POWER``: the largest bounds
#: dominate, and of two equally large ones halving either still counts as progress.
POWER = 16


def balance(factors, power=lambda k: 2.0**k, spare=0, target=0.0):
    """The factors ``(kind, shear, scale)`` rescaled by powers of two, and halved while ``spare`` allows.

    ``scale`` is ``None`` for a unit coupling; ``power(k)`` is ``2^k`` in the
    factors' number type. Returns a word of at most ``len(factors) + spare``
    couplings with the same product, rescaled to the least largest
    condition-number bound, and that bound; the word is returned unchanged
    when nothing improves. Halvings are kept while the largest bound is above ``target``
    and they lower it, or while each two couplings cut it by :data:`GAIN`.
    """
    kinds = [kind for kind, _, _ in factors]
    stats = [_stats(shear, scale) for _, shear, scale in factors]
    words = [(_least_largest(kinds, stats), kinds, stats, [])]  # [.., indices of the factors halved in turn]
    while spare >= 2:
        i = _best_halving(kinds, stats, words[-1][0])
        if i is None:
            break
        kinds, stats = _halve(kinds, i), _halve(stats, i, _halved_stats(stats[i]))
        words.append((_least_largest(kinds, stats), kinds, stats, words[-1][3] + [i]))
        spare -= 2
    kept = words[0]
    for word in words[1:]:
        if word[0] < kept[0] and (kept[0] > target or word[0] <= kept[0] * GAIN ** (len(word[3]) - len(kept[3]))):
            kept = word
    worst, kinds, stats, halved = kept
    as_given = max(coupling_condition_bound(*s) for s in stats)
    if not halved and not worst < as_given:  # also when no rescaling has a finite bound: then no path is meaningful
        return factors, as_given
    for i in halved:
        kind, shear, scale = factors[i]
        half = shear * power(-1)
        factors = _halve(factors, i, [(kind, half, None), (_other(kind), (shear - shear).T, None), (kind, half, scale)])
    out = []
    path = _path(kinds, stats)
    for (kind, shear, scale), (a0, b0), (a1, b1) in zip(factors, path, path[1:]):
        shear_exponent, scale_exponent = (a0 - b0, b1 - b0) if kind == "lower" else (b0 - a0, a1 - a0)
        old = scale if scale is not None else [power(0)] * shear.shape[0]  # the scaled half: the shear's rows
        out.append((kind, shear * power(shear_exponent), [x * power(scale_exponent) for x in old]))
    return out, worst


def times_power_of_two(factors, e: int, n: int, p: int, power=lambda k: 2.0**k):
    """Factors of ``2^e`` times the product of ``factors`` (``n x n``, ``p`` kept coordinates), with ``2^e``
    spread evenly over them.

    The rescaling above with ``D_0 = I`` and ``D_k = 2^e I``: every upper
    factor moves ``a`` and every lower one ``b`` by about ``e / (k / 2)``, so
    no number leaves the float64 range for a matrix whose entries do (a
    Gaussian matrix times ``1e-310``, factored as the Gaussian one). Each
    coupling's scales then lie about ``2^(2 e / k)`` from 1, which no word can
    avoid: the scales' product over the word is ``det 2^e I = 2^(e n)``. A
    kind missing from the word is added as an identity coupling.

    >>> import numpy as np
    >>> from construct.core.arith import Float64
    >>> from construct.core.couplings import Word
    >>> word = [("lower", np.array([[3.0]]), [1.0]), ("upper", np.array([[1.0]]), [2.0])]
    >>> scaled = times_power_of_two(word, -1030, 2, 1)
    >>> product = lambda factors: Word(2, 1, factors, arith=Float64()).times(np.eye(2))
    >>> bool(np.all(product(scaled) == 2.0**-1030 * product(word)))
    True
    >>> [(kind, float(S[0, 0]), [float(x) for x in c]) for kind, S, c in scaled] == [
    ...     ("lower", 3.0, [2.0**-1030]), ("upper", 2.0**-1030, [2.0**-1029])]
    True
    """
    if e == 0:
        return factors
    factors = list(factors)
    for kind in ("lower", "upper"):
        if all(k != kind for k, _, _ in factors):
            rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
            factors.append((kind, np.zeros((rows, cols)) * power(0), None))
    total = {kind: sum(k == kind for k, _, _ in factors) for kind in ("lower", "upper")}
    seen = {"lower": 0, "upper": 0}
    out, a, b = [], 0, 0  # the exponents of D_i on the kept and the scaled half
    for kind, shear, scale in factors:
        seen[kind] += 1
        moved = e * seen[kind] // total[kind]  # ends at e with the last factor of the kind
        old = scale if scale is not None else [power(0)] * shear.shape[0]
        if kind == "lower":
            out.append((kind, shear * power(a - b), [x * power(moved - b) for x in old]))
            b = moved
        else:
            out.append((kind, shear * power(b - a), [x * power(moved - a) for x in old]))
            a = moved
    return out


def _best_halving(kinds, stats, largest):
    """The factor whose halving lowers the sum of the rescaled word's bounds (to :data:`POWER`) most, or None.

    A pass forward and one backward over the word give, for every factor,
    the least sums of the factors before it (per state) and after it, so
    every halving is priced by the three pieces alone.
    """
    if not math.isfinite(largest):  # no rescaling has a finite bound: nothing to price halvings against
        return None
    with np.errstate(over="ignore"):
        return _least_sum_halving(kinds, stats, largest)


def _least_sum_halving(kinds, stats, largest):
    tables = [(_table(s) / largest) ** POWER for s in stats]
    forward = [_start()]  # forward[i][a, b]: least sum over factors 0..i-1 ending in state (a, b)
    for kind, table in zip(kinds, tables):
        forward.append(_forward(forward[-1], kind, table, np.add)[0])
    backward = [_start()]  # backward[j][a, b]: least sum over the last j factors from state (a, b)
    for kind, table in zip(reversed(kinds), reversed(tables)):
        backward.append(_backward(backward[-1], kind, table, np.add))
    best, least = None, forward[-1][EXPONENT, EXPONENT] * (1 - 1e-9)
    for i, s in enumerate(stats):
        reached = forward[i]
        for kind, piece in zip(_halve(kinds, i), _halved_stats(s)):
            reached = _forward(reached, kind, (_table(piece) / largest) ** POWER, np.add)[0]
        total = np.min(reached + backward[len(kinds) - i - 1])
        if total < least:
            best, least = i, total
    return best


def _other(kind):
    return "upper" if kind == "lower" else "lower"


def _halve(items, i, pieces=None):
    """``items`` with item ``i`` replaced by ``pieces`` (by default its kind, the other kind, its kind)."""
    if pieces is None:
        pieces = [items[i], _other(items[i]), items[i]]
    return items[:i] + list(pieces) + items[i + 1:]


def _halved_stats(stats):
    s, s_inverse, high, low = stats
    return [(s / 2, s / 2, 1.0, 1.0), (0.0, 0.0, 1.0, 1.0), (s / 2, s_inverse / 2, high, low)]


# The dynamic programming: a state (a, b) is stored at index (a + EXPONENT, b + EXPONENT). A lower
# factor moves (a, b) to (a, e) at the cost of its bound rescaled by (a - b, e - b), an upper one
# moves it to (e, b) at the cost of (b - a, e - a); the word starts and ends in (0, 0).
_SIZE = 2 * EXPONENT + 1
_I, _J, _K = np.meshgrid(np.arange(_SIZE), np.arange(_SIZE), np.arange(_SIZE), indexing="ij")
_OFFSETS = np.meshgrid(np.arange(-2 * EXPONENT, 2 * EXPONENT + 1), np.arange(-2 * EXPONENT, 2 * EXPONENT + 1),
                       indexing="ij")


def _table(stats):
    """The factor's bound for every rescaling ``(x, y)``, at index ``(x + 2 EXPONENT, y + 2 EXPONENT)``."""
    return coupling_condition_bound(*stats, *_OFFSETS)


def _start():
    worst = np.full((_SIZE, _SIZE), np.inf)
    worst[EXPONENT, EXPONENT] = 0.0
    return worst


def _cost(kind, table):
    """``cost[i, j, k]``: the factor's bound from state ``(i, j)`` with new exponent ``k``."""
    E2 = 2 * EXPONENT
    return table[_I - _J + E2, _K - _J + E2] if kind == "lower" else table[_J - _I + E2, _K - _I + E2]


def _forward(before, kind, table, combine=np.maximum):
    """The least values (largest bound, or sum) after one more factor, and the exponent each came from."""
    cost = combine(before[:, :, None], _cost(kind, table))
    if kind == "lower":  # (a, b) -> (a, e): minimise over b
        return np.min(cost, axis=1), np.argmin(cost, axis=1)
    return np.min(cost, axis=0).T, np.argmin(cost, axis=0).T  # (a, b) -> (e, b): minimise over a


def _backward(after, kind, table, combine=np.maximum):
    """The least values from each state before one more factor, given those after it."""
    following = after[_I, _K] if kind == "lower" else after[_K, _J]
    return np.min(combine(_cost(kind, table), following), axis=2)


def _least_largest(kinds, stats):
    """The least largest bound of the word over all rescalings."""
    worst = _start()
    for kind, s in zip(kinds, stats):
        worst = _forward(worst, kind, _table(s))[0]
    return float(worst[EXPONENT, EXPONENT])


def _path(kinds, stats):
    """The states ``(a_i, b_i)`` of a word of least largest bound, from ``(0, 0)`` to ``(0, 0)``."""
    worst, choices = _start(), []
    for kind, s in zip(kinds, stats):
        worst, choice = _forward(worst, kind, _table(s))
        choices.append(choice)
    path = [(EXPONENT, EXPONENT)]
    for kind, choice in zip(reversed(kinds), reversed(choices)):
        a, b = path[-1]
        path.append((a, int(choice[a, b])) if kind == "lower" else (int(choice[a, b]), b))
    return [(a - EXPONENT, b - EXPONENT) for a, b in reversed(path)]


def _stats(shear, scale):
    """``(||S||_2, ||c^-1 S||_2, max |c|, min |c|)`` of a coupling in float64 (``c = 1`` for a unit one)."""
    S = np.asarray(shear, dtype=float)
    s = _norm(S)
    if scale is None:
        return s, s, 1.0, 1.0
    c = np.abs(np.asarray(scale, dtype=float))
    high, low = float(np.max(c)), float(np.min(c))
    if not (math.isfinite(high) and low > 0):
        return math.inf, math.inf, 1.0, 1.0
    return s, (s / high if high == low else _norm(S / c[:, None])), high, low


def _norm(S) -> float:
    if not S.size:
        return 0.0
    if not np.all(np.isfinite(S)):
        return math.inf
    exact = (lambda: np.linalg.norm(S, 2)) if max(S.shape) <= EXACT_NORM_SIZE else None
    return norm2(lambda x: S @ x, lambda y: S.T @ y, S.shape[1], exact)
