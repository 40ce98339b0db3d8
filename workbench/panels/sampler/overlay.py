"""Chains drawn on a landscape view: points (or a density image), trails, proposals, HMC paths.

`ChainOverlay2D` adds its items to a `Map2D.plot`, `ChainOverlay1D` to a `Curve1D.plot`; both draw
one `Snapshot` at a time and never hold tensors. Coordinates that are not finite, or far outside the
box (a diverging chain), are left out of the picture so the view never chokes on them.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from workbench.panels.sampler.session import Snapshot

CHAIN_RGB = (0, 229, 255)  # cyan: absent from the inferno colour map, so chains always stand out
ACCEPT_RGB = (40, 230, 90)
REJECT_RGB = (255, 60, 60)
PATH_RGB = (255, 255, 255)
TRAIL_BANDS = 4  # trails: one curve per age band, older bands fainter
TRAIL_ALPHA = (230, 150, 90, 45)
MAX_POINTS_1D = 5000  # beyond this a 1D view shows the first 5000 chains (the histogram shows all)
FAR = 20.0  # points further than FAR box widths from the box are not drawn


def point_size(n: int) -> int:
    """Pixel size of a chain point: big for a few chains, small for thousands."""
    return 7 if n <= 50 else 5 if n <= 1000 else 3 if n <= 5000 else 2


class FastScatter(pg.ScatterPlotItem):
    """A `ScatterPlotItem` with one symbol, size and brush for all points and a fast `set_points`.

    `setData` rebuilds pyqtgraph's per-spot records in Python (~20 ms for 10⁴ points); when only
    the positions change, `set_points` writes them into the existing record array instead (~0.1 ms).
    """

    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        """Move the points to `x, y` (1D float arrays of equal length)."""
        if len(self.data) != len(x):
            self.setData(x=x, y=y)
            return
        self.data["x"] = x
        self.data["y"] = y
        self.prepareGeometryChange()
        self.bounds = [None, None]
        self.informViewBoundsChanged()
        self.invalidate()


def _keep(points: np.ndarray, bounds) -> np.ndarray:
    """Mask of rows of `points (…, dim)` that are finite and within FAR box widths of the box."""
    keep = np.isfinite(points).all(-1)
    for d, (lo, hi) in enumerate(bounds[: points.shape[-1]]):
        w = FAR * (hi - lo)
        keep &= (points[..., d] > lo - w) & (points[..., d] < hi + w)
    return keep


def _segments(start: np.ndarray, end: np.ndarray, bounds) -> tuple[np.ndarray, np.ndarray]:
    """x, y arrays for a connect='pairs' curve of segments start[i] → end[i] (drawable ones only)."""
    pairs = np.stack([start, end], axis=-2).reshape(-1, 2, start.shape[-1])
    pairs = pairs[_keep(pairs, bounds).all(-1)]
    flat = pairs.reshape(-1, start.shape[-1])
    return flat[:, 0], flat[:, 1]


def _density_lut() -> np.ndarray:
    """256 RGBA entries: the chain colour, from transparent to nearly opaque."""
    lut = np.zeros((256, 4), dtype=np.ubyte)
    lut[:, :3] = CHAIN_RGB
    lut[:, 3] = 235 * np.linspace(0.0, 1.0, 256) ** 0.7
    return lut


class ChainOverlay2D:
    """Everything the sampler draws on a 2D map, added to `plot` (a pg.PlotItem)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.bounds = [(-1.0, 1.0), (-1.0, 1.0)]
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setLookupTable(_density_lut())
        self.trails = [pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(*CHAIN_RGB, a, width=1.5))
                       for a in TRAIL_ALPHA]
        self.accepted_lines = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(*ACCEPT_RGB, 220, width=2))
        self.rejected_lines = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(*REJECT_RGB, 220, width=2))
        self.accepted_points = FastScatter(pxMode=True, size=6, pen=None, brush=pg.mkBrush(*ACCEPT_RGB, 230))
        self.rejected_points = FastScatter(pxMode=True, size=6, pen=None, brush=pg.mkBrush(*REJECT_RGB, 230))
        self.path = pg.PlotCurveItem(pen=pg.mkPen(*PATH_RGB, 240, width=2.5))
        self.path_points = FastScatter(pxMode=True, size=6, pen=None, brush=pg.mkBrush(*PATH_RGB, 240))
        self.path_end = pg.ScatterPlotItem(pxMode=True, size=13, pen=pg.mkPen(*PATH_RGB, 255, width=1.5))
        self._end_brushes = {True: pg.mkBrush(*ACCEPT_RGB, 255), False: pg.mkBrush(*REJECT_RGB, 255),
                             None: pg.mkBrush(*PATH_RGB, 255)}
        self.points = FastScatter(pxMode=True, size=5, pen=None, brush=pg.mkBrush(*CHAIN_RGB, 210))
        self.start = pg.ScatterPlotItem(pxMode=True, size=18, symbol="+",
                                        pen=pg.mkPen(255, 255, 255, 240, width=2), brush=None)
        self.blob = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 200, width=1.5, style=Qt.PenStyle.DashLine))
        items = [self.density, *self.trails, self.accepted_lines, self.rejected_lines,
                 self.accepted_points, self.rejected_points, self.points, self.path, self.path_points,
                 self.path_end, self.blob, self.start]  # bottom to top
        for z, item in enumerate(items, start=10):
            item.setZValue(z)
            plot.addItem(item, ignoreBounds=True)
        self.items = items

    # --- one frame -------------------------------------------------------------------------
    def draw(self, snap: Snapshot, trails: bool = True, proposals: bool = True) -> None:
        """Show `snap`: points or density, and the details that apply to it."""
        if snap.density is not None:
            self.points.set_points(np.empty(0), np.empty(0))
            (x0, x1), (y0, y1) = self.bounds
            img = np.log1p(snap.density)
            self.density.setImage(img, autoLevels=False, levels=(0.0, max(float(img.max()), 1e-6)))
            self.density.setRect(x0, y0, x1 - x0, y1 - y0)
            self.density.setVisible(True)
        else:
            self.density.setVisible(False)
            x = snap.x
            keep = _keep(x, self.bounds)
            if not keep.all():
                x = x[keep]
            size = point_size(len(snap.x))
            if self.points.opts["size"] != size:
                self.points.setSize(size)
            self.points.set_points(x[:, 0], x[:, 1])
        self._draw_trails(snap if trails else None)
        self._draw_proposals(snap if proposals else None)
        self._draw_path(snap)

    def _draw_trails(self, snap: Snapshot | None) -> None:
        trail = None if snap is None else snap.trail
        if trail is None or len(trail) < 2:
            for c in self.trails:
                c.setData([], [])
            return
        ages = np.arange(len(trail) - 2, -1, -1)  # segment j (trail[j] → trail[j+1]) has age s-2-j
        band = np.minimum(ages * TRAIL_BANDS // max(len(trail) - 1, 1), TRAIL_BANDS - 1)
        for b, curve in enumerate(self.trails):
            js = np.nonzero(band == b)[0]
            if len(js) == 0:
                curve.setData([], [])
                continue
            curve.setData(*_segments(trail[js], trail[js + 1], self.bounds))

    def _draw_proposals(self, snap: Snapshot | None) -> None:
        if snap is None or snap.proposal is None or snap.prev is None or snap.accepted is None:
            for item in (self.accepted_lines, self.rejected_lines):
                item.setData([], [])
            for item in (self.accepted_points, self.rejected_points):
                item.set_points(np.empty(0), np.empty(0))
            return
        ok = snap.accepted.astype(bool)
        keep = _keep(snap.proposal, self.bounds)
        for mask, lines, points in ((ok, self.accepted_lines, self.accepted_points),
                                    (~ok, self.rejected_lines, self.rejected_points)):
            lines.setData(*_segments(snap.prev[mask], snap.proposal[mask], self.bounds))
            ends = snap.proposal[mask & keep]
            points.set_points(ends[:, 0], ends[:, 1])

    def _draw_path(self, snap: Snapshot) -> None:
        if snap.path is None:
            self.path.setData([], [])
            self.path_points.set_points(np.empty(0), np.empty(0))
            self.path_end.setData([], [])
            return
        path = snap.path[_keep(snap.path, self.bounds)]
        self.path.setData(path[:, 0], path[:, 1])
        self.path_points.set_points(path[:, 0], path[:, 1])
        # The end of the trajectory is the proposal: green if accepted, red if rejected.
        self.path_end.setData(path[-1:, 0], path[-1:, 1], brush=self._end_brushes[snap.path_accepted])

    # --- start marker ----------------------------------------------------------------------
    def set_start(self, centre: tuple[float, ...] | None, radius: float | None = None) -> None:
        """Mark the start point (a cross) and, for a blob, a dashed circle of the given radius."""
        if centre is None:
            self.start.setData([], [])
            self.blob.setData([], [])
            return
        self.start.setData([centre[0]], [centre[1]])
        if radius:
            a = np.linspace(0, 2 * math.pi, 97)
            self.blob.setData(centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a))
        else:
            self.blob.setData([], [])

    def clear(self) -> None:
        """Remove the chains (keeps the start marker)."""
        self.points.set_points(np.empty(0), np.empty(0))
        self.density.setVisible(False)
        self._draw_trails(None)
        self._draw_proposals(None)
        self.path.setData([], [])
        self.path_points.set_points(np.empty(0), np.empty(0))
        self.path_end.setData([], [])


class ChainOverlay1D:
    """Chains on a 1D curve: points at (x, E(x)), the start point as a vertical line."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.bounds = [(-1.0, 1.0)]
        self.points = FastScatter(pxMode=True, size=6, pen=None, brush=pg.mkBrush(*CHAIN_RGB, 200))
        self.start = pg.InfiniteLine(angle=90, movable=False,
                                     pen=pg.mkPen(255, 255, 255, 200, width=1.5, style=Qt.PenStyle.DashLine))
        self.start.setVisible(False)
        for z, item in enumerate((self.start, self.points), start=10):
            item.setZValue(z)
            plot.addItem(item, ignoreBounds=True)
        self.items = [self.points, self.start]

    def draw(self, snap: Snapshot, trails: bool = True, proposals: bool = True) -> None:
        """Show the first 5000 chains of `snap` on the curve."""
        x, e = snap.x[:MAX_POINTS_1D, 0], snap.energy[:MAX_POINTS_1D]
        keep = np.isfinite(x) & np.isfinite(e) & _keep(snap.x[:MAX_POINTS_1D], self.bounds)
        size = point_size(len(snap.x)) + 1
        if self.points.opts["size"] != size:
            self.points.setSize(size)
        self.points.set_points(x[keep], e[keep])

    def set_start(self, centre: tuple[float, ...] | None, radius: float | None = None) -> None:
        """Mark the start point with a vertical line."""
        self.start.setVisible(centre is not None)
        if centre is not None:
            self.start.setValue(centre[0])

    def clear(self) -> None:
        """Remove the chains."""
        self.points.set_points(np.empty(0), np.empty(0))
