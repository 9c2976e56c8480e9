"""Write the certificate corpus (valid/, invalid/, expected.json): python -m tests.certificates.make_corpus.

expected.json maps each file to "verified", to the start of the checker's first reason, or to
"unreadable: " and the start of the read error. The files are committed; rerun only to extend the corpus.
"""
import copy
import json
from fractions import Fraction as F
from pathlib import Path

from tests.test_checker import HAND, MASKED, make_cert
from tests.test_checker_claims import numeric_cert

HERE = Path(__file__).parent


def square(n, p, mode="any", mask=None):
    lower = [[F(i - 2 * j, 3) for j in range(p)] for i in range(n - p)]
    upper = [[F(i * j + 1, 2) for j in range(n - p)] for i in range(p)]
    return make_cert(n, p, [("lower", lower, [F(k + 2) for k in range(n - p)]),
                            ("upper", upper, [F(1, k + 1) for k in range(p)]),
                            ("lower", lower, [F(3, 2)] * (n - p))], mode, mask)


def edit(cert, path, value):
    c = copy.deepcopy(cert)
    node = c
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return c


def corpus():
    masked6 = square(6, 3, "positive", [0, 1, 1, 0, 0, 1])
    odd = square(5, 2)
    numeric = numeric_cert(36, 18, 4, "1e-12")
    small_numeric = numeric_cert(6, 3, 3, "1e-12", perturb=1e-13)
    valid = {
        "hand_2x2.json": HAND, "masked_4x4_positive.json": MASKED, "masked_6x6_positive.json": masked6,
        "odd_n5_split2.json": odd, "unequal_split_n7_split5.json": square(7, 5),
        "identity_no_factors.json": make_cert(4, 2, []),
        "decimals.json": edit(HAND, ("matrix",), [["-3.0", "1e0"], ["-60e-1", "2.5"]]),
        "tolerance_exact_n6.json": small_numeric, "tolerance_balls_n36.json": numeric,
        "extra_keys.json": dict(edit(HAND, ("claims", "note"), "later versions may add keys"), future={"x": [1]}),
        "informational_claims.json": edit(edit(HAND, ("claims", "arith"), "mp"), ("claims", "digits"), 50),
    }
    invalid = {
        "wrong_product.json": (edit(HAND, ("matrix", 1, 1), "5/3"), "the product of the factors differs from matrix at entry (2, 2)"),
        "tolerance_too_small_exact.json": (edit(small_numeric, ("claims", "tolerance"), "1e-14"), "the product of the factors differs from matrix by more than the tolerance 1e-14"),
        "tolerance_too_small_balls.json": (edit(numeric, ("claims", "tolerance"), "1e-40"), "the product of the factors differs from matrix by more than the tolerance 1e-40"),
        "negative_tolerance.json": (edit(HAND, ("claims", "tolerance"), "-1"), 'claims.tolerance is "-1", expected a number >= 0'),
        "positive_mode_negative_scale.json": (edit(HAND, ("mode",), "positive"), 'factor 2 (upper): scale[1] is -3, but mode "positive"'),
        "zero_scale.json": (edit(HAND, ("factors", 0, "scale", 0), "0.0"), "factor 1 (lower): scale[1] is 0, scales must be nonzero"),
        "count_mismatch.json": (edit(HAND, ("claims", "count"), 3), "claims.count is 3 but the certificate has 2 factors"),
        "count_exceeds_bound.json": (edit(HAND, ("claims", "bound"), 1), "claims.count is 2, which exceeds claims.bound = 1"),
        "factor_dropped.json": (dict(HAND, factors=HAND["factors"][:1], claims=dict(HAND["claims"], count=1)), "the product of the factors differs from matrix"),
        "kind_flipped.json": (edit(HAND, ("factors", 0, "kind"), "upper"), "the product of the factors differs from matrix"),
        "mask_ones.json": (edit(masked6, ("mask",), [1, 1, 1, 1, 0, 0]), "mask has 4 ones, expected split = 3"),
        "mask_reordered.json": (edit(masked6, ("mask",), [1, 0, 1, 0, 0, 1]), "the product of the factors differs from matrix"),
        "split_changed_odd.json": (edit(odd, ("split",), 3), "factor 1 (lower): scale has 3 entries, expected 2"),
        "split_out_of_range.json": (edit(HAND, ("split",), 2), "split is 2, expected an integer with 0 < split < n = 2"),
        "shear_row_short.json": (edit(odd, ("factors", 1, "shear", 0), ["1"]), "factor 2 (upper): shear row 1 has 1 entry, expected 3"),
        "bad_number.json": (edit(HAND, ("matrix", 0, 0), ".5"), 'matrix[1][1] is ".5", expected an exact number string'),
        "json_number.json": (edit(HAND, ("matrix", 0, 0), -3), "matrix[1][1] is -3, expected an exact number string"),
        "zero_denominator.json": (edit(HAND, ("matrix", 0, 0), "1/0"), 'matrix[1][1] is "1/0", which has a zero denominator'),
        "exponent_bomb.json": (edit(HAND, ("matrix", 0, 0), "1e999999999"), 'matrix[1][1] is "1e999999999", whose exponent is beyond the limit'),
        "long_number.json": (edit(HAND, ("matrix", 0, 0), "1" * 100_001), "matrix[1][1] is"),
        "missing_key.json": ({k: v for k, v in HAND.items() if k != "claims"}, "the certificate is missing the key(s) claims"),
        "wrong_format.json": (edit(HAND, ("format",), "couplings.certificate/3"), 'format is "couplings.certificate/3"'),
        "bool_n.json": (edit(HAND, ("n",), True), "n is true, expected a positive integer"),
        "bad_arith.json": (edit(HAND, ("claims", "arith"), "float32"), 'claims.arith is "float32"'),
        "extra_factor_key.json": (edit(HAND, ("factors", 0, "note"), "x"), 'factor 1 has the keys ["kind", "note", "scale", "shear"]'),
        "not_an_object.json": ([1, 2], "the certificate is [1, 2], expected a JSON object"),
    }
    raw = {  # files the checker cannot read as JSON: exit 2
        "not_json.json": (b"{not json", "unreadable: cannot read certificate"),
        "duplicate_key.json": (b'{"n": 2, "n": 3}', "unreadable: cannot read certificate"),
        "deep_nesting.json": (b"[" * 100_000 + b"]" * 100_000, "unreadable: cannot read certificate"),
    }
    return valid, invalid, raw


def main():
    valid, invalid, raw = corpus()
    expected = {}
    for name, cert in valid.items():
        (HERE / "valid" / name).write_text(json.dumps(cert))
        expected[f"valid/{name}"] = "verified"
    (HERE / "valid" / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(HAND).encode())
    expected["valid/bom.json"] = "verified"
    for name, (cert, reason) in invalid.items():
        (HERE / "invalid" / name).write_text(json.dumps(cert))
        expected[f"invalid/{name}"] = reason
    for name, (data, reason) in raw.items():
        (HERE / "invalid" / name).write_bytes(data)
        expected[f"invalid/{name}"] = reason
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
