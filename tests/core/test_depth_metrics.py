"""Depth metrics against values computed by hand, and masking of invalid ground truth (no Qt)."""
import math

import pytest
import torch

from core.depth import metrics


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


NAN, INF = float("nan"), float("inf")


def hand_values():
    # two valid pixels: gt 1 / pred 2 and gt 5 / pred 4.5
    return {
        "abs_rel": (1 / 1 + 0.5 / 5) / 2,
        "sq_rel": (1 / 1 + 0.25 / 5) / 2,
        "rmse": math.sqrt((1 + 0.25) / 2),
        "rmse_log": math.sqrt((math.log(2) ** 2 + math.log(5 / 4.5) ** 2) / 2),
        "log10": (math.log10(2) + math.log10(5 / 4.5)) / 2,
        "d1": 0.5, "d2": 0.5, "d3": 0.5,  # thr 2 fails all three (1.25³ ≈ 1.95), thr 1.11 passes
    }


def test_metrics_by_hand():
    m = metrics.compute(torch.tensor([[2.0, 4.5]]), torch.tensor([[1.0, 5.0]]))
    for key, value in hand_values().items():
        assert m[key] == pytest.approx(value, rel=1e-12), key
    assert m["n_images"] == 1 and m["n_pixels"] == 2


def test_invalid_ground_truth_is_never_averaged_in():
    gt = torch.tensor([[1.0, 5.0, 0.0], [NAN, INF, -INF]])
    pred = torch.tensor([[2.0, 4.5, 3.0], [7.0, 0.5, 100.0]])
    m = metrics.compute(pred, gt)
    for key, value in hand_values().items():
        assert m[key] == pytest.approx(value, rel=1e-12), key
    assert m["n_pixels"] == 2
    mask = metrics.valid_mask(gt)
    assert mask.tolist() == [[True, True, False], [False, False, False]]
    # an explicit mask restricts further; max_depth excludes far pixels
    only_first = metrics.compute(pred, gt, mask=torch.tensor([[True, False, True], [True, True, True]]))
    assert only_first["abs_rel"] == pytest.approx(1.0) and only_first["n_pixels"] == 1
    assert metrics.compute(pred, gt, max_depth=4.0)["n_pixels"] == 1


def test_per_image_average_and_empty_images():
    gt = torch.tensor([[[1.0, 5.0]], [[2.0, 0.0]], [[0.0, NAN]]])
    pred = torch.tensor([[[2.0, 4.5]], [[2.0, 9.0]], [[1.0, 1.0]]])
    m = metrics.compute(pred, gt)
    assert m["n_images"] == 2  # the third image has no valid pixel: skipped
    assert m["abs_rel"] == pytest.approx((hand_values()["abs_rel"] + 0.0) / 2)
    rows = metrics.compute(pred, gt, per_image=True)
    assert len(rows) == 2 and rows[1]["d1"] == 1.0
    with pytest.raises(ValueError, match="no valid ground-truth"):
        metrics.compute(torch.ones(2, 2), torch.zeros(2, 2))


def test_median_scaling_and_prediction_clamp():
    gt = torch.tensor([[1.0, 2.0, 4.0]])
    m = metrics.compute(2.5 * gt, gt, median_scaling=True)
    assert m["abs_rel"] == pytest.approx(0.0, abs=1e-12) and m["d1"] == 1.0
    # a non-positive prediction is clamped to min_depth instead of producing NaN
    bad = metrics.compute(torch.tensor([[0.0, -1.0, 4.0]]), gt)
    assert all(math.isfinite(v) for v in bad.values())


def test_error_map_and_shapes():
    gt = torch.tensor([[1.0, 0.0], [4.0, NAN]])
    pred = torch.tensor([[1.5, 2.0], [3.0, 1.0]])
    err = metrics.error_map(pred, gt)
    assert err[0, 0] == pytest.approx(0.5) and err[1, 0] == pytest.approx(1.0)
    assert torch.isnan(err[0, 1]) and torch.isnan(err[1, 1])
    assert metrics.error_map(pred, gt, "abs_rel")[1, 0] == pytest.approx(0.25)
    assert metrics.error_map(pred, gt, "signed")[1, 0] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="same shape"):
        metrics.compute(torch.ones(2, 3), torch.ones(3, 2))
    with pytest.raises(ValueError, match="unknown error kind"):
        metrics.error_map(pred, gt, "log")
    table = metrics.format_table({"x": metrics.compute(pred, gt)})
    assert "AbsRel ↓" in table and "δ<1.25 ↑" in table
