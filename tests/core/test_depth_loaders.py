"""Depth loaders: the NYU v2 HDF5 layout, folders of images with depth maps, conversions, errors (no Qt)."""
import numpy as np
import pytest
import torch
from PIL import Image

from core import depth
from core.depth import loaders


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_nyu(path, n=2, frame=(480, 640)):
    """A small file with the real layout: through h5py images (N, 3, W, H) uint8, depths (N, W, H) float32."""
    import h5py

    h, w = frame
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 3, h, w), dtype=np.uint8)  # what the loader must return, (H, W) order
    depths = rng.uniform(0.5, 9.5, (n, h, w)).astype(np.float32)
    depths[:, 0, 0] = 0.0  # missing Kinect depth
    depths[:, 0, 1] = 12.0  # beyond the valid range
    depths[:, 0, 2] = np.nan
    with h5py.File(path, "w") as f:
        f["images"] = images.transpose(0, 1, 3, 2)  # MATLAB column-major: stored as (N, 3, W, H)
        f["depths"] = depths.transpose(0, 2, 1)
        f["labels"] = np.zeros((n, w, h), dtype=np.uint16)
    return images, depths


def test_nyu_loader_transposes_crops_and_masks(tmp_path):
    path = tmp_path / "nyu_depth_v2_labeled.mat"
    images, depths = write_nyu(path)
    nyu = depth.NYUDepthV2(path)
    assert len(nyu) == 2 and nyu.frame_size == (480, 640)
    img, dep = nyu.load([1, 0])
    assert img.shape == (2, 3, 480, 640) and dep.shape == (2, 480, 640)
    assert torch.equal((img[0] * 255).round().to(torch.uint8), torch.from_numpy(images[1]))
    assert dep[1, 5, 7] == pytest.approx(float(depths[0, 5, 7]))
    assert dep[0, 0, 0] == 0 and dep[0, 0, 1] == 0 and dep[0, 0, 2] == 0  # invalid → 0
    sample = nyu[1]
    assert sample.image.shape == (3, 480, 640) and torch.equal(sample.depth, dep[0]) and sample.name == "nyu-0001"
    crop_img, crop_dep = depth.load_nyu(path, [0], eigen_crop=True)
    assert crop_img.shape == (1, 3, 426, 560) and crop_dep.shape == (1, 426, 560)
    assert crop_dep[0, 0, 0] == pytest.approx(float(depths[0, 45, 41]))
    with pytest.raises(IndexError):
        nyu[2]


def test_nyu_loader_errors(tmp_path):
    import h5py

    bad = tmp_path / "other.mat"
    with h5py.File(bad, "w") as f:
        f["images"] = np.zeros((1, 3, 8, 6), dtype=np.uint8)
    with pytest.raises(ValueError, match="no dataset 'depths'"):
        depth.NYUDepthV2(bad)
    not_hdf5 = tmp_path / "v5.mat"
    not_hdf5.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(ValueError, match="HDF5"):
        depth.NYUDepthV2(not_hdf5)
    small = tmp_path / "small.mat"
    write_nyu(small, n=1, frame=(12, 16))
    assert depth.load_nyu(small)[0].shape == (1, 3, 12, 16)
    with pytest.raises(ValueError, match="Eigen crop needs 480×640"):
        depth.NYUDepthV2(small, eigen_crop=True)
    with pytest.raises(ValueError, match="does not exist"):
        depth.NYUDepthV2(tmp_path / "missing.mat")


def test_folder_with_png_npy_and_npz_depth(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    gt = np.linspace(0.5, 4.0, 12 * 16, dtype=np.float32).reshape(12, 16)
    gt[0, 0] = 0.0
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(rgb).save(tmp_path / "b.jpg", quality=95)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    Image.fromarray(rgb).save(tmp_path / "d.png")
    Image.fromarray(np.round(gt * 1000).astype(np.uint16)).save(tmp_path / "a_depth.png")  # 16-bit mm
    np.save(tmp_path / "b.npy", gt)
    np.savez(tmp_path / "c.npz", depth=gt)
    (tmp_path / "notes.txt").write_text("not an image")
    folder = depth.load_folder(tmp_path)
    assert folder.names == ["a", "b", "c", "d"] and len(folder) == 4
    a, b, c, d = list(folder)
    assert a.image.shape == (3, 12, 16) and torch.equal((a.image * 255).round().to(torch.uint8),
                                                         torch.from_numpy(rgb).permute(2, 0, 1))
    np.testing.assert_allclose(a.depth.numpy(), gt, atol=5e-4)  # mm rounding
    np.testing.assert_array_equal(b.depth.numpy(), gt)
    np.testing.assert_array_equal(c.depth.numpy(), gt)
    assert d.depth is None and b.image.shape == (3, 12, 16)
    # a depth/ sub-folder is searched first
    (tmp_path / "depth").mkdir()
    np.save(tmp_path / "depth" / "d.npy", gt)
    assert depth.load_folder(tmp_path)[3].depth is not None


def test_image_conversions(tmp_path):
    grey = np.arange(12 * 16, dtype=np.uint8).reshape(12, 16)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    img = depth.load_image(tmp_path / "grey.png")
    assert img.shape == (3, 12, 16) and torch.equal(img[0], img[2])
    assert img[0, 0, 5] == pytest.approx(5 / 255)
    rgba = np.zeros((12, 16, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    img = depth.load_image(tmp_path / "rgba.png")
    assert img.shape == (3, 12, 16) and img[0, 0, 0] == pytest.approx(200 / 255)  # alpha dropped
    g16 = (np.arange(12 * 16, dtype=np.uint16).reshape(12, 16) * 300)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    img = depth.load_image(tmp_path / "g16.png")
    assert img.shape == (3, 12, 16) and float(img.max()) <= 1.0
    assert img[0, 0, 1] == pytest.approx(300 / 65535, rel=1e-5)
    Image.fromarray(grey).convert("P").save(tmp_path / "palette.png")
    assert depth.load_image(tmp_path / "palette.png").shape == (3, 12, 16)


def test_bad_files_raise_value_errors(tmp_path):
    rgb = np.zeros((12, 16, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    Image.fromarray(rgb).save(tmp_path / "x.bmp")
    with pytest.raises(ValueError, match="truncated.png"):
        depth.load_image(tmp_path / "truncated.png")
    with pytest.raises(ValueError, match="corrupt"):
        depth.load_image(tmp_path / "garbage.jpg")
    with pytest.raises(ValueError, match="unsupported image format '.bmp'"):
        depth.load_image(tmp_path / "x.bmp")
    with pytest.raises(ValueError, match="does not exist"):
        depth.load_image(tmp_path / "missing.png")
    np.save(tmp_path / "wrong.npy", np.ones((5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="is 5×5 but its image is 12×16"):
        depth.load_sample(tmp_path / "ok.png", tmp_path / "wrong.npy")
    with pytest.raises(ValueError, match="16-bit"):
        depth.load_depth(tmp_path / "ok.png")  # an 8-bit RGB PNG is not a depth map
    np.save(tmp_path / "cube.npy", np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="2-D"):
        depth.load_depth(tmp_path / "cube.npy")
    np.savez(tmp_path / "two.npz", a=np.ones((2, 2)), b=np.ones((2, 2)))
    with pytest.raises(ValueError, match="named 'depth'"):
        depth.load_depth(tmp_path / "two.npz")
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="bad.npy"):
        depth.load_depth(tmp_path / "bad.npy")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no"):
        depth.load_folder(empty)


def test_export_helpers_round_trip(tmp_path):
    d = torch.tensor([[0.0, 1.2345], [float("nan"), 70.0]])
    depth.save_depth(tmp_path / "d.png", d)
    back = depth.load_depth(tmp_path / "d.png")
    assert back[0, 1] == pytest.approx(1.2345, abs=1e-3)  # millimetre rounding
    assert back[0, 0] == 0 and back[1, 0] == 0  # invalid stays invalid (0)
    assert back[1, 1] == pytest.approx(65.535)  # clipped to the 16-bit range
    assert Image.open(tmp_path / "d.png").mode.startswith("I")
    depth.save_depth(tmp_path / "d.npy", d)
    assert torch.equal(depth.load_depth(tmp_path / "d.npy").nan_to_num(-1), d.nan_to_num(-1))
    with pytest.raises(ValueError, match="use .png"):
        depth.save_depth(tmp_path / "d.tif", d)
    assert loaders.DepthSample(torch.zeros(3, 2, 2)).depth is None
