"""``couplings explain``: the steps, the labelled factors and the check, in text, Markdown and LaTeX."""

import re
import shutil
import subprocess
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from construct.core import trace
from construct.core.matrices import from_rows
from construct.front.cli import EXAMPLE, main
from construct.front.explain import explain, format_explanation
from construct.front.factor import METHODS, MODES, factor
from construct.front.parse import matrix_from_text

T_EXAMPLE = matrix_from_text(EXAMPLE)

#: The steps each method records on the built-in example, in order (route tests for the short method).
EXPECTED_STEPS = {
    "short": ["route short:two not taken", "route short:three not taken", "route short:five taken",
              "similarity from cyclic bases", "similarity from cyclic bases"],
    "paper": ["LUP decomposition", "swap-network round 1 of 1", "signs moved into the triangular factors",
              "lower triangular stage", "similarity from cyclic bases", "balancing the diagonal blocks",
              "upper triangular stage", "similarity from cyclic bases", "balancing the diagonal blocks"],
    "levels": ["LU with row pivoting", "level 1 of 2", "level 2 of 2", "swap network", "pivots in the finest frame"],
}


def call(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def product(matrices):
    P = matrices[0]
    for M in matrices[1:]:
        P = [[sum(a * b for a, b in zip(row, col)) for col in zip(*M)] for row in P]
    return P


def rows_of(M):
    return [[Fraction(int(x.numerator), int(x.denominator)) for x in row] for row in M.to_list()]


@pytest.mark.parametrize("method", METHODS)
def test_explain_builtin_example_records_each_methods_steps_labels_factors_and_checks_them(method):
    e = explain(T_EXAMPLE, method)
    assert [s.name for s in e.steps] == EXPECTED_STEPS[method]
    assert e.verdict.ok and "verified" in e.verdict.summary
    word = e.factorization.word
    assert e.labels == [f"{c.kind[0].upper()}_{i}" for i, c in enumerate(word, 1)]
    assert product([rows_of(c.matrix()) for c in word]) == rows_of(T_EXAMPLE)
    assert not trace.active()  # tracing ends with explain


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
def test_builtin_example_factors_have_small_integer_entries_in_every_method_and_mode(method, mode):
    """The example is for a slide (README): every factor entry an integer of absolute value at most 3."""
    f = factor(T_EXAMPLE, method=method, mode=mode)
    entries = [x for c in f.word for x in list(c.scale) + [y for row in c.shear.to_list() for y in row]]
    assert all(x.denominator == 1 and abs(x) <= 3 for x in entries), entries
    assert 5 <= f.count <= 15


def test_short_five_steps_show_the_similarities_that_built_the_factors():
    """The recorded similarities are the real ones: S A S^-1 = B, with A = G, B = X Y, then A = Y, B = X^-1."""
    steps = explain(T_EXAMPLE).steps
    five, first, second = dict(steps[2].matrices), dict(steps[3].matrices), dict(steps[4].matrices)
    X, Y = five["X"], five["Y"]
    assert first["A"] == five["G = -Q H E^-1"] and first["B"] == X * Y and second["A"] == Y and second["B"] == X.inv()
    for sim in (first, second):
        assert sim["S"] * sim["A"] == sim["B"] * sim["S"] and sim["S"].det() != 0


def test_paper_steps_on_the_example_multiply_back_to_T():
    """The recorded LUP and sign steps are the real intermediate matrices: P L U = T and (P S)(S L S)(S U) = T."""
    steps = {s.name: dict(s.matrices) for s in explain(T_EXAMPLE, "paper").steps}
    P, L, U = (rows_of(steps["LUP decomposition"][k]) for k in "PLU")
    assert product([P, L, U]) == rows_of(T_EXAMPLE)
    signs = steps["signs moved into the triangular factors"]
    PS = product([P, rows_of(signs["S"])])
    assert product([PS, rows_of(signs["S L S"]), rows_of(signs["S U"])]) == rows_of(T_EXAMPLE)


def test_levels_lu_step_is_a_pivoted_unit_lu_of_T():
    step = explain(T_EXAMPLE, "levels").steps[0]
    P, L, D, U = (rows_of(dict(step.matrices)[k]) for k in "PLDU")
    assert product([P, L, D, U]) == rows_of(T_EXAMPLE)
    assert all(L[i][i] == 1 == U[i][i] for i in range(4))
    assert all(L[i][j] == 0 for i in range(4) for j in range(i + 1, 4))


@pytest.mark.parametrize("rows, taken", [
    ([[1, 0, 2, 0], [0, 1, 0, 3], [0, 0, 1, 0], [0, 0, 0, 1]], "two"),
    ([[0, 1], [-1, 0]], "three"),
    ([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]], "six"),
])
def test_short_route_steps_name_every_route_tried_up_to_the_one_taken(rows, taken):
    e = explain(from_rows(rows))
    assert e.factorization.method == f"short:{taken}"
    routes = ["two", "three", "five", "six"]
    tried = routes[: routes.index(taken) + 1]
    routes_shown = [s.name for s in e.steps if s.name.startswith("route ")]
    assert routes_shown == [f"route short:{r} {'taken' if r == taken else 'not taken'}" for r in tried]
    assert e.steps[: len(tried)] == [s for s in e.steps if s.name.startswith("route ")]  # routes come first
    assert e.verdict.ok


def test_tracing_is_off_by_default_and_nested_runs_keep_their_own_steps():
    trace.record("nobody", "listens")  # no error, no effect
    with trace.tracing() as outer:
        trace.record("a", "first")
        with trace.tracing() as inner:
            trace.record("b", "second")
        trace.record("c", "third")
    assert [s.name for s in outer] == ["a", "c"] and [s.name for s in inner] == ["b"]
    assert not trace.active()


@pytest.mark.parametrize("method", METHODS)
def test_explain_cli_prints_steps_factors_and_the_checkers_verdict(method, capsys):
    code, out, err = call(capsys, "explain", "--method", method)
    assert code == 0 and err == ""
    count = factor(T_EXAMPLE, method=method).count
    assert out.count("\nStep ") == len(EXPECTED_STEPS[method])
    assert len(re.findall(r"^[LU]_\d+ = (lower|upper) coupling", out, re.M)) == count
    assert "by the independent checker: verified" in out


def test_explain_cli_reads_a_file_and_refuses_bad_input_in_one_sentence(tmp_path, capsys):
    path = tmp_path / "T.csv"
    path.write_text("2, 1\n1, 1\n")
    code, out, _ = call(capsys, "explain", str(path), "--mode", "positive")
    assert code == 0 and "mode positive" in out
    path.write_text("1, 2\n2, 4\n")
    code, out, err = call(capsys, "explain", str(path))
    assert code == 2 and out == "" and "singular" in err and len(err.strip().splitlines()) == 1


def test_markdown_explanation_has_a_heading_per_step_and_one_math_line_per_factor(capsys):
    code, out, _ = call(capsys, "explain", "--method", "paper", "--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("# Factoring the 4x4 matrix T")
    assert [line for line in lines if line.startswith("## Step ")] == [
        f"## Step {k}: {name}" for k, name in enumerate(EXPECTED_STEPS["paper"], 1)]
    factor_lines = [line for line in lines if re.match(r"- \$[LU]_\d+\$", line)]
    assert len(factor_lines) == factor(T_EXAMPLE, method="paper").count
    assert all(line.count("$$") == 2 and r"\begin{bmatrix}" in line for line in factor_lines)
    assert "## Check" in lines and "verified" in lines[-1]


def latex_factor_rows(tex: str):
    """The ``align`` environment: its first line ``T &= ...`` and, per factor, its label and matrix."""
    body = tex.split(r"\begin{align}")[1].split(r"\end{align}")[0].strip().splitlines()
    factors = []
    for line in body[1:]:
        label, matrix = re.match(r"([LU]_\d+) &= \\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", line).groups()
        factors.append((label, [[_tex_number(c) for c in row.split("&")] for row in matrix.split(r"\\")]))
    return body[0], factors


def _tex_number(cell: str) -> Fraction:
    cell = cell.strip()
    if m := re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", cell):
        return Fraction(int(m[2]), int(m[3])) * (-1 if m[1] else 1)
    return Fraction(cell)


@pytest.mark.parametrize("method", METHODS)
def test_latex_explanation_is_a_document_whose_align_lists_each_factor_on_one_line_and_compiles(method, tmp_path):
    """The structure always; compiling too where a LaTeX engine is installed (``apt-get install texlive-latex-base``)."""
    e = explain(T_EXAMPLE, method)
    tex = format_explanation(e, "latex")
    assert tex.startswith(r"\documentclass{article}") and tex.rstrip().endswith(r"\end{document}")
    assert tex.count(r"\begin{align}") == 1 == tex.count(r"\end{align}")
    first, factors = latex_factor_rows(tex)
    assert first == "T &= " + " ".join(e.labels) + r" \\"
    assert [label for label, _ in factors] == e.labels
    assert product([M for _, M in factors]) == rows_of(T_EXAMPLE)
    assert tex.count("{") == tex.count("}")
    if shutil.which("pdflatex"):
        (tmp_path / "explain.tex").write_text(tex)
        r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "explain.tex"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout[-2000:]
        assert (tmp_path / "explain.pdf").stat().st_size > 1000


def test_explain_refuses_symbolic_entries_in_one_sentence(tmp_path, capsys):
    path = tmp_path / "sym.csv"
    path.write_text("a, b\nc, d\n")
    code, out, err = call(capsys, "explain", str(path))
    assert code == 2 and out == "" and "symbolic" in err and len(err.strip().splitlines()) == 1


def test_explain_an_unequal_split_says_the_steps_are_for_the_balanced_core():
    e = explain(from_rows([[2, 1, 0], [1, 3, 1], [0, 1, 4]]), "paper")
    assert e.steps[0].name == "unequal split" and e.steps[1].name == "LUP decomposition" and e.verdict.ok
    assert product([rows_of(c.matrix()) for c in e.factorization.word]) == [[2, 1, 0], [1, 3, 1], [0, 1, 4]]


def test_explain_levels_with_mixing_shows_only_the_run_that_was_used(monkeypatch):
    """With no growth threshold the levels method always retries on T R; its first run's steps are dropped."""
    import math

    import construct.methods.levels

    monkeypatch.setattr(construct.methods.levels, "GROWTH_BITS", -math.inf)
    rows = [[3, 4, -8, -1, 7, 6, 3, 0], [6, 2, 9, -3, 7, -5, 0, -5], [-6, -1, 8, -5, 0, -6, -7, 1],
            [6, 8, -6, 2, 4, 1, -3, 8], [6, 5, 7, -1, -8, 8, -9, -7], [3, -9, 6, 1, -2, 1, -7, -3],
            [9, -2, -2, -5, 8, 5, -7, -7], [1, 7, 6, -6, 0, 8, 0, -6]]
    e = explain(from_rows(rows), "levels")
    assert e.factorization.stages["mixing"] == 2
    names = [s.name for s in e.steps]
    assert names[0] == "mixing" and names.count("LU with row pivoting") == 1 and e.verdict.ok


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 3).flatmap(lambda d: st.lists(st.lists(st.integers(-4, 4), min_size=2 * d, max_size=2 * d),
                                                          min_size=2 * d, max_size=2 * d)),
       method=st.sampled_from(METHODS))
def test_explanations_of_random_matrices_check_and_their_latex_factors_multiply_to_T(rows, method):
    T = from_rows(rows)
    assume(T.det() != 0)
    e = explain(T, method)
    assert e.verdict.ok
    _, factors = latex_factor_rows(format_explanation(e, "latex"))
    assert [label for label, _ in factors] == e.labels
    if factors:
        assert product([M for _, M in factors]) == rows_of(T)
    markdown = format_explanation(e, "markdown")
    assert len(re.findall(r"^- \$[LU]_\d+\$", markdown, re.M)) == len(e.labels)
