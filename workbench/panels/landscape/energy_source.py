"""Choose the energy: a built-in with its parameters, a formula, or a trained checkpoint.

Bound to the shared `EnergyState` both ways: user edits call its setters (a ValueError is shown inline
and the state, hence every view, stays as it was); any change of the state, from this panel or
another, is shown here (with signals blocked, so nothing loops).
"""
from __future__ import annotations

import re
from typing import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QPushButton,
    QVBoxLayout, QWidget,
)

from core import energies, landscape
from workbench import errors
from workbench.state import EnergyState
from workbench.widgets.param_form import ParamForm

CHECK_RESOLUTION = 64  # a formula is tried on this grid before it replaces the current energy
DEFAULT_RANGE = (-3.0, 3.0)
ERROR_STYLE = "color: #d03030;"
STATUS_MS = 8000
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*\[?\s*({_NUMBER})\s*(?:,|\s|\.\.|:)\s*({_NUMBER})\s*\]?\s*$")


def status_message(widget: QWidget, text: str, timeout_ms: int = STATUS_MS) -> None:
    """Show `text` in the status bar of the main window holding `widget`, if there is one."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, timeout_ms)


def parse_range(text: str, axis: str) -> tuple[float, float] | None:
    """'lo, hi' (also 'lo hi', '[lo, hi]', 'lo..hi') → (lo, hi); '' → None; ValueError otherwise."""
    if not text.strip():
        return None
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"the {axis} range must be two numbers 'low, high', got {text.strip()!r}")
    lo, hi = float(match.group(1)), float(match.group(2))
    if not lo < hi:
        raise ValueError(f"the {axis} range needs low < high, got {lo:g}, {hi:g}")
    return lo, hi


def describe_box(bounds: Sequence[Sequence[float]]) -> str:
    """'x ∈ [−6, 6], y ∈ [−6, 6]'."""
    return ", ".join(f"{a} ∈ [{lo:g}, {hi:g}]" for a, (lo, hi) in zip("xy", bounds))


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class EnergySource(QWidget):
    """Built-in combo (grouped 1D / 2D) + parameter form, formula line, 'Load checkpoint…'."""

    formRebuilt = Signal()  # the parameter boxes were made anew (the panel fixes its tab order)

    def __init__(self, state: EnergyState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._form_for: str | None = None  # built-in whose specs the form shows

        self.combo = QComboBox()
        self.combo.setObjectName("energy_combo")
        self.combo.setModel(self._grouped_model())
        self.combo.setPlaceholderText("formula or trained model")
        self.combo.setMaxVisibleItems(20)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("energy_description")
        self.form = ParamForm((), self)
        self.error = _error_label()
        self.error.setObjectName("energy_error")
        energy_box = QGroupBox("Energy")
        column = QVBoxLayout(energy_box)
        for widget in (self.combo, self.description, self.form, self.error):
            column.addWidget(widget)

        self.formula = QLineEdit()
        self.formula.setObjectName("formula_edit")
        self.formula.setPlaceholderText("(x**2 - 1)**2 + 0.5*y**2")
        self.formula.setClearButtonEnabled(True)
        self.formula.setToolTip("E(x) or E(x, y): + − * / ** ( ), numbers, x y, exp log sqrt sin cos "
                                "tanh abs softplus sigmoid …, pi e. Press Enter to apply.")
        self.apply_button = QPushButton("Apply")
        self.x_range, self.y_range = QLineEdit(), QLineEdit()
        for edit, axis in ((self.x_range, "x"), (self.y_range, "y")):
            edit.setPlaceholderText(f"{DEFAULT_RANGE[0]:g}, {DEFAULT_RANGE[1]:g}")
            edit.setToolTip(f"Optional {axis} range 'low, high' (default {DEFAULT_RANGE[0]:g}, "
                            f"{DEFAULT_RANGE[1]:g})")
            edit.setObjectName(f"{axis}_range")
        self.formula_error = _error_label()
        self.formula_error.setObjectName("formula_error")
        self.checkpoint_button = QPushButton("Load checkpoint…")
        self.checkpoint_button.setToolTip("A trained energy saved by core.energies.neural.save (.pt)")
        formula_box = QGroupBox("Formula or trained model")
        column = QVBoxLayout(formula_box)
        line = QHBoxLayout()
        line.addWidget(self.formula, 1)
        line.addWidget(self.apply_button)
        column.addLayout(line)
        ranges = QHBoxLayout()
        for text, edit in (("x", self.x_range), ("y", self.y_range)):
            ranges.addWidget(QLabel(text))
            ranges.addWidget(edit, 1)
        column.addLayout(ranges)
        column.addWidget(self.formula_error)
        column.addWidget(self.checkpoint_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(energy_box)
        layout.addWidget(formula_box)

        self.combo.currentIndexChanged.connect(self._on_combo)
        self.form.valuesChanged.connect(self._on_params)
        self.formula.returnPressed.connect(self.apply_formula)
        self.x_range.returnPressed.connect(self.apply_formula)
        self.y_range.returnPressed.connect(self.apply_formula)
        self.apply_button.clicked.connect(self.apply_formula)
        self.checkpoint_button.clicked.connect(self.choose_checkpoint)
        state.energyChanged.connect(self.sync)
        self.sync()

    def focus_chain(self) -> list[QWidget]:
        """The input widgets in visual order (for the panel's tab order)."""
        return [self.combo, *self.form.boxes.values(), self.formula, self.apply_button,
                self.x_range, self.y_range, self.checkpoint_button]

    def select(self, name: str) -> None:
        """Pick built-in `name` in the combo, as a user would (switches the energy)."""
        index = self.combo.findData(name)
        if index < 0:
            raise ValueError(f"no built-in energy {name!r} in the list")
        self.combo.setCurrentIndex(index)

    def apply_formula(self) -> bool:
        """Try the formula (and ranges) and switch to it; on a ValueError show it inline, keep the energy."""
        text = self.formula.text().strip()
        try:
            dim = energies.from_expression(text).dim  # names the bad token if there is one
            if dim > 2:
                raise ValueError(f"the workbench draws 1D and 2D energies; {text!r} uses {dim} variables")
            given = [parse_range(self.x_range.text(), "x"), parse_range(self.y_range.text(), "y")][:dim]
            bounds = [b or DEFAULT_RANGE for b in given]
            landscape.density(energies.from_expression(text, dim, bounds), CHECK_RESOLUTION)
            self.state.set_expression(text, dim=dim, bounds=bounds)
        except ValueError as exc:
            self.formula_error.setText(str(exc))
            self.formula_error.show()
            first = errors.describe(exc).split(";")[0]  # the full text is under the formula
            status_message(self, f"Formula not applied: {first}")
            return False
        self.formula_error.hide()
        return True

    def choose_checkpoint(self) -> None:
        """Ask for a checkpoint file, then `load_checkpoint`."""
        path, _ = QFileDialog.getOpenFileName(self, "Load energy checkpoint", "",
                                              "Energy checkpoints (*.pt *.pth);;All files (*)")
        if path:
            self.load_checkpoint(path)

    def load_checkpoint(self, path: str) -> bool:
        """Switch to the trained energy in `path`; errors go to the status bar (and inline)."""
        try:
            self.state.set_checkpoint(path)
        except ValueError as exc:
            self._show_error(errors.report_error(self, exc, "load the checkpoint"))
            return False
        return True

    def sync(self, *_: object) -> None:
        """Show the state's energy (model → widgets, signals blocked)."""
        source, E = self.state.source, self.state.energy
        kind = source.get("kind")
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findData(source["name"]) if kind == "builtin" else -1)
        if kind == "builtin":
            name = source["name"]
            if name != self._form_for:
                self.form.set_specs(energies.specs(name), source.get("params"))
                self._form_for = name
                self.formRebuilt.emit()
            else:
                self.form.set_values(source.get("params", {}))
            text = energies.info(name)["description"]
        else:
            if self._form_for is not None:
                self.form.set_specs(())
                self._form_for = None
                self.formRebuilt.emit()
            text = self._describe_other(source, E)
        self.description.setText(f"{text}\n{E.dim}D · {describe_box(E.bounds)}")
        self.error.hide()

    def _describe_other(self, source: dict, E: energies.Energy) -> str:
        kind = source.get("kind")
        if kind == "expression":
            if self.formula.text().strip() != source["text"]:
                self.formula.setText(source["text"])
            variables = "x" if E.dim == 1 else "x, y"
            return f"Formula: E({variables}) = {source['text']}"
        if kind == "checkpoint":
            hidden = getattr(E, "params", {}).get("hidden")
            return f"Trained model from {source['path']}" + (f" (MLP, hidden {hidden})" if hidden else "")
        return f"{source.get('name', E.name)} (set by another panel)"

    def _on_combo(self, index: int) -> None:
        name = self.combo.itemData(index)
        if name is None:
            return
        try:
            self.state.set_builtin(name)
        except ValueError as exc:
            self.sync()  # back to the energy in use
            self._show_error(errors.report_error(self, exc, f"create the energy {name!r}"))

    def _on_params(self, values: dict) -> None:
        if self._form_for is None:
            return
        try:
            self.state.set_builtin(self._form_for, **values)
        except ValueError as exc:
            message = f"Could not set the parameters: {errors.describe(exc)}"
            self.sync()  # back to the parameters in use
            self._show_error(message)
            status_message(self, message)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    @staticmethod
    def _grouped_model() -> QStandardItemModel:
        """Built-ins under disabled '1D' / '2D' headers; each item's data is its registry name."""
        model = QStandardItemModel()
        for dim in (1, 2):
            header = QStandardItem(f"{dim}D energies")
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            model.appendRow(header)
            for name in energies.names(dim=dim):
                item = QStandardItem(f"   {name.replace('_', ' ')}")
                item.setData(name, Qt.ItemDataRole.UserRole)
                item.setToolTip(energies.info(name)["description"])
                model.appendRow(item)
        return model
