"""The part every long-running worker shares: a QThread running a loop object, one snapshot in
flight at a time (the GUI `ack`s what it drew), waiting for idle, and joining the thread; and the
priority policy of every worker thread (`background_priority`)."""
from __future__ import annotations

import os
import sys
import threading
import time

from PySide6.QtCore import QObject, QThread


BACKGROUND_NICE = 10  # the nice value of worker threads (the GUI thread keeps the process's, usually 0)


def background_priority() -> int | None:
    """Lower the calling worker thread's CPU priority to nice ≥ `BACKGROUND_NICE`; return its nice value.

    Why: with four Training pages training on 2 cores, a 20 ms timer on the GUI thread fired 115 ms late
    on average (p95 780 ms, worst 1.1 s); with the workers at nice 10 the scheduler favours the GUI thread
    and it is 12 ms late (p95 68 ms), with as many training steps per second (benchmarks/gui.py, "GUI
    while training"). Linux sets nice per thread; elsewhere (or if the OS refuses) nothing changes and
    None is returned.
    """
    if not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()
    try:
        nice = max(os.getpriority(os.PRIO_PROCESS, tid), BACKGROUND_NICE)  # never raise a thread's priority
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        return nice
    except OSError:
        return None


class LoopWorker(QObject):
    """Base of the sampler's and the trainer's workers; subclasses define `_start` and the loop."""

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
