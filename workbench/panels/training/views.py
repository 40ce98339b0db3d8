"""The live views: the learned log-density with data (grey) and negatives (red) on top, loss and TV curves.

Curves keep growing numpy buffers and are redrawn at most twice a second, and not while hidden
(`live_plot.LivePlot`), never per step.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QSize

from core.landscape import Landscape
from workbench.panels.training.live_plot import TITLE_SIZE, LivePlot
from workbench.widgets.landscape_view import Map2D

DATA_RGBA = (130, 130, 130, 190)  # mid grey: visible on bright and dark parts of the map
NEGATIVE_RGBA = (255, 50, 50, 200)
LOSS_PEN = "#f0a020"
TV_PEN = "#60b0ff"


def landscape_from(grid: dict[str, Any]) -> Landscape:
    """A `core.landscape.Landscape` over the numpy arrays of a worker snapshot (no copies)."""
    t = lambda a: None if a is None else torch.from_numpy(a)  # noqa: E731
    return Landscape(axes=[t(a) for a in grid["axes"]], energy=t(grid["energy"]), bounds=list(grid["bounds"]),
                     log_density=t(grid.get("log_density")), density=t(grid.get("density")))


class TrainingMap(Map2D):
    """`Map2D` in log-density mode with two reused scatter items: data points and negatives."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("TrainingMap")
        self.mode = "log_density"
        self.contour_interval_s = 1.0  # snapshots come at 10 Hz; contours follow once a second
        self.plot.setAspectLocked(True)  # a round blob must look round
        self.plot.setTitle("learned log-density (EMA weights) · data grey · negatives red", size=TITLE_SIZE)
        self.data_points = pg.ScatterPlotItem(size=2.5, pen=None, brush=pg.mkBrush(*DATA_RGBA))
        self.negatives = pg.ScatterPlotItem(size=3.5, pen=None, brush=pg.mkBrush(*NEGATIVE_RGBA))
        for z, item in enumerate((self.data_points, self.negatives), start=10):
            item.setZValue(z)
            self.plot.addItem(item)

    def sizeHint(self) -> QSize:
        return QSize(560, 520)

    def set_points(self, item: pg.ScatterPlotItem, xy: np.ndarray | None) -> None:
        if xy is None or len(xy) == 0:
            item.clear()
        else:
            item.setData(x=np.ascontiguousarray(xy[:, 0]), y=np.ascontiguousarray(xy[:, 1]))


class Curve(LivePlot):
    """One metric against the step, drawn from growing numpy buffers (at most twice a second)."""

    def __init__(self, title: str, pen: str, log_y: bool = False, parent=None) -> None:
        super().__init__(title, parent)
        self.setLogMode(y=log_y)
        self.curve = self.plot(pen=pg.mkPen(pen, width=1.5))
        self.steps = np.zeros(0)
        self.values = np.zeros(0)

    def sizeHint(self) -> QSize:
        return QSize(380, 200)

    def clear_points(self) -> None:
        self.steps, self.values = np.zeros(0), np.zeros(0)
        self.reset_range()
        self.redraw()

    def extend(self, steps: Iterable[float], values: Iterable[float]) -> None:
        s, v = np.asarray(list(steps), float), np.asarray(list(values), float)
        if len(s) == 0:
            return
        self.steps, self.values = np.concatenate([self.steps, s]), np.concatenate([self.values, v])
        self.request_redraw()

    def draw(self) -> None:
        finite = np.isfinite(self.values)
        self.curve.setData(self.steps[finite], self.values[finite])

    def x_span(self) -> tuple[float, float] | None:
        return (self.steps[0], self.steps[-1]) if len(self.steps) else None

    @property
    def n_points(self) -> int:
        return len(self.steps)


class Curves:
    """The loss curve (every step) and the TV curve (every eval_every steps)."""

    def __init__(self) -> None:
        self.loss = Curve("training loss", LOSS_PEN)
        self.loss.setObjectName("loss_curve")
        self.tv = Curve("TV distance to the data (exact, 128² grid)", TV_PEN)
        self.tv.setObjectName("tv_curve")

    def clear(self) -> None:
        self.loss.clear_points()
        self.tv.clear_points()

    def add_records(self, records: list[dict[str, Any]]) -> None:
        """Append metric records ({"step", "loss", "tv"?, …}) as written to metrics.jsonl."""
        with_loss = [r for r in records if isinstance(r.get("loss"), (int, float))]
        self.loss.extend((r["step"] for r in with_loss), (r["loss"] for r in with_loss))
        with_tv = [r for r in records if isinstance(r.get("tv"), (int, float))]
        self.tv.extend((r["step"] for r in with_tv), (r["tv"] for r in with_tv))
