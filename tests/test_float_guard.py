"""Never silently wrong (issue 20, items 2 and 5): float64 and mp answers are correct within the allowed
relative residual, or refused with exit 1 and one sentence; never a traceback, a warning or exit 3."""

import json
import warnings
from fractions import Fraction

import numpy as np
import pytest

from construct.core.accuracy import AccuracyError
from construct.core.matrices import from_rows
from construct.front.factor import factor
from proofs.checker import certificate_number
from tests.test_cli import call

LEVELS_FLOAT = ("factor", "--method", "levels", "--arith", "float64")


def refused(r, *words):
    """Exit 1 with one sentence on stderr, nothing on stdout."""
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert not r.stdout and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def factored(capsys, path, *options):
    """The certificate of a float64 factorization that succeeded, checked against the matrix with a relative
    residual below 1e-12."""
    r = call(capsys, *LEVELS_FLOAT, str(path), "--format", "json", *options)
    assert r.returncode == 0, r.stderr
    cert = json.loads(r.stdout)
    assert cert["relative_residual"] < 1e-12
    return cert


def save(tmp_path, name, A):
    path = tmp_path / name
    np.save(path, A)
    return path


def exact(text):
    """A certificate's number string (/1 or /2) as a Fraction."""
    q = certificate_number(text)
    return Fraction(int(q.p), int(q.q))


def product_2x2(cert):
    """The exact product of a 2x2 certificate's factors (split 1, no mask)."""
    P = [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]]
    for f in cert["factors"]:
        x, c = exact(f["shear"][0][0]), exact(f["scale"][0])
        F = [[1, 0], [x, c]] if f["kind"] == "lower" else [[c, x], [0, 1]]
        P = [[sum(P[i][k] * F[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    return P


@pytest.mark.parametrize("A", [[[1e200, 1], [1, 1]], [[1e-200, 2e-200], [3e-200, 1e-200]], [[1, 1e300], [1e-300, 2]]])
def test_huge_or_tiny_2x2_is_factored_correctly(capsys, tmp_path, A):
    # the balancing's condition bounds squared shears from 1e154 on: overflow, NaN, a rescaling path that did
    # not end where it began, and factors multiplying to 16 T
    cert = factored(capsys, save(tmp_path, "T.npy", np.array(A)))
    P = product_2x2(cert)
    for i in range(2):
        for j in range(2):  # every entry, the small ones too, to about its own roundoff
            assert abs(P[i][j] - Fraction(A[i][j])) <= Fraction(1e-15) * abs(Fraction(A[i][j])), (i, j)


@pytest.mark.parametrize("n", [4, 64])
def test_subnormal_entries_are_factored(capsys, tmp_path, n):
    A = np.random.default_rng(1).normal(size=(n, n)) * 1e-310
    cert = factored(capsys, save(tmp_path, "T.npy", A))
    assert cert["claims"]["count"] <= cert["claims"]["bound"]


@pytest.mark.parametrize("n, split", [(17, 5), (24, 1), (65, 5)])
def test_subnormal_entries_are_factored_with_an_unequal_split(capsys, tmp_path, n, split):
    # the levels of the split's sizes were built for T itself: pivots' reciprocals overflowed (exit 3, "cannot
    # convert inf or nan to int" at n = 65, split 5) until they too were built for 2^-e T
    A = np.random.default_rng(2).normal(size=(n, n)) * 1e-310
    cert = factored(capsys, save(tmp_path, "T.npy", A), "--split", str(split))
    assert cert["split"] == split and cert["claims"]["count"] <= cert["claims"]["bound"]


def ar1_whitening(n, rho=0.99):
    i = np.arange(n)
    return np.linalg.inv(np.linalg.cholesky(rho ** np.abs(i[:, None] - i[None, :])))


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_ar1_whitening_with_split_10_is_refused_truthfully(capsys, tmp_path, mode):
    # cond T is 66, but the exact clearing of split 10 leaves a numerically singular balanced rest: it used to
    # end in exit 3 (LinAlgError) in mode any and in "T is too ill-conditioned" in positive mode
    path = save(tmp_path, "W.npy", ar1_whitening(64))
    r = call(capsys, *LEVELS_FLOAT, str(path), "--split", "10", "--mode", mode)
    if r.returncode == 0:  # the well-conditioned route for unequal splits (issue 20, item 1) factored it
        assert "relative residual" in r.stdout
        return
    refused(r, "balanced rest", "numerically singular", "that of T only 66", "--arith exact")


def test_an_unequal_split_far_from_t_is_refused_and_not_written(capsys, tmp_path):
    # split 1 at n = 24: the exact clearing's shears grow, and the rounded word misses T by 2e-2
    path = save(tmp_path, "T.npy", np.random.default_rng(5).normal(size=(24, 24)))
    out = tmp_path / "c.json"
    r = call(capsys, *LEVELS_FLOAT, str(path), "--split", "1", "--out", str(out))
    if r.returncode == 0:  # the well-conditioned route for unequal splits (issue 20, item 1) factored it
        assert json.loads(out.read_text())["relative_residual"] < 1e-8
        return
    refused(r, "relative residual of", "above --max-relative-error 1e-08", "a balanced --split")
    assert not out.exists()


def test_ar1_whitening_balanced_is_factored_in_positive_mode(capsys, tmp_path):
    factored(capsys, save(tmp_path, "W.npy", ar1_whitening(64)), "--mode", "positive")


def kahan(n, theta=0.3):
    s, c = np.sin(theta), np.cos(theta)
    return np.diag(s ** np.arange(n)) @ (np.eye(n) - c * np.triu(np.ones((n, n)), 1))


def test_kahan_256_is_refused_as_numerically_singular_without_warnings(capsys, tmp_path):
    path = save(tmp_path, "K.npy", kahan(256))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = call(capsys, *LEVELS_FLOAT, str(path))
    refused(r, "numerically singular in float64", "cond T", "--arith exact", "--arith mp")


def test_q_diag_s_goes_to_rotation_levels(capsys, tmp_path):
    # cond T 1e5, but 1 with the columns scaled: LU levels left a relative residual of 3e-12, rotation levels 5e-15
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.normal(size=(64, 64)))[0]
    s = np.logspace(0, -5, 64)
    rng.shuffle(s)
    cert = factored(capsys, save(tmp_path, "T.npy", Q * s[None, :]))
    assert cert["relative_residual"] < 1e-13 and "rotations" in cert["claims"]["stages"]


def test_table_and_json_show_the_relative_residual(capsys):
    r = call(capsys, *LEVELS_FLOAT)
    assert r.returncode == 0 and "relative residual max |prod - T| / max |T| <= " in r.stdout
    r = call(capsys, "factor", "--method", "levels", "--arith", "mp", "--digits", "30", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["relative_residual"] < 1e-28


NEAR_SINGULAR = "1, 1\n1, 1.0000000000000001\n"  # cond about 4e16, exactly (float64 rounds it to singular)


def test_numerically_singular_input_is_refused_with_the_way_out(capsys, tmp_path):
    path = tmp_path / "T.csv"
    path.write_text(NEAR_SINGULAR)
    refused(call(capsys, *LEVELS_FLOAT, str(path)), "numerically singular in float64", "cond T", "--digits")
    r = call(capsys, "factor", "--method", "levels", "--arith", "mp", "--digits", "40", str(path), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["relative_residual"] < 1e-35
    refused(call(capsys, "factor", "--method", "levels", "--arith", "mp", "--digits", "10", str(path)),
            "numerically singular in mp at 10 digits", "more --digits than 10")


def test_a_residual_above_the_allowed_error_is_refused(capsys, tmp_path):
    path = save(tmp_path, "T.npy", np.random.default_rng(2).normal(size=(16, 16)))
    refused(call(capsys, *LEVELS_FLOAT, str(path), "--max-relative-error", "1e-30", "--out", str(tmp_path / "c.json")),
            "relative residual of", "above --max-relative-error 1e-30", "--arith exact")
    assert not (tmp_path / "c.json").exists()
    r = call(capsys, *LEVELS_FLOAT, str(path), "--max-relative-error", "0")
    assert r.returncode == 2 and "expected a number > 0" in r.stderr


def test_the_api_raises_accuracy_error():
    with pytest.raises(AccuracyError, match="numerically singular in float64"):
        factor(from_rows([[1, 1], [1, Fraction(2**52 + 1, 2**52)]]), method="levels", arith="float64")
    T = from_rows([[3, 1], [1, 1]])
    with pytest.raises(AccuracyError, match="above --max-relative-error"):
        factor(T, method="levels", arith="mp", digits=20, max_relative_error=1e-40)
    f = factor(T, method="levels", arith="float64")
    assert f.verdict.ok and f.relative_residual < 1e-15


def test_export_refuses_factors_that_are_not_t_in_float64(capsys, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("zuko")
    path = save(tmp_path, "T.npy", np.random.default_rng(3).normal(size=(12, 12)))
    cert = tmp_path / "short.json"
    assert call(capsys, "factor", str(path), "--out", str(cert)).returncode == 0  # exact, long entries
    refused(call(capsys, "export", str(cert), "--to", "zuko", "--out", str(tmp_path / "flow.pt")),
            "rounded to float64", "--method levels")
    assert not (tmp_path / "flow.pt").exists()


@pytest.mark.parametrize("scale_rows, scale_columns", [(1e100, 1e-80), (1e-300, 1.0), (1.0, 1e250)])
def test_scaled_condition_from_the_float_image_equals_the_exact_scaling(scale_rows, scale_columns):
    # scaled_float reads the powers of two off T's float64 image; for float entries they are binary_exponent's
    from construct.core.accuracy import scaled_float, scaled_rows
    from construct.core.matrices import from_rows
    A = np.random.default_rng(7).normal(size=(12, 12))
    A[2] *= scale_rows
    A[:, 9] *= scale_columns
    exact = np.array([[num / den for num, den in row] for row in scaled_rows(from_rows(A.tolist()))])
    assert np.array_equal(scaled_float(from_rows(A.tolist())), exact)
