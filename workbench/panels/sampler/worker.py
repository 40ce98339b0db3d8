"""The play worker: steps a `SamplerRun` in its own QThread and emits snapshots at ≤ 60 Hz.

    worker = PlayWorker()
    worker.snapshotReady.connect(view.on_snapshot)   # queued to the GUI thread
    worker.play(run)        # starts (or restarts on another run); cancels whatever played before
    worker.pause()          # the loop stops after the step in progress
    worker.shutdown()       # stop and join the thread (on close)

Each frame runs `speed` transitions, then one snapshot (numpy copies) is emitted; at most one
snapshot is in flight: until the GUI calls `ack()` the worker keeps stepping but does not emit,
so a slow view never queues stale frames. The pause/cancel flag (a play token) is checked every step.
"""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QThread, Signal, Slot

from workbench.errors import describe
from workbench.headless import background_priority
from workbench.workers import LoopWorker
from workbench.panels.sampler.session import SamplerRun

FRAME_S = 1.0 / 60.0  # snapshot period: the screen rate, not the step rate
MAX_SPEED = 100


class _Loop(QObject):
    """Lives in the worker thread; `run_loop` is invoked there by a queued signal."""

    snapshotReady = Signal(object)
    failed = Signal(int, str)  # run id, message
    idle = Signal(int)  # run id whose loop ended

    def __init__(self, owner: PlayWorker) -> None:
        super().__init__()
        self.owner = owner

    @Slot(object, int)
    def run_loop(self, run: SamplerRun, token: int) -> None:
        owner = self.owner
        if owner._token != token:  # paused or replaced before the loop even started
            return
        owner.thread_nice = background_priority()
        owner._busy = True
        run.reset_rate()
        next_frame = time.perf_counter()
        try:
            while owner._token == token:
                for _ in range(max(1, min(MAX_SPEED, owner.speed))):
                    if owner._token != token:
                        break
                    run.step()
                if not owner._in_flight:
                    owner._in_flight = True
                    self.snapshotReady.emit(run.snapshot())
                next_frame += owner.frame_s
                delay = next_frame - time.perf_counter()
                if delay > 0:
                    owner._wake.wait(delay)
                else:  # behind schedule: do not try to catch up
                    next_frame = time.perf_counter()
        except Exception as exc:  # an energy may raise anything; the app must carry on
            self.failed.emit(run.run_id, describe(exc))
        finally:
            owner._busy = False
            self.idle.emit(run.run_id)


class PlayWorker(LoopWorker):
    """Owns the thread and the loop; all methods are called from the GUI thread."""

    snapshotReady = Signal(object)  # Snapshot
    failed = Signal(int, str)
    idle = Signal(int)
    _start = Signal(object, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speed = 1  # transitions per frame, 1 … 100
        self.frame_s = FRAME_S
        self._token = 0
        self._wake = threading.Event()

    @property
    def playing(self) -> bool:
        """True between `play` and `pause`/`shutdown`."""
        return self._token % 2 == 1

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("sampler-play")
        self._loop = _Loop(self)
        self._loop.moveToThread(self._thread)
        self._start.connect(self._loop.run_loop)
        self._loop.snapshotReady.connect(self.snapshotReady)
        self._loop.failed.connect(self.failed)
        self._loop.idle.connect(self.idle)
        self._thread.start()

    def play(self, run: SamplerRun) -> None:
        """Play `run`, cancelling any loop in progress (its snapshots carry the old run id)."""
        self._ensure_thread()
        self._token += 2 if self.playing else 1  # odd tokens mean "playing"
        self._wake.set()  # wake a loop sleeping between frames so it sees the new token
        self._wake = threading.Event()
        self._in_flight = False
        self._start.emit(run, self._token)

    def pause(self) -> None:
        """Stop after the step in progress; the thread stays, idle, for the next `play`."""
        if self.playing:
            self._token += 1
        self._wake.set()

    def shutdown(self) -> None:
        """Pause, end the thread's event loop and join it. Safe to call twice."""
        self.pause()
        self._join_thread()
