"""The Training panel: 2D densities (CD, PCD, DSM), energy-based regression and GAN-style EBMs trained
live, or any run directory followed live.

Modules: `worker` (the page's handle on its training process, `workbench.training_process`, which
writes the run directory and sends snapshots made by `workbench.snapshots`), `follow` (reads a run
directory every 500 ms), `transport` (the buttons), `run_page` (what every page shares), `live_plot`
(curves drawn at most twice a second), the pages `page_2d`, `page_regression`, `page_gan`,
`page_losses` with their controls and views, and `panel`, which stacks the pages.
"""
from workbench.panels.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
