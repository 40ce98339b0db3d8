"""Follow a run directory live (ours or one written by `ebm train` in another process).

A QTimer (500 ms) reads the lines of metrics.jsonl added since the last tick (`iter_metrics(start_line)`,
which skips a torn last line), the newest saved arrays of the sample names asked for and, when a new
checkpoint appears, says so (the page rebuilds the model from it off the GUI thread). Nothing is held open.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from core.runs import RunDir

INTERVAL_MS = 500


class RunFollower(QObject):
    """Emits new metric records and new sample arrays of the run it follows."""

    records = Signal(list)  # new metric records, in order
    samples = Signal(str, int, object)  # name, step, numpy array
    checkpointChanged = Signal(str)  # the run directory, whose newest checkpoint is new

    def __init__(self, parent: QObject | None = None, sample_names: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.sample_names = tuple(sample_names)
        self.timer = QTimer(self, interval=INTERVAL_MS)
        self.timer.timeout.connect(self.poll)
        self.run: RunDir | None = None
        self.next_line = 0
        self.samples_step: dict[str, int] = {}
        self.checkpoint_stamp: tuple[str, int] | None = None

    @property
    def path(self) -> Path | None:
        return None if self.run is None else self.run.path

    def follow(self, path: str | Path) -> None:
        """Start following `path`; ValueError (nothing changes) if it is not a run directory."""
        run = RunDir(path, create=False)  # ValueError: no such directory
        if not run.config_path.exists() and not run.metrics_path.exists():
            raise ValueError(f"{str(run.path)!r} is not a run directory (no config.json or metrics.jsonl)")
        self.run, self.next_line, self.samples_step, self.checkpoint_stamp = run, 0, {}, None
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.run = None

    def poll(self) -> None:
        """Read what was added since the last tick (also called by the timer)."""
        if self.run is None:
            return
        new = []
        for line, record in self.run.iter_metrics(self.next_line):
            new.append(record)
            self.next_line = line + 1
        if new:
            self.records.emit(new)
        for name in self.sample_names:
            try:
                latest = self.run.latest_samples(name)
            except (OSError, ValueError):  # a file being replaced right now: next tick
                latest = None
            if latest is not None and latest[0] != self.samples_step.get(name):
                self.samples_step[name] = latest[0]
                self.samples.emit(name, latest[0], latest[1])
        checkpoint = self.run.latest_checkpoint()
        try:
            stamp = None if checkpoint is None else (str(checkpoint), checkpoint.stat().st_mtime_ns)
        except OSError:  # replaced between the two calls: next tick
            stamp = None
        if stamp is not None and stamp != self.checkpoint_stamp:
            self.checkpoint_stamp = stamp
            self.checkpointChanged.emit(str(self.run.path))
