"""Views of an exact `core.landscape.Landscape`: a 2D heat map with contours and colour bar, a 1D curve.

Both show one of `MODES` (energy, density, log-density) in model units. Bright always means likely:
the energy uses the reversed colour map, so low energy is bright like high density.
Panels add their own items (chains, trails, proposals) to `Map2D.plot` / `Curve1D.plot`.
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QApplication, QWidget

from core.landscape import Landscape

MODES = ("energy", "density", "log_density")
MODE_LABELS = {"energy": "energy E(x)", "density": "density p(x)", "log_density": "log-density log p(x)"}
COLORMAP = "inferno"
N_CONTOURS = 8
CONTOUR_GRID = 128  # contours are traced on a grid of at most this size: smooth enough, cheap
LOG_DENSITY_RANGE = 25.0  # nats shown below the maximum log-density


def values_for(land: Landscape, mode: str) -> np.ndarray:
    """The grid of `mode` values as float32 numpy (nx[, ny]); density modes need `land.density`."""
    if mode not in MODES:
        raise ValueError(f"unknown view mode {mode!r}; allowed: {', '.join(MODES)}")
    grid = {"energy": land.energy, "density": land.density, "log_density": land.log_density}[mode]
    if grid is None:
        raise ValueError(f"mode {mode!r} needs a normalised landscape (core.landscape.density)")
    return np.ascontiguousarray(grid.numpy(), dtype=np.float32)


def levels_for(values: np.ndarray, mode: str) -> tuple[float, float]:
    """Colour levels: robust for energies (which blow up at the box edges), full range for densities."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    if mode == "energy":
        lo, hi = float(finite.min()), float(np.percentile(finite, 95))
    elif mode == "density":
        lo, hi = 0.0, float(finite.max())
    else:
        hi = float(finite.max())
        lo = max(float(finite.min()), hi - LOG_DENSITY_RANGE)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def colormap_for(mode: str) -> pg.ColorMap:
    """The colour map for `mode`: reversed for energies so that bright always means likely."""
    cmap = copy.deepcopy(pg.colormap.get(COLORMAP))  # get() hands out a shared instance
    if mode == "energy":
        cmap.reverse()
    return cmap


def describe_point(land: Landscape, x: float, y: float | None = None) -> str | None:
    """'x=…, y=…, E=…, p=…' for the grid cell under (x, y), or None outside the box."""
    coords = [x] if y is None else [x, y]
    idx = []
    for c, (lo, hi), axis in zip(coords, land.bounds, land.axes):
        i = math.floor((c - lo) / (hi - lo) * len(axis))
        if not 0 <= i < len(axis):
            return None
        idx.append(i)
    e = float(land.energy[tuple(idx)])
    parts = [f"x={x:.3f}"] + ([f"y={y:.3f}"] if y is not None else []) + [f"E={e:.4g}"]
    if land.density is not None:
        parts.append(f"p={float(land.density[tuple(idx)]):.4g}")
    return ", ".join(parts)


def _top_level_widgets() -> set[QWidget]:
    return set(QApplication.topLevelWidgets())


def _adopt_popups(owner: QWidget, before: set[QWidget]) -> None:
    """Parent the windows pyqtgraph made since `before` (context menus, option panels) to `owner`.

    pyqtgraph creates them without a parent, so they outlive the view until Python's garbage
    collector finds them; as children they are deleted with the view (no stray top-level widgets).
    """
    for widget in _top_level_widgets() - before:
        if widget is not owner and widget.parent() is None:
            widget.setParent(owner, widget.windowFlags())


class Map2D(pg.GraphicsLayoutWidget):
    """Heat map of a 2D landscape with contour lines, a colour bar and hover read-out."""

    hovered = Signal(str)  # "x=…, y=…, E=…, p=…" ('' when the cursor leaves the box)
    clicked = Signal(float, float)  # a left click on the map, in model units

    def __init__(self, parent=None) -> None:
        strays = _top_level_widgets()
        super().__init__(parent)
        self.setObjectName("Map2D")
        self.plot: pg.PlotItem = self.addPlot(row=0, col=0)
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.contours = [pg.IsocurveItem(pen=pg.mkPen(255, 255, 255, 90), axisOrder="row-major")
                         for _ in range(N_CONTOURS)]
        for c in self.contours:
            c.setParentItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get(COLORMAP), interactive=False,
                                        width=14, colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.landscape: Landscape | None = None
        self.mode = "energy"
        self.levels = (0.0, 1.0)
        # Tracing contours costs ~10 ms a level in Python: live views (training) redraw them at most
        # every `contour_interval_s`, the last landscape always getting its contours in the end.
        self.contour_interval_s = 0.0
        self._contour_time = -math.inf
        self._pending_contours: np.ndarray | None = None
        self._contour_timer = QTimer(self, singleShot=True)
        self._contour_timer.timeout.connect(self._flush_contours)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        _adopt_popups(self, strays)

    def set_landscape(self, land: Landscape, mode: str | None = None) -> None:
        """Show `land` in `mode` (keeps the current mode when None); axes follow its bounds."""
        mode = self.mode if mode is None else mode
        values = values_for(land, mode)  # raises before anything changes on a bad mode
        first = self.landscape is None or land.bounds != self.landscape.bounds
        self.landscape, self.mode = land, mode
        data = np.ascontiguousarray(values.T)  # row-major image: rows are y, columns are x
        self.levels = levels_for(data, mode)
        self.colorbar.setColorMap(colormap_for(mode))
        # Non-finite cells (e.g. log of a negative number) take the top colour; contours skip them.
        data = np.nan_to_num(data, nan=self.levels[1], posinf=self.levels[1], neginf=self.levels[0])
        self.image.setImage(data, autoLevels=False, levels=self.levels)
        self.colorbar.setLevels(self.levels)
        self.colorbar.axis.setLabel(MODE_LABELS[mode])
        (x0, x1), (y0, y1) = land.bounds
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        wait_s = self._contour_time + self.contour_interval_s - time.monotonic()
        if wait_s <= 0:
            self._set_contours(data)
        else:
            self._pending_contours = data
            if not self._contour_timer.isActive():
                self._contour_timer.start(int(wait_s * 1000) + 1)
        if first:
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def set_mode(self, mode: str) -> None:
        """Switch between energy, density and log-density."""
        if self.landscape is not None:
            self.set_landscape(self.landscape, mode)
        elif mode in MODES:
            self.mode = mode
        else:
            raise ValueError(f"unknown view mode {mode!r}; allowed: {', '.join(MODES)}")

    def _flush_contours(self) -> None:
        if self._pending_contours is not None:
            self._set_contours(self._pending_contours)

    def _set_contours(self, data: np.ndarray) -> None:
        self._pending_contours, self._contour_time = None, time.monotonic()
        stride = max(1, math.ceil(max(data.shape) / CONTOUR_GRID))
        small = np.clip(data[::stride, ::stride], *self.levels)
        lo, hi = self.levels
        # In image pixels: contour item pixel (i, j) sits at image pixel (i*stride, j*stride) + ½ cell.
        transform = QTransform().translate((stride - 1) / 2 + 0.5, (stride - 1) / 2 + 0.5).scale(stride, stride)
        for k, c in enumerate(self.contours):
            level = lo + (hi - lo) * (k + 1) / (N_CONTOURS + 1)
            c.setTransform(transform)
            c.setData(small, level)

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        return self.plot.vb.mapSceneToView(scene_pos)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        text = None
        if point is not None and self.landscape is not None:
            text = describe_point(self.landscape, point.x(), point.y())
        self.hovered.emit(text or "")

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self._view_point(event.scenePos())
        if point is not None:
            self.clicked.emit(point.x(), point.y())


class Curve1D(pg.PlotWidget):
    """A 1D landscape as a curve of the chosen quantity, with the exact density on a right axis."""

    hovered = Signal(str)
    clicked = Signal(float, float)

    def __init__(self, parent=None) -> None:
        strays = _top_level_widgets()
        super().__init__(parent)
        self.setObjectName("Curve1D")
        self.plot: pg.PlotItem = self.getPlotItem()
        self.plot.setLabel("bottom", "x")
        self.plot.setMenuEnabled(False)
        self.curve = self.plot.plot(pen=pg.mkPen("#f0a020", width=2))
        self.density_view = pg.ViewBox()
        self.plot.showAxis("right")
        self.plot.scene().addItem(self.density_view)
        self.plot.getAxis("right").linkToView(self.density_view)
        self.plot.getAxis("right").setLabel("exact density p(x)")
        self.density_view.setXLink(self.plot)
        self.density_curve = pg.PlotCurveItem(pen=pg.mkPen("#60b0ff", width=1.5), fillLevel=0.0,
                                              brush=pg.mkBrush(96, 176, 255, 50))
        self.density_view.addItem(self.density_curve)
        self.plot.vb.sigResized.connect(self._sync_views)
        self.landscape: Landscape | None = None
        self.mode = "energy"
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        _adopt_popups(self, strays)

    def set_landscape(self, land: Landscape, mode: str | None = None) -> None:
        """Show `land` in `mode`; the exact density is always drawn on the right axis when known."""
        mode = self.mode if mode is None else mode
        values = values_for(land, mode)
        self.landscape, self.mode = land, mode
        x = land.axes[0].numpy()
        finite = np.isfinite(values)
        lo, hi = levels_for(values, mode)
        self.curve.setData(x[finite], values[finite])
        self.plot.setLabel("left", MODE_LABELS[mode])
        self.plot.setXRange(*land.bounds[0], padding=0)
        self.plot.setYRange(lo, hi, padding=0.05)  # energies blow up at the box edges: clip the view
        if land.density is not None:
            self.density_curve.setData(x, land.density.numpy())
            if mode == "density":  # the same quantity on both axes: same scale, so the curves coincide
                self.density_view.setYRange(lo, hi, padding=0.05)
            else:
                self.density_view.setYRange(0, float(land.density.max()) * 1.05, padding=0)
        self._sync_views()

    def set_mode(self, mode: str) -> None:
        """Switch between energy, density and log-density."""
        if self.landscape is not None:
            self.set_landscape(self.landscape, mode)
        self.mode = mode

    def _sync_views(self) -> None:
        self.density_view.setGeometry(self.plot.vb.sceneBoundingRect())
        self.density_view.linkedViewChanged(self.plot.vb, self.density_view.XAxis)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        text = None
        if self.landscape is not None and self.plot.sceneBoundingRect().contains(scene_pos):
            text = describe_point(self.landscape, self.plot.vb.mapSceneToView(scene_pos).x())
        self.hovered.emit(text or "")

    def _on_mouse_clicked(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.plot.sceneBoundingRect().contains(event.scenePos()):
            p = self.plot.vb.mapSceneToView(event.scenePos())
            self.clicked.emit(p.x(), p.y())
