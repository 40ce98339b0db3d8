"""Reading and writing images and depth maps: single files, folders, the NYU Depth v2 labeled file.

    load_image("room.jpg")                     # (3, H, W) float32 in [0, 1]
    load_depth("room.png", shape=(H, W))       # (H, W) float32 metres (16-bit PNG in mm, .npy/.npz in m)
    folder = DepthFolder("photos/")            # folder[i] -> DepthSample(image, depth or None, name)
    nyu = NYUDepthV2("nyu_depth_v2_labeled.mat", eigen_crop=True)   # nyu[i] -> DepthSample

Ground truth keeps its invalid pixels (0, NaN, inf); `core.depth.metrics.valid_mask` says which are
usable and every metric and loss masks them out. Anything unreadable raises ValueError naming the file
and what is wrong with it.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEPTH_SUFFIXES = (".png", ".npy", ".npz")
NYU_EIGEN_CROP = (slice(45, 471), slice(41, 601))  # rows, cols of the 480×640 frame
NYU_DEPTH_RANGE = (1e-3, 10.0)  # valid NYU depth in metres; outside is set to 0 (invalid)
PNG_DEPTH_SCALE = 1000.0  # 16-bit depth PNGs hold millimetres

PathLike = str | os.PathLike


@dataclass
class DepthSample:
    """One example: image (3, H, W) float32 in [0, 1]; depth (H, W) float32 metres or None; a name."""

    image: torch.Tensor
    depth: torch.Tensor | None = None
    name: str = ""


def _existing_file(path: PathLike, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{what} {str(p)!r} does not exist or is not a file")
    return p


def _open_pil(path: Path, what: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as fh:  # closed whatever happens (PIL keeps a failed file open otherwise)
            img = Image.open(fh)
            img.load()  # decode now: a truncated file fails here, not later
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"cannot read {what} {str(path)!r}: corrupt, truncated or not an image ({exc})") from None
    return img


def load_image(path: PathLike) -> torch.Tensor:
    """Read a PNG/JPEG as (3, H, W) float32 in [0, 1]; grey is replicated, alpha dropped, 16-bit rescaled."""
    p = _existing_file(path, "image")
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"unsupported image format {p.suffix or '(none)'!r} of {str(p)!r}; "
                         f"supported: {', '.join(IMAGE_SUFFIXES)}")
    from PIL import ImageOps

    img = _open_pil(p, "image")
    try:
        img = ImageOps.exif_transpose(img)  # honour the camera's orientation tag
    except Exception:  # a broken EXIF block must not make a readable image unreadable
        pass
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16/32-bit grey: scale to [0, 1], replicate
        arr = np.asarray(img).astype(np.float64)
        scale = 1.0 if img.mode == "F" else (65535.0 if arr.max(initial=0) <= 65535 else float(arr.max()))
        grey = np.clip(arr / scale, 0.0, 1.0).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(np.broadcast_to(grey, (3,) + grey.shape)))
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0  # L, P, RGBA, CMYK, … → RGB
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))


def _depth_array(arr: np.ndarray, path: Path) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[0] == 1:  # (1, H, W)
        arr = arr[0]
    elif arr.ndim == 3 and arr.shape[-1] == 1:  # (H, W, 1)
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"depth map {str(path)!r} must be 2-D (H, W), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"depth map {str(path)!r} must hold numbers, got dtype {arr.dtype}")
    return arr


def load_depth(path: PathLike, shape: Sequence[int] | None = None) -> torch.Tensor:
    """Read a depth map as (H, W) float32 metres: 16-bit PNG in millimetres, or .npy/.npz in metres.

    Invalid pixels (0, NaN, inf) are kept as they are; `shape` = (H, W) checks the size.
    """
    p = _existing_file(path, "depth map")
    suffix = p.suffix.lower()
    if suffix == ".png":
        img = _open_pil(p, "depth map")
        if img.mode not in ("I;16", "I;16B", "I;16L", "I"):
            raise ValueError(f"depth PNG {str(p)!r} has mode {img.mode!r}; expected a 16-bit single-channel PNG "
                             "in millimetres")
        arr = np.asarray(img).astype(np.float64) / PNG_DEPTH_SCALE
    elif suffix == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except Exception as exc:  # a damaged header alone raises SyntaxError, TokenError, EOFError…
            raise ValueError(f"cannot read depth map {str(p)!r}: not a valid .npy array ({exc})") from None
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"depth map {str(p)!r} is an archive, not a .npy array; name it .npz")
    elif suffix == ".npz":
        try:
            z = np.load(p, allow_pickle=False)
        except Exception as exc:  # a damaged archive or header: many exception kinds
            raise ValueError(f"cannot read depth map {str(p)!r}: not a valid .npz archive ({exc})") from None
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError(f"depth map {str(p)!r} is not a .npz archive (a plain .npy array? name it .npy)")
        try:
            with z:
                keys = list(z.keys())
                if "depth" in keys:
                    arr = z["depth"]
                elif len(keys) == 1:
                    arr = z[keys[0]]
                else:
                    raise ValueError(f"depth archive {str(p)!r} holds {keys or 'no arrays'}; expected an array "
                                     "named 'depth' or exactly one array")
        except (OSError, EOFError, zipfile.BadZipFile, RuntimeError, SyntaxError, KeyError) as exc:
            raise ValueError(f"cannot read depth map {str(p)!r}: not a valid .npz archive ({exc})") from None
    else:
        raise ValueError(f"unsupported depth format {suffix or '(none)'!r} of {str(p)!r}; "
                         f"supported: {', '.join(DEPTH_SUFFIXES)}")
    arr = _depth_array(arr, p)
    if shape is not None and tuple(arr.shape) != tuple(int(s) for s in shape):
        raise ValueError(f"depth map {str(p)!r} is {arr.shape[0]}×{arr.shape[1]} but its image is "
                         f"{int(shape[0])}×{int(shape[1])}")
    return torch.from_numpy(arr.astype(np.float32))


def load_sample(image_path: PathLike, depth_path: PathLike | None = None) -> DepthSample:
    """An image and (optionally) its depth map, checked to have the same size."""
    image = load_image(image_path)
    depth = load_depth(depth_path, shape=image.shape[1:]) if depth_path is not None else None
    return DepthSample(image, depth, Path(image_path).stem)


class DepthFolder:
    """The PNG/JPEG images of a folder (sorted by name), each with its depth map when one is found.

    The depth map of `room.jpg` is looked up, by file stem, as `DEPTH_DIR/room.{npy,npz,png}` (DEPTH_DIR:
    `depth_dir`, else a `depth/` sub-folder when there is one), then `room_depth.{png,npy,npz}` and
    `room.{npy,npz}` next to the image. Images named `*_depth.*` are depth maps, not inputs.
    """

    def __init__(self, folder: PathLike, depth_dir: PathLike | None = None) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ValueError(f"{str(self.folder)!r} is not a folder")
        if depth_dir is not None and not Path(depth_dir).is_dir():
            raise ValueError(f"depth folder {str(depth_dir)!r} is not a folder")
        self.depth_dir = Path(depth_dir) if depth_dir is not None else (
            self.folder / "depth" if (self.folder / "depth").is_dir() else None)
        self.image_paths = sorted(p for p in self.folder.iterdir() if p.is_file()
                                  and p.suffix.lower() in IMAGE_SUFFIXES and not p.stem.endswith("_depth"))
        if not self.image_paths:
            raise ValueError(f"folder {str(self.folder)!r} holds no {'/'.join(IMAGE_SUFFIXES)} images")
        self.depth_paths = [self._find_depth(p) for p in self.image_paths]

    def _find_depth(self, image: Path) -> Path | None:
        stem = image.stem
        candidates = []
        if self.depth_dir is not None:
            candidates += [self.depth_dir / f"{stem}{s}" for s in (".npy", ".npz", ".png")]
        candidates += [self.folder / f"{stem}_depth{s}" for s in (".png", ".npy", ".npz")]
        candidates += [self.folder / f"{stem}{s}" for s in (".npy", ".npz")]
        return next((c for c in candidates if c.is_file()), None)

    @property
    def names(self) -> list[str]:
        """File stems of the images, in order."""
        return [p.stem for p in self.image_paths]

    def __len__(self) -> int:
        return len(self.image_paths)

    def __getitem__(self, index: int) -> DepthSample:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        return load_sample(self.image_paths[index], self.depth_paths[index])

    def __iter__(self) -> Iterator[DepthSample]:
        return (self[i] for i in range(len(self)))


def load_folder(folder: PathLike, depth_dir: PathLike | None = None) -> DepthFolder:
    """The images of `folder` with their depth maps (see `DepthFolder`); samples load lazily."""
    return DepthFolder(folder, depth_dir)


class NYUDepthV2:
    """The NYU Depth v2 labeled file (`nyu_depth_v2_labeled.mat`, MATLAB v7.3 = HDF5) read with h5py.

    Through h5py `images` is (N, 3, 640, 480) uint8 and `depths` (N, 640, 480) float32 metres: both are
    transposed to (480, 640). `eigen_crop` keeps rows 45:471 and columns 41:601. Depth outside
    (1e-3, 10) m is set to 0 (invalid). The file is opened per access, so samples can be read from any
    thread.
    """

    def __init__(self, path: PathLike, eigen_crop: bool = False) -> None:
        self.path = _existing_file(path, "NYU file")
        self.eigen_crop = bool(eigen_crop)
        try:
            self._check_layout()
        except (RuntimeError, KeyError, TypeError, OSError, AttributeError) as exc:  # h5py on a damaged file
            raise ValueError(f"cannot read {str(self.path)!r}: damaged HDF5 structure ({exc})") from None
        if self.eigen_crop and self.frame_size != (480, 640):
            raise ValueError(f"the Eigen crop needs 480×640 frames; {str(self.path)!r} has "
                             f"{self.frame_size[0]}×{self.frame_size[1]}")

    def _check_layout(self) -> None:
        with self._open() as f:
            missing = [k for k in ("images", "depths") if k not in f]
            if missing:
                raise ValueError(f"{str(self.path)!r} has no dataset {' or '.join(map(repr, missing))} "
                                 f"(found: {', '.join(sorted(f.keys())) or 'nothing'}); is it nyu_depth_v2_labeled.mat?")
            images, depths = f["images"], f["depths"]
            if images.ndim != 4 or images.shape[1] != 3 or depths.ndim != 3:
                raise ValueError(f"{str(self.path)!r}: expected images (N, 3, W, H) and depths (N, W, H), got "
                                 f"{images.shape} and {depths.shape}")
            if images.shape[0] != depths.shape[0] or images.shape[2:] != depths.shape[1:]:
                raise ValueError(f"{str(self.path)!r}: images {images.shape} and depths {depths.shape} do not match")
            self._len = int(images.shape[0])
            self.frame_size = (int(images.shape[3]), int(images.shape[2]))  # (H, W) after the transpose

    def _open(self):
        import h5py

        try:
            return h5py.File(self.path, "r")
        except OSError as exc:
            raise ValueError(f"cannot read {str(self.path)!r} as HDF5 (a MATLAB v7.3 .mat file): {exc}") from None

    def __len__(self) -> int:
        return self._len

    def load(self, indices: Sequence[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (n, 3, H, W) float32 in [0, 1] and depth (n, H, W) metres (0 where invalid)."""
        idx = []
        for i in (range(self._len) if indices is None else indices):
            if not -self._len <= int(i) < self._len:
                raise IndexError(f"index {int(i)} out of range for {self._len} NYU samples")
            idx.append(int(i) % self._len)
        if not idx:
            raise ValueError("no indices given")
        unique, back = np.unique(np.asarray(idx, dtype=np.int64), return_inverse=True)
        with self._open() as f:
            try:
                img = f["images"][unique.tolist()]  # h5py wants increasing, unique indices
                dep = f["depths"][unique.tolist()]
            except (OSError, TypeError, ValueError, RuntimeError, KeyError) as exc:  # damaged chunks too
                raise ValueError(f"cannot read samples of {str(self.path)!r}: {exc}") from None
        img, dep = img[back], dep[back]
        if img.dtype != np.uint8:
            raise ValueError(f"{str(self.path)!r}: images must be uint8, got {img.dtype}")
        images = torch.from_numpy(np.ascontiguousarray(img.transpose(0, 1, 3, 2))).float() / 255.0
        depth = torch.from_numpy(np.ascontiguousarray(dep.transpose(0, 2, 1)).astype(np.float32))
        lo, hi = NYU_DEPTH_RANGE
        depth = torch.where(torch.isfinite(depth) & (depth > lo) & (depth < hi), depth, torch.zeros_like(depth))
        if self.eigen_crop:
            rows, cols = NYU_EIGEN_CROP
            images, depth = images[:, :, rows, cols], depth[:, rows, cols]
        return images.contiguous(), depth.contiguous()

    def __getitem__(self, index: int) -> DepthSample:
        images, depth = self.load([index])
        return DepthSample(images[0], depth[0], f"nyu-{int(index) % self._len:04d}")


def load_nyu(path: PathLike, indices: Sequence[int] | None = None,
             eigen_crop: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (n, 3, H, W) in [0, 1] and depth (n, H, W) metres from nyu_depth_v2_labeled.mat."""
    return NYUDepthV2(path, eigen_crop).load(indices)


# --- writing ----------------------------------------------------------------------------------
def _depth_numpy(depth: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = depth.detach().cpu().numpy() if isinstance(depth, torch.Tensor) else np.asarray(depth)
    if arr.ndim != 2:
        raise ValueError(f"depth must be (H, W), got shape {arr.shape}")
    return arr.astype(np.float32)


def save_depth_png(path: PathLike, depth: torch.Tensor | np.ndarray) -> Path:
    """Write (H, W) metres as a 16-bit PNG in millimetres (0 = invalid; values clipped to 65.535 m)."""
    from PIL import Image

    arr = _depth_numpy(depth)
    mm = np.where(np.isfinite(arr) & (arr > 0), np.round(arr * PNG_DEPTH_SCALE), 0)
    mm = np.clip(mm, 0, 65535).astype(np.uint16)
    p = Path(path)
    Image.fromarray(mm).save(p, format="PNG")  # uint16 → mode I;16
    return p


def save_depth_npy(path: PathLike, depth: torch.Tensor | np.ndarray) -> Path:
    """Write (H, W) metres as a float32 .npy array."""
    p = Path(path)
    np.save(p, _depth_numpy(depth), allow_pickle=False)
    return p


def save_depth(path: PathLike, depth: torch.Tensor | np.ndarray) -> Path:
    """Write (H, W) metres by suffix: .png (16-bit, mm) or .npy (float32, m)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return save_depth_png(path, depth)
    if suffix == ".npy":
        return save_depth_npy(path, depth)
    raise ValueError(f"cannot write depth as {suffix or '(none)'!r}; use .png (16-bit mm) or .npy (metres)")
