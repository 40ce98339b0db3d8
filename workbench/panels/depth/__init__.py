"""The Depth panel: predict depth with the depth EBM and compare it with ground truth.

Modules: `jobs` (pool work: model, samples, prediction), `views` (the four maps on one scale), `cloud`
(vispy point cloud) and `panel`, which composes them."""
from workbench.panels.depth.panel import DepthPanel

__all__ = ["DepthPanel"]
