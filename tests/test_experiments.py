"""The benchmarks' own conventions (benchmarks/frontier.py): cheap checks, no training or optimisation."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import frontier  # noqa: E402


def test_frontier_torch_couplings_multiply_construction_words_to_t():
    """The optimiser's couplings and word order are the project's: every construction's factors give back ``T``."""
    T = frontier.sample("gaussian", 4, np.random.default_rng(0))
    for word in frontier.constructions(T, exact_max=4):
        kinds, shears, scales = frontier.padded_start(word["factors"], word["count"] + 2)
        product, logc = frontier.word_terms(kinds, [torch.tensor(s) for s in shears], [torch.tensor(c) for c in scales])
        assert frontier.relative_residual(product, torch.tensor(T)) < 1e-8, word["method"]
        assert float(torch.exp(logc.max())) == pytest.approx(word["max_cond"], rel=1e-6)


def test_importing_the_frontier_benchmark_leaves_torchs_default_dtype_alone():
    """Tests share a process: a benchmark imported by one must not change torch's state for the others."""
    assert torch.get_default_dtype() == torch.float32
