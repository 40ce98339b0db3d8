"""MCMC samplers over continuous energies: "langevin" (ULA), "mala", "mh", "hmc"; and over discrete
models (`core.energies.discrete`: Ising grid, RBM): "gibbs", "block-gibbs", "icm" (one step = one sweep).

    s = samplers.create("mala", E, step_size=0.1)
    state = s.init(1000, seed=0)          # uniform over E.bounds
    state, trace = s.run(state, 500)      # trace.x: (500, 1000, dim)

Discrete samplers carry the class attribute `discrete = True` (continuous ones do not):
`names(discrete=False)` lists the continuous ones; a discrete sampler's `step_size` is unused.
"""
from __future__ import annotations

from typing import Any

from core.energies.base import Energy
from core.params import ParamSpec
from core.samplers import hmc, langevin, mh  # noqa: F401  (registers the samplers)
from core.samplers import gibbs  # noqa: F401  (registers the discrete samplers)
from core.samplers.base import Sampler, SamplerState, Trace
from core.samplers.registry import SAMPLERS, register_sampler

__all__ = ["Sampler", "SamplerState", "Trace", "create", "names", "specs", "register_sampler"]

DEFAULT_STEP_SIZE = {"langevin": 0.05, "mala": 0.1, "mh": 0.5, "hmc": 0.1}


def names(discrete: bool | None = None) -> list[str]:
    """Registered sampler names; `discrete` True/False keeps only the discrete/continuous ones."""
    return [n for n in SAMPLERS.names()
            if discrete is None or bool(getattr(SAMPLERS.get(n), "discrete", False)) == discrete]


def specs(name: str) -> tuple[ParamSpec, ...]:
    """Parameter specs of sampler `name`, step size and temperature first (for building forms)."""
    cls = SAMPLERS.get(name)
    return (
        ParamSpec("step_size", DEFAULT_STEP_SIZE.get(name, 0.1), 1e-6, None, cls.step_size_help),
        ParamSpec("temperature", 1.0, 1e-3, 1e3, "temperature T: density ∝ exp(−E/T)"),
    ) + tuple(cls.param_specs)


def create(name: str, energy: Energy, step_size: float | None = None, temperature: float = 1.0,
           **params: Any) -> Sampler:
    """Build sampler `name` on `energy`; ValueError on an unknown name, bad step size or parameter."""
    cls = SAMPLERS.get(name)
    if step_size is None:
        step_size = DEFAULT_STEP_SIZE.get(name, 0.1)
    return cls(energy, step_size=step_size, temperature=temperature, **params)
