"""Rescaling between factors: the same product, better conditioned couplings (float64 and mpmath).

For diagonal ``D_i = diag(2^a_i I, 2^b_i I)`` with ``D_0 = D_k = I``, the
factors ``D_(i-1)^-1 F_i D_i`` multiply to the same matrix and are again
couplings when a lower coupling keeps ``a`` and an upper one keeps ``b``:

* lower ``[[I, 0], [X, B]]`` becomes ``[[I, 0], [2^(a - b_(i-1)) X, 2^(b_i - b_(i-1)) B]]``;
* upper ``[[C, Z], [0, I]]`` becomes ``[[2^(a_i - a_(i-1)) C, 2^(b - a_(i-1)) Z], [0, I]]``.

Powers of two are exact in binary floating point, so nothing is rounded. A
coupling whose shear has 2-norm ``s`` and whose scale is ``c I`` has
condition number :func:`~construct.conditioning.uniform_coupling_condition`
``(s, c)``: about ``s^2`` at ``c = 1`` but about ``2 s`` at ``c = s``. So a
badly conditioned level coupling next to a cross swap (shear norm 1) can
trade its condition number against its neighbour's. :func:`balance` picks
the exponents in ``[-EXPONENT, EXPONENT]`` that minimise the largest
condition number over the whole word, by dynamic programming over the
states ``(a, b)``; couplings with other scales (the pivots) are left as they
are. ``docs/theory.md``, "The levels method", section 6.

Here ``L(8) U(1) L(1)`` (condition numbers 66, 2.6, 2.6) becomes
``L(8, 4) U(4, 1) L(1/4, 1/4)``, the same product with condition numbers 20.2, 17.9, 4.3:

>>> import numpy as np
>>> word = [("lower", np.array([[8.0]]), None), ("upper", np.array([[1.0]]), None), ("lower", np.array([[1.0]]), None)]
>>> [(kind, float(S[0, 0]), [float(x) for x in c]) for kind, S, c in balance(word)]
[('lower', 8.0, [4.0]), ('upper', 4.0, [1.0]), ('lower', 0.25, [0.25])]
>>> from construct.conditioning import uniform_coupling_condition
>>> [round(uniform_coupling_condition(s, c), 1) for s, c in [(8, 1), (8, 4), (4, 1), (0.25, 0.25)]]
[66.0, 20.2, 17.9, 4.3]
"""

from __future__ import annotations

import math

import numpy as np

from construct.conditioning import norm2, uniform_coupling_condition

#: Exponents ``a, b`` range over ``-EXPONENT .. EXPONENT``.
EXPONENT = 4


def balance(factors, power=lambda k: 2.0**k):
    """The factors ``(kind, shear, scale)`` rescaled by powers of two so that the largest condition number is least.

    ``scale`` is ``None`` for a unit coupling; ``power(k)`` is ``2^k`` in the
    factors' number type. The word is returned unchanged when nothing improves.
    """
    s = [_shear_norm(shear) for _, shear, _ in factors]
    uniform = [_uniform(scale) for _, _, scale in factors]
    states = range(-EXPONENT, EXPONENT + 1)
    best = {(0, 0): (0.0, ((0, 0),))}  # state after factor i: (largest cond so far, states along the way)
    for i, (kind, _, _) in enumerate(factors):
        reached = {}
        for (a, b), (worst, path) in best.items():
            for e in states:
                after = (a, e) if kind == "lower" else (e, b)
                if uniform[i] is None:
                    if after != (a, b) or a != b:  # other scales: only the identity rescaling
                        continue
                    cond = 0.0
                elif kind == "lower":
                    cond = uniform_coupling_condition(s[i] * 2.0 ** (a - b), uniform[i] * 2.0 ** (e - b))
                else:
                    cond = uniform_coupling_condition(s[i] * 2.0 ** (b - a), uniform[i] * 2.0 ** (e - a))
                candidate = (max(worst, cond), path + (after,))
                if after not in reached or candidate[0] < reached[after][0]:
                    reached[after] = candidate
        best = reached
    worst, path = best[(0, 0)]
    if worst >= max((uniform_coupling_condition(x, c) for x, c in zip(s, uniform) if c is not None), default=0.0):
        return factors
    out = []
    for (kind, shear, scale), c, (a0, b0), (a1, b1) in zip(factors, uniform, path, path[1:]):
        if c is None:
            out.append((kind, shear, scale))
            continue
        shear_exponent, scale_exponent = (a0 - b0, b1 - b0) if kind == "lower" else (b0 - a0, a1 - a0)
        old = scale if scale is not None else [power(0)] * shear.shape[0]  # the scaled half: the shear's rows
        out.append((kind, shear * power(shear_exponent), [x * power(scale_exponent) for x in old]))
    return out


def _shear_norm(shear) -> float:
    S = np.asarray(shear, dtype=float)
    if not S.size or not np.all(np.isfinite(S)):
        return math.inf if S.size else 0.0
    return norm2(lambda x: S @ x, lambda y: S.T @ y, S.shape[1], lambda: np.linalg.norm(S, 2))


def _uniform(scale):
    """``c`` if the scale is ``c I`` with ``c > 0`` (``1`` for ``None``), else ``None``."""
    if scale is None:
        return 1.0
    values = {float(x) for x in scale}
    return values.pop() if len(values) == 1 and min(values) > 0 else None
