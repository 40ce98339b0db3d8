"""The training worker: steps a core trainer in its own QThread, writes its run directory, sends snapshots.

    worker = TrainWorker()
    worker.snapshotReady.connect(panel.on_snapshot)   # queued to the GUI thread, ≤ 10 Hz
    run_id = worker.start(settings)   # stops (and checkpoints) whatever ran before
    worker.pause(); worker.resume(); worker.save(); worker.stop()
    worker.shutdown()                 # stop, checkpoint and join the thread (on close)

Like `core.training.fit`: config.json at the start, `run.log(t, **scalars)` every step, samples every
100 steps, a checkpoint every 500 steps and on stop/save/end; a NaN loss ends the run as "diverged"
and keeps the last good checkpoint. The flags are checked every step. At most one snapshot is in
flight: until the GUI calls `ack()` the worker keeps stepping and gathers the scalars for the next one.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from core import training
from core.runs import RunDir
from core.training.base import TrainingDiverged, is_sample_key, train_step
from workbench.errors import describe
from workbench.workers import LoopWorker, background_priority

FRAME_S = 0.1  # snapshots at most 10 Hz
CHECKPOINT_EVERY = 500
SAMPLES_EVERY = 100


@dataclass
class TrainSettings:
    """One `core.training.create(trainer, **params)` call, the run length and folder, and what to draw.

    `snapshot(trainer, first)` runs in the worker thread and returns the numpy payload of a snapshot
    (views of the family that started the run: a grid, negatives, image grids…); `first` is True once.
    """

    run_dir: Path
    trainer: str
    params: dict[str, Any] = field(default_factory=dict)
    total_steps: int = 5000
    snapshot: Callable[[Any, bool], dict[str, Any]] = lambda trainer, first: {}

    def create_trainer(self) -> Any:
        return training.create(self.trainer, **self.params)


@dataclass
class TrainSnapshot:
    """Numpy copies for the views. `history`: the scalar metrics of every step since the last snapshot;
    `payload`: what the family's `snapshot` function returned."""

    run_id: int
    t: int
    total: int
    history: list[dict[str, Any]]
    time_per_step: float
    payload: dict[str, Any] = field(default_factory=dict)


class _Job:
    """One run's flags (set from the GUI thread, read by the loop every step)."""

    def __init__(self, run_id: int, settings: TrainSettings) -> None:
        self.run_id, self.settings = run_id, settings
        self.stop, self.paused, self.save = threading.Event(), threading.Event(), threading.Event()
        self.wake = threading.Event()


class _Loop(QObject):
    """Lives in the worker thread; `run_job` is invoked there by a queued signal."""

    snapshotReady = Signal(object)
    started = Signal(int, str)  # run id, run directory
    saved = Signal(int, int, str)  # run id, step, checkpoint path
    ended = Signal(int, str, str)  # run id, reason (finished, stopped, diverged, failed), message

    def __init__(self, owner: TrainWorker) -> None:
        super().__init__()
        self.owner = owner

    @Slot(object)
    def run_job(self, job: _Job) -> None:
        if job.stop.is_set():
            self.ended.emit(job.run_id, "stopped", "stopped before it started")
            return
        self.owner.thread_nice = background_priority()
        self.owner._busy = True
        # Thread count is the app's policy (workbench.app.leave_a_core_for_the_gui), not the worker's.
        try:
            reason, message = self._train(job)
        except TrainingDiverged as exc:
            reason, message = "diverged", describe(exc)
        except Exception as exc:  # bad parameters, a full disk…: the app carries on
            reason, message = "failed", describe(exc)
        finally:
            self.owner._busy = False
        self.ended.emit(job.run_id, reason, message)

    def _train(self, job: _Job) -> tuple[str, str]:
        s = job.settings
        run = RunDir(s.run_dir)
        if run.config_path.exists():
            raise ValueError(f"{run.path} already holds a run; choose another run directory")
        trainer = s.create_trainer()
        run.write_config({"trainer": trainer.name, "params": trainer.config(), "total_steps": s.total_steps})
        self.started.emit(job.run_id, str(run.path))
        first = True
        history: list[dict[str, Any]] = []
        saved_at, last_emit = -1, -math.inf

        def save() -> None:
            nonlocal saved_at
            if trainer.t and saved_at != trainer.t:
                path = run.save_checkpoint(trainer.state_dict(), trainer.t)
                saved_at = trainer.t
                self.saved.emit(job.run_id, trainer.t, str(path))

        def emit() -> None:
            nonlocal first, history, last_emit
            owner = self.owner
            owner._in_flight = True
            tps = float(np.mean([h["time_per_step"] for h in history])) if history else 0.0
            payload = s.snapshot(trainer, first) if first or owner.views_wanted else {}
            self.snapshotReady.emit(TrainSnapshot(job.run_id, trainer.t, s.total_steps, history, tps, payload))
            first, history, last_emit = False, [], time.perf_counter()

        emit()
        while trainer.t < s.total_steps and not job.stop.is_set():
            if job.save.is_set():
                job.save.clear()
                save()
            if job.paused.is_set():
                if history:
                    emit()
                job.wake.wait(0.05)
                job.wake.clear()
                continue
            metrics = train_step(trainer, run, SAMPLES_EVERY)
            scalars = {k: v for k, v in metrics.items() if not is_sample_key(k)}
            if trainer.t % CHECKPOINT_EVERY == 0:
                save()
            history.append({"step": trainer.t, **scalars})
            if not self.owner._in_flight and time.perf_counter() - last_emit >= self.owner.frame_s:
                emit()
        save()
        if history:
            emit()
        stopped = job.stop.is_set() and trainer.t < s.total_steps
        return ("stopped", f"stopped at step {trainer.t}") if stopped else ("finished", f"done: {trainer.t} steps")


class TrainWorker(LoopWorker):
    """Owns the thread and the current job; all methods are called from the GUI thread."""

    snapshotReady = Signal(object)  # TrainSnapshot
    started = Signal(int, str)
    saved = Signal(int, int, str)
    ended = Signal(int, str, str)
    _start = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.frame_s = FRAME_S
        self.views_wanted = True  # False while the page is hidden: snapshots carry no pictures then
        self._run_ids = 0
        self._job: _Job | None = None

    @property
    def run_id(self) -> int:
        """Id of the latest run started (0: none)."""
        return self._run_ids

    @property
    def paused(self) -> bool:
        return self._job is not None and self._job.paused.is_set()

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._loop = _Loop(self)
        self._loop.moveToThread(self._thread)
        self._start.connect(self._loop.run_job)
        for name in ("snapshotReady", "started", "saved", "ended"):
            getattr(self._loop, name).connect(getattr(self, name))
        self._thread.start()

    def start(self, settings: TrainSettings) -> int:
        """Start a run (the previous one is stopped and checkpointed first); return its run id."""
        self.stop()
        self._ensure_thread()
        self._run_ids += 1
        self._job = _Job(self._run_ids, settings)
        self._in_flight = False
        self._start.emit(self._job)
        return self._run_ids

    def pause(self) -> None:
        if self._job is not None:
            self._job.paused.set()

    def resume(self) -> None:
        if self._job is not None:
            self._job.paused.clear()
            self._job.wake.set()

    def save(self) -> None:
        """Ask for a checkpoint after the step in progress (paused runs too)."""
        if self._job is not None:
            self._job.save.set()
            self._job.wake.set()

    def stop(self) -> None:
        """End the current run after the step in progress; it writes a checkpoint first."""
        if self._job is not None:
            self._job.stop.set()
            self._job.wake.set()

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Block until no run is in progress (tests, shutdown); True if idle."""
        return super().wait_idle(timeout_s)

    def shutdown(self) -> None:
        """Stop (with a checkpoint), end the thread's event loop and join it. Safe to call twice."""
        self.stop()
        self._join_thread()
