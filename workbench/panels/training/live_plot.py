"""What every live metric plot of the Training panel shares: draw at most twice a second, nothing while
hidden, and an x range that grows in coarse steps.

Records come at up to 10 Hz per page (and in bursts when a followed run is read); the plots keep every
record in their buffers but put them on screen at most every `REDRAW_S`, and a hidden plot (a page not
shown, another tab) only marks itself stale and draws once when shown. The x axis is not auto-ranged
point by point: it shows [first step, a round number ≥ the last step] and changes only when the run
passes that number, so the axes are not laid out again at every snapshot (the monkey's GUI stalls were
pyqtgraph laying out and painting axes of every visible curve at every snapshot). Panning or zooming
by hand stops the x range from following until the plot is cleared.
"""
from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent

TITLE_SIZE = "9pt"
REDRAW_S = 0.5  # at most 2 redraws a second (the buffers take every record)
NICE_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # the x limit grows ≤ 25 % a time


def nice_ceiling(x: float) -> float:
    """The smallest number m·10^k ≥ `x` with m in `NICE_MANTISSAS` (1 for x ≤ 1)."""
    if not x > 1:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(x))
    return next(m * scale for m in NICE_MANTISSAS if m * scale >= x * (1 - 1e-12))


class LivePlot(pg.PlotWidget):
    """A metric-against-step plot; subclasses keep buffers, call `request_redraw()` when they grow, and
    implement `draw()` (put the buffers on screen) and `x_span()` (first and last step, or None)."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setTitle(title, size=TITLE_SIZE)
        self.setLabel("bottom", "step")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setDownsampling(auto=True, mode="peak")  # long runs: draw what the pixels can show
        self.setClipToView(True)
        self.enableAutoRange(x=False, y=True)
        self.follow_x = True  # the x range follows the run until the user pans or zooms
        self.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        self._x_range: tuple[float, float] | None = None
        self._stale = False
        self._last_draw = -math.inf
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.redraw)
        self.redraws = 0  # times the buffers were put on screen (tests, benchmarks)

    def draw(self) -> None:
        raise NotImplementedError

    def x_span(self) -> tuple[float, float] | None:
        raise NotImplementedError

    def request_redraw(self) -> None:
        """The buffers grew: draw now if the last draw is `REDRAW_S` old, else once when it is."""
        self._stale = True
        if self._timer.isActive():
            return
        wait = self._last_draw + REDRAW_S - time.perf_counter()
        if wait > 0:
            self._timer.start(int(wait * 1000) + 1)
        else:
            self.redraw()

    def redraw(self) -> None:
        """Draw the buffers now (a hidden plot draws when shown)."""
        self._timer.stop()
        self._stale = True
        if not self.isVisible():
            return
        self._stale = False
        self._last_draw = time.perf_counter()
        self.draw()
        self._follow()
        self.redraws += 1

    def reset_range(self) -> None:
        """A new run: the x range follows again (call when clearing the buffers)."""
        self.follow_x, self._x_range = True, None

    def _follow(self) -> None:
        span = self.x_span() if self.follow_x else None
        if span is None:
            return
        lo = float(span[0]) if span[0] < span[1] else 0.0
        new = (lo, max(nice_ceiling(span[1]), lo + 1.0))
        if new != self._x_range:
            self._x_range = new
            self.setXRange(*new, padding=0.02)

    def _user_moved(self, *_args) -> None:
        self.follow_x = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.redraw()
