"""The part every long-running worker shares: a QThread running a loop object, one snapshot in
flight at a time (the GUI `ack`s what it drew), waiting for idle, and joining the thread. Every worker
thread lowers its own priority first (`workbench.headless.background_priority`)."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread


class LoopWorker(QObject):
    """Base of the sampler's play worker (training runs in a process: `training_process`); subclasses
    define `_start` and the loop."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._busy = False  # the loop is stepping
        self._in_flight = False  # a snapshot was sent and not yet drawn
        self._thread: QThread | None = None
        self._loop: QObject | None = None
        self.thread_nice: int | None = None  # the loop thread's nice value once it has run (tests)

    @property
    def busy(self) -> bool:
        """True while the loop is working."""
        return self._busy

    def ack(self) -> None:
        """The GUI has drawn the last snapshot: the next one may be sent."""
        self._in_flight = False

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Block until the loop is idle (tests, shutdown); True if it is."""
        deadline = time.monotonic() + timeout_s
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.002)
        return not self._busy

    def _join_thread(self) -> None:
        """End the thread's event loop and join it; safe to call twice."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._start.disconnect()
            self._thread, self._loop = None, None  # no parents: Python frees both, thread joined
