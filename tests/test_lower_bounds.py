"""Tests for proofs.lower_bounds (certified lower-bound witnesses; no imports from construct)."""
import copy
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sympy import Matrix, Rational, eye, symbols, zeros

from proofs.lower_bounds import (
    ARGUMENTS,
    FORMAT,
    _always_nonreal,
    _always_real,
    _eye,
    _matmul,
    check_upper_example,
    check_witness,
    factor_matrix,
    format_report,
    groebner_crosscheck,
    load_witnesses,
    sign_set,
    three_couplings_2x2,
)

WITNESSES = {w["id"]: w for w in load_witnesses()}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small = st.fractions(min_value=-5, max_value=5, max_denominator=4)


def with_matrix(w, rows, **changes):
    w = copy.deepcopy(w)
    w["matrix"] = [[str(Fraction(x)) for x in row] for row in rows]
    w.pop("upper_example", None)
    w.update(changes)
    return w


def rejected(w):
    ok, reasons = check_witness(w)
    assert ok is False and reasons
    return " ".join(reasons)


# ---------------------------------------------------------------- stored witnesses


def test_expected_witnesses_present():
    assert {"any_k3", "any_k5", "positive_k3_d1", "positive_k5", "positive_k5_spectrum"} <= set(WITNESSES)
    best = {m: max(w["k"] for w in WITNESSES.values() if w["mode"] == m) for m in ("any", "positive")}
    assert best == {"any": 5, "positive": 5}


@pytest.mark.parametrize("wid", sorted(WITNESSES))
def test_every_stored_witness_checks(wid):
    w = WITNESSES[wid]
    assert w["format"] == FORMAT
    ok, reasons = check_witness(w)
    assert ok, reasons
    ex_ok, ex_reasons = check_upper_example(w)
    assert ex_ok is True, ex_reasons
    assert len(w["upper_example"]) == w["k"] + 1  # every witness is tight: exactly k + 1 needed


def test_any_k3_has_explicit_four_factor_product():
    w = WITNESSES["any_k3"]
    n, p = w["n"], w["split"]
    prod = _eye(n)
    for f in w["upper_example"]:
        shear = [[Fraction(x) for x in row] for row in f["shear"]]
        scale = [Fraction(x) for x in f["scale"]]
        prod = _matmul(prod, factor_matrix(f["kind"], shear, scale, n, p))
    assert len(w["upper_example"]) == 4
    assert prod == [[Fraction(x) for x in row] for row in w["matrix"]]
    assert [f["kind"] for f in w["upper_example"]] == ["lower", "upper", "lower", "upper"]


def test_report_and_cli():
    text = format_report()
    for wid in WITNESSES:
        assert wid in text
    assert "REJECTED" not in text and f"{len(WITNESSES)}/{len(WITNESSES)}" in text
    out = subprocess.run([sys.executable, "-m", "proofs.lower_bounds"], capture_output=True, text=True)
    assert out.returncode == 0 and "CERTIFIED" in out.stdout


def test_does_not_import_construct():
    code = ("import sys, proofs.lower_bounds as lb; lb.format_report(); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'construct']")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---------------------------------------------------------------- tampered witnesses


def test_rejects_nonzero_off_diagonal_block():
    for wid in ("any_k3", "any_k5", "positive_k5", "positive_k5_spectrum"):
        w = copy.deepcopy(WITNESSES[wid])
        w["matrix"][0][3] = "1/3"
        assert "off-diagonal" in rejected(w) or "not the matrix" in rejected(w)
        w.pop("upper_example")
        assert "off-diagonal" in rejected(w)


def test_rejects_real_spectrum_block():
    base = WITNESSES["positive_k5_spectrum"]
    # non-rotation block with real eigenvalues (unipotent)
    assert "neither" in rejected(with_matrix(base, [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
    # zero diagonal but det X < 0 (a reflection-like block, real eigenvalues), det T > 0
    T = [[0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]]
    assert "neither" in rejected(with_matrix(base, T))
    assert "overlap" in rejected(with_matrix(WITNESSES["positive_k5"], T))
    # rotation on both sides: both spectra non-real, no obstruction
    R2 = [[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -1], [0, 0, 1, 0]]
    assert "neither" in rejected(with_matrix(base, R2))
    assert "overlap" in rejected(with_matrix(WITNESSES["positive_k5"], R2))


def test_rejects_mode_any_for_positive_only_lemmas():
    w = copy.deepcopy(WITNESSES["positive_k5"])
    w["mode"] = "any"  # diag(R, I) is a product of 4 couplings in mode any
    w.pop("upper_example")
    assert "overlap" in rejected(w)
    w["argument"] = "block-diagonal-nonreal-spectrum"
    assert "positive scales" in rejected(w)


def test_rejects_k_larger_than_proved_and_accepts_smaller():
    for wid, w in WITNESSES.items():
        kmax = ARGUMENTS[w["argument"]][1]
        bigger = copy.deepcopy(w)
        bigger["k"] = kmax + 1
        assert "exceeds" in rejected(bigger)
        smaller = copy.deepcopy(w)
        smaller["k"] = 2
        assert check_witness(smaller)[0], wid


def test_rejects_scaling_and_bad_determinants():
    w = WITNESSES["any_k3"]
    assert "scaling" in rejected(with_matrix(w, [[2, 0, 0, 0], [0, -1, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]))
    assert "singular" in rejected(with_matrix(w, [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
    # positive mode: a positive diagonal is a scaling; det < 0 is vacuous
    pos = WITNESSES["positive_k3_d1"]
    assert "scaling" in rejected(with_matrix(pos, [[2, 0], [0, 3]]))
    assert "det" in rejected(with_matrix(pos, [[-1, 0], [0, 1]]))
    # any mode: a negative diagonal is an admissible scaling
    assert "scaling" in rejected(with_matrix(pos, [[-1, 0], [0, -1]], mode="any"))


def test_rejects_tampered_upper_example():
    w = copy.deepcopy(WITNESSES["any_k5"])
    w["upper_example"][2]["shear"][0][0] = "2"
    assert "not the matrix" in rejected(w)
    w = copy.deepcopy(WITNESSES["positive_k3_d1"])
    w["upper_example"][0]["scale"] = ["-1"]
    assert "not admissible" in rejected(w)
    # an example that is too short contradicts the claim (direct call: k is not checked there)
    w = copy.deepcopy(WITNESSES["any_k3"])
    w["k"] = 4
    ok, reasons = check_upper_example(w)
    assert ok is False and "contradicts" in " ".join(reasons)


@pytest.mark.parametrize("change", [
    {"format": "couplings.lower-bound/0"}, {"mode": "signed"}, {"k": "5"}, {"k": 0},
    {"argument": "trust-me"}, {"split": 0}, {"n": 3}, {"extra": 1}, {"statement": None},
])
def test_rejects_malformed(change):
    w = copy.deepcopy(WITNESSES["any_k5"])
    w.update(change)
    assert "malformed" in rejected(w)


def test_rejects_malformed_numbers():
    for bad in (0, 0.5, "0.5", "1/0", None):
        w = copy.deepcopy(WITNESSES["any_k5"])
        w["matrix"][1][1] = bad
        assert "malformed" in rejected(w)
    w = copy.deepcopy(WITNESSES["any_k5"])
    del w["matrix"]
    assert "missing" in rejected(w)


def test_roundtrip_json(tmp_path):
    for wid, w in WITNESSES.items():
        (tmp_path / f"{wid}.json").write_text(json.dumps(w))
    assert load_witnesses(tmp_path) == [WITNESSES[k] for k in sorted(WITNESSES)]


# ---------------------------------------------------------------- the algebra behind the lemmas


def mat(draw, d):
    return Matrix(d, d, [Rational(str(draw(small))) for _ in range(d * d)])


def Lu(a):
    d = a.rows
    return Matrix.vstack(Matrix.hstack(eye(d), zeros(d)), Matrix.hstack(a, eye(d)))


def Uu(b):
    d = b.rows
    return Matrix.vstack(Matrix.hstack(eye(d), b), Matrix.hstack(zeros(d), eye(d)))


def test_symbolic_identities_of_the_proofs():
    d = 2
    a, b, c, e, x, f, A, D = (Matrix(d, d, symbols(f"{s}0:4")) for s in "abcexfAD")
    E, F = Matrix.diag(*symbols("E0:2")), Matrix.diag(*symbols("F0:2"))
    Dl = Matrix.diag(E, F)
    J = Matrix.vstack(Matrix.hstack(zeros(d), eye(d)), Matrix.hstack(eye(d), zeros(d)))
    I = eye(d)
    # (R1), (R2), (R3), J conjugation
    assert Lu(A) * Matrix.diag(I, F) == Matrix.vstack(Matrix.hstack(I, zeros(d)), Matrix.hstack(A, F))
    assert (Dl * Lu(A) - Lu(F * A * E.inv()) * Dl).applyfunc(lambda t: t.simplify()).is_zero_matrix
    assert (Dl * Uu(D) - Uu(E * D * F.inv()) * Dl).applyfunc(lambda t: t.simplify()).is_zero_matrix
    assert Lu(A) * Lu(D) == Lu(A + D) and Uu(A) * Uu(D) == Uu(A + D)
    assert J * Uu(D) * J == Lu(D) and J * Lu(A) * J == Uu(A)
    # the two three-factor expansions used in lemma 1 and lemma 0
    blk = lambda P, Q, R, S: Matrix.vstack(Matrix.hstack(P, Q), Matrix.hstack(R, S))  # noqa: E731
    assert (Uu(b) * Lu(c) * Uu(e) - blk(I + b * c, (I + b * c) * e + b, c, c * e + I)).expand().is_zero_matrix
    assert (Lu(a) * Uu(b) * Lu(c) - blk(I + b * c, b, a + (a * b + I) * c, a * b + I)).expand().is_zero_matrix
    # lemma 0: stripping the outer factors of a block diagonal
    X, Y = Matrix(d, d, symbols("X0:4")), Matrix(d, d, symbols("Y0:4"))
    assert (Lu(-x) * Matrix.diag(X, Y) * Lu(-f) - blk(X, zeros(d), -x * X - Y * f, Y)).expand().is_zero_matrix


@SETTINGS
@given(st.data())
def test_lemma0_converse_and_sylvester(data):
    """If X'^-1 = I + e c and Y' = I + c e then diag(X', Y') is a product of 4 unit factors,
    and e c, c e share the characteristic polynomial (the invariant is exactly right)."""
    d = data.draw(st.integers(1, 3))
    e, c = mat(data.draw, d), mat(data.draw, d)
    assert (e * c).charpoly().all_coeffs() == (c * e).charpoly().all_coeffs()
    M = eye(d) + e * c
    assume(M.det() != 0)
    Xp, Yp = M.inv(), eye(d) + c * e
    assert Lu(-c * Xp.inv()) * Uu(-Xp * e) * Lu(c) * Uu(e) == Matrix.diag(Xp, Yp)


@SETTINGS
@given(st.lists(small, min_size=1, max_size=4), st.data(), st.sampled_from(["any", "positive"]))
def test_sign_set_is_sound(v, data, mode):
    xs = st.fractions(min_value=Fraction(1, 8), max_value=8, max_denominator=8)
    if mode == "any":
        xs = st.tuples(xs, st.booleans()).map(lambda t: t[0] if t[1] else -t[0])
    x = [data.draw(xs) for _ in v]
    s = sum(a * b for a, b in zip(v, x))
    assert (s > 0) - (s < 0) in sign_set(v, mode)


#: 2 x 2 entries; half of them with a zero diagonal, where "always non-real" (disc < 0) can hold
two_by_two = st.one_of(
    st.lists(small, min_size=4, max_size=4),
    st.tuples(small, small).map(lambda t: [Fraction(0), t[0], t[1], Fraction(0)]),
)


def discriminant(N, d1, d2):
    """Discriminant of the characteristic polynomial of ``diag(d1, d2) N``."""
    DN = [[d1 * N[0][0], d1 * N[0][1]], [d2 * N[1][0], d2 * N[1][1]]]
    return (DN[0][0] + DN[1][1]) ** 2 - 4 * (DN[0][0] * DN[1][1] - DN[0][1] * DN[1][0])


@SETTINGS
@given(two_by_two, st.fractions(min_value=Fraction(1, 9), max_value=9),
       st.fractions(min_value=Fraction(1, 9), max_value=9))
@example([0, 1, -1, 0], Fraction(1), Fraction(1))  # the rotation: always non-real, disc = -4
@example([0, Fraction(1, 4), -5, 0], Fraction(9), Fraction(1, 9))
def test_real_and_nonreal_criteria(entries, d1, d2):
    N = [entries[:2], entries[2:]]
    disc = discriminant(N, d1, d2)
    if _always_real(N):
        assert disc >= 0
    if _always_nonreal(N):
        assert disc < 0
    Z = [[Fraction(0), entries[1]], [entries[2], Fraction(0)]]  # zero diagonal
    if entries[1] * entries[2] < 0:
        assert _always_nonreal(Z)


@SETTINGS
@given(st.lists(small, min_size=4, max_size=4), st.sampled_from(["any", "positive"]))
@example([-2, 0, 0, -3], "positive")  # the one case with no 3-factor product: a witness instead
@example([0, 1, -1, 0], "any")
def test_three_couplings_for_every_2x2(entries, mode):
    """d = 1: every invertible 2 x 2 matrix is a product of <= 3 couplings (mode positive:
    unless it is a negative diagonal), so k = 3 witnesses in mode any need d >= 2."""
    T = [entries[:2], entries[2:]]
    det = T[0][0] * T[1][1] - T[0][1] * T[1][0]
    assume(det != 0 and (mode == "any" or det > 0))
    fs = three_couplings_2x2(T, mode)
    if fs is None:  # only a negative diagonal in positive mode: then a certified witness
        assert mode == "positive" and T[0][1] == T[1][0] == 0 and T[0][0] < 0
        w = {"format": FORMAT, "mode": mode, "k": 3, "n": 2, "split": 1, "statement": "",
             "argument": "block-diagonal-not-scaling", "matrix": [[str(x) for x in r] for r in T]}
        assert check_witness(w)[0]
    else:
        assert_three_couplings(fs, T, mode)


def assert_three_couplings(fs, T, mode):
    assert len(fs) <= 3
    prod = _eye(2)
    for kind, shear, scale in fs:
        assert all(s > 0 for s in scale) if mode == "positive" else all(s != 0 for s in scale)
        prod = _matmul(prod, factor_matrix(kind, shear, scale, 2, 1))
    assert prod == T


# ---------------------------------------------------------------- Groebner cross-check (fast parts)


def test_groebner_crosscheck_fast_parts():
    ok, reasons = groebner_crosscheck(WITNESSES["any_k3"], full=True)  # LUL and ULU, < 1 s
    assert ok and len(reasons) == 2
    ok, reasons = groebner_crosscheck(WITNESSES["any_k5"], full=False)  # reduced systems of lemma 0
    assert ok and len(reasons) == 2
    # negative control: diag(R, I) IS a product of 4 couplings in mode any
    w = copy.deepcopy(WITNESSES["positive_k5"])
    w["mode"] = "any"
    ok, reasons = groebner_crosscheck(w, full=False)
    assert not ok
    assert groebner_crosscheck(WITNESSES["positive_k5"])[0] is False  # positivity: refused
