"""Never silently wrong: float64 and mp factorizations that cannot be trusted are refused, with the way out.

Two refusals, both :class:`AccuracyError` (the CLI exits 1 with its sentence):

* *numerically singular* ``T``: ``n cond T u >= 1`` at the working unit
  roundoff ``u``, with ``cond T`` the 2-norm condition number of ``T`` with
  its rows and columns scaled by powers of two (:func:`scaled_condition`).
  A perturbation of every entry by a relative ``u`` (rounding ``T`` or the
  factors) moves ``T`` by up to ``sqrt(n) u ||T||_2``, and a product within a
  relative residual ``u`` of ``max |T|`` by up to ``n u ||T||_2``: at
  ``n cond T u >= 1`` either can be singular, so no product of rounded factors
  is known to be an invertible map near ``T`` (``docs/theory.md``, "Never
  silently wrong"). Scaling by powers of two first keeps badly scaled but
  well-conditioned matrices such as ``[[1e200, 1], [1, 1]]`` (``cond_2`` 1e200,
  scaled 2.4) from being refused.
* a *product too far from T*: the relative residual
  ``max |F_1 ... F_k - T| / max |T|`` of the factors as written (decided by
  the independent checker, an upper bound) above the allowed error
  (``--max-relative-error``, default :data:`MAX_RELATIVE_ERROR`).

>>> from construct.core.matrices import from_rows
>>> round(scaled_condition(from_rows([[10**200, 1], [1, 1]])), 1)
2.4
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from construct.core.arith import normal_exponents
from construct.core.conditioning import matrix_condition
from construct.core.matrices import binary_exponent

#: The default of ``--max-relative-error``.
MAX_RELATIVE_ERROR = 1e-8

#: A float64 condition number up to this is accurate to a few digits (an SVD's ``sigma_min`` is
#: exact to about ``u sigma_max``); above it, mp recomputes it at its own precision.
RELIABLE_FLOAT64_CONDITION = 1e12


class AccuracyError(Exception):
    """A float64 or mp factorization that would be wrong beyond the allowed error; one sentence with the way out."""


def scaled_rows(T) -> list[list[tuple[int, int]]]:
    """The entries of ``D_r T D_c`` as exact ``(numerator, denominator)`` pairs, ``D_r``, ``D_c`` powers of two
    making every row's and then every column's largest entry about 1 (LAPACK's equilibration, nothing rounded)."""
    rows = T.to_list()
    e = [[binary_exponent(x) if x else None for x in row] for row in rows]
    r = [-max((x for x in row if x is not None), default=0) for row in e]
    c = [-max((row[j] + ri for row, ri in zip(e, r) if row[j] is not None), default=0) for j in range(len(rows))]
    return [[_times_power_of_two(x, ri + cj) for x, cj in zip(row, c)] for row, ri in zip(rows, r)]


def _times_power_of_two(x, k: int) -> tuple[int, int]:
    num, den = int(x.numerator), int(x.denominator)
    return (num << k, den) if k >= 0 else (num, den << -k)


def scaled_float(T):
    """``D_r T D_c`` of :func:`scaled_rows` in float64 from ``T``'s float64 image, when every nonzero entry is a
    normal float64 there (else None): the exponents are those of the image, equal to :func:`binary_exponent`'s
    for float inputs (within 1 for other rationals), and scaling a normal float by a power of two is exact, so
    no entry is read in Python (at n = 1024, a million of them)."""
    image = normal_exponents(T)
    if image is None:
        return None
    F, e = image
    r = -np.max(e, axis=1)
    c = -np.max(e + r[:, None], axis=0)
    return np.ldexp(F, (r[:, None] + c[None, :]).astype(np.int64))


def scaled_condition(T, digits: int | None = None) -> float:
    """``cond_2`` of ``T`` with rows and columns scaled by powers of two, in float64; with ``digits``, an mp
    estimate (1-norm) at that precision where float64 cannot tell (above :data:`RELIABLE_FLOAT64_CONDITION`)."""
    A = scaled_float(T)
    if A is None:
        A = np.array([[num / den for num, den in row] for row in scaled_rows(T)], dtype=float)  # correctly rounded
    condition = matrix_condition(A)
    if digits is None or condition <= RELIABLE_FLOAT64_CONDITION:
        return condition
    pairs = scaled_rows(T)
    ctx = mpmath.MPContext()
    ctx.dps = digits
    M = ctx.matrix([[ctx.mpf(num) / den for num, den in row] for row in pairs])
    try:
        inverse = ctx.inverse(M)
    except ZeroDivisionError:  # singular at this precision
        return math.inf
    return float(ctx.mnorm(M, 1) * ctx.mnorm(inverse, 1))


def refuse_singular(T, arith: str, unit_roundoff, digits: int | None, rest_of: float | None = None) -> float:
    """``cond T`` (:func:`scaled_condition`); raise :class:`AccuracyError` when ``n cond T u >= 1``.

    ``rest_of``: ``T`` is the balanced rest that the exact clearing of an
    unequal split leaves of a matrix of that condition number, which the
    sentence then says.
    """
    n, u = T.shape[0], mpmath.mpf(unit_roundoff)  # mpf: u underflows float64 from about 300 digits on
    condition = scaled_condition(T, digits if arith == "mp" else None)
    if n * condition * u < 1:
        return condition
    where = _precision(arith, digits)
    # beyond 1/u an estimate at precision u only says how large cond is at least
    stated = f"about {condition:.1e}" if condition * u < 1 else f"{float(1 / u):.0e} or more"
    scaled = "rows and columns scaled by powers of two"
    if rest_of is None:
        what, way = f"T is numerically singular in {where}: cond T ({scaled}) is {stated}", ""
    else:
        what = (f"the exact clearing of this unequal split leaves a {n}x{n} balanced rest that is numerically "
                f"singular in {where}: its cond ({scaled}) is {stated}, that of T only {rest_of:.2g}, because the "
                "clearing couplings grow with every step")
        way = "a balanced --split, "
    _refuse(f"{what}; so n cond u >= 1 (n = {n}, u = {mpmath.nstr(u, 2)}) and no product of rounded factors "
                   "is known to be close to it", arith, digits, way)


def refuse_inaccurate(relative: float, allowed: float, arith: str, digits: int | None, balanced: bool = True) -> None:
    """Raise :class:`AccuracyError` when the relative residual exceeds the allowed error (``balanced``: the split,
    else a balanced one is a way out too: the exact clearing of unequal splits grows)."""
    if relative <= allowed:
        return
    _refuse(f"the {_precision(arith, digits)} factors multiply to T only within a relative residual of {relative:.1e} "
            f"(max |product - T| / max |T|), above --max-relative-error {allowed:g}", arith, digits,
            "" if balanced else "a balanced --split, ")


def refuse_rejected(reason: str, arith: str, digits: int | None) -> None:
    """Raise :class:`AccuracyError`: the checker rejected the tolerance the builder claimed (its estimate)."""
    _refuse(f"the {_precision(arith, digits)} factors do not multiply to T within the tolerance their builder "
            f"estimated ({reason})", arith, digits)


def _precision(arith: str, digits: int | None) -> str:
    return "float64" if arith == "float64" else f"mp at {digits} digits"


def _refuse(why: str, arith: str, digits: int | None, way: str = ""):
    raise AccuracyError(f"{why}; use --arith exact, {way}or --arith mp with more --digits than "
                        f"{digits if arith == 'mp' else 16}")
