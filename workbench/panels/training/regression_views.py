"""Views of the regression page: p(y|x) of the EBM beside the true p(y|x) on one colour scale, a slice
at a chosen x (true density, EBM density, learned proposal), and the loss and D_KL curves."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QWidget

from workbench.panels.training.views import TITLE_SIZE, Curve

TRUE_PEN = pg.mkPen("#e8e8e8", width=2)
EBM_PEN = pg.mkPen("#f0a020", width=2)
PROPOSAL_PEN = pg.mkPen("#40c0ff", width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
SLICE_PEN = pg.mkPen("#ff4060", width=1.5)
CMAP = "viridis"


class ConditionalDensityMaps(pg.GraphicsLayoutWidget):
    """Two heat maps over (x, y) on one colour scale: the EBM's p(y|x) and the true p(y|x).

    A vertical line on each marks the slice; dragging either moves both (`sliceMoved(x)`)."""

    sliceMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConditionalDensityMaps")
        self.plots, self.images, self.lines = [], [], []
        for col, title in enumerate(("EBM p(y | x)", "true p(y | x)")):
            plot = self.addPlot(row=0, col=col, title=title)
            plot.setTitle(title, size=TITLE_SIZE)
            plot.setLabel("bottom", "x")
            plot.setLabel("left", "y")
            plot.setMenuEnabled(False)
            image = pg.ImageItem(axisOrder="row-major")
            image.setColorMap(pg.colormap.get(CMAP))
            plot.addItem(image)
            line = pg.InfiniteLine(0.0, angle=90, movable=True, pen=SLICE_PEN)
            line.sigPositionChanged.connect(self._line_moved)
            plot.addItem(line)
            self.plots.append(plot)
            self.images.append(image)
            self.lines.append(line)
        self.plots[1].setXLink(self.plots[0])
        self.plots[1].setYLink(self.plots[0])
        self.data_points = pg.ScatterPlotItem(size=2, pen=None, brush=pg.mkBrush(255, 255, 255, 70))
        self.plots[0].addItem(self.data_points)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(CMAP), interactive=False,
                                        label="density")
        self.addItem(self.colorbar, row=0, col=2)
        self.levels = (0.0, 1.0)
        self.have_true = False
        self._rect = None

    def sizeHint(self) -> QSize:
        return QSize(760, 340)

    def set_grids(self, x: np.ndarray, y: np.ndarray, model: np.ndarray | None, true: np.ndarray | None) -> None:
        """Draw grids (n_x, n_y) of p(y|x) over axes x (n_x,), y (n_y,); None leaves a map as it is."""
        rect = pg.QtCore.QRectF(float(x[0]), float(y[0]), float(x[-1] - x[0]), float(y[-1] - y[0]))
        if true is not None:
            self.have_true = True
            # one scale for both maps, set by the truth: the EBM is judged on the same colours
            top = float(np.nanpercentile(true, 99.5))
            self.levels = (0.0, top if top > 0 else 1.0)
        for image, grid in zip(self.images, (model, true)):
            if grid is None:
                continue
            image.setImage(np.ascontiguousarray(grid.T, dtype=np.float32), levels=self.levels)
            image.setRect(rect)
        if model is not None and not self.have_true:
            top = float(np.nanpercentile(model, 99.5))
            self.levels = (0.0, top if top > 0 else 1.0)
            self.images[0].setLevels(self.levels)
        self.colorbar.setLevels(self.levels)
        if self._rect != rect:  # the slice lines would otherwise squeeze the auto-range in x
            self._rect = rect
            self.plots[0].setRange(rect, padding=0.02)

    def set_data(self, xy: np.ndarray | None) -> None:
        if xy is None or len(xy) == 0:
            self.data_points.clear()
        else:
            self.data_points.setData(x=xy[:, 0], y=xy[:, 1])

    def clear_maps(self) -> None:
        for image in self.images:
            image.clear()
        self.have_true = False
        self.data_points.clear()

    @property
    def slice_x(self) -> float:
        return float(self.lines[0].value())

    def set_slice_x(self, x: float) -> None:
        for line in self.lines:
            if abs(line.value() - x) > 1e-12:
                line.setValue(x)

    def _line_moved(self, line: pg.InfiniteLine) -> None:
        self.set_slice_x(float(line.value()))
        self.sliceMoved.emit(float(line.value()))


class SliceView(pg.PlotWidget):
    """p(y | x) at one x: the true density, the EBM's and, when one was learned, the proposal q(y | x)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SliceView")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setLabel("bottom", "y")
        self.setLabel("left", "density")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.addLegend(offset=(5, 5), labelTextSize=TITLE_SIZE)
        self.true = self.plot(pen=TRUE_PEN, name="true")
        self.ebm = self.plot(pen=EBM_PEN, name="EBM")
        self.proposal = self.plot(pen=PROPOSAL_PEN, name="proposal q")
        self.grids: dict[str, Any] = {}

    def sizeHint(self) -> QSize:
        return QSize(380, 240)

    def set_grids(self, **grids: Any) -> None:
        """Keep the newest grids (x, y, model, true, proposal; None: unchanged unless it is `proposal`)."""
        for key, value in grids.items():
            if value is not None or key == "proposal":
                self.grids[key] = value

    def show_at(self, x: float) -> None:
        """Draw the slice of the kept grids nearest to `x`."""
        g = self.grids
        if "x" not in g:
            return
        i = int(np.clip(np.searchsorted(g["x"], x), 0, len(g["x"]) - 1))
        self.setTitle(f"slice at x = {g['x'][i]:+.2f}", size=TITLE_SIZE)
        for item, key in ((self.true, "true"), (self.ebm, "model"), (self.proposal, "proposal")):
            grid = g.get(key)
            item.setData(g["y"], grid[i]) if grid is not None else item.setData([], [])

    def clear_all(self) -> None:
        self.grids = {}
        for item in (self.true, self.ebm, self.proposal):
            item.setData([], [])


class RegressionCurves:
    """The loss (every step) and D_KL(p_true ‖ p_model) on a coarse grid (every epoch)."""

    def __init__(self) -> None:
        self.loss = Curve("training loss", "#f0a020")
        self.loss.setObjectName("loss_curve")
        self.kl = Curve("D_KL(p_true ‖ p_EBM), 256² grid, each epoch", "#60b0ff")
        self.kl.setObjectName("kl_curve")

    def clear(self) -> None:
        self.loss.clear_points()
        self.kl.clear_points()

    def add_records(self, records: list[dict[str, Any]]) -> None:
        with_loss = [r for r in records if isinstance(r.get("loss"), (int, float))]
        self.loss.extend((r["step"] for r in with_loss), (r["loss"] for r in with_loss))
        with_kl = [r for r in records if isinstance(r.get("kl"), (int, float))]
        self.kl.extend((r["step"] for r in with_kl), (r["kl"] for r in with_kl))
