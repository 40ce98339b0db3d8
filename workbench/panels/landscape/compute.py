"""Compute exact landscapes for the panel: synchronously when cheap, in a worker when not.

Every computation is timed. A request runs on the GUI thread when its predicted cost is within a
frame (`FRAME_S`), else through a `TaskRunner` (a busy flag is raised meanwhile). The prediction is
the cost per grid point of the last evaluation of this kind of energy (`cost_key`: same class, name,
formula and parameter shapes, so a banana with another `b` or a retrained network of the same
architecture counts as known) times the number of points; a kind never seen before is probed once
on a small grid. Changing only the temperature re-normalises
the cached grid with `core.landscape.at_temperature` (no re-evaluation). Each request bumps a token:
a result whose token is no longer the newest is dropped, whichever path it took.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from core import landscape
from core.energies.base import Energy
from core.landscape import Landscape
from workbench.tasks import TaskRunner

FRAME_S = 0.016  # longer than a frame at 60 Hz: run it in the worker
PROBE_RESOLUTION = 64  # grid used to time an energy seen for the first time


@dataclass
class Outcome:
    """What one computation produced (or `error`), for which energy, and how long it took."""

    token: int
    energy: Energy
    resolution: int
    evaluated: Landscape | None = None  # energy-only grid, reused for other temperatures
    land: Landscape | None = None  # normalised at the requested temperature
    seconds: float = 0.0
    full: bool = True  # True: the energy was evaluated; False: only re-normalised
    error: str = ""


def compute(token: int, E: Energy, resolution: int, temperature: float,
            evaluated: Landscape | None = None) -> Outcome:
    """Evaluate `E` on the grid (unless `evaluated` is given), normalise at `temperature`; never raises.

    With `evaluated` None this is `landscape.density(E, resolution, temperature)`, timed.
    """
    out = Outcome(token, E, resolution, full=evaluated is None)
    start = time.perf_counter()
    try:
        out.evaluated = landscape.evaluate(E, resolution) if evaluated is None else evaluated
        out.land = landscape.at_temperature(out.evaluated, temperature)
    except ValueError as exc:
        out.error = str(exc)
    except Exception as exc:  # the app must survive anything a computation throws
        out.error = f"{type(exc).__name__}: {exc}"
    out.seconds = time.perf_counter() - start
    return out


def cost_key(E: Energy) -> tuple:
    """What the cost of evaluating `E` depends on: its class, name, formula and parameter shapes."""
    shapes = tuple(tuple(p.shape) for p in E.parameters())
    return type(E).__qualname__, E.name, str(E.params.get("expression", "")), shapes


def nonfinite_cells(land: Landscape) -> tuple[int, int]:
    """(cells whose energy is NaN or ±inf, all cells)."""
    energy = land.energy
    return int((~energy.isfinite()).sum()), math.prod(energy.shape)


class LandscapeComputer(QObject):
    """Turns (energy, resolution, temperature) requests into normalised `Landscape`s.

    `ready(Landscape)` and `failed(str)` fire for the newest request only; `busyChanged(bool)` while
    a worker computes it. `route` says how the last request ran ('sync' or 'worker').
    """

    ready = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._deliver)
        self.runner.failed.connect(self.failed)  # only if `compute` itself broke
        self._token = 0
        self._busy = False
        self._cached: Outcome | None = None  # the last full outcome: its grid serves new temperatures
        self._worker_job: tuple[Energy, int, int] | None = None  # (energy, resolution, token) running
        self._temperature = 1.0  # of the newest request
        self._cost: dict[tuple, float] = {}  # seconds per grid point, by `cost_key`
        self._renormalise_s: dict[int, float] = {}  # last re-normalisation time by resolution
        self.route = ""
        self.last_seconds = 0.0  # duration of the last delivered computation
        self.computed = 0  # results delivered (tests count recomputations with this)
        self.dropped = 0  # stale results thrown away

    @property
    def busy(self) -> bool:
        """True while the newest request is computing in the worker."""
        return self._busy

    def request(self, E: Energy, resolution: int, temperature: float, fresh: bool = False) -> str:
        """Compute the landscape of `E` on a `resolution` grid at `temperature`; returns the route.

        The grid of the last request is reused for a new temperature unless `fresh` (the energy may
        have changed in place, e.g. a network being trained).
        """
        self._temperature = float(temperature)
        job = self._worker_job
        if (not fresh and job is not None and job[0] is E and job[1] == resolution
                and job[2] == self._token):
            return self.route  # the running job is this grid; it is re-normalised when it lands
        self._token += 1
        cached = None if fresh else self._cached
        evaluated = None
        if cached is not None and cached.energy is E and cached.resolution == resolution:
            evaluated = cached.evaluated
            predicted = self._renormalise_s.get(resolution, 0.0)
        else:
            predicted = self.predict(E, resolution)
        if predicted > FRAME_S:
            self.route = "worker"
            self._worker_job = (E, resolution, self._token)
            self._set_busy(True)
            self.runner.submit(compute, self._token, E, resolution, temperature, evaluated)
        else:
            self.route = "sync"
            self._set_busy(False)
            self._deliver(compute(self._token, E, resolution, temperature, evaluated))
        return self.route

    def predict(self, E: Energy, resolution: int) -> float:
        """Predicted seconds for a full computation of `E` on a `resolution` grid."""
        key = cost_key(E)
        if key not in self._cost:
            self._cost[key] = self._probe(E)
        return self._cost[key] * resolution ** E.dim

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until worker computations have finished (tests, closing the window)."""
        return self.runner.wait(msecs)

    def _probe(self, E: Energy) -> float:
        """Seconds per grid point of evaluating `E` on a small grid (best of two)."""
        best = math.inf
        for _ in range(2):
            start = time.perf_counter()
            try:
                landscape.evaluate(E, PROBE_RESOLUTION)
            except Exception:  # the real computation will say what is wrong
                return 0.0
            best = min(best, time.perf_counter() - start)
        return best / PROBE_RESOLUTION ** E.dim

    def _deliver(self, out: Outcome) -> None:
        """Learn from any outcome; pass on only the newest request's."""
        if self._worker_job is not None and self._worker_job[2] == out.token:
            self._worker_job = None
        if not out.error:
            if out.full:
                self._cost[cost_key(out.energy)] = out.seconds / out.resolution ** out.energy.dim
            else:
                self._renormalise_s[out.resolution] = out.seconds
        if out.token != self._token:
            self.dropped += 1
            return
        self._set_busy(False)
        self.last_seconds = out.seconds
        if out.error:
            self.failed.emit(out.error)
            return
        if out.full:
            self._cached = out
        land = out.land
        if land.temperature != self._temperature:  # the temperature moved while it computed
            redo = compute(out.token, out.energy, out.resolution, self._temperature, out.evaluated)
            if redo.error:
                self.failed.emit(redo.error)
                return
            land = redo.land
        self.computed += 1
        self.ready.emit(land)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)
