"""A native PyTorch flow of linear affine couplings with a fixed partition: :class:`LinearCouplingFlow`.

Coordinates are reordered once by a fixed ``order`` (the mask: kept
coordinates first) and split into a first group of ``split`` coordinates and
a second group of the other ``n - split``. A *lower* coupling changes the
second group, ``z2 <- scale * z2 + shear @ z1 + bias`` (shear
``(n - split) x split``); an *upper* one the first,
``z1 <- scale * z1 + shear @ z2 + bias`` (shear ``split x (n - split)``).
Each scale is ``sign * exp(log_scale)``, its sign a fixed buffer, so
training moves a scale along its sign and never through zero. The
parameters are exactly the shears, the log-scales and (optionally) the
biases: ``k (d^2 + d)`` numbers for ``k`` balanced couplings of ``n = 2d``
without biases, no zeros stored.

``forward(x)`` returns ``(T x + b, log|det T|)`` for a batch ``(B, n)``,
one log-determinant per row, and for images ``(B, C, H, W)`` with
``C = n`` acts on the channels of every pixel, as an invertible 1x1
convolution does, with a log-determinant ``H W log|det T|`` per image.

Couplings are held in the order they act (index 0 first): built from a
factorization ``T = F_1 F_2 ... F_k`` (:meth:`LinearCouplingFlow.from_factors`)
coupling 0 is ``F_k``. This module needs torch only;
:func:`construct.to_module` builds one from a matrix and checks it.

>>> import numpy as np
>>> flow = LinearCouplingFlow.from_factors([("lower", np.array([[3.0]]), np.array([-2.0]))], n=2, split=1,
...                                        dtype=torch.float64)
>>> y, log_det = flow(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
>>> y.tolist(), log_det.tolist(), flow.inverse(y).tolist()
([[1.0, 1.0]], [0.6931471805599453], [[1.0, 1.0]])
>>> sorted(name for name, _ in flow.named_parameters())
['log_scales.0', 'shears.0']
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

LOWER, UPPER = "lower", "upper"


class LinearCouplingFlow(nn.Module):
    """Linear affine couplings on ``n`` coordinates, ``split`` kept by lower couplings; see the module docstring.

    ``kinds`` lists each coupling's kind ("lower" or "upper") in the order
    they act; ``order`` is the fixed reordering (default: none); ``bias``
    gives every coupling a bias on the coordinates it changes. A new flow is
    the identity (zero shears and log-scales, positive signs, zero biases).
    """

    def __init__(self, n: int, split: int, kinds, order=None, bias: bool = False, dtype=torch.float32, device=None):
        super().__init__()
        if not 1 <= split <= n - 1:
            raise ValueError(f"split must be from 1 to n - 1 = {n - 1}, got {split}")
        kinds = list(kinds)
        if not kinds or any(k not in (LOWER, UPPER) for k in kinds):
            raise ValueError(f"kinds must list at least one coupling, each 'lower' or 'upper'; got {kinds}")
        self.n, self.split = n, split
        make = dict(dtype=dtype, device=device)
        sizes = [(n - split, split) if k == LOWER else (split, n - split) for k in kinds]  # (changed, kept)
        self.shears = nn.ParameterList([nn.Parameter(torch.zeros(c, k, **make)) for c, k in sizes])
        self.log_scales = nn.ParameterList([nn.Parameter(torch.zeros(c, **make)) for c, _ in sizes])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(c, **make)) for c, _ in sizes]) if bias else None
        # the scales' signs, fixed (not trained), of all couplings one after the other
        self.register_buffer("signs", torch.ones(sum(c for c, _ in sizes), **make))
        # the structure as integer buffers, so that a state_dict alone rebuilds the flow (from_state_dict)
        self.register_buffer("kinds", torch.tensor([k == UPPER for k in kinds], dtype=torch.int64, device=device))
        self.register_buffer("order", torch.tensor(list(range(n)) if order is None else list(order),
                                                   dtype=torch.int64, device=device))
        self.register_load_state_dict_post_hook(lambda module, keys: module._read_structure())
        self._read_structure()

    def _read_structure(self) -> None:
        """Plain Python copies of the structure buffers, read once rather than on every call."""
        self._lower = [k == 0 for k in self.kinds.tolist()]
        self._changed = [len(ls) for ls in self.log_scales]
        order = self.order.tolist()
        if sorted(order) != list(range(self.n)):
            raise ValueError(f"order must be a permutation of 0..{self.n - 1}, got {order}")
        self._permuted = order != list(range(self.n))
        self.register_buffer("unorder", torch.argsort(self.order), persistent=False)

    # ------------------------------------------------------------ building

    @classmethod
    def from_factors(cls, factors, n: int, split: int, order=None, bias=None, dtype=torch.float32, device=None):
        """The flow of ``T = F_1 ... F_k`` (plus ``bias``), from ``factors`` ``(kind, shear, scale)`` in that order.

        Shears and scales are NumPy arrays (float64), scales nonzero; ``order``
        is the mask's reordering. ``bias`` (a length-``n`` array, or None)
        makes the flow ``x -> T x + bias``: every coupling gets a trainable
        bias, the last two to act hold it and the others start at zero. No
        factors (``T = I``) give one identity coupling.
        """
        factors = [(k, np.asarray(S, dtype=np.float64), np.asarray(s, dtype=np.float64)) for k, S, s in factors]
        factors = factors or [_identity(LOWER, n, split)]
        if bias is not None:
            order = list(range(n)) if order is None else list(order)
            factors, biases = biased_factors(factors, n, split, np.asarray(bias, dtype=np.float64).reshape(n)[order])
        acting = factors[::-1]
        flow = cls(n, split, [k for k, _, _ in acting], order, bias is not None, torch.float64, device)
        with torch.no_grad():
            for i, (_, S, s) in enumerate(acting):
                flow.shears[i].copy_(torch.from_numpy(S))
                flow.log_scales[i].copy_(torch.from_numpy(np.log(np.abs(s))))
            flow.signs.copy_(torch.from_numpy(np.concatenate([np.sign(s) for _, _, s in acting])))
            if bias is not None:
                for i, b in enumerate(biases[::-1]):
                    flow.biases[i].copy_(torch.from_numpy(b))
        return flow.to(dtype)

    @classmethod
    def from_state_dict(cls, state: dict):
        """The flow whose ``state_dict()`` is ``state`` (tensors only: ``torch.load(path, weights_only=True)``)."""
        kinds = [UPPER if k else LOWER for k in state["kinds"].tolist()]
        shear = state["shears.0"]
        split = shear.shape[1] if kinds[0] == LOWER else shear.shape[0]
        flow = cls(len(state["order"]), split, kinds, state["order"].tolist(), "biases.0" in state, shear.dtype,
                   shear.device)
        flow.load_state_dict(state)
        return flow

    # ------------------------------------------------------------ training

    def parameter_groups(self) -> dict:
        """``{"shears": [...], "log_scales": [...], "biases": [...]}``, e.g. for separate optimizer settings."""
        return {"shears": list(self.shears), "log_scales": list(self.log_scales),
                "biases": list(self.biases) if self.biases is not None else []}

    def freeze(self, scales: bool | None = None, shears: bool | None = None, biases: bool | None = None):
        """Stop (True) or resume (False) training of the scales, shears or biases; None leaves a group as it is."""
        return freeze(self, scales, shears, biases)

    # ------------------------------------------------------------ running

    def scales(self, inverse: bool = False) -> list:
        """Each coupling's scale ``sign * exp(log_scale)`` (or its inverse), in one exponential for all."""
        log_scales = torch.cat(list(self.log_scales))
        return (self.signs * torch.exp(-log_scales if inverse else log_scales)).split(self._changed)

    def log_abs_det(self) -> torch.Tensor:
        """``log|det T|``, a scalar."""
        return torch.cat(list(self.log_scales)).sum()

    def forward(self, x: torch.Tensor):
        """``(T x + b, log|det T|)`` per row of a ``(B, n)`` batch, or per image of a ``(B, n, H, W)`` batch."""
        if x.dim() == 4:
            return self._on_pixels(x, self.forward)
        z1, z2 = self._halves(x)
        for i, (lower, S, scale) in enumerate(zip(self._lower, self.shears, self.scales())):
            # a new tensor, then the shear product added in place: addmm(input, ...) would copy its input first
            if lower:
                z2 = self._shifted(z2 * scale, i).addmm_(z1, S.T)
            else:
                z1 = self._shifted(z1 * scale, i).addmm_(z2, S.T)
        return self._joined(z1, z2), self.log_abs_det().expand(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """``T^-1 (y - b)`` for a ``(B, n)`` or ``(B, n, H, W)`` batch."""
        if y.dim() == 4:
            return self._on_pixels(y, lambda v: (self.inverse(v), None))[0]
        z1, z2 = self._halves(y)
        unscales = self.scales(inverse=True)
        for i in reversed(range(len(self._lower))):
            S, unscale = self.shears[i], unscales[i]
            if self._lower[i]:
                z2 = self._shifted(z2.clone(), i, -1).addmm_(z1, S.T, alpha=-1) * unscale
            else:
                z1 = self._shifted(z1.clone(), i, -1).addmm_(z2, S.T, alpha=-1) * unscale
        return self._joined(z1, z2)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """The log-density of ``x`` under this flow with a standard normal latent, per row (or image)."""
        y, log_det = self(x)
        squares = y.square().flatten(1).sum(1)
        return log_det - 0.5 * squares - 0.5 * y[0].numel() * math.log(2 * math.pi)

    def _halves(self, x):
        if x.dim() != 2 or x.shape[1] != self.n:
            raise ValueError(f"expected a batch (B, {self.n}) or images (B, {self.n}, H, W), got shape {tuple(x.shape)}")
        if self._permuted:
            x = x[:, self.order]
        return x[:, :self.split], x[:, self.split:]

    def _joined(self, z1, z2):
        z = torch.cat([z1, z2], dim=1)
        return z[:, self.unorder] if self._permuted else z

    def _shifted(self, z, i: int, sign: int = 1):
        if self.biases is None:
            return z
        return z.add_(self.biases[i], alpha=sign)

    def _on_pixels(self, x, run):
        """``run`` on every pixel's channel vector of images ``(B, C, H, W)``; log-det times ``H W`` per image."""
        B, C, H, W = x.shape
        y, log_det = run(x.permute(0, 2, 3, 1).reshape(B * H * W, C))
        y = y.reshape(B, H, W, C).permute(0, 3, 1, 2).contiguous()  # laid out as the input (and a convolution's output)
        return y, None if log_det is None else self.log_abs_det().mul(H * W).expand(B)


#: The parameter groups by the names of their parameters (this module's and :class:`ShearAndLogScale`'s).
GROUPS = {"log_scales": "scales", "log_scale": "scales", "shears": "shears", "shear": "shears", "biases": "biases",
          "bias": "biases"}


def freeze(module: nn.Module, scales: bool | None = None, shears: bool | None = None, biases: bool | None = None):
    """Stop (True) or resume (False) training of the scales, shears or biases of a native flow or an export.

    A parameter's group is read off its name (``log_scales.3``,
    ``transform.transforms.1.hyper.shear``); None leaves a group as it is.
    Returns the module.

    >>> flow = freeze(LinearCouplingFlow(4, 2, ["lower", "upper"]), scales=True)
    >>> [name for name, p in flow.named_parameters() if p.requires_grad]
    ['shears.0', 'shears.1']
    """
    wanted = {"scales": scales, "shears": shears, "biases": biases}
    for name, parameter in module.named_parameters():
        groups = [GROUPS[part] for part in name.split(".") if part in GROUPS]
        if groups and wanted[groups[-1]] is not None:
            parameter.requires_grad_(not wanted[groups[-1]])
    return module


def _identity(kind: str, n: int, split: int):
    """The identity as a coupling ``(kind, shear, scale)``."""
    changed, kept = (n - split, split) if kind == LOWER else (split, n - split)
    return kind, np.zeros((changed, kept)), np.ones(changed)


def _last_two_differ(factors, n: int, split: int):
    """The factors with an identity inserted, if needed, so that the first two (the last two to act) differ in kind."""
    if len(factors) == 1 or factors[1][0] == factors[0][0]:
        factors = [factors[0], _identity(UPPER if factors[0][0] == LOWER else LOWER, n, split)] + factors[1:]
    return factors


def biased_factors(factors, n: int, split: int, blocked_bias: np.ndarray):
    """``(factors, biases)`` for couplings whose map is ``T x + b``, ``b`` given in the blocked frame (reordered
    by the mask): the factors with an identity inserted if the last two to act have one kind, and per factor
    (product order) the bias of the coordinates it changes; the last two to act hold it, the others are 0."""
    factors = _last_two_differ(factors, n, split)
    biases = [np.zeros(len(scale)) for _, _, scale in factors]
    for i, b in _coupling_biases(factors, blocked_bias, split):
        biases[i] = b
    return factors, biases


def _coupling_biases(factors, b: np.ndarray, split: int):
    """``(index, bias)`` of ``F_1`` and ``F_2`` (product order) making ``F_1 F_2 ... + biases = T x + b``.

    ``F_2``'s bias ``beta_2`` (on its changed group) passes ``F_1``, which keeps
    that group and shears it into the other: the output's bias is ``beta_2``
    on ``F_2``'s group and ``beta_1 + S_1 beta_2`` on ``F_1``'s.
    """
    (k1, S1, _), _ = factors[0], factors[1]
    first, second = b[:split], b[split:]
    changed1, changed2 = (second, first) if k1 == LOWER else (first, second)
    beta2 = changed2
    return [(0, changed1 - S1 @ beta2), (1, beta2)]


class ShearAndLogScale(nn.Module):
    """A linear coupling's conditioner for zuko and FrEIA: exactly a shear and a log-scale parameter.

    From the kept coordinates ``x`` it returns, per changed coordinate, the
    shift ``shear @ x`` (plus ``bias``, if given) and a constant scale parameter (the same for every
    ``x``, so the coupling stays linear and training cannot make the scale
    depend on the data): interleaved ``(shift, scale)`` pairs as zuko's
    ``GeneralCouplingTransform`` reads them (``interleaved=True``), or all
    scale parameters then all shifts, as FrEIA's affine couplings do.
    """

    def __init__(self, shear: torch.Tensor, log_scale: torch.Tensor, interleaved: bool, bias=None):
        super().__init__()
        self.shear, self.log_scale = nn.Parameter(shear), nn.Parameter(log_scale)
        self.bias = None if bias is None else nn.Parameter(bias)
        self.interleaved = interleaved

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shift = x @ self.shear.T if self.bias is None else torch.addmm(self.bias, x, self.shear.T)
        scale = self.log_scale.expand_as(shift)
        return torch.stack([shift, scale], -1).flatten(-2) if self.interleaved else torch.cat([scale, shift], -1)
