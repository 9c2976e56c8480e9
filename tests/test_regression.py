"""Tests for construct.front.regression: least-squares fits of random matrices by coupling products."""
import math

import numpy as np
import pytest

from construct.front.regression import coupling_product, fit_error, format_fit, plot_fit, run_fit


def test_d1_four_layers_fit_exactly_any_sign():
    rng = np.random.default_rng(3)
    for _ in range(3):
        T = rng.standard_normal((2, 2))
        assert fit_error(T, 4, "any", rng) < 1e-6
    T = np.array([[0.3, -1.2], [2.0, 0.7]])
    assert fit_error(T, 4, "any", rng) < 1e-6
    assert fit_error(T @ np.diag([1.0, -1.0]), 4, "any", rng) < 1e-6  # det < 0 too


def test_d2_one_layer_is_bad_six_layers_good():
    r = run_fit(2, [1, 6], trials=5, seed=1)
    med = {row["k"]: row["median"] for row in r["rows"]}
    assert med[1] > 1e-2
    assert med[6] < 1e-4
    assert r["d"] == 2 and r["mode"] == "any"


def test_positive_mode_fits_det_positive_d2():
    rng = np.random.default_rng(7)
    T = rng.standard_normal((4, 4))
    if np.linalg.det(T) < 0:
        T[0] *= -1.0
    assert np.linalg.det(T) > 0
    assert fit_error(T, 6, "positive", rng) < 1e-4
    r = run_fit(2, [6], trials=3, mode="positive", seed=2)
    assert r["rows"][0]["worst"] < 1e-4


def test_positive_mode_cannot_reach_negative_det():
    T = np.diag([1.0, 1.0, 1.0, -1.0])
    assert fit_error(T, 6, "positive", np.random.default_rng(0)) > 1e-3


def test_coupling_product_shapes_alternate():
    d, k = 2, 2
    theta = np.arange(k * (d * d + d), dtype=float) + 1.0
    P = coupling_product(theta, d, k)
    L = np.eye(4); L[2:, :2] = [[1, 2], [3, 4]]; L[2:, 2:] = np.diag([5, 6])
    U = np.eye(4); U[:2, 2:] = [[7, 8], [9, 10]]; U[:2, :2] = np.diag([11, 12])
    assert np.allclose(P, L @ U)


def test_same_seed_same_result():
    """Same seed, same fit; errors at roundoff level may differ in the last bits (threaded BLAS sums)."""
    a = run_fit(2, [2, 4], trials=2, seed=5)
    b = run_fit(2, [2, 4], trials=2, seed=5)
    assert {k: v for k, v in a.items() if k != "rows"} == {k: v for k, v in b.items() if k != "rows"}
    for row_a, row_b in zip(a["rows"], b["rows"], strict=True):
        assert row_a["k"] == row_b["k"]
        for key in ("best", "median", "worst"):
            assert math.isclose(row_a[key], row_b[key], rel_tol=1e-9, abs_tol=1e-13)
    c = run_fit(2, [2, 4], trials=2, seed=6)
    assert c != a
    text = format_fit(a)
    assert "median" in text and len(text.splitlines()) == 4


def test_plot_fit_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    r = run_fit(2, range(1, 8), trials=2, seed=0)
    path = tmp_path / "fit.png"
    plot_fit(r, path)
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
