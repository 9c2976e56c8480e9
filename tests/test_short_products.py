"""Products of at most three couplings come back from ``short`` with at most that many (issue 12).

The inputs are built as products, with small integer shears so that
singular blocks (zero, rank one, sparse) are frequent; the certificate is
checked by :func:`~tests.helpers.assert_factors` (recomputed product, the
trusted checker, positive scales in positive mode).
"""

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import QQ

from construct.core.couplings import Word, lower, upper
from construct.core.matrices import from_rows
from construct.methods.short import generalized_inverse
from tests.helpers import assert_factors

ISSUE_12 = [[-11, -3, -3, -3], [9, QQ(7, 2), 3, 3], [12, QQ(5, 2), QQ(5, 2), 3], [-6, QQ(-1, 2), -3, 0]]


@st.composite
def shears(draw, d):
    """A ``d x d`` shear that is often singular: zero, rank one, sparse or with entries in ``-1..1``."""
    kind = draw(st.sampled_from(["zero", "rank one", "sparse", "small"]))
    if kind == "zero":
        return from_rows([[0] * d for _ in range(d)])
    if kind == "rank one":
        u = draw(st.lists(st.integers(-2, 2), min_size=d, max_size=d))
        v = draw(st.lists(st.integers(-2, 2), min_size=d, max_size=d))
        return from_rows([[a * b for b in v] for a in u])
    entries = st.sampled_from([0, 0, 0, 1, -1, 2]) if kind == "sparse" else st.integers(-1, 1)
    return from_rows(draw(st.lists(st.lists(entries, min_size=d, max_size=d), min_size=d, max_size=d)))


@st.composite
def products(draw, k, positive):
    """``(T, d)`` with ``T`` a product of ``k`` alternating couplings, scales positive if ``positive``."""
    d = draw(st.integers(1, 5))
    values = [1, 2, 3, QQ(1, 2)] + ([] if positive else [-1, -2, QQ(-1, 3)])
    first = draw(st.sampled_from([lower, upper]))
    factors = []
    for i in range(k):
        kind = first if i % 2 == 0 else (upper if first is lower else lower)
        scale = draw(st.one_of(st.just([1] * d), st.lists(st.sampled_from(values), min_size=d, max_size=d)))
        factors.append(kind(draw(shears(d)), [QQ(s) for s in scale]))
    return Word(2 * d, d, factors, QQ).matrix(), d


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("mode", ["any", "positive"])
def test_product_of_k_couplings_comes_back_with_at_most_k(k, mode):
    @settings(max_examples=60, deadline=None)
    @given(case=products(k, mode == "positive"))
    def check(case):
        T, _ = case
        f = assert_factors(T, "short", mode)
        assert f.count <= k, (f.count, f.method, T.to_list())
        assert f.method in ("short:two", "short:three")

    check()


@st.composite
def products_with_singular_middle(draw, positive):
    """``U L U`` or ``L U L`` whose middle shear has a zero row: the old test, which inverted it, never applied."""
    d = draw(st.integers(1, 5))
    values = [1, 2, QQ(1, 2)] + ([] if positive else [-1, -3])
    outer, middle = draw(st.sampled_from([(upper, lower), (lower, upper)]))
    A = draw(shears(d)).to_list()
    A[draw(st.integers(0, d - 1))] = [0] * d
    factors = [kind(shear, [QQ(draw(st.sampled_from(values))) for _ in range(d)])
               for kind, shear in ((outer, draw(shears(d))), (middle, from_rows(A)), (outer, draw(shears(d))))]
    return Word(2 * d, d, factors, QQ).matrix()


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_product_of_three_with_singular_middle_shear_is_at_most_three(mode):
    @settings(max_examples=60, deadline=None)
    @given(T=products_with_singular_middle(mode == "positive"))
    def check(T):
        f = assert_factors(T, "short", mode)
        assert f.count <= 3, (f.count, f.method, T.to_list())

    check()


def test_issue_12_matrix_is_three_couplings():
    f = assert_factors(from_rows(ISSUE_12), "short", "any")
    assert (f.count, f.method) == (3, "short:three")


def test_issue_12_matrix_from_the_command_line(tmp_path):
    """``couplings factor`` prints 3 factors, and ``couplings verify`` accepts the certificate."""
    src, cert = tmp_path / "T.csv", tmp_path / "cert.json"
    src.write_text("-11, -3, -3, -3\n9, 7/2, 3, 3\n12, 5/2, 5/2, 3\n-6, -1/2, -3, 0\n")
    cli = [sys.executable, "-m", "construct"]
    r = subprocess.run([*cli, "factor", str(src), "--out", str(cert)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "method short:three: 3 couplings" in r.stdout and "F3 =" in r.stdout and "F4 =" not in r.stdout
    assert len(json.loads(cert.read_text())["factors"]) == 3
    v = subprocess.run([*cli, "verify", str(cert)], capture_output=True, text=True, timeout=300)
    assert v.returncode == 0 and v.stdout.startswith("verified: 4x4 matrix = product of 3 couplings")


@pytest.mark.parametrize(
    "rows, count",
    [
        ([[2, 1], [0, 3]], 2),  # upper triangular d = 1: U(2, 1/3) L(0, 3), zero bottom-left block
        ([[0, 0, 1, 0], [0, 0, 0, 1], [-1, 0, 0, 0], [0, -1, 0, 0]], 3),  # the cross swap U(I) L(-I) U(I)
        # U(2 1, [[1, 0], [2, 1]]) L([[1, 2], [2, 4]], 3 1/2) U([[0, 1], [1, 0]]): a rank-one middle shear
        ([[3, 2, 5, 3], [4, 9, 15, QQ(9, 2)], [1, 2, 5, 1], [2, 4, 4, QQ(5, 2)]], 3),
    ],
)
def test_small_products_of_positive_couplings_positive_mode(rows, count):
    f = assert_factors(from_rows(rows), "short", "positive")
    assert f.count <= count


def test_half_swap_is_no_product_of_three_positive_couplings():
    """``J = [[0, I], [I, 0]]`` (det 1 for d = 2) needs ``Gamma = -beta`` in ``V21 Gamma = -beta R``: not three positive."""
    J = from_rows([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert assert_factors(J, "short", "any").count == 3
    assert assert_factors(J, "short", "positive").count > 3


def test_three_is_refused_for_a_generic_matrix():
    """A generic matrix is no product of three couplings: the route says no and ``five`` answers."""
    f = assert_factors(from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]]), "short", "any")
    assert (f.count, f.method) == (5, "short:five")


@settings(max_examples=40, deadline=None)
@given(A=st.integers(1, 5).flatmap(shears))
def test_generalized_inverse_satisfies_A_G_A_equals_A(A):
    assert A * generalized_inverse(A) * A == A


def test_a_wrong_word_is_an_internal_error_with_the_matrix_saved(monkeypatch, capsys, tmp_path):
    """No silent fallback: a route that builds a word other than T makes ``factor`` exit 3 and name a saved file."""
    import re
    import tempfile

    from construct.methods import short
    from construct.front.cli import main

    def wrong_two(T, positive, rng):
        return Word(T.shape[0], T.shape[0] // 2, [lower(from_rows([[1]]))], QQ)

    monkeypatch.setattr(short, "ROUTES", [("two", wrong_two, 2)] + short.ROUTES[1:])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the saved matrix goes there
    src = tmp_path / "T.csv"
    src.write_text("2, 1\n1, 1\n")
    code = main(["factor", str(src)])
    err = capsys.readouterr().err
    assert code == 3 and "internal error" in err and "short:two built a word that is not T" in err, err
    saved = re.search(r"saved in (\S+\.csv)", err).group(1)
    assert saved.startswith(str(tmp_path))
    with open(saved) as f:
        assert f.read() == "2, 1\n1, 1\n"
