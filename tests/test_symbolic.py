"""Symbolic entries: matrices of rational functions, factored over QQ(symbols) with the conditions they need.

Nothing here trusts the builder: products are recomputed over the field,
certificates go through the checker, and every claim about the conditions is
tested by substituting numbers into the certificate's strings and asking the
ordinary (numeric) checker to accept the result.
"""

import copy
import json
import shutil
import subprocess
import sys
from fractions import Fraction
from functools import reduce
from operator import mul

import pytest
from hypothesis import assume, given, settings, strategies as st

from construct.core.errors import InputError
from construct.front.factor import factor
from construct.front.parse import matrix_from_text
from construct.front.parse import MAX_CELL_WORK
from construct.front.report import original_factors
from construct.front.symbolic import is_symbolic
from proofs.checker import Limits, check_certificate
from proofs.rational_functions import MAX_POWER, Field, parse
from tests.test_cli import call

TWO = "a, b\nc, d\n"
FOUR = "a, 1, 0, 2\n0, b, 1, 1\n3, 0, 1, c\n1, 1, 0, 1\n"


def evaluate(text, values):
    """The value of a certificate string at the given Fractions (the checker's grammar over Fraction)."""
    return parse(text, Fraction, values.__getitem__)


def meets_conditions(cert, values):
    """True when every condition is defined and nonzero at the given values (the points the claim is about)."""
    try:
        return all(evaluate(c, values) != 0 for c in cert["conditions"])
    except ValueError:  # a condition that divides by zero there
        return False


def substituted(cert, values):
    """The numeric certificate obtained by giving every symbol a rational value (raises ValueError on 1/0)."""
    def rows(table):
        return [[str(evaluate(x, values)) for x in row] for row in table]
    out = {k: v for k, v in copy.deepcopy(cert).items() if k not in ("symbols", "conditions")}
    out["matrix"] = rows(cert["matrix"])
    out["factors"] = [{"kind": f["kind"], "shear": rows(f["shear"]), "scale": rows([f["scale"]])[0]}
                      for f in cert["factors"]]
    return out


def certificate_of(text, **options):
    f = factor(matrix_from_text(text), **options)
    assert reduce(mul, original_factors(f)) == f.matrix  # the product over QQ(symbols), in T's coordinates
    return f, f.certificate()


def test_two_by_two_is_lower_times_upper_valid_when_a_and_the_determinant_are_nonzero():
    f, cert = certificate_of(TWO)
    assert is_symbolic(f.matrix) and [str(s) for s in f.matrix.domain.symbols] == ["a", "b", "c", "d"]
    assert f.count == 2 and f.word.kinds() == "LU"
    assert cert["factors"] == [{"kind": "lower", "shear": [["c/a"]], "scale": ["(a*d - b*c)/a"]},
                               {"kind": "upper", "shear": [["b"]], "scale": ["a"]}]
    assert cert["symbols"] == ["a", "b", "c", "d"] and cert["conditions"] == ["a", "a*d - b*c"]
    field = Field(cert["symbols"])
    assert all(not field.parse(c) == 0 for c in cert["conditions"])
    verdict = check_certificate(cert)
    assert verdict.ok and "wherever a, a*d - b*c are nonzero" in verdict.summary


def test_two_by_two_needs_its_condition_a_nonzero_substituting_a_zero_divides_by_zero():
    _, cert = certificate_of(TWO)
    with pytest.raises(ValueError, match="divides by zero"):
        substituted(cert, {"a": Fraction(0), "b": Fraction(1), "c": Fraction(1), "d": Fraction(1)})


values = st.fractions(min_value=-5, max_value=5, max_denominator=7)


@settings(max_examples=40, deadline=None)
@given(values, values, values, values)
def test_two_by_two_substituting_rationals_that_meet_the_conditions_gives_a_certificate_the_checker_accepts(a, b, c, d):
    _, cert = certificate_of(TWO)
    point = dict(zip("abcd", (a, b, c, d)))
    assume(meets_conditions(cert, point))
    numeric = substituted(cert, point)
    verdict = check_certificate(numeric, matrix=[[a, b], [c, d]])
    assert verdict.ok, verdict.reasons


@pytest.mark.parametrize("method", ["short", "paper"])
def test_four_by_four_with_three_symbols_verifies_symbolically_and_at_rational_points(method):
    f, cert = certificate_of(FOUR, method=method)
    assert cert["symbols"] == ["a", "b", "c"] and cert["conditions"]
    assert check_certificate(cert).ok
    n_checked = 0
    for point in ({"a": Fraction(2), "b": Fraction(-1, 3), "c": Fraction(5)},
                  {"a": Fraction(7, 2), "b": Fraction(3), "c": Fraction(-2)}):
        assert all(evaluate(x, point) != 0 for x in cert["conditions"])
        numeric = substituted(cert, point)
        T = [[evaluate(x, point) for x in row] for row in cert["matrix"]]
        assert check_certificate(numeric, matrix=T).ok
        n_checked += 1
    assert n_checked == 2


@pytest.mark.parametrize("split", [1, 2])
def test_three_by_three_with_an_unequal_split_verifies_and_substitutes(split):
    f, cert = certificate_of("a, b, 0\n0, c, 1\n1, 0, d\n", split=split)
    assert cert["split"] == split and check_certificate(cert).ok
    point = {"a": Fraction(2), "b": Fraction(3), "c": Fraction(-1), "d": Fraction(5, 2)}
    assert all(evaluate(x, point) != 0 for x in cert["conditions"])
    T = [[evaluate(x, point) for x in row] for row in cert["matrix"]]
    assert check_certificate(substituted(cert, point), matrix=T).ok


def test_four_by_four_with_a_mask_is_checked_in_the_masks_coordinates():
    f, cert = certificate_of(FOUR, mask="alternate")
    assert cert["mask"] == [1, 0, 1, 0] and check_certificate(cert).ok


def test_symbolic_certificate_round_trip_through_couplings_verify(tmp_path, capsys):
    (tmp_path / "sym.csv").write_text(TWO)
    out = tmp_path / "sym.json"
    r = call(capsys, "factor", str(tmp_path / "sym.csv"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "T = F_1 F_2 wherever a != 0, a*d - b*c != 0" in r.stdout and "c/a" in r.stdout
    r = call(capsys, "verify", str(out))
    assert r.returncode == 0 and r.stdout.startswith("verified: 2x2 matrix over QQ(a, b, c, d)")
    cert = json.loads(out.read_text())
    cert["factors"][0]["shear"] = [["c/b"]]
    out.write_text(json.dumps(cert))
    r = call(capsys, "verify", str(out))
    assert r.returncode == 1 and "not verified" in r.stderr


def test_symbolic_json_input_and_latex_markdown_json_output(tmp_path, capsys):
    (tmp_path / "sym.json").write_text('[["2*x + 1", "x"], ["1", "x^2"]]')
    r = call(capsys, "factor", str(tmp_path / "sym.json"), "--format", "latex")
    assert r.returncode == 0, r.stderr
    assert "\\begin{bmatrix}" in r.stdout and "\\neq 0" in r.stdout and "\\frac" in r.stdout
    r = call(capsys, "factor", str(tmp_path / "sym.json"), "--format", "markdown")
    assert r.returncode == 0 and "$$F_1 = \\begin{bmatrix}" in r.stdout and "wherever $" in r.stdout
    r = call(capsys, "factor", str(tmp_path / "sym.json"), "--format", "json")
    assert r.returncode == 0 and check_certificate(json.loads(r.stdout)).ok


@pytest.mark.parametrize("text, words", [
    ("sin(x), 1\n0, 1\n", ["cell (1, 1)", "'sin(x)'", "calls the function sin"]),
    ("a, 1/0\n0, 1\n", ["cell (1, 2)", "zero denominator"]),
    ("a, x/0\n0, 1\n", ["cell (1, 2)", "divides by zero"]),
    ("a, 1/(x - x)\n0, 1\n", ["cell (1, 2)", "divides by zero"]),
    ("a, @\n0, 1\n", ["cell (1, 2)", "not a number: '@'"]),
    ("a, 2x\n0, 1\n", ["cell (1, 2)", "'x' where an operator"]),
    ("a, x^-1\n0, 1\n", ["cell (1, 2)", "exponents must be whole numbers"]),
    (f"a, x^{MAX_POWER + 1}\n0, 1\n", ["cell (1, 2)", "exponents must be whole numbers"]),
    ("a, (a + b + c + d + e + f)^1000\n0, 1\n", ["cell (1, 2)", f"more than {MAX_CELL_WORK} products of terms"]),
    ("a, __import__(x)\n0, 1\n", ["cell (1, 2)", "calls the function __import__"]),
    ("a, nan\n0, 1\n", ["cell (1, 2)", "not finite"]),
    ("a, " + "(" * 5000 + "x" + ")" * 5000 + "\n0, 1\n", ["cell (1, 2)", "nested too deeply"]),
])
def test_bad_symbolic_cells_are_refused_with_one_sentence(tmp_path, capsys, text, words):
    (tmp_path / "T.csv").write_text(text)
    r = call(capsys, "factor", str(tmp_path / "T.csv"))
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    for w in words:
        assert w in r.stderr


@pytest.mark.parametrize("text, options, words", [
    (TWO, ["--mode", "positive"], "sign of each scale"),
    (TWO, ["--method", "levels"], "short or paper method"),
    ("a, b\n2*a, 2*b\n", [], "singular (its determinant is 0 as a rational function)"),
    ("\n".join([", ".join(["a"] * 9)] * 9), [], "square size n from 2 to 8"),
    ("\n".join(", ".join(f"x{i}{j}" for j in range(4)) for i in range(4)), [], "symbols * n^2 = 256, above 64"),
    ("\n".join(", ".join(f"x{i}{j}" for j in range(6)) for i in range(6)), ["--method", "paper"], "above 256"),
])
def test_symbolic_matrices_the_builders_cannot_take_are_refused(tmp_path, capsys, text, options, words):
    (tmp_path / "T.csv").write_text(text)
    r = call(capsys, "factor", str(tmp_path / "T.csv"), *options)
    assert r.returncode == 2 and words in r.stderr


def test_reading_symbols_keeps_numbers_exact_and_names_sorted():
    T = matrix_from_text("y, 0.1\n1/3, x^2 - 1/2\n")
    assert [str(s) for s in T.domain.symbols] == ["x", "y"]
    assert [[str(x) for x in row] for row in T.to_list()] == [["y", "1/10"], ["1/3", "(2*x**2 - 1)/2"]]
    with pytest.raises(InputError, match="cell \\(1, 1\\) of T is not a number or a rational expression"):
        matrix_from_text("sin(y), 1\n0, 1\n", "T")


def test_the_grammar_has_the_usual_precedence():
    F = Field(["x", "y"])
    assert F.parse("-x^2") == F.parse("-(x**2)")
    assert F.parse("2/3/4*x") == F.parse("x/6")
    assert F.parse("x - y - x") == F.parse("-y")
    assert F.parse(" ( x+1 )*( x-1 ) ") == F.parse("x^2 - 1")
    assert F.parse("1.5e-3*y") == F.parse("3*y/2000")
    assert parse("2^10 - 3*4", Fraction, {}.__getitem__) == 1012


def cert_two():
    return certificate_of(TWO)[1]


TAMPERINGS = [
    (lambda c: c["factors"][1].update(shear=[["b + 1"]]), "differs from matrix at entry (1, 2)"),
    (lambda c: c.update(conditions=["a"]), "has the factor a*d - b*c, which divides no listed condition"),
    (lambda c: c.update(conditions=["a*d - b*c"]), "has the factor a, which divides no listed condition"),
    (lambda c: c.update(conditions=["a", "a*d - b*c", "b - b"]), "which is zero"),
    (lambda c: c.update(symbols=["a", "b", "c"]), "the symbol d, which is not declared"),
    (lambda c: c.update(symbols=["a", "a", "c", "d"]), "distinct names"),
    (lambda c: c.update(symbols=["a b", "c"]), "distinct names"),
    (lambda c: c.pop("conditions"), "conditions is null"),
    (lambda c: c.pop("symbols"), "symbols is null"),
    (lambda c: c.update(mode="positive"), 'must be in mode "any"'),
    (lambda c: c["claims"].update(tolerance="0"), "has no tolerance"),
    (lambda c: c["factors"][0].update(scale=["sin(a)"]), "calls the function sin"),
    (lambda c: c["factors"][0].update(scale=["0*a"]), "scales must be nonzero"),
    (lambda c: c["factors"][0].update(shear=[[1]]), "expected an exact number string"),
    (lambda c: c["matrix"][0].__setitem__(0, "a^1001"), "exponents must be whole numbers"),
    (lambda c: c["matrix"][0].__setitem__(0, "(a + b + c + d + 1)^1000"), "products of terms, beyond the limit"),
]


@pytest.mark.parametrize("tamper, reason", TAMPERINGS)
def test_the_checker_rejects_a_tampered_symbolic_certificate(tamper, reason):
    cert = cert_two()
    tamper(cert)
    verdict = check_certificate(cert)
    assert not verdict.ok and reason in verdict.reasons[0], verdict.reasons


def test_the_checker_accepts_conditions_written_as_products_or_fractions_of_the_factors():
    cert = cert_two()
    cert["conditions"] = ["a^2 * (a*d - b*c) / 7"]
    assert check_certificate(cert).ok
    cert["conditions"] = ["a / (a*d - b*c)"]
    assert check_certificate(cert).ok


def test_every_string_must_be_defined_as_written_where_the_conditions_hold():
    cert = cert_two()
    cert["matrix"][0][0] = "a*c/c"  # the function a, but undefined at c = 0 as written
    verdict = check_certificate(cert)
    assert not verdict.ok and '"a*c/c" divides by an expression with the factor c' in verdict.reasons[0]
    cert["conditions"].append("c")
    assert check_certificate(cert).ok


def test_the_checker_compares_a_symbolic_certificate_with_a_matrix_as_rational_functions():
    verdict = check_certificate(cert_two(), matrix=[[1, 2], [3, 4]])
    assert not verdict.ok and "the certificate is for another matrix" in verdict.reasons[0]
    assert check_certificate(cert_two(), matrix=[["a", "b"], ["c", "(d*a)/a"]]).ok


def test_the_checker_bounds_the_work_of_a_symbolic_product():
    cert = cert_two()
    big = "(a + b + c + d + 1)^12"  # 1820 terms
    cert["factors"] = [{"kind": "lower", "shear": [[big]], "scale": ["1"]},
                       {"kind": "upper", "shear": [[big]], "scale": ["1"]}]
    cert["matrix"] = [["1", "0"], [big, "1"]]
    assert not check_certificate(cert).ok  # the product is not that matrix, but it is computed
    verdict = check_certificate(cert, limits=Limits(work=10 ** 4))
    assert not verdict.ok and "word operations" in verdict.reasons[0]


SYMBOLIC = ["a", "b", "a + 1", "a*b", "b^2 - a", "(a - 1)/(b + 2)"]


def symbolic_text(n):
    """An n x n matrix of small integers with three cells, or all of them when n = 2, from SYMBOLIC."""
    count = n * n if n == 2 else 3
    return st.tuples(st.lists(st.integers(-2, 2), min_size=n * n, max_size=n * n),
                     st.lists(st.sampled_from(SYMBOLIC), min_size=count, max_size=count),
                     st.permutations(range(n * n))).map(lambda t: _join(n, t))


def _join(n, drawn):
    numbers, symbolic, where = drawn
    cells = [str(x) for x in numbers]
    for k, text in zip(where, symbolic):
        cells[k] = text
    return "\n".join(", ".join(cells[i * n:(i + 1) * n]) for i in range(n))


@pytest.mark.parametrize("n, examples", [(2, 15), (4, 4)])
def test_random_symbolic_matrices_verify_and_substitute_into_numeric_certificates(n, examples):
    @settings(max_examples=examples, deadline=None)
    @given(symbolic_text(n), values, values)
    def check(text, a, b):
        try:
            f, cert = certificate_of(text)
        except InputError:  # singular as a rational function
            assume(False)
        assert check_certificate(cert).ok
        point = {"a": a, "b": b}
        assume(meets_conditions(cert, point))
        T = [[evaluate(x, point) for x in row] for row in cert["matrix"]]
        assert check_certificate(substituted(cert, point), matrix=T).ok
    check()


JUNK = ["", "0", "a", "1/0", "a/(b-b)", "a^", "(", "x", "2*a", "a**2", "-", "1e400000", None, 3, [], {}, "a b",
        "é", "0*a", "1/a", "a/a", "(a+b+c)^200"]
BASES = {}


def _base(k):
    if k not in BASES:
        BASES[k] = certificate_of([TWO, FOUR][k])[1]
    return copy.deepcopy(BASES[k])


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_mutated_symbolic_certificates_never_crash_the_checker_and_what_it_accepts_holds_at_rational_points(rng):
    cert = _base(rng.randrange(2))
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(["matrix", "shear", "scale", "conditions", "symbols", "top"])
        if where == "matrix":
            row = rng.choice(cert["matrix"])
            row[rng.randrange(len(row))] = rng.choice(JUNK)
        elif where == "shear":
            row = rng.choice(rng.choice(cert["factors"])["shear"])
            row[rng.randrange(len(row))] = rng.choice(JUNK)
        elif where == "scale":
            scale = rng.choice(cert["factors"])["scale"]
            scale[rng.randrange(len(scale))] = rng.choice(JUNK)
        elif where == "conditions" and cert["conditions"] and rng.random() < 0.5:
            cert["conditions"].pop(rng.randrange(len(cert["conditions"])))
        elif where == "conditions":
            cert["conditions"].append(rng.choice(JUNK))
        elif where == "symbols":
            cert["symbols"] = rng.choice([[], ["a"], "a", ["a", "b", "c", "d", "e"], [1], None, ["a", "a"]])
        else:
            cert[rng.choice(["mode", "split", "n", "mask"])] = rng.choice(["any", "positive", 1, 2, [1, 0], None])
    verdict = check_certificate(cert)
    assert "could not be checked" not in verdict.summary
    if verdict.ok:  # the claim: defined, nonzero scales and the product, wherever the conditions are nonzero
        for _ in range(3):
            point = {x: Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for x in cert["symbols"]}
            if meets_conditions(cert, point):
                T = [[evaluate(x, point) for x in row] for row in cert["matrix"]]
                assert check_certificate(substituted(cert, point), matrix=T).ok


def test_symbolic_latex_compiles_in_a_document(tmp_path, capsys):
    (tmp_path / "sym.csv").write_text(TWO)
    r = call(capsys, "factor", str(tmp_path / "sym.csv"), "--format", "latex")
    assert r.returncode == 0 and r.stdout.count("\\begin{bmatrix}") == r.stdout.count("\\end{bmatrix}") == 3
    assert "\\frac{a d - b c}{a}" in r.stdout and "a \\neq 0" in r.stdout
    (tmp_path / "sym.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
                                      + r.stdout + "\\end{document}\n")
    if shutil.which("pdflatex"):  # the structure above is all that is checked without a LaTeX engine
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "sym.tex"],
                              cwd=tmp_path, capture_output=True, timeout=120)
        assert done.returncode == 0 and (tmp_path / "sym.pdf").exists()


def test_verify_conditions_accepts_only_certificates_whose_conditions_follow(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert_two()))  # conditions a and a*d - b*c
    checker = [sys.executable, "-m", "proofs.checker", str(path)]
    ok = subprocess.run(checker + ["--conditions", "a^2*(a*d - b*c)"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    only_det = subprocess.run(checker + ["--conditions", "a*d - b*c"], capture_output=True, text=True)
    assert only_det.returncode == 1 and "needs the condition a != 0" in only_det.stderr
    allowed = tmp_path / "allowed.txt"
    allowed.write_text("# what I allow\na\na*d - b*c\n")
    assert subprocess.run(checker + ["--conditions", str(allowed)], capture_output=True).returncode == 0


def test_verify_matrix_reads_a_symbolic_csv(tmp_path):
    path, csv, other = tmp_path / "c.json", tmp_path / "T.csv", tmp_path / "U.csv"
    path.write_text(json.dumps(cert_two()))
    csv.write_text(TWO)
    other.write_text("a, b\nc, d + 1\n")
    checker = [sys.executable, "-m", "proofs.checker", str(path), "--matrix"]
    ok = subprocess.run(checker + [str(csv)], capture_output=True, text=True)
    assert ok.returncode == 0 and "its matrix is" in ok.stdout, ok.stderr
    wrong = subprocess.run(checker + [str(other)], capture_output=True, text=True)
    assert wrong.returncode == 1 and "differs from" in wrong.stderr and "at entry (2, 2)" in wrong.stderr


def test_a_certificate_may_declare_up_to_100_symbols():
    cert = cert_two()
    cert["symbols"] += [f"x{k}" for k in range(96)]
    assert check_certificate(cert).ok
    cert["symbols"].append("x96")
    assert "distinct names" in check_certificate(cert).reasons[0]


def test_allowed_conditions_in_the_api_and_symbol_names_up_to_100_characters():
    cert = cert_two()
    assert check_certificate(cert, conditions=["a", "a*d - b*c"]).ok
    assert check_certificate(cert, conditions=["a^2*(a*d - b*c)/7"]).ok
    v = check_certificate(cert, conditions=["a*d - b*c"])
    assert not v.ok and "needs the condition a != 0" in v.reasons[0]
    assert "is not a rational function" in check_certificate(cert, conditions=["sin(a)"]).reasons[0]
    for length in (100, 101):  # the certificate of [[z..z, b], [c, d]]
        name = "z" * length
        renamed = certificate_of(TWO.replace("a", name))[1]
        assert check_certificate(renamed).ok is (length == 100)
