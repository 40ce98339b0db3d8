"""Training: trainers you can step (`core.training.create("ebm2d", ...)`), `fit`, `resume`."""
from __future__ import annotations

from core.training import ebm2d  # noqa: F401  (registers the trainer)
from core.regression import train as _regression  # noqa: F401  (registers "regression")
from core.training import gan  # noqa: F401  (registers "ebgan", "began", "magan")
from core.training import classifier, rbm  # noqa: F401  (registers "loss-explorer", "rbm")
from core.depth import train as _depth  # noqa: F401  (registers "depth")
from core.training.base import TRAINERS, Trainer, TrainingDiverged, create, fit, resume

__all__ = ["Trainer", "TrainingDiverged", "create", "fit", "resume", "names"]


def names() -> list[str]:
    """Registered trainer names."""
    return TRAINERS.names()
