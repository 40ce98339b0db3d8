"""What every page of the Training panel shares: the transport (Start / Pause / Resume / Stop / Save),
the training worker (a process of its own), following a run directory, and a clean shutdown.

A page (2D densities, regression, GAN-style EBMs) subclasses `RunPage` and supplies its controls, its
views and a handful of hooks: `make_settings`, `draw_snapshot`, `reset_views`, `add_records`,
`show_followed_config`, `draw_followed_samples`, and optionally `checkpoint_view` (runs in the thread
pool: rebuild a followed run's model from its newest checkpoint) with `draw_checkpoint_view`.
Snapshots are drawn only if they carry the current run id (STYLE §5).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLayout, QMainWindow, QScrollArea, QVBoxLayout,
                               QWidget)

from core.runs import RunDir
from workbench import errors
from workbench.panels.training.follow import RunFollower
from workbench.panels.training.transport import Transport
from workbench.panels.training.worker import TrainSettings, TrainSnapshot, TrainWorker
from workbench.tasks import TaskRunner


def default_run_dir(*parts: str) -> Path:
    """A new folder under the user's data folder (or the temp folder): runs/PART-PART-TIME."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    root = Path(base) / "runs" if base else Path(tempfile.gettempdir()) / "energy-workbench-runs"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = "-".join(p.replace("/", "_") for p in parts if p)
    path, n = root / f"{name}-{stamp}", 1
    while path.exists():
        n += 1
        path = root / f"{name}-{stamp}-{n}"
    return path


def _with_path(view_of: Any, path: str) -> tuple[Path, Any]:
    """(thread pool) `(path, view_of(path))`, so the answer can be matched to the run followed now."""
    return Path(path), view_of(path)


class RunPage(QWidget):
    """Base of the Training panel's pages; subclasses build `self.transport` into their layout."""

    trainers: tuple[str, ...] = ()  # the core trainer names this page draws (runs it can follow)
    sample_names: tuple[str, ...] = ()  # samples/ arrays of a followed run this page draws
    messageShown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transport = Transport()
        self.step_label = QLabel("step —", objectName="step_label")
        self.time_label = QLabel("time per step —", objectName="time_label")
        self.run_label = QLabel("no run yet", objectName="run_label", wordWrap=True)
        self.worker = TrainWorker(self)
        self.follower = RunFollower(self, self.sample_names)
        self.checkpoint_task = TaskRunner(self)  # rebuilds a followed run's model off the GUI thread
        self.run_id = 0  # the run whose snapshots are drawn (0: none)
        self.run_dir: Path | None = None
        self.step = 0
        self.snapshots_drawn = 0
        self._undrawn: TrainSnapshot | None = None  # the newest snapshot that arrived while hidden
        self._closed = False
        b = self.transport.buttons
        b["start"].clicked.connect(self.start)
        b["pause"].clicked.connect(self.pause)
        b["resume"].clicked.connect(self.resume)
        b["stop"].clicked.connect(self.stop)
        b["save"].clicked.connect(self.save_checkpoint)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.started.connect(self._on_started)
        self.worker.saved.connect(self._on_saved)
        self.worker.ended.connect(self._on_ended)
        self.follower.records.connect(self._on_records)
        self.follower.samples.connect(self._on_followed_samples)
        self.follower.checkpointChanged.connect(
            lambda path: self.checkpoint_task.submit(_with_path, type(self).checkpoint_view, path))
        self.checkpoint_task.finished.connect(self._on_checkpoint_view)
        self.checkpoint_task.failed.connect(lambda message: self.run_label.setToolTip(f"no model view: {message}"))

    def lay_out(self, controls: QWidget, middle: QWidget | QLayout, curves: Sequence[QWidget],
                controls_width: int = 300, side_width: int = 400, side_top: QLayout | None = None,
                labels: Sequence[QWidget] = ()) -> None:
        """Every page's frame: scrolling `controls` | `middle` | a side column of `curves` over the step,
        time and run labels (plus `labels`), with `side_top` (e.g. display options) above the curves."""
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(200)
        scroll.setMaximumWidth(controls_width)
        side = QWidget()
        side.setMaximumWidth(side_width)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        if side_top is not None:
            column.addLayout(side_top)
        for curve in curves:
            column.addWidget(curve, 1)
        for label in (self.step_label, self.time_label, self.run_label, *labels):
            column.addWidget(label)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(scroll)
        row.addLayout(middle, 1) if isinstance(middle, QLayout) else row.addWidget(middle, 1)
        row.addWidget(side)

    # --- hooks -----------------------------------------------------------------------------
    def make_settings(self) -> TrainSettings:
        raise NotImplementedError

    def set_inputs_enabled(self, enabled: bool) -> None:
        """Enable the settings widgets (disabled while a run is live)."""

    def draw_snapshot(self, snap: TrainSnapshot) -> None:
        """Draw a worker snapshot's payload and records."""

    def reset_views(self) -> None:
        """Clear curves and pictures before a new run or a followed one."""

    def add_records(self, records: list[dict[str, Any]]) -> None:
        """Append metric records (as in metrics.jsonl) to the curves."""

    def show_followed_config(self, config: dict[str, Any]) -> None:
        """Show a followed run's settings (config.json)."""

    def draw_followed_samples(self, name: str, step: int, array: Any) -> None:
        """Draw a followed run's newest saved samples array `name`."""

    @staticmethod
    def checkpoint_view(path: str) -> Any:
        """(thread pool) The model view of run `path`'s newest checkpoint; ValueError if none."""
        raise ValueError("this page draws no model view of a checkpoint")

    def draw_checkpoint_view(self, view: Any) -> None:
        """Draw what `checkpoint_view` returned."""

    # --- transport -------------------------------------------------------------------------
    def start(self) -> None:
        """Start a new run from the controls (stops following a run directory)."""
        if self._closed:
            return
        self.follower.stop()
        try:
            settings = self.make_settings()
        except ValueError as exc:
            self.transport.show_message(errors.report_error(self, exc, "start training"))
            return
        self._reset()
        self.run_dir = settings.run_dir
        self.run_id = self.worker.start(settings)
        self._set_state("running")
        self.say(f"Starting a run in {settings.run_dir} …")

    def pause(self) -> None:
        self.worker.pause()
        self._set_state("paused")
        self.say(f"Paused at step {self.step}.")

    def resume(self) -> None:
        self.worker.resume()
        self._set_state("running")
        self.say("Training…")

    def stop(self) -> None:
        """End the run after the step in progress; it writes a checkpoint."""
        self.worker.stop()
        self.say("Stopping…")

    def save_checkpoint(self) -> None:
        self.worker.save()

    def _set_state(self, state: str) -> None:
        self.transport.set_state(state)
        self.set_inputs_enabled(state == "idle")

    def _reset(self) -> None:
        self.reset_views()
        self._undrawn = None
        self.step = 0
        self.step_label.setText("step —")
        self.time_label.setText("time per step —")

    def say(self, text: str) -> None:
        """Show `text` under the buttons and in the window's status bar."""
        self.transport.show_message(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, errors.STATUS_TIMEOUT_MS)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.worker.views_wanted = True
        snap, self._undrawn = self._undrawn, None
        if snap is not None and snap.payload and snap.run_id == self.run_id and not self._closed:
            self.draw_snapshot(snap)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.worker.views_wanted = False  # the worker sends scalars only (and the first payload)

    # --- worker results --------------------------------------------------------------------
    def _on_snapshot(self, snap: TrainSnapshot) -> None:
        self.worker.ack()
        if snap.run_id != self.run_id or self._closed:
            return  # a stale snapshot of an older run
        if self._undrawn is not None:  # keep what only earlier payloads carried (the data, the truth)
            snap.payload = {**self._undrawn.payload, **snap.payload}
            self._undrawn = None
        if self.isVisible():
            if snap.payload:  # empty: computed while the page was hidden
                self.draw_snapshot(snap)
        else:  # a hidden page draws its newest snapshot when shown: no GUI time on pictures nobody sees
            self._undrawn = snap
        self.add_records(snap.history)
        self.step = snap.t
        self.step_label.setText(f"step {snap.t:,} / {snap.total:,}")
        if snap.history:
            self.time_label.setText(f"time per step {snap.time_per_step * 1e3:.1f} ms")
        self.snapshots_drawn += 1

    def _on_started(self, run_id: int, path: str) -> None:
        if run_id == self.run_id:
            self.run_label.setText(f"run dir: {path}")
            self.say("Training…")

    def _on_saved(self, run_id: int, step: int, path: str) -> None:
        if run_id == self.run_id:
            self.say(f"Checkpoint saved at step {step}: {Path(path).name}")

    def _on_ended(self, run_id: int, reason: str, message: str) -> None:
        if run_id != self.run_id or self._closed:
            return
        self._set_state("idle")
        if reason == "failed":
            errors.report_error(self, ValueError(message), "train")
            self.transport.show_message(f"Training failed: {message}")
        elif reason == "diverged":
            self.say(f"Training diverged: {message}")
        else:
            self.say(f"Training {message}.")

    # --- following a run directory ---------------------------------------------------------
    def open_run(self) -> None:
        """Pick a run directory (non-blocking dialog), then follow it live."""
        dialog = QFileDialog(self, "Open run directory", str(self.run_dir.parent if self.run_dir else Path.cwd()))
        dialog.setObjectName("open_run_dialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.follow_run)
        dialog.finished.connect(dialog.deleteLater)
        self.say("Choose a run directory to follow…")
        dialog.open()

    def follow_run(self, path: str | Path) -> bool:
        """Follow run directory `path` live (curves, samples, model view); stops a run of our own first."""
        self.worker.stop()
        self.run_id = 0  # no snapshot of ours is drawn while following
        self._set_state("idle")
        self._reset()
        try:  # settings first: they may reshape the curves the records then fill
            self.show_followed_config(RunDir(path, create=False).read_config())
        except (ValueError, KeyError, TypeError, OSError):  # no or an unknown config: curves only
            pass
        try:
            self.follower.follow(path)
        except ValueError as exc:
            self.transport.show_message(errors.report_error(self, exc, "open the run"))
            return False
        self.run_dir = self.follower.path
        self.run_label.setText(f"following: {self.run_dir}")
        self.say(f"Following {self.run_dir}")
        return True

    def _on_records(self, records: list[dict[str, Any]]) -> None:
        self.add_records(records)
        last = records[-1]
        self.step = int(last.get("step", 0))
        self.step_label.setText(f"step {self.step:,}")
        tps = last.get("time_per_step")
        if isinstance(tps, (int, float)):
            self.time_label.setText(f"time per step {tps * 1e3:.1f} ms")

    def _on_followed_samples(self, name: str, step: int, array: Any) -> None:
        if not self._closed:
            self.draw_followed_samples(name, step, array)

    def _on_checkpoint_view(self, result: tuple[Path, Any]) -> None:
        path, view = result
        if self.follower.path == Path(path) and not self._closed:  # still following that run
            self.draw_checkpoint_view(view)

    # --- lifetime --------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the run (it writes a checkpoint), end the training process, stop following. Safe to repeat."""
        self._closed = True
        self.follower.stop()
        self.worker.shutdown()
        self.checkpoint_task.wait()
