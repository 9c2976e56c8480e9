"""The command line as a user runs it: through a subprocess."""

import json
import os
import pty
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from construct.front import sweep as sweep_module
from construct.front.cli import EXAMPLE, main
from construct.front.factor import METHODS
from tests.test_parse import huge_header_npy

CLI = [sys.executable, "-m", "construct"]


def run(*args, stdin=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, input=stdin, timeout=300)


def call(capsys, *args):
    """Run ``main`` in this process (fast: no interpreter start-up); the result looks like ``run``'s."""
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse: usage errors, --help, --version
        code = e.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def run_on_terminal(*args):
    """Run with stderr on a pseudo-terminal (so ``isatty()`` is true there); return (code, stdout, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    out = p.stdout.read()
    p.wait(timeout=300)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal has no writer left and nothing buffered
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return p.returncode, out.decode(), err.decode()


def one_sentence_exit_2(r, *words):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_builtin_example_verifies():
    r = run("factor")
    assert r.returncode == 0, r.stderr
    assert "verified:" in r.stdout and "F1 =" in r.stdout and "method short" in r.stdout


def test_factor_out_then_verify(tmp_path):
    src = tmp_path / "T.csv"
    src.write_text("1, 2, 0.5, 0\n0, 1, 3, -2/7\n1e-3, 0, 1, 4\n2, 2, 2, 1\n")
    cert = tmp_path / "cert.json"
    r = run("factor", str(src), "--method", "paper", "--out", str(cert))
    assert r.returncode == 0, r.stderr
    data = json.loads(cert.read_text())
    assert data["format"] == "couplings.certificate/1"
    assert data["matrix"][0][2] == "1/2" and data["matrix"][2][0] == "1/1000"
    assert data["claims"]["bound"] == 47 and data["claims"]["count"] == len(data["factors"])
    v = run("verify", str(cert))
    assert v.returncode == 0 and v.stdout.startswith("verified:")
    # tamper one entry: exit 1 and the first thing that is wrong
    data["matrix"][1][1] = "2"
    cert.write_text(json.dumps(data))
    v = run("verify", str(cert))
    assert v.returncode == 1 and "differs from matrix at entry (2, 2)" in v.stderr


@pytest.mark.parametrize("fmt", ["json", "latex", "table"])
def test_formats(fmt, tmp_path):
    r = run("factor", "--format", fmt, "--mode", "any")
    assert r.returncode == 0, r.stderr
    if fmt == "json":
        assert json.loads(r.stdout)["claims"]["method"].startswith("short:")
    elif fmt == "latex":
        assert "\\begin{bmatrix}" in r.stdout


def test_json_and_npy_inputs(tmp_path):
    (tmp_path / "T.json").write_text(json.dumps([[0.1, "2"], [3, 4]]))
    r = run("factor", str(tmp_path / "T.json"), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["matrix"][0][0] == "1/10"
    np.save(tmp_path / "T.npy", np.array([[0.1, 2.0], [3.0, 4.0]]))
    r = run("factor", str(tmp_path / "T.npy"), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["matrix"][0][0] == "3602879701896397/36028797018963968"


def test_stdin():
    r = run("factor", "-", "--format", "json", stdin="0 1\n1 0\n")
    assert r.returncode == 0 and json.loads(r.stdout)["matrix"] == [["0", "1"], ["1", "0"]]


BAD = {
    "singular.csv": ("1, 2\n2, 4\n", "rank 1 of 2"),
    "nonsquare.csv": ("1, 2, 3\n4, 5, 6\n", "not square"),
    "empty.csv": ("\n", "empty"),
    "one.csv": ("5\n", "1x1"),  # odd sizes are fine (any split); a 1x1 matrix has none
    "cell.csv": ("1, x@\n0, 1\n", "cell (1, 2)"),  # a symbol alone is symbolic input
    "inf.csv": ("1, inf\n0, 1\n", "finite"),
    "nan.csv": ("nan, 0\n0, 1\n", "finite"),
    "ragged.csv": ("1, 2\n3\n", "row 2"),
    "bad.json": ("[[1, 2], [3", "JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_one_sentence(name, tmp_path):
    text, expected = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    r = run("factor", str(path))
    assert r.returncode == 2
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_negative_determinant_in_positive_mode(tmp_path):
    (tmp_path / "T.csv").write_text("0, 1\n1, 0\n")
    r = run("factor", str(tmp_path / "T.csv"), "--mode", "positive")
    assert r.returncode == 2 and "det T < 0" in r.stderr and "positive" in r.stderr
    assert run("factor", str(tmp_path / "T.csv"), "--mode", "any").returncode == 0


def test_missing_file_and_bad_usage(tmp_path):
    r = run("factor", str(tmp_path / "nope.csv"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    assert run("factor", "--method", "magic").returncode == 2
    assert run().returncode == 2
    r = run("factor", "--mask", "1,1,1,1")  # keeps every coordinate (1,1,1,0 is fine: split 3)
    assert r.returncode == 2 and "mask" in r.stderr


def test_verify_unreadable_and_malformed(tmp_path):
    (tmp_path / "x.json").write_text("not json")
    r = run("verify", str(tmp_path / "x.json"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    (tmp_path / "y.json").write_text(json.dumps({"format": "couplings.certificate/1"}))
    r = run("verify", str(tmp_path / "y.json"))
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.strip()
    r = run("verify", str(tmp_path / "missing.json"))
    assert r.returncode == 2


@pytest.mark.parametrize("mask", ["alternate", "checkerboard", "0,1,1,0"])
def test_masks_verify(mask, tmp_path):
    cert = tmp_path / "c.json"
    r = run("factor", "--mask", mask, "--out", str(cert))
    assert r.returncode == 0, r.stderr
    assert "mask" in json.loads(cert.read_text())
    assert run("verify", str(cert)).returncode == 0


def test_help_explains():
    r = run("factor", "--help")
    assert r.returncode == 0 and "--mode" in r.stdout and "positive" in r.stdout


def test_bounds_sweep_reports_per_size_and_checks(tmp_path, capsys):
    r = run("bounds", "--family", "integer", "triangular", "--sizes", "2", "4", "--samples", "2", "--format", "json",
            "--save-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {row["family"] for row in rows} == {"integer", "triangular"}
    assert sorted((row["family"], row["n"], row["method"], row["mode"]) for row in rows) == sorted(
        (f, n, m, mode) for f in ("integer", "triangular") for n in (2, 4) for m in METHODS
        for mode in ("any", "positive"))
    for row in rows:
        assert row["failures"] == [] and row["violations"] == 0 and row["max"] <= row["bound"]
        assert sum(row["histogram"].values()) == row["samples"] == 2 and row["n"] in (2, 4)
        if row["method"] == "short" and row["invertible_offdiagonal"]:
            assert row["max_invertible_offdiagonal"] <= 5 == row["bound_invertible_offdiagonal"]
    assert json.loads(call(capsys, "bounds", "--family", "integer", "--sizes", "2", "--samples", "1", "--json").stdout)
    table = run("bounds", "--family", "permutation", "--sizes", "4", "--samples", "2", "--jobs", "2")
    assert table.returncode == 0 and "certificates checked, 0 failures, 0 above the short method's target" in table.stdout
    header = table.stdout.splitlines()[0].split()
    assert header[:5] == ["family", "n", "method", "mode", "samples"]
    lines = [line.split() for line in table.stdout.splitlines() if line.startswith("permutation")]
    assert len(lines) == 2 * len(METHODS) and all(line[1] == "4" and line[4] == "2" for line in lines)


def test_bounds_counts_violations_of_five(tmp_path, monkeypatch):
    """The sweep checks "at most 5 when an off-diagonal block is invertible": lower the target to 4 and
    every generic integer matrix (5 factors) is a violation, counted, reported and saved."""
    monkeypatch.setattr(sweep_module, "SHORT_TARGET_INVERTIBLE", 4)
    rows = sweep_module.sweep(["integer"], [4], ["short"], ["any"], samples=3, seed=0, save_dir=str(tmp_path))
    (row,) = rows
    assert row["invertible_offdiagonal"] == 3 and row["max_invertible_offdiagonal"] == 5
    assert row["violations"] == 3 and len(row["failures"]) == 3
    assert "5 factors, above 4 (although an off-diagonal block is invertible)" in row["failures"][0]["problems"]
    assert json.loads(open(row["failures"][0]["saved"]).read())["claims"]["count"] == 5
    assert "FAILURE n=4" in sweep_module.format_rows(rows)


def test_prove_gadgets_and_lower_bounds(capsys):
    r = run("prove", "--sizes", "2", "4")
    assert r.returncode == 0 and "19/19 hold: 19 for all d, 0 for d = 1, 2 only" in r.stdout
    r = call(capsys, "prove", "--sizes", "2", "--format", "json")
    results = json.loads(r.stdout)
    assert r.returncode == 0 and len(results) == 19
    assert all(x["holds"] and x["scope"] == "all d" and x["free_algebra"]["ok"] for x in results)
    assert all([(c["d"], c["n"], c["ok"]) for c in x["checks"]] == [(1, 2, True)] for x in results)
    r = run("prove", "--lower-bound")
    assert r.returncode == 0 and "CERTIFIED" in r.stdout and "k = 5" in r.stdout
    r = call(capsys, "prove", "--lower-bound", "--format", "json")
    assert r.returncode == 0 and all(w["ok"] for w in json.loads(r.stdout)) and len(json.loads(r.stdout)) == 5


def test_prove_shows_progress_on_a_terminal_only():
    code, out, err = run_on_terminal("prove", "--sizes", "2")
    assert code == 0 and "19/19 hold" in out
    assert "proving 1/38: diagonal_pushing, all d" in err and "proving 2/38: diagonal_pushing, n = 2" in err
    assert "proving 38/38" in err
    assert run("prove", "--sizes", "2").stderr == ""


def test_fit_and_plot(tmp_path, capsys):
    png = tmp_path / "fit.png"
    r = run("fit", "--size", "2", "--layers", "1..4", "--trials", "2", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 1000
    assert run("fit", "--layers", "zero").returncode == 2
    new = json.loads(call(capsys, "fit", "--size", "2", "--layers", "1..2", "--trials", "1", "--format", "json").stdout)
    old = json.loads(call(capsys, "fit", "--dim", "1", "--layers", "1..2", "--trials", "1", "--json").stdout)
    assert new == old and new["n"] == 2


@pytest.mark.parametrize(
    "args, words",
    [
        (["fit", "--dim", "0"], ["--dim", "positive integer, got 0"]),
        (["fit", "--trials", "0"], ["--trials", "positive integer, got 0"]),
        (["fit", "--size", "1"], ["--size", "at least 2", "got 1"]),  # odd sizes are fine
        (["fit", "--size", "5", "--split", "5"], ["--split", "from 1 to n - 1 = 4", "got 5"]),
        (["fit", "--size", "4", "--dim", "2"], ["not allowed"]),
        (["prove", "--sizes", "0"], ["--sizes", "even and at least 2", "got 0"]),
        (["prove", "--sizes", "3"], ["--sizes", "got 3"]),
        (["bounds", "--samples", "0"], ["--samples", "positive integer, got 0"]),
        (["bounds", "--jobs", "0"], ["--jobs", "positive integer, got 0"]),
        (["bounds", "--sizes", "1"], ["--sizes", "at least 2", "got 1"]),  # odd sizes are fine (split floor(n/2))
        (["bounds", "--sizes", "4", "--split", "4"], ["--split", "got 4 with n = 4"]),
        (["bounds", "--save-dir", "/nonexistent/dir"], ["not a directory"]),
        (["factor", "--max-digits", "0"], ["--max-digits", "positive integer"]),
        (["factor", "--method", "magic"], ["invalid choice"]),
        (["factor", "--format", "yaml"], ["invalid choice"]),
        ([], ["required"]),
    ],
)
def test_bad_arguments_exit_2_with_one_sentence(args, words, capsys):
    """``fit --dim 0`` and ``--trials 0`` once exited 3, ``prove --sizes 0`` printed 13 FALSE rows,
    ``bounds --samples 0`` printed an empty table and ``--jobs 0`` ran serially."""
    one_sentence_exit_2(call(capsys, *args), *words)


def test_version(capsys):
    r = call(capsys, "--version")
    assert r.returncode == 0 and re.fullmatch(r"couplings \d+\.\d+\.\d+\S*\n", r.stdout)


def test_closed_pipe_is_not_an_error():
    """``couplings factor | head -1`` once reported BrokenPipeError as an internal error (exit 3)."""
    for args in (["factor"], ["factor", "--format", "json"]):
        p = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()  # the reader is gone before anything is written
        err = p.stderr.read()
        assert p.wait(timeout=300) == 0 and err == b"", err
    r = subprocess.run(["bash", "-c", " ".join(CLI) + " factor --format json | head -c 10; echo \" ${PIPESTATUS[0]}\""],
                       capture_output=True, text=True, timeout=300)
    assert r.stdout == '{"format": 0\n' and r.stderr == ""


def test_full_disk_is_bad_output_not_a_bug():
    """``factor --format json > /dev/full`` once exited 3 with OSError."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([*CLI, "factor", "--format", "json"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    one_sentence_exit_2(r, "cannot write the output: No space left on device")


def test_stdin_with_byte_order_mark():
    r = subprocess.run([*CLI, "factor", "-", "--format", "json"], input=b"\xef\xbb\xbf1,2\n3,5\n", capture_output=True)
    assert r.returncode == 0 and json.loads(r.stdout)["matrix"] == [["1", "2"], ["3", "5"]]


def test_hostile_inputs_exit_2(tmp_path, capsys):
    """Each of these once exited 3 (MemoryError, pickle message, RecursionError) or ran for minutes."""
    huge_header_npy(tmp_path / "big.npy", (10**6, 10**6))
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "big.npy")), "declares a 1000000x1000000 array", "--max-input-mb")
    (tmp_path / "x.npy").write_text("1,2\n3,4\n")
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "x.npy")), "is not a NumPy file")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "deep.json")), "nested too deeply")
    (tmp_path / "bomb.csv").write_text("1e100000, 1, 0, 0\n0, 1, 0, 0\n0, 0, 1, 0\n0, 0, 0, 1\n")
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "bomb.csv")), "cell (1, 1)", "above the limit of 400", "--max-digits")
    (tmp_path / "big.csv").write_text("1e500, 1, 0, 0\n0, 1, 0, 0\n0, 0, 1, 0\n0, 0, 0, 1\n")
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "big.csv")), "501 digits")
    r = call(capsys, "factor", str(tmp_path / "big.csv"), "--max-digits", "501", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["matrix"][0][0] == "1" + "0" * 500
    (tmp_path / "long.csv").write_text("1, 0\n0, 1\n" + "#" * 2**20 + "\n")
    one_sentence_exit_2(call(capsys, "factor", str(tmp_path / "long.csv"), "--max-input-mb", "1"), "larger than the input limit")


def test_slow_factorization_warns_on_a_terminal_only(tmp_path):
    """A 200x200 matrix once ran for minutes without a word; the warning names the faster options."""
    path = tmp_path / "I64.csv"
    path.write_text("\n".join(",".join("1" if i == j else "0" for j in range(64)) for i in range(64)))
    code, out, err = run_on_terminal("factor", str(path))
    assert code == 0 and "verified:" in out
    assert "factoring a 64x64 matrix" in err and "--method levels" in err and "--arith float64" in err
    r = run("factor", str(path))
    assert r.returncode == 0 and r.stderr == ""
    code, _, err = run_on_terminal("factor")
    assert code == 0 and err == ""


def latex_matrices(text):
    """The ``bmatrix`` environments of a LaTeX rendering, as lists of rows of Fractions."""
    def cell(c):
        c = c.strip()
        m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", c)
        return Fraction(int(m[2]), int(m[3])) * (-1 if m[1] else 1) if m else Fraction(c)

    return [[[cell(c) for c in row.split("&")] for row in body.strip().split("\\\\")]
            for body in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", text, re.S)]


def matmul(A, B):
    return [[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]


@pytest.mark.parametrize("mask", ["half", "alternate", "checkerboard", "0,1,1,0"])
@pytest.mark.parametrize("method", ["short", "paper"])
def test_latex_equation_holds_as_printed(mask, method, capsys):
    """``--mask alternate --format latex`` once printed factors whose product was not the printed matrix."""
    r = call(capsys, "factor", "--mask", mask, "--method", method, "--format", "latex")
    assert r.returncode == 0, r.stderr
    T, *factors = latex_matrices(r.stdout)
    assert T == [[Fraction(c) for c in row.split(",")] for row in EXAMPLE.splitlines()]  # the built-in example
    product = factors[0]
    for F in factors[1:]:
        product = matmul(product, F)
    assert product == T and len(factors) >= 3
    assert ("% mask" in r.stdout) == (mask != "half")


def test_counts_of_one_are_singular_and_tolerances_short_decimals(tmp_path, capsys):
    """Messages once said "1 couplings", "keeps 1 coordinates" and "tolerance 24e-15"."""
    (tmp_path / "T.csv").write_text("2, 1\n0, 1\n")
    assert call(capsys, "factor", str(tmp_path / "T.csv")).stdout.splitlines()[0].endswith(": 1 coupling")
    assert " into 1 coupling (" in call(capsys, "explain", str(tmp_path / "T.csv")).stdout.splitlines()[0]
    one_sentence_exit_2(call(capsys, "factor", "--mask", "1,0,0,0", "--split", "2"), "keeps 1 coordinate but")
    cert = json.loads(call(capsys, "factor", "--method", "levels", "--arith", "float64", "--format", "json").stdout)
    assert re.fullmatch(r"[1-9](\.[0-9])?e-1[0-9]", cert["claims"]["tolerance"]), cert["claims"]["tolerance"]
