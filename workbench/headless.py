"""The Qt-free parts of the app that a training process imports too: how an error is put in words,
and the CPU priority of background work."""
from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICE = 10  # nice value of workers and training processes (the GUI keeps the app's, usually 0)


def describe(exc: BaseException) -> str:
    """The error in words: its message (first line), prefixed by its type unless a ValueError."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(exc, ValueError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def background_priority(nice: int | None = None) -> int | None:
    """Lower the calling thread's CPU priority to nice ≥ `nice` (default `BACKGROUND_NICE`); return its
    nice value. Threads it starts afterwards inherit it (a training process calls it first thing).

    Why: with four Training pages training on 2 cores the GUI must win the CPU when it has something
    to draw (benchmarks/gui.py, "GUI while training": a 20 ms timer 7 ms late on average at nice 10,
    92 ms at the GUI's priority). Linux sets nice per thread; elsewhere (or if the OS refuses)
    nothing changes and None is returned.
    """
    if not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()
    try:
        value = max(os.getpriority(os.PRIO_PROCESS, tid), BACKGROUND_NICE if nice is None else nice)
        os.setpriority(os.PRIO_PROCESS, tid, value)  # never raises a thread's priority
        return value
    except OSError:
        return None
