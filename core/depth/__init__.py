"""Depth EBM: a conditional energy model for monocular depth (REFERENCES §5), on GPU or CPU.

    from core import depth
    model = depth.load_default_model()                     # the checkpoint shipped in assets/depth/
    image = depth.load_image("room.jpg")                   # (3, H, W) in [0, 1]
    result = depth.predict(model, image, steps=20)         # .initial .steps .mean .std .final, (H, W) metres
    depth.metrics.compute(result.final, gt)                # AbsRel, SqRel, RMSE, RMSE log, log10, δ1-3
    images, gt = depth.synthetic(100, (60, 80), split="test")

No network access: the data is generated or read from local files, the weights ship with the code.
"""
from __future__ import annotations

import os
from pathlib import Path

from core.depth import metrics
from core.depth.data import intrinsics, render, split_seeds, synthetic
from core.depth.loaders import (DepthFolder, DepthSample, NYUDepthV2, load_depth, load_folder, load_image, load_nyu,
                                load_sample, save_depth, save_depth_npy, save_depth_png)
from core.depth.model import ENERGIES, CNNEnergy, DepthModel, DepthPredictor, FrameEnergy
from core.depth.predict import MODES, DepthPrediction, langevin, predict, predict_initial

DEFAULT_CHECKPOINT = "depth-ebm.pt"


def assets_dir() -> Path:
    """The folder holding the shipped depth checkpoint: $EBM_DEPTH_ASSETS, else <repo>/assets/depth."""
    env = os.environ.get("EBM_DEPTH_ASSETS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "assets" / "depth"


def default_checkpoint() -> Path:
    """Path of the shipped checkpoint (it may be missing in a partial checkout)."""
    return assets_dir() / DEFAULT_CHECKPOINT


def load_default_model(device: str | None = None) -> DepthModel:
    """The depth model trained on the synthetic set that ships in assets/depth/ (ValueError if missing/corrupt)."""
    path = default_checkpoint()
    if not path.is_file():
        raise ValueError(f"the shipped depth checkpoint {str(path)!r} is missing; recreate it with "
                         "`ebm depth train` (see assets/depth/README.md)")
    model = DepthModel.load(path)
    return model.to(device) if device is not None else model


def synthetic_sample(index: int, split: str = "test", size: tuple[int, int] = (240, 320)) -> DepthSample:
    """Scene `index` of a synthetic split as a DepthSample (image (3, H, W), depth (H, W) metres)."""
    images, depth = synthetic(1, size, split, start=int(index))
    return DepthSample(images[0], depth[0], f"synthetic-{split}-{int(index)}")


__all__ = ["metrics", "synthetic", "render", "split_seeds", "intrinsics", "synthetic_sample",
           "DepthSample", "DepthFolder", "NYUDepthV2", "load_image", "load_depth", "load_sample", "load_folder",
           "load_nyu", "save_depth", "save_depth_png", "save_depth_npy",
           "DepthModel", "DepthPredictor", "FrameEnergy", "CNNEnergy", "ENERGIES",
           "predict", "predict_initial", "DepthPrediction", "langevin", "MODES",
           "load_default_model", "default_checkpoint", "assets_dir"]
