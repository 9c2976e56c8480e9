"""The command line for the levels method and the numeric arithmetics, run as a user runs it."""

import json
import subprocess
import sys

import numpy as np


def couplings(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "construct", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_factor_levels_float64_npy_writes_a_checked_numeric_certificate(tmp_path):
    A = np.random.default_rng(1).standard_normal((24, 24))
    np.save(tmp_path / "T.npy", A)
    out = tmp_path / "cert.json"
    r = couplings("factor", str(tmp_path / "T.npy"), "--method", "levels", "--arith", "float64", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "float64 backward error" in r.stdout and "max factor cond" in r.stdout
    cert = json.loads(out.read_text())
    assert cert["claims"]["arith"] == "float64" and float(cert["claims"]["tolerance"]) < 1e-12
    v = couplings("verify", str(out), "--matrix", str(tmp_path / "T.npy"))
    assert v.returncode == 0, v.stderr
    assert "residual" in v.stdout


def test_factor_levels_mp_digits(tmp_path):
    (tmp_path / "T.csv").write_text("1, 2, 0, 1\n0, 1, 3, 1\n2, 0, 1, 1\n1, 1, 1, 0\n")
    r = couplings("factor", str(tmp_path / "T.csv"), "--method", "levels", "--arith", "mp", "--digits", "40",
                  "--format", "json")
    assert r.returncode == 0, r.stderr
    cert = json.loads(r.stdout)
    assert cert["claims"]["digits"] == 40 and float(cert["claims"]["tolerance"]) < 1e-35


def test_factor_levels_exact_default_arith_is_exact(tmp_path):
    (tmp_path / "T.csv").write_text("0, 1, 2, -1\n3, 0, 1, 1/2\n1, -2, 0, 4\n2, 1, 1, 0\n")
    r = couplings("factor", str(tmp_path / "T.csv"), "--method", "levels", "--format", "json")
    assert r.returncode == 0, r.stderr
    cert = json.loads(r.stdout)
    assert "tolerance" not in cert["claims"] and cert["claims"]["method"] == "levels"


def test_short_refuses_float64_with_a_sentence():
    r = couplings("factor", "--method", "short", "--arith", "float64")
    assert r.returncode == 2
    assert "exact only" in r.stderr and "--method levels" in r.stderr and "Traceback" not in r.stderr


def test_levels_positive_mode_negative_determinant_exits_2(tmp_path):
    (tmp_path / "T.csv").write_text("0, 1\n1, 0\n")
    for arith in ("exact", "float64"):
        r = couplings("factor", str(tmp_path / "T.csv"), "--method", "levels", "--mode", "positive", "--arith", arith)
        assert r.returncode == 2 and "det T < 0" in r.stderr


def test_mp_digits_work_over_the_whole_range_the_help_gives(tmp_path):
    """--digits 330 once exited 3 (the tolerance underflowed to 0 in float64), --digits 900 and up too
    (int to str beyond 4300 digits), and above about 650 the rotations stopped at float64's smallest number."""
    (tmp_path / "T.csv").write_text("2, 1\n1, 1\n")
    (tmp_path / "R.csv").write_text("0, 1\n-1, 0\n")
    for name, digits in [("T.csv", 5), ("T.csv", 330), ("T.csv", 1500), ("R.csv", 100_000)]:
        out = tmp_path / f"{digits}.json"
        allowed = ["--max-relative-error", "1e-3"] if digits < 8 else []  # 5 digits cannot reach the default 1e-8
        r = couplings("factor", str(tmp_path / name), "--method", "levels", "--arith", "mp", "--digits", str(digits),
                      "--out", str(out), *allowed)
        assert r.returncode == 0, (digits, r.stderr)
        tolerance = json.loads(out.read_text())["claims"]["tolerance"]
        assert int(tolerance.split("e")[1]) <= 2 - digits, (digits, tolerance)  # the precision asked for, used
        if digits > 10_000:  # beyond verify's default exponent limit: factor says which options verify needs
            assert "couplings verify" in r.stderr and f"--max-exponent {digits}" in r.stderr, r.stderr
            options = r.stderr.split("'")[1].split()[3:]
            assert couplings("verify", str(out), *options, "--matrix", str(tmp_path / name)).returncode == 0
        else:
            assert r.stderr == "" and couplings("verify", str(out)).returncode == 0
    for digits in ("4", "100001"):
        r = couplings("factor", "--method", "levels", "--arith", "mp", "--digits", digits)
        assert r.returncode == 2 and f"from 5 to 100000, got {digits}" in r.stderr and "Traceback" not in r.stderr


def test_digits_without_mp_arithmetic_is_refused_not_ignored():
    for args in ([], ["--method", "levels"], ["--method", "levels", "--arith", "float64"]):
        r = couplings("factor", *args, "--digits", "40")
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
        assert "--digits sets the precision of --arith mp" in r.stderr and r.stdout == ""
