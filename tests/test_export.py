"""``couplings export``: certificates become zuko and FrEIA flows that compute ``T x``, ``log|det T|`` and the inverse.

Every flow is run on random float64 batches and compared with ``x @ T.T``
computed from the matrix the certificate was built for (or, for the corpus,
from the factors' exact product), with NumPy's ``slogdet`` of ``T`` and with
the batch itself after the inverse.
"""

import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

REASON = 'couplings export needs the torch extra (pip install -e ".[torch]"): torch is not installed'
torch = pytest.importorskip("torch", reason=REASON)
zuko = pytest.importorskip("zuko", reason=REASON)
FrEIA = pytest.importorskip("FrEIA", reason=REASON)
import FrEIA.framework  # noqa: E402

import construct  # noqa: E402

from construct.core.matrices import from_rows  # noqa: E402
from construct.front.cli import main  # noqa: E402
from construct.front.export import ExportError, check_flow, export_flow, load_flow, run_flow, save_flow  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.front.report import format_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "certificates" / "valid"
LIBRARIES = ("zuko", "freia")


def deviations(flow, T, batches=2, size=64, seed=0):
    """Largest relative deviations of the flow from ``x -> x @ T.T`` (forward, log|det|, inverse)."""
    T = np.asarray(T, dtype=np.float64)
    log_det = np.linalg.slogdet(T)[1]
    rng = np.random.default_rng(seed)
    worst = np.zeros(3)
    for _ in range(batches):
        x = rng.standard_normal((size, T.shape[0]))
        with torch.no_grad():
            y, ladj, back = (t.numpy() for t in run_flow(flow, torch.from_numpy(x)))
        ref = x @ T.T
        assert y.dtype == ladj.dtype == back.dtype == np.float64 and ladj.shape == (size,)
        worst = np.maximum(worst, [np.abs(y - ref).max() / np.abs(ref).max(),
                                   np.abs(ladj - log_det).max() / max(1.0, abs(log_det)),
                                   np.abs(back - x).max() / np.abs(x).max()])
    return worst


def random_matrix(rng, n, positive):
    while True:
        A = rng.integers(-6, 7, (n, n))
        det = round(np.linalg.det(A))
        if det > 0 or (det < 0 and not positive):
            return A


CASES = [  # (n, method, mode, mask, arith)
    (4, "short", "any", None, "exact"),
    (4, "short", "positive", "alternate", "exact"),
    (6, "paper", "any", "checkerboard", "exact"),
    (6, "paper", "positive", None, "exact"),
    (8, "levels", "any", "alternate", "exact"),
    (8, "levels", "positive", None, "exact"),
    (8, "levels", "any", None, "float64"),
    (10, "levels", "positive", "checkerboard", "float64"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_zuko_and_freia_flows_of_each_method_mode_and_mask_compute_T_x_log_det_and_inverse(case):
    n, method, mode, mask, arith = case
    A = random_matrix(np.random.default_rng(n), n, mode == "positive")
    cert = factor(from_rows(A.tolist()), method=method, mode=mode, mask=mask, arith=arith).certificate()
    assert (mask is not None) == ("mask" in cert)
    for to in LIBRARIES:
        flow = export_flow(cert, to, sign_layer=True)
        assert (deviations(flow, A) < 1e-11).all(), (to, deviations(flow, A))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(1, 4), mode=st.sampled_from(["any", "positive"]), mask=st.sampled_from([None, "alternate"]),
       arith=st.sampled_from(["exact", "float64"]), seed=st.integers(0, 10**6))
def test_levels_flows_of_random_integer_matrices_compute_T_x_to_1e_12(d, mode, mask, arith, seed):
    A = random_matrix(np.random.default_rng(seed), 2 * d, mode == "positive")
    cert = factor(from_rows(A.tolist()), method="levels", mode=mode, mask=mask, arith=arith).certificate()
    for to in LIBRARIES:
        worst = deviations(export_flow(cert, to, sign_layer=True), A, batches=1, size=32, seed=seed)
        assert (worst < 1e-12).all(), (to, worst)


def exact_product(cert):
    """``F_1 ... F_k`` with ``fractions.Fraction`` (which reads "-3/7" and "1.5e-3" alike), as rows."""
    n, p = cert["n"], cert["split"]
    P = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    for f in cert["factors"]:
        shear, scale = [[Fraction(x) for x in row] for row in f["shear"]], [Fraction(x) for x in f["scale"]]
        for row in P:  # P L(S, s) = [A + B S, B diag(s)] and P U(D, c) = [A diag(c), B + A D]
            a, b = row[:p], row[p:]
            if f["kind"] == "lower":
                row[:] = [x + sum(y * s for y, s in zip(b, col)) for x, col in zip(a, zip(*shear))] + \
                    [y * s for y, s in zip(b, scale)]
            else:
                row[:] = [x * c for x, c in zip(a, scale)] + \
                    [y + sum(x * s for x, s in zip(a, col)) for y, col in zip(b, zip(*shear))]
    return P


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_every_valid_corpus_certificate_exports_to_both_libraries(path):
    """Hand-made certificates: odd n, unequal splits, masks, zero factors, tolerance claims, decimals."""
    cert = json.loads(path.read_text(encoding="utf-8-sig"))
    product = np.array(exact_product(cert), dtype=np.float64)  # the factors' exact product, in the frame
    order = [i for i, b in enumerate(cert["mask"]) if b] + [i for i, b in enumerate(cert["mask"]) if not b] \
        if "mask" in cert else list(range(cert["n"]))
    T = np.empty_like(product)
    T[np.ix_(order, order)] = product  # back to the input's coordinates
    for to in LIBRARIES:
        assert (deviations(export_flow(str(path), to, sign_layer=True), T) < 1e-12).all()


def test_zuko_flow_moves_negative_scales_into_one_sign_flip_in_front_of_one_transform_per_factor():
    A = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, -2, 1], [0, 0, 0, 3]]  # det < 0
    cert = factor(from_rows(A), method="levels", mode="any").certificate()
    assert any(s.startswith("-") for f in cert["factors"] for s in f["scale"])
    flow = export_flow(cert, "zuko")
    assert len(flow.transform.transforms) == len(cert["factors"]) + 1
    assert (deviations(flow, A) < 1e-14).all()


def test_freia_sign_layer_is_one_fixed_transform_in_front_of_positive_couplings():
    A = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, -2, 1], [0, 0, 0, 3]]
    cert = factor(from_rows(A), method="levels", mode="any").certificate()
    inn = export_flow(cert, "freia", sign_layer=True)
    kinds = [type(m).__name__ for m in inn]
    assert kinds[0] == "FixedLinearTransform" and "FixedLinearTransform" not in kinds[1:]
    M = inn[0].M.detach().numpy()
    assert np.array_equal(np.abs(M), np.eye(4)) and (np.diag(M) < 0).any()  # a pure sign flip (no mask)
    assert (deviations(inn, A) < 1e-14).all()


def test_freia_refuses_negative_scales_naming_the_factor_and_suggesting_positive_mode(tmp_path, capsys):
    A = [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]  # det > 0
    cert = factor(from_rows(A), method="levels", mode="any").certificate()
    assert any(s.startswith("-") for f in cert["factors"] for s in f["scale"])
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert))
    assert main(["export", str(path), "--to", "freia", "--out", str(tmp_path / "f.pt")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"factor F\d+ \((lower|upper)\) has a negative scale \(scale entry \d+ = -", err)
    assert "--mode positive" in err and "--sign-layer" in err and err.count("\n") == 1
    assert not (tmp_path / "f.pt").exists()
    with pytest.raises(ExportError, match="det T < 0 rules out --mode positive"):
        export_flow(factor(from_rows([[0, 1], [1, 0]]), mode="any").certificate(), "freia")


def test_positive_mode_certificate_exports_to_freia_as_couplings_only():
    A = [[2, 1, 0, 0], [1, 3, 1, 0], [0, 1, 4, 1], [1, 0, 1, 5]]
    cert = factor(from_rows(A), method="levels", mode="positive").certificate()
    inn = export_flow(cert, "freia")
    assert {type(m).__name__ for m in inn} <= {"GLOWCouplingBlock", "AffineCouplingOneSided"}
    assert (deviations(inn, A) < 1e-14).all()


def test_saved_flows_load_without_pickles_as_the_documented_objects(tmp_path):
    A = np.array([[1, 2, 0, 1], [0, 1, 3, 0], [2, 0, 1, 1], [1, 1, 0, 2]], dtype=float)
    cert = factor(from_rows(A.astype(int).tolist()), method="levels", mode="positive", mask="alternate").certificate()
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((16, 4)))
    log_det = np.log(abs(np.linalg.det(A)))
    save_flow(export_flow(cert, "zuko"), tmp_path / "z.pt")
    torch.load(tmp_path / "z.pt", weights_only=True)  # tensors and plain values: no class is unpickled
    flow = load_flow(tmp_path / "z.pt")
    assert isinstance(flow, zuko.flows.Flow)
    y = flow().transform(x)
    assert np.allclose(y.detach().numpy(), x.numpy() @ A.T, rtol=0, atol=1e-13)
    assert np.allclose(flow().transform.log_abs_det_jacobian(x, y).detach().numpy(), log_det, rtol=0, atol=1e-13)
    assert np.allclose(flow().transform.inv(y).detach().numpy(), x.numpy(), rtol=0, atol=1e-13)
    save_flow(export_flow(cert, "freia"), tmp_path / "f.pt")
    torch.load(tmp_path / "f.pt", weights_only=True)
    inn = load_flow(tmp_path / "f.pt")
    assert isinstance(inn, FrEIA.framework.SequenceINN)
    y, ladj = inn(x)
    assert np.allclose(y.detach().numpy(), x.numpy() @ A.T, rtol=0, atol=1e-13)
    assert np.allclose(ladj.detach().numpy(), log_det, rtol=0, atol=1e-13)
    assert np.allclose(inn(y, rev=True)[0].detach().numpy(), x.numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("library", ["torch", "zuko", "freia"])
def test_a_trained_float32_flow_with_a_sign_flip_saves_and_loads_as_it_was(tmp_path, library):
    # a Gaussian T has negative scales: zuko and FrEIA get the sign flip at the input, which must come back too
    T = np.random.default_rng(3).standard_normal((5, 5))
    flow = construct.to_module(T, library=library)
    forward = (lambda f, x: f().transform(x)) if library == "zuko" else (lambda f, x: f(x)[0])
    optimizer = torch.optim.Adam(flow.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        forward(flow, torch.randn(8, 5)).square().sum().backward()
        optimizer.step()
    save_flow(flow, tmp_path / "flow.pt")
    again = load_flow(tmp_path / "flow.pt")
    x = torch.randn(16, 5)
    assert type(again) is type(flow) and next(again.parameters()).dtype == torch.float32
    assert torch.equal(forward(again, x), forward(flow, x))


@pytest.mark.parametrize("library", ["torch", "zuko", "freia"])
@pytest.mark.parametrize("mask", [None, "alternate"])
def test_every_library_takes_a_bias_trains_it_and_saves_it(tmp_path, library, mask):
    # x -> T x + b for a T with negative scales (the sign flip acts first) and an odd n with a mask
    rng = np.random.default_rng(4)
    T, b = rng.standard_normal((5, 5)), rng.standard_normal(5)
    flow = construct.to_module(T, library=library, bias=b, dtype=torch.float64, **({"mask": mask} if mask else {}))
    x = torch.from_numpy(rng.standard_normal((7, 5)))
    y, log_det, back = run_flow(flow, x)
    assert (y - (x @ torch.from_numpy(T).T + torch.from_numpy(b))).abs().max() < 1e-13
    assert (log_det - np.log(abs(np.linalg.det(T)))).abs().max() < 1e-13 and (back - x).abs().max() < 1e-13
    biases = [p for name, p in flow.named_parameters() if {"bias", "biases"} & set(name.split("."))]
    assert biases and all(p.requires_grad for p in biases)
    y.square().sum().backward()
    assert any(p.grad is not None and p.grad.abs().max() > 0 for p in biases)
    save_flow(flow, tmp_path / "flow.pt")
    assert torch.equal(run_flow(load_flow(tmp_path / "flow.pt"), x)[0], y.detach())


def test_load_flow_refuses_a_file_it_did_not_write(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"not a flow")
    with pytest.raises(ExportError, match="not a flow written by couplings"):
        load_flow(tmp_path / "x.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ExportError, match="not a flow written by couplings"):
        load_flow(tmp_path / "list.pt")


def test_cli_export_writes_the_flow_and_check_prints_deviations_below_1e_12(tmp_path, capsys):
    cert = tmp_path / "c.json"
    assert main(["factor", "--method", "levels", "--mode", "positive", "--out", str(cert)]) == 0
    capsys.readouterr()
    for to in LIBRARIES:
        assert main(["export", str(cert), "--to", to, "--out", str(tmp_path / f"{to}.pt"), "--check"]) == 0
        out = capsys.readouterr().out
        assert f"{to} flow on 4 coordinates" in out and (tmp_path / f"{to}.pt").stat().st_size > 0
        found = re.search(r"forward (\S+) .*log\|det\| (\S+), inverse round trip (\S+) ", out)
        assert max(map(float, found.groups())) < 1e-12


def hand_certificate(matrix, factors):
    return {"format": "couplings.certificate/1", "n": 2, "split": 1, "mode": "any", "matrix": matrix,
            "factors": [{"kind": k, "shear": [[s]], "scale": [c]} for k, s, c in factors],
            "claims": {"method": "hand", "count": len(factors), "bound": len(factors)}}


def test_check_fails_with_exit_1_when_float64_cancellation_ruins_the_flow(tmp_path, capsys):
    """L(1e17) L(-1e17) is exactly the identity, but in float64 the first shift swamps x_b."""
    cert = hand_certificate([["1", "0"], ["0", "1"]], [("lower", "1e17", "1"), ("lower", "-1e17", "1")])
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert))
    assert main(["export", str(path), "--to", "zuko", "--check"]) == 1
    captured = capsys.readouterr()
    assert "largest deviations" in captured.out and "ill-conditioned" in captured.err
    assert check_flow(export_flow(cert, "zuko"), cert["matrix"])["forward"] > 1e-3


def test_export_refuses_a_certificate_the_checker_rejects_with_exit_1(tmp_path, capsys):
    cert = hand_certificate([["1", "0"], ["2", "1"]], [("lower", "3", "1")])
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert))
    assert main(["export", str(path), "--to", "zuko", "--out", str(tmp_path / "f.pt")]) == 1
    assert capsys.readouterr().err.startswith("couplings: not verified: the product of the factors differs")
    assert not (tmp_path / "f.pt").exists()


def exit_code(argv):
    try:
        return main(argv)
    except SystemExit as e:  # argparse's usage errors
        return e.code


@pytest.mark.parametrize("args, message", [
    (["--to", "zuko"], "needs --out FILE"),
    (["--to", "zuko", "--out", "/nonexistent-dir/f.pt"], "cannot write /nonexistent-dir/f.pt"),
    (["--to", "nflows", "--check"], "invalid choice: 'nflows'"),
])
def test_export_usage_errors_exit_2_with_one_sentence(tmp_path, capsys, args, message):
    cert = tmp_path / "c.json"
    cert.write_text(json.dumps(hand_certificate([["1", "0"], ["2", "1"]], [("lower", "2", "1")])))
    assert exit_code(["export", str(cert), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_export_names_a_factor_as_the_factor_table_does(tmp_path, capsys):
    """export once said "factor 5" for what the factor table calls F6: both count from 1."""
    A = [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    result = factor(from_rows(A), method="levels", mode="any")
    negative = [line.split()[0] for line in format_table(result).splitlines()
                if re.match(r"F\d+ = .*scale \[[^]]*-", line)]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(result.certificate()))
    assert main(["export", str(path), "--to", "freia", "--out", str(tmp_path / "f.pt")]) == 2
    assert f"factor {negative[0]} (" in capsys.readouterr().err


@pytest.mark.parametrize("matrix, shear, scale, message", [
    ([["1", "0"], ["1e400", "1"]], "1e400", "1", "factor F1 (lower) is beyond the float64 range"),
    ([["1", "0"], ["0", "1e-400"]], "0", "1e-400", "factor F1 (lower): scale entry 1 = 1e-400 rounds to 0 in float64"),
])
def test_export_refuses_entries_beyond_float64_with_exit_2(tmp_path, capsys, matrix, shear, scale, message):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(hand_certificate(matrix, [("lower", shear, scale)])))
    assert main(["export", str(path), "--to", "zuko", "--check"]) == 2
    assert message in capsys.readouterr().err


def test_export_without_torch_says_to_install_the_torch_extra(tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(hand_certificate([["1", "0"], ["2", "1"]], [("lower", "2", "1")])))
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    assert main(["export", str(path), "--to", "freia", "--check"]) == 2
    assert capsys.readouterr().err == ('couplings: exporting a flow needs PyTorch, zuko and FrEIA, and torch is not '
                                       'installed: pip install -e ".[torch]"\n')


def test_the_documented_whitening_example_runs_and_whitens(tmp_path):
    """The example of docs/export.md, with ``couplings`` run from this checkout by the current interpreter."""
    page = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S)[1]
    assert len(code.strip().splitlines()) <= 12
    code = code.replace('"couplings ', f'"{sys.executable} -m construct ')
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    white, density = map(float, run.stdout.strip().splitlines()[-2:])
    assert white < 1e-12 and density < 1e-9, run.stdout


def test_the_command_line_and_export_module_import_without_torch():
    code = "import sys, construct.front.cli, construct.front.export; print(sorted({'torch', 'zuko', 'FrEIA'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stderr


def test_export_refuses_a_symbolic_certificate_with_exit_2(tmp_path, capsys):
    (tmp_path / "sym.csv").write_text("a, b\nc, d\n")
    assert main(["factor", str(tmp_path / "sym.csv"), "--out", str(tmp_path / "sym.json")]) == 0
    capsys.readouterr()
    assert main(["export", str(tmp_path / "sym.json"), "--to", "zuko", "--check"]) == 2
    assert "symbolic entries" in capsys.readouterr().err
