"""The checker's newer duties: decimals, tolerance claims, the given matrix, --fast, the command line, hygiene."""
import json
import struct
import subprocess
import sys
from fractions import Fraction

import pytest

from proofs.checker import FORMAT, LIMITS, Limits, check_certificate, check_file
from proofs.matrix_file import MatrixUnreadable, read_matrix
from tests.test_checker import HAND, MASKED, make_cert, rejected

F = Fraction


def exact_decimal(x: float) -> str:
    """The exact decimal string of a float, without the decimal module (as a builder would write it)."""
    num, den = x.as_integer_ratio()
    k = den.bit_length() - 1  # den = 2^k: x = num * 5^k / 10^k
    digits = str(abs(num) * 5 ** k).rjust(k + 1, "0")
    text = digits[:len(digits) - k] + ("." + digits[len(digits) - k:] if k else "")
    return ("-" if num < 0 else "") + text


def numeric_cert(n, p, k, tolerance, seed=1, perturb=0.0):
    """A certificate of k couplings with float entries written exactly, its matrix the float product (+ perturb)."""
    import random
    rnd = random.Random(seed)
    factors = []
    for i in range(k):
        kind = "lower" if i % 2 == 0 else "upper"
        rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
        factors.append((kind, [[F(rnd.gauss(0, 0.3)) for _ in range(cols)] for _ in range(rows)],
                        [F(rnd.uniform(0.5, 2)) for _ in range(rows)]))
    cert = make_cert(n, p, factors, "positive")
    # the builder's rounding: the matrix is the exact product rounded to floats, plus a perturbation
    cert["matrix"] = [[exact_decimal(float(F(x)) + perturb) for x in row] for row in cert["matrix"]]
    for f in cert["factors"]:
        f["shear"] = [[exact_decimal(float(F(x))) for x in row] for row in f["shear"]]
        f["scale"] = [exact_decimal(float(F(x))) for x in f["scale"]]
    cert["claims"].update(tolerance=tolerance, arith="float64")
    return cert


def test_exact_decimal_helper():
    assert exact_decimal(0.1) == "0.1000000000000000055511151231257827021181583404541015625"
    assert exact_decimal(-2.5) == "-2.5" and exact_decimal(3.0) == "3"


# ---------------------------------------------------------------- numbers


def test_decimals_are_exact_rationals():
    cert = dict(HAND, matrix=[["-3", "1.0"], ["-6.00", "2.5e0"]])
    assert check_certificate(cert).ok
    assert check_certificate(dict(HAND, matrix=[["-3", "1"], ["-60e-1", "25000e-4"]])).ok
    rejected(dict(HAND, matrix=[["-3", "1"], ["-6", "2.50000000000000000001"]]), "differs from matrix at entry (2, 2)")


def test_exponent_bombs_and_huge_numbers_are_refused_quickly():
    for bad, why in [("1e999999999", "whose exponent is beyond the limit of 10000"),
                     ("1e10001", "whose exponent is beyond"), ("1" * 100_001, "100001 characters long, beyond the limit"),
                     ("1" * 100_000 + "/3", "characters long, beyond the limit"),
                     ("1e" + "9" * 5000, "whose exponent is beyond")]:
        rejected(dict(HAND, matrix=[["-3", "1"], ["-6", bad]]), f"matrix[2][2] is", why)
    many = [["1" * 900] * 60 for _ in range(60)]  # 3.2 million characters
    rejected(dict(make_cert(60, 30, []), matrix=many), "more than 1000000 characters, beyond the limit",
             limits=Limits(total_chars=10 ** 6))
    rejected(dict(HAND, matrix=[["-3", "1"], ["-6,1", "5/2"]]), 'matrix[2][1] is "-6,1", expected an exact number')
    rejected(dict(HAND, matrix=[["-3", "1"], ["-6", "2.50"]]), "matrix[2][2] is", "beyond the limit of 3",
             limits=Limits(entry_chars=3))
    # the limits are parameters: 1e10001 is fine when allowed
    big = dict(HAND, matrix=[["-3", "1"], ["-6", "1e10001"]])
    assert "differs from matrix" in check_certificate(big, limits=Limits(exponent=20_000)).summary


# ---------------------------------------------------------------- tolerance claims


@pytest.mark.parametrize("n, p", [(4, 2), (5, 2), (34, 17), (35, 13)])
def test_tolerance_claims_small_and_large_n(n, p):
    """n <= 32 is decided with exact rationals, larger n with ball arithmetic; both print the residual."""
    good = numeric_cert(n, p, 4, "1e-9")
    v = check_certificate(good)
    assert v.ok, v.reasons
    assert "within tolerance 1e-9" in v.summary and "arith float64" in v.summary
    assert ("exact)" in v.summary) == (n <= 32) and ("ball arithmetic, 128 bits" in v.summary) == (n > 32)
    tight = dict(good, claims=dict(good["claims"], tolerance="0"))
    rejected(tight, "differs from matrix by more than the tolerance 0")
    drift = numeric_cert(n, p, 4, "1e-9", perturb=1e-6)
    rejected(drift, "by more than the tolerance 1e-9", "residual")
    assert check_certificate(dict(drift, claims=dict(drift["claims"], tolerance="1.1e-6"))).ok
    assert not check_certificate(dict(drift, claims=dict(drift["claims"], tolerance="0.9e-6"))).ok


def test_tolerance_residual_is_exact_for_small_n():
    cert = dict(HAND, matrix=[["-3", "1"], ["-6", "2.501"]], claims=dict(HAND["claims"], tolerance="1/1000"))
    v = check_certificate(cert)
    assert v.ok and "; residual <= 1e-3 (relative 1.667e-4 of max |T|, exact)" in v.summary
    rejected(dict(cert, claims=dict(cert["claims"], tolerance="0.000999")),
             "by more than the tolerance 0.000999 at entry (2, 2) (1 of 4 entries); residual = 1e-3 (exact)")


def test_tolerance_exactly_met_at_large_n_falls_back_to_exact():
    """A residual equal to the tolerance cannot be decided by balls that are not exact: exact rationals decide."""
    cert = make_cert(34, 17, [("lower", [[F(1, 3)] * 17] * 17, [F(1)] * 17)])
    cert["matrix"][20][0] = str(F(1, 3) + F(1, 7))
    cert["claims"]["tolerance"] = "1/7"
    v = check_certificate(cert)
    assert v.ok and "residual <= 1.429e-1 (relative 1.429e-1 of max |T|, exact)" in v.summary, v.summary
    rejected(dict(cert, claims=dict(cert["claims"], tolerance="0.1428")), "by more than the tolerance 0.1428")


@pytest.mark.parametrize("bad, why", [("-1e-3", "expected a number >= 0"), (1e-3, "expected an exact number string"),
                                      ("1/0", "zero denominator"), ("x", "expected an exact number string")])
def test_bad_tolerances(bad, why):
    rejected(dict(HAND, claims=dict(HAND["claims"], tolerance=bad)), "claims.tolerance is", why)


def test_informational_claims():
    assert check_certificate(dict(HAND, claims=dict(HAND["claims"], arith="mp", digits=50))).ok
    rejected(dict(HAND, claims=dict(HAND["claims"], arith="float32")), 'claims.arith is "float32"')
    rejected(dict(HAND, claims=dict(HAND["claims"], digits=0)), "claims.digits is 0")


# ---------------------------------------------------------------- the given matrix, count and mode requirements


def test_against_the_given_matrix():
    assert check_certificate(HAND, matrix=[[-3, 1], [-6, F(5, 2)]], name="T.csv").ok
    assert "its matrix is T.csv" in check_certificate(HAND, matrix=[["-3", "1"], ["-6", "2.5"]], name="T.csv").summary
    rejected(HAND, "the certificate is for another matrix: its matrix differs from T.csv at entry (1, 2)",
             matrix=[[-3, 2], [-6, F(5, 2)]], name="T.csv")
    rejected(HAND, "; it is the transpose of T.csv", matrix=[[-3, -6], [1, F(5, 2)]], name="T.csv")
    rejected(HAND, "the certificate is for a 2x2 matrix but T.csv is 3x3", matrix=[[1, 0, 0]] * 3, name="T.csv")
    reordered = [[F(MASKED["matrix"][i][j]) for j in (1, 2, 0, 3)] for i in (1, 2, 0, 3)]
    rejected(MASKED, "it equals T.csv up to the order of the coordinates given by its mask",
             matrix=reordered, name="T.csv")
    assert check_certificate(MASKED, matrix=[[F(x) for x in row] for row in MASKED["matrix"]]).ok


def test_count_and_mode_requirements():
    assert check_certificate(HAND, max_factors=2).ok and check_certificate(HAND, mode="any").ok
    rejected(HAND, "the certificate has 2 factors, more than the required at most 1", max_factors=1)
    rejected(HAND, 'the certificate is in mode "any", but mode "positive" is required', mode="positive")
    assert check_certificate(MASKED, mode="positive").ok


# ---------------------------------------------------------------- --fast


def test_fast_check_states_its_error_probability():
    cert = make_cert(6, 3, [("lower", [[F(i - j, 7) for j in range(3)] for i in range(3)], [F(2), F(3), F(5, 3)]),
                            ("upper", [[F(i * j + 1, 11) for j in range(3)] for i in range(3)], [F(-1)] * 3)])
    v = check_certificate(cert, fast=True)
    assert v.ok and v.summary.startswith("verified with high probability:") and "error probability < " in v.summary
    exponent = int(v.summary.rsplit("e", 1)[1])
    assert exponent < -50
    bad = json.loads(json.dumps(cert))
    bad["matrix"][4][1] = str(F(bad["matrix"][4][1]) + F(1, 10 ** 30))
    rejected(bad, "differs from matrix modulo the prime", "at entry (5, 2)", fast=True)
    assert check_certificate(HAND, fast=True).ok


# ---------------------------------------------------------------- hygiene: never raise, exact types, text


class AlwaysEqual(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class Explosive:
    def __eq__(self, other):
        raise RuntimeError("boom")

    __hash__ = object.__hash__


@pytest.mark.parametrize("mutate", [
    lambda c: c["factors"][0].update(kind=AlwaysEqual("sideways")),
    lambda c: c.update(format=AlwaysEqual("x")), lambda c: c.update(mode=AlwaysEqual("x")),
    lambda c: c.update(format=Explosive()), lambda c: c.update(mode=Explosive()),
    lambda c: c["matrix"][0].__setitem__(0, AlwaysEqual("-3")),
    lambda c: c["claims"].update(method=AlwaysEqual("m")),
    lambda c: c.update(n=type("Int", (int,), {})(2)),
    lambda c: c.update({Explosive(): 1}), lambda c: c["claims"].update({Explosive(): 1}),
    lambda c: c.update(matrix=[[-3, 1], [-6, 0.5]]), lambda c: c.update(factors=tuple(c["factors"])),
])
def test_exact_types_and_never_raises(mutate):
    cert = json.loads(json.dumps(HAND))
    mutate(cert)
    rejected(cert)


def test_numpy_like_objects_are_rejected_without_raising():
    class ArrayLike:  # compares elementwise, has no truth value, like a NumPy array
        def __eq__(self, other):
            return self

        def __bool__(self):
            raise ValueError("ambiguous")

        __hash__ = object.__hash__
    rejected(dict(HAND, format=ArrayLike()), "format is an ArrayLike")
    rejected(dict(HAND, n=ArrayLike()))


def test_method_is_escaped_in_the_summary():
    for method, shown in [("\ud800", "\\ud800"), ("a\nb\x1b[2J", "a\\nb\\u001b[2J"), ("plain", "plain")]:
        v = check_certificate(dict(HAND, claims=dict(HAND["claims"], method=method)))
        assert v.ok and f"(method {shown}, " in v.summary and v.summary.isprintable() and v.summary.isascii()


def test_odd_n_and_unequal_splits_are_valid():
    """The format allows any 0 < split < n: rectangular shears (documented in docs/certificate.md)."""
    for n, p in [(3, 1), (3, 2), (5, 2), (7, 6)]:
        cert = make_cert(n, p, [("lower", [[F(j - i, 3) for j in range(p)] for i in range(n - p)], [F(2)] * (n - p)),
                                ("upper", [[F(i + j) for j in range(n - p)] for i in range(p)], [F(-1, 2)] * p)])
        assert check_certificate(cert).ok
        rejected(dict(cert, split=n - p) if n != 2 * p else dict(cert, split=p + 1), "has")


# ---------------------------------------------------------------- files and the command line


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "proofs.checker", *map(str, args)], input=stdin,
                          capture_output=True)


def test_command_line(tmp_path):
    cert, csv = tmp_path / "c.json", tmp_path / "T.csv"
    cert.write_text(json.dumps(HAND))
    csv.write_text("-3, 1\n-6, 2.5\n")
    ok = run(cert, "--matrix", csv, "--max-factors", "2", "--mode", "any")
    assert ok.returncode == 0 and ok.stdout.decode().startswith("verified: 2x2 matrix") and not ok.stderr
    other = tmp_path / "S.csv"
    other.write_text("-3, -6\n1, 5/2\n")
    r = run(cert, "--matrix", other)
    assert r.returncode == 1 and b"the transpose of" in r.stderr and r.stderr.count(b"\n") == 1
    assert run(cert, "--max-factors", "1").returncode == 1
    assert run(cert, "--mode", "positive").returncode == 1
    assert run("-", stdin=b"\xef\xbb\xbf" + json.dumps(HAND).encode()).returncode == 0  # BOM on stdin
    both = run("-", "--matrix", "-", stdin=b"")
    assert both.returncode == 2 and both.stderr == b"checker: the certificate and --matrix cannot both be read from stdin\n"
    for bad in (["--max-factors", "-1"], ["--max-work", "0"]):
        assert run(cert, *bad).returncode == 2
    cert.write_bytes(b"\xef\xbb\xbf" + json.dumps(HAND).encode())  # and in a file
    assert run(cert).returncode == 0 and check_file(cert).ok
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = run(deep)
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1 and "nested too deeply" in r.stderr.decode()
    r = run(tmp_path / "missing.json")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    weird = tmp_path / "w.json"
    weird.write_text(json.dumps(dict(HAND, claims=dict(HAND["claims"], method="\ud800\n\x1b[31m"))))
    r = run(weird)
    assert r.returncode == 0 and b"\\ud800\\n\\u001b[31m" in r.stdout


def test_couplings_verify_runs_the_same_code(tmp_path):
    cert, csv = tmp_path / "c.json", tmp_path / "T.csv"
    cert.write_text(json.dumps(HAND))
    csv.write_text("-3, 1\n-6, 5/2\n")
    a = subprocess.run([sys.executable, "-m", "construct", "verify", str(cert), "--max-factors", "1"], capture_output=True)
    b = run(cert, "--max-factors", "1")
    assert a.returncode == b.returncode == 1 and a.stdout == b.stdout == b""
    assert a.stderr == b.stderr == b"not verified: the certificate has 2 factors, more than the required at most 1\n"
    piped = subprocess.run([sys.executable, "-m", "construct", "verify", "-", "--matrix", str(csv), "--max-factors", "2"],
                           input=json.dumps(HAND).encode(), capture_output=True)
    assert piped.returncode == 0 and piped.stdout == run(cert, "--matrix", csv).stdout.replace(
        str(csv).encode(), str(csv).encode())


def test_the_checker_imports_neither_construct_nor_sympy_nor_numpy(tmp_path):
    cert = tmp_path / "c.json"
    cert.write_text(json.dumps(numeric_cert(40, 20, 2, "1e-9")))
    npy = tmp_path / "T.npy"
    npy.write_bytes(npy_bytes("<f8", (40, 40), [F(x) for row in json.loads(cert.read_text())["matrix"] for x in row]))
    code = ("import sys, runpy; sys.argv = ['checker', sys.argv[1], '--matrix', sys.argv[2], '--fast'];\n"
            "try:\n    runpy.run_module('proofs.checker', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('construct', 'sympy', 'numpy'))\n"
            "print(code, bad)")
    r = subprocess.run([sys.executable, "-c", code, str(cert), str(npy)], capture_output=True, text=True)
    assert r.stdout.splitlines()[-1] == "0 []", (r.stdout, r.stderr)
    assert r.stdout.startswith("verified: 40x40 matrix = product of 2 couplings within tolerance 1e-9")


# ---------------------------------------------------------------- matrix files


def npy_bytes(descr, shape, values, fortran=False):
    header = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode()
    header += b" " * (63 - len(header) % 64) + b"\n"
    code = {"<f8": "<%dd", "<i4": "<%di", ">i2": ">%dh", "|O": "<%dq", "<f2": "<%de"}[descr]
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + struct.pack(code % len(values),
                                                                                         *map(float if "f" in descr else int, values))


def fractions(rows):
    return [[F(int(q.p), int(q.q)) for q in row] for row in rows]


def test_matrix_files(tmp_path):
    files = {"a.csv": "1, 0.1\n-2/7, 3e-2\n", "b.json": '[["1", 0.1], ["-2/7", "3e-2"]]',
             "c.json": '{"matrix": [[1, "1/10"], ["-2/7", 0.03]]}', "d.txt": "1 0.1\n-2/7 0.03\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        assert fractions(read_matrix(tmp_path / name)) == [[1, F(1, 10)], [F(-2, 7), F(3, 100)]], name
    (tmp_path / "e.csv").write_bytes(b"\xef\xbb\xbf1,2\n3,5\n")
    assert fractions(read_matrix(tmp_path / "e.csv")) == [[1, 2], [3, 5]]
    (tmp_path / "f.npy").write_bytes(npy_bytes("<f8", (2, 2), [0.1, 2, -3, 0.5]))
    assert fractions(read_matrix(tmp_path / "f.npy")) == [[F(0.1), 2], [-3, F(1, 2)]]
    (tmp_path / "g.npy").write_bytes(npy_bytes(">i2", (2, 2), [1, 2, 3, 4], fortran=True))
    assert fractions(read_matrix(tmp_path / "g.npy")) == [[1, 3], [2, 4]]
    (tmp_path / "h.npy").write_bytes(npy_bytes("<f2", (1, 1), [0.5]))
    assert fractions(read_matrix(tmp_path / "h.npy")) == [[F(1, 2)]]


@pytest.mark.parametrize("name, data, why", [
    ("huge.npy", npy_bytes("<f8", (10 ** 6, 10 ** 6), [1.0]), "declares shape (1000000, 1000000) but holds 8 bytes"),
    ("obj.npy", npy_bytes("|O", (1, 1), [0]), "holds Python objects"),
    ("text.npy", b"1, 2\n3, 4\n", "is not a NumPy .npy file"),
    ("nan.npy", npy_bytes("<f8", (1, 1), [float("nan")]), "not finite"),
    ("wide.npy", npy_bytes("<i4", (1, 2), [1, 2]), "not square"),
    ("cube.npy", npy_bytes("<i4", (1, 1, 1), [1]), "not that of a 2-D matrix"),
    ("bad.csv", b"1, 2\n3, x?\n", 'cell (2, 2) of'), ("bomb.csv", b"1e99999, 0\n0, 1\n", "is not a number"),
    ("empty.csv", b"# nothing\n", "is empty"), ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("latin.csv", b"\xff\xfe1", "not UTF-8"), ("obj.json", b'{"a": 1}', 'neither a list of rows'),
], ids=lambda x: x if isinstance(x, str) and len(x) < 40 else "")
def test_bad_matrix_files(tmp_path, name, data, why):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(MatrixUnreadable, match=why.replace("(", r"\(").replace(")", r"\)")):
        read_matrix(tmp_path / name)
    r = run(tmp_path / "x.json", "--matrix", tmp_path / name)
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1 and why in r.stderr.decode()


def test_limits_are_documented_defaults():
    assert LIMITS == Limits(100_000, 10_000, 10 ** 9, 3 * 10 ** 8)
    text = open("docs/certificate.md").read()
    for figure in ("100 000", "10 000", "10^9", "3 x 10^8", "1000 per character"):
        assert figure in text


def primes_from(start, count):
    """The first `count` primes >= start (a small sieve)."""
    size = count * 20 + 1000
    sieve = bytearray([1]) * size  # sieve[i] says whether start + i is prime
    for p in range(2, int((start + size) ** 0.5) + 1):
        first = max(p * p, (start + p - 1) // p * p)
        sieve[first - start::p] = bytearray(len(range(first - start, size, p)))
    return [start + i for i in range(size) if sieve[i]][:count]


def test_distinct_prime_denominators_are_refused_quickly():
    """Issue 8: a 120 KB certificate of entries 1/p (distinct 7-digit primes) took minutes; now a reason in < 3 s."""
    n, p, k = 80, 40, 8
    primes = iter(primes_from(1_000_003, k * p * p))
    cert = make_cert(n, p, [])
    cert["factors"] = [{"kind": "lower" if i % 2 == 0 else "upper", "scale": ["1"] * p,
                        "shear": [[f"1/{next(primes)}" for _ in range(p)] for _ in range(p)]} for i in range(k)]
    cert["claims"].update(count=k, bound=k)
    rejected(cert, "the exact product would take about", "(--max-work 300000000); --fast checks it modulo primes")
    rejected(cert, "differs from matrix modulo the prime", fast=True)  # the product is not the identity


# ---------------------------------------------------------------- claims the user chooses


def test_max_tolerance_and_max_relative_error_bound_the_claimed_tolerance(tmp_path):
    cert = dict(HAND, matrix=[["-3", "1"], ["-6", "2.501"]], claims=dict(HAND["claims"], tolerance="1/1000"))
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert))
    ok = run(path, "--max-tolerance", "1e-3")
    assert ok.returncode == 0 and "within tolerance 1e-3 (relative 1.667e-4 of max |T|)" in ok.stdout.decode()
    assert "the claim is loose" in ok.stdout.decode()  # relative 1.667e-4 > 1e-8
    strict = run(path, "--max-tolerance", "9.99e-4")
    assert strict.returncode == 1 and "the claimed tolerance exceeds the required maximum (1e-3 claimed, at most " \
        "9.99e-4 required)" in strict.stderr.decode()
    assert run(path, "--max-relative-error", "1/6000").returncode == 0  # 1e-3 <= 6 / 6000
    relative = run(path, "--max-relative-error", "1e-4")
    assert relative.returncode == 1 and "relative to the largest entry of the matrix exceeds the required maximum " \
        "(1.667e-4 claimed, at most 1e-4 required)" in relative.stderr.decode()
    bad = run(path, "--max-tolerance", "tiny")
    assert bad.returncode == 2 and "--max-tolerance is 'tiny'" in bad.stderr.decode()


def test_exact_claims_meet_every_tolerance_requirement():
    assert check_certificate(HAND, max_tolerance=0, max_relative=0).ok


def test_fast_on_a_tolerance_certificate_says_it_checks_as_usual(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(numeric_cert(4, 2, 3, "1e-9")))
    r = run(path, "--fast")
    assert r.returncode == 0 and "--fast speeds up exact numeric claims only" in r.stderr.decode()
