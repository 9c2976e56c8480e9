"""The native coupling flow (construct/flows/module.py) and the one-call API (construct.factor_array, construct.to_module).

Flows are compared with ``x @ T.T (+ b)`` computed densely in float64 from
the matrix itself, with NumPy's ``slogdet`` and with the batch after the
inverse.
"""

import doctest
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REASON = 'the flow module needs the torch extra (pip install -e ".[torch]"): torch is not installed'
torch = pytest.importorskip("torch", reason=REASON)

import construct  # noqa: E402
from construct.core.accuracy import AccuracyError  # noqa: E402
from construct.core.errors import InputError  # noqa: E402
from construct.flows.module import LinearCouplingFlow, freeze  # noqa: E402
from construct.front.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def one_thread():
    """Small products on one thread: torch's threads waiting for each other cost more than they save here."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_factors(rng, n, p, kinds):
    out = []
    for kind in kinds:
        changed, kept = (n - p, p) if kind == "lower" else (p, n - p)
        out.append((kind, rng.standard_normal((changed, kept)), rng.choice([-1, 1], changed) * rng.uniform(0.5, 2, changed)))
    return out


def dense(factors, n, p, order):
    """The matrix of ``F_1 ... F_k`` in the input's coordinates, computed densely."""
    product = np.eye(n)
    for kind, S, s in factors:
        F = np.eye(n)
        if kind == "lower":
            F[p:, :p], F[p:, p:] = S, np.diag(s)
        else:
            F[:p, :p], F[:p, p:] = np.diag(s), S
        product = product @ F
    T = np.empty_like(product)
    T[np.ix_(order, order)] = product
    return T


@pytest.mark.parametrize("n, p, permuted", [(6, 3, False), (7, 2, True), (5, 4, True)])
def test_native_flow_computes_T_x_plus_b_its_log_det_and_inverse_on_batches_and_images(n, p, permuted):
    rng = np.random.default_rng(n)
    factors = random_factors(rng, n, p, ["upper", "lower", "upper", "lower", "lower"])
    order = list(rng.permutation(n)) if permuted else list(range(n))
    T, b = dense(factors, n, p, order), rng.standard_normal(n)
    flow = LinearCouplingFlow.from_factors(factors, n, p, order, bias=b, dtype=torch.float64)
    x = torch.randn(9, n, dtype=torch.float64)
    with torch.no_grad():
        y, log_det = flow(x)
        assert np.abs(y.numpy() - (x.numpy() @ T.T + b)).max() < 1e-12
        assert log_det.shape == (9,) and abs(log_det[0].item() - np.linalg.slogdet(T)[1]) < 1e-12
        assert (flow.inverse(y) - x).abs().max() < 1e-10
        images = torch.randn(2, n, 3, 5, dtype=torch.float64)  # 1x1-convolution semantics: T on every pixel
        y, log_det = flow(images)
        assert np.abs(y.numpy() - (np.einsum("oc,bchw->bohw", T, images.numpy()) + b[:, None, None])).max() < 1e-12
        assert log_det.shape == (2,) and abs(log_det[0].item() - 15 * np.linalg.slogdet(T)[1]) < 1e-10
        assert y.is_contiguous() and flow.inverse(y).is_contiguous()  # not a channels-last view: .view() works
        assert (flow.inverse(y) - images).abs().max() < 1e-10


def test_native_flow_stores_exactly_shears_log_scales_and_biases_and_runs_in_float32():
    d, k = 8, 4
    flow = LinearCouplingFlow(2 * d, d, ["lower", "upper"] * (k // 2))
    assert sum(q.numel() for q in flow.parameters()) == k * (d * d + d)
    assert sorted({name.split(".")[0] for name, _ in flow.named_parameters()}) == ["log_scales", "shears"]
    flow = LinearCouplingFlow(2 * d, d, ["lower", "upper"] * (k // 2), bias=True)
    assert sum(q.numel() for q in flow.parameters()) == k * (d * d + 2 * d)
    y, log_det = flow(torch.randn(3, 2 * d))
    assert y.dtype == log_det.dtype == torch.float32


def test_state_dict_round_trips_through_a_tensors_only_file():
    rng = np.random.default_rng(1)
    factors = random_factors(rng, 5, 2, ["lower", "upper", "lower"])
    flow = LinearCouplingFlow.from_factors(factors, 5, 2, [4, 0, 3, 1, 2], bias=rng.standard_normal(5))
    buffer = io.BytesIO()
    torch.save(flow.state_dict(), buffer)
    buffer.seek(0)
    again = LinearCouplingFlow.from_state_dict(torch.load(buffer, weights_only=True))
    x = torch.randn(4, 5)
    with torch.no_grad():
        assert torch.equal(again(x)[0], flow(x)[0]) and torch.equal(again.inverse(x), flow.inverse(x))


def test_scales_and_shears_freeze_separately():
    flow = LinearCouplingFlow(4, 2, ["lower", "upper"], bias=True).freeze(scales=True)
    trained = {name.split(".")[0] for name, q in flow.named_parameters() if q.requires_grad}
    assert trained == {"shears", "biases"}
    flow.freeze(scales=False, shears=True)
    assert {name.split(".")[0] for name, q in flow.named_parameters() if q.requires_grad} == {"log_scales", "biases"}
    assert set(flow.parameter_groups()) == {"shears", "log_scales", "biases"}


def test_whitening_module_matches_x_W_T_to_roundoff_and_trains_finitely_at_lr_1e_2():
    """The issue's "Done means": construct.to_module(inv(cholesky(S))) is x @ W.T, and Adam at 1e-2 stays finite."""
    rng = np.random.default_rng(0)
    n = 16
    A = rng.standard_normal((n, n))
    S = A @ A.T + n * np.eye(n)
    W = np.linalg.inv(np.linalg.cholesky(S))
    flow = construct.to_module(W, dtype=torch.float64)
    x = torch.from_numpy(rng.standard_normal((256, n)) @ np.linalg.cholesky(S).T)
    with torch.no_grad():
        y, log_det = flow(x)
    assert (y - x @ torch.from_numpy(W).T).abs().max() / y.abs().max() < 1e-13
    assert abs(log_det[0].item() - np.linalg.slogdet(W)[1]) < 1e-12
    optimizer = torch.optim.Adam(flow.parameters(), lr=1e-2)
    for _ in range(20):
        optimizer.zero_grad()
        loss = -flow.log_prob(x).mean()
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss)
    assert all(torch.isfinite(q).all() for q in flow.parameters())


@pytest.mark.parametrize("library", ["zuko", "freia"])
def test_to_module_builds_zuko_and_freia_flows_of_a_matrix_with_negative_determinant(library):
    pytest.importorskip({"zuko": "zuko", "freia": "FrEIA"}[library], reason=REASON)
    T = np.array([[0.0, -2.0, -1.0, 0.0], [1.0, 0.0, 0.0, 3.0], [0.5, 1.0, 4.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    assert np.linalg.det(T) < 0
    flow = construct.to_module(T, library=library, dtype=torch.float64, mask="alternate")
    x = torch.randn(5, 4, dtype=torch.float64)
    with torch.no_grad():
        y = flow(x)[0] if library == "freia" else flow().transform(x)
    assert (y - x @ torch.from_numpy(T).T).abs().max() < 1e-12


def test_to_module_takes_a_certificate_and_refuses_one_whose_float64_flow_is_not_T(tmp_path):
    f = construct.factor_array(np.array([[1.0, 2.0], [3.0, 4.0]]))
    path = tmp_path / "c.json"
    path.write_text(json.dumps(f.certificate()))
    flow = construct.to_module(str(path), dtype=torch.float64)
    assert (flow(torch.eye(2, dtype=torch.float64))[0] - torch.tensor([[1.0, 3.0], [2.0, 4.0]])).abs().max() < 1e-14
    cancelling = {"format": "couplings.certificate/1", "n": 2, "split": 1, "mode": "any", "matrix": [["1", "0"], ["0", "1"]],
                  "factors": [{"kind": "lower", "shear": [[s]], "scale": ["1"]} for s in ("1e17", "-1e17")],
                  "claims": {"method": "hand", "count": 2, "bound": 2}}
    with pytest.raises(AccuracyError, match="deviates from T"):
        construct.to_module(cancelling)
    path.write_text(json.dumps(cancelling))
    out = tmp_path / "flow.pt"
    assert main(["export", str(path), "--to", "torch", "--check", "--out", str(out)]) == 1
    assert not out.exists() and not list(tmp_path.glob("flow.pt*"))


def test_export_to_torch_writes_a_state_dict_that_loads_without_pickle(tmp_path, capsys):
    path, out = tmp_path / "c.json", tmp_path / "flow.pt"
    T = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0]])
    path.write_text(json.dumps(construct.factor_array(T, split=1).certificate()))
    assert main(["export", str(path), "--to", "torch", "--check", "--out", str(out)]) == 0
    assert "torch flow on 3 coordinates" in capsys.readouterr().out
    flow = LinearCouplingFlow.from_state_dict(torch.load(out, weights_only=True)).double()
    with torch.no_grad():
        assert (flow(torch.eye(3, dtype=torch.float64))[0] - torch.from_numpy(T).T).abs().max() < 1e-14


def test_factor_array_and_to_module_refuse_what_they_cannot_do_in_one_sentence():
    with pytest.raises(InputError, match="singular"):
        construct.factor_array(np.ones((3, 3)))
    with pytest.raises(InputError, match="not finite"):
        construct.factor_array(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(InputError, match="the bias must be 2 finite numbers"):
        construct.to_module(np.eye(2) * 2, library="zuko", bias=[1.0, np.nan])
    with pytest.raises(InputError, match="unknown library"):
        construct.to_module(np.eye(2), library="jax")


def test_import_construct_imports_neither_torch_nor_sympy():
    code = "import sys, construct; print('torch' in sys.modules, 'sympy' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.split() == ["False", "False"], r.stderr


def test_the_examples_of_docs_flows_md_run():
    result = doctest.testfile(str(ROOT / "docs" / "flows.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("library", ["zuko", "freia"])
def test_library_exports_hold_only_shears_and_log_scales_which_freeze_apart_and_train_finitely_at_lr_1e_2(library):
    pytest.importorskip({"zuko": "zuko", "freia": "FrEIA"}[library], reason=REASON)
    rng = np.random.default_rng(3)
    n = 6
    A = rng.standard_normal((n, n))
    W = np.linalg.inv(np.linalg.cholesky(A @ A.T + np.eye(n)))
    f = construct.factor_array(W)
    flow = construct.to_module(f, library=library)
    names = {name.rsplit(".", 1)[-1] for name, _ in flow.named_parameters()}
    assert names == {"shear", "log_scale"}
    freeze(flow, scales=True)
    assert {name.rsplit(".", 1)[-1] for name, q in flow.named_parameters() if q.requires_grad} == {"shear"}
    freeze(flow, scales=False)
    if library == "zuko":  # one conditioner per factor: exactly the native module's parameters
        assert sum(q.numel() for q in flow.parameters()) == sum(S.size + s.size for _, S, s in f.factors)
    x = torch.from_numpy(rng.standard_normal((256, n)) * 30).float()  # far from white: large first gradients

    def nll():
        if library == "zuko":
            return -flow().log_prob(x).mean()
        z, log_det = flow(x)
        return (0.5 * z.square().sum(1) - log_det).mean()

    optimizer = torch.optim.Adam(flow.parameters(), lr=1e-2)
    for _ in range(10):
        optimizer.zero_grad()
        loss = nll()
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss)
