"""The sampler's picture: the landscape (2D map or 1D curve) with the chain overlay on top.

`ChainView` switches between `Map2D` and `Curve1D` with the energy's dimension, forwards clicks
in model units, and draws snapshots through the overlay that fits.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from core.landscape import Landscape
from workbench.panels.sampler.overlay import (ACCEPT_RGB, CHAIN_RGB, REJECT_RGB, ChainOverlay1D,
                                              ChainOverlay2D)
from workbench.panels.sampler.session import Snapshot
from workbench.widgets.landscape_view import Curve1D, Map2D

MAP_MODE = "log_density"  # bright where likely, and the tails stay visible


def _legend() -> str:
    dot = "<span style='color:rgb{}'>{}</span>"
    return (f"{dot.format(CHAIN_RGB, '●')} chains &nbsp; {dot.format(ACCEPT_RGB, '━')} accepted &nbsp; "
            f"{dot.format(REJECT_RGB, '━')} rejected &nbsp; ✚ start")


class ChainView(QWidget):
    """Map2D or Curve1D (by the energy's dimension) with the chains drawn over it."""

    clicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map = Map2D()
        self.curve = Curve1D()
        self.overlay2d = ChainOverlay2D(self.map.plot)
        self.overlay1d = ChainOverlay1D(self.curve.plot)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.map)
        self.stack.addWidget(self.curve)
        self.readout = QLabel(_legend())
        self.readout.setObjectName("sampler_readout")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.readout)
        self.dim = 2
        for view in (self.map, self.curve):
            view.clicked.connect(self.clicked)
            view.hovered.connect(self._on_hover)

    @property
    def overlay(self) -> ChainOverlay2D | ChainOverlay1D:
        """The overlay of the view in use."""
        return self.overlay2d if self.dim == 2 else self.overlay1d

    @property
    def view(self) -> Map2D | Curve1D:
        """The landscape widget in use (what a GIF records)."""
        return self.map if self.dim == 2 else self.curve

    def set_landscape(self, land: Landscape) -> None:
        """Show `land` (density-normalised) in the view of its dimension."""
        self.dim = land.energy.dim()
        if self.dim == 2:
            self.map.set_landscape(land, MAP_MODE)
        else:
            self.curve.set_landscape(land, "energy")
        self.overlay.bounds = list(land.bounds)
        self.stack.setCurrentWidget(self.view)
        self.overlay2d.clear()
        self.overlay1d.clear()

    def draw(self, snap: Snapshot, trails: bool, proposals: bool) -> None:
        """Draw `snap` on the view in use (a snapshot of another dimension is ignored)."""
        if snap.x.ndim == 2 and snap.x.shape[1] == self.dim:
            self.overlay.draw(snap, trails, proposals)

    def set_start(self, centre: tuple[float, ...] | None, radius: float | None = None) -> None:
        """Mark where chains start (None: nowhere, e.g. uniform starts); `radius` for a blob."""
        self.overlay2d.set_start(centre if self.dim == 2 else None, radius)
        self.overlay1d.set_start(centre if self.dim == 1 else None)

    def chain_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the chain points drawn now (x and y data of the scatter)."""
        x, y = self.overlay.points.getData()
        return np.asarray(x), np.asarray(y)

    def _on_hover(self, text: str) -> None:
        self.readout.setText(text or _legend())
