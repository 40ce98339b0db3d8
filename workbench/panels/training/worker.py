"""The training worker: a page's handle on its training process (`workbench.training_process`).

    worker = TrainWorker()
    worker.snapshotReady.connect(panel.on_snapshot)   # in the GUI thread, ≤ 10 Hz
    run_id = worker.start(settings)   # stops (and checkpoints) whatever ran before
    worker.pause(); worker.resume(); worker.save(); worker.stop()
    worker.shutdown()                 # stop, checkpoint, end the process and join the reader thread

The process is started with the first run and serves the page's later runs; it trains with its own
interpreter, so the GUI thread never waits for a training step's GIL. Commands go down a pipe (a write
of a few bytes: the GUI thread never blocks); a reader thread blocks on the other pipe and hands each
message to the GUI thread as a queued signal. If the process dies (killed, out of memory), the run
ends as "failed" with the exit code and the next Start starts a new process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import torch
from PySide6.QtCore import QObject, Qt, Signal

import workbench
from workbench import headless
from workbench.training_process import FRAME_S, TrainSettings, TrainSnapshot

__all__ = ["TrainWorker", "TrainSettings", "TrainSnapshot"]

# the process: a fresh interpreter (fork + exec, nothing of the Qt process is copied) with the app's
# checkout first on sys.path and the working directory of the app (relative run folders mean the same)
BOOT = "import sys; sys.path[0] = {root!r}; from workbench.training_process import run; run(sys.argv[1:])"
SHUTDOWN_S = 10.0  # how long closing waits for a run to stop and checkpoint before killing the process


class _Relay(QObject):
    """Carries the reader thread's messages to the GUI thread."""

    received = Signal(object)


class TrainWorker(QObject):
    """Owns the training process, the reader thread and the current run; methods are called from the
    GUI thread."""

    snapshotReady = Signal(object)  # TrainSnapshot
    started = Signal(int, str)  # run id, run directory
    saved = Signal(int, int, str)  # run id, step, checkpoint path
    ended = Signal(int, str, str)  # run id, reason (finished, stopped, diverged, failed), message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.frame_s = FRAME_S
        self._views_wanted = True
        self._run_ids = 0
        self._paused = False
        self._busy = False  # a run of ours is in progress (set by start, cleared by its "ended")
        self._lock = threading.Lock()  # _busy and _run_ids, shared with the reader thread
        self._process: subprocess.Popen | None = None
        self._commands: Connection | None = None
        self._thread: threading.Thread | None = None  # the reader
        self._ready = False  # the process has imported torch and reads commands
        self.pid: int | None = None
        self.process_nice: int | None = None  # the training process's nice value once it is ready (tests)
        self._relay = _Relay(self)
        self._relay.received.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # --- state ----------------------------------------------------------------------------
    @property
    def run_id(self) -> int:
        """Id of the latest run started (0: none)."""
        return self._run_ids

    @property
    def busy(self) -> bool:
        """True from `start` until that run has ended."""
        return self._busy

    @property
    def paused(self) -> bool:
        return self._busy and self._paused

    @property
    def views_wanted(self) -> bool:
        """False while the page is hidden: snapshots then carry no pictures (scalars only)."""
        return self._views_wanted

    @views_wanted.setter
    def views_wanted(self, wanted: bool) -> None:
        if bool(wanted) != self._views_wanted:
            self._views_wanted = bool(wanted)
            self._send("views", self._views_wanted)

    # --- commands -------------------------------------------------------------------------
    def start(self, settings: TrainSettings) -> int:
        """Start a run (the previous one is stopped and checkpointed first); return its run id."""
        self.stop()
        with self._lock:
            self._run_ids += 1
            self._busy, self._paused = True, False
            run_id = self._run_ids
        try:
            self._ensure_process()
            self._commands.send(("start", run_id, settings, self.frame_s, self._views_wanted))
        except Exception as exc:  # no process, an unpicklable setting: the run fails, the app carries on
            with self._lock:
                self._busy = False
            self._relay.received.emit(("ended", run_id, "failed", headless.describe(exc)))
        return run_id

    def pause(self) -> None:
        self._paused = True
        self._send("pause", self._run_ids)

    def resume(self) -> None:
        self._paused = False
        self._send("resume", self._run_ids)

    def save(self) -> None:
        """Ask for a checkpoint after the step in progress (paused runs too)."""
        self._send("save", self._run_ids)

    def stop(self) -> None:
        """End the current run after the step in progress; it writes a checkpoint first."""
        self._send("stop", self._run_ids)

    def update_snapshot(self, snapshot) -> None:
        """Replace the current run's snapshot function (e.g. another probe image)."""
        self._send("snapshot", self._run_ids, snapshot)

    def ack(self) -> None:
        """The GUI has drawn the last snapshot: the next one may be sent."""
        self._send("ack")

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Block until no run is in progress (tests, shutdown); True if idle."""
        deadline = time.monotonic() + timeout_s
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.002)
        return not self._busy

    def _send(self, *message) -> None:
        if self._commands is None:
            return
        try:
            self._commands.send(message)
        except (OSError, ValueError):  # the process is gone: the reader reports it
            pass

    # --- the process ----------------------------------------------------------------------
    def _ensure_process(self) -> None:
        if self._commands is not None and self._process is not None and self._process.poll() is None:
            return
        self._close_process()
        commands_r, commands_w = os.pipe()
        results_r, results_w = os.pipe()
        root = str(Path(workbench.__file__).resolve().parents[1])  # this checkout's core and workbench first
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", BOOT.format(root=root), str(commands_r), str(results_w),
                 "--nice", str(headless.BACKGROUND_NICE), "--threads", str(torch.get_num_threads())],
                pass_fds=(commands_r, results_w), stdin=subprocess.DEVNULL)
        except OSError:
            os.close(commands_w)
            os.close(results_r)
            raise
        finally:  # the process's ends: only it holds them now, so either side sees EOF when the other ends
            os.close(commands_r)
            os.close(results_w)
        self._process = process
        self.pid, self._ready = self._process.pid, False
        self._commands = Connection(commands_w, readable=False)
        results = Connection(results_r, writable=False)
        self._thread = threading.Thread(target=self._read, args=(results, self._process),
                                        name=f"training-reader-{self.pid}", daemon=True)
        self._thread.start()

    def _read(self, results: Connection, process: subprocess.Popen) -> None:
        """(reader thread) Pass every message to the GUI thread until the process ends."""
        try:
            while True:
                message = results.recv()
                kind = message[0]
                if kind == "ready":
                    self._ready = True
                elif kind == "ended":
                    with self._lock:
                        if message[1] == self._run_ids:
                            self._busy = False
                self._relay.received.emit(message)
        except (EOFError, OSError):
            pass
        finally:
            results.close()
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        with self._lock:
            lost, self._busy = self._busy, False
            run_id = self._run_ids
        if lost:  # the process ended in the middle of a run
            how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}" if code else "no exit code"
            self._relay.received.emit(("ended", run_id, "failed",
                                       f"the training process ended unexpectedly ({how}); the run directory "
                                       "keeps the last checkpoint"))

    def _dispatch(self, message: tuple) -> None:
        """(GUI thread) One message of the process as a signal."""
        kind, *args = message
        if kind == "ready":
            self.process_nice = args[1]
        elif kind == "snapshot":
            self.snapshotReady.emit(args[0])
        elif kind == "started":
            self.started.emit(*args)
        elif kind == "saved":
            self.saved.emit(*args)
        elif kind == "ended":
            self.ended.emit(*args)

    def quit(self) -> None:
        """Ask the process to stop its run (with a checkpoint) and end; returns at once (`shutdown`
        waits). A panel asks all its pages' processes first, so they finish side by side."""
        commands, self._commands = self._commands, None
        if commands is None:
            return
        try:
            commands.send(("stop", self._run_ids))
            commands.send(("quit",))
        except (OSError, ValueError):
            pass
        commands.close()  # end of file: a process still importing ends at its first read

    def _close_process(self) -> None:
        """End the process (`quit`), wait for it (kill it if it hangs), join the reader."""
        self.quit()
        process, reader = self._process, self._thread
        self._process = self._thread = None
        if process is not None:
            if not self._ready:  # still starting: no run of ours has begun, nothing to save
                process.kill()
            try:
                process.wait(timeout=SHUTDOWN_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if reader is not None:
            reader.join()

    def shutdown(self) -> None:
        """Stop the run (with a checkpoint), end the process and join the reader thread. Safe to repeat."""
        self._close_process()
        with self._lock:
            self._busy = False
