"""The Depth panel's pictures: RGB | prediction | ground truth | error (or uncertainty), the two depth
maps on one shared colour scale with one colour bar, and a readout of the values under the cursor."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QWidget

COLORMAPS = ("turbo", "inferno", "viridis", "magma", "Spectral")
ERROR_CMAP = "inferno"
TITLE_SIZE = "9pt"
TITLES = ("image", "prediction (m)", "ground truth (m)", "error |pred − gt| / gt")


def colormap(name: str) -> pg.ColorMap:
    """A pyqtgraph colour map by name (Spectral from matplotlib's table)."""
    return pg.colormap.get(name, source="matplotlib") if name == "Spectral" else pg.colormap.get(name)


def depth_levels(*maps: np.ndarray | None) -> tuple[float, float]:
    """One (low, high) for all depth maps: 1st–99th percentile of their finite positive values."""
    values = [m[np.isfinite(m) & (m > 0)] for m in maps if m is not None]
    values = [v for v in values if v.size]
    if not values:
        return 0.0, 1.0
    lo, hi = np.percentile(np.concatenate(values), [1, 99])
    return float(lo), float(hi if hi > lo else lo + 1e-3)


class DepthViews(pg.GraphicsLayoutWidget):
    """Four image views side by side; `hovered(text)` describes the pixel under the cursor."""

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DepthViews")
        self.views, self.images, self.labels = [], [], []
        for col, title in enumerate(TITLES):
            self.labels.append(self.addLabel(title, row=0, col=col, size=TITLE_SIZE))
            view = self.addViewBox(row=1, col=col, lockAspect=True, invertY=True)
            image = pg.ImageItem(axisOrder="row-major")
            view.addItem(image)
            if self.views:
                view.setXLink(self.views[0])
                view.setYLink(self.views[0])
            self.views.append(view)
            self.images.append(image)
        self.depth_bar = pg.ColorBarItem(values=(0, 1), colorMap=colormap("turbo"), interactive=False,
                                         label="depth (m), prediction and ground truth", orientation="horizontal")
        self.depth_bar.setImageItem([self.images[1], self.images[2]])
        self.addItem(self.depth_bar, row=2, col=1, colspan=2)
        self.error_bar = pg.ColorBarItem(values=(0, 50), colorMap=colormap(ERROR_CMAP), interactive=False,
                                         label="relative error (%)", orientation="horizontal")
        self.error_bar.setImageItem(self.images[3])
        self.addItem(self.error_bar, row=2, col=3)
        for bar in (self.depth_bar, self.error_bar):
            bar.axis.enableAutoSIPrefix(False)  # "0.2", not "200 (x0.001)"
        self.maps: dict[str, np.ndarray | None] = {"prediction": None, "gt": None, "fourth": None}
        self.fourth_kind = "error"
        self.levels = (0.0, 1.0)
        self.scene().sigMouseMoved.connect(self._mouse_moved)

    def sizeHint(self) -> QSize:
        return QSize(1100, 380)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if getattr(self, "images", None) and self.images[0].image is not None:  # keep the pictures filling their boxes
            self.views[0].autoRange(padding=0.0)

    def set_colormap(self, name: str) -> None:
        self.depth_bar.setColorMap(colormap(name))

    def show_image(self, rgb: np.ndarray | None) -> None:
        """The RGB picture (H, W, 3) in [0, 1]."""
        if rgb is None:
            self.images[0].clear()
        else:
            self.images[0].setImage(np.ascontiguousarray(rgb, dtype=np.float32), levels=(0.0, 1.0))
            self.views[0].autoRange(padding=0.0)

    def show_depths(self, prediction: np.ndarray | None, gt: np.ndarray | None, fix_levels: bool = True) -> None:
        """The prediction and ground truth on one scale (`fix_levels`: recompute it from these maps)."""
        self.maps["prediction"], self.maps["gt"] = prediction, gt
        if fix_levels:
            self.levels = depth_levels(prediction, gt)
        for image, m in ((self.images[1], prediction), (self.images[2], gt)):
            if m is None:
                image.clear()
            else:
                image.setImage(np.where(np.isfinite(m) & (m > 0), m, np.nan).astype(np.float32), levels=self.levels)
        self.depth_bar.setLevels(self.levels)

    def show_fourth(self, values: np.ndarray | None, kind: str) -> None:
        """The error map (kind "error", |pred − gt|/gt) or the uncertainty (kind "std", metres)."""
        self.fourth_kind = kind
        self.labels[3].setText("error |pred − gt| / gt" if kind == "error" else "uncertainty: per-pixel std (m)",
                               size=TITLE_SIZE)
        if values is None:
            self.maps["fourth"] = None
            self.images[3].clear()
            return
        if kind == "error":
            values = values * 100.0  # per cent reads better than 0.2 on a colour bar
        finite = values[np.isfinite(values)]
        top = float(np.percentile(finite, 99)) if finite.size else 1.0
        levels = (0.0, top if top > 0 else 1e-3)
        self.maps["fourth"] = values
        self.images[3].setImage(values.astype(np.float32), levels=levels)
        self.error_bar.setLevels(levels)
        self.error_bar.axis.setLabel("relative error (%)" if kind == "error" else "std (m)")

    def clear_all(self) -> None:
        for image in self.images:
            image.clear()
        self.maps = {"prediction": None, "gt": None, "fourth": None}

    def describe(self, row: int, col: int) -> str:
        """Values at pixel (row, col) of the maps shown, in words."""
        parts = [f"pixel ({col}, {row})"]
        for key, label, unit in (("prediction", "prediction", " m"), ("gt", "ground truth", " m"),
                                 ("fourth", "error" if self.fourth_kind == "error" else "std", "")):
            m = self.maps[key]
            if m is not None and 0 <= row < m.shape[0] and 0 <= col < m.shape[1]:
                v = float(m[row, col])
                if key == "fourth" and self.fourth_kind == "error":
                    parts.append(f"{label} {v:.1f} %" if np.isfinite(v) else f"{label} — (invalid gt)")
                else:
                    parts.append(f"{label} {v:.3f}{unit if key != 'fourth' else ' m'}" if np.isfinite(v)
                                 else f"{label} —")
        return " · ".join(parts)

    def _mouse_moved(self, pos) -> None:
        for view in self.views:
            if view.sceneBoundingRect().contains(pos):
                p = view.mapSceneToView(pos)
                self.hovered.emit(self.describe(int(np.floor(p.y())), int(np.floor(p.x()))))
                return
