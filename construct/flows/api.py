"""One call from an array: :func:`factor_array` factors a NumPy matrix, :func:`to_module` turns it into a checked flow.

Both build on :func:`construct.front.factor.factor` (the factorization and
its independent check) and :mod:`construct.front.export` (the flows and
their check against ``T``). The defaults suit floats: the levels method in
float64, whose factors are well conditioned; exact methods only when asked
(``method="short"``, ``arith="exact"``).

>>> import numpy as np
>>> T = np.array([[2.0, 1.0, 0.0, 0.5], [1.0, 3.0, 1.0, 0.0], [0.0, 1.0, 4.0, 1.0], [0.5, 0.0, 1.0, 5.0]])
>>> f = factor_array(T)
>>> f.count, f.split, [kind for kind, _, _ in f.factors][:3]
(9, 2, ['lower', 'upper', 'lower'])
>>> bool(np.allclose(f.product(), T, rtol=0, atol=1e-14)), f.relative_residual < 1e-14
(True, True)
>>> f.conditioning["max_cond"] < 100, f.certificate()["claims"]["method"]
(True, 'levels')

:func:`to_module` returns an ``nn.Module`` computing ``(T x + bias, log|det T|)``,
checked against ``T`` in float64 before it is returned:

>>> import torch
>>> flow = to_module(T, bias=[1.0, 0.0, 0.0, -1.0], dtype=torch.float64)
>>> y, log_det = flow(torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=torch.float64))
>>> bool(torch.allclose(y, torch.tensor([[3.0, 1.0, 0.0, -0.5]], dtype=torch.float64), rtol=0, atol=1e-14))
True
>>> abs(log_det.item() - float(np.log(np.linalg.det(T)))) < 1e-14
True

:func:`save_flow` writes a flow (native, zuko or FrEIA, trained or not) as
tensors and plain values, no pickled classes; :func:`load_flow` reads it back
(``torch.load(path, weights_only=True)``) and rebuilds the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from construct.core.accuracy import MAX_RELATIVE_ERROR
from construct.core.conditioning import conditioning, float_factors
from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.masks import mask_order
from construct.front.export import (LIBRARIES, FloatWord, check_flow, checked_word, float_rows, library_flow,
                                    load_flow, read_certificate, refuse_deviating_flow, save_flow)
from construct.front.factor import factor
from construct.front.parse import matrix_from_array

__all__ = ["factor_array", "to_module", "ArrayFactorization", "save_flow", "load_flow"]


@dataclass
class ArrayFactorization:
    """``T`` as couplings in float64: ``T = P^T F_1 ... F_k P`` with ``P`` the mask's reordering ``x -> x[order]``.

    ``matrix`` is ``T`` in float64; ``factors`` are ``(kind, shear, scale)``
    NumPy arrays in product order (``F_k`` acts first); ``conditioning`` (each factor's condition number and
    largest entry, the backward error) is computed on first use and
    :meth:`certificate` (the JSON certificate ``couplings verify`` checks) on demand.
    """

    matrix: np.ndarray
    n: int
    split: int
    order: list
    factors: list
    count: int
    bound: int
    method: str
    mode: str
    arith: str
    relative_residual: float | None
    result: Factorization = field(repr=False)

    @cached_property
    def conditioning(self) -> dict:
        return conditioning(self.result)

    def certificate(self) -> dict:
        return self.result.certificate()

    def product(self) -> np.ndarray:
        """``F_1 ... F_k`` in float64, in the input's coordinates (``T`` up to rounding)."""
        return self.word().matrix()

    def word(self) -> FloatWord:
        return FloatWord.of(self.n, self.split, self.order, self.factors)


def factor_array(T, method: str = "levels", arith: str = "float64", mode: str = "any", split: int | None = None,
                 mask=None, seed: int = 0, max_relative_error: float = MAX_RELATIVE_ERROR) -> ArrayFactorization:
    """Couplings whose product is ``T`` (a square array of real numbers, or a CPU tensor), each float read exactly.

    The options are those of ``couplings factor`` (:func:`construct.front.factor.factor`);
    its refusals are raised: :class:`~construct.core.errors.InputError` for
    input no method can factor (singular, not square, not finite),
    :class:`~construct.core.accuracy.AccuracyError` for a float64 answer that
    could be wrong.
    """
    T = _as_array(T)
    result = factor(matrix_from_array(T), method=method, mode=mode, mask=mask, seed=seed, arith=arith,
                    split=split, max_relative_error=max_relative_error)
    n, p = result.word.n, result.word.p
    return ArrayFactorization(T.astype(np.float64), n, p, mask_order(result.mask) if result.mask else list(range(n)),
                              float_factors(result.word), result.count, result.bound, result.method, result.mode,
                              result.arith, result.relative_residual, result)


def to_module(source, library: str = "torch", bias=None, dtype=None, device=None, **options):
    """A float flow ``nn.Module`` computing ``x -> T x + bias`` and ``log|det T|``, checked against ``T`` first.

    ``source`` is a matrix (factored by :func:`factor_array` with ``options``),
    an :class:`ArrayFactorization`, or a certificate (a dict or a JSON path;
    the independent checker must accept it). ``library`` is "torch" (the
    native :class:`~construct.flows.module.LinearCouplingFlow`), "zuko" or
    "freia" (negative scales moved into one fixed sign flip, as
    ``--sign-layer`` does); with ``bias`` every coupling of any of them has a
    trainable bias, the last two to act holding the given one. The flow is built in float64 and run
    on random batches against ``x @ T.T + bias``; a deviation above
    :data:`~construct.front.export.CHECK_TOLERANCE` raises
    :class:`~construct.core.accuracy.AccuracyError` and nothing is returned.
    Then it is cast to ``dtype`` (default ``torch.float32``) and moved to ``device``.
    """
    if library not in LIBRARIES:
        raise InputError(f"unknown library {library!r}; choose one of {', '.join(LIBRARIES)}")
    word, T = _word_and_matrix(source, options)
    n = word.n
    if bias is not None:
        bias = np.asarray(_as_array(bias), dtype=np.float64).reshape(-1)
        if bias.shape != (n,) or not np.isfinite(bias).all():
            raise InputError(f"the bias must be {n} finite numbers, got shape {bias.shape}")
    flow = library_flow(word, library, sign_layer=True, bias=bias)
    refuse_deviating_flow(check_flow(flow, T, bias=bias))
    import torch  # the flow exists, so torch does

    return flow.to(device=device, dtype=torch.float32 if dtype is None else dtype)


def _word_and_matrix(source, options):
    """The float64 factors to build and the float64 ``T`` to check them against."""
    if isinstance(source, (dict, str, Path)):
        if options:
            raise InputError(f"a certificate is already factored; {', '.join(options)} cannot apply to it")
        cert = source if isinstance(source, dict) else read_certificate(source)
        return checked_word(cert), float_rows(cert["matrix"], "an entry of the matrix")
    if not isinstance(source, ArrayFactorization):
        source = factor_array(source, **options)
    return source.word(), source.matrix


def _as_array(x) -> np.ndarray:
    """A NumPy array of ``x``, which may be a torch tensor (any device, with or without grad)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)
