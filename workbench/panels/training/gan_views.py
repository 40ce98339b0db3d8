"""Views of the GAN page: curves with a smoothing slider and log scale (losses; real vs fake energy with
the margin; k_t and M_global, or the margin, or the pulling-away term), image grids (generated samples,
real and fake inputs beside their reconstructions, optionally sorted by energy), and for 2D data the
discriminator's energy over the plane with real and generated points."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QWidget

from workbench.panels.training.live_plot import TITLE_SIZE, LivePlot

# (metric key, legend label, colour, dashed)
SERIES: dict[str, tuple[tuple[str, str, str, bool], ...]] = {
    "losses": (("d_loss", "D loss", "#f0a020", False), ("g_loss", "G loss", "#60b0ff", False)),
    "energies": (("e_real", "real energy", "#60d060", False), ("e_fake", "fake energy", "#ff5060", False),
                 ("margin", "margin m", "#e8e8e8", True)),
    "ebgan": (("pulling_away", "pulling-away term", "#c080ff", False),),
    "began": (("k_t", "k_t", "#c080ff", False), ("m_global", "M_global", "#f0d040", False)),
    "magan": (("margin", "margin m", "#e8e8e8", False),),
}
THIRD_TITLE = {"ebgan": "pulling-away term f_PT", "began": "k_t and M_global (convergence)",
               "magan": "MAGAN margin over time"}


def smooth(values: np.ndarray, amount: float, start: float = np.nan) -> np.ndarray:
    """Exponential moving average for display, weight `amount` ∈ [0, 1) on the past (NaN-aware);
    `start` continues an earlier pass (its last output), so appending costs only the new points."""
    if amount <= 0 or len(values) == 0:
        return values
    out = np.empty_like(values)
    acc, keep = start, 1.0 - amount
    for i, v in enumerate(values.tolist()):
        if v == v:  # not NaN
            acc = v if acc != acc else amount * acc + keep * v
        out[i] = acc
    return out


class SeriesPlot(LivePlot):
    """Several metrics against the step from growing buffers (drawn at most twice a second); display
    smoothing and log-y."""

    def __init__(self, title: str, series: tuple[tuple[str, str, str, bool], ...], parent=None) -> None:
        super().__init__(title, parent)
        self.addLegend(offset=(5, 5), labelTextSize="8pt")
        self.smoothing, self.log = 0.0, False
        self.set_series(series)

    def sizeHint(self) -> QSize:
        return QSize(380, 180)

    def set_series(self, series: tuple[tuple[str, str, str, bool], ...], title: str | None = None) -> None:
        """Replace the metrics drawn (clears the buffers)."""
        self.clear()
        legend = self.plotItem.legend
        if legend is not None:
            legend.clear()
        if title:
            self.setTitle(title, size=TITLE_SIZE)
        self.series = series
        self.items = {}
        for key, label, colour, dashed in series:
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            self.items[key] = self.plot(pen=pg.mkPen(colour, width=1.5, style=style), name=label)
        self.steps = {key: np.zeros(0) for key, *_ in series}
        self.values = {key: np.zeros(0) for key, *_ in series}
        self.smoothed = {key: np.zeros(0) for key, *_ in series}  # display values, extended as records come
        self.reset_range()

    def add_records(self, records: list[dict[str, Any]]) -> None:
        grew = False
        for key in self.items:
            rows = [r for r in records if isinstance(r.get(key), (int, float))]
            if rows:
                self.steps[key] = np.concatenate([self.steps[key], [r["step"] for r in rows]])
                self.values[key] = np.concatenate([self.values[key], [float(r[key]) for r in rows]])
                grew = True
        if grew:
            self.request_redraw()

    def draw(self) -> None:
        log = self.log
        for key, item in self.items.items():
            raw, done = self.values[key], len(self.smoothed[key])
            if done < len(raw):  # smooth only what is new
                start = self.smoothed[key][-1] if done else np.nan
                tail = smooth(raw[done:], self.smoothing, start) if self.smoothing > 0 else raw[done:]
                self.smoothed[key] = np.concatenate([self.smoothed[key], tail])
            v = self.smoothed[key]
            keep = np.isfinite(v) & ((v > 0) if log else True)
            item.setData(self.steps[key][keep], v[keep])

    def x_span(self) -> tuple[float, float] | None:
        spans = [(s[0], s[-1]) for s in self.steps.values() if len(s)]
        return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None

    def set_smoothing(self, amount: float) -> None:
        self.smoothing = float(amount)
        self.smoothed = {key: np.zeros(0) for key in self.items}  # recomputed once with the new weight
        self.redraw()

    def set_log(self, on: bool) -> None:
        self.log = bool(on)
        self.setLogMode(y=self.log)
        self.redraw()

    def n_points(self, key: str) -> int:
        return len(self.steps.get(key, ()))


def mosaic(images: np.ndarray, shape: tuple[int, int, int], columns: int, gap: int = 1) -> np.ndarray:
    """Tile images (n, c·h·w) in [−1, 1] into one (rows·(h+gap), columns·(w+gap)[, 3]) array in [0, 1]."""
    c, h, w = shape
    n = len(images)
    rows = max(1, -(-n // columns))
    out = np.ones((rows * (h + gap), columns * (w + gap), c), np.float32) * 0.25
    tiles = np.clip((images.reshape(n, c, h, w).transpose(0, 2, 3, 1) + 1.0) / 2.0, 0, 1)
    for i in range(n):
        r, col = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, col * (w + gap):col * (w + gap) + w] = tiles[i]
    return out[..., 0] if c == 1 else out


class ImageGrid(pg.GraphicsLayoutWidget):
    """One titled mosaic of images; `show(images, shape)` redraws it."""

    def __init__(self, title: str, columns: int = 8, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.label = pg.LabelItem(title, size=TITLE_SIZE)
        self.addItem(self.label, row=1, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.n_images = 0

    def sizeHint(self) -> QSize:
        return QSize(260, 260)

    def show_images(self, images: np.ndarray, shape: tuple[int, int, int]) -> None:
        self.image.setImage(mosaic(images, shape, self.columns), levels=(0.0, 1.0))
        self.view.autoRange(padding=0.01)
        self.n_images = len(images)

    def clear_images(self) -> None:
        self.image.clear()
        self.n_images = 0


def pairs(x: np.ndarray, recon: np.ndarray) -> np.ndarray:
    """Interleave inputs and their reconstructions: x0, r0, x1, r1, … (n·2, dim)."""
    out = np.empty((2 * len(x), x.shape[1]), x.dtype)
    out[0::2], out[1::2] = x, recon
    return out
