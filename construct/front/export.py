"""Export a certificate to a flow one can run: a native, zuko or FrEIA flow in float64 whose forward map is ``x -> T x``.

The flow's forward direction maps data to latent, as in both libraries, so a
flow exported from a whitening matrix ``W`` maps data to white noise and its
``log_prob`` is the Gaussian density of the data. Rows of a batch are points:
the forward map sends ``x`` to ``x @ T.T``, the log-determinant is
``log|det T|`` for every row, and the inverse undoes it.

The certificate is checked first (:mod:`proofs.checker`) and then read in
float64 (each exact number rounded once, to nearest). It claims
``F_1 F_2 ... F_k = M'`` with ``M'`` the matrix reordered by its mask
(``docs/certificate.md``), so the flow applies ``F_k`` first and ``F_1`` last.

* **torch**: the native :class:`~construct.flows.module.LinearCouplingFlow`,
  which holds the factors as they are (shears, log-scales, signs as buffers);
  it is saved as its ``state_dict`` of tensors.
Both library exports are trainable: every coupling's conditioner is a
:class:`~construct.flows.module.ShearAndLogScale` holding exactly its shear
and one scale parameter per changed coordinate (no weights that would make
the scale depend on the data, so scale and shear freeze separately), and
every scale is an exponential, positive, with the signs moved once into a
fixed sign flip at the input (:func:`move_signs`).

* **zuko** (``zuko.flows.Flow`` of ``GeneralCouplingTransform``): the
  conditioner's outputs are, per changed coordinate, the shift (the shear row
  applied to the kept coordinates) and the scale parameter ``a`` of zuko's
  ``MonotonicAffineTransform``, whose scale ``exp(a / (1 + |a| / bound))`` is
  softly bounded; ``a`` is chosen so that it is the factor's scale
  (:func:`zuko_scale_parameter`). zuko's mask marks the kept coordinates of
  each coupling in the input's own order, so the certificate's mask maps to
  it directly (lower couplings keep the mask-1 coordinates, upper ones the
  mask-0 ones) and odd ``n`` works. Signs: an ``AffineTransform`` with scales
  ``±1`` in front.
* **FrEIA** (``FrEIA.framework.SequenceINN``): an upper coupling followed by a
  lower one is a ``GLOWCouplingBlock``, a lone lower one an
  ``AffineCouplingOneSided``, a lone upper one a GLOW block whose lower half is
  the identity; ``clamp=1`` with an identity clamp activation makes the
  conditioner's first outputs the log-scales exactly. FrEIA keeps the first
  ``split`` coordinates, so a mask becomes a fixed permutation
  (``FixedLinearTransform``) at each end. Negative scales are refused unless
  ``sign_layer`` moves their signs into the first of these (or one of its own).

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
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from construct.core.accuracy import AccuracyError
from construct.core.arith import Float64
from construct.core.couplings import Word
from construct.core.errors import InputError
from construct.core.masks import mask_order
from construct.core.factorization import FORMAT_2, hex_number
from construct.front.parse import parse_number
from proofs.checker import certificate_number, check_certificate, read_certificate

LIBRARIES = ("torch", "zuko", "freia")
INSTALL_HINT = 'pip install -e ".[torch]"'
#: ``check_flow`` fails when a relative deviation exceeds this (float64 flows of well-conditioned factors: ~1e-15)
CHECK_TOLERANCE = 1e-8


class ExportError(InputError):
    """A certificate that cannot be exported as asked (the CLI exits 2); the message is one sentence."""


class CertificateRejected(Exception):
    """The checker does not accept the certificate (the CLI exits 1); the message is the checker's first reason."""


@dataclass(frozen=True)
class FloatWord:
    """A certificate's map in float64: its couplings, a :class:`~construct.core.couplings.Word` in float64, in
    the frame of its mask, after an optional sign flip.

    ``T x`` is computed as: ``z = x[order]``, times ``diag(signs)`` (if any),
    then the word's factors ``F_k``, ..., ``F_1`` applied to ``z``, then
    ``y[order] = z``.
    """

    word: Word
    order: list
    signs: np.ndarray | None = None

    @classmethod
    def of(cls, n: int, split: int, order: list, factors, signs=None) -> "FloatWord":
        """From ``(kind, shear, scale)`` factors in float64, one coupling each (:meth:`Word.as_written`)."""
        return cls(Word.as_written(n, split, factors, Float64()), list(order), signs)

    @property
    def n(self) -> int:
        return self.word.n

    @property
    def split(self) -> int:
        return self.word.p

    @property
    def factors(self) -> list:
        """``(kind, shear, scale)`` per coupling, ``F_1`` first; every scale a float64 array."""
        return [(kind, shear, np.asarray(scale, dtype=np.float64)) for kind, shear, scale in self.word]

    def matrix(self) -> np.ndarray:
        """``T`` in the input's coordinates, multiplied out in float64."""
        signs = np.ones(self.n) if self.signs is None else self.signs
        blocked = self.word.apply(np.diag(signs))
        T = np.empty_like(blocked)
        T[np.ix_(self.order, self.order)] = blocked
        return T


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


def float_rows(rows, what: str) -> np.ndarray:
    """Rows of exact number strings as a float64 array, each entry rounded once (ExportError beyond float64)."""
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
        scale = float_rows([f["scale"]], label)[0]
        if not scale.all():
            j = int(np.flatnonzero(scale == 0)[0])
            raise ExportError(f"factor F{i} ({f['kind']}): scale entry {j + 1} = {f['scale'][j]} rounds to 0 in float64")
        factors.append((f["kind"], float_rows(f["shear"], label), scale))
    if not factors:
        factors = [_identity(n, p)]
    order = mask_order(cert["mask"]) if "mask" in cert else list(range(n))
    return FloatWord.of(n, p, order, factors)


def _identity(n: int, p: int, kind: str = "lower"):
    """The identity as a coupling (kind, shear, scale)."""
    changed, kept = (n - p, p) if kind == "lower" else (p, n - p)
    return kind, np.zeros((changed, kept)), np.ones(changed)


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

    >>> w = FloatWord.of(2, 1, [0, 1], [("upper", np.array([[5.0]]), np.array([-1.0])),
    ...                                 ("lower", np.array([[3.0]]), np.array([2.0]))])
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
    return FloatWord.of(n, p, word.order, factors, signs)


# ---------------------------------------------------------------- torch


def _import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        raise ExportError(f"exporting a flow needs PyTorch, zuko and FrEIA, and {name.split('.')[0]} is not "
                          f"installed: {INSTALL_HINT}") from None


def _conditioner(shear: np.ndarray, log_scale: np.ndarray, interleaved: bool, bias=None):
    """A float64 :class:`~construct.flows.module.ShearAndLogScale`: the coupling's shear and log-scale parameters
    (and its bias, if given)."""
    torch = _import("torch")
    from construct.flows.module import ShearAndLogScale  # imports torch: only when a flow is built

    return ShearAndLogScale(torch.from_numpy(shear).double(), torch.from_numpy(log_scale).double(), interleaved,
                            None if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float64)))


def _biased(word: FloatWord, bias):
    """``(word, biases)``: per factor, the bias of the coordinates it changes (None without a ``bias``) so that the
    couplings' map is ``T x + bias`` (:func:`~construct.flows.module.biased_factors`; the word may gain an
    identity coupling). A sign flip acts first, so it leaves the biases as they are."""
    if bias is None:
        return word, [None] * len(word.factors)
    from construct.flows.module import biased_factors  # imports torch: only when a flow is built

    factors, biases = biased_factors(word.factors, word.n, word.split, np.asarray(bias, dtype=np.float64)[word.order])
    return FloatWord.of(word.n, word.split, word.order, factors, word.signs), biases


def zuko_scale_parameter(log_scale: np.ndarray, bound: float) -> np.ndarray:
    """The parameter ``a`` whose zuko ``MonotonicAffineTransform`` log-scale ``a / (1 + |a| / bound)`` is ``log_scale``.

    ``bound = -log(slope)`` must exceed every ``|log_scale|``.

    >>> a = zuko_scale_parameter(np.array([-1.0, 0.5]), 4.0)
    >>> (a / (1 + abs(a) / 4.0)).tolist()
    [-1.0, 0.5]
    """
    return log_scale / (1 - np.abs(log_scale) / bound)


def _blocks(kind: str, p: int, n: int):
    """(changed, kept) coordinates of the couplings' frame for a factor of this kind."""
    return (range(p, n), range(p)) if kind == "lower" else (range(p), range(p, n))


def _structure(library: str, word: FloatWord, **more) -> dict:
    """What, beside its ``state_dict``, rebuilds a library flow (:func:`load_flow`): plain values only."""
    return {"library": library, "n": word.n, "split": word.split, "order": list(word.order),
            "kinds": [kind for kind, _, _ in word.factors], "signs": word.signs is not None, **more}


def _skeleton(structure: dict) -> FloatWord:
    """A word of the structure's shape (zero shears, unit scales, unit signs), for a state_dict to fill."""
    n, p = structure["n"], structure["split"]
    factors = [_identity(n, p, kind) for kind in structure["kinds"]]
    return FloatWord.of(n, p, structure["order"], factors, np.ones(n) if structure["signs"] else None)


def to_zuko(word: FloatWord, bound: float | None = None, bias=None):
    """A ``zuko.flows.Flow`` (float64, standard normal base) whose ``flow().transform`` is ``x -> T x``.

    Each coupling is a ``GeneralCouplingTransform`` with zuko's
    ``MonotonicAffineTransform`` (scale ``exp(a / (1 + |a| / bound))``, positive,
    softly bounded by ``exp(±bound)``; ``bound`` is zuko's default ``log 1000``
    or twice the largest ``|log scale|``, unless given) and a :class:`ShearAndLogScale`
    conditioner; negative scales' signs are moved into one fixed sign flip at
    the input (an ``UnconditionalTransform`` of an ``AffineTransform``). ``bias``: ``x -> T x + bias``, with a
    trainable bias in every coupling's conditioner.
    """
    torch, zuko = _import("torch"), _import("zuko")
    from functools import partial

    n, p = word.n, word.split
    word = move_signs(word) if first_negative_scale(word) else word
    word, biases = _biased(word, bias)
    if bound is None:
        bound = max(math.log(1000), 2 * max(np.abs(np.log(scale)).max() for _, _, scale in word.factors))
    univariate = partial(zuko.transforms.MonotonicAffineTransform, slope=math.exp(-bound))
    transforms = []
    if word.signs is not None:
        signs = np.empty(n)
        signs[word.order] = word.signs  # the flip acts before the couplings, in the input's own order
        transforms.append(zuko.flows.UnconditionalTransform(torch.distributions.AffineTransform, torch.zeros(n),
                                                            torch.from_numpy(signs), buffer=True))
    for (kind, shear, scale), b in zip(reversed(word.factors), reversed(biases)):
        changed, kept = _blocks(kind, p, n)
        mask = torch.zeros(n, dtype=torch.bool)
        mask[[word.order[a] for a in kept]] = True
        t = zuko.flows.GeneralCouplingTransform(n, mask=mask, hidden_features=(), univariate=univariate)
        t.hyper = _conditioner(shear, zuko_scale_parameter(np.log(scale), bound), interleaved=True, bias=b)
        transforms.append(t)
    base = zuko.flows.UnconditionalDistribution(zuko.distributions.DiagNormal, torch.zeros(n, dtype=torch.float64),
                                                torch.ones(n, dtype=torch.float64), buffer=True)
    flow = zuko.flows.Flow(transforms, base).double()
    flow.couplings_structure = _structure("zuko", word, bound=bound, bias=bias is not None)
    return flow


def to_native(word: FloatWord, bias=None):
    """The native :class:`~construct.flows.module.LinearCouplingFlow` (float64) of ``x -> T x + bias``."""
    torch = _import("torch")
    from construct.flows.module import LinearCouplingFlow  # imports torch: only when a flow is built

    assert word.signs is None, "the native module keeps each scale's sign itself"
    return LinearCouplingFlow.from_factors(word.factors, word.n, word.split, word.order, bias, dtype=torch.float64)


def to_freia(word: FloatWord, bias=None):
    """A ``FrEIA.framework.SequenceINN`` (float64): ``inn(x)`` is ``(T x + bias, log|det T|)``, with a trainable
    bias in every coupling's conditioner if ``bias`` is given; positive scales only."""
    torch, Ff, Fm = _import("torch"), _import("FrEIA.framework"), _import("FrEIA.modules")
    n, p = word.n, word.split
    word, biases = _biased(word, bias)
    inn = Ff.SequenceINN(n)
    if word.order != list(range(n)) or word.signs is not None:
        signs = np.ones(n) if word.signs is None else word.signs
        into = np.zeros((n, n))
        into[range(n), word.order] = signs
        inn.append(Fm.FixedLinearTransform, M=torch.from_numpy(into))
    exact = dict(clamp=1.0, clamp_activation=torch.nn.Identity(), split_len=p)  # sub-network output = log-scale

    def half(kind, shear, scale, b):  # a sub-network's outputs: log-scales, then shifts
        return _conditioner(shear, np.log(scale), interleaved=False, bias=b)

    acting = [(*f, b) for f, b in zip(reversed(word.factors), reversed(biases))]  # in the order they act
    while acting:
        first = acting.pop(0)
        if first[0] == "lower":
            net = half(*first)
            inn.append(Fm.AffineCouplingOneSided, subnet_constructor=lambda i, o: net, **exact)
            continue
        then = acting.pop(0) if acting and acting[0][0] == "lower" else \
            (*_identity(n, p), None if bias is None else np.zeros(n - p))
        nets = iter([half(*then), half(*first)])  # GLOW builds subnet1 (the lower half), then subnet2
        inn.append(Fm.GLOWCouplingBlock, subnet_constructor=lambda i, o: next(nets), **exact)
    if word.order != list(range(n)):
        back = np.zeros((n, n))
        back[word.order, range(n)] = 1.0
        inn.append(Fm.FixedLinearTransform, M=torch.from_numpy(back))
    inn.couplings_structure = _structure("freia", word, bias=bias is not None)
    return inn.double()


def export_flow(cert, to: str, *, sign_layer: bool = False):
    """The float64 flow of a certificate (a dict or a path) for ``to``: "torch" (the native module), "zuko" or "freia".

    The certificate is checked first (CertificateRejected if the checker does
    not accept it). ``sign_layer`` (FrEIA): move negative scales' signs into
    one fixed sign flip at the input instead of refusing them.
    """
    if to not in LIBRARIES:
        raise ExportError(f"unknown library {to!r}; choose one of {', '.join(LIBRARIES)}")
    _import("torch"), to == "torch" or _import("zuko" if to == "zuko" else "FrEIA")  # before the (long) check
    if not isinstance(cert, dict):
        cert = read_certificate(cert)
    return library_flow(checked_word(cert), to, sign_layer=sign_layer)


def checked_word(cert: dict) -> FloatWord:
    """The factors of a certificate in float64, once the checker accepts it and they multiply to ``T`` in float64.

    Raises CertificateRejected, ExportError (symbolic entries, entries beyond
    float64) or AccuracyError (:func:`refuse_inaccurate_flow`).
    """
    verdict = check_certificate(cert)
    if not verdict.ok:
        raise CertificateRejected(verdict.reasons[0])
    if "symbols" in cert:
        raise ExportError("the certificate has symbolic entries; a flow needs numbers (factor a numeric matrix)")
    word = read_float_word(cert)
    refuse_inaccurate_flow(cert, word)
    return word


def library_flow(word: FloatWord, to: str, *, sign_layer: bool = False, bias=None):
    """The float64 flow of float64 factors for ``to`` (FrEIA: negative scales refused unless ``sign_layer``).

    ``bias`` makes the flow ``x -> T x + bias`` (a trainable bias in every coupling).
    """
    if to == "torch":
        return to_native(word, bias)
    if to == "zuko":
        return to_zuko(word, bias=bias)
    negative = first_negative_scale(word)
    if negative and not sign_layer:
        fix = ": factor the matrix with --mode positive, or" if word_det_sign(word) > 0 else \
            " and det T < 0 rules out --mode positive:"
        raise ExportError(f"{negative}, but FrEIA's couplings have positive scales only{fix} export with "
                          "--sign-layer (one fixed sign flip at the input, a FrEIA FixedLinearTransform)")
    return to_freia(move_signs(word) if negative else word, bias=bias)


def word_det_sign(word: FloatWord) -> float:
    """The sign of ``det T``: that of the product of all scales (couplings are triangular, reordering is a similarity)."""
    return float(np.prod([np.prod(np.sign(scale)) for _, _, scale in word.factors]))


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
        "format": FORMAT_2, "n": cert["n"], "split": cert["split"], "mode": "any", "matrix": cert["matrix"],
        "factors": word.word.certificate_factors(entry=lambda x: hex_number(float(x))),
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


#: The ``format`` of a saved zuko or FrEIA flow: ``{"format", "structure", "state_dict"}``.
FLOW_FORMAT = "couplings.flow/1"


def save_flow(flow, path: str) -> None:
    """Write the flow with ``torch.save``, tensors and plain values only (no pickled classes), for
    :func:`load_flow` (or ``torch.load(path, weights_only=True)``): the native module's ``state_dict``; a zuko or
    FrEIA flow built here (:func:`to_zuko`, :func:`to_freia`), trained or not, as its structure and ``state_dict``.

    The file appears whole or not at all: it is written beside ``path`` and renamed.
    """
    torch = _import("torch")
    if hasattr(flow, "from_state_dict"):
        state = flow.state_dict()
    elif hasattr(flow, "couplings_structure"):
        state = {"format": FLOW_FORMAT, "structure": flow.couplings_structure, "state_dict": flow.state_dict()}
    else:
        raise ExportError("only flows built by couplings (to_module, export) can be saved by save_flow")
    partial = f"{path}.partial"
    try:
        with open(partial, "wb") as fh:  # so that a bad path is an OSError (torch.save raises RuntimeError)
            torch.save(state, fh)
        os.replace(partial, path)
    except OSError as e:
        if os.path.exists(partial):
            os.remove(partial)
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from None


def load_flow(path: str):
    """The flow :func:`save_flow` wrote to ``path``, read with ``torch.load(path, weights_only=True)``: the
    native module, or the zuko or FrEIA flow rebuilt from its structure, with its saved parameters and dtype."""
    torch = _import("torch")
    from construct.flows.module import LinearCouplingFlow  # imports torch: only when a flow is built

    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except OSError as e:
        raise ExportError(f"cannot read {path}: {e.strerror or e}") from None
    except Exception as e:  # noqa: BLE001  (torch raises UnpicklingError, RuntimeError, ... on a foreign file)
        raise ExportError(f"{path} is not a flow written by couplings ({type(e).__name__})") from None
    if not isinstance(state, dict):
        raise ExportError(f"{path} is not a flow written by couplings")
    if state.get("format") != FLOW_FORMAT:
        return LinearCouplingFlow.from_state_dict(state)
    structure, tensors = state["structure"], state["state_dict"]
    _import("zuko" if structure["library"] == "zuko" else "FrEIA")
    skeleton = _skeleton(structure)
    bias = np.zeros(structure["n"]) if structure.get("bias") else None  # the saved biases replace these
    flow = to_zuko(skeleton, bound=structure["bound"], bias=bias) if structure["library"] == "zuko" else \
        to_freia(skeleton, bias=bias)
    flow.load_state_dict(tensors)
    dtypes = [t.dtype for t in tensors.values() if t.is_floating_point()]
    return flow.to(dtypes[0]) if dtypes else flow


def run_flow(flow, x):
    """``(y, log|det|, inverse of y)`` of a flow on a float64 batch ``x`` (rows are points).

    The flow is a FrEIA ``SequenceINN``, a zuko ``Flow`` or a native
    :class:`~construct.flows.module.LinearCouplingFlow` (``forward`` and ``inverse``).
    """
    if hasattr(flow, "module_list"):  # FrEIA SequenceINN
        y, ladj = flow(x)
        back, _ = flow(y, rev=True)
        return y, ladj, back
    if hasattr(flow, "inverse"):  # the native module
        y, ladj = flow(x)
        return y, ladj, flow.inverse(y)
    transform = flow().transform
    y = transform(x)
    return y, transform.log_abs_det_jacobian(x, y), transform.inv(y)


def check_flow(flow, matrix, *, bias=None, batches: int = 4, size: int = 256, seed: int = 0) -> dict:
    """The largest deviations of the flow from ``x -> T x + bias`` on random standard normal float64 batches.

    ``forward``: max |flow(x) - (x T^T + bias)| / max |x T^T + bias|; ``log_det``:
    max |log-det - log|det T|| / max(1, |log|det T||); ``inverse``:
    max |flow^-1(flow(x)) - x| / max |x|. ``T`` (a float64 array, or a list
    of rows of exact number strings, the certificate's ``matrix``, rounded to
    float64) is multiplied in float64, independently of the flow.
    """
    torch = _import("torch")
    T = torch.from_numpy(matrix if isinstance(matrix, np.ndarray) else float_rows(matrix, "an entry of the matrix"))
    shift = torch.zeros(T.shape[0], dtype=torch.float64) if bias is None else torch.as_tensor(bias, dtype=torch.float64)
    log_det = torch.linalg.slogdet(T)[1]
    generator = torch.Generator().manual_seed(seed)
    worst = dict(forward=0.0, log_det=0.0, inverse=0.0)
    with torch.no_grad():
        for _ in range(batches):
            x = torch.randn(size, T.shape[0], dtype=torch.float64, generator=generator)
            y, ladj, back = run_flow(flow, x)
            ref = x @ T.T + shift
            found = dict(forward=(y - ref).abs().max() / ref.abs().max(),
                         log_det=(ladj - log_det).abs().max() / max(1.0, log_det.abs().item()),
                         inverse=(back - x).abs().max() / x.abs().max())
            worst = {k: max(worst[k], _finite_or_inf(float(v))) for k, v in found.items()}
    return worst


def _finite_or_inf(x: float) -> float:
    """``x``, or inf for NaN (a flow that computes NaN deviates infinitely; ``max`` would drop a NaN)."""
    return x if math.isfinite(x) else math.inf


def describe_deviations(worst: dict) -> str:
    """One line for :func:`check_flow`'s result."""
    return (f"forward {worst['forward']:.2e} (relative to max |T x|), log|det| {worst['log_det']:.2e}, "
            f"inverse round trip {worst['inverse']:.2e} (relative to max |x|)")


def refuse_deviating_flow(worst: dict) -> None:
    """Raise AccuracyError (the CLI exits 1) when a deviation of :func:`check_flow` exceeds ``CHECK_TOLERANCE``."""
    if max(worst.values()) > CHECK_TOLERANCE:
        raise AccuracyError(f"the float64 flow deviates from T by more than {CHECK_TOLERANCE:g} "
                            f"({describe_deviations(worst)}): its factors are ill-conditioned "
                            "(--method levels builds well-conditioned ones)")
