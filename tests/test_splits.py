"""Every size and every split: unequal splits and odd n, reduced to the balanced methods (construct/methods/splits.py).

Every factorization is checked against the input by the independent
checker and by an independent product (tests/helpers.py), its count against
the bound its certificate claims, and that claim against the bound proved
in docs/theory.md: the balanced method's bound at ``2 min(p, n - p)`` plus
``4k + 2`` for ``k`` clearing steps, and for odd ``n`` with
``p = floor(n/2)`` or ``ceil(n/2)``: 8 with the short method in both modes,
the balanced bound plus 4 with the others (``n >= 5``).
"""

import itertools
import json
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from construct.core.couplings import Word, lower, upper
from construct.core.errors import InputError
from construct.core.matrices import block_diagonal, blocks, from_rows, identity, permutation_matrix, rank
from construct.front.factor import factor
from construct.front.families import FAMILIES
from construct.front.sweep import sample_size
from construct.methods import splits
from construct.methods.levels import levels_bound
from construct.methods.short import factor_short
from construct.methods.splits import (
    ODD_SHORT_BOUND, absorbed_clearing, column_word, factor_split, generic_length, parameter_lower_bound, peels,
    reduction_bound, split_bound,
)
from proofs.checker import Limits, check_certificate
from tests.helpers import assert_certificate_is_for, certificate_product, exact_rows

LIMITS = Limits(entry_chars=10**12, total_chars=10**15)
#: the balanced methods' bounds at size m (short: its target 6; paper: 27 proved, 47 claimed)
BALANCED = {"short": lambda m: 6, "paper": lambda m: 47, "levels": levels_bound}


def _invertible(rng, n, entry):
    while True:
        T = from_rows([[entry(rng, i, j) for j in range(n)] for i in range(n)])
        if T.rank() == n:
            return T


def sample(kind: str, rng: random.Random, n: int):
    """A random invertible ``n x n`` matrix of a structured or unstructured kind."""
    if kind == "integer":
        return _invertible(rng, n, lambda r, i, j: r.randint(-9, 9))
    if kind == "permutation":
        return permutation_matrix(rng.sample(range(n), n))
    if kind == "lower-triangular":
        return _invertible(rng, n, lambda r, i, j: r.choice([-2, -1, 1, 3]) if i == j else r.randint(-5, 5) * (i > j))
    if kind == "upper-triangular":
        return _invertible(rng, n, lambda r, i, j: r.choice([-2, -1, 1, 3]) if i == j else r.randint(-5, 5) * (i < j))
    k = rng.randint(1, n - 1) if n > 1 else 1  # block diagonal with blocks of sizes k and n - k
    return block_diagonal(sample("integer", rng, k), sample("integer", rng, n - k))


KINDS = ("integer", "permutation", "lower-triangular", "upper-triangular", "block-diagonal")


def positive(T):
    """``T`` with its first row negated when ``det T < 0``."""
    if T.det() > 0:
        return T
    rows = T.to_list()
    return from_rows([[-x for x in rows[0]]] + rows[1:])


def assert_split_factors(T, p, method, mode, mask=None):
    """Factor ``T`` with ``p`` kept coordinates; check the certificate, the product and the bounds."""
    n = T.shape[0]
    f = factor(T, method=method, mode=mode, mask=mask, split=p)
    cert = f.certificate()
    assert cert["split"] == p == f.word.p and cert["n"] == n
    assert_certificate_is_for(cert, T)
    verdict = check_certificate(cert, matrix=exact_rows(T), limits=LIMITS)
    assert verdict.ok, verdict.reasons
    assert f.count <= f.bound
    s = min(p, n - p)
    assert f.bound <= split_bound(n, p, BALANCED[method](2 * s), short=method == "short")
    if mode == "positive":
        assert all(x > 0 for c in f.word for x in c.scale)
    return f


@st.composite
def cases(draw, methods=("short", "paper", "levels")):
    n = draw(st.integers(2, 9))
    p = draw(st.integers(1, n - 1))
    kind = draw(st.sampled_from(KINDS))
    mode = draw(st.sampled_from(("any", "positive")))
    method = draw(st.sampled_from(methods))
    T = sample(kind, random.Random(draw(st.integers(0, 10**6))), n)
    return (positive(T) if mode == "positive" else T), p, method, mode


@settings(max_examples=60, deadline=None)
@given(cases())
def test_every_size_split_method_and_mode_factors_exactly_within_the_proved_bound(case):
    T, p, method, mode = case
    assert_split_factors(T, p, method, mode)


@settings(max_examples=25, deadline=None)
@given(cases(methods=("short",)), st.randoms(use_true_random=False))
def test_masks_keeping_p_coordinates_factor_the_reordered_matrix(case, rng):
    T, p, method, mode = case
    n = T.shape[0]
    kept = set(rng.sample(range(n), p))
    mask = [int(i in kept) for i in range(n)]
    f = assert_split_factors(T, p, method, mode, mask=mask)
    assert f.certificate().get("mask", [1] * p + [0] * (n - p)) == mask


def test_odd_sizes_default_to_the_near_balanced_split_and_claim_8_with_the_short_method():
    for n in (3, 5, 7, 9):
        T = sample("integer", random.Random(n), n)
        f = assert_split_factors(T, n // 2, "short", "any")
        assert factor(T).word.p == n // 2 and peels(n, n // 2) == 1
        assert f.count <= f.bound == ODD_SHORT_BOUND == 8


def _short_any(S):
    return factor_short(S, "any", random.Random(0))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from((3, 5, 7, 9)), st.sampled_from(sorted(FAMILIES)), st.sampled_from(("any", "positive")),
       st.booleans(), st.integers(0, 10**6))
def test_odd_sizes_get_at_most_8_short_couplings_in_every_family_and_mode(n, family, mode, ceil, seed):
    # every family of couplings bounds: gaussian, integer, huge / tiny entries, permutations, triangular,
    # block-diagonal, singular off-diagonal blocks, near-singular (odd sizes as invertible minors)
    T = sample_size(family, random.Random(seed), n, positive=mode == "positive")
    f = assert_split_factors(T, n // 2 + ceil, "short", mode)
    assert f.count <= f.bound == 8


@settings(max_examples=60, deadline=None)
@given(st.sampled_from((3, 5, 7, 9)), st.sampled_from(KINDS), st.sampled_from(("any", "positive")),
       st.integers(0, 10**6))
def test_odd_sizes_get_at_most_8_short_couplings_on_triangular_block_and_permutation_matrices(n, kind, mode, seed):
    T = sample(kind, random.Random(seed), n)
    T = positive(T) if mode == "positive" else T
    f = assert_split_factors(T, n // 2, "short", mode)
    assert f.count <= f.bound == 8


@pytest.mark.parametrize("n", [3, 5])
def test_every_permutation_of_3_and_5_coordinates_gets_at_most_8_short_couplings_in_both_modes(n):
    for perm in itertools.permutations(range(n)):
        P = permutation_matrix(list(perm))
        for mode in ("any", "positive") if P.det() > 0 else ("any",):
            f = factor(P, mode=mode)
            assert f.word.matrix() == P and f.count <= f.bound == 8, (perm, mode, f.word.kinds())


# Inputs that got 9 or 10 couplings before the absorbed clearing (9 without the random retries for the
# triangular one), and what they exercise: another coordinate j, the column shift H, the row shift G.
FORMERLY_LONG = [
    ((2, 1, 3, 4, 0), "10 couplings"), ((0, 4, 3, 2, 1), "9"), ((1, 4, 3, 2, 0), "9"), ((2, 3, 4, 0, 1), "9"),
    ((6, 0, 5, 4, 1, 3, 2), "9"), ((5, 3, 4, 0, 2, 6, 1), "9, j != last"), ((5, 0, 6, 1, 4, 3, 2), "9"),
    ((2, 0, 4, 3, 1), "G"), ((1, 2, 3, 0, 4), "j != last and G"), ((0, 4, 1, 2, 3), "H"),
]


@pytest.mark.parametrize("perm, why", FORMERLY_LONG)
def test_permutations_that_needed_9_or_10_get_at_most_8_in_both_modes(perm, why):
    P = permutation_matrix(list(perm))
    for mode in ("any", "positive"):
        f = assert_split_factors(positive(P) if mode == "positive" else P, len(perm) // 2, "short", mode)
        assert f.count <= 8, (why, f.word.kinds())


def test_absorbed_clearing_shifts_a_permutation_by_a_column_when_the_plain_clearing_needs_a_lift():
    P = permutation_matrix([0, 4, 1, 2, 3])
    X, _, Yt = splits._clearing(P, 2)
    assert X.kinds() == "ULU" or Yt.kinds() == "ULU"  # a lift: the top of the cleared column or row is zero
    order, G, H = absorbed_clearing(P, 2)
    assert order == list(range(5)) and G.is_zero_matrix and not H.is_zero_matrix
    X, _, Yt = splits._clearing(_shift(P, G, H), 2)
    assert len(X) <= 2 and len(Yt) <= 2
    for mode in ("any", "positive"):
        assert assert_split_factors(positive(P) if mode == "positive" else P, 2, "short", mode).count <= 8


def _shift(S, G, H):
    n, p = S.shape[0], G.shape[1]
    return splits._preconditioned(S, Word(n, p, [lower(G)]), Word(n, p, [upper(H)]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from((3, 5, 7, 9)), st.sampled_from((0.15, 0.3, 0.5)), st.integers(0, 10**6))
def test_absorbed_clearing_makes_both_clearing_words_L_U_from_5_coordinates_on(n, density, seed):
    rng = random.Random(seed)
    T = from_rows([[rng.choice((1, -1, 2)) if rng.random() < density else 0 for _ in range(n)] for _ in range(n)])
    if rank(T) < n:
        return
    p = n // 2
    order, G, H = absorbed_clearing(T, p)
    j = order[-1]
    assert j >= p and order == [i for i in range(n) if i != j] + [j]  # one second-group coordinate moved last
    assert all(G[i, :].is_zero_matrix for i in range(n - p - 1)) and H[:, : n - p - 1].is_zero_matrix
    X, _, Yt = splits._clearing(_shift(T.extract(order, order), G, H), p)
    good = [i for i in range(p, n) if rank(T.extract(list(range(p)) + [i], list(range(p)) + [i])
                                           - splits._unit(p + 1, p + 1, p, p, T.domain)) >= 2]
    if n >= 5:
        assert good  # the lemma: such a coordinate exists for p >= 2
    plain = (order, G.is_zero_matrix, H.is_zero_matrix) == (list(range(n)), True, True)
    assert plain or j == max(good)  # the plain clearing first, else the last good coordinate
    if good:
        assert len(X) <= 2 and len(Yt) <= 2 and X.kinds() in ("", "U", "LU") and Yt.kinds() in ("", "U", "LU")
    else:  # n = 3 only: the plain clearing, lifts allowed
        assert plain


def test_the_cyclic_permutation_of_3_has_no_absorbed_clearing_and_still_gets_at_most_8():
    C = permutation_matrix([1, 2, 0])
    order, G, H = absorbed_clearing(C, 1)
    assert order == [0, 1, 2] and G.is_zero_matrix and H.is_zero_matrix
    for T in (C, from_rows([[1, 0, 0], [-2, 1, 1], [0, -2, 1]])):  # the second: 8 in positive mode
        for mode in ("any", "positive"):
            assert assert_split_factors(T, 1, "short", mode).count <= 8


@pytest.mark.parametrize("mode", ["any", "positive"])
def test_a_balanced_rest_with_singular_off_diagonal_blocks_starts_with_an_upper_coupling_and_five(mode):
    for T in (block_diagonal(from_rows([[0, 1], [1, 0]]), from_rows([[1, 1], [1, 0]])),
              block_diagonal(from_rows([[2, 1], [1, 1]]), from_rows([[-1, 0], [0, -3]])),
              block_diagonal(from_rows([[-1]]), from_rows([[-2]]))):
        T = positive(T) if mode == "positive" else T
        d = T.shape[0] // 2
        assert all(rank(B) < d for B in blocks(T, d)[1:3])
        word, inner = splits._balanced_word(T, lambda S: factor_short(S, mode, random.Random(0)))
        assert word.matrix() == T and word.kinds()[0] == "U"
        assert inner.method != "short:six" and len(word) <= (4 if d == 1 else 6)


def test_absorbed_clearing_raises_an_internal_error_when_no_candidate_passes(monkeypatch):
    real = splits._clearing
    monkeypatch.setattr(splits, "_clearing", lambda T, p: (lambda X, N, Yt: (X * X * X, N, Yt))(*real(T, p)))
    with pytest.raises(AssertionError, match="docs/theory.md proves one"):
        absorbed_clearing(sample("integer", random.Random(0), 5), 2)


def test_split_one_count_grows_with_n_within_the_proved_bound():
    for n in (4, 6, 8):
        T = sample("integer", random.Random(n), n)
        f = assert_split_factors(T, 1, "short", "any")
        assert f.count <= 6 + 4 * (n - 2) + 2 and peels(n, 1) == n - 2


def test_mirrored_splits_swap_the_kinds_of_the_factors():
    T = sample("integer", random.Random(3), 5)
    low, high = factor(T, split=2), factor(T, split=3)
    assert low.word.p == 2 and high.word.p == 3
    assert all(len(c.scale) == (3 if c.kind == "lower" else 2) for c in low.word)
    assert all(len(c.scale) == (2 if c.kind == "lower" else 3) for c in high.word)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, (n - 1) // 2))),
       st.integers(0, 10**6), st.booleans())
def test_column_word_has_the_given_last_columns_and_unit_rows_when_they_end_in_the_identity(np_, seed, unit_bottom):
    n, p = np_
    rng = random.Random(seed)
    r = min(p, n - 2 * p)
    rows = [[rng.choice([0, 0, 1, -2, 3]) for _ in range(r)] for _ in range(n)]
    if unit_bottom:
        rows[n - r:] = identity(r).to_list()
    V = from_rows(rows)
    if V.rank() < r:
        return
    X = column_word(V, p)
    assert X.kinds() in ("", "U", "L", "UL", "LU", "ULU")  # a product U(D') L(A) U(D)
    M = X.matrix()
    assert M[:, n - r:] == V
    assert all(s == 1 for c in X for s in c.scale)  # unit couplings: positive mode for free
    if unit_bottom:
        assert M[n - r:, :] == identity(n)[n - r:, :]


def test_bounds_for_every_split_are_above_the_parameter_count():
    for n in range(2, 40):
        for p in range(1, n):
            s = min(p, n - p)
            assert split_bound(n, p, 6, short=True) >= parameter_lower_bound(n, p)
            assert reduction_bound(n, p) == (0 if 2 * p == n else 4 * peels(n, p) + 2)
            assert peels(n, p) == -(-abs(n - 2 * p) // s)
            odd = abs(n - 2 * p) == 1
            assert split_bound(n, p, 6, short=True) == (8 if odd else 6 + reduction_bound(n, p))
            assert split_bound(n, p, 27) == 27 + (4 if odd and n >= 5 else reduction_bound(n, p))
    # p = 1: the bound grows linearly, within a factor 7 of the parameter count
    assert all(split_bound(n, 1, 6) <= 7 * parameter_lower_bound(n, 1) for n in range(3, 200))


@pytest.mark.parametrize("split", [0, 3, -1])
def test_bad_split_is_refused_with_one_sentence(split):
    with pytest.raises(InputError, match="--split must be from 1 to n - 1 = 2"):
        factor(identity(3), split=split)


def test_mask_disagreeing_with_split_is_refused():
    with pytest.raises(InputError, match="keeps 2 coordinates but --split is 1"):
        factor(identity(4), mask="alternate", split=1)
    with pytest.raises(InputError, match="keeps 0 of 3"):
        factor(identity(3), mask=[0, 0, 0])


@pytest.mark.parametrize("n, p, arith", [(3, 1, "float64"), (7, 3, "float64"), (9, 2, "mp"), (6, 5, "float64")])
def test_levels_in_floating_point_on_unequal_splits_claims_a_tolerance_the_checker_accepts(n, p, arith):
    import numpy as np

    rng = np.random.default_rng(n)
    T = from_rows(rng.standard_normal((n, n)).tolist())  # floats, read as their exact binary values
    f = factor(T, method="levels", arith=arith, split=p, digits=30)
    cert = f.certificate()
    assert cert["split"] == p and cert["claims"]["arith"] == arith and f.count <= f.bound
    assert float(cert["claims"]["tolerance"]) < 1e-12
    verdict = check_certificate(cert, matrix=exact_rows(T), limits=LIMITS)
    assert verdict.ok, verdict.reasons


def run(*args):
    return subprocess.run([sys.executable, "-m", "construct", *map(str, args)], capture_output=True, text=True)


def test_cli_factors_odd_sizes_and_split_one_and_verify_accepts_them(tmp_path):
    rng = random.Random(5)
    for n, extra in ((3, []), (5, []), (7, ["--mode", "positive"]), (6, ["--split", "1"])):
        T = sample("integer", rng, n)
        T = positive(T) if extra else T
        (tmp_path / "T.csv").write_text("\n".join(", ".join(str(x) for x in row) for row in T.to_list()))
        r = run("factor", tmp_path / "T.csv", "--out", tmp_path / "c.json", *extra)
        assert r.returncode == 0, r.stderr
        cert = json.loads((tmp_path / "c.json").read_text())
        assert cert["n"] == n and cert["split"] == (1 if "--split" in extra else n // 2)
        r = run("verify", tmp_path / "c.json", "--matrix", tmp_path / "T.csv")
        assert r.returncode == 0 and "verified" in r.stdout


@pytest.mark.parametrize("split", ["0", "3"])
def test_cli_bad_split_exits_2_with_one_sentence(tmp_path, split):
    (tmp_path / "T.csv").write_text("1, 2, 0\n0, 1, 0\n0, 0, 1\n")
    r = run("factor", tmp_path / "T.csv", "--split", split)
    assert r.returncode == 2 and "--split must be from 1 to n - 1 = 2" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


# The checker on unequal splits: p = 1 of n = 3, written by hand (no builder involved).
HAND = {
    "format": "couplings.certificate/1", "n": 3, "split": 1, "mode": "positive",
    # L([[2], [0]], [1, 3]) U([5], [[1, -1]]) = [[5, 1, -1], [10, 2 + 1, -2], [0, 0, 3]]
    "matrix": [["5", "1", "-1"], ["10", "3", "-2"], ["0", "0", "3"]],
    "factors": [{"kind": "lower", "shear": [["2"], ["0"]], "scale": ["1", "3"]},
                {"kind": "upper", "shear": [["1", "-1"]], "scale": ["5"]}],
    "claims": {"method": "hand", "count": 2, "bound": 2},
}


def test_checker_accepts_a_hand_made_certificate_with_one_of_three_coordinates_kept():
    verdict = check_certificate(HAND)
    assert verdict.ok, verdict.reasons
    assert certificate_product(HAND) == exact_rows(from_rows([[5, 1, -1], [10, 3, -2], [0, 0, 3]]))


def test_checker_rejects_the_same_factors_read_with_the_other_split():
    verdict = check_certificate({**HAND, "split": 2})
    assert not verdict.ok and any("shear" in r or "scale" in r for r in verdict.reasons)


def test_checker_rejects_a_lower_factor_with_the_upper_shape_on_an_unequal_split():
    bad = json.loads(json.dumps(HAND))
    bad["factors"][0] = {"kind": "lower", "shear": [["2", "0"]], "scale": ["1"]}
    assert not check_certificate(bad).ok


def test_checker_applies_a_mask_keeping_one_of_three_coordinates():
    # mask [0, 0, 1]: the factors act on the coordinates in the order (2, 0, 1)
    idx = [2, 0, 1]
    rows = [["5", "1", "-1"], ["10", "3", "-2"], ["0", "0", "3"]]
    original = [[None] * 3 for _ in range(3)]
    for a in range(3):
        for b in range(3):
            original[idx[a]][idx[b]] = rows[a][b]
    masked = {**HAND, "matrix": original, "mask": [0, 0, 1]}
    assert check_certificate(masked).ok
    assert not check_certificate({**masked, "mask": [0, 1, 1]}).ok  # two ones, split 1
    assert not check_certificate({**HAND, "mask": [0, 0, 1]}).ok  # the unmasked matrix, read through the mask


def test_random_preconditioning_of_other_splits_never_lengthens_and_keeps_the_bound():
    assert generic_length(1, "LULUL") == generic_length(1, "ULULU") == 8
    for n, p in ((6, 1), (8, 3), (7, 2)):
        for kind in ("lower-triangular", "upper-triangular", "block-diagonal", "permutation"):
            T = sample(kind, random.Random(n + p), n)
            plain = factor_split(T, p, _short_any)
            f = factor(T, split=p)
            assert f.count <= plain.count and f.bound == plain.bound


def test_odd_sizes_keep_the_plain_word_when_it_is_shorter_than_the_absorbed_one():
    P = permutation_matrix([2, 1, 4, 3, 0])  # the plain clearing needs a lift, yet its word is 5; absorbed: 8
    order, G, H = absorbed_clearing(P, 2)
    absorbed = splits._cleared(_shift(P.extract(order, order), G, H), 2, _short_any)[0]
    plain = splits._cleared(P, 2, _short_any)[0]
    assert (order, G.is_zero_matrix, H.is_zero_matrix) != (list(range(5)), True, True)
    assert factor(P).count == len(plain) == 5 < len(absorbed) == 8 == factor(P).bound


@pytest.mark.parametrize("n, p, mode", [(5, 1, "any"), (5, 3, "positive"), (3, 1, "positive")])
def test_fit_jacobian_matches_finite_differences_on_unequal_splits(n, p, mode):
    import numpy as np

    from construct.front.regression import _jacobian, _layout, _product

    k = 3
    theta = np.random.default_rng(n + p).normal(size=_layout(n, p, k)[1])
    J = _jacobian(theta, n, p, k, mode, n * n)
    h = 1e-6
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        numeric = (_product(theta + e, n, p, k, mode) - _product(theta - e, n, p, k, mode)).ravel() / (2 * h)
        assert np.allclose(J[:, j], numeric, atol=1e-6)


def test_fit_reaches_roundoff_with_split_one_once_there_are_enough_layers():
    from construct.front.regression import run_fit

    result = run_fit(0, [2, 8], trials=2, seed=0, size=5, split=1)
    assert result["n"] == 5 and result["split"] == 1
    few, many = result["rows"]
    assert few["median"] > 0.1 and many["worst"] < 1e-8
