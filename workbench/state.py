"""Shared app state: the current energy and temperature, observed by the Landscape and Sampler panels.

Setters call into `core` and raise its ValueError unchanged (the energy stays as it was), so the
panel that called can show the message inline.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import QObject, Signal

from core import energies
from core.energies import neural
from core.energies.base import Energy

DEFAULT_ENERGY = "banana"


class EnergyState(QObject):
    """The energy under study (`energy`), where it came from (`source`) and the temperature."""

    energyChanged = Signal(object)  # the new core Energy
    temperatureChanged = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.energy: Energy = energies.create(DEFAULT_ENERGY)
        self.source: dict[str, Any] = {"kind": "builtin", "name": DEFAULT_ENERGY, "params": {}}
        self.temperature = 1.0

    def set_builtin(self, name: str, **params: Any) -> Energy:
        """Switch to built-in `name` with `params`; ValueError (state unchanged) on a bad one."""
        E = energies.create(name, **params)
        return self._set(E, {"kind": "builtin", "name": name, "params": dict(E.params)})

    def set_expression(self, text: str, dim: int | None = None,
                       bounds: Sequence[Sequence[float]] | None = None) -> Energy:
        """Switch to the formula `text`; ValueError naming the bad token (state unchanged)."""
        E = energies.from_expression(text, dim=dim, bounds=bounds)
        if E.dim > 2:
            raise ValueError(f"the workbench draws 1D and 2D energies; {text!r} uses {E.dim} variables")
        return self._set(E, {"kind": "expression", "text": text, "dim": E.dim, "bounds": E.bounds})

    def set_checkpoint(self, path: str | Path) -> Energy:
        """Switch to a trained energy saved by `core.energies.neural.save`; ValueError if unreadable."""
        E = neural.load(path)
        if E.dim > 2:
            raise ValueError(f"the workbench draws 1D and 2D energies; {path} has dim {E.dim}")
        return self._set(E, {"kind": "checkpoint", "path": str(path)})

    def set_energy(self, E: Energy, source: dict[str, Any] | None = None) -> Energy:
        """Switch to an energy object made elsewhere (e.g. a model being trained)."""
        return self._set(E, source or {"kind": "object", "name": E.name})

    def set_temperature(self, temperature: float) -> None:
        """Set T > 0 (finite); ValueError otherwise. Emits only when it changes."""
        t = float(temperature)
        if not (t > 0 and math.isfinite(t)):
            raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
        if t != self.temperature:
            self.temperature = t
            self.temperatureChanged.emit(t)

    def _set(self, E: Energy, source: dict[str, Any]) -> Energy:
        self.energy, self.source = E, source
        self.energyChanged.emit(E)
        return E


def shared_state(parent: object) -> EnergyState:
    """The main window's shared `EnergyState` if `parent` has one, else a fresh one (standalone panels)."""
    state = getattr(parent, "energy_state", None)
    return state if isinstance(state, EnergyState) else EnergyState()
