"""The levels method: exact products, the count bound, positive scales, numeric certificates.

Exact results go through :func:`tests.helpers.assert_factors`, which ties
every certificate to the matrix that was factored and asks the checker to
accept it against that matrix.
"""

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from construct.core.accuracy import AccuracyError
from construct.core.errors import InputError
from construct.core.matrices import from_rows
from construct.front.factor import factor
from construct.methods.frames import frames, level_splits, network, round_edges, t_join
from construct.methods.levels import MAX_ROUNDS, levels_bound
from construct.methods.swap_network import joined_involution_rounds, merge_disjoint, permutation_rounds, signed_permutation
from proofs.checker import certificate_number, check_certificate
from tests.helpers import assert_factors, exact_rows

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def invertible(rows):
    return from_rows(rows).rank() == len(rows)


@st.composite
def matrices(draw, sizes=(2, 4, 6, 8, 10, 12, 14, 16), positive=False):
    """Random and adversarial invertible matrices of even size."""
    n = draw(st.sampled_from(sizes))
    family = draw(st.sampled_from(["integer", "permutation", "triangular", "block-diagonal",
                                   "singular-offdiagonal", "huge-tiny", "orthogonal-like"]))
    rng = random.Random(draw(st.integers(0, 10**9)))
    d = n // 2
    for _ in range(100):
        if family == "integer":
            rows = [[rng.randint(-5, 5) for _ in range(n)] for _ in range(n)]
        elif family == "permutation":
            p = list(range(n))
            rng.shuffle(p)
            rows = [[rng.choice([-1, 1]) if p[j] == i else 0 for j in range(n)] for i in range(n)]
        elif family == "triangular":
            rows = [[rng.randint(-4, 4) if j < i else 0 for j in range(n)] for i in range(n)]
            for i in range(n):
                rows[i][i] = rng.choice([-3, -1, 1, 2])
            if rng.random() < 0.5:
                rows = [list(r) for r in zip(*rows)]
        elif family == "block-diagonal":
            rows = [[rng.randint(-3, 3) if (i < d) == (j < d) else 0 for j in range(n)] for i in range(n)]
        elif family == "singular-offdiagonal":
            u, v = [rng.randint(-3, 3) for _ in range(d)], [rng.randint(-3, 3) for _ in range(d)]
            rows = [[rng.randint(-3, 3) if (i < d) == (j < d) else u[i % d] * v[j % d] for j in range(n)]
                    for i in range(n)]
        elif family == "huge-tiny":
            rows = [[rng.randint(-9, 9) * 10 ** rng.choice([-30, 0, 30]) for _ in range(n)] for _ in range(n)]
            rows = [[x if x >= 1 or x == 0 else 0 for x in r] for r in rows]
            rows = [[rng.randint(-9, 9) * 10**30 if i == j else x for j, x in enumerate(r)] for i, r in enumerate(rows)]
        else:  # a rotation-like sign pattern with large entries: partial pivoting swaps every row
            rows = [[rng.randint(1, 3) * (-1) ** (i * j + i) for j in range(n)] for i in range(n)]
        if positive and family == "permutation":
            det = from_rows(rows).det()
            if det < 0:
                rows[0] = [-x for x in rows[0]]
        if invertible(rows) and (not positive or from_rows(rows).det() > 0):
            return from_rows(rows)
    return from_rows([[int(i == j) for j in range(n)] for i in range(n)])


@SETTINGS
@given(matrices())
def test_levels_exact_any_mode_within_bound(T):
    f = assert_factors(T, "levels", "any", bound=levels_bound(T.shape[0]))
    assert f.stages["rounds"] <= MAX_ROUNDS["any"]


@SETTINGS
@given(matrices(positive=True))
def test_levels_exact_positive_mode_positive_scales_within_bound(T):
    assert_factors(T, "levels", "positive", bound=levels_bound(T.shape[0]))


@settings(max_examples=25, deadline=None)
@given(matrices(sizes=(4, 6, 8)), st.sampled_from(["alternate", "checkerboard"]), st.sampled_from(["any", "positive"]))
def test_levels_masks(T, mask, mode):
    if mode == "positive" and T.det() < 0:
        T = from_rows([[-x for x in row] if i == 0 else row for i, row in enumerate(T.to_list())])
    assert_factors(T, "levels", mode, mask=mask)


def test_levels_d1_every_sign_pattern_both_modes():
    """n = 2: every invertible matrix with entries in {-1, 0, 1}, both modes."""
    for entries in itertools.product([-1, 0, 1], repeat=4):
        rows = [list(entries[:2]), list(entries[2:])]
        if not invertible(rows):
            continue
        assert_factors(from_rows(rows), "levels", "any", bound=levels_bound(2))
        if from_rows(rows).det() > 0:
            assert_factors(from_rows(rows), "levels", "positive", bound=levels_bound(2))


def test_levels_every_signed_permutation_n4_both_modes():
    for perm in itertools.permutations(range(4)):
        for signs in itertools.product([-1, 1], repeat=4):
            T = from_rows([[signs[j] if perm[j] == i else 0 for j in range(4)] for i in range(4)])
            assert_factors(T, "levels", "any", bound=levels_bound(4))
            if T.det() > 0:
                assert_factors(T, "levels", "positive", bound=levels_bound(4))


def test_permutation_rounds_at_most_six_for_every_permutation_up_to_n8():
    for n in (2, 4, 6, 8):
        for perm in itertools.permutations(range(n)):
            rounds = permutation_rounds(list(perm), n // 2)
            assert len(rounds) <= 6
            assert all(p < n // 2 <= q for r in rounds for p, q in r)
            assert signed_permutation([[(p, q, 1) for p, q in r] for r in rounds], n)[0] == list(perm)


def _components(n, edges):
    parent = list(range(n))

    def root(v):
        while parent[v] != v:
            v = parent[v]
        return v

    for u, v in edges.values():
        parent[root(u)] = root(v)
    return len({root(v) for v in range(n)})


def _check_joined(tau, d):
    """The layout of :func:`joined_involution_rounds`: what theory.md ("Positive mode") proves of it."""
    n = 2 * d
    rounds, doubles = joined_involution_rounds(tau, d)
    assert len(rounds) == 4
    assert all(p < d <= q for r in rounds for p, q in r)
    assert signed_permutation([[(p, q, 1) for p, q in r] for r in rounds], n)[0] == list(tau)
    for k, p, q in doubles:
        assert p < d <= q and k in (0, 2)
        assert not {p, q} & {x for pair in rounds[k] + rounds[k + 1] for x in pair}
    for r in rounds + [[(p, q) for k, p, q in doubles if k == slot] for slot in (0, 2)]:
        positions = [x for pair in r for x in pair]
        assert len(positions) == len(set(positions))
    assert _components(n, round_edges(rounds, n, doubles)) == 1


def test_joined_involution_rounds_connect_every_coordinate_for_every_involution_up_to_n10():
    for n in (2, 4, 6, 8, 10):
        for tau in itertools.permutations(range(n)):
            if all(tau[tau[i]] == i for i in range(n)):
                _check_joined(list(tau), n // 2)


@st.composite
def involutions(draw):
    """Involutions with a chosen number of top pairs, bottom pairs and cross pairs (many leftover pairs)."""
    d = draw(st.integers(1, 40))
    rng = random.Random(draw(st.integers(0, 10**9)))
    top, bottom = list(range(d)), list(range(d, 2 * d))
    rng.shuffle(top)
    rng.shuffle(bottom)
    tau = list(range(2 * d))
    same_top, same_bottom = draw(st.integers(0, d // 2)), draw(st.integers(0, d // 2))
    for half, k in ((top, same_top), (bottom, same_bottom)):
        for _ in range(k):
            a, b = half.pop(), half.pop()
            tau[a], tau[b] = b, a
    for _ in range(draw(st.integers(0, min(len(top), len(bottom))))):
        a, b = top.pop(), bottom.pop()
        tau[a], tau[b] = b, a
    return tau


@SETTINGS
@given(involutions())
def test_joined_involution_rounds_connect_every_coordinate(tau):
    _check_joined(tau, len(tau) // 2)


def _signed(perm, signs):
    sign = math.prod(signs)
    seen = [False] * len(perm)
    for start in range(len(perm)):
        k, length = start, 0
        while not seen[k]:
            seen[k], k, length = True, perm[k], length + 1
        sign *= -1 if length and length % 2 == 0 else 1
    return sign


def _assert_positive_network(perm, signs):
    """No frames: the rounds alone must give ``P diag(signs)`` in at most 7 rounds."""
    n = len(perm)
    rounds, flipped = network(perm, n // 2, signs, [list(range(n))], [], True, random.Random(0), tries=1)
    images, sigma = signed_permutation(rounds, n)
    assert images == list(perm) and list(sigma) == list(signs) and not flipped
    assert len(rounds) <= MAX_ROUNDS["positive"] == 7


def test_positive_network_every_signed_permutation_of_determinant_one_up_to_n6():
    for n in (2, 4, 6):
        for perm in itertools.permutations(range(n)):
            for signs in itertools.product([-1, 1], repeat=n):
                if _signed(perm, signs) > 0:
                    _assert_positive_network(list(perm), list(signs))


@SETTINGS
@given(st.integers(1, 40), st.integers(0, 10**9), st.sampled_from(["random", "few moved", "one half", "identity"]))
def test_positive_network_at_most_seven_rounds(d, seed, kind):
    """Adversarial for the sign join: many fixed points, cycles inside one half, random signs."""
    rng = random.Random(seed)
    n = 2 * d
    perm = list(range(n))
    moved = {"random": list(range(n)), "few moved": rng.sample(range(n), min(n, 3)),
             "one half": rng.choice([list(range(d)), list(range(d, n))]), "identity": []}[kind]
    images = list(moved)
    rng.shuffle(images)
    for a, b in zip(moved, images):
        perm[a] = b
    signs = [rng.choice([-1, 1]) for _ in range(n)]
    if _signed(perm, signs) < 0:
        signs[rng.randrange(n)] *= -1
    _assert_positive_network(perm, signs)


def test_merge_disjoint_only_merges_disjoint_rounds():
    assert merge_disjoint([[(0, 2)], [(0, 3)]]) == [[(0, 2)], [(0, 3)]]
    assert merge_disjoint([[(0, 2)], [(1, 3)]]) == [[(0, 2), (1, 3)]]


def test_t_join_flips_exactly_the_odd_vertices():
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(2, 10)
        edges = {k: tuple(rng.sample(range(n), 2)) for k in range(rng.randint(0, 12))}
        odd = set(rng.sample(range(n), 2 * rng.randint(0, n // 2)))
        chosen = t_join(n, edges, odd)
        if chosen is None:
            continue
        degree = [0] * n
        for k in chosen:
            for v in edges[k]:
                degree[v] += 1
        assert {v for v in range(n) if degree[v] % 2} == odd


@pytest.mark.parametrize("n", [2, 4, 6, 10, 12, 18, 34, 100])
def test_level_splits_fit_in_a_half_and_frames_hold_them(n):
    levels = level_splits(n)
    d = n // 2
    assert len(levels) == (1 + math.ceil(math.log2(d)) if d > 1 else 1)
    coords, swaps = frames(levels, n)
    for level, coord in zip(levels, coords):
        top = set(coord[:d])
        assert all(set(A) <= top and not set(B) & top for A, B in level)
    assert sorted(coords[-1]) == list(range(n))


def float_matrix(n, seed):
    return np.random.default_rng(seed).standard_normal((n, n))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices(sizes=(2, 4, 6, 10, 16, 22)), st.sampled_from(["any", "positive"]), st.sampled_from(["float64", "mp"]))
def test_levels_numeric_on_adversarial_families_certified_within_bound(T, mode, arith):
    """Spreading, rescaling and halving on every family of ``matrices``: the checker accepts the tolerance (or, in
    positive mode, a clear refusal where rounding gets the sign of det T wrong)."""
    if mode == "positive" and T.det() < 0:
        T = from_rows([[-x for x in row] if i == 0 else row for i, row in enumerate(T.to_list())])
    try:
        f = factor(T, method="levels", mode=mode, arith=arith, digits=30)
    except InputError as e:  # entries 1e30 next to 1: rounding may get the sign of det T wrong, and says so
        assert mode == "positive" and "but det T > 0: T is too ill-conditioned for positive mode" in str(e)
        return
    except AccuracyError as e:  # or T, even scaled by powers of two, is numerically singular at that precision
        assert "numerically singular" in str(e)
        return
    cert = f.certificate()
    verdict = check_certificate(cert, matrix=exact_rows(T))
    assert verdict.ok, verdict.reasons
    assert f.count <= levels_bound(T.shape[0]) and f.stages["halving"] <= f.stage_bounds["halving"][0]
    if mode == "positive":
        assert all(certificate_number(s) > 0 for c in cert["factors"] for s in c["scale"])


@pytest.mark.parametrize("d", [1, 3, 16])
@pytest.mark.parametrize("mode", ["any", "positive"])
def test_levels_float64_certificate_checks_against_the_input(d, mode):
    A = float_matrix(2 * d, d)
    if mode == "positive" and np.linalg.det(A) < 0:
        A[0] = -A[0]
    T = from_rows(A.tolist())
    f = factor(T, method="levels", mode=mode, arith="float64")
    cert = f.certificate()
    verdict = check_certificate(cert, matrix=exact_rows(T))
    assert verdict.ok, verdict.reasons
    assert f.count <= levels_bound(2 * d)
    assert float(cert["claims"]["tolerance"]) < 1e-12 * max(1.0, np.abs(A).max())
    if mode == "positive":
        assert all(certificate_number(s) > 0 for c in cert["factors"] for s in c["scale"])


def test_levels_float64_backward_error_and_conditioning_gaussian_d32():
    from construct.core.conditioning import conditioning

    A = float_matrix(64, 7)
    s = conditioning(factor(from_rows(A.tolist()), method="levels", arith="float64"))
    assert s["backward_error"] <= 1e-13
    assert s["max_cond"] <= 10 * s["cond_T"]


def test_levels_mp_50_digits_backward_error_d8():
    A = float_matrix(16, 5)
    T = from_rows(A.tolist())
    f = factor(T, method="levels", arith="mp", digits=50)
    cert = f.certificate()
    assert check_certificate(cert, matrix=exact_rows(T)).ok
    assert float(cert["claims"]["tolerance"]) <= 1e-45
    assert cert["claims"]["digits"] == 50


def test_numeric_arithmetic_refused_by_exact_only_methods():
    T = from_rows([[1, 2], [3, 4]])
    for method in ("short", "paper"):
        with pytest.raises(InputError, match="exact only"):
            factor(T, method=method, arith="float64")


def test_levels_exact_entries_no_longer_than_three_times_the_inverse():
    """Integer 32x32 input, entries in [-9, 9]: factor entries at most 3x the bits of T^-1's."""
    from construct.core.conditioning import conditioning
    from construct.core.matrices import bit_length

    rng = random.Random(5)
    T = from_rows([[rng.randint(-9, 9) for _ in range(32)] for _ in range(32)])
    inverse_bits = bit_length(T.inv())
    assert conditioning(factor(T, method="levels"))["max_bits"] <= 3 * inverse_bits


def wilkinson(n):
    A = np.eye(n) - np.tril(np.ones((n, n)), -1)
    A[:, -1] = 1
    return A


def test_block_pivoting_keeps_wilkinson_factors_small_without_mixing():
    """Partial pivoting grows Wilkinson's matrix like 2^n; choosing rows by volume does not (exact: factors as built)."""
    from construct.core.conditioning import conditioning

    f = factor(from_rows(wilkinson(64).tolist()), method="levels")
    s = conditioning(f)
    assert f.stages["mixing"] == 0
    assert s["max_entry"] <= 2 and s["max_cond"] < 10 * s["cond_T"] and s["backward_error"] < 1e-14


def _largest_condition(factors, d):
    from construct.core.conditioning import coupling_condition

    return max(coupling_condition(kind, S, np.ones(S.shape[0]) if c is None else np.array(c, dtype=float), d)
               for kind, S, c in factors)


def orthogonal(n, seed):
    import scipy.stats

    return scipy.stats.ortho_group.rvs(n, random_state=seed)


def block_diagonal(n, seed):
    A = float_matrix(n, seed)
    A[: n // 2, n // 2:] = A[n // 2:, : n // 2] = 0
    return A


@pytest.mark.parametrize("T, times", [(wilkinson(64), 10), (float_matrix(64, 3), 10), (float_matrix(256, 0), 10),
                                      (orthogonal(64, 1), 10), (orthogonal(64, 2), 10), (block_diagonal(64, 4), 10),
                                      (orthogonal(128, 3), 10), (orthogonal(256, 2), 10)],
                         ids=["wilkinson-64", "gaussian-64", "gaussian-256", "orthogonal-64", "orthogonal-64b",
                              "block-diagonal-64", "orthogonal-128", "orthogonal-256"])
def test_float64_levels_largest_factor_condition_at_most_times_cond_T(T, times):
    """The goal ``max factor cond <= 10 cond T`` (orthogonal inputs go through the rotation levels, theory.md 7)."""
    from construct.core.conditioning import conditioning

    n = T.shape[0]
    f = factor(from_rows(T.tolist()), method="levels", arith="float64")
    s = conditioning(f)
    assert s["max_cond"] <= times * s["cond_T"] and s["backward_error"] < 1e-13
    assert f.count <= levels_bound(n) and f.stages["halving"] <= f.stage_bounds["halving"][0]


@pytest.mark.parametrize("T, gain", [(wilkinson(64), 4), (block_diagonal(64, 4), 4), (float_matrix(256, 0), 3)],
                         ids=["wilkinson-64", "block-diagonal-64", "gaussian-256"])
def test_float64_factors_at_least_gain_times_better_conditioned_than_the_word_as_built(T, gain):
    """Against the word as built (pivots in the middle, no rescaling, no halving)."""
    from construct.core.arith import arithmetic
    from construct.core.conditioning import conditioning
    from construct.methods.levels import build_with_mixing

    n = T.shape[0]
    built, _, _ = build_with_mixing(from_rows(T.tolist()), "any", arithmetic("float64"), random.Random(0))
    f = factor(from_rows(T.tolist()), method="levels", arith="float64")
    assert conditioning(f)["max_cond"] <= _largest_condition(built, n // 2) / gain


@pytest.mark.parametrize("n", [2, 22, 64])
def test_spread_pivots_gives_each_part_one_scale_and_leaves_the_middle_only_the_fine_variation(n):
    """Exponents growing along the coordinates (from -3 to 3) keep at most 3 in the middle, for any n."""
    from construct.methods.levels import spread_pivots

    levels = level_splits(n)
    exponents = [6 * c / n - 3 for c in range(n)]
    lower, upper = spread_pivots(levels, exponents)
    assert len(lower) == len(upper) == len(levels) - 1
    for t, level in enumerate(levels[:-1]):
        for A, B in level:
            assert len({upper[t][c] for c in A}) == 1 and len({lower[t][c] for c in B}) == 1
            assert not set(A) & set(lower[t]) and not set(B) & set(upper[t])
    left = [e - sum(x.get(c, 0) for x in lower + upper) for c, e in enumerate(exponents)]
    assert max(left) - min(left) <= 3


def test_spread_pivots_leaves_an_outlying_pivot_in_the_middle():
    """One pivot 2^-254 among 2s (a unit lower triangular T with -1 below the diagonal): no part takes more than
    SPREAD, so its neighbours get no large opposite scales."""
    from construct.methods.levels import SPREAD, spread_pivots

    n = 256
    lower, upper = spread_pivots(level_splits(n), [1.0] * (n - 1) + [-254.0])
    assert all(abs(k) <= SPREAD for x in lower + upper for k in x.values())
    assert sum(x.get(n - 1, 0) for x in lower + upper) >= -SPREAD * len(lower)


def upper_minus_ones(n):
    """Unit upper triangular with -1 above the diagonal: ``U[A, A]^-1 U[A, B]`` grows like 2^n for every row order."""
    return np.eye(n) - np.triu(np.ones((n, n)), 1)


def test_upper_growth_is_mixed_away_in_float64():
    from construct.core.conditioning import conditioning

    f = factor(from_rows(upper_minus_ones(44).tolist()), method="levels", arith="float64")
    s = conditioning(f)
    assert f.stages["mixing"] == 2
    # without mixing the upper level shears reach 2^43; the pivots (cond T = 1.6e14) stay in the scales
    assert max(np.max(np.abs(np.asarray(c.shear, dtype=float))) for c in f.word) < 2**32
    assert s["max_cond"] < 1e-3 * s["cond_T"] and s["backward_error"] < 1e-14
    assert f.count <= levels_bound(44)
    with pytest.raises(AccuracyError, match="numerically singular"):  # n = 64: cond T = 3e18, n cond T u >= 1
        factor(from_rows(upper_minus_ones(64).tolist()), method="levels", arith="float64")


def test_upper_growth_exact_mixed_product_is_exact():
    T = from_rows(upper_minus_ones(48).astype(int).tolist())
    f = assert_factors(T, "levels", "any", bound=levels_bound(48))
    assert f.stages["mixing"] == 2
