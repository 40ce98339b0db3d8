"""The energy registry: `@register_energy` adds an `Energy` subclass under its name."""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from core.energies.base import Energy
from core.params import param, resolve_params  # noqa: F401  (param: re-exported for the built-ins)
from core.registry import Registry

ENERGIES: Registry[type["Analytic"]] = Registry("energy")


class Analytic(Energy):
    """A built-in energy with closed-form energy and gradient and parameters from `param_specs`."""

    dim_: ClassVar[int] = 2
    default_bounds: ClassVar[Sequence[tuple[float, float]]] = ()
    description: ClassVar[str] = ""

    def __init__(self, bounds: Sequence[Sequence[float]] | None = None, **params: Any) -> None:
        resolved = resolve_params(f"energy {self.name!r}", self.param_specs, params)
        super().__init__(self.dim_, bounds if bounds is not None else self.default_bounds, resolved)
        for key, value in resolved.items():
            setattr(self, key, value)


def register_energy(name: str):
    """Class decorator: register an `Analytic` subclass as built-in energy `name`."""

    def add(cls: type[Analytic]) -> type[Analytic]:
        cls.name = name
        return ENERGIES.register(name)(cls)

    return add
