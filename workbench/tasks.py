"""Run one-off computations off the GUI thread, dropping stale results (Orange's ConcurrentMixin idea).

    runner = TaskRunner(self)
    runner.finished.connect(self.on_result)      # (result) of the latest submission only
    runner.failed.connect(self.on_error)         # (message) — ValueError text, or the exception's
    runner.submit(landscape.density, E, 512, T)

Long work reports progress and can be cancelled: `submit_with_progress(fn, ...)` calls
`fn(..., report=report, should_stop=should_stop)`; `report(done, total, payload)` emits `progress`
(latest submission only) and `cancel()` makes `should_stop()` true for every submission in flight.
"""
from __future__ import annotations

import itertools
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from workbench.headless import background_priority


class _Signals(QObject):
    done = Signal(int, object)
    error = Signal(int, str)
    progress = Signal(int, int, int, object)


class _Task(QRunnable):
    """One submission. The pool deletes it after `run` (auto-delete): PySide6 keeps the Python side of
    a QRunnable that the pool does not delete alive for good, with its function and arguments (energies,
    sampler runs…), so every submission used to leak them (the monkey's RSS grew ~0.3 MB per action).
    The runner keeps only the task's signals and stop flag (in `_in_flight`), never the task."""

    def __init__(self, run_id: int, fn: Callable[..., Any], args: tuple, kwargs: dict,
                 signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.run_id, self.fn, self.args, self.kwargs = run_id, fn, args, kwargs
        self.signals = signals

    def run(self) -> None:
        background_priority()
        try:
            result = self.fn(*self.args, **self.kwargs)
        except ValueError as exc:
            self.signals.error.emit(self.run_id, str(exc))
        except Exception as exc:  # the app must survive anything a computation throws
            traceback.print_exc()
            self.signals.error.emit(self.run_id, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.run_id, result)
        finally:
            self.fn = self.args = self.kwargs = None  # drop the inputs as soon as the work is done


class TaskRunner(QObject):
    """Submit callables to a thread pool; only the newest submission's outcome is emitted."""

    finished = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)
    progress = Signal(int, int, object)  # done, total, payload (latest submission only)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._ids = itertools.count(1)
        self.latest = 0
        self._pending: set[int] = set()
        self._in_flight: dict[int, tuple[_Signals, threading.Event]] = {}  # until each one reports back

    @property
    def busy(self) -> bool:
        """True while the newest submission has not reported back."""
        return self.latest in self._pending

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Run `fn(*args, **kwargs)` in the pool; returns its run id (newer ids make older ones stale)."""
        run_id = next(self._ids)
        signals, _ = self._prepare(run_id)
        return self._start(_Task(run_id, fn, args, kwargs, signals))

    def submit_with_progress(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Like `submit`, passing `report(done, total, payload=None)` and `should_stop()` to `fn`."""
        run_id = next(self._ids)
        signals, stop = self._prepare(run_id)
        signals.progress.connect(self._on_progress)

        def report(done: int, total: int, payload: object = None) -> None:
            signals.progress.emit(run_id, int(done), int(total), payload)

        kwargs = {**kwargs, "report": report, "should_stop": stop.is_set}
        return self._start(_Task(run_id, fn, args, kwargs, signals))

    def _prepare(self, run_id: int) -> tuple[_Signals, threading.Event]:
        signals, stop = _Signals(), threading.Event()
        signals.done.connect(self._on_done)
        signals.error.connect(self._on_error)
        self._in_flight[run_id] = (signals, stop)
        return signals, stop

    def _start(self, task: _Task) -> int:
        self.latest = task.run_id
        self._pending.add(task.run_id)
        self.busyChanged.emit(True)
        self.pool.start(task)
        return task.run_id

    def cancel(self) -> None:
        """Ask every submission in flight to stop (their `should_stop()` turns true)."""
        for _, stop in self._in_flight.values():
            stop.set()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests, shutdown)."""
        return self.pool.waitForDone(msecs)

    @Slot(int, object)
    def _on_done(self, run_id: int, result: object) -> None:
        if self._settle(run_id):
            self.finished.emit(result)

    @Slot(int, int, int, object)
    def _on_progress(self, run_id: int, done: int, total: int, payload: object) -> None:
        if run_id == self.latest and run_id in self._pending:
            self.progress.emit(done, total, payload)

    @Slot(int, str)
    def _on_error(self, run_id: int, message: str) -> None:
        if self._settle(run_id):
            self.failed.emit(message)

    def _settle(self, run_id: int) -> bool:
        self._pending.discard(run_id)
        self._in_flight.pop(run_id, None)
        current = run_id == self.latest
        if current:
            self.busyChanged.emit(False)
        return current
