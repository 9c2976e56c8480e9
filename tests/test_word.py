"""One word type: the same couplings give the same word in every arithmetic, and what one lacks it says."""

import numpy as np
import pytest

from construct.core.arith import MP, Exact, Float64, NotAvailable
from construct.core.couplings import Coupling, Word, lower, upper
from construct.core.matrices import from_rows
from construct.core.numeric import exact_decimal

# small integers: every product below is exact in float64 and mp too
SHEARS = [("lower", [[1, -2], [3, 0]], [2, -1]), ("upper", [[0, 1], [-1, 4]], [1, 3]), ("lower", [[5, 0], [1, 1]], None)]


def exact_word():
    return Word(4, 2, [(lower if k == "lower" else upper)(from_rows(S), s and from_rows([s]).to_list()[0])
                       for k, S, s in SHEARS])


def numeric_word(a):
    return Word(4, 2, [Coupling(k, a.matrix(from_rows(S)), s and [a.scalar(x) for x in s]) for k, S, s in SHEARS],
                arith=a)


@pytest.mark.parametrize("a", [Float64(), MP(30)], ids=["float64", "mp"])
def test_numeric_word_product_and_certificate_match_the_exact_word(a):
    exact = exact_word()
    word = numeric_word(a)
    assert word.kinds() == exact.kinds() == "LUL"
    assert [[int(x) for x in row] for row in word.matrix().tolist()] == exact.matrix().to_list()
    V = np.array([[1, 0], [2, 1], [0, -1], [3, 3]]) * a.scalar(1)
    assert [[int(x) for x in row] for row in word.apply(V).tolist()] == (exact.matrix() * from_rows(V.tolist())).to_list()
    assert word.certificate_factors(exact_decimal) == exact.certificate_factors()


def test_merge_is_one_rule_in_every_arithmetic():
    """``L(A1, B1) L(A2, B2) = L(A1 + B1 A2, B1 B2)``: two lower factors appended become one, in every arithmetic."""
    for a in (Float64(), MP(30)):
        w = Word(2, 1, arith=a)
        w.append(Coupling("lower", a.matrix(from_rows([[3]])), [a.scalar(2)]))
        w.append(Coupling("lower", a.matrix(from_rows([[1]])), [a.scalar(5)]))
        assert len(w) == 1 and list(w)[0].shear.tolist() == [[5]] and list(w)[0].scale == (10,)
    w = Word(2, 1, [lower(from_rows([[3]]), [2]), lower(from_rows([[1]]), [5])])
    assert len(w) == 1 and list(w)[0].shear.to_list() == [[5]] and list(w)[0].scale == (10,)


def test_builders_keep_scaled_factors_whose_scales_are_one_exact_words_drop_them():
    """The count of a numeric word is the construction's: only factors built as unit are identities there."""
    w = Word(2, 1, [Coupling("lower", np.zeros((1, 1)), [1.0])], arith=Float64())
    assert len(w) == 1
    assert len(Word(2, 1, [Coupling("lower", np.zeros((1, 1)), None)], arith=Float64())) == 0
    assert len(Word(2, 1, [lower(from_rows([[0]]), [1])])) == 0


def test_exact_arithmetic_says_rotations_are_not_available():
    a = Exact()
    M = a.matrix(from_rows([[1, 2], [3, 4]]))
    with pytest.raises(NotAvailable, match="square roots"):
        a.rotation_level_shears(M, 1)
    with pytest.raises(NotAvailable, match="square roots"):
        a.qr(M)


def test_mp_lu_by_blocks_matches_its_product_and_falls_back_on_a_zero_pivot(monkeypatch):
    import construct.core.arith as arith
    a = arith.MP(30)
    rng = np.random.default_rng(3)
    A = np.array([[a.ctx.mpf(x) for x in row] for row in rng.standard_normal((40, 40))], dtype=object)
    splits, ranges = {}, [(0, 40)]  # halves down to single rows, as the levels method splits them
    while ranges:
        start, stop = ranges.pop()
        if stop - start > 1:
            half = (stop - start) // 2
            splits[start, stop] = half
            ranges += [(start, start + half), (start + half, stop)]
    perm, L, U, pivots = a.lu(A, splits)  # 40 rows: the block LU recurses below BLOCK_LU_SIZE
    assert max(abs(x) for x in (L @ U - A[perm]).ravel()) < 1e-27
    assert all(L[i, i] == 1 for i in range(40)) and all(L[i, j] == 0 and U[j, i] == 0 for i in range(40)
                                                        for j in range(i + 1, 40))
    # with the rows kept in place the first pivot is 0: the block LU refuses it and the elimination exchanges it
    monkeypatch.setattr(arith, "_float_pivot_order", lambda A, splits: list(range(A.shape[0])))
    B = np.array([[a.ctx.mpf(x) for x in row] for row in [[0, 1, 2], [1, 1, 0], [2, 0, 1]]], dtype=object)
    perm, L, U, pivots = a.lu(B, {})
    assert perm[0] != 0 and max(abs(x) for x in (L @ U - B[perm]).ravel()) < 1e-28
