"""Glow's invertible 1x1 convolutions rewritten as couplings keep the log-likelihood (benchmarks/glow_digits.py).

A random 1x1 convolution (``conv2d`` with a ``C x C`` weight) and a randomly
initialised normflows Glow step are compared, in float64, with their
rewriting by :func:`construct.to_module` (levels method) on random images.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason='the Glow rewrite needs the torch extra (pip install -e ".[torch]")')

import construct  # noqa: E402
from construct.methods.levels import levels_bound  # noqa: E402


def gaussian_log_prob(z):
    return -0.5 * z.square().flatten(1).sum(1) - 0.5 * z[0].numel() * math.log(2 * math.pi)


def test_one_by_one_convolution_as_couplings_has_equal_log_likelihood_and_inverse():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 6))
    x = torch.from_numpy(rng.standard_normal((5, 6, 4, 3)))
    z = torch.nn.functional.conv2d(x, torch.from_numpy(W).view(6, 6, 1, 1))
    expected = gaussian_log_prob(z) + 12 * np.linalg.slogdet(W)[1]
    flow = construct.to_module(W, dtype=torch.float64)
    y, _ = flow(x)
    assert torch.allclose(y, z, rtol=0, atol=1e-12)
    assert torch.allclose(flow.log_prob(x), expected, rtol=1e-12, atol=0)
    assert torch.allclose(flow.inverse(y), x, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore:torch.lu is deprecated")
def test_glow_step_rewritten_in_at_most_levels_bound_couplings_has_equal_log_likelihood_and_samples():
    nf = pytest.importorskip("normflows", reason="the Glow step is normflows' GlowBlock: pip install normflows")
    from benchmarks.glow_digits import rewritten, samples

    torch.manual_seed(0)
    step = nf.flows.GlowBlock(4, 8, init_zeros=False)
    model = nf.NormalizingFlow(nf.distributions.DiagGaussian((4, 3, 3), trainable=False), [step]).double()
    x = torch.randn(7, 4, 3, 3, dtype=torch.float64)
    with torch.no_grad():
        model.log_prob(x)  # actnorm's data-dependent initialisation
        new, counts = rewritten(model)
        assert [channels for channels, _ in counts] == [4] and counts[0][1] <= levels_bound(4)
        assert torch.allclose(new.log_prob(x), model.log_prob(x), rtol=1e-12, atol=0)
    z = torch.randn(3, 4, 3, 3, dtype=torch.float64)
    assert torch.allclose(samples(new, z), samples(model, z), rtol=0, atol=1e-12)
