"""What a training process sends each Training page to draw (Qt-free: it runs in the training process).

Each function is a `TrainSettings.snapshot(trainer, first)`: numpy copies of the views of one family of
trainers (`first` is True for the first snapshot of a run, which carries what never changes: the data,
the true density). They are module-level functions or picklable objects, so they can be sent to the
training process; the pages also call them on a checkpoint to draw a followed run.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from core import energy_losses, landscape
from core.regression.problems import X_RANGE

GRID_RESOLUTION = 128  # 2D maps (learned density, GAN discriminator)
MAX_POINTS = 1000  # data points, negatives and generated points sent per snapshot
N_MONITOR = 32  # GAN monitor: real and fake examples with their reconstructions
N_X, N_Y = 121, 241  # regression: grid of the live p(y|x) maps (x, y); the metric uses its own, finer grid


def _f32(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32)


def _grid(land: landscape.Landscape, fields: tuple[str, ...]) -> dict[str, Any]:
    """A landscape's bounds, axes and `fields` as numpy copies (float32 values)."""
    return {"bounds": [tuple(b) for b in land.bounds], "axes": [a.numpy().copy() for a in land.axes],
            **{name: _f32(getattr(land, name)) for name in fields}}


def grid_of(trainer: Any) -> dict[str, Any]:
    """Exact density of an "ebm2d" trainer's EMA energy on a 128² grid, as float32 numpy arrays."""
    return _grid(landscape.density(trainer.ema_energy, GRID_RESOLUTION), ("energy", "log_density", "density"))


def negatives_of(trainer: Any) -> np.ndarray | None:
    """The current negatives (or a replay-buffer sample) as a (≤1000, 2) numpy copy."""
    x = trainer.negatives if trainer.negatives is not None else trainer.buffer
    return None if x is None else x[:MAX_POINTS].detach().cpu().numpy().copy()


def snapshot_2d(trainer: Any, first: bool) -> dict[str, Any]:
    """2D densities: the grid, the negatives and, the first time, the data points."""
    out = {"grid": grid_of(trainer), "negatives": negatives_of(trainer)}
    if first:
        out["data"] = trainer.data[:MAX_POINTS].cpu().numpy().copy()
    return out


def gan_snapshot(trainer: Any, first: bool) -> dict[str, Any]:
    """GAN-style EBMs. Image mode: fixed real and fake examples with reconstructions and energies, and
    64 samples; 2D mode: the discriminator's energy on a grid, real (first time) and generated points."""
    out: dict[str, Any] = {"image_shape": trainer.image_shape}
    if trainer.image:
        out.update(trainer.monitor_batch(N_MONITOR))
        out["generated"] = trainer.sample(64, seed=1).numpy()
        return out
    out["grid"] = _grid(landscape.evaluate(trainer.landscape_energy(), GRID_RESOLUTION), ("energy",))
    out["generated"] = trainer.sample(MAX_POINTS, seed=1).numpy()
    if first:
        out["real"] = trainer.data[:MAX_POINTS].numpy().copy()
    return out


def regression_grids(trainer: Any, first: bool) -> dict[str, Any]:
    """Regression: p(y|x) of the EBM (and proposal) on the live grid; the truth and data the first time."""
    model = trainer.model()
    xs = torch.linspace(*X_RANGE, N_X).view(-1, 1)
    ys, logp = model.log_density_grid(xs, n_y=N_Y)
    out: dict[str, Any] = {"x": xs.view(-1).numpy().copy(), "y": ys.numpy().copy(),
                           "model": logp.exp().numpy().astype(np.float32)}
    out["proposal"] = (model.proposal_log_density_grid(xs, n_y=N_Y)[1].exp().numpy().astype(np.float32)
                       if model.proposal is not None else None)
    if first:
        if trainer.problem is not None:
            out["true"] = trainer.problem.log_density(xs, ys.view(1, -1)).exp().numpy().astype(np.float32)
        out["data"] = torch.cat([trainer.x, trainer.y], 1)[:MAX_POINTS].numpy().copy()
    return out


class ProbeSnapshot:
    """Loss explorer: the chosen test image's 10 energies. The page changes `index` and sends the
    object again (`TrainWorker.update_snapshot`) to probe another image while training."""

    def __init__(self, index: int = 0) -> None:
        self.index = index

    def __call__(self, trainer: Any, first: bool) -> dict[str, Any]:
        i = int(np.clip(self.index, 0, len(trainer.x_test) - 1))
        x = trainer.x_test[i]
        energies = trainer.energies(x[None])[0]
        label = int(trainer.y_test[i])
        return {"index": i, "image": x.cpu().numpy(), "energies": energies.cpu().numpy(), "label": label,
                "margin": float(trainer.params["margin"]), "loss": trainer.loss_name,
                "decision": int(energy_losses.decide(energies[None])[0]),
                "gap": float(energy_losses.margin(energies[None], torch.tensor([label]))[0])}
