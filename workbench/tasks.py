"""Run one-off computations off the GUI thread, dropping stale results (Orange's ConcurrentMixin idea).

    runner = TaskRunner(self)
    runner.finished.connect(self.on_result)      # (result) of the latest submission only
    runner.failed.connect(self.on_error)         # (message) — ValueError text, or the exception's
    runner.submit(landscape.density, E, 512, T)
"""
from __future__ import annotations

import itertools
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Signals(QObject):
    done = Signal(int, object)
    error = Signal(int, str)


class _Task(QRunnable):
    def __init__(self, run_id: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.run_id, self.fn, self.args, self.kwargs = run_id, fn, args, kwargs
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except ValueError as exc:
            self.signals.error.emit(self.run_id, str(exc))
        except Exception as exc:  # the app must survive anything a computation throws
            traceback.print_exc()
            self.signals.error.emit(self.run_id, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.run_id, result)


class TaskRunner(QObject):
    """Submit callables to a thread pool; only the newest submission's outcome is emitted."""

    finished = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._ids = itertools.count(1)
        self.latest = 0
        self._pending: set[int] = set()
        self._tasks: dict[int, _Task] = {}

    @property
    def busy(self) -> bool:
        """True while the newest submission has not reported back."""
        return self.latest in self._pending

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Run `fn(*args, **kwargs)` in the pool; returns its run id (newer ids make older ones stale)."""
        run_id = next(self._ids)
        task = _Task(run_id, fn, args, kwargs)
        task.setAutoDelete(False)  # we keep it until its signal arrives, then drop it
        task.signals.done.connect(self._on_done)
        task.signals.error.connect(self._on_error)
        self.latest = run_id
        self._pending.add(run_id)
        self._tasks[run_id] = task
        self.busyChanged.emit(True)
        self.pool.start(task)
        return run_id

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests, shutdown)."""
        return self.pool.waitForDone(msecs)

    @Slot(int, object)
    def _on_done(self, run_id: int, result: object) -> None:
        if self._settle(run_id):
            self.finished.emit(result)

    @Slot(int, str)
    def _on_error(self, run_id: int, message: str) -> None:
        if self._settle(run_id):
            self.failed.emit(message)

    def _settle(self, run_id: int) -> bool:
        self._pending.discard(run_id)
        self._tasks.pop(run_id, None)
        current = run_id == self.latest
        if current:
            self.busyChanged.emit(False)
        return current
