"""Live plots next to the map: marginal histograms against the exact marginals, and a trace plot.

They are refreshed a few times a second from results computed off the GUI thread; setting data
here is cheap (64 bins, 5 × 500 points).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize

from workbench.panels.sampler.overlay import CHAIN_RGB

EXACT_RGB = (255, 170, 40)
TRACE_COLOURS = ("#00e5ff", "#ff6ec7", "#ffd23f", "#7dff7a", "#b28dff")
TRACE_CHAINS = 5
TRACE_STEPS = 500
HIST_BINS = 64
TITLE_SIZE = "9pt"


def histogram_density(values: np.ndarray, low: float, high: float, bins: int = HIST_BINS
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (bins+1,) and a density (bins,) of `values` over [low, high].

    Normalised by all finite values, so mass outside the box lowers the bars (as it should).
    """
    v = values[np.isfinite(values)]
    edges = np.linspace(low, high, bins + 1)
    width = (high - low) / bins
    idx = np.floor((v - low) / width)
    idx = idx[(idx >= 0) & (idx < bins)].astype(np.int64)
    counts = np.bincount(idx, minlength=bins).astype(np.float64)
    return edges, counts / max(len(v), 1) / width


class MarginalPlot(pg.PlotWidget):
    """Histogram of one coordinate of the samples (bars) over the exact marginal density (line)."""

    def __init__(self, axis: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(f"marginal_{axis}")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setTitle(f"marginal of {axis}: samples vs exact", size=TITLE_SIZE)
        self.getPlotItem().layout.setContentsMargins(2, 2, 6, 2)
        self.hist = pg.PlotCurveItem(x=np.zeros(2), y=np.zeros(1), stepMode="center", fillLevel=0.0,
                                     pen=pg.mkPen(*CHAIN_RGB, 230), brush=pg.mkBrush(*CHAIN_RGB, 70))
        self.exact = pg.PlotCurveItem(pen=pg.mkPen(*EXACT_RGB, 240, width=2))
        self.addItem(self.hist)
        self.addItem(self.exact)
        self._peak = 1.0

    def sizeHint(self) -> QSize:
        return QSize(360, 150)

    def set_exact(self, axis_values: np.ndarray, density: np.ndarray, bounds: tuple[float, float]) -> None:
        """The exact marginal density on the grid `axis_values`."""
        self.exact.setData(axis_values, density)
        self._peak = float(np.nanmax(density)) if density.size else 1.0
        self.setXRange(*bounds, padding=0)
        self.setYRange(0, self._peak * 1.25, padding=0)

    def set_histogram(self, edges: np.ndarray | None, density: np.ndarray | None) -> None:
        """Bars of the sample histogram (None clears them)."""
        if edges is None or density is None:
            self.hist.setData(np.zeros(2), np.zeros(1))
            return
        self.hist.setData(edges, density)
        top = max(self._peak, float(density.max()) if density.size else 0.0)
        self.setYRange(0, top * 1.15, padding=0)


class TracePlot(pg.PlotWidget):
    """Coordinate x of the first few chains over the last ~500 steps."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trace")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setTitle(f"trace of x, first {TRACE_CHAINS} chains", size=TITLE_SIZE)
        self.getPlotItem().layout.setContentsMargins(2, 2, 6, 2)
        self.curves = [self.plot(pen=pg.mkPen(c, width=1)) for c in TRACE_COLOURS[:TRACE_CHAINS]]

    def sizeHint(self) -> QSize:
        return QSize(360, 150)

    def set_trace(self, t: np.ndarray | None, x: np.ndarray | None, bounds: tuple[float, float]) -> None:
        """`t (steps,)`, `x (steps, chains)` (None clears)."""
        for k, curve in enumerate(self.curves):
            if t is None or x is None or k >= x.shape[1]:
                curve.setData([], [])
            else:
                keep = np.isfinite(x[:, k])
                curve.setData(t[keep], np.clip(x[keep, k], bounds[0] - 1e3, bounds[1] + 1e3))
        if t is not None and len(t):
            self.setXRange(float(t[0]), float(max(t[-1], t[0] + 1)), padding=0.02)
        self.setYRange(*bounds, padding=0.02)
