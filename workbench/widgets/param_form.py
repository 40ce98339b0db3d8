"""A form of spin boxes built from `core.params.ParamSpec`s (name, default, limits, help)."""
from __future__ import annotations

import math
from typing import Any, Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from core.params import ParamSpec

_BIG = 1e9


def _decimals(spec: ParamSpec) -> int:
    """Enough decimals to show the default and the lower limit (2 … 6), and the limits exactly (≤ 8):
    a spin box rounds its range to its decimals, and 0.99999 shown with 3 decimals would allow 1.0."""
    values = [abs(float(v)) for v in (spec.default, spec.low) if v not in (None, 0)]
    smallest = min(values, default=1.0)
    decimals = int(min(6, max(2, 2 - math.floor(math.log10(smallest)))))
    for limit in (spec.low, spec.high):
        while limit is not None and decimals < 8 and round(float(limit), decimals) != float(limit):
            decimals += 1
    return decimals


class ParamForm(QWidget):
    """One labelled spin box per spec; `values()` gives a dict; `valuesChanged` fires on edits."""

    valuesChanged = Signal(dict)

    def __init__(self, specs: Sequence[ParamSpec] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QDoubleSpinBox | QSpinBox] = {}
        self.set_specs(specs)

    def set_specs(self, specs: Sequence[ParamSpec], values: dict[str, Any] | None = None) -> None:
        """Rebuild the form for `specs`, showing `values` (defaults where missing)."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self.boxes = {}
        values = values or {}
        for spec in specs:
            box = self._make_box(spec)
            with QSignalBlocker(box):
                box.setValue(values.get(spec.name, spec.default))
            box.valueChanged.connect(self._emit)
            label = spec.name.replace("_", " ")
            self._layout.addRow(label, box)
            self._layout.labelForField(box).setToolTip(spec.help)
            self.boxes[spec.name] = box

    def values(self) -> dict[str, Any]:
        """Current values by parameter name."""
        return {name: box.value() for name, box in self.boxes.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        """Show `values` without emitting `valuesChanged` (model → widget)."""
        for name, value in values.items():
            if name in self.boxes:
                with QSignalBlocker(self.boxes[name]):
                    self.boxes[name].setValue(value)

    def _make_box(self, spec: ParamSpec) -> QDoubleSpinBox | QSpinBox:
        low = -_BIG if spec.low is None else spec.low
        high = _BIG if spec.high is None else spec.high
        if spec.kind is int:
            box: QDoubleSpinBox | QSpinBox = QSpinBox(self)
            box.setRange(int(max(low, -2**31 + 1)), int(min(high, 2**31 - 1)))
        else:
            box = QDoubleSpinBox(self)
            box.setDecimals(_decimals(spec))
            box.setRange(float(low), float(high))
            box.setSingleStep(10 ** math.floor(math.log10(abs(float(spec.default)) or 1.0)) / 10)
        box.setKeyboardTracking(False)  # emit when typing is done, not on every keystroke
        box.setToolTip(spec.help)
        box.setObjectName(f"param_{spec.name}")
        return box

    def _emit(self, *_: object) -> None:
        self.valuesChanged.emit(self.values())
