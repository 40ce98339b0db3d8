"""The Landscape panel: built-in energies, formulas and trained models as exact 1D curves, 2D maps and
3D surfaces, with energy / density / log-density, temperature and the exact log Z.

Modules: `energy_source` (which energy), `controls` (how to look at it), `compute` (grids, off the GUI
thread when slow), `surface3d` (vispy view), `export` (PNG / CSV / NPZ, no dialogs), `panel` (all of it).
"""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from workbench.panels.landscape.panel import LandscapePanel

__all__ = ["LandscapePanel", "landscape_panel"]


def landscape_panel(parent: QWidget | None = None) -> LandscapePanel:
    """Panel factory for the registry: the panel shares `parent`'s `EnergyState` when it has one."""
    return LandscapePanel(parent)
