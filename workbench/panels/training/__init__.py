"""The Training panel: unconditional 2D EBMs trained live (CD, PCD, DSM), or a run directory followed live.

Modules: `worker` (the training thread, run directory writing, snapshots), `controls`, `views`
(map with data and negatives, loss and TV curves), `follow` (reads a run directory every 500 ms),
and `panel`, which composes them.
"""
from workbench.panels.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
