"""The Landscape panel: pick an energy, see it exactly (1D curve, 2D map, 3D surface) at any temperature.

Left, a scrollable column of controls (`EnergySource`, `ViewControls`); right, a line with the exact
log Z, a busy bar and the value under the cursor, then the view (a `QStackedWidget` of `Curve1D`,
`Map2D` and `Surface3D`). The energy and temperature live in the shared `EnergyState`, so the Sampler
panel follows whatever is chosen here; grids come from a `LandscapeComputer` (worker when slow).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QProgressBar, QScrollArea, QStackedWidget, QVBoxLayout,
    QWidget,
)

from core.energies.base import Energy
from core.landscape import Landscape
from workbench import errors
from workbench.panels.landscape import export
from workbench.panels.landscape.compute import LandscapeComputer, nonfinite_cells
from workbench.panels.landscape.controls import ViewControls
from workbench.panels.landscape.energy_source import ERROR_STYLE, EnergySource, status_message
from workbench.panels.landscape.surface3d import Surface3D
from workbench.state import EnergyState, shared_state
from workbench.widgets.landscape_view import Curve1D, Map2D

COLUMN_WIDTH = 310  # px of the control column (it scrolls when the window is short)
WARNING_STYLE = "color: #c07000;"
EXPORT_FILTERS = {"png": "PNG image (*.png)", "csv": "CSV table (*.csv)", "npz": "NumPy archive (*.npz)"}


class LandscapePanel(QWidget):
    """The Landscape tab; `landscape` is the grid on screen (None before the first one)."""

    def __init__(self, parent: QWidget | None = None, state: EnergyState | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LandscapePanel")
        self.state = state if state is not None else shared_state(parent)
        self.landscape: Landscape | None = None
        self.landscape_source: dict = {}  # where the grid on screen came from (for exports)
        self.computer = LandscapeComputer(self)

        self.source = EnergySource(self.state)
        self.controls = ViewControls()
        column = QWidget()
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(6, 6, 6, 6)
        column_layout.addWidget(self.source)
        column_layout.addWidget(self.controls)
        column_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(COLUMN_WIDTH)
        self.scroll = scroll

        self.logz_label = QLabel()
        self.logz_label.setObjectName("logz_label")
        self.logz_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.logz_label.setMinimumWidth(60)  # clipped, rather than widening a narrow window
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(12)
        self.busy.setTextVisible(False)
        self.busy.setToolTip("Computing the landscape in the background…")
        self.busy.hide()
        self.hover_label = QLabel()
        self.hover_label.setObjectName("hover_label")
        self.hover_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.hover_label.setMinimumWidth(60)
        self.message = QLabel()
        self.message.setObjectName("view_message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.curve1d, self.map2d, self.surface3d = Curve1D(), Map2D(), Surface3D()
        self.stack = QStackedWidget()
        for view in (self.curve1d, self.map2d, self.surface3d):
            self.stack.addWidget(view)
        info = QHBoxLayout()
        info.addWidget(self.logz_label)
        info.addWidget(self.busy)
        info.addStretch(1)
        info.addWidget(self.hover_label)
        right = QVBoxLayout()
        right.addLayout(info)
        right.addWidget(self.message)
        right.addWidget(self.stack, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

        self.state.energyChanged.connect(self._on_energy_changed)
        self.state.temperatureChanged.connect(self._on_temperature_changed)
        self.source.formRebuilt.connect(self._fix_tab_order)
        self.controls.modeChanged.connect(self._on_mode)
        self.controls.viewChanged.connect(self._on_view)
        self.controls.resolutionChanged.connect(lambda _n: self.recompute())
        self.controls.temperatureChosen.connect(self._choose_temperature)
        self.controls.exportRequested.connect(self._export_dialog)
        self.computer.ready.connect(self._show)
        self.computer.failed.connect(self._on_failed)
        self.computer.busyChanged.connect(self.busy.setVisible)
        self.map2d.hovered.connect(self.hover_label.setText)
        self.curve1d.hovered.connect(self.hover_label.setText)
        self._window = parent.window() if parent is not None else None
        if self._window is not None:  # finish worker computations before the window goes
            self._window.installEventFilter(self)
        self.controls.set_temperature(self.state.temperature)
        self._fix_tab_order()
        self.recompute()

    @property
    def current_view(self) -> QWidget:
        """The view on screen (`curve1d`, `map2d` or `surface3d`)."""
        return self.stack.currentWidget()

    def recompute(self, fresh: bool = False) -> str:
        """Ask for the current energy's grid at the current resolution and temperature; the route.

        `fresh`: evaluate the energy again even if its grid is cached (it may have changed in place).
        """
        return self.computer.request(self.state.energy, self.controls.resolution_value,
                                     self.state.temperature, fresh)

    def export_view(self, path: str | Path) -> bool:
        """Save the view on screen (curve, map with colour bar, or 3D surface) as a PNG."""
        return export.save_png(self.current_view, path)

    def export_csv(self, path: str | Path) -> Path:
        """Save the grid on screen as CSV (see `export.save_csv`); ValueError before the first grid."""
        return export.save_csv(self._exportable(), path, self.landscape_source)

    def export_npz(self, path: str | Path) -> Path:
        """Save the grid on screen as NPZ (see `export.save_npz`); ValueError before the first grid."""
        return export.save_npz(self._exportable(), path, self.landscape_source)

    def shutdown(self) -> None:
        """Wait for worker computations (the window is closing, or a test ends)."""
        self.computer.wait()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def _exportable(self) -> Landscape:
        if self.landscape is None:
            raise ValueError("there is no landscape to export yet")
        return self.landscape

    def _on_energy_changed(self, _E: Energy) -> None:
        self.hover_label.clear()  # it described the previous energy
        self.recompute(fresh=True)  # even the same object: a model in training changes in place

    def _on_temperature_changed(self, temperature: float) -> None:
        self.controls.set_temperature(temperature)
        self.recompute()

    def _choose_temperature(self, temperature: float) -> None:
        try:
            self.state.set_temperature(temperature)
        except ValueError as exc:
            self._on_failed(str(exc))

    def _show(self, land: Landscape) -> None:
        """A new grid for the current energy: draw it in every view that can show it."""
        self.landscape = land
        self.landscape_source = dict(self.state.source)
        mode, dim = self.controls.mode, land.energy.dim()
        self.controls.set_dim(dim)
        if dim == 1:
            self.curve1d.set_landscape(land, mode)
        else:
            self.map2d.set_landscape(land, mode)
            self.surface3d.set_landscape(land, mode)
        self._show_page()
        n = len(land.axes[0])
        grid = f"{n} points" if dim == 1 else f"{n}×{n} grid"
        self.logz_label.setText(f"<b>log Z = {land.log_z:.4f}</b> &nbsp; at T = {land.temperature:g}"
                                f" &nbsp;·&nbsp; {grid}, {self.computer.last_seconds * 1e3:.0f} ms")
        bad, total = nonfinite_cells(land)
        if bad:
            text = (f"{bad} of {total} grid cells have no finite energy (NaN or ±inf): they are drawn "
                    "in the top colour and count as zero density.")
            self._say(text, WARNING_STYLE)
            status_message(self, text)
        else:
            self.message.hide()

    def _on_failed(self, text: str) -> None:
        shown = "the previous landscape is still shown" if self.landscape is not None else "nothing to show"
        message = f"Could not compute the landscape: {text} ({shown})."
        self._say(message, ERROR_STYLE)
        status_message(self, message)

    def _say(self, text: str, style: str) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)
        self.message.show()

    def _on_mode(self, mode: str) -> None:
        if self.landscape is None:
            return
        view = self.curve1d if self.landscape.energy.dim() == 1 else self.map2d
        view.set_mode(mode)
        if view is self.map2d:
            self.surface3d.set_mode(mode)

    def _on_view(self, _view: str) -> None:
        self.hover_label.clear()  # the 3D view has no cursor read-out
        self._show_page()

    def _show_page(self) -> None:
        if self.landscape is not None and self.landscape.energy.dim() == 1:
            self.stack.setCurrentWidget(self.curve1d)
        elif self.controls.view == "3d":
            self.stack.setCurrentWidget(self.surface3d)
            self.surface3d.ensure_canvas()
        else:
            self.stack.setCurrentWidget(self.map2d)

    def _fix_tab_order(self) -> None:
        chain = self.source.focus_chain() + self.controls.focus_chain()
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _export_dialog(self, kind: str) -> None:
        name = self.landscape_source.get("name") or self.landscape_source.get("kind") or "landscape"
        default = str(Path.home() / f"{name}.{kind}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", default, EXPORT_FILTERS[kind])
        if not path:
            return
        try:
            if kind == "png":
                ok = self.export_view(path)
            else:
                ok = bool(self.export_npz(path) if kind == "npz" else self.export_csv(path))
        except (ValueError, OSError) as exc:
            errors.report_error(self, exc, f"export {kind.upper()}")
            return
        status_message(self, f"Saved {path}" if ok else f"Could not save {path}")
