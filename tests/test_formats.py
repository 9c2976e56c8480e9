"""Inputs and outputs people already have: Matrix Market files, Markdown reports, the slow-work hint."""

import json
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from construct.core.errors import InputError
from construct.core.matrices import from_rows
from construct.front.cli import main, slow_warning
from construct.front.parse import read_matrix
from proofs.matrix_file import MatrixUnreadable, read_cells
from proofs.matrix_file import read_matrix as trusted_read_matrix
from tests.test_cli import run_on_terminal


def call(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def mtx(tmp_path, text, name="T.mtx"):
    path = tmp_path / name
    path.write_text(text)
    return path


def fractions(M):
    return [[Fraction(int(x.numerator), int(x.denominator)) for x in row] for row in M.to_list()]


F = Fraction

# Each variant of the format, and the matrix it must give (values read exactly: 0.1 is 1/10).
MTX_CASES = {
    "coordinate real general": (
        "%%MatrixMarket matrix coordinate real general\n% a comment\n4 4 5\n1 1 0.1\n2 2 -2/7\n3 3 1e-3\n"
        "4 4 2.5E2\n1 4 3\n",
        [[F(1, 10), 0, 0, 3], [0, F(-2, 7), 0, 0], [0, 0, F(1, 1000), 0], [0, 0, 0, 250]]),
    "coordinate integer symmetric": (
        "%%MatrixMarket matrix coordinate integer symmetric\n2 2 3\n1 1 2\n2 1 -5\n2 2 7\n",
        [[2, -5], [-5, 7]]),
    "coordinate real skew-symmetric": (
        "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 0.5\n",
        [[0, F(-1, 2)], [F(1, 2), 0]]),
    "array real general": (
        "%%MatrixMarket matrix array real general\n2 2\n1\n0.25\n-3\n4\n",
        [[1, -3], [F(1, 4), 4]]),
    "array integer symmetric": (
        "%%MatrixMarket matrix array integer symmetric\n2 2\n1\n2\n3\n",
        [[1, 2], [2, 3]]),
    "array real skew-symmetric": (
        "%%MATRIXMARKET Matrix Array Real Skew-Symmetric\n3 3\n1\n2\n3\n",
        [[0, -1, -2], [1, 0, -3], [2, 3, 0]]),
}


@pytest.mark.parametrize("variant", MTX_CASES)
def test_matrix_market_variant_is_read_exactly(variant, tmp_path):
    text, expected = MTX_CASES[variant]
    assert fractions(read_matrix(mtx(tmp_path, text))) == expected


@pytest.mark.parametrize("text, words", [
    ("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n2 2\n", ["pattern matrix", "no numbers"]),
    ("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", ["complex numbers"]),
    ("%%MatrixMarket matrix array complex hermitian\n1 1\n1 0\n", ["complex numbers"]),
    ("%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n", ["Hermitian"]),
    ("%%MatrixMarket vector coordinate real general\n2 1\n1 1\n", ["'vector coordinate real general'"]),
    ("1 2\n3 4\n", ["not a Matrix Market file"]),
    ("%%MatrixMarket matrix coordinate real general\n2 3 0\n", ["2x3", "square"]),
    ("%%MatrixMarket matrix coordinate real general\n2 2\n", ["line 2", "rows columns entries"]),
    ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n", ["declares 2 entries but lists 1"]),
    ("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", ["(3, 1) is outside the 2x2 matrix"]),
    ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 2\n", ["(1, 1) is given twice"]),
    ("%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n1 2 1\n", ["(1, 2) is given twice"]),
    ("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n", ["no diagonal entries"]),
    ("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1.5\n", ["'1.5' is not an integer"]),
    ("%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 nan\n", ["line 3", "not finite"]),
    ("%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1e100000\n", ["above the limit of 400"]),
    ("%%MatrixMarket matrix array real general\n2 2\n1 2 3\n", ["should list 4 values", "got 3"]),
    ("%%MatrixMarket matrix coordinate real general\n100000 100000 0\n", ["100000x100000", "--max-input-mb"]),
])
def test_matrix_market_refusals_are_one_sentence_with_exit_2(text, words, tmp_path, capsys):
    path = mtx(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_matrix(path)
    for w in words:
        assert w in str(info.value), str(info.value)
    code, out, err = call(capsys, "factor", str(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_factor_a_matrix_market_file_certifies_the_matrix_it_holds(tmp_path, capsys):
    path = mtx(tmp_path, MTX_CASES["coordinate real general"][0])
    code, out, _ = call(capsys, "factor", str(path), "--format", "json")
    assert code == 0
    cert = json.loads(out)
    assert [[Fraction(x) for x in row] for row in cert["matrix"]] == MTX_CASES["coordinate real general"][1]


@pytest.mark.parametrize("variant", MTX_CASES)
def test_the_trusted_reader_reads_every_matrix_market_variant_as_factor_does(variant, tmp_path):
    """``verify --matrix T.mtx`` once exited 2 ("not square: row 1 has 5 entries"): it read .mtx as CSV."""
    path = mtx(tmp_path, MTX_CASES[variant][0])
    trusted = [[Fraction(int(q.p), int(q.q)) for q in row] for row in trusted_read_matrix(path)]
    assert trusted == fractions(read_matrix(path)) == MTX_CASES[variant][1]


@pytest.mark.parametrize("text, words", [
    ("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n2 2\n", ["pattern matrix"]),
    ("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n", ["(3, 1) is outside the 2x2 matrix"]),
    ("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1.5\n", ["'1.5' is not an integer"]),
    ("%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 x\n", ["line 3", "'x' is not a number"]),
    ("%%MatrixMarket matrix coordinate real general\n100000 100000 0\n", ["100000x100000"]),
])
def test_the_trusted_reader_refuses_what_factor_refuses_in_a_matrix_market_file(text, words, tmp_path):
    path = mtx(tmp_path, text)
    with pytest.raises(MatrixUnreadable) as info:
        trusted_read_matrix(path)
    for w in words:
        assert w in str(info.value), str(info.value)


@pytest.mark.parametrize("name, text", [
    ("T.mtx", MTX_CASES["coordinate real general"][0]),
    ("T.csv", '"1", "0.5", 0, 2\n0, 1, "-2/7", 0\n1e-3, 0, 1, 0\n0, 0, 0, "4"\n'),
    ("T.txt", "1 0.5 0 2\n0 1 -2/7 0\n1e-3 0 1 0\n0 0 0 4\n"),
    ("T.json", '[["1", 0.5, 0, 2], [0, 1, "-2/7", 0], [1e-3, 0, 1, 0], [0, 0, 0, "4"]]'),
])
def test_verify_matrix_reads_what_factor_reads(name, text, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    code, _, err = call(capsys, "factor", str(path), "--out", str(tmp_path / "cert.json"))
    assert code == 0, err
    code, out, err = call(capsys, "verify", str(tmp_path / "cert.json"), "--matrix", str(path))
    assert code == 0 and f"its matrix is {path}" in out, err


def test_the_trusted_reader_returns_symbolic_cells_as_their_text(tmp_path):
    (tmp_path / "S.csv").write_text('a, " 2*x + 1"\n0, (a - b)/c\n')
    (tmp_path / "S.json").write_text('[["a", "2*x + 1"], [0, "(a - b)/c"]]')
    for name in ("S.csv", "S.json"):
        assert read_cells(tmp_path / name) == [["a", "2*x + 1"], [0, "(a - b)/c"]]
        with pytest.raises(MatrixUnreadable, match=r'cell \(1, 1\) of .* is not a number: "a"'):
            trusted_read_matrix(tmp_path / name)  # numbers only, as before
    (tmp_path / "bad.csv").write_text("sin(x), 1\n0, inf\n")
    with pytest.raises(MatrixUnreadable, match=r"cell \(1, 1\) .* rational expression: .*calls the function sin"):
        read_cells(tmp_path / "bad.csv")
    (tmp_path / "inf.csv").write_text("x, 1\n0, inf\n")
    with pytest.raises(MatrixUnreadable, match=r'cell \(2, 2\) of .* is not a number: "inf"'):
        read_cells(tmp_path / "inf.csv")


def markdown_matrices(text):
    """``$$X = \\begin{bmatrix} ... \\end{bmatrix}$$`` lines as (label, rows of Fractions)."""
    def number(cell):
        cell = cell.strip()
        if m := re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", cell):
            return Fraction(int(m[2]), int(m[3])) * (-1 if m[1] else 1)
        return Fraction(cell)

    found = re.findall(r"^\$\$(\w+) = \\begin\{bmatrix\}(.*?)\\end\{bmatrix\}\$\$$", text, re.M)
    return [(label, [[number(c) for c in row.split("&")] for row in body.split(r"\\")]) for label, body in found]


@pytest.mark.parametrize("mask", ["half", "alternate"])
@pytest.mark.parametrize("method", ["short", "paper", "levels"])
def test_markdown_factor_report_has_a_table_row_and_a_matrix_per_factor_whose_product_is_T(method, mask, capsys):
    code, out, _ = call(capsys, "factor", "--method", method, "--mask", mask, "--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("# 4x4 matrix, ") and f"method {method}" in lines[0]
    table = [line for line in lines if re.match(r"\| F_\d+ \|", line)]
    matrices = markdown_matrices(out)
    assert matrices[0][0] == "T" and [label for label, _ in matrices[1:]] == [f"F_{i}" for i in range(1, len(table) + 1)]
    product = matrices[1][1]
    for _, M in matrices[2:]:
        product = [[sum(a * b for a, b in zip(row, col)) for col in zip(*M)] for row in product]
    assert product == matrices[0][1]
    assert ("Mask `" in out) == (mask != "half")
    assert lines[-1].startswith("Checked by the independent checker: verified")


def test_markdown_factor_report_of_a_float64_factorization_has_the_table_only(tmp_path, capsys):
    np.save(tmp_path / "W.npy", np.random.default_rng(0).standard_normal((6, 6)))
    code, out, _ = call(capsys, "factor", str(tmp_path / "W.npy"), "--method", "levels", "--arith", "float64",
                        "--format", "markdown")
    assert code == 0 and "| F_1 | " in out and "$$" not in out and "verified" in out


def test_latex_refuses_a_float64_factorization_in_one_sentence(capsys):
    code, out, err = call(capsys, "factor", "--method", "levels", "--arith", "float64", "--format", "latex")
    assert code == 2 and out == "" and "--format json" in err and len(err.strip().splitlines()) == 1


def float_matrix(n, seed=0):
    values = np.random.default_rng(seed).standard_normal((n, n))
    return from_rows([[Fraction(float(x)) for x in row] for row in values])


def test_slow_warning_names_the_float64_levels_path_for_large_float_matrices_in_exact_mode():
    big = float_matrix(128)
    for method in ("short", "paper", "levels"):
        warning = slow_warning(big, method)
        assert warning and "--method levels --arith float64" in warning and "128x128" in warning
    assert slow_warning(big, "levels", "float64") is None
    assert slow_warning(float_matrix(8), "short") is None and slow_warning(float_matrix(64), "levels") is None


def test_factor_prints_the_slow_work_hint_on_a_terminal_before_any_work(tmp_path):
    """A singular float .npy: the hint comes first, then the one-sentence refusal (no minutes of work)."""
    values = np.random.default_rng(1).standard_normal((128, 128))
    values[:, 1] = values[:, 0]
    np.save(tmp_path / "W.npy", values)
    code, out, err = run_on_terminal("factor", str(tmp_path / "W.npy"), "--method", "levels")
    assert code == 2 and out == ""
    hint, refusal = err.strip().splitlines()
    assert "128x128" in hint and "--method levels --arith float64" in hint and "singular" in refusal


def write_mtx(rows, layout, symmetry):
    """A Matrix Market text of ``rows`` (Fractions) in the given layout and symmetry, values as ``p/q``."""
    n = len(rows)
    keep = [(i, j) for j in range(n) for i in range(n)
            if symmetry == "general" or i > j or (i == j and symmetry == "symmetric")]
    lines = [f"%%MatrixMarket matrix {layout} real {symmetry}", "% written by the test"]
    if layout == "array":
        lines += [f"{n} {n}"] + [str(rows[i][j]) for i, j in keep]
    else:
        entries = [(i, j) for i, j in keep if rows[i][j] != 0]
        lines += [f"{n} {n} {len(entries)}"] + [f"{i + 1} {j + 1} {rows[i][j]}" for i, j in entries]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matrix_market_round_trip_of_random_rational_matrices_in_every_layout_and_symmetry(data, tmp_path_factory):
    n = data.draw(st.integers(1, 5))
    value = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4) | st.just(Fraction(0))
    rows = [[data.draw(value) for _ in range(n)] for _ in range(n)]
    layout = data.draw(st.sampled_from(["coordinate", "array"]))
    symmetry = data.draw(st.sampled_from(["general", "symmetric", "skew-symmetric"]))
    sign = {"general": None, "symmetric": 1, "skew-symmetric": -1}[symmetry]
    for i in range(n):
        for j in range(i):  # the upper triangle follows from the lower one
            if sign is not None:
                rows[j][i] = sign * rows[i][j]
        if sign == -1:
            rows[i][i] = Fraction(0)
    path = tmp_path_factory.mktemp("mtx") / "T.mtx"
    path.write_text(write_mtx(rows, layout, symmetry))
    assert fractions(read_matrix(path)) == rows
