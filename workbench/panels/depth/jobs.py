"""Work the Depth panel runs in the thread pool: loading the model and samples, predicting, and the
collections a user steps through (a folder, an NYU file, the synthetic test split). All maths is `core.depth`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from core import depth
from core.depth import metrics

SYNTHETIC_SIZE = (240, 320)
SYNTHETIC_COUNT = 1000


@dataclass
class DepthResult:
    """A prediction with what the views need, as float32 numpy (H, W) maps at the image's size."""

    sample: depth.DepthSample
    prediction: depth.DepthPrediction
    image: np.ndarray  # (H, W, 3) in [0, 1]
    steps: list[np.ndarray]  # steps[0] = initial, steps[k] after k refinement moves
    final: np.ndarray
    std: np.ndarray
    gt: np.ndarray | None
    error: np.ndarray | None  # |pred − gt| / gt, NaN where gt is invalid
    table: dict[str, dict[str, float]] = field(default_factory=dict)  # row label → metrics


class SyntheticScenes:
    """The synthetic test split as a collection: scene i is rendered on demand at 240×320."""

    name = "synthetic test scenes"

    def __len__(self) -> int:
        return SYNTHETIC_COUNT

    def __getitem__(self, index: int) -> depth.DepthSample:
        return depth.synthetic_sample(index, "test", SYNTHETIC_SIZE)


def open_collection(kind: str, path: str | None = None) -> Any:
    """A sequence of `DepthSample`s: "folder" (images with optional depth), "nyu" (.mat), "synthetic"."""
    if kind == "folder":
        return depth.load_folder(path)
    if kind == "nyu":
        return depth.NYUDepthV2(path)
    if kind == "synthetic":
        return SyntheticScenes()
    raise ValueError(f"unknown collection {kind!r}; allowed: folder, nyu, synthetic")


def load_item(collection: Any, index: int) -> depth.DepthSample:
    """Item `index` of `collection` (IndexError becomes a ValueError with the allowed range)."""
    try:
        return collection[index]
    except IndexError:
        raise ValueError(f"index {index} is outside 0…{len(collection) - 1}") from None


def _np(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32)


def run_prediction(model: depth.DepthModel, sample: depth.DepthSample, steps: int, energy: str | None,
                   mode: str | None = None, report: Callable[..., None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> DepthResult:
    """Predict `sample` with T = `steps` refinement moves; metrics of the initial and refined maps when
    the sample has ground truth of the image's size."""
    callback = None if report is None else (lambda k, total, _d: report(k, total))
    pred = depth.predict(model, sample.image, steps=steps, energy=energy, mode=mode, callback=callback,
                         should_stop=should_stop)
    gt = sample.depth
    table: dict[str, dict[str, float]] = {}
    error = None
    if gt is not None:
        if tuple(gt.shape) != tuple(pred.final.shape):
            raise ValueError(f"ground truth is {tuple(gt.shape)} but the image is {tuple(pred.final.shape)}: "
                             "depth maps must have the image's size")
        try:
            table["initial predictor"] = metrics.compute(pred.initial, gt)
            table[f"+ EBM refinement ({pred.energy_name}, T={len(pred.steps) - 1})"] = metrics.compute(pred.final, gt)
        except ValueError:  # no valid ground-truth pixel: maps without metrics
            table = {}
        error = _np(metrics.error_map(pred.final, gt, "abs_rel"))
    return DepthResult(sample, pred, _np(sample.image.permute(1, 2, 0)), [_np(s) for s in pred.steps],
                       _np(pred.final), _np(pred.std), None if gt is None else _np(gt), error, table)
