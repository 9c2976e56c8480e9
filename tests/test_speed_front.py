"""The float command around the construction (issue 22): certificate/2 as written, the input limit of binary
.npy files, BLAS threads, imports, and condition numbers from the parts of a coupling."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from construct.core.conditioning import coupling_condition
from construct.core.factorization import FORMAT, FORMAT_2, certificate_text
from construct.core.matrices import from_rows
from construct.front.cli import blas_threads, main
from construct.front.factor import factor
from construct.front.parse import MAX_BINARY_BYTES, MAX_INPUT_BYTES, _npy_header
from construct.core.errors import InputError
from proofs.checker import check_certificate

ROOT = Path(__file__).resolve().parents[1]


def gaussian(n, seed=0):
    return from_rows(np.random.default_rng(seed).standard_normal((n, n)).tolist())


def test_a_float64_certificate_is_format_2_in_hexadecimal_and_checks_in_balls():
    f = factor(gaussian(40), method="levels", arith="float64")  # n > 32: the kernel's ball path
    cert = f.certificate()
    assert cert["format"] == FORMAT_2 and f.verdict.ok and "ball arithmetic" in f.verdict.summary
    numbers = [x for row in cert["matrix"] for x in row] + [x for g in cert["factors"] for x in g["scale"]]
    assert all(x == "0" or float.fromhex(x) != 0 for x in numbers)
    assert check_certificate(json.loads(certificate_text(cert))).ok


def test_an_exact_certificate_stays_format_1_and_its_text_is_the_same_json():
    cert = factor(from_rows([[1, 2], [3, 4]]), method="levels").certificate()
    assert cert["format"] == FORMAT and json.loads(certificate_text(cert)) == cert


def test_an_mp_certificate_writes_long_mantissas_exactly():
    f = factor(gaussian(6, 1), method="levels", arith="mp", digits=40)
    cert = f.certificate()
    assert cert["format"] == FORMAT_2 and f.verdict.ok
    assert max(len(x) for g in cert["factors"] for row in g["shear"] for x in row) > 25  # beyond float64


def test_a_binary_npy_has_its_own_input_limit_and_text_keeps_16_mib(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.zeros((1500, 1500)))  # 18 MB: above 16 MiB, below 128 MiB
    _npy_header(path, "big.npy", MAX_INPUT_BYTES, MAX_BINARY_BYTES)
    with pytest.raises(InputError, match="above the input limit"):
        _npy_header(path, "big.npy", MAX_INPUT_BYTES, MAX_INPUT_BYTES)
    assert main(["factor", str(path), "--method", "levels"]) == 2  # exact work: the bytes predict the cost


def test_blas_threads_are_set_and_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    with blas_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"] == before


def test_factor_and_verify_import_no_torch_matplotlib_or_export(tmp_path):
    np.save(tmp_path / "T.npy", np.random.default_rng(0).standard_normal((6, 6)))
    code = (f"import sys; from construct.front.cli import main; "
            f"a = main(['factor', {str(tmp_path / 'T.npy')!r}, '--method', 'levels', '--arith', 'float64', "
            f"'--out', {str(tmp_path / 'c.json')!r}]); b = main(['verify', {str(tmp_path / 'c.json')!r}]); "
            "print(a, b, sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'matplotlib') "
            "or m == 'construct.front.export'))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.stdout.strip().splitlines()[-1] == "0 0 []", r.stdout + r.stderr


@pytest.mark.parametrize("seed", range(30))
def test_a_coupling_condition_from_its_parts_is_the_condition_of_the_whole(seed):
    rng = np.random.default_rng(seed)
    r, c = rng.integers(1, 8, 2)
    S = rng.standard_normal((r, c)) * (rng.random((r, c)) < 0.3)
    scale = rng.standard_normal(r) * rng.choice([1, 1e-3, 10], r)
    for kind, p in (("lower", c), ("upper", r)):
        M = np.eye(r + c)
        if kind == "lower":
            M[p:, :p], M[p:, p:] = S, np.diag(scale)
        else:
            M[:p, :p], M[:p, p:] = np.diag(scale), S
        assert coupling_condition(kind, S, scale, p) == pytest.approx(np.linalg.cond(M), rel=1e-9)


def test_the_command_lines_export_targets_are_the_export_modules():
    from construct.front import cli, export

    assert cli.EXPORT_LIBRARIES == export.LIBRARIES
