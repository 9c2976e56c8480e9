"""``couplings minimal``: the least number of couplings, with a checked certificate for each side."""

import itertools
import json
import random
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from construct.core.couplings import Word, lower, upper
from construct.core.matrices import blocks, from_rows, identity, permutation_matrix
from construct.front.cli import main
from construct.front.minimal import algebraic_four_word, four_word, minimal
from construct.methods.short import ROUTES
from proofs.checker import check_certificate
from proofs.lower_bounds import check_witness, load_witnesses, lower_bound_witness

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small = st.fractions(min_value=-4, max_value=4, max_denominator=3)


def fractions(T):
    return [[Fraction(int(x.numerator), int(x.denominator)) for x in row] for row in T.to_list()]


def assert_evidence(m, T):
    """Both sides checked independently: the certificate by the checker, the witness by proofs.lower_bounds."""
    cert = m.upper_factorization.certificate()
    assert check_certificate(cert, matrix=T.to_list()).ok
    assert len(cert["factors"]) == m.upper
    if m.lower_witness is not None:
        assert check_witness(m.lower_witness)[0]
        assert m.lower_witness["k"] == m.lower - 1
    else:
        assert m.lower == (0 if T == identity(T.shape[0]) else 1)


@pytest.mark.parametrize("witness", load_witnesses(), ids=lambda w: w["id"])
def test_every_lower_bound_witness_is_exactly_k_plus_one(witness):
    T = from_rows([[Fraction(x) for x in row] for row in witness["matrix"]])
    m = minimal(T, witness["mode"], groebner_seconds=0)
    assert (m.lower, m.upper, m.verdict) == (witness["k"] + 1, witness["k"] + 1, f"exactly {witness['k'] + 1}")
    assert_evidence(m, T)


@pytest.mark.parametrize("mode", ["any", "positive"])
@pytest.mark.parametrize("n", [2, 4, 6])
def test_identity_is_exactly_zero(n, mode):
    m = minimal(identity(n), mode)
    assert (m.lower, m.upper, m.verdict) == (0, 0, "exactly 0")
    assert_evidence(m, identity(n))


@SETTINGS
@given(entries=st.lists(small, min_size=4, max_size=4), mode=st.sampled_from(["any", "positive"]))
def test_every_2x2_matrix_is_decided_exactly(entries, mode):
    """d = 1: at most 3 couplings, or 4 for a negative diagonal in positive mode, and the lemmas prove it."""
    T = from_rows([entries[:2], entries[2:]])
    det = T.det()
    assume(det != 0 and (mode == "any" or det > 0))
    m = minimal(T, mode, groebner_seconds=0)
    assert m.lower == m.upper
    negative_diagonal = entries[1] == entries[2] == 0 and entries[0] < 0
    assert m.upper == 4 if (mode == "positive" and negative_diagonal) else m.upper <= 3
    assert_evidence(m, T)


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_2x2_swap_and_negative_identity(mode):
    swap, minus = from_rows([[0, 1], [1, 0]]), from_rows([[-1, 0], [0, -1]])
    if mode == "any":
        assert minimal(swap, mode).verdict == "exactly 3"
    assert minimal(minus, mode).verdict == ("exactly 2" if mode == "any" else "exactly 4")


@SETTINGS
@given(seed=st.integers(0, 2**32), mode=st.sampled_from(["any", "positive"]))
def test_random_4x4_with_invertible_blocks_is_decided_exactly(seed, mode):
    """d = 2, generic: 4 couplings (a rational product) unless the trace-sign lemma proves 5."""
    rng = random.Random(seed)
    T = from_rows([[rng.randint(-6, 6) for _ in range(4)] for _ in range(4)])
    assume(all(B.det() != 0 for B in blocks(T, 2)) and T.det() != 0 and (mode == "any" or T.det() > 0))
    m = minimal(T, mode, groebner_seconds=0)
    assert m.lower == m.upper and 3 <= m.upper <= 5
    assert_evidence(m, T)


def test_generic_4x4_is_exactly_four_in_both_modes():
    T = from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]])
    for mode in ("any", "positive"):
        m = minimal(T, mode)
        assert (m.verdict, m.upper_factorization.method, m.lower_witness["argument"]) == (
            "exactly 4", "four", "not-three-couplings")
        assert_evidence(m, T)


@pytest.mark.parametrize("seed", range(3))
def test_generic_6x6_has_a_rational_four_coupling_product_in_mode_any(seed):
    rng = random.Random(seed)
    T = from_rows([[rng.randint(-5, 5) for _ in range(6)] for _ in range(6)])
    word = four_word(T, False, random.Random(0))
    assert word is not None and len(word) == 4 and word.matrix() == T


def random_word(rng, d, k, positive):
    value = lambda: Fraction(rng.randint(-3, 3), rng.randint(1, 2))  # noqa: E731
    scale = lambda: Fraction(rng.randint(1, 3), rng.randint(1, 2)) * (1 if positive else rng.choice([1, -1]))  # noqa: E731
    factors = []
    for i in range(k):
        shear = from_rows([[value() for _ in range(d)] for _ in range(d)])
        scales = [from_rows([[scale()]])[0, 0].element for _ in range(d)]
        factors.append((lower if i % 2 else upper)(shear, scales))
    return Word(2 * d, d, factors)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), d=st.integers(1, 3), k=st.integers(1, 6), mode=st.sampled_from(["any", "positive"]))
def test_lemmas_never_exceed_a_known_product(seed, d, k, mode):
    """Soundness: for a product of k couplings every lemma that applies proves less than k."""
    rng = random.Random(seed)
    T = random_word(rng, d, k, mode == "positive").matrix()
    witness = lower_bound_witness(fractions(T), d, mode)
    assert witness is None or witness["k"] < k


def test_not_three_lemma_and_groebner_agree_on_a_permutation_with_singular_blocks():
    T = from_rows([[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    assert all(B.rank() == 1 for B in blocks(T, 2))
    assert lower_bound_witness(fractions(T), 2, "any")["argument"] == "not-three-couplings"
    witness = lower_bound_witness(fractions(T), 2, "any", ["groebner-3"])
    assert witness["k"] == 3 and check_witness(witness)[0]


@SETTINGS
@given(seed=st.integers(0, 2**32), d=st.integers(1, 3), mode=st.sampled_from(["any", "positive"]))
def test_three_coupling_lemma_is_the_exact_complement_of_short_three(seed, d, mode):
    """Sparse matrices (singular blocks): the lemma proves 'not 3' exactly when no product of 3 is built."""
    rng = random.Random(seed)
    T = from_rows([[rng.choice([0, 0, 0, 1, -1, 2]) for _ in range(2 * d)] for _ in range(2 * d)])
    assume(T.det() != 0 and (mode == "any" or T.det() > 0))
    three = {name: route for name, route, _ in ROUTES}["three"](T, mode == "positive", rng)
    witness = lower_bound_witness(fractions(T), d, mode, ["not-three-couplings"])
    assert (three is None) == (witness is not None)


def test_cli_json_has_lower_upper_and_mode(tmp_path, capsys):
    path = tmp_path / "T.csv"
    path.write_text("0,1,0,0\n1,0,0,0\n0,0,1,1\n0,0,1,0\n")
    for mode in ("any", "positive"):
        assert main(["minimal", str(path), "--mode", mode, "--format", "json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert (out["mode"], out["lower"], out["upper"], out["verdict"]) == (mode, 6, 6, "exactly 6")
        assert check_witness(out["lower_witness"])[0]
        assert check_certificate(out["upper_certificate"], matrix=[[int(x) for x in row.split(",")]
                                                                    for row in path.read_text().split()]).ok


def test_cli_refuses_negative_determinant_in_positive_mode(tmp_path):
    path = tmp_path / "T.csv"
    path.write_text("0,1\n1,0\n")
    r = subprocess.run([sys.executable, "-m", "construct", "minimal", str(path), "--mode", "positive"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "det" in r.stderr and "Traceback" not in r.stderr


def test_generic_8x8_has_an_exact_algebraic_four_coupling_product_in_mode_any():
    """d = 4: no rational construction is known, but one over Q(alpha) (a root of an irreducible sextic) is exact."""
    rng = random.Random(3)
    T = from_rows([[rng.randint(-5, 5) for _ in range(8)] for _ in range(8)])
    word = algebraic_four_word(T, False, random.Random(0))
    assert word is not None and word.kinds() in ("LULU", "ULUL")
    assert word.K.ext.minpoly.degree() > 1 and word.matrix() == T.convert_to(word.K)
    m = minimal(T, "any")
    assert m.verdict == "between 4 and 5" and "Q(alpha)" in m.notes[-1]


@pytest.mark.parametrize("perm", list(itertools.permutations(range(4))), ids=str)
def test_every_4x4_permutation_needs_at_most_five(perm):
    """The short method needs 6 when both off-diagonal blocks are singular; a unit factor and four couplings give 5."""
    T = permutation_matrix(list(perm))
    for mode in ("any", "positive") if T.det() > 0 else ("any",):
        m = minimal(T, mode, groebner_seconds=0)
        assert m.upper <= 5 and m.lower >= min(m.upper, 3)
        assert_evidence(m, T)


def test_swap_of_the_halves_needs_three_in_mode_any_and_five_in_mode_positive():
    """J = [[0, I], [I, 0]]: a zero pivot block forces Q G R = -E, impossible with positive scales for Q = R = I."""
    J = permutation_matrix([2, 3, 0, 1])
    assert minimal(J, "any", groebner_seconds=0).verdict == "exactly 3"
    m = minimal(J, "positive", groebner_seconds=0)
    assert (m.verdict, m.lower_witness["argument"]) == ("exactly 5", "four-couplings-trace-sign")
    assert_evidence(m, J)


def _fails(message):
    raise ValueError(message)


def test_an_error_in_the_timed_child_is_raised_in_the_parent_not_printed_by_the_child(capfd):
    from construct.front.minimal import _with_timeout

    with pytest.raises(ValueError, match="from the child"):
        _with_timeout(_fails, ("from the child",), 60)
    assert "Traceback" not in capfd.readouterr().err
