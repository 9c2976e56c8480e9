"""The command line as a user runs it: through a subprocess."""

import json
import subprocess
import sys

import numpy as np
import pytest


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "construct.cli", *args], capture_output=True, text=True, input=stdin, timeout=300
    )


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
    assert v.returncode == 1 and "differs from matrix at entry (1, 1)" in v.stderr


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
    "odd.csv": ("1, 0, 0\n0, 1, 0\n0, 0, 1\n", "odd sizes are not supported"),
    "cell.csv": ("1, x\n0, 1\n", "cell (1, 2)"),
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
    assert r.returncode == 2 and "det T = -1 < 0" in r.stderr and "positive" in r.stderr
    assert run("factor", str(tmp_path / "T.csv"), "--mode", "any").returncode == 0


def test_missing_file_and_bad_usage(tmp_path):
    r = run("factor", str(tmp_path / "nope.csv"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    assert run("factor", "--method", "magic").returncode == 2
    assert run().returncode == 2
    r = run("factor", "--mask", "1,1,1,0")
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


def test_bounds_sweep_reports_and_checks(tmp_path):
    r = run("bounds", "--family", "integer", "triangular", "--sizes", "2", "4", "--samples", "2", "--json",
            "--save-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {row["family"] for row in rows} == {"integer", "triangular"}
    for row in rows:
        assert row["failures"] == [] and row["max"] <= row["bound"]
        assert sum(row["histogram"].values()) == row["samples"] == 4
    table = run("bounds", "--family", "permutation", "--sizes", "4", "--samples", "2", "--jobs", "2")
    assert table.returncode == 0 and "certificates checked, 0 failures" in table.stdout


def test_prove_gadgets_and_lower_bounds():
    r = run("prove", "--sizes", "1", "2")
    assert r.returncode == 0 and "proved" in r.stdout
    r = run("prove", "--lower-bound")
    assert r.returncode == 0 and "CERTIFIED" in r.stdout and "k = 5" in r.stdout


def test_fit_and_plot(tmp_path):
    png = tmp_path / "fit.png"
    r = run("fit", "--dim", "1", "--layers", "1..4", "--trials", "2", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 1000
    assert run("fit", "--layers", "zero").returncode == 2
