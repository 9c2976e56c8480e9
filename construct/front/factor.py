"""The public entry point: validate a matrix, pick a method, apply a mask.

>>> from construct.core.matrices import from_rows
>>> f = factor(from_rows([[0, 1], [1, 0]]), method="paper")
>>> f.word.matrix() == from_rows([[0, 1], [1, 0]]), f.method
(True, 'paper')
>>> factor(from_rows([[1, 2], [2, 4]]))
Traceback (most recent call last):
...
construct.core.errors.InputError: the matrix is singular (rank 1 of 2), so it is not a product of couplings

Any ``DomainMatrix`` over ``ZZ`` or ``QQ`` is accepted, sparse or dense: it is
converted to a dense matrix over ``QQ`` first, which the builders assume.

>>> from sympy import QQ, ZZ
>>> factor(DomainMatrix.eye(4, QQ)).count, factor(DomainMatrix.eye(4, ZZ)).matrix.domain
(0, QQ)
"""

from __future__ import annotations

import random

import flint
import numpy as np
from flint import fmpq
from sympy import QQ, ZZ
from sympy.polys.matrices import DomainMatrix

from construct.core.accuracy import MAX_RELATIVE_ERROR, AccuracyError, refuse_inaccurate, refuse_rejected, refuse_singular
from construct.core.arith import arithmetic
from construct.core.errors import InputError, negative_det_message
from construct.core.masks import mask_bits
from construct.core.matrices import from_rows, rank as matrix_rank
from construct.front.symbolic import factor_symbolic, is_symbolic
from construct.methods.levels import factor_levels
from construct.methods.paper import factor_paper
from construct.methods.short import factor_short
from construct.methods.splits import factor_split
from proofs.checker import Limits, check_certificate

#: Limits for checking the builder's own certificates: its entries may be longer than a stranger's may
#: (``--arith mp --digits 100000`` writes numbers of 330000 digits and a tolerance near 1e-100000)
OWN_LIMITS = Limits(entry_chars=10**12, exponent=10**12, total_chars=10**15)

BUILDERS = {"short": factor_short, "paper": factor_paper, "levels": factor_levels}
METHODS = tuple(BUILDERS)
ARITHMETICS = ("exact", "float64", "mp")
DIGITS = 50  # significant digits of --arith mp unless --digits says otherwise
MAX_MP_DIGITS = 100_000  # the most --digits allows: a 2x2 matrix takes about 2 s
MODES = ("any", "positive")
def factor(T: DomainMatrix, method: str = "short", mode: str = "any", mask=None, seed: int = 0,
           arith: str = "exact", digits: int = DIGITS, split: int | None = None,
           max_relative_error: float = MAX_RELATIVE_ERROR):
    """Couplings whose product is ``T``, as a :class:`~construct.core.factorization.Factorization`.

    ``arith`` is ``exact``, ``float64`` or ``mp`` (mpmath at ``digits``
    significant digits); only the levels method runs in floating point.
    A float64 or mp factorization is checked by the independent checker
    against ``T`` (``verdict``, ``relative_residual``: an upper bound on
    ``max |product - T| / max |T|``); :class:`~construct.core.accuracy.AccuracyError`
    is raised, with the way out, when ``T`` is numerically singular at the
    working precision or the relative residual exceeds ``max_relative_error``
    (:mod:`construct.core.accuracy`). Exact factorizations are exact.

    ``split`` is the number ``p`` of coordinates lower couplings keep
    (default: the mask's, else ``floor(n/2)``); unequal splits go through
    :mod:`construct.methods.splits`, exactly, except with the levels method in
    float64 or mp (:func:`~construct.methods.levels.factor_split_levels`).
    ``mask`` is a mask name or a 0/1 list (1 = kept by a lower coupling);
    the factors are then couplings on that mask. ``T`` may be sparse or over
    ``ZZ``; it is normalised to a dense matrix over ``QQ`` first.

    >>> f = factor(from_rows([[0, 1, 0], [0, 0, 1], [1, 0, 0]]), split=1, mode="positive")
    >>> f.word.p, f.word.matrix() == f.matrix, f.count <= f.bound
    (1, True, True)
    """
    if is_symbolic(T):  # rational functions of symbols: their own checks and conditions
        return factor_symbolic(T, method, mode, mask, seed, arith, split)
    T = normalise(T)
    validate(T, mode, check_det=method != "levels")
    bits = mask_bits(mask, T.shape[0], split)
    p = sum(bits)
    order = [i for i in range(len(bits)) if bits[i]] + [i for i in range(len(bits)) if not bits[i]]
    if order == sorted(order):
        blocked = T
    else:
        rows = T.to_list()
        blocked = from_rows([[rows[i][j] for j in order] for i in order], T.domain)
    if method not in BUILDERS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if arith not in ARITHMETICS:
        raise InputError(f"unknown arithmetic {arith!r}; choose one of {', '.join(ARITHMETICS)}")
    if arith != "exact" and method != "levels":
        raise InputError(
            f"the {method} method is exact only (its similarities from cyclic bases are too ill-conditioned "
            f"for floating point); use --method levels with --arith {arith}"
        )
    if arith == "mp" and not (isinstance(digits, int) and 5 <= digits <= MAX_MP_DIGITS):
        raise InputError(f"--digits must be an integer from 5 to {MAX_MP_DIGITS}, got {digits}")
    if arith != "exact":
        if not max_relative_error > 0:
            raise InputError(f"--max-relative-error must be a number > 0, got {max_relative_error}")
        unit_roundoff = arithmetic(arith, digits).unit_roundoff
        condition = refuse_singular(T, arith, unit_roundoff, digits)

    def balanced(S):
        if method != "levels":
            return BUILDERS[method](S, mode, random.Random(seed))
        if arith != "exact" and S.shape != blocked.shape:  # the rest of an unequal split, after exact clearing
            refuse_singular(S, arith, unit_roundoff, digits, condition)
        try:
            return factor_levels(S, mode, random.Random(seed), arith, digits)
        except np.linalg.LinAlgError as e:  # an exactly zero pivot in floating point, which the estimate missed
            raise AccuracyError(f"the {arith} LU of the matrix factored failed ({e}), so it is numerically singular "
                                "at this precision; use --arith exact, or --arith mp with more --digits") from None

    # an unequal split in float64 or mp: levels of the split's sizes, whose shears stay bounded (the exact
    # clearing of construct/methods/splits.py rounds badly); where they fail, the clearing
    numeric_split = method == "levels" and arith != "exact" and 2 * p != len(bits)
    result = factor_levels(blocked, mode, random.Random(seed), arith, digits, p) if numeric_split else None
    if result is None:
        result = balanced(blocked) if 2 * p == len(bits) else factor_split(
            blocked, p, balanced, random.Random(seed), "LULUL" if method == "short" else None)
    result.matrix = T
    result.mask = None if order == sorted(order) else bits
    if arith != "exact":
        check_accuracy(result, max_relative_error)
    return result


def check_accuracy(result, max_relative_error: float) -> None:
    """Check a numeric factorization against its matrix with the independent checker; record the verdict and the
    relative residual, and raise :class:`AccuracyError` when it exceeds ``max_relative_error``."""
    T = result.matrix
    result.verdict = check_certificate(result.certificate(), matrix=T.to_list(), limits=OWN_LIMITS)
    if not result.verdict.ok:  # the builder's tolerance is an estimate: its product is further from T than it knew
        refuse_rejected(result.verdict.reasons[0], result.arith, result.digits)
    # capped so that a residual beyond float64 (refused anyway) is still a number
    result.relative_residual = float(min(result.verdict.relative_residual, fmpq(2) ** 1000))
    refuse_inaccurate(result.relative_residual, max_relative_error, result.arith, result.digits,
                      2 * result.word.p == result.word.n)


def normalise(T) -> DomainMatrix:
    """``T`` as a dense ``DomainMatrix`` over ``QQ`` (the builders' input); refuse other fields.

    >>> normalise(DomainMatrix.eye(2, ZZ).to_sparse()).rep.fmt, normalise(DomainMatrix.eye(2, ZZ)).domain
    ('dense', QQ)
    >>> normalise([[1, 2], [3, 4]])
    Traceback (most recent call last):
    ...
    construct.core.errors.InputError: expected a SymPy DomainMatrix over ZZ or QQ, got a list (use construct.core.matrices.from_rows)
    """
    if not isinstance(T, DomainMatrix):
        raise InputError(
            f"expected a SymPy DomainMatrix over ZZ or QQ, got a {type(T).__name__} (use construct.core.matrices.from_rows)"
        )
    if T.domain not in (ZZ, QQ):
        raise InputError(f"the matrix is over {T.domain}; only matrices over ZZ or QQ can be factored exactly")
    return T.convert_to(QQ).to_dense()


def validate(T: DomainMatrix, mode: str, check_det: bool = True) -> None:
    """Raise :class:`InputError` for what no construction here can factor.

    ``check_det=False`` leaves the sign of ``det T`` in positive mode to the
    builder (the levels method reads it off its pivots).
    """
    n, m = T.shape
    if n == 0:
        raise InputError("the matrix is empty")
    if n != m:
        raise InputError(f"the matrix is {n}x{m}, not square")
    if n == 1:
        raise InputError("the matrix is 1x1; a coupling needs at least 2 coordinates (one kept, one changed)")
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose 'any' or 'positive'")
    rank = n if full_rank_modular(T) else matrix_rank(T)
    if rank < n:
        raise InputError(f"the matrix is singular (rank {rank} of {n}), so it is not a product of couplings")
    if mode == "positive" and check_det:
        if T.to_dfm().rep.numer_denom()[0].det() < 0:  # T is over QQ (normalise)
            raise InputError(negative_det_message("det T < 0"))


def full_rank_modular(T: DomainMatrix) -> bool:
    """True if ``T`` is invertible modulo the prime ``2^61 - 1``, which proves it invertible over ``QQ``.

    False almost only for singular ``T`` (then the exact rank decides).
    """
    n = T.shape[0]
    num, den = T.to_dfm().rep.numer_denom()
    p = (1 << 61) - 1
    if int(den) % p == 0:
        return False
    return flint.nmod_mat(num, p).rank() == n


