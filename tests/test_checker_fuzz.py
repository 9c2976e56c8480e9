"""Fuzzing the checker against the reference checker (tests/reference_checker.py, plain Fractions).

Hypothesis draws valid certificates (exact and with a tolerance, decided with exact rationals or with
ball arithmetic, masks, odd n, unequal splits) and
mutates each of them several times: numbers, shapes, kinds, masks, splits, counts, bounds, claims,
tolerances and the JSON structure. For every mutant the checker's verdict must equal the oracle's, and
the checker must never raise. A run tries 300 certificates and 10 mutants of each (docs/certificate.md).
"""
import copy
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proofs.kernel
from proofs.checker import FORMAT, Verdict, check_certificate
from tests.reference_checker import NUMBER, accepts as oracle
from tests.test_checker import certificates

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
    proofs.kernel.EXACT_TOLERANCE_N = data.draw(st.sampled_from([0, 32]))
    try:
        check_mutants(cert, data)
    finally:
        proofs.kernel.EXACT_TOLERANCE_N = 32


def check_mutants(cert, data):
    assert check_certificate(cert).ok == oracle(cert)
    for _ in range(10):
        mutant = mutate(cert, data)
        verdict = check_certificate(mutant)  # must not raise
        assert isinstance(verdict, Verdict) and verdict.ok == (not verdict.reasons)
        expected = oracle(mutant)
        assert verdict.ok == expected, (verdict, mutant)
