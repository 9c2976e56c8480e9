"""The kernel against the plain reference checker (tests/reference_checker.py) on adversarial certificates.

Every certificate here is tied to the matrix it factors: the matrix is the exact product of its factors
(computed with Fractions), then perturbed on purpose where a test says so.
COUPLINGS_DIFFERENTIAL_EXAMPLES=N runs the differential test with N examples (default 150).
"""
import os
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proofs.kernel
from proofs.checker import check_certificate
from tests.reference_checker import accepts
from tests.test_checker import make_cert

EXAMPLES = int(os.environ.get("COUPLINGS_DIFFERENTIAL_EXAMPLES", 150))


def zero_shear(rows, cols):
    return [[F(0)] * cols for _ in range(rows)]


def issue_certificate():
    """The 34x34 certificate of the soundness bug: its true residual is 2^100 (about 1.27e30), tolerance 1."""
    n, p = 34, 17
    upper = zero_shear(p, n - p)
    upper[0][0] = F(2) ** 300
    cert = make_cert(n, p, [("upper", upper, [F(1)] * p),
                            ("lower", zero_shear(n - p, p), [1 + F(1, 2 ** 200)] + [F(1)] * (n - p - 1))],
                     mode="positive")
    cert["matrix"][0][p] = str(F(2) ** 300)  # the product has 2^300 + 2^100 there
    cert["claims"].update(method="x", bound=2, tolerance="1")
    return cert


def test_the_34x34_certificate_of_the_soundness_bug_is_rejected():
    cert = issue_certificate()
    assert not accepts(cert)
    v = check_certificate(cert, mode="positive", max_factors=2)
    assert not v.ok and "by more than the tolerance 1 at entry (1, 18)" in v.reasons[0], v.reasons
    cert["claims"]["tolerance"] = str(F(2) ** 100)  # exactly the residual: true, and proved
    assert accepts(cert) and check_certificate(cert).ok


def test_a_residual_above_the_tolerance_by_less_than_a_ball_radius_is_rejected():
    """Kills "accept against the ball's upper tolerance" and "ignore the radius": only exact rationals decide."""
    cert = issue_certificate()
    for tolerance, ok in [(F(2) ** 100 - F(1, 2 ** 300), False), (F(2) ** 100 + F(1, 2 ** 300), True)]:
        cert["claims"]["tolerance"] = str(tolerance)
        assert accepts(cert) is ok and check_certificate(cert).ok is ok


def test_an_exact_product_with_tolerance_zero_is_accepted_at_large_n():
    n, p = 33, 16
    lower = zero_shear(n - p, p)
    lower[1][2], lower[5][0] = F(2) ** 400, -F(3, 2 ** 399)
    upper = zero_shear(p, n - p)
    upper[2][1] = F(-(2 ** 400) + 1, 7)
    cert = make_cert(n, p, [("lower", lower, [F(1) + F(1, 2 ** 200)] * (n - p)), ("upper", upper, [F(1)] * p)])
    cert["claims"]["tolerance"] = "0"
    assert accepts(cert) and check_certificate(cert).ok


@pytest.mark.parametrize("scale", [F(-1, 2), -F(1, 2 ** 100), F(-1)])
def test_positive_mode_rejects_every_negative_scale(scale):
    cert = make_cert(4, 2, [("lower", [[F(1), F(0)], [F(0), F(1)]], [F(2), scale])], mode="positive")
    assert not accepts(cert)
    v = check_certificate(cert)
    assert not v.ok and 'mode "positive" requires positive scales' in v.reasons[0]


def test_the_given_matrix_is_compared_in_every_entry():
    cert = make_cert(3, 1, [("lower", [[F(1)], [F(2)]], [F(3), F(4)])])
    matrix = [[F(x) for x in row] for row in cert["matrix"]]
    assert check_certificate(cert, matrix=matrix).ok
    matrix[2][2] += 1
    v = check_certificate(cert, matrix=matrix)
    assert not v.ok and "differs from the given matrix at entry (3, 3)" in v.reasons[0]


def test_every_ball_decision_is_proved_or_decided_exactly(monkeypatch):
    """With ball arithmetic at every n, the kernel still agrees with exact rationals near the boundary."""
    monkeypatch.setattr(proofs.kernel, "EXACT_TOLERANCE_N", 0)
    cert = make_cert(4, 2, [("upper", [[F(2) ** 300, F(0)], [F(0), F(0)]], [F(1), F(1)]),
                            ("lower", [[F(0), F(0)], [F(0), F(0)]], [1 + F(1, 2 ** 200), F(1)])])
    cert["matrix"][0][2] = str(F(2) ** 300)
    for tolerance in [F(2) ** 100, F(2) ** 100 - F(1, 2 ** 300), F(1), F(0)]:
        cert["claims"]["tolerance"] = str(tolerance)
        assert check_certificate(cert).ok is accepts(cert) is (tolerance >= F(2) ** 100)


# ---------------------------------------------------------------- the differential test

SIZES = [2, 3, 4, 5, 7, 32, 33, 34]  # both sides of the ball threshold (n > 32)


def values(draw, near_one=False):
    k = draw(st.integers(1, 400))
    base = draw(st.sampled_from(["one", "tiny", "huge", "small", "decimal"]))
    x = {"one": 1 + F(draw(st.sampled_from([1, -1])), 2 ** k), "tiny": F(1, 2 ** k), "huge": F(2) ** k,
         "small": F(draw(st.integers(-9, 9)), draw(st.integers(1, 9))) or F(1),
         "decimal": F(f"{draw(st.integers(-10 ** 20, 10 ** 20))}e-{draw(st.integers(0, 40))}") or F(1)}[base]
    if near_one:
        return x
    return x if draw(st.booleans()) else -x


@st.composite
def adversarial(draw):
    n = draw(st.sampled_from(SIZES))
    p = draw(st.integers(1, n - 1))
    mode = draw(st.sampled_from(["any", "positive"]))
    factors = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["lower", "upper"]))
        rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
        shear = zero_shear(rows, cols)
        for _ in range(draw(st.integers(0, 3 if n > 8 else rows * cols))):
            shear[draw(st.integers(0, rows - 1))][draw(st.integers(0, cols - 1))] = values(draw)
        scale = [values(draw, near_one=True) if draw(st.booleans()) else F(1) for _ in range(rows)]
        if mode == "any" or draw(st.integers(0, 9)) == 0:  # now and then a negative scale in positive mode
            scale = [s if draw(st.booleans()) else -s for s in scale]
        factors.append((kind, shear, scale))
    mask = None
    if draw(st.booleans()):
        ones = draw(st.permutations(range(n)))[:p]
        mask = [int(i in ones) for i in range(n)]
    cert = make_cert(n, p, factors, mode=mode, mask=mask)
    i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    delta = draw(st.sampled_from([F(0), F(0), F(1, 2 ** draw(st.integers(1, 400))), F(2) ** draw(st.integers(0, 300))]))
    cert["matrix"][i][j] = str(F(cert["matrix"][i][j]) + delta * draw(st.sampled_from([1, -1])))
    if draw(st.booleans()):  # a tolerance claim just above, at or just below the perturbation
        nudge = draw(st.sampled_from([F(0), F(1, 2 ** draw(st.integers(1, 500))), -F(1, 2 ** draw(st.integers(1, 500)))]))
        cert["claims"]["tolerance"] = str(max(F(0), delta + nudge))
    if draw(st.integers(0, 9)) == 0:
        cert["claims"]["bound"] = draw(st.integers(0, 4))
    return in_hex(cert, draw) if draw(st.booleans()) else cert


def hex_string(x, style):
    """A dyadic x as a /2 number: float.hex's form when x is a float64 (style 0), else hexadecimal digits of
    the odd mantissa with a point placed by ``style`` (1: none, 2: "1.", 3: a long fraction)."""
    if x == 0:
        return ["0", "0x0p+0", "-0x0.000p-9999", "0x0.p0"][style]
    m, k = abs(x.numerator), x.denominator.bit_length() - 1  # x = m / 2^k
    sign = "-" if x < 0 else ""
    if style == 0 and m.bit_length() <= 53 and float(abs(x)) == abs(x):
        return sign + float(abs(x)).hex()
    digits = f"{m:x}"
    if style == 2:
        return f"{sign}0x{digits[0]}.{digits[1:]}p{4 * (len(digits) - 1) - k:+d}"
    if style == 3:
        return f"{sign}0x0.{digits}{'0' * 3}p{4 * (len(digits) + 3) - k}"
    return f"{sign}0x{digits}p{-k:+d}"


def in_hex(cert, draw):
    """The certificate as /2, every dyadic number (and only some others) written in hexadecimal."""
    style = draw(st.integers(0, 3))

    def convert(s):
        x = F(s)
        dyadic = x.denominator & (x.denominator - 1) == 0
        return hex_string(x, style) if dyadic and draw(st.integers(0, 4)) else s
    cert = dict(cert, format="couplings.certificate/2", matrix=[[convert(s) for s in row] for row in cert["matrix"]])
    cert["factors"] = [{"kind": f["kind"], "shear": [[convert(s) for s in row] for row in f["shear"]],
                        "scale": [convert(s) for s in f["scale"]]} for f in cert["factors"]]
    return cert


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(adversarial())
def test_the_kernel_agrees_with_the_reference_checker(cert):
    v = check_certificate(cert)
    assert v.ok is accepts(cert), v.summary


def test_a_number_exactly_as_long_as_the_limit_is_read():
    from proofs.checker import Limits
    cert = make_cert(2, 1, [("lower", [[F(5, 2)]], [F(1)])])
    cert["factors"][0]["shear"] = [["2.5"]]
    cert["matrix"][1][0] = "2.5"
    assert check_certificate(cert, limits=Limits(entry_chars=3)).ok
    assert not check_certificate(cert, limits=Limits(entry_chars=2)).ok


def test_the_total_length_limit_counts_every_number_character():
    from proofs.checker import Limits
    cert = make_cert(2, 1, [("lower", [[F(5, 2)]], [F(3)])])
    total = sum(len(x) for row in cert["matrix"] for x in row) + len("5/2") + len("3")
    assert check_certificate(cert, limits=Limits(total_chars=total)).ok
    assert not check_certificate(cert, limits=Limits(total_chars=total - 1)).ok


def test_the_total_length_limit_is_reached_exactly_by_strings_0_and_a_tolerance_0():
    # the strings "0" of a table are counted before its other numbers, and a tolerance "0" by read's short
    # route, which did not compare the count with the limit (a certificate one character over was read): a
    # certificate of exactly total_chars characters whose last numbers are such zeros is read, one over is not
    from proofs.checker import Limits
    cert = make_cert(2, 1, [("upper", [[F(3)]], [F(2)]), ("lower", [[F(0)]], [F(1)])])
    cert["claims"]["tolerance"] = "0"
    total = sum(len(x) for row in cert["matrix"] for x in row) + len("3") + len("2") + len("0") + len("1") + 1
    assert check_certificate(cert, limits=Limits(total_chars=total)).ok
    assert not check_certificate(cert, limits=Limits(total_chars=total - 1)).ok
    del cert["claims"]["tolerance"]
    assert check_certificate(cert, limits=Limits(total_chars=total - 1)).ok
    assert not check_certificate(cert, limits=Limits(total_chars=total - 2)).ok


def test_requirements_at_their_boundaries():
    cert = make_cert(2, 1, [("lower", [[F(1)]], [F(2)])])
    cert["matrix"][1][1] = "2.001"
    cert["claims"]["tolerance"] = "1/1000"  # max |M'| = 2.001
    assert check_certificate(cert, max_tolerance=F(1, 1000)).ok
    assert not check_certificate(cert, max_tolerance=F(999, 10 ** 6)).ok
    assert check_certificate(cert, max_relative=F(1, 2001)).ok
    assert not check_certificate(cert, max_relative=F(1, 2002)).ok
    assert check_certificate(cert, max_factors=1).ok and not check_certificate(cert, max_factors=0).ok


def test_a_larger_matrix_with_the_same_leading_block_is_another_matrix():
    cert = make_cert(2, 1, [("lower", [[F(1)]], [F(2)])])
    bigger = [[F(1), F(0), F(0)], [F(1), F(2), F(0)], [F(0), F(0), F(1)]]
    v = check_certificate(cert, matrix=bigger)
    assert not v.ok and "is for a 2x2 matrix but the given matrix is 3x3" in v.reasons[0]


def test_given_rows_of_the_wrong_length_and_given_number_strings():
    cert = make_cert(2, 1, [("lower", [[F(1)]], [F(2)])])
    assert not check_certificate(cert, matrix=[[F(1), F(0), F(0)], [F(1), F(2), F(0)]]).ok
    assert check_certificate(cert, matrix=[["1", "0"], ["1", "2.0"]]).ok
    assert not check_certificate(cert, matrix=[["1", "0"], ["1", "2.5"]]).ok


@pytest.mark.parametrize("text, value", [
    ("0x1.8p-3", F(3, 16)), ("-0x1.0000000000000p+1", F(-2)), ("0x3p+1", F(6)), ("0x0.8p1", F(1)), ("0x1.p0", F(1)),
    ("0xffp-10000", F(255, 2 ** 10000)), ("0x1p10000", F(2) ** 10000), ("-0x0p+0", F(0)), ("0x0.0000000000001p-1022",
                                                                                          F(1, 2 ** 1074))])
def test_a_hexadecimal_number_of_a_certificate_2_is_read_exactly(text, value):
    cert = make_cert(2, 1, [("lower", [[value]], [F(1)])])
    cert.update(format="couplings.certificate/2")
    cert["factors"][0]["shear"] = [[text]]
    assert check_certificate(cert).ok and accepts(cert)
    cert["matrix"][1][0] = text  # the same string on both sides, read the same way
    assert check_certificate(cert).ok and accepts(cert)


@pytest.mark.parametrize("text", ["0x1.8P+1", "0X1p0", "0x1.8", "0x.8p0", "+0x1p0", "0x-1p0", "0x1p+10001",
                                  "0x1p-99999999999999", "0x1.8p1.5", "0x1g0p0", " 0x1p0", "0x1p0 ", "1p0", "0x1e3",
                                  "0x1p", "0xp1", "--0x1p0"])
def test_a_malformed_hexadecimal_number_is_rejected_by_both_checkers(text):
    cert = make_cert(2, 1, [("lower", [[F(3)]], [F(1)])])
    cert.update(format="couplings.certificate/2")
    cert["factors"][0]["shear"] = [[text]]
    v = check_certificate(cert)
    assert not v.ok and not accepts(cert) and "factor 1 (lower): shear[1][1]" in v.reasons[0], v.reasons


def test_hexadecimal_numbers_are_not_read_in_certificate_1():
    cert = make_cert(2, 1, [("lower", [[F(3)]], [F(1)])])
    cert["factors"][0]["shear"] = [["0x3p0"]]
    assert not check_certificate(cert).ok and not accepts(cert)
    assert check_certificate(dict(cert, format="couplings.certificate/2")).ok


def test_a_certificate_2_with_a_duplicate_key_is_unreadable(tmp_path):
    from proofs.checker import CertificateUnreadable, check_file
    text = ('{"format": "couplings.certificate/2", "n": 2, "split": 1, "mode": "any", "mode": "positive", '
            '"matrix": [["1", "0"], ["0x3p0", "1"]], "factors": [{"kind": "lower", "shear": [["0x3p0"]], '
            '"scale": ["1"]}], "claims": {"method": "x", "count": 1, "bound": 1}}')
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(CertificateUnreadable, match="duplicate key"):
        check_file(tmp_path / "c.json")


def test_exponents_and_digits_at_their_limits():
    from proofs.checker import Limits
    cert = make_cert(2, 1, [("lower", [[F(1000)]], [F(1)])], bound=1)
    cert["factors"][0]["shear"] = [["1e3"]]
    assert check_certificate(cert, limits=Limits(exponent=3)).ok
    assert not check_certificate(cert, limits=Limits(exponent=2)).ok
    cert["claims"]["digits"] = 1
    assert check_certificate(cert).ok
    cert["claims"]["digits"] = 0
    assert not check_certificate(cert).ok


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=60) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=60), max_leaves=150)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_show_renders_a_json_value_as_its_whole_dump_cut_to_40_characters(x):
    # _show cuts lists and objects to 40 members before dumping (a message built for a certificate that passes
    # used to dump the whole certificate): the rendering must be the one of the whole value
    import json
    whole = json.dumps(x)
    assert proofs.kernel._show(x) == (whole if len(whole) <= 40 else whole[:37] + "...")
