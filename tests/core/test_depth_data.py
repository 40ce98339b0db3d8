"""Synthetic indoor scenes: deterministic, disjoint splits, plausible depth, NYU-like camera (no Qt)."""
import pytest
import torch

from core.depth import data


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_same_seed_same_scene_in_any_batch():
    images, depth = data.synthetic(6, (60, 80), "train")
    assert images.shape == (6, 3, 60, 80) and depth.shape == (6, 60, 80)
    assert images.dtype == torch.float32 and depth.dtype == torch.float32
    again_images, again_depth = data.synthetic(6, (60, 80), "train")
    assert torch.equal(images, again_images) and torch.equal(depth, again_depth)
    # image i depends on its own seed only, not on the batch it was rendered in (up to float rounding)
    one_image, one_depth = data.synthetic(1, (60, 80), "train", start=4)
    assert torch.equal(one_image[0], images[4])
    torch.testing.assert_close(one_depth[0], depth[4], rtol=1e-5, atol=1e-5)
    reordered, _ = data.render(list(reversed(data.split_seeds("train", 6))), (60, 80))
    assert torch.equal(reordered.flip(0), images)


def test_splits_are_disjoint_and_scenes_differ():
    seeds = {s: set(data.split_seeds(s, 1000)) for s in data.SPLITS}
    assert not seeds["train"] & seeds["val"] and not seeds["train"] & seeds["test"] and not seeds["val"] & seeds["test"]
    train, _ = data.synthetic(2, (60, 80), "train")
    test, _ = data.synthetic(2, (60, 80), "test")
    assert not torch.equal(train[0], train[1]) and not torch.equal(train[0], test[0])
    with pytest.raises(ValueError, match="unknown split"):
        data.split_seeds("dev", 3)
    with pytest.raises(ValueError, match="start \\+ n"):
        data.split_seeds("train", 10, start=data.SPLIT_STRIDE - 5)


@pytest.mark.parametrize("size", [(60, 80), (240, 320)])
def test_images_and_depth_are_in_range(size):
    images, depth = data.synthetic(3, size, "val")
    assert images.shape == (3, 3, *size)
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert torch.isfinite(depth).all()
    assert float(depth.min()) > 0.3 and float(depth.max()) <= data.MAX_DEPTH
    assert float(images.std()) > 0.05  # textured and shaded, not flat
    assert torch.equal(torch.round(images * 255) / 255, images)  # 8-bit values


def test_depth_is_metric_z_depth_of_the_nyu_camera():
    fx, fy, cx, cy = data.intrinsics((480, 640))
    assert (fx, fy, cx, cy) == pytest.approx(data.NYU_INTRINSICS)
    fx, fy, cx, cy = data.intrinsics((60, 80))
    assert fx == pytest.approx(518.857901 / 8) and cy == pytest.approx(253.736166 / 8)
    # the same scene at two resolutions: coarse depth ≈ the fine depth at the same pixel centres
    _, coarse = data.synthetic(2, (60, 80), "test")
    _, fine = data.synthetic(2, (240, 320), "test")
    pooled = torch.nn.functional.avg_pool2d(fine[:, None], 4)[:, 0]
    assert float(((pooled - coarse).abs() / coarse).median()) < 0.02


@pytest.mark.parametrize("size", [(8, 80), (60, 2000), ("a", 3), (60,)])
def test_bad_size_is_a_value_error(size):
    with pytest.raises(ValueError, match="size"):
        data.synthetic(1, size)
