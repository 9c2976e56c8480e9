"""Shared assertions: a factorization is exact, checked, and within its bounds."""

from construct.factor import factor
from proofs.checker import check_certificate


def assert_factors(T, method, mode, mask=None, seed=0, bound=None):
    """Factor ``T``; assert the exact product, the checker's verdict, positivity and the bounds."""
    f = factor(T, method=method, mode=mode, mask=mask, seed=seed)
    cert = f.certificate()
    verdict = check_certificate(cert)
    assert verdict.ok, verdict.reasons
    assert f.count <= f.bound
    if bound is not None:
        assert f.count <= bound, (f.count, f.word.kinds())
    for name, count in f.stages.items():
        assert count <= f.stage_bounds[name][0], (name, count)
    if mode == "positive":
        assert all(s > 0 for c in f.word for s in c.scale)
    return f
