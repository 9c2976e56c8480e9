"""Numbers of factorizations computed in floating point (float64 or mpmath), and their certificates.

A numeric factorization is certified like an exact one: every computed
number is written as the exact decimal of its binary value, and the
certificate claims ``max |product - matrix| <= tolerance`` with a tolerance
the builder bounds from above (:func:`tolerance`) and the checker decides
rigorously.

>>> exact_decimal(0.1)
'0.1000000000000000055511151231257827021181583404541015625'
>>> exact_decimal(-3.0), exact_decimal(2.0**-70)
('-3', '8.470329472543003390683225006796419620513916015625E-22')
>>> import mpmath
>>> exact_decimal(mpmath.mpf(0.1)) == exact_decimal(0.1), exact_decimal(mpmath.mpf(-6))
(True, '-6')
"""

from __future__ import annotations

from decimal import Decimal

import flint
import mpmath
import numpy as np


def exact_decimal(x) -> str:
    """The exact decimal value of a float64 or an mpmath ``mpf``."""
    if type(x) is float:
        return "0" if x == 0 else str(Decimal(x))
    if isinstance(x, np.floating):
        return exact_decimal(float(x))
    sign, man, exp, _ = x._mpf_
    if man == 0:
        return "0"
    if exp >= 0:
        return ("-" if sign else "") + str(man << exp)
    digits = str(flint.fmpz(man) * flint.fmpz(5) ** -exp)  # str(int) refuses more than 4300 digits
    return str(Decimal((sign, tuple(map(int, digits)), exp)))


def matrix_rows(M) -> list:
    """The rows of a ``DomainMatrix`` (exact factors) or a NumPy array (numeric ones)."""
    return M.to_list() if hasattr(M, "to_list") else M.tolist()


def tolerance(word, T, arith) -> str:
    """The tolerance to claim for ``max |product - T|``, as a short decimal string.

    The residual of the product evaluated in the factors' own arithmetic
    differs from that of the exact product by the rounding of the evaluation,
    which is of the same order as the residual itself (both are a few units
    in the last place of the partial products); the claim is four times the
    computed residual plus ``4 (k + 1) u max |T|``. The checker decides the
    claim rigorously; a claim that were too small would be rejected, never
    accepted.
    """
    P = word.times(arith.identity(word.n))
    k = len(word)
    Tn = arith.matrix(T)
    u = arith.unit_roundoff
    residual = np.max(np.abs(P - Tn))
    return round_up(4 * residual + 4 * (k + 1) * u * np.max(np.abs(Tn)))


def round_up(x) -> str:
    """A short decimal string ``>= x``: two significant digits, in mpmath so that no magnitude underflows.

    >>> round_up(2.31e-14), round_up(mpmath.mpf("3e-400")), round_up(0.0), round_up(25)
    ('2.4e-14', '3.1e-400', '0', '2.6e1')
    """
    x = mpmath.mpf(x)
    if x <= 0:
        return "0"
    e = int(mpmath.floor(mpmath.log10(x))) - 1
    m = int(mpmath.ceil(x / mpmath.mpf(10) ** e * (1 + mpmath.mpf(10) ** -12)))
    while m >= 100:  # x rounded up to the next power of ten, or log10 rounded across one
        m, e = -(-m // 10), e + 1
    whole, tenths = divmod(m, 10)  # m 10^e = whole.tenths 10^(e + 1)
    return f"{whole}" + (f".{tenths}" if tenths else "") + (f"e{e + 1}" if e + 1 else "")
