"""The Sampler panel's discrete mode: Gibbs / ICM sweeps on an Ising denoising posterior, or block Gibbs
on an RBM over 8×8 binary digits, drawn as images, with energy and error-rate curves.

Ising: the clean image (a built-in picture, a digit, a PNG you load, or your own strokes: click or drag
on the clean image to paint, right button to erase), the noisy observation (flip rate p), and the
current state of the chain; temperature and coupling J sliders. RBM: 16 chains of visible units.
A sweep of these models takes well under a millisecond, so Play runs a few sweeps per 30 ms tick on the
GUI thread, bounded by a time budget per tick (no worker needed, and the GUI stays fluid).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from core import samplers
from core.energies import discrete
from workbench import errors
from workbench.tasks import TaskRunner

SIZE = 48  # side of the Ising image
TICK_MS = 30
TICK_BUDGET_S = 0.012
RBM_CHAINS = 16
SOURCES = {"shapes": "shapes (disc, bar, triangle)", **{f"digit:{i}": f"digit {i}" for i in range(10)},
           "file": "load a PNG…"}
MODELS = {"ising": "Ising denoising (±1 spins)", "rbm": "RBM on 8×8 digits (visible units)"}
SAMPLER_CHOICES = {"ising": (("gibbs", "checkerboard"), ("gibbs", "sequential"), ("icm", "checkerboard")),
                   "rbm": (("block-gibbs", "checkerboard"), ("gibbs", "checkerboard"))}


def load_binary_png(path: str | Path, size: int = SIZE) -> torch.Tensor:
    """A PNG/JPG as a ±1 image (size, size): grey levels thresholded at their mean; ValueError if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            a = np.asarray(im.convert("L").resize((size, size)), dtype=np.float32)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable image: {exc}") from None
    return torch.from_numpy(np.where(a < a.mean(), 1.0, -1.0).astype(np.float32))  # dark ink = +1


def trained_rbm(steps: int = 1000, seed: int = 0) -> discrete.RBM:
    """A small RBM (64 visible, 64 hidden) trained by PCD on the binarised digits, deterministic."""
    from core import training

    trainer = training.create("rbm", method="pcd", seed=seed, ais_every=0)
    for _ in range(steps):
        trainer.step()
    return trainer.rbm


class Picture(pg.GraphicsLayoutWidget):
    """One titled image (row-major, grey levels), optionally paintable with the mouse."""

    painted = Signal(int, int, float)  # row, col, value (+1 left button, −1 right button)

    def __init__(self, title: str, paintable: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = self.addLabel(title, row=0, col=0, size="9pt")
        self.view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.paintable = paintable
        self._button: float | None = None

    def sizeHint(self) -> QSize:
        return QSize(260, 280)

    def set_array(self, array: np.ndarray, levels: tuple[float, float] = (-1.0, 1.0)) -> None:
        """Show a (H, W) array in grey levels between `levels`."""
        self.image.setImage(np.ascontiguousarray(array, dtype=np.float32), levels=levels)
        self.view.autoRange(padding=0.01)

    def _pixel(self, event) -> tuple[int, int] | None:
        p = self.view.mapSceneToView(self.mapToScene(event.position().toPoint()))
        h, w = self.image.image.shape[:2] if self.image.image is not None else (0, 0)
        r, c = int(np.floor(p.y())), int(np.floor(p.x()))
        return (r, c) if 0 <= r < h and 0 <= c < w else None

    def mousePressEvent(self, event) -> None:
        if self.paintable and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._button = 1.0 if event.button() == Qt.MouseButton.LeftButton else -1.0
            self._paint(event)
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._button is not None:
            self._paint(event)
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._button = None
        super().mouseReleaseEvent(event)

    def _paint(self, event) -> None:
        pixel = self._pixel(event)
        if pixel is not None:
            self.painted.emit(pixel[0], pixel[1], self._button)


class DiscreteSamplerView(QWidget):
    """Ising / RBM sampling step by step: `step()`, `set_playing(on)`, `reset()`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DiscreteSamplerView")
        self.model_combo = QComboBox(objectName="discrete_model")
        for key, label in MODELS.items():
            self.model_combo.addItem(label, key)
        self.sampler_combo = QComboBox(objectName="discrete_sampler")
        self.source = QComboBox(objectName="ising_source")
        for key, label in SOURCES.items():
            self.source.addItem(label, key)
        self.noise = QDoubleSpinBox(objectName="noise", minimum=0.0, maximum=0.5, singleStep=0.01, value=0.10,
                                    decimals=2, suffix=" flip rate")
        self.temperature = QSlider(Qt.Orientation.Horizontal, objectName="temperature", minimum=5, maximum=400,
                                   value=100)  # T = value / 100
        self.coupling = QSlider(Qt.Orientation.Horizontal, objectName="coupling", minimum=0, maximum=300,
                                value=100)  # J = value / 100
        self.t_label, self.j_label = QLabel(), QLabel()
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.buttons = {k: QPushButton(t, objectName=f"discrete_{k}") for k, t in (
            ("step", "Step (1 sweep)"), ("play", "Play"), ("reset", "Reset"))}
        self.buttons["play"].setCheckable(True)
        self.speed = QSpinBox(objectName="sweeps_per_tick", minimum=1, maximum=100, value=1, suffix=" sweeps/tick")
        self.message = QLabel(objectName="discrete_message", wordWrap=True)
        self.clean_view = Picture("clean image (paint: left +1, right −1)", paintable=True)
        self.noisy_view = Picture("observation (noisy)")
        self.state_view = Picture("current state")
        self.energy_plot = pg.PlotWidget(title="energy E(x)")
        self.error_plot = pg.PlotWidget(title="pixel error rate vs clean (%)")
        for plot in (self.energy_plot, self.error_plot):
            plot.setLabel("bottom", "sweep")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
        self.energy_curve = self.energy_plot.plot(pen=pg.mkPen("#f0a020", width=1.5))
        self.error_curve = self.error_plot.plot(pen=pg.mkPen("#60b0ff", width=1.5))
        self._layout()
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.rbm_task = TaskRunner(self)
        self.rbm_task.finished.connect(self._on_rbm)
        self.rbm_task.failed.connect(lambda m: self.say(f"Could not train the RBM: {m}"))
        self.clean: torch.Tensor = discrete.binary_test_image(SIZE, "shapes")
        self.rbm: discrete.RBM | None = None
        self.model: Any = None
        self.sampler: Any = None
        self.state: Any = None
        self.history: dict[str, list[float]] = {"t": [], "energy": [], "error": []}
        self._connect()
        self._fill_samplers()
        self.rebuild()

    def _layout(self) -> None:
        form_box = QGroupBox("Discrete model")
        form = QFormLayout(form_box)
        form.addRow("model", self.model_combo)
        form.addRow("sampler", self.sampler_combo)
        form.addRow("image", self.source)
        form.addRow("noise", self.noise)
        form.addRow("temperature", self._with_label(self.temperature, self.t_label))
        form.addRow("coupling J", self._with_label(self.coupling, self.j_label))
        form.addRow("seed", self.seed)
        buttons = QHBoxLayout()
        for b in self.buttons.values():
            buttons.addWidget(b)
        left = QVBoxLayout()
        left.addWidget(form_box)
        left.addLayout(buttons)
        left.addWidget(self.speed)
        left.addWidget(self.message)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(330)
        pictures = QHBoxLayout()
        for view in (self.clean_view, self.noisy_view, self.state_view):
            pictures.addWidget(view)
        curves = QHBoxLayout()
        curves.addWidget(self.energy_plot)
        curves.addWidget(self.error_plot)
        right = QVBoxLayout()
        right.addLayout(pictures, 3)
        right.addLayout(curves, 2)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(left_widget)
        row.addLayout(right, 1)

    @staticmethod
    def _with_label(slider: QSlider, label: QLabel) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(slider, 1)
        h.addWidget(label)
        return w

    def _connect(self) -> None:
        self.model_combo.currentIndexChanged.connect(lambda _i: (self._fill_samplers(), self.rebuild()))
        self.sampler_combo.currentIndexChanged.connect(lambda _i: self.rebuild(keep_state=True))
        self.source.activated.connect(self._choose_source)
        self.noise.valueChanged.connect(lambda _v: self.rebuild())
        self.seed.valueChanged.connect(lambda _v: self.rebuild())
        self.temperature.valueChanged.connect(lambda _v: self.rebuild(keep_state=True))
        self.coupling.valueChanged.connect(lambda _v: self.rebuild(keep_state=True))
        self.buttons["step"].clicked.connect(lambda _checked=False: self.step())
        self.buttons["play"].toggled.connect(self.set_playing)
        self.buttons["reset"].clicked.connect(lambda: self.rebuild())
        self.clean_view.painted.connect(self._paint)

    # --- model -----------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.model_combo.currentData()

    @property
    def T(self) -> float:
        return self.temperature.value() / 100.0

    @property
    def J(self) -> float:
        return self.coupling.value() / 100.0

    def _fill_samplers(self) -> None:
        blocked = self.sampler_combo.blockSignals(True)
        self.sampler_combo.clear()
        for name, order in SAMPLER_CHOICES[self.kind]:
            label = name if self.kind == "rbm" or name == "icm" else f"{name} ({order})"
            self.sampler_combo.addItem(label, (name, order))
        self.sampler_combo.blockSignals(blocked)
        ising = self.kind == "ising"
        for w in (self.source, self.noise, self.coupling, self.clean_view, self.noisy_view):
            w.setEnabled(ising)
        self.clean_view.label.setText("clean image (paint: left +1, right −1)" if ising else "—", size="9pt")

    def rebuild(self, keep_state: bool = False) -> None:
        """New model/sampler from the controls; `keep_state`: continue the chain (T, J, sampler changed)."""
        self.t_label.setText(f"T = {self.T:.2f}")
        self.j_label.setText(f"J = {self.J:.2f}")
        name, order = self.sampler_combo.currentData()
        try:
            if self.kind == "ising":
                p = self.noise.value()
                self.model = discrete.IsingGrid.denoising(self.clean, p=p, J=self.J, seed=self.seed.value())
            elif self.rbm is None:  # trained in the pool once; rebuild() runs again when it is ready
                if not self.rbm_task.busy:
                    self.say("Training a small RBM on the binarised digits (PCD, 1 000 updates)…")
                    self.rbm_task.submit(trained_rbm)
                self.sampler = self.state = None
                return
            else:
                self.model = self.rbm
            self.sampler = samplers.create(name, self.model, temperature=self.T, order=order)
            previous = self.state.x if keep_state and self.state is not None else None
            if previous is not None and previous.shape[1] == self.model.dim:
                self.state = self.sampler.init(previous.shape[0], seed=self.seed.value(), x0=previous)
                self.state.t = len(self.history["t"]) and int(self.history["t"][-1])
            else:
                n = 1 if self.kind == "ising" else RBM_CHAINS
                x0 = self.model.y_obs if self.kind == "ising" else None  # denoising starts at the observation
                self.state = self.sampler.init(n, seed=self.seed.value(), x0=x0)
                self.history = {"t": [], "energy": [], "error": []}
                self._record()
        except ValueError as exc:
            self.say(errors.report_error(self, exc, "set up the discrete sampler"))
            return
        self._draw()

    def _on_rbm(self, rbm: discrete.RBM) -> None:
        self.rbm = rbm
        self.say("RBM ready: 64 visible × 64 hidden units, PCD on the binarised digits.")
        if self.kind == "rbm":
            self.rebuild()

    def _choose_source(self, _index: int) -> None:
        key = self.source.currentData()
        try:
            if key == "file":
                path, _ = QFileDialog.getOpenFileName(self, "Binary image to denoise", "",
                                                      "Images (*.png *.jpg *.jpeg *.bmp);;All files (*)")
                if not path:
                    return
                self.set_clean(load_binary_png(path))
            elif key == "shapes":
                self.set_clean(discrete.binary_test_image(SIZE, "shapes"))
            else:
                self.set_clean(discrete.binary_test_image(SIZE, "digit", int(key.split(":")[1])))
        except ValueError as exc:
            self.say(errors.report_error(self, exc, "load the image"))

    def set_clean(self, image: torch.Tensor) -> None:
        """Use a ±1 image (SIZE, SIZE) as the clean picture; a new noisy observation is drawn."""
        self.clean = torch.as_tensor(image, dtype=torch.float32)
        self.rebuild()

    def _paint(self, row: int, col: int, value: float) -> None:
        if self.kind != "ising" or float(self.clean[row, col]) == value:
            return
        self.clean = self.clean.clone()
        self.clean[row, col] = value
        self.rebuild()

    # --- stepping --------------------------------------------------------------------------
    def step(self, sweeps: int = 1) -> None:
        """Run `sweeps` sweeps (one Step click: one sweep) and redraw."""
        if self.sampler is None or self.state is None:
            return
        for _ in range(sweeps):
            self.state = self.sampler.step(self.state)
            self._record()
        self._draw()

    def set_playing(self, on: bool) -> None:
        blocked = self.buttons["play"].blockSignals(True)
        self.buttons["play"].setChecked(on)
        self.buttons["play"].setText("Pause" if on else "Play")
        self.buttons["play"].blockSignals(blocked)
        self.timer.start() if on else self.timer.stop()

    def _tick(self) -> None:
        if self.sampler is None or self.state is None:
            return
        start = time.perf_counter()
        for _ in range(self.speed.value()):
            self.state = self.sampler.step(self.state)
            self._record()
            if time.perf_counter() - start > TICK_BUDGET_S:
                break
        self._draw()

    def _record(self) -> None:
        h = self.history
        h["t"].append(self.state.t)
        h["energy"].append(float(self.state.energy.mean()))
        if self.kind == "ising":
            h["error"].append(100.0 * float(self.model.error_rate(self.state.x[0])))

    # --- drawing ---------------------------------------------------------------------------
    def _draw(self) -> None:
        if self.kind == "ising":
            self.clean_view.set_array(self.clean.numpy())
            self.noisy_view.set_array(self.model.image(self.model.y_obs).numpy())
            self.state_view.set_array(self.model.image(self.state.x[0]).numpy())
            noisy_error = 100.0 * float(self.model.error_rate(self.model.y_obs))
            self.state_view.label.setText(f"state after {self.state.t} sweeps · error {self.history['error'][-1]:.2f} % "
                                          f"(observation {noisy_error:.1f} %)", size="9pt")
        else:
            from workbench.panels.training.gan_views import mosaic

            tiles = mosaic(self.state.x.numpy() * 2 - 1, (1, 8, 8), columns=4)
            self.state_view.set_array(tiles)
            self.state_view.label.setText(f"{RBM_CHAINS} chains after {self.state.t} sweeps (visible units)", size="9pt")
        t = np.asarray(self.history["t"], float)
        self.energy_curve.setData(t, np.asarray(self.history["energy"], float))
        self.error_curve.setData(t[:len(self.history["error"])], np.asarray(self.history["error"], float))

    def say(self, text: str) -> None:
        self.message.setText(text)

    def shutdown(self) -> None:
        self.timer.stop()
        self.rbm_task.wait()
