"""Tests for the trusted checker proofs.checker (no imports from construct)."""
import copy
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.checker import FORMAT, CertificateUnreadable, Verdict, check_certificate, check_file
from tests.reference_checker import dense, matmul

# ---------------------------------------------------------------- tiny builder (Fractions)


def make_cert(n, p, factors, mode="any", mask=None, bound=None):
    """factors: list of (kind, shear, scale) with Fraction entries."""
    prod = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    for kind, shear, scale in factors:
        prod = matmul(prod, dense(kind, shear, scale, n, p))
    idx = list(range(n)) if mask is None else (
        [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]])
    matrix = [[None] * n for _ in range(n)]
    for a in range(n):
        for b in range(n):
            matrix[idx[a]][idx[b]] = str(prod[a][b])
    cert = {"format": FORMAT, "n": n, "split": p, "mode": mode, "matrix": matrix,
            "factors": [{"kind": k, "shear": [[str(x) for x in row] for row in sh], "scale": [str(x) for x in sc]}
                        for k, sh, sc in factors],
            "claims": {"method": "test", "count": len(factors),
                       "bound": len(factors) if bound is None else bound}}
    if mask is not None:
        cert["mask"] = list(mask)
    return cert


small = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@st.composite
def certificates(draw, min_factors=0, max_n=5):
    n = draw(st.integers(2, max_n))
    p = draw(st.integers(1, n - 1))
    mode = draw(st.sampled_from(["any", "positive"]))
    scales = small.filter(lambda q: q > 0 if mode == "positive" else q != 0)
    factors = []
    for _ in range(draw(st.integers(min_factors, 5))):
        kind = draw(st.sampled_from(["lower", "upper"]))
        rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
        shear = draw(st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows))
        scale = draw(st.lists(scales, min_size=rows, max_size=rows))
        if all(x == 0 for row in shear for x in row) and all(s == 1 for s in scale):
            scale[0] = Fraction(2)  # never the identity, so every tampering below is detectable
        factors.append((kind, shear, scale))
    mask = draw(st.none() | st.permutations([1] * p + [0] * (n - p)))
    return make_cert(n, p, factors, mode, mask, bound=len(factors) + draw(st.integers(0, 3)))


def number_paths(cert):
    """Paths (key tuples) of every string number in matrix, shears and scales."""
    for i, row in enumerate(cert["matrix"]):
        for j, _ in enumerate(row):
            yield ("matrix", i, j)
    for f, fac in enumerate(cert["factors"]):
        for i, row in enumerate(fac["shear"]):
            for j, _ in enumerate(row):
                yield ("factors", f, "shear", i, j)
        for i, _ in enumerate(fac["scale"]):
            yield ("factors", f, "scale", i)


def get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def tampered(cert, path, value):
    c = copy.deepcopy(cert)
    get(c, path[:-1])[path[-1]] = value
    return c


def rejected(cert, *fragments, **options):
    v = check_certificate(cert, **options)
    assert isinstance(v, Verdict) and not v.ok and v.reasons and v.summary == v.reasons[0], v
    for frag in fragments:
        assert any(frag in r for r in v.reasons), (frag, v.reasons)
    return v


# ---------------------------------------------------------------- hand-written certificates

# L = [[1,0],[2,1/2]], U = [[-3,1],[0,1]]; L U = [[-3,1],[-6,5/2]]
HAND = {"format": FORMAT, "n": 2, "split": 1, "mode": "any",
        "matrix": [["-3", "1"], ["-6", "5/2"]],
        "factors": [{"kind": "lower", "shear": [["2"]], "scale": ["1/2"]},
                    {"kind": "upper", "shear": [["1"]], "scale": ["-3"]}],
        "claims": {"method": "hand", "count": 2, "bound": 3, "stages": {"lower": 1, "upper": 1}}}

# n=4, split 2, mask [0,1,1,0]: idx = [1, 2, 0, 3].  Factor (reordered coordinates)
# F = [[1,0,0,0],[0,1,0,0],[1,0,2,0],[0,-1,0,3]].  matrix[idx[a]][idx[b]] = F[a][b].
MASKED = {"format": FORMAT, "n": 4, "split": 2, "mode": "positive", "mask": [0, 1, 1, 0],
          "matrix": [["2", "1", "0", "0"],
                     ["0", "1", "0", "0"],
                     ["0", "0", "1", "0"],
                     ["0", "0", "-1", "3"]],
          "factors": [{"kind": "lower", "shear": [["1", "0"], ["0", "-1"]], "scale": ["2", "3"]}],
          "claims": {"method": "hand", "count": 1, "bound": 1}}


def test_hand_written_certificates_pass():
    v = check_certificate(HAND)
    assert v.ok and v.reasons == () and v.summary.startswith("verified: 2x2 matrix = product of 2 couplings")
    assert check_certificate(MASKED).ok
    assert make_cert(4, 2, [("lower", [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(-1)]],
                             [Fraction(2), Fraction(3)])], "positive", [0, 1, 1, 0])["matrix"] == MASKED["matrix"]
    # the same matrix without the mask is not this product
    rejected({k: v for k, v in MASKED.items() if k != "mask"}, "differs from matrix")


def test_identity_with_no_factors_and_extra_keys():
    cert = make_cert(3, 1, [])
    cert["future_field"] = {"anything": [1, 2]}
    cert["claims"]["note"] = "extra claim keys are allowed"
    assert check_certificate(cert).ok


def test_positive_mode_rejects_negative_scale():
    rejected(dict(HAND, mode="positive"), 'factor 2 (upper): scale[1] is -3, but mode "positive"')


# ---------------------------------------------------------------- generated certificates


@settings(max_examples=150, deadline=None)
@given(certificates())
def test_generated_certificates_pass(cert):
    v = check_certificate(cert)
    assert v.ok, v.reasons
    assert check_certificate(json.loads(json.dumps(cert))).ok


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates(min_factors=1))
def test_every_single_entry_tampering_is_rejected(cert):
    for path in number_paths(cert):
        old = Fraction(get(cert, path))
        rejected(tampered(cert, path, str(old + 1)))
        if old != 0:
            rejected(tampered(cert, path, "0"))


@settings(max_examples=40, deadline=None)
@given(certificates(min_factors=1))
def test_structural_tamperings_are_rejected(cert):
    n, p, k = cert["n"], cert["split"], len(cert["factors"])
    for key, bad in [("n", n + 1), ("n", n - 1), ("split", p + 1), ("split", p - 1),
                     ("format", "couplings.certificate/3")]:
        rejected(dict(cert, **{key: bad}))
    for f in range(k):  # kind flip
        other = {"lower": "upper", "upper": "lower"}[cert["factors"][f]["kind"]]
        rejected(tampered(cert, ("factors", f, "kind"), other))
    claims = cert["claims"]
    rejected(dict(cert, claims=dict(claims, count=k + 1)),
             f"claims.count is {k + 1} but the certificate has {k} factors")
    rejected(dict(cert, claims=dict(claims, count=k - 1)))
    rejected(dict(cert, claims=dict(claims, bound=k - 1)), "exceeds claims.bound")
    for f in range(k):  # drop a factor, with and without fixing the count
        fewer = cert["factors"][:f] + cert["factors"][f + 1:]
        rejected(dict(cert, factors=fewer))
        rejected(dict(cert, factors=fewer, claims=dict(claims, count=k - 1)), "differs from matrix")
    fs = [dense(x["kind"], [[Fraction(y) for y in r] for r in x["shear"]], [Fraction(y) for y in x["scale"]], n, p)
          for x in cert["factors"]]
    for f in range(k - 1):  # swap neighbours that do not commute
        if matmul(fs[f], fs[f + 1]) != matmul(fs[f + 1], fs[f]):
            swapped = list(cert["factors"])
            swapped[f], swapped[f + 1] = swapped[f + 1], swapped[f]
            rejected(dict(cert, factors=swapped), "differs from matrix")
    mask = cert.get("mask") or [1] * p + [0] * (n - p)
    for i in range(n):  # flip one mask entry (wrong number of ones)
        rejected(dict(cert, mask=mask[:i] + [1 - mask[i]] + mask[i + 1:]), "mask has")
    if "mask" in cert:
        a, b = mask.index(0), mask.index(1)
        other = list(mask)
        other[a], other[b] = 1, 0
        if _reorder(cert, mask) != _reorder(cert, other):
            rejected(dict(cert, mask=other), "differs from matrix")


def _reorder(cert, mask):
    n = cert["n"]
    idx = [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]
    return [[Fraction(cert["matrix"][i][j]) for j in idx] for i in idx]


# ---------------------------------------------------------------- malformed input

BAD_NUMBERS = [".5", "5.", 1, "1/0", "abc", None, True, "1e", "1e+", "1.5/2", "1/2e3", "0x10", " 1", "+1",
               "1/-2", "", "1/", "/2", "--1", "1e99999", "1" * 100_001, "\u0663", "1\n", [], {}, 0.5]


@pytest.mark.parametrize("bad", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("path", [("matrix", 1, 0), ("factors", 0, "shear", 0, 0), ("factors", 1, "scale", 0)])
def test_malformed_numbers(bad, path):
    rejected(tampered(HAND, path, bad))


def test_reasons_name_the_problem():
    rejected(tampered(HAND, ("matrix", 1, 1), ".5"), 'matrix[2][2] is ".5", expected an exact number string')
    rejected(tampered(HAND, ("matrix", 1, 1), "1e10001"), 'matrix[2][2] is "1e10001", whose exponent is beyond')
    rejected(tampered(HAND, ("factors", 0, "shear", 0, 0), 1), "factor 1 (lower): shear[1][1] is 1, expected")
    rejected(tampered(HAND, ("factors", 1, "scale", 0), "7/0"),
             'factor 2 (upper): scale[1] is "7/0", which has a zero denominator')
    rejected(tampered(HAND, ("factors", 1, "scale", 0), "0"),
             "factor 2 (upper): scale[1] is 0, scales must be nonzero")
    rejected(tampered(HAND, ("matrix", 1), ["1"]), "matrix row 2 has 1 entry, expected 2")
    rejected(tampered(HAND, ("matrix", 0, 1), "2"), "differs from matrix at entry (1, 2)")
    rejected(tampered(MASKED, ("matrix", 3, 2), "1"), "differs from matrix at entry (4, 3)")
    rejected(tampered(HAND, ("factors", 0, "kind"), "middle"), 'factor 1: kind is "middle"')
    rejected(dict(HAND, claims=dict(HAND["claims"], count=True)), "claims.count is true, expected an integer")
    rejected(dict(HAND, split=2), "split is 2, expected an integer with 0 < split < n = 2")
    rejected(dict(HAND, mode="Any"), 'mode is "Any"')
    rejected(dict(HAND, format="couplings.certificate/0"), 'format is "couplings.certificate/0"')
    rejected(tampered(HAND, ("factors", 0, "note"), "x"), 'factor 1 has the keys ["kind", "note", "scale", "shear"]')
    rejected({k: v for k, v in HAND.items() if k != "matrix"}, "the certificate is missing the key(s) matrix")
    rejected(dict(MASKED, mask=[0, 1, 1, 1]), "mask has 3 ones, expected split = 2")
    rejected(dict(HAND, claims=dict(HAND["claims"], stages={"lower": -1})), "claims.stages is")
    # stage counts are informational: their sum may exceed count
    assert check_certificate(dict(HAND, claims=dict(HAND["claims"], stages={"lower": 5, "upper": 5}))).ok


@pytest.mark.parametrize("mutate", [
    lambda c: c.pop("matrix"), lambda c: c.pop("factors"), lambda c: c.pop("claims"), lambda c: c.pop("n"),
    lambda c: c.pop("split"), lambda c: c.pop("mode"), lambda c: c.pop("format"),
    lambda c: c["claims"].pop("count"), lambda c: c["claims"].pop("bound"), lambda c: c["claims"].pop("method"),
    lambda c: c["factors"][0].pop("kind"), lambda c: c["factors"][0].pop("shear"),
    lambda c: c["factors"][0].pop("scale"),
    lambda c: c["factors"][0].update(extra="x"),
    lambda c: c.update(n=0), lambda c: c.update(n=True), lambda c: c.update(n="2"), lambda c: c.update(n=2.0),
    lambda c: c.update(split=0), lambda c: c.update(split=1.0), lambda c: c.update(split=None),
    lambda c: c.update(mode=["any"]), lambda c: c.update(mode=None),
    lambda c: c.update(mask=None), lambda c: c.update(mask=[1]), lambda c: c.update(mask=[True, False]),
    lambda c: c.update(mask=[1, 1]), lambda c: c.update(mask=[2, 0]), lambda c: c.update(mask="10"),
    lambda c: c.update(matrix=None), lambda c: c.update(matrix=[["1", "0"]]),
    lambda c: c.update(matrix=["1", "0"]),
    lambda c: c["matrix"].append(["0", "0"]), lambda c: c["matrix"][0].append("0"),
    lambda c: c.update(factors={}), lambda c: c.update(factors=None), lambda c: c["factors"].append([]),
    lambda c: c["factors"].append(None), lambda c: c["factors"][0].update(shear=["2"]),
    lambda c: c["factors"][0].update(shear=[]), lambda c: c["factors"][0]["shear"][0].append("1"),
    lambda c: c["factors"][0].update(scale=[]), lambda c: c["factors"][0].update(scale="1/2"),
    lambda c: c["factors"][0].update(kind=["lower"]), lambda c: c["factors"][0].update(kind=None),
    lambda c: c.update(claims=[]), lambda c: c.update(claims=None),
    lambda c: c["claims"].update(method=3), lambda c: c["claims"].update(bound="3"),
    lambda c: c["claims"].update(bound=1.5), lambda c: c["claims"].update(count=2.0),
    lambda c: c["claims"].update(stages={"lower": -1}), lambda c: c["claims"].update(stages={"lower": True}),
    lambda c: c["claims"].update(stages=[1, 2]), lambda c: c["claims"].update(stages=None),
])
def test_structural_garbage_is_rejected(mutate):
    cert = copy.deepcopy(HAND)
    mutate(cert)
    rejected(cert)


@pytest.mark.parametrize("cert", [None, [], "x", 5, True, {}, {"format": FORMAT}])
def test_non_certificates(cert):
    rejected(cert)


def test_huge_or_deep_input_is_rejected_quickly():
    rejected(dict(HAND, n=10**12, split=1), "matrix has 2 rows, expected a list of 1000000000000 rows")
    rejected(dict(HAND, n=10**12, split=1, mask=[1, 0]), "mask is [1, 0], expected a list of n = 1000000000000")
    deep = []
    for _ in range(100_000):
        deep = [deep]
    rejected(dict(HAND, mode=deep), "mode is a list")
    rejected(tampered(HAND, ("matrix", 0, 0), deep), "matrix[1][1] is a list")
    rejected(tampered(HAND, ("matrix", 0, 0), Fraction(-3)), "matrix[1][1] is a Fraction")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 9) | st.floats(allow_nan=False) | st.text(max_size=4)
    | st.sampled_from(["0", "1", "-1/2", "lower", "upper"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_never_raises_on_garbage(data):
    cert = copy.deepcopy(MASKED if data.draw(st.booleans()) else HAND)
    node = cert
    while True:  # walk down to a random place and replace it by an arbitrary JSON value
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        if not isinstance(node[key], (dict, list)) or not node[key] or data.draw(st.booleans()):
            node[key] = data.draw(json_values)
            break
        node = node[key]
    v = check_certificate(cert)
    assert isinstance(v, Verdict) and isinstance(v.summary, str)
    assert v.ok == (not v.reasons)


# ---------------------------------------------------------------- files and hygiene


def test_check_file(tmp_path):
    good, bad, junk, dup = (tmp_path / name for name in ("good.json", "bad.json", "junk.json", "dup.json"))
    good.write_text(json.dumps(HAND))
    bad.write_text(json.dumps(dict(HAND, mode="positive")))
    junk.write_text("{not json")
    dup.write_text('{"n": 2, "n": 3}')
    assert check_file(good).ok and check_file(str(good)).ok
    assert not check_file(bad).ok
    for path in (junk, tmp_path / "missing.json", dup, tmp_path):
        with pytest.raises(CertificateUnreadable):
            check_file(path)
    (tmp_path / "list.json").write_text("[1, 2]")
    assert not check_file(tmp_path / "list.json").ok


def test_proofs_does_not_import_construct():
    code = ("import sys, proofs, proofs.checker; "
            "bad = [m for m in sys.modules if m == 'construct' or m.startswith('construct.')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
