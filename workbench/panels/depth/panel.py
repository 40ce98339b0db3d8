"""The Depth panel: open an image (or a sample with ground truth from the synthetic scenes, an NYU Depth v2
file or a folder, and step through it), predict its depth with the depth EBM in a worker (progress,
cancel), and compare RGB | prediction | ground truth | error on one colour scale, with metrics, a
walk through the refinement steps, the uncertainty map, a 3D point cloud, and export."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow,
                               QProgressBar, QPushButton, QSlider, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from core import depth
from core.depth.metrics import LABELS, NAMES
from workbench import errors
from workbench.panels.depth.cloud import PointCloudView
from workbench.panels.depth.jobs import DepthResult, load_item, open_collection, run_prediction
from workbench.panels.depth.views import COLORMAPS, DepthViews
from workbench.tasks import TaskRunner
from workbench.widgets.ownership import adopt_new_top_levels, top_level_ids

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"
PLAY_MS = 150


class DepthPanel(QWidget):
    """Predict and compare depth maps; `open_image()` serves File › Open image…."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        before = top_level_ids()
        self.setObjectName("DepthPanel")
        self.model: depth.DepthModel | None = None
        self.device = "cpu"  # prediction runs on the CPU in the app (the GPU path is `ebm depth`)
        self.sample: depth.DepthSample | None = None
        self.result: DepthResult | None = None
        self.collection: Any = None
        self.origin: dict[str, Any] = {}  # what was opened: {"kind": "image", "path"} or a collection
        self.model_task, self.load_task, self.predict_task = TaskRunner(self), TaskRunner(self), TaskRunner(self)
        self._build()
        self._connect()
        self._model_requested = False
        self.play_timer = QTimer(self, interval=PLAY_MS)
        self.play_timer.timeout.connect(self._advance)
        adopt_new_top_levels(self, before)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.buttons = {key: QPushButton(text, objectName=f"{key}_button") for key, text in (
            ("image", "Open image…"), ("folder", "Open folder…"), ("nyu", "Open NYU .mat…"),
            ("synthetic", "Synthetic scenes"), ("predict", "Predict"), ("cancel", "Cancel"),
            ("export", "Export…"), ("play", "Play"))}
        self.prev_button = QToolButton(text="◀", toolTip="previous item (Page Up)", objectName="prev_button")
        self.next_button = QToolButton(text="▶", toolTip="next item (Page Down)", objectName="next_button")
        self.index = QSpinBox(objectName="item_index", minimum=0, maximum=0)
        self.item_label = QLabel("no collection", objectName="item_label")
        self.energy = QComboBox(objectName="energy")
        self.steps = QSpinBox(objectName="steps", minimum=0, maximum=500, value=20)
        self.steps.setToolTip("T: refinement steps on the energy after the initial prediction")
        self.mode = QComboBox(objectName="mode")
        for m in depth.MODES:
            self.mode.addItem(m, m)
        self.progress = QProgressBar(objectName="progress", minimum=0, maximum=1, value=0)
        self.progress.setMaximumWidth(160)
        self.colormap = QComboBox(objectName="colormap")
        self.colormap.addItems(list(COLORMAPS))
        self.uncertainty = QCheckBox("uncertainty", objectName="uncertainty")
        self.uncertainty.setToolTip("show the per-pixel std of the Langevin samples instead of the error map")
        self.show_cloud = QCheckBox("3D point cloud", objectName="show_cloud")
        self.step_slider = QSlider(Qt.Orientation.Horizontal, objectName="step_slider", minimum=0, maximum=0)
        self.step_label = QLabel("refinement step —", objectName="step_label")
        self.views = DepthViews()
        self.cloud = PointCloudView()
        self.cloud.hide()
        self.table = QTableWidget(0, len(NAMES), objectName="metrics_table")
        self.table.setHorizontalHeaderLabels([LABELS[k] for k in NAMES])
        self.table.setMaximumHeight(110)
        self.hover = QLabel("hover over a map to read depth and error", objectName="hover_label")
        self.message = QLabel(objectName="message", wordWrap=True)

        # four short rows rather than two long ones: the panel fits a 640-pixel-wide window
        sources = QHBoxLayout()
        for key in ("image", "folder", "nyu", "synthetic"):
            sources.addWidget(self.buttons[key])
        sources.addStretch(1)
        navigation = QHBoxLayout()
        for w in (self.prev_button, self.index, self.next_button, self.item_label):
            navigation.addWidget(w)
        navigation.addStretch(1)
        navigation.addWidget(QLabel(f"device {self.device}", objectName="device_label"))
        run = QHBoxLayout()
        for label, w in (("energy", self.energy), ("T", self.steps), ("mode", self.mode)):
            run.addWidget(QLabel(label))
            run.addWidget(w)
        for w in (self.buttons["predict"], self.buttons["cancel"], self.progress):
            run.addWidget(w)
        run.addStretch(1)
        show = QHBoxLayout()
        show.addWidget(QLabel("colours"))
        for w in (self.colormap, self.uncertainty, self.show_cloud, self.buttons["export"]):
            show.addWidget(w)
        show.addStretch(1)
        steps = QHBoxLayout()
        steps.addWidget(self.buttons["play"])
        steps.addWidget(self.step_slider, 1)
        steps.addWidget(self.step_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.views)
        self.splitter.addWidget(self.cloud)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        for row in (sources, navigation, run, show):
            column.addLayout(row)
        column.addWidget(self.splitter, 1)
        column.addLayout(steps)
        column.addWidget(self.table)
        column.addWidget(self.hover)
        column.addWidget(self.message)
        self._set_busy(False)

    def _connect(self) -> None:
        b = self.buttons
        b["image"].clicked.connect(self.open_image)
        b["folder"].clicked.connect(self._choose_folder)
        b["nyu"].clicked.connect(self._choose_nyu)
        b["synthetic"].clicked.connect(lambda: self.open_collection("synthetic"))
        b["predict"].clicked.connect(self.predict)
        b["cancel"].clicked.connect(self.cancel)
        b["export"].clicked.connect(self._choose_export)
        b["play"].clicked.connect(self._toggle_play)
        self.prev_button.clicked.connect(lambda: self.index.setValue(self.index.value() - 1))
        self.next_button.clicked.connect(lambda: self.index.setValue(self.index.value() + 1))
        self.index.valueChanged.connect(self.load_index)
        self.step_slider.valueChanged.connect(self.show_step)
        self.colormap.currentTextChanged.connect(self.views.set_colormap)
        self.uncertainty.toggled.connect(lambda _on: self._draw_fourth())
        self.show_cloud.toggled.connect(self._toggle_cloud)
        self.views.hovered.connect(self.hover.setText)
        self.model_task.finished.connect(self._on_model)
        self.model_task.failed.connect(lambda m: self._fail("load the depth model", m))
        self.load_task.finished.connect(self._on_sample)
        self.load_task.failed.connect(lambda m: self._fail("open the file", m))
        self.predict_task.finished.connect(self._on_result)
        self.predict_task.failed.connect(lambda m: self._fail("predict depth", m))
        self.predict_task.progress.connect(self._on_progress)

    # --- model -----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_model()

    def ensure_model(self) -> None:
        """Load the shipped checkpoint in the pool, once (first time the panel is shown)."""
        if not self._model_requested:
            self._model_requested = True
            self.say("Loading the depth model…")
            self.model_task.submit(depth.load_default_model, "cpu")

    def _on_model(self, model: depth.DepthModel) -> None:
        self.model = model
        self.energy.clear()
        for name in model.energy_names():
            self.energy.addItem(name, name)
        if self.energy.findData("cnn") >= 0:
            self.energy.setCurrentIndex(self.energy.findData("cnn"))
        self.say(f"Depth model ready ({', '.join(model.energy_names())} energies, trained at "
                 f"{model.size[0]}×{model.size[1]}). Open an image or the synthetic scenes.")
        self._set_busy(False)
        if self.sample is not None:
            self.predict()

    # --- sources ---------------------------------------------------------------------------
    def open_image(self) -> None:
        """File › Open image…: a PNG/JPG of any size (non-blocking dialog)."""
        dialog = QFileDialog(self, "Open image", str(Path.cwd()), IMAGE_FILTER)
        dialog.setObjectName("open_image_dialog")
        dialog.fileSelected.connect(self.load_image)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def load_image(self, path: str | Path) -> None:
        """Load one image (no ground truth) in the pool, then predict it."""
        self.collection = None
        self.origin = {"kind": "image", "path": str(path)}
        self._set_collection_controls()
        self.say(f"Opening {path} …")
        self.load_task.submit(depth.load_sample, str(path))

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of images (depth maps matched by file stem)")
        if path:
            self.open_collection("folder", path)

    def _choose_nyu(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "NYU Depth v2 labeled file", "", "MATLAB v7.3 (*.mat);;All files (*)")
        if path:
            self.open_collection("nyu", path)

    def open_collection(self, kind: str, path: str | Path | None = None) -> bool:
        """Step through a folder, an NYU file or the synthetic scenes; loads item 0."""
        try:
            collection = open_collection(kind, None if path is None else str(path))
        except (ValueError, OSError) as exc:
            self._fail("open the collection", str(exc))
            return False
        self.collection = collection
        self.origin = {"kind": kind, "path": None if path is None else str(path), "index": 0}
        self._set_collection_controls()
        self.load_index(0)
        return True

    def _set_collection_controls(self) -> None:
        n = 0 if self.collection is None else len(self.collection)
        blocked = self.index.blockSignals(True)
        self.index.setMaximum(max(0, n - 1))
        self.index.setValue(0)
        self.index.blockSignals(blocked)
        for w in (self.index, self.prev_button, self.next_button):
            w.setEnabled(n > 1)
        self.item_label.setText("no collection" if n == 0 else f"of {n}")

    def load_index(self, index: int) -> None:
        """Load item `index` of the open collection in the pool, then predict it."""
        if self.collection is None:
            return
        self.origin["index"] = int(index)
        self.say(f"Loading item {index} …")
        self.load_task.submit(load_item, self.collection, int(index))

    def _on_sample(self, sample: depth.DepthSample) -> None:
        self.sample = sample
        self.result = None
        self.views.clear_all()
        self.views.show_image(sample.image.permute(1, 2, 0).numpy())
        self.views.show_depths(None, None if sample.depth is None else sample.depth.numpy())
        self.table.setRowCount(0)
        h, w = sample.image.shape[-2:]
        self.say(f"{sample.name or 'image'}: {w}×{h}" + (", with ground truth" if sample.depth is not None else ""))
        if self.model is not None:
            self.predict()

    # --- prediction ------------------------------------------------------------------------
    def predict(self) -> None:
        """Predict the current sample in the pool (progress, cancel); the newest request wins."""
        if self.model is None or self.sample is None:
            self.say("Open an image first." if self.model is not None else "The depth model is not loaded.")
            return
        self.predict_task.cancel()
        self.play_timer.stop()
        self.progress.setRange(0, max(1, self.steps.value()))
        self.progress.setValue(0)
        self._set_busy(True)
        self.say("Predicting…")
        self.predict_task.submit_with_progress(run_prediction, self.model, self.sample, self.steps.value(),
                                               self.energy.currentData(), self.mode.currentData())

    def cancel(self) -> None:
        self.predict_task.cancel()
        self.say("Cancelling…")

    def _on_progress(self, done: int, total: int, _payload: object) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_result(self, result: DepthResult) -> None:
        self._set_busy(False)
        if result.sample is not self.sample:
            return  # a result for a sample no longer shown
        self.result = result
        blocked = self.step_slider.blockSignals(True)
        self.step_slider.setMaximum(len(result.steps) - 1)
        self.step_slider.setValue(len(result.steps) - 1)
        self.step_slider.blockSignals(blocked)
        self.views.show_depths(result.final, result.gt)
        self.show_step(len(result.steps) - 1)
        self._draw_fourth()
        self._fill_table(result.table)
        if self.cloud.isVisible():
            self.cloud.set_clouds(result.image, result.final, result.gt)
        what = "cancelled after" if result.prediction.cancelled else "done:"
        self.say(f"Prediction {what} {len(result.steps) - 1} refinement steps ({result.prediction.energy_name}).")

    def show_step(self, k: int) -> None:
        """Show the prediction after refinement step `k` (0: the initial prediction), same colour scale."""
        r = self.result
        if r is None or not 0 <= k < len(r.steps):
            return
        self.views.show_depths(r.steps[k], r.gt, fix_levels=False)
        energies = r.prediction.energies
        e = f" · energy/pixel {energies[k]:.4f}" if k < len(energies) else ""
        self.step_label.setText(f"refinement step {k} / {len(r.steps) - 1}{e}")

    def _toggle_play(self) -> None:
        if self.play_timer.isActive():
            self.play_timer.stop()
            self.buttons["play"].setText("Play")
        elif self.result is not None:
            if self.step_slider.value() == self.step_slider.maximum():
                self.step_slider.setValue(0)
            self.play_timer.start()
            self.buttons["play"].setText("Pause")

    def _advance(self) -> None:
        if self.step_slider.value() >= self.step_slider.maximum():
            self._toggle_play()
        else:
            self.step_slider.setValue(self.step_slider.value() + 1)

    def _draw_fourth(self) -> None:
        r = self.result
        if r is None:
            self.views.show_fourth(None, "error")
        elif self.uncertainty.isChecked() or r.error is None:
            self.views.show_fourth(r.std, "std")
        else:
            self.views.show_fourth(r.error, "error")

    def _fill_table(self, table: dict[str, dict[str, float]]) -> None:
        self.table.setRowCount(len(table))
        self.table.setVerticalHeaderLabels(list(table))
        for row, metrics in enumerate(table.values()):
            for col, key in enumerate(NAMES):
                self.table.setItem(row, col, QTableWidgetItem(f"{metrics[key]:.4f}"))
        self.table.resizeColumnsToContents()

    def _toggle_cloud(self, on: bool) -> None:
        self.cloud.setVisible(on)
        if on and self.result is not None:
            self.cloud.set_clouds(self.result.image, self.result.final, self.result.gt)

    # --- export ----------------------------------------------------------------------------
    def _choose_export(self) -> None:
        if self.result is None:
            self.say("Nothing to export yet: predict first.")
            return
        stem = Path(self.result.sample.name or "prediction").stem
        path, _ = QFileDialog.getSaveFileName(self, "Export prediction (base name)", str(Path.cwd() / stem))
        if path:
            self.export_to(path)

    def export_to(self, base: str | Path) -> list[Path]:
        """Write BASE-depth.png (16-bit, mm), BASE-depth.npy (metres) and BASE-comparison.png."""
        if self.result is None:
            raise ValueError("nothing to export: predict first")
        base = Path(base)
        base = base.with_suffix("") if base.suffix.lower() in (".png", ".npy") else base
        try:
            written = [depth.save_depth_png(f"{base}-depth.png", self.result.final),
                       depth.save_depth_npy(f"{base}-depth.npy", self.result.final)]
            comparison = Path(f"{base}-comparison.png")
            if not self.views.grab().save(str(comparison)):
                raise ValueError(f"could not write {comparison}")
            written.append(comparison)
        except (ValueError, OSError) as exc:
            self._fail("export the prediction", str(exc))
            return []
        self.say(f"Exported {', '.join(p.name for p in written)} to {base.parent}")
        return written

    # --- workspace -------------------------------------------------------------------------
    def workspace_extra(self) -> dict[str, Any]:
        """What is open: an image path, or a collection (kind, path, index)."""
        return dict(self.origin)

    def restore_workspace_extra(self, extra: dict[str, Any]) -> list[str]:
        """Open the saved image or collection again; problems when it is gone."""
        kind, path = extra.get("kind"), extra.get("path")
        if not kind:
            return []
        if path is not None and not Path(path).exists():
            return [f"{path} no longer exists"]
        if kind == "image":
            self.load_image(path)
        elif self.open_collection(kind, path):
            index = int(extra.get("index", 0))
            if 0 <= index <= self.index.maximum():
                self.index.setValue(index)
        else:
            return [f"could not open the {kind} collection {path or ''}".rstrip()]
        return []

    # --- state, messages, lifetime ---------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.buttons["predict"].setEnabled(not busy and self.model is not None)
        self.buttons["cancel"].setEnabled(busy)

    def say(self, text: str) -> None:
        self.message.setText(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, errors.STATUS_TIMEOUT_MS)

    def _fail(self, what: str, message: str) -> None:
        self._set_busy(False)
        self.message.setText(errors.report_error(self, ValueError(message), what))

    def export_view(self, path: str | Path) -> bool:
        """File › Export view…: the comparison picture."""
        return self.views.grab().save(str(path))

    def shutdown(self) -> None:
        """Cancel a prediction and wait for the pool (tests, closing)."""
        self.play_timer.stop()
        self.predict_task.cancel()
        for task in (self.model_task, self.load_task, self.predict_task):
            task.wait()
        self.cloud.close_canvas()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
