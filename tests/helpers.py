"""Shared assertions: a certificate is for the matrix that was factored, exact, checked, within its bounds.

Nothing here trusts what the builder says about its own output: the
certificate's ``matrix`` is compared with the input ``T``, the product of its
factors is recomputed from the certificate's strings with python-flint and
compared with ``T`` itself (reordered by the mask), not with ``cert["matrix"]``,
and the checker is asked to accept it against ``T``.

>>> from construct.core.matrices import from_rows
>>> f = assert_factors(from_rows([[0, 1], [1, 0]]), "short", "any")
>>> f.count
3
"""

from fractions import Fraction

from flint import fmpq, fmpq_mat, fmpz

from construct.front.factor import factor
from proofs.checker import Limits, check_certificate


def exact_rows(T) -> list[list[Fraction]]:
    """The entries of a matrix (a ``DomainMatrix`` over ``QQ`` or ``ZZ``, or a list of rows) as Fractions."""
    rows = T.to_list() if hasattr(T, "to_list") else T
    return [[Fraction(int(x.numerator), int(x.denominator)) if hasattr(x, "denominator") else Fraction(x) for x in row]
            for row in rows]


def certificate_product(cert) -> list[list[Fraction]]:
    """``F_1 F_2 ... F_k`` recomputed from the certificate's strings alone (independent of the checker)."""
    n, p = cert["n"], cert["split"]
    mats = [fmpq_mat(n, n, [fmpq(int(i == j)) for i in range(n) for j in range(n)])]
    for f in cert["factors"]:
        shear = [[_fmpq(x) for x in row] for row in f["shear"]]
        scale = [_fmpq(x) for x in f["scale"]]
        M = [[fmpq(int(i == j)) for j in range(n)] for i in range(n)]
        top, left = (p, 0) if f["kind"] == "lower" else (0, p)
        for r, (row, s) in enumerate(zip(shear, scale)):
            M[top + r][top + r] = s
            M[top + r][left:left + len(row)] = row
        mats.append(fmpq_mat(M))
    while len(mats) > 1:  # neighbours pairwise: intermediate entries stay shorter than left to right
        mats = [mats[i] * mats[i + 1] if i + 1 < len(mats) else mats[i] for i in range(0, len(mats), 2)]
    product = mats[0]
    return [[Fraction(int(product[i, j].p), int(product[i, j].q)) for j in range(n)] for i in range(n)]


def _fmpq(s: str) -> fmpq:
    num, _, den = s.partition("/")  # through fmpz: int() refuses strings of more than 4300 digits
    return fmpq(fmpz(num), fmpz(den or 1))


def _fraction(s: str) -> Fraction:
    q = _fmpq(s)
    return Fraction(int(q.p), int(q.q))


def assert_certificate_is_for(cert, T) -> None:
    """Assert that ``cert`` states ``T`` exactly and that its factors multiply to ``T`` (mask honoured)."""
    want = exact_rows(T)
    n = len(want)
    assert cert["n"] == n
    assert [[_fraction(x) for x in row] for row in cert["matrix"]] == want, "the certificate is for another matrix"
    mask = cert.get("mask", [1] * (n // 2) + [0] * (n - n // 2))
    idx = [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]
    assert certificate_product(cert) == [[want[a][b] for b in idx] for a in idx], "the factors do not multiply to T"


def assert_factors(T, method, mode, mask=None, seed=0, bound=None):
    """Factor ``T``; assert the certificate is for ``T``, the checker's verdict, positivity and the bounds."""
    f = factor(T, method=method, mode=mode, mask=mask, seed=seed)
    cert = f.certificate()
    assert_certificate_is_for(cert, T)
    # the builder's own output may exceed the limits set for certificates from strangers
    verdict = check_certificate(cert, matrix=exact_rows(T), limits=Limits(entry_chars=10**12, total_chars=10**15))
    assert verdict.ok, verdict.reasons
    assert f.count <= f.bound and cert["claims"]["count"] == len(cert["factors"]) == f.count
    if bound is not None:
        assert f.count <= bound, (f.count, f.word.kinds())
    for name, count in f.stages.items():
        assert count <= f.stage_bounds[name][0], (name, count)
    if mode == "positive":
        assert all(_fraction(s) > 0 for c in cert["factors"] for s in c["scale"])
    return f
