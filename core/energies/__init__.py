"""Energies: the registry of built-ins, safe formulas and neural energies.

    energies.names()                      # built-in names
    energies.create("banana", b=0.3)      # ValueError listing valid names / parameters on a bad one
    energies.from_expression("(x**2-1)**2 + 0.5*y**2", dim=2, bounds=[(-2, 2), (-2, 2)])
"""
from __future__ import annotations

from typing import Any, Sequence

from core.energies import builtin_1d, builtin_2d  # noqa: F401  (registers the built-ins)
from core.energies.base import Energy
from core.energies.expression import ExpressionEnergy, from_expression
from core.energies.registry import ENERGIES, Analytic, register_energy
from core.params import ParamSpec

__all__ = [
    "Energy", "Analytic", "ExpressionEnergy", "names", "create", "specs", "info",
    "from_expression", "register_energy",
]


def names(dim: int | None = None) -> list[str]:
    """Names of the registered built-in energies, optionally only those of dimension `dim`."""
    return [n for n in ENERGIES.names() if dim is None or ENERGIES.get(n).dim_ == dim]


def specs(name: str) -> tuple[ParamSpec, ...]:
    """Parameter specs of built-in `name` (for building forms)."""
    return ENERGIES.get(name).param_specs


def info(name: str) -> dict[str, Any]:
    """Dimension, default bounds, description and parameter specs of built-in `name`."""
    cls = ENERGIES.get(name)
    return {"name": name, "dim": cls.dim_, "bounds": list(cls.default_bounds),
            "description": cls.description, "params": cls.param_specs}


def create(name: str, bounds: Sequence[Sequence[float]] | None = None, **params: Any) -> Energy:
    """Instantiate built-in energy `name` with `params`; ValueError on an unknown name or parameter."""
    return ENERGIES.get(name)(bounds=bounds, **params)
