"""The Training panel: 2D densities (CD, PCD, DSM), energy-based regression and GAN-style EBMs trained
live, or any run directory followed live.

Modules: `worker` (the training thread, run directory writing, snapshots), `follow` (reads a run directory
every 500 ms), `transport` (the buttons), `run_page` (what every page shares), the pages `page_2d`,
`page_regression`, `page_gan` with their controls and views, and `panel`, which stacks the pages.
"""
from workbench.panels.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
