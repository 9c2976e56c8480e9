"""The paper's Glow claim on a trained model: every invertible 1x1 convolution of a Glow flow, rewritten as couplings.

    python benchmarks/glow_digits.py [--epochs 80] [--blocks 3] [--hidden 32] [--plot docs/glow_digits.png]

A small Glow (normflows' ``GlowBlock``: affine coupling with a channel
split, invertible 1x1 convolution with an LU-parametrised weight, actnorm;
normflows' ``Squeeze``) is trained by maximum likelihood on scikit-learn's
bundled 8x8 digits (1797 images, values 0..16, no download), dequantised
with uniform noise and scaled to ``[-0.5, 0.5]``: ``1 x 8 x 8`` is squeezed to
``4 x 4 x 4`` (``--blocks`` Glow steps), then to ``16 x 2 x 2`` (``--blocks``
more), on CPU with one thread, in float32, Adam at ``1e-3``. The defaults
train for about two CPU-minutes; ``--epochs 400`` trains longer.

Then, in float64, every 1x1 convolution's weight ``W`` (the data-to-latent
map ``P L U``) is factored by the levels method (``construct.to_module``,
checked against ``W`` before it is returned) and the convolution is replaced
by the native :class:`~construct.flows.module.LinearCouplingFlow`, which acts
on the channels of every pixel. The script prints the test bits/dim of both
models on the same dequantised test images (and their relative difference),
the couplings per convolution (the paper's constant factor, measured), the
parameters, the time per batch of both (least of ``--repeats``, same run,
one thread), and draws samples of both from the same latent.

In the opposite direction it reads the weights of zuko's
``LULinearTransform``, normflows' ``Invertible1x1Conv`` and a
``torch.nn.Linear`` with bias into certificates, each checked by the
independent checker (:func:`proofs.checker.check_certificate`); the bias by
the certificate of the augmented map ``[[W, b], [0, 1]]`` and by the native
module with that bias, run against the ``Linear``.

Needs torch, normflows, scikit-learn (and zuko, matplotlib for the last parts).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import construct  # noqa: E402
from benchmarks.flow_module_speed import least_times  # noqa: E402
from proofs.checker import check_certificate  # noqa: E402

LEVELS = 17  # the digits' pixel values 0..16


def digits(seed: int):
    """Train and test images ``(N, 1, 8, 8)`` as integers 0..16, split 80/20 at random."""
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(0.8 * len(images))
    as_batch = lambda i: torch.from_numpy(images[i]).unsqueeze(1)  # noqa: E731
    return as_batch(order[:cut]), as_batch(order[cut:])


def dequantised(pixels: torch.Tensor, generator=None) -> torch.Tensor:
    """``(pixels + u) / 17 - 1/2`` with ``u`` uniform on ``[0, 1)``: a continuous image in ``[-1/2, 1/2)``."""
    u = torch.rand(pixels.shape, generator=generator, dtype=pixels.dtype)
    return (pixels + u) / LEVELS - 0.5


def bits_per_dim(log_prob: torch.Tensor, dims: int) -> float:
    """The discrete data's bits per dimension: ``-(log p(x) - D log 17) / (D log 2)``, averaged."""
    return float(-(log_prob.mean() - dims * math.log(LEVELS)) / (dims * math.log(2)))


def glow(blocks: int, hidden: int):
    """normflows' Glow on ``1 x 8 x 8``: flows listed from latent (``16 x 2 x 2``) to data, as normflows lists them."""
    import normflows as nf

    flows = [nf.flows.GlowBlock(16, hidden, split_mode="channel", scale=True) for _ in range(blocks)]
    flows += [nf.flows.Squeeze()]
    flows += [nf.flows.GlowBlock(4, hidden, split_mode="channel", scale=True) for _ in range(blocks)]
    flows += [nf.flows.Squeeze()]
    return nf.NormalizingFlow(nf.distributions.DiagGaussian((16, 2, 2), trainable=False), flows)


def train(model, train_pixels, epochs: int, batch: int, seed: int):
    """Adam at 1e-3 on the negative log-likelihood, fresh dequantisation noise every epoch; returns the last loss."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = None
    for _ in range(epochs):
        for i in torch.randperm(len(train_pixels), generator=generator).split(batch):
            loss = -model.log_prob(dequantised(train_pixels[i], generator).float()).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 100.0)
            optimizer.step()
    return loss.item()


def conv_weight(conv) -> torch.Tensor:
    """The data-to-latent matrix ``W`` of a normflows ``Invertible1x1Conv`` (its ``inverse`` is ``conv2d(x, W)``)."""
    with torch.no_grad():
        return conv._assemble_W() if conv.use_lu else conv.W.clone()


class CouplingConv(nn.Module):
    """Where a 1x1 convolution was: a :class:`LinearCouplingFlow` of its ``W`` on channels, with normflows' interface.

    As in normflows, ``inverse`` goes from data to latent (``x -> W x``) and
    ``forward`` from latent to data; both return the log-determinant per image.
    Outputs are made contiguous, as the convolution's are: the module returns
    a channels-last view, on which the next coupling's conv net ran about
    twice as fast here, which would credit the rewrite with a speed-up of
    memory layout.
    """

    def __init__(self, couplings):
        super().__init__()
        self.couplings = couplings

    def inverse(self, x):
        y, log_det = self.couplings(x)
        return y.contiguous(), log_det

    def forward(self, z):
        return self.couplings.inverse(z).contiguous(), -self.couplings.log_abs_det() * z.shape[2] * z.shape[3]


def rewritten(model):
    """A float64 copy of ``model``, each ``Invertible1x1Conv`` as couplings; and ``(C, couplings)`` of each."""
    import copy

    import normflows as nf

    model = copy.deepcopy(model).double()
    counts = []
    for block in model.flows:
        if isinstance(block, nf.flows.GlowBlock):
            for i, flow in enumerate(block.flows):
                if isinstance(flow, nf.flows.Invertible1x1Conv):
                    couplings = construct.to_module(conv_weight(flow).numpy(), dtype=torch.float64)
                    counts.append((flow.num_channels, len(couplings.shears)))
                    block.flows[i] = CouplingConv(couplings)
    return model, counts


def map_times(original, couplings_model, batch: int, repeats: int) -> dict:
    """``{C: (conv, couplings)}``: least seconds of the first ``C``-channel 1x1 convolution and of its couplings."""
    import normflows as nf

    pairs = {}
    steps = zip(original.flows, couplings_model.flows)
    maps = [pair for a, b in steps if isinstance(a, nf.flows.GlowBlock) for pair in zip(a.flows, b.flows)]
    for old, new in maps:
        if isinstance(old, nf.flows.Invertible1x1Conv) and old.num_channels not in pairs:
            side = 8 // int(math.isqrt(old.num_channels))  # 4 channels at 4 x 4, 16 at 2 x 2
            x = torch.randn(batch, old.num_channels, side, side, dtype=torch.float64)
            times = least_times({"conv": lambda: old.inverse(x), "couplings": lambda: new.inverse(x)}, repeats)
            pairs[old.num_channels] = (times["conv"], times["couplings"])
    return pairs


def convolutions(model) -> list:
    import normflows as nf

    return [m for m in model.modules() if isinstance(m, nf.flows.Invertible1x1Conv)]


def short_count(W: np.ndarray) -> int:
    """The short method's count for ``W`` (exact): a constant, but its factors are too ill-conditioned for floats."""
    return construct.factor_array(W, method="short", arith="exact").count


def parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_parameters(model) -> int:
    """Parameters held by the 1x1 convolutions (normflows stores ``L``, ``U`` as full ``C x C``) or couplings."""
    import normflows as nf

    return sum(parameters(m) for m in model.modules() if isinstance(m, (nf.flows.Invertible1x1Conv, CouplingConv)))


def samples(model, z: torch.Tensor) -> torch.Tensor:
    """Images from the latent ``z`` (latent to data through every flow), clipped to ``[-1/2, 1/2]``."""
    with torch.no_grad():
        for flow in model.flows:
            z, _ = flow(z)
    return z.clamp(-0.5, 0.5)


def plot(path, original, rewritten_, temperature):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 2.6))
    for ax, images, title in zip(axes, (original, rewritten_),
                                 ("trained Glow (1x1 convolutions)", "rewritten (couplings, levels method)")):
        row = torch.cat(list(images[:, 0]), dim=1).numpy()
        ax.imshow(row, cmap="gray_r", vmin=-0.5, vmax=0.5)
        ax.set_title(f"{title}, same latent, temperature {temperature}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def certified(name: str, W: np.ndarray) -> str:
    """``W`` (floats read exactly) factored by the levels method in float64, its certificate checked independently."""
    f = construct.factor_array(W)
    verdict = check_certificate(f.certificate())
    if not verdict.ok:
        raise SystemExit(f"{name}: the checker rejected the certificate: {verdict.reasons[0]}")
    return f"{name}: {f.count} couplings, relative residual {f.relative_residual:.1e}; checker: {verdict.summary}"


def certificates(rng: np.random.Generator) -> list:
    """The weights of zuko's ``LULinearTransform``, normflows' ``Invertible1x1Conv`` and an ``nn.Linear``, certified."""
    lines = []
    try:
        from zuko.transforms import LULinearTransform

        lu = torch.from_numpy(rng.standard_normal((8, 8))) + 3 * torch.eye(8, dtype=torch.float64)
        zuko_map = LULinearTransform(lu)
        W = (zuko_map.L @ zuko_map.U).numpy()
        assert np.allclose(zuko_map(torch.eye(8, dtype=torch.float64)).numpy().T, W, atol=1e-14)
        lines.append(certified("zuko LULinearTransform (8x8)", W))
    except ImportError:
        lines.append("zuko LULinearTransform: zuko is not installed")
    import normflows as nf

    lines.append(certified("normflows Invertible1x1Conv (16 channels, LU)",
                           conv_weight(nf.flows.Invertible1x1Conv(16, use_lu=True).double()).numpy()))
    linear = nn.Linear(6, 6, dtype=torch.float64)
    W, b = linear.weight.detach().numpy(), linear.bias.detach().numpy()
    lines.append(certified("torch.nn.Linear (6x6) weight", W))
    augmented = np.block([[W, b[:, None]], [np.zeros((1, 6)), np.ones((1, 1))]])
    lines.append(certified("torch.nn.Linear (6x6) with bias, as [[W, b], [0, 1]]", augmented))
    flow = construct.to_module(W, bias=b, dtype=torch.float64)
    x = torch.randn(1000, 6, dtype=torch.float64)
    with torch.no_grad():
        gap = float((flow(x)[0] - linear(x)).abs().max() / linear(x).abs().max())
    lines.append(f"torch.nn.Linear with bias as couplings (to_module(W, bias=b)): relative deviation {gap:.1e}")
    return lines


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def missing_dependency() -> str | None:
    """The first package this script needs that is not installed, or None."""
    import importlib.util

    return next((name for name in ("normflows", "sklearn") if importlib.util.find_spec(name) is None), None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive, default=80)
    parser.add_argument("--blocks", type=positive, default=3, help="Glow steps per scale (two scales)")
    parser.add_argument("--hidden", type=positive, default=32, help="hidden channels of each coupling's network")
    parser.add_argument("--batch", type=positive, default=64)
    parser.add_argument("--repeats", type=positive, default=10, help="timing rounds (the least time is reported)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, help="write the samples' figure here (PNG)")
    args = parser.parse_args(argv)
    if missing_dependency():
        print(f"glow_digits.py needs {missing_dependency()}: pip install -e \".[glow]\"", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    warnings.filterwarnings("ignore", message=".*torch.lu is deprecated")  # normflows' Invertible1x1Conv

    train_pixels, test_pixels = digits(args.seed)
    model = glow(args.blocks, args.hidden)
    start = time.process_time()
    last = train(model, train_pixels, args.epochs, args.batch, args.seed)
    cpu = time.process_time() - start
    print(f"normflows {__import__('normflows').__version__}, torch {torch.__version__}, one thread")
    print(f"trained {args.epochs} epochs on {len(train_pixels)} digits (batch {args.batch}) in {cpu:.0f} CPU-s; "
          f"last batch NLL {last:.1f} nats")

    original = model.double().eval()
    couplings_model, counts = rewritten(original)
    weights = {conv.num_channels: conv_weight(conv).numpy() for conv in convolutions(original)}
    test = dequantised(test_pixels, torch.Generator().manual_seed(args.seed + 1))
    torch.set_grad_enabled(False)  # evaluation only from here
    log_p, log_p_new = original.log_prob(test), couplings_model.log_prob(test)
    bpd, bpd_new = bits_per_dim(log_p, 64), bits_per_dim(log_p_new, 64)
    per_image = float(((log_p - log_p_new).abs() / log_p.abs()).max())
    times = least_times({"original": lambda: original.log_prob(test),
                         "rewritten": lambda: couplings_model.log_prob(test)}, args.repeats)
    by_size = {}
    for channels, count in counts:
        by_size.setdefault(channels, []).append(count)

    print(f"\ntest set: {len(test)} digits, float64 (uniform over 17 levels: {math.log2(LEVELS):.3f} bits/dim)")
    print(f"{'model':<12}{'bits/dim':>20}{'parameters':>12}{'in 1x1 maps':>13}{'ms / test batch':>17}")
    for name, b, m, t in (("original", bpd, original, times["original"]),
                          ("rewritten", bpd_new, couplings_model, times["rewritten"])):
        print(f"{name:<12}{b:>20.15f}{parameters(m):>12}{conv_parameters(m):>13}{1000 * t:>17.1f}")
    print(f"relative difference of bits/dim: {abs(bpd - bpd_new) / bpd:.1e}; "
          f"largest per image of log-likelihood: {per_image:.1e}")
    print(f"time rewritten / original: {times['rewritten'] / times['original']:.2f}")
    for channels, (conv, couplings) in sorted(map_times(original, couplings_model, len(test), args.repeats).items()):
        print(f"one {channels}-channel 1x1 map on the test batch: convolution {1e3 * conv:.2f} ms, "
              f"couplings {1e3 * couplings:.2f} ms ({couplings / conv:.1f}x)")
    for channels, found in sorted(by_size.items()):
        print(f"couplings per {channels}x{channels} 1x1 convolution: levels (float64, as run) {found}; "
              f"short (exact, the paper's constant) {short_count(weights[channels])}")

    if args.plot:
        z = args.temperature * torch.randn(16, 16, 2, 2, dtype=torch.float64,
                                           generator=torch.Generator().manual_seed(args.seed + 2))
        a, b = samples(original, z), samples(couplings_model, z)
        print(f"samples from the same latent: largest pixel difference {float((a - b).abs().max()):.1e}")
        plot(args.plot, a, b, args.temperature)
        print(f"figure: {args.plot}")

    print("\nweights read into certificates (levels, float64; checked by proofs.checker):")
    for line in certificates(np.random.default_rng(args.seed)):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
