"""The Training panel: train an unconditional 2D EBM live, or follow a run directory written elsewhere.

`TrainingControls` builds a `TrainSettings`; the `TrainWorker` trains in its thread and sends snapshots
(≤ 10 Hz) that are drawn only if they carry the current run id (STYLE §5). `RunFollower` reads a run
directory every 500 ms instead. Closing the window stops the run, writes a checkpoint, joins the thread.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QStandardPaths
from PySide6.QtWidgets import (QApplication, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QScrollArea,
                               QVBoxLayout, QWidget)
from shiboken6 import getCppPointer

from core import data
from core import device as devices
from workbench import errors
from workbench.tasks import TaskRunner
from workbench.panels.training.controls import TrainingControls
from workbench.panels.training.follow import RunFollower, grid_of_checkpoint
from workbench.panels.training.views import Curves, TrainingMap, landscape_from
from workbench.panels.training.worker import MAX_POINTS, TrainSettings, TrainSnapshot, TrainWorker

CONTROLS_WIDTH = 300
SIDE_WIDTH = 400


def default_run_dir(dataset: str, method: str) -> Path:
    """A new folder under the user's data folder (or the temp folder): runs/DATASET-METHOD-TIME."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    root = Path(base) / "runs" if base else Path(tempfile.gettempdir()) / "energy-workbench-runs"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = root / f"{dataset}-{method}-{stamp}", 1
    while path.exists():
        n += 1
        path = root / f"{dataset}-{method}-{stamp}-{n}"
    return path


def _grid_for(path: str) -> tuple[Path, int, dict[str, Any]]:
    """(run directory, step, grid) of a followed run's newest checkpoint (runs in the thread pool)."""
    return (Path(path), *grid_of_checkpoint(path))


class TrainingPanel(QWidget):
    """Train `core.training` "ebm2d" trainers and watch the landscape, negatives and curves evolve."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        before = {getCppPointer(w)[0] for w in QApplication.topLevelWidgets()}
        self.setObjectName("TrainingPanel")
        self.device = str(devices.pick())
        self.controls = TrainingControls()
        self.map = TrainingMap()
        self.curves = Curves()
        self.step_label = QLabel("step —", objectName="step_label")
        self.time_label = QLabel("time per step —", objectName="time_label")
        self.run_label = QLabel("no run yet", objectName="run_label", wordWrap=True)
        self.device_label = QLabel(f"device {self.device}", objectName="device_label")
        self._layout()
        self.worker = TrainWorker(self)
        self.follower = RunFollower(self)
        self.checkpoint_task = TaskRunner(self)  # rebuilds a followed run's model off the GUI thread
        self.run_id = 0  # the run whose snapshots are drawn (0: none)
        self.run_dir: Path | None = None
        self.step = 0
        self.snapshots_drawn = 0
        self._closed = False
        self._connect()
        for w in QApplication.topLevelWidgets():  # pyqtgraph's parentless menus go with this panel
            if getCppPointer(w)[0] not in before and w is not self:
                w.setParent(self, w.windowFlags())

    def _layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(200)
        scroll.setMaximumWidth(CONTROLS_WIDTH)
        side = QWidget()
        side.setMaximumWidth(SIDE_WIDTH)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.curves.loss, 1)
        column.addWidget(self.curves.tv, 1)
        for label in (self.step_label, self.time_label, self.run_label, self.device_label):
            column.addWidget(label)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(scroll)
        row.addWidget(self.map, 1)
        row.addWidget(side)

    def _connect(self) -> None:
        b = self.controls.buttons
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
        self.follower.samples.connect(lambda step, xy: self.map.set_points(self.map.negatives, xy))
        self.follower.checkpointChanged.connect(lambda path: self.checkpoint_task.submit(_grid_for, path))
        self.checkpoint_task.finished.connect(self._on_checkpoint_grid)
        self.checkpoint_task.failed.connect(lambda message: self.run_label.setToolTip(f"no landscape: {message}"))
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # --- transport -------------------------------------------------------------------------
    def settings(self) -> TrainSettings:
        """A `TrainSettings` from the controls (a new default run folder when none is given)."""
        s: dict[str, Any] = self.controls.settings()
        run_dir = s.pop("run_dir") or default_run_dir(s["dataset"], s["method"])
        return TrainSettings(run_dir=run_dir, device=self.device, **s)

    def start(self) -> None:
        """Start a new run from the controls (stops following a run directory)."""
        if self._closed:
            return
        self.follower.stop()
        settings = self.settings()
        self._reset_views()
        self.run_dir = settings.run_dir
        self.run_id = self.worker.start(settings)
        self.controls.set_state("running")
        self._say(f"Starting a run in {settings.run_dir} …")

    def pause(self) -> None:
        self.worker.pause()
        self.controls.set_state("paused")
        self._say(f"Paused at step {self.step}.")

    def resume(self) -> None:
        self.worker.resume()
        self.controls.set_state("running")
        self._say("Training…")

    def stop(self) -> None:
        """End the run after the step in progress; it writes a checkpoint."""
        self.worker.stop()
        self._say("Stopping…")

    def save_checkpoint(self) -> None:
        self.worker.save()

    def _reset_views(self) -> None:
        self.curves.clear()
        self.map.set_points(self.map.data_points, None)
        self.map.set_points(self.map.negatives, None)
        self.step = 0
        self.step_label.setText("step —")
        self.time_label.setText("time per step —")

    def _say(self, text: str) -> None:
        self.controls.show_message(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, errors.STATUS_TIMEOUT_MS)

    # --- worker results --------------------------------------------------------------------
    def _on_snapshot(self, snap: TrainSnapshot) -> None:
        self.worker.ack()
        if snap.run_id != self.run_id or self._closed:
            return  # a stale snapshot of an older run
        if snap.data is not None:
            self.map.set_points(self.map.data_points, snap.data)
        if snap.grid is not None:
            self.map.set_landscape(landscape_from(snap.grid), "log_density")
        self.map.set_points(self.map.negatives, snap.negatives)
        self.curves.add_records(snap.history)
        self.step = snap.t
        self.step_label.setText(f"step {snap.t:,} / {snap.total:,}")
        if snap.history:
            self.time_label.setText(f"time per step {snap.time_per_step * 1e3:.1f} ms")
        self.snapshots_drawn += 1

    def _on_started(self, run_id: int, path: str) -> None:
        if run_id == self.run_id:
            self.run_label.setText(f"run dir: {path}")
            self._say("Training…")

    def _on_saved(self, run_id: int, step: int, path: str) -> None:
        if run_id == self.run_id:
            self._say(f"Checkpoint saved at step {step}: {Path(path).name}")

    def _on_ended(self, run_id: int, reason: str, message: str) -> None:
        if run_id != self.run_id or self._closed:
            return
        self.controls.set_state("idle")
        if reason == "failed":
            errors.report_error(self, ValueError(message), "train")
            self.controls.show_message(f"Training failed: {message}")
        elif reason == "diverged":
            self._say(f"Training diverged: {message}")
        else:
            self._say(f"Training {message}.")

    # --- following a run directory ---------------------------------------------------------
    def open_run(self) -> None:
        """File › Open run…: pick a run directory (non-blocking dialog), then follow it live."""
        dialog = QFileDialog(self, "Open run directory", str(self.run_dir.parent if self.run_dir else Path.cwd()))
        dialog.setObjectName("open_run_dialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.follow_run)
        dialog.finished.connect(dialog.deleteLater)
        self._say("Choose a run directory to follow…")
        dialog.open()

    def follow_run(self, path: str | Path) -> bool:
        """Follow run directory `path` live (curves, negatives); stops a run of our own first."""
        self.worker.stop()
        self.run_id = 0  # no snapshot of ours is drawn while following
        self.controls.set_state("idle")
        self._reset_views()
        try:
            self.follower.follow(path)
        except ValueError as exc:
            self.controls.show_message(errors.report_error(self, exc, "open the run"))
            return False
        self.run_dir = self.follower.path
        self.run_label.setText(f"following: {self.run_dir}")
        self._show_data_of_followed_run()
        self._say(f"Following {self.run_dir}")
        return True

    def _show_data_of_followed_run(self) -> None:
        try:
            config = self.follower.run.read_config()
            params = config.get("params", {})
            if config.get("trainer") == "ebm2d":
                self.controls.show_config(params, config.get("total_steps"))
            points = data.sample(params["dataset"], MAX_POINTS, seed=int(params.get("seed", 0))).numpy()
        except (ValueError, KeyError, TypeError):  # points from a file, or an unknown config
            return
        self.map.set_points(self.map.data_points, points)

    def _on_records(self, records: list[dict[str, Any]]) -> None:
        self.curves.add_records(records)
        last = records[-1]
        self.step = int(last.get("step", 0))
        self.step_label.setText(f"step {self.step:,}")
        tps = last.get("time_per_step")
        if isinstance(tps, (int, float)):
            self.time_label.setText(f"time per step {tps * 1e3:.1f} ms")

    def _on_checkpoint_grid(self, result: tuple[Path, int, dict[str, Any]]) -> None:
        path, _step, grid = result
        if self.follower.path == path and not self._closed:  # still following that run
            self.map.set_landscape(landscape_from(grid), "log_density")

    # --- lifetime --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        window = self.window()
        if window is not self:
            window.removeEventFilter(self)
            window.installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and obj is self.window():
            self.shutdown()
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the run (it writes a checkpoint), join the thread, stop following. Safe to repeat."""
        self._closed = True
        self.follower.stop()
        self.worker.shutdown()
        self.checkpoint_task.wait()
