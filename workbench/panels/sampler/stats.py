"""Statistics off the GUI thread: ESS, R-hat, TV distance, marginal histograms and trace data.

`compute(run, energy, T)` is plain Python (any thread); `LiveStats` runs it in a `TaskRunner`
a few times a second while playing, never more than one at a time (a request made while one runs
is remembered and made when it ends), and emits `ready(result)`.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core import diagnostics
from core.energies.base import Energy
from workbench.panels.sampler import live_plots
from workbench.panels.sampler.session import SamplerRun
from workbench.tasks import TaskRunner

WINDOW_STEPS = 200  # rolling window for ESS and R-hat
WINDOW_CHAINS = 64  # chains used for ESS and R-hat
TV_RESOLUTION = 64
TV_SAMPLES = 20_000  # pool recent steps until about this many samples for TV and histograms
POOL_STEPS = 500
INTERVAL_MS = 250  # 4 Hz while playing


def _pooled_samples(run: SamplerRun) -> tuple[np.ndarray, str]:
    """Samples for TV and histograms: all current positions, or recent steps pooled when few chains."""
    n = run.n_chains
    if n >= TV_SAMPLES // 4 or run.t == 0:
        return run.positions(), f"current positions of {n:,} chains"
    steps = min(POOL_STEPS, max(1, math.ceil(TV_SAMPLES / min(n, run.history.m))))
    window = run.history_window(steps, None)
    x = window["x"]
    return x.reshape(-1, x.shape[-1]), f"last {x.shape[0]} steps × {x.shape[1]} chains"


def compute(run: SamplerRun, energy: Energy, temperature: float) -> dict[str, Any]:
    """ESS, R-hat, TV distance, marginal histograms and trace data for `run` (any thread).

    Each part that cannot be computed yet (too few steps) or fails is None; never raises ValueError
    for a short or degenerate trace.
    """
    out: dict[str, Any] = {"run_id": run.run_id, "t": run.t, "ess": None, "rhat": None, "tv": None}
    window = run.history_window(WINDOW_STEPS, WINDOW_CHAINS)
    out["window"] = window["x"].shape[:2]
    if window["x"].shape[0] >= 4:
        try:
            out["ess"] = diagnostics.ess(window["x"]).numpy()
            out["rhat"] = diagnostics.rhat(window["x"]).numpy()
        except ValueError:
            pass
    samples, source = _pooled_samples(run)
    out["samples"] = source
    if energy.dim <= 2:
        try:
            out["tv"] = diagnostics.tv_distance(samples, energy, TV_RESOLUTION, temperature)
        except ValueError:
            pass
    out["hist"] = [live_plots.histogram_density(samples[:, d], lo, hi)
                   for d, (lo, hi) in enumerate(energy.bounds)]
    trace = run.history_window(live_plots.TRACE_STEPS, live_plots.TRACE_CHAINS)
    out["trace"] = (trace["t"], trace["x"][:, :, 0])
    return out


class LiveStats(QObject):
    """Runs `compute` on what `source()` returns ((run, energy, T) or None), one task at a time."""

    ready = Signal(dict)
    failed = Signal(str)

    def __init__(self, source: Callable[[], tuple[SamplerRun, Energy, float] | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.runner = TaskRunner(self)
        self.timer = QTimer(self, interval=INTERVAL_MS)
        self.timer.timeout.connect(self.request)
        self.runner.finished.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self._dirty = False

    def request(self) -> None:
        """Compute now, or as soon as the task in progress ends."""
        if self.runner.busy:
            self._dirty = True
            return
        args = self.source()
        if args is not None:
            self._dirty = False
            self.runner.submit(compute, *args)

    def _on_done(self, result: dict) -> None:
        self.ready.emit(result)
        if self._dirty:
            self.request()

    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)
        if self._dirty:
            self.request()

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until no computation runs (shutdown, tests)."""
        self.timer.stop()
        return self.runner.wait(msecs)
