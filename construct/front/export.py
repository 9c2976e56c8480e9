"""Export a certificate to a flow one can run: a zuko or FrEIA flow in float64 whose forward map is ``x -> T x``.

The flow's forward direction maps data to latent, as in both libraries, so a
flow exported from a whitening matrix ``W`` maps data to white noise and its
``log_prob`` is the Gaussian density of the data. Rows of a batch are points:
the forward map sends ``x`` to ``x @ T.T``, the log-determinant is
``log|det T|`` for every row, and the inverse undoes it.

The certificate is checked first (:mod:`proofs.checker`) and then read in
float64 (each exact number rounded once, to nearest). It claims
``F_1 F_2 ... F_k = M'`` with ``M'`` the matrix reordered by its mask
(``docs/certificate.md``), so the flow applies ``F_k`` first and ``F_1`` last.

* **zuko** (``zuko.flows.Flow`` of ``GeneralCouplingTransform``): a coupling's
  hyper-network is one linear layer whose outputs are, per changed coordinate,
  the shift (the shear row applied to the kept coordinates) and the constant
  scale; ``univariate=AffineTransform`` is exact and takes negative scales.
  zuko's mask marks the kept coordinates of each coupling in the input's own
  order, so the certificate's mask maps to it directly (lower couplings keep
  the mask-1 coordinates, upper ones the mask-0 ones) and odd ``n`` works.
* **FrEIA** (``FrEIA.framework.SequenceINN``): an upper coupling followed by a
  lower one is a ``GLOWCouplingBlock``, a lone lower one an
  ``AffineCouplingOneSided``, a lone upper one a GLOW block whose lower half is
  the identity; ``clamp=1`` with an identity clamp activation makes the
  sub-network's first outputs the log-scales exactly. FrEIA keeps the first
  ``split`` coordinates, so a mask becomes a fixed permutation
  (``FixedLinearTransform``) at each end. Its scales are ``exp(...) > 0``:
  negative scales are refused unless ``sign_layer`` moves their signs into
  one fixed sign flip at the input (see :func:`move_signs`).

torch, zuko and FrEIA are imported only when a flow is built (the ``torch``
extra: ``pip install -e ".[torch]"``); reading and rearranging the factors
needs NumPy only.

>>> cert = {"format": "couplings.certificate/1", "n": 2, "split": 1, "mode": "any",
...         "matrix": [["1", "0"], ["3", "-2"]],
...         "factors": [{"kind": "lower", "shear": [["3"]], "scale": ["-2"]}],
...         "claims": {"method": "hand", "count": 1, "bound": 1}}
>>> w = read_float_word(cert)
>>> w.order, [(kind, shear.tolist(), scale.tolist()) for kind, shear, scale in w.factors]
([0, 1], [('lower', [[3.0]], [-2.0])])
>>> first_negative_scale(w)
'factor F1 (lower) has a negative scale (scale entry 1 = -2)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from construct.core.accuracy import AccuracyError
from construct.core.errors import InputError
from construct.core.masks import mask_order
from construct.core.numeric import exact_decimal
from construct.front.parse import parse_number
from proofs.checker import certificate_number, check_certificate, read_certificate

LIBRARIES = ("zuko", "freia")
INSTALL_HINT = 'pip install -e ".[torch]"'
#: ``check_flow`` fails when a relative deviation exceeds this (float64 flows of well-conditioned factors: ~1e-15)
CHECK_TOLERANCE = 1e-8


class ExportError(InputError):
    """A certificate that cannot be exported as asked (the CLI exits 2); the message is one sentence."""


class CertificateRejected(Exception):
    """The checker does not accept the certificate (the CLI exits 1); the message is the checker's first reason."""


@dataclass(frozen=True)
class FloatWord:
    """A certificate's factors in float64.

    ``T x`` is computed as: ``z = x[order]``, times ``diag(signs)`` (if any),
    then ``factors[-1]``, ..., ``factors[0]`` applied to ``z`` (each a tuple
    ``(kind, shear, scale)`` of the certificate's format), then ``y[order] = z``.
    """

    n: int
    split: int
    order: list
    factors: list
    signs: np.ndarray | None = None


def _float(s: str, what: str) -> float:
    """The float64 nearest to an exact number string (checked already), or ExportError if out of range."""
    try:
        x = float.fromhex(s) if "x" in s else float(s) if "/" not in s else float(parse_number(s, max_digits=None))
    except OverflowError:
        x = math.inf
    if math.isinf(x):
        raise ExportError(f"{what} is beyond the float64 range, so the factors cannot run in float64 "
                          "(factor with --method levels, whose entries are as short as those of T^-1)")
    return x


def _floats(rows, what: str) -> np.ndarray:
    return np.array([[_float(s, what) for s in row] for row in rows], dtype=np.float64).reshape(len(rows), -1)


def read_float_word(cert) -> FloatWord:
    """The factors of a certificate (a dict, already checked) in float64.

    Raises ExportError when an entry overflows float64 or a scale rounds to 0.
    A certificate of zero factors gets one identity coupling (both libraries
    need at least one layer).
    """
    n, p = cert["n"], cert["split"]
    factors = []
    for i, f in enumerate(cert["factors"], 1):  # F1, F2, ... as the factor table labels them
        label = f"an entry of factor F{i} ({f['kind']})"
        scale = _floats([f["scale"]], label)[0]
        if not scale.all():
            j = int(np.flatnonzero(scale == 0)[0])
            raise ExportError(f"factor F{i} ({f['kind']}): scale entry {j + 1} = {f['scale'][j]} rounds to 0 in float64")
        factors.append((f["kind"], _floats(f["shear"], label), scale))
    if not factors:
        factors = [_identity(n, p)]
    order = mask_order(cert["mask"]) if "mask" in cert else list(range(n))
    return FloatWord(n, p, order, factors)


def _identity(n: int, p: int):
    """The identity as a lower coupling (kind, shear, scale)."""
    return "lower", np.zeros((n - p, p)), np.ones(n - p)


def first_negative_scale(word: FloatWord) -> str | None:
    """Which factor has a negative scale, as a phrase, or None if all scales are positive."""
    for i, (kind, _, scale) in enumerate(word.factors, 1):
        if (scale < 0).any():
            j = int(np.flatnonzero(scale < 0)[0])
            return f"factor F{i} ({kind}) has a negative scale (scale entry {j + 1} = {scale[j]:g})"
    return None


def move_signs(word: FloatWord) -> FloatWord:
    """The same map with positive scales and one sign flip ``diag(signs)`` applied first.

    A coupling is its positive-scaled version times the flip of its scales'
    signs, ``L(S, s) = L(S, |s|) diag(I, sign s)``, and a flip ``E`` passes
    through a coupling by flipping shear entries:
    ``E L(S, s) = L(E_2 S E_1, s) E`` (``E = diag(E_1, E_2)``, ``E^2 = I``).
    So the signs gather, from left to right, at the end that acts first.

    >>> w = FloatWord(2, 1, [0, 1], [("upper", np.array([[5.0]]), np.array([-1.0])),
    ...                              ("lower", np.array([[3.0]]), np.array([2.0]))])
    >>> m = move_signs(w)
    >>> [(k, S.tolist(), s.tolist()) for k, S, s in m.factors], m.signs.tolist()
    ([('upper', [[5.0]], [1.0]), ('lower', [[-3.0]], [2.0])], [-1.0, 1.0])
    """
    n, p = word.n, word.split
    signs = np.ones(n) if word.signs is None else word.signs.copy()
    factors = []
    for kind, shear, scale in word.factors:
        changed, kept = (slice(p, n), slice(0, p)) if kind == "lower" else (slice(0, p), slice(p, n))
        factors.append((kind, signs[changed, None] * shear * signs[None, kept], np.abs(scale)))
        signs[changed] *= np.sign(scale)
    return replace(word, factors=factors, signs=signs)


# ---------------------------------------------------------------- torch


def _import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        raise ExportError(f"exporting a flow needs PyTorch, zuko and FrEIA, and {name.split('.')[0]} is not "
                          f"installed: {INSTALL_HINT}") from None


def _linear(weight: np.ndarray, bias: np.ndarray):
    """A float64 ``torch.nn.Linear`` computing ``x @ weight.T + bias``."""
    torch = _import("torch")
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(bias))
    return layer


def _blocks(kind: str, p: int, n: int):
    """(changed, kept) coordinates of the couplings' frame for a factor of this kind."""
    return (range(p, n), range(p)) if kind == "lower" else (range(p), range(p, n))


def to_zuko(word: FloatWord):
    """A ``zuko.flows.Flow`` (float64, standard normal base) whose ``flow().transform`` is ``x -> T x``."""
    torch, zuko = _import("torch"), _import("zuko")
    n, p = word.n, word.split
    transforms = []
    for kind, shear, scale in reversed(word.factors):
        changed, kept = _blocks(kind, p, n)
        mask = torch.zeros(n, dtype=torch.bool)
        mask[[word.order[a] for a in kept]] = True
        q = len(changed)
        weight, bias = np.zeros((2 * q, len(kept))), np.zeros(2 * q)
        weight[0::2], bias[1::2] = shear, scale  # per changed coordinate: (shift, scale), interleaved
        t = zuko.flows.GeneralCouplingTransform(n, mask=mask, hidden_features=(),
                                                univariate=torch.distributions.AffineTransform)
        t.hyper[0] = _linear(weight, bias)
        transforms.append(t)
    base = zuko.flows.UnconditionalDistribution(zuko.distributions.DiagNormal, torch.zeros(n, dtype=torch.float64),
                                                torch.ones(n, dtype=torch.float64), buffer=True)
    return zuko.flows.Flow(transforms, base).double()


def to_freia(word: FloatWord):
    """A ``FrEIA.framework.SequenceINN`` (float64): ``inn(x)`` is ``(T x, log|det T|)``; positive scales only."""
    torch, Ff, Fm = _import("torch"), _import("FrEIA.framework"), _import("FrEIA.modules")
    n, p = word.n, word.split
    inn = Ff.SequenceINN(n)
    if word.order != list(range(n)) or word.signs is not None:
        signs = np.ones(n) if word.signs is None else word.signs
        into = np.zeros((n, n))
        into[range(n), word.order] = signs
        inn.append(Fm.FixedLinearTransform, M=torch.from_numpy(into))
    exact = dict(clamp=1.0, clamp_activation=torch.nn.Identity(), split_len=p)  # sub-network output = log-scale

    def half(kind, shear, scale):  # a sub-network's outputs: log-scales, then shifts
        return _linear(np.vstack([np.zeros_like(shear), shear]), np.concatenate([np.log(scale), np.zeros_like(scale)]))

    acting = list(reversed(word.factors))  # in the order they act
    while acting:
        first = acting.pop(0)
        if first[0] == "lower":
            net = half(*first)
            inn.append(Fm.AffineCouplingOneSided, subnet_constructor=lambda i, o: net, **exact)
            continue
        then = acting.pop(0) if acting and acting[0][0] == "lower" else _identity(n, p)
        nets = iter([half(*then), half(*first)])  # GLOW builds subnet1 (the lower half), then subnet2
        inn.append(Fm.GLOWCouplingBlock, subnet_constructor=lambda i, o: next(nets), **exact)
    if word.order != list(range(n)):
        back = np.zeros((n, n))
        back[word.order, range(n)] = 1.0
        inn.append(Fm.FixedLinearTransform, M=torch.from_numpy(back))
    return inn.double()


def export_flow(cert, to: str, *, sign_layer: bool = False):
    """The flow of a certificate (a dict or a path) for library ``to`` ("zuko" or "freia").

    The certificate is checked first (CertificateRejected if the checker does
    not accept it). ``sign_layer`` (FrEIA): move negative scales' signs into
    one fixed sign flip at the input instead of refusing them.
    """
    if to not in LIBRARIES:
        raise ExportError(f"unknown library {to!r}; choose one of {', '.join(LIBRARIES)}")
    _import("torch"), _import("zuko" if to == "zuko" else "FrEIA")  # before the (possibly long) check
    if not isinstance(cert, dict):
        cert = read_certificate(cert)
    verdict = check_certificate(cert)
    if not verdict.ok:
        raise CertificateRejected(verdict.reasons[0])
    if "symbols" in cert:
        raise ExportError("the certificate has symbolic entries; a flow needs numbers (factor a numeric matrix)")
    word = read_float_word(cert)
    refuse_inaccurate_flow(cert, word)
    if to == "zuko":
        return to_zuko(word)
    negative = first_negative_scale(word)
    if negative and not sign_layer:
        det = np.linalg.slogdet(_floats(cert["matrix"], "an entry of the matrix"))[0]
        fix = ": factor the matrix with --mode positive, or" if det > 0 else \
            " and det T < 0 rules out --mode positive:"
        raise ExportError(f"{negative}, but FrEIA's couplings have positive scales only{fix} export with "
                          "--sign-layer (one fixed sign flip at the input, a FrEIA FixedLinearTransform)")
    return to_freia(move_signs(word) if negative else word)


def refuse_inaccurate_flow(cert, word: FloatWord) -> None:
    """Raise :class:`~construct.core.accuracy.AccuracyError` (the CLI exits 1) when the factors rounded to float64, as
    the flow holds them, multiply to ``T`` only within more than ``CHECK_TOLERANCE max |T|`` in some entry.

    The independent checker decides it rigorously, on a certificate of the
    rounded factors claiming that tolerance: a flow is never written from
    factors that are not ``T`` in float64 (long exact entries, or a float
    certificate with a large tolerance).
    """
    largest = max(abs(certificate_number(x)) for row in cert["matrix"] for x in row)
    allowed = Fraction(CHECK_TOLERANCE) * Fraction(int(largest.p), int(largest.q))
    rounded = {
        "format": cert["format"], "n": cert["n"], "split": cert["split"], "mode": "any", "matrix": cert["matrix"],
        "factors": [{"kind": kind, "shear": [[exact_decimal(x) for x in row] for row in shear.tolist()],
                     "scale": [exact_decimal(x) for x in scale.tolist()]} for kind, shear, scale in word.factors],
        "claims": {"method": "float64 flow", "count": len(word.factors), "bound": len(word.factors),
                   "tolerance": f"{allowed.numerator}/{allowed.denominator}"},
        **({"mask": cert["mask"]} if "mask" in cert else {}),
    }
    verdict = check_certificate(rounded)
    if not verdict.ok:
        raise AccuracyError(f"the certificate's factors rounded to float64, as a flow holds them, multiply to T only "
                            f"within more than {CHECK_TOLERANCE:g} max |T| ({verdict.reasons[0].split('; ')[-1]}), "
                            "so the flow would not be T; factor with --method levels (exact or float64), whose "
                            "factors are well conditioned")


def save_flow(flow, path: str) -> None:
    """Write the flow with ``torch.save``; ``torch.load(path, weights_only=False)`` returns it."""
    torch = _import("torch")
    try:
        with open(path, "wb") as fh:  # so that a bad path is an OSError (torch.save raises RuntimeError)
            torch.save(flow, fh)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from None


def run_flow(flow, x):
    """``(y, log|det|, inverse of y)`` of a zuko or FrEIA flow on a float64 batch ``x`` (rows are points)."""
    if hasattr(flow, "module_list"):  # FrEIA SequenceINN
        y, ladj = flow(x)
        back, _ = flow(y, rev=True)
        return y, ladj, back
    transform = flow().transform
    y = transform(x)
    return y, transform.log_abs_det_jacobian(x, y), transform.inv(y)


def check_flow(flow, matrix, *, batches: int = 4, size: int = 256, seed: int = 0) -> dict:
    """The largest deviations of the flow from ``T`` on random standard normal float64 batches.

    ``forward``: max |flow(x) - x T^T| / max |x T^T|; ``log_det``:
    max |log-det - log|det T|| / max(1, |log|det T||); ``inverse``:
    max |flow^-1(flow(x)) - x| / max |x|. ``T`` (a list of rows of exact
    number strings, the certificate's ``matrix``) is rounded to float64 and
    multiplied in float64, independently of the flow.
    """
    torch = _import("torch")
    T = torch.from_numpy(_floats(matrix, "an entry of the matrix"))
    log_det = torch.linalg.slogdet(T)[1]
    generator = torch.Generator().manual_seed(seed)
    worst = dict(forward=0.0, log_det=0.0, inverse=0.0)
    with torch.no_grad():
        for _ in range(batches):
            x = torch.randn(size, T.shape[0], dtype=torch.float64, generator=generator)
            y, ladj, back = run_flow(flow, x)
            ref = x @ T.T
            found = dict(forward=(y - ref).abs().max() / ref.abs().max(),
                         log_det=(ladj - log_det).abs().max() / max(1.0, log_det.abs().item()),
                         inverse=(back - x).abs().max() / x.abs().max())
            worst = {k: max(worst[k], float(v)) for k, v in found.items()}
    return worst
