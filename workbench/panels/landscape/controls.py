"""View controls of the Landscape panel: quantity, 2D / 3D, grid resolution, temperature, export.

The temperature has a log-scale slider (0.1 … 10) and a spin box kept in step; both are debounced
(STYLE §6): only when they have been still for `DEBOUNCE_MS` does `temperatureChosen` fire.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QButtonGroup, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
    QPushButton, QRadioButton, QSlider, QVBoxLayout, QWidget,
)

from workbench.widgets.landscape_view import MODES

MODE_TEXT = {"energy": "Energy", "density": "Density", "log_density": "Log-density"}
VIEWS = ("2d", "3d")
RESOLUTIONS = (64, 128, 256, 512)
DEFAULT_RESOLUTION = 256
T_MIN, T_MAX = 0.1, 10.0  # slider range; the spin box goes further
SLIDER_STEPS = 200
DEBOUNCE_MS = 150
EXPORTS = {"png": "PNG…", "csv": "CSV…", "npz": "NPZ…"}


def slider_to_temperature(value: int) -> float:
    """Slider position (0 … SLIDER_STEPS) → temperature on a log scale from T_MIN to T_MAX."""
    return T_MIN * (T_MAX / T_MIN) ** (value / SLIDER_STEPS)


def temperature_to_slider(temperature: float) -> int:
    """Temperature → nearest slider position (clipped to the slider's range)."""
    position = SLIDER_STEPS * math.log(temperature / T_MIN) / math.log(T_MAX / T_MIN)
    return int(min(SLIDER_STEPS, max(0, round(position))))


class ViewControls(QWidget):
    """Radio buttons for the quantity, a 2D / 3D switch, the grid, temperature and export buttons."""

    modeChanged = Signal(str)  # one of MODES
    viewChanged = Signal(str)  # "2d" or "3d"
    resolutionChanged = Signal(int)  # cells per axis
    temperatureChosen = Signal(float)  # debounced
    exportRequested = Signal(str)  # "png", "csv" or "npz"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QRadioButton] = {}
        modes = QHBoxLayout()
        for index, mode in enumerate(MODES):
            button = QRadioButton(MODE_TEXT[mode])
            button.setObjectName(f"mode_{mode}")
            self.mode_group.addButton(button, index)
            self.mode_buttons[mode] = button
            modes.addWidget(button)
        self.mode_buttons["energy"].setChecked(True)
        self.view_group = QButtonGroup(self)
        self.view_buttons: dict[str, QPushButton] = {}
        views = QHBoxLayout()
        views.setSpacing(0)
        for index, (view, text) in enumerate((("2d", "2D map"), ("3d", "3D surface"))):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName(f"view_{view}")
            self.view_group.addButton(button, index)
            self.view_buttons[view] = button
            views.addWidget(button)
        self.view_buttons["2d"].setChecked(True)
        self.resolution = QComboBox()
        self.resolution.setObjectName("resolution")
        for n in RESOLUTIONS:
            self.resolution.addItem(f"{n} × {n}", n)
        self.resolution.setCurrentIndex(RESOLUTIONS.index(DEFAULT_RESOLUTION))
        self.resolution.setToolTip("Grid cells per axis (the density and log Z are exact on this grid)")
        view_box = QGroupBox("View")
        form = QFormLayout(view_box)
        form.addRow(modes)
        form.addRow("Show", views)
        form.addRow("Grid", self.resolution)

        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setObjectName("temperature_slider")
        self.temperature_slider.setRange(0, SLIDER_STEPS)
        self.temperature_slider.setPageStep(SLIDER_STEPS // 10)
        self.temperature_slider.setToolTip(f"Temperature T, log scale {T_MIN:g} … {T_MAX:g}: "
                                           "p(x) ∝ exp(−E(x)/T)")
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("temperature_spin")
        self.temperature_spin.setRange(0.01, 100.0)
        self.temperature_spin.setDecimals(3)
        self.temperature_spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.temperature_spin.setKeyboardTracking(False)
        self.temperature_spin.setPrefix("T = ")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        temperature_box = QGroupBox("Temperature")
        line = QHBoxLayout(temperature_box)
        line.addWidget(self.temperature_slider, 1)
        line.addWidget(self.temperature_spin)
        self.set_temperature(1.0)

        self.export_buttons: dict[str, QPushButton] = {}
        export_box = QGroupBox("Export")
        line = QHBoxLayout(export_box)
        for kind, text in EXPORTS.items():
            button = QPushButton(text)
            button.setToolTip({"png": "Save the view as a PNG image",
                               "csv": "Save the grid (x, y, energy, density, log-density) as CSV",
                               "npz": "Save the grid, log Z, temperature and source as NumPy .npz"}[kind])
            button.clicked.connect(lambda _checked=False, k=kind: self.exportRequested.emit(k))
            self.export_buttons[kind] = button
            line.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for box in (view_box, temperature_box, export_box):
            layout.addWidget(box)

        self.mode_group.idToggled.connect(
            lambda index, on: on and self.modeChanged.emit(MODES[index]))
        self.view_group.idToggled.connect(lambda index, on: on and self.viewChanged.emit(VIEWS[index]))
        self.resolution.currentIndexChanged.connect(
            lambda index: self.resolutionChanged.emit(RESOLUTIONS[index]))
        self.temperature_slider.valueChanged.connect(self._on_slider)
        self.temperature_spin.valueChanged.connect(self._on_spin)
        self.debounce.timeout.connect(
            lambda: self.temperatureChosen.emit(self.temperature_spin.value()))

    @property
    def mode(self) -> str:
        """The checked quantity."""
        return MODES[self.mode_group.checkedId()]

    @property
    def view(self) -> str:
        """'2d' or '3d'."""
        return VIEWS[self.view_group.checkedId()]

    @property
    def resolution_value(self) -> int:
        """Grid cells per axis."""
        return int(self.resolution.currentData())

    def focus_chain(self) -> list[QWidget]:
        """The input widgets in visual order (for the panel's tab order)."""
        return [*self.mode_buttons.values(), *self.view_buttons.values(), self.resolution,
                self.temperature_slider, self.temperature_spin, *self.export_buttons.values()]

    def set_temperature(self, temperature: float) -> None:
        """Show `temperature` (model → widgets: no signal, no pending debounce)."""
        with QSignalBlocker(self.temperature_spin), QSignalBlocker(self.temperature_slider):
            self.temperature_spin.setValue(temperature)
            self.temperature_slider.setValue(temperature_to_slider(temperature))

    def set_dim(self, dim: int) -> None:
        """2D / 3D only makes sense for 2D energies."""
        for button in self.view_buttons.values():
            button.setEnabled(dim == 2)

    def _on_slider(self, value: int) -> None:
        with QSignalBlocker(self.temperature_spin):
            self.temperature_spin.setValue(slider_to_temperature(value))
        self.debounce.start()

    def _on_spin(self, value: float) -> None:
        with QSignalBlocker(self.temperature_slider):
            self.temperature_slider.setValue(temperature_to_slider(value))
        self.debounce.start()
