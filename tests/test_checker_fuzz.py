"""Fuzzing the checker against an independent oracle (plain Fractions, the format read from docs/certificate.md).

Hypothesis draws valid certificates (exact and with a tolerance, decided with exact rationals or with
ball arithmetic, masks, odd n, unequal splits) and
mutates each of them several times: numbers, shapes, kinds, masks, splits, counts, bounds, claims,
tolerances and the JSON structure. For every mutant the checker's verdict must equal the oracle's, and
the checker must never raise. A run tries about 3000 mutants in about 25 s of CPU time (docs/certificate.md).
"""
import copy
import re
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proofs.checker
from proofs.checker import FORMAT, Verdict, check_certificate
from tests.test_checker import certificates, dense, matmul

NUMBER = re.compile(r"-?[0-9]+(/[0-9]+)?|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
TRIED = {"mutants": 0, "accepted": 0}


class Invalid(Exception):
    pass


def need(condition):
    if not condition:
        raise Invalid


def number(s):
    need(type(s) is str and len(s) <= 100_000 and NUMBER.fullmatch(s))
    exponent = re.search(r"[eE]([+-]?[0-9]+)$", s)
    need(exponent is None or abs(int(exponent[1])) <= 10_000)
    need("/" not in s or int(s.split("/")[1]) != 0)
    return Fraction(s)


def table(rows, r, c):
    need(type(rows) is list and len(rows) == r and all(type(row) is list and len(row) == c for row in rows))
    return [[number(x) for x in row] for row in rows]


def oracle(cert):
    """True if the certificate is valid and its claim true, by the rules of docs/certificate.md."""
    try:
        need(type(cert) is dict and all(type(k) is str for k in cert))
        need({"format", "n", "split", "mode", "matrix", "factors", "claims"} <= cert.keys())
        n, p, mode = cert["n"], cert["split"], cert["mode"]
        need(cert["format"] == FORMAT and type(cert["format"]) is str)
        need(type(n) is int and n > 0 and type(p) is int and 0 < p < n and mode in ("any", "positive"))
        order = list(range(n))
        if "mask" in cert:
            mask = cert["mask"]
            need(type(mask) is list and len(mask) == n and all(type(b) is int and b in (0, 1) for b in mask))
            need(sum(mask) == p)
            order = [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]
        matrix = table(cert["matrix"], n, n)
        need(type(cert["factors"]) is list)
        product = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        for f in cert["factors"]:
            need(type(f) is dict and sorted(f) == ["kind", "scale", "shear"] and f["kind"] in ("lower", "upper"))
            need(type(f["kind"]) is str)
            rows, cols = (n - p, p) if f["kind"] == "lower" else (p, n - p)
            shear = table(f["shear"], rows, cols)
            need(type(f["scale"]) is list and len(f["scale"]) == rows)
            scale = [number(x) for x in f["scale"]]
            need(all(s != 0 and (mode == "any" or s > 0) for s in scale))
            product = matmul(product, dense(f["kind"], shear, scale, n, p))
        claims = cert["claims"]
        need(type(claims) is dict and all(type(k) is str for k in claims))
        need({"method", "count", "bound"} <= claims.keys() and type(claims["method"]) is str)
        count, bound = claims["count"], claims["bound"]
        need(type(count) is int and count == len(cert["factors"]) and type(bound) is int and count <= bound)
        stages = claims.get("stages", {})
        need(type(stages) is dict and all(type(v) is int and v >= 0 for v in stages.values()))
        need("arith" not in claims or claims["arith"] in ("exact", "float64", "mp") and type(claims["arith"]) is str)
        need("digits" not in claims or type(claims["digits"]) is int and claims["digits"] > 0)
        tolerance = number(claims["tolerance"]) if "tolerance" in claims else Fraction(0)
        need(tolerance >= 0)
        return all(abs(product[a][b] - matrix[order[a]][order[b]]) <= tolerance for a in range(n) for b in range(n))
    except Invalid:
        return False


numbers = st.one_of(
    st.fractions(-3, 3, max_denominator=5).map(str),
    st.decimals(-5, 5, places=3, allow_nan=False).map(str),
    st.sampled_from(["0", "-0", "1e-3", "2.5E1", "1/0", ".5", "1.", "-", "1e99999", "0x1", " 1", "1e10000",
                     "3/6", "-0.0", "1" * 30, "1e-10000"]),
    st.text(max_size=3), st.integers(-2, 2), st.none(), st.booleans())
json_values = st.recursive(st.none() | st.booleans() | st.integers(-3, 9) | numbers | st.text(max_size=4),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                         max_size=3), max_leaves=6)


def paths(node, prefix=()):
    """Every path into the JSON tree, with its value."""
    yield prefix, node
    items = node.items() if type(node) is dict else enumerate(node) if type(node) is list else ()
    for k, v in items:
        yield from paths(v, prefix + (k,))


def mutate(cert, data):
    """One random mutation of a deep copy of cert."""
    c = copy.deepcopy(cert)
    choice = data.draw(st.integers(0, 9))
    places = [p for p, _ in paths(c) if p]
    path = data.draw(st.sampled_from(places))
    parent = c
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if choice <= 2:  # a number: near its old value, or anything
        old = parent[key]
        near = []
        if type(old) is str and NUMBER.fullmatch(old):
            q = Fraction(old)
            near = [str(q + Fraction(1, 10 ** 9)), str(q * 2), str(-q), str(float(q)), old + "0" if "." in old else old]
        parent[key] = data.draw(st.sampled_from(near) | numbers) if near else data.draw(numbers)
    elif choice == 3:  # delete or duplicate a list element or a key
        if type(parent) is list:
            if data.draw(st.booleans()):
                del parent[key]
            else:
                parent.insert(key, copy.deepcopy(parent[key]))
        else:
            del parent[key]
    elif choice == 4:  # any JSON value anywhere
        parent[key] = data.draw(json_values)
    elif choice == 5:  # integers of the header and claims
        field = data.draw(st.sampled_from(["n", "split", "count", "bound"]))
        target = c if field in ("n", "split") else c.get("claims") if type(c.get("claims")) is dict else {}
        if type(target.get(field)) is int:
            target[field] += data.draw(st.sampled_from([-1, 1, 2]))
    elif choice == 6:  # kinds, mode
        for f in c["factors"][:1]:
            f["kind"] = data.draw(st.sampled_from(["lower", "upper", "Lower", ""]))
        if data.draw(st.booleans()):
            c["mode"] = data.draw(st.sampled_from(["any", "positive"]))
    elif choice == 7:  # masks
        c["mask"] = data.draw(st.lists(st.integers(0, 1), min_size=c["n"] - 1, max_size=c["n"] + 1) | st.none())
    elif choice == 8:  # the tolerance and informational claims
        claims = c["claims"]
        claims[data.draw(st.sampled_from(["tolerance", "arith", "digits", "stages", "method"]))] = \
            data.draw(numbers | st.sampled_from(["exact", "float64", "mp", 0, 5, {}, {"a": 1}]))
    else:  # swap or reverse factors
        c["factors"] = list(reversed(c["factors"]))
    return c


@st.composite
def with_tolerance(draw):
    cert = draw(certificates(min_factors=1, max_n=5))
    if draw(st.booleans()):  # make the claim approximate: perturb one entry, claim a tolerance around it
        n = cert["n"]
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        delta = draw(st.fractions(-1, 1, max_denominator=1000))
        cert["matrix"][i][j] = str(Fraction(cert["matrix"][i][j]) + delta)
        cert["claims"]["tolerance"] = draw(st.sampled_from([str(abs(delta)), str(abs(delta) * 2), "1e-3", "0"]))
    return cert


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(with_tolerance(), st.data())
def test_checker_agrees_with_the_oracle_on_mutants(cert, data):
    # half of the runs decide tolerance claims with ball arithmetic even at these small sizes
    proofs.checker.EXACT_TOLERANCE_N = data.draw(st.sampled_from([0, 32]))
    try:
        check_mutants(cert, data)
    finally:
        proofs.checker.EXACT_TOLERANCE_N = 32


def check_mutants(cert, data):
    assert check_certificate(cert).ok == oracle(cert)
    for _ in range(10):
        mutant = mutate(cert, data)
        verdict = check_certificate(mutant)  # must not raise
        assert isinstance(verdict, Verdict) and verdict.ok == (not verdict.reasons)
        expected = oracle(mutant)
        assert verdict.ok == expected, (verdict, mutant)
        TRIED["mutants"] += 1
        TRIED["accepted"] += verdict.ok


def test_report_the_number_of_mutants():
    """Runs after the fuzz test (file order): prints the figure that docs/certificate.md quotes."""
    print(f"\nchecker fuzz: {TRIED['mutants']} mutated certificates, {TRIED['accepted']} accepted (each one "
          "true by the oracle), none wrongly accepted or rejected")
    assert TRIED["mutants"] >= 2000
