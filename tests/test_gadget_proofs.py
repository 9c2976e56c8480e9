"""Tests for proofs/gadget_proofs.py: every identity proves, and the checker is not vacuous."""

from __future__ import annotations

import pytest
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from proofs.gadget_proofs import (
    STATEMENTS,
    BlockAlgebra,
    IdentityFailure,
    ProofResult,
    Statement,
    _cross_swap_matrix,
    _pi_matrix,
    assert_equal,
    format_report,
    partial_permutations,
    prove,
    prove_all,
    statement_by_name,
)

NAMES = [st.name for st in STATEMENTS]

# d = 3 for everything except the two gadget statements, which take a few seconds each.
EXPENSIVE_AT_3 = {"gadget", "gadget_converse"}


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_statement_proves_small(name, d):
    res = prove(statement_by_name(name), d)
    assert res.ok, res.detail
    assert res.d == d and res.name == name
    assert "equalities verified" in res.detail


@pytest.mark.parametrize("name", [n for n in NAMES if n not in EXPENSIVE_AT_3])
def test_statement_proves_d3(name):
    res = prove(statement_by_name(name), 3)
    assert res.ok, res.detail


def test_gadget_proves_d3():
    # The most expensive statement (nested 3x3 inverses over QQ(18 symbols)).
    for name in sorted(EXPENSIVE_AT_3):
        res = prove(statement_by_name(name), 3)
        assert res.ok, res.detail


def test_names_unique_and_complete():
    assert len(set(NAMES)) == len(NAMES)
    for expected in [
        "diagonal_pushing", "merging", "cross_swap", "cross_swap_signed", "whitehead",
        "gadget", "gadget_converse", "three_factor", "three_factor_converse",
        "three_factor_mirror", "three_factor_mirror_converse", "j_conjugation",
        "absorb_diagonal",
    ]:
        assert expected in NAMES
    with pytest.raises(KeyError):
        statement_by_name("nope")


# ---------------------------------------------------------------------------
# Non-vacuity: deliberately wrong variants must be reported FALSE
# ---------------------------------------------------------------------------


def _whitehead_sign_flipped(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("X",))
    X, I = m["X"], alg.I
    Xi = alg.inv(X)
    rhs = alg.prod(alg.Lu(I - Xi), alg.Uu(I), alg.Lu(I - X), alg.Uu(Xi))  # U_u(+I), not U_u(-I)
    assert_equal(alg.diag(X, Xi), rhs, "sign-flipped Whitehead")
    return True


def _whitehead_wrong_order(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("X",))
    X, I = m["X"], alg.I
    Xi = alg.inv(X)
    rhs = alg.prod(alg.Lu(I - X), alg.Uu(-I), alg.Lu(I - Xi), alg.Uu(Xi))  # X, X^-1 swapped in L factors
    assert_equal(alg.diag(X, Xi), rhs, "Whitehead with L-factors swapped")
    return True


def _cross_swap_with_pi(d):
    alg = BlockAlgebra(d, QQ)
    for pairs in partial_permutations(d):
        Pi = _pi_matrix(alg, pairs)
        M = alg.Uu(Pi) * alg.Lu(Pi) * alg.Uu(Pi)  # Pi instead of -Pi^T
        assert_equal(M, _cross_swap_matrix(alg, Pi), f"wrong cross swap {pairs}")
    return True


def _merging_wrong_order(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("A1", "A2"), diagonal=("B1", "B2"))
    A1, A2, B1, B2 = m["A1"], m["A2"], m["B1"], m["B2"]
    assert_equal(alg.L(A1, B1) * alg.L(A2, B2), alg.L(A1 + A2 * B1, B1 * B2), "A2 B1 instead of B1 A2")
    return True


def _gadget_wrong_last_factor(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("u", "a"))
    u, a, I = m["u"], m["a"], alg.I
    X = alg.inv(I - u * a)
    Y = I - a * u
    Xi = alg.inv(X)
    rhs = alg.prod(alg.Lu(a), alg.Uu(-u), alg.Lu(-a * X), alg.Uu(u * Xi))  # u X^-1 instead of X^-1 u
    assert_equal(alg.diag(X, Y), rhs, "gadget with u X^-1")
    return True


def _three_factor_wrong_converse(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("P", "R", "S"))
    P, R, S, I = m["P"], m["R"], m["S"], alg.I
    Ri = alg.inv(R)
    Q = P * Ri * S - Ri
    M = alg.block(P, Q, R, S)
    b, e = Ri * (P - I), Ri * (S - I)  # R^-1 (P - I) instead of (P - I) R^-1
    assert_equal(alg.prod(alg.Uu(b), alg.Lu(R), alg.Uu(e)), M, "wrong b")
    return True


def _j_wrong(d):
    alg, m = BlockAlgebra.with_symbols(d, full=("A",), diagonal=("B",))
    A, B, J = m["A"], m["B"], alg.J
    assert_equal(J * alg.L(A, B) * J, alg.U(A, B), "J L(A,B) J = U(A,B) (wrong)")
    return True


WRONG = {
    "whitehead_sign_flipped": (_whitehead_sign_flipped, 1),
    "whitehead_wrong_order": (_whitehead_wrong_order, 2),
    "cross_swap_with_pi": (_cross_swap_with_pi, 1),
    "merging_wrong_order": (_merging_wrong_order, 2),  # true for d = 1 (commutative)!
    "gadget_wrong_last_factor": (_gadget_wrong_last_factor, 2),
    "three_factor_wrong_converse": (_three_factor_wrong_converse, 2),
    "j_wrong": (_j_wrong, 1),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_variants_are_false(name):
    check, d = WRONG[name]
    for dd in (d, 2):
        res = prove(Statement(name, "deliberately wrong", check), dd)
        assert not res.ok, f"{name} wrongly proved at d={dd}"
        assert res.detail.startswith("not equal"), res.detail


def test_commutative_only_variant_needs_d2():
    # A wrong identity that is true in the commutative case d = 1: shows why d >= 2 matters.
    st = Statement("merging_wrong_order", "", _merging_wrong_order)
    assert prove(st, 1).ok
    assert not prove(st, 2).ok


def test_false_return_and_exceptions_are_failures():
    assert not prove(Statement("f", "", lambda d: False), 1).ok
    assert not prove(Statement("none", "", lambda d: None), 1).ok

    def singular(d):
        alg = BlockAlgebra(d, QQ)
        alg.inv(alg.Z)
        return True

    def singular_symbolic(d):
        alg, m = BlockAlgebra.with_symbols(d, diagonal=("E",))
        alg.inv(m["E"] - m["E"])
        return True

    for fn in (singular, singular_symbolic):
        res = prove(Statement("sing", "", fn), 2)
        assert not res.ok and res.detail.startswith("error:")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def test_equality_ignores_internal_format():
    # DomainMatrix.__eq__ says dense != sparse even with equal entries; our check must not.
    alg = BlockAlgebra(2, QQ)
    sparse = DomainMatrix.eye(2, QQ).to_sparse()
    dense = DomainMatrix.eye(2, QQ).to_dense()
    assert sparse != dense  # the sympy pitfall being guarded against
    assert alg.equal(sparse, dense)
    assert not alg.equal(dense, dense * 2)
    assert not alg.equal(dense, alg.J)  # different shape
    with pytest.raises(IdentityFailure):
        assert_equal(dense, dense * 2)


def test_symbols_are_independent_and_diagonal_shape():
    alg, m = BlockAlgebra.with_symbols(2, full=("A", "B"), diagonal=("E",))
    A, B, E = m["A"], m["B"], m["E"]
    assert not alg.equal(A, B)
    assert not alg.equal(A * B, B * A)
    assert E.is_diagonal and not A.is_diagonal
    assert len(alg.K.symbols) == 4 + 4 + 2
    with pytest.raises(ValueError):
        BlockAlgebra.with_symbols(2, full=("A",), diagonal=("A",))


def test_inverse_is_exact():
    alg, m = BlockAlgebra.with_symbols(2, full=("X",))
    X = m["X"]
    Xi = alg.inv(X)
    assert alg.equal(Xi * X, alg.I)
    assert alg.equal(alg.inv(Xi), X)


def test_block_split_roundtrip():
    alg, m = BlockAlgebra.with_symbols(2, full=("P", "Q", "R", "S"))
    M = alg.block(m["P"], m["Q"], m["R"], m["S"])
    for got, want in zip(alg.split(M), (m["P"], m["Q"], m["R"], m["S"])):
        assert alg.equal(got, want)


def test_partial_permutation_counts():
    # sum_k C(d,k)^2 k! (times 2^k signed)
    assert [sum(1 for _ in partial_permutations(d)) for d in (1, 2, 3)] == [2, 7, 34]
    assert [sum(1 for _ in partial_permutations(d, signed=True)) for d in (1, 2, 3)] == [3, 17, 139]
    for pairs in partial_permutations(3, signed=True):
        rows = [i for i, _, _ in pairs]
        cols = [j for _, j, _ in pairs]
        assert len(set(rows)) == len(rows) and len(set(cols)) == len(cols)


def test_prove_all_and_report():
    results = prove_all(sizes=(1, 2))
    assert len(results) == 2 * len(STATEMENTS)
    assert all(isinstance(r, ProofResult) and r.ok for r in results)
    report = format_report(results)
    for name in NAMES:
        assert name in report
    assert "d=1" in report and "d=2" in report
    assert f"{len(results)}/{len(results)} proved" in report
    bad = format_report(results + [ProofResult("bogus", "", 1, False, 0.0, "not equal: x")])
    assert "FALSE bogus d=1: not equal: x" in bad


def test_proofs_do_not_import_construct():
    import ast
    import pathlib

    import proofs.gadget_proofs as mod

    tree = ast.parse(pathlib.Path(mod.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(not a.name.split(".")[0] == "construct" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "construct"
