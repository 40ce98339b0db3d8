"""Samplers over discrete models (`core.energies.discrete`): "gibbs", "block-gibbs" and "icm".

Same API as the continuous samplers — `samplers.create(name, model, step_size=..., temperature=...)`,
`s.init(n_chains, seed=0, x0=None)`, `s.step(state)`, `s.run(state, n)` — with one `step` = one full
sweep over the units. `step_size` means nothing here (accepted for the common API, any value > 0).
The classes carry `discrete = True`: the continuous samplers do not, so a panel can filter on it.

- "gibbs": Ising grid — every spin drawn from p(x_i | neighbours) = σ(2 f_i / T); `order="checkerboard"`
  (default: the two colours of the grid are each conditionally independent, so each colour is updated
  in parallel) or `order="sequential"` (site by site in raster order). RBM — the two layers are the two
  colours: h ~ p(h | v), then v ~ p(v | h).
- "block-gibbs": RBM only, v → h → v.
- "icm": iterated conditional modes (Besag 1986), greedy MAP — each unit set to its most probable value
  given its neighbours (ties keep the current value); the energy never increases. Temperature unused.

States are `DiscreteState`s (a `SamplerState` with `hidden` and `flips`): x (n, dim) ∈ model.values,
energy (n,) E(x) at T = 1 (the free energy F(v) for an RBM), accepted/proposal None, t the sweep count.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import torch

from core.energies.discrete import RBM, DiscreteModel, IsingGrid
from core.params import resolve_params
from core.samplers.base import Sampler, SamplerState, _positive
from core.samplers.registry import register_sampler

Tensor = torch.Tensor
ORDERS = ("checkerboard", "sequential")


@dataclass
class DiscreteState(SamplerState):
    """A `SamplerState` of a discrete sampler, plus hidden: (n, n_hidden) last RBM hidden sample or
    None; flips: (n,) units that changed value in the last sweep (0 for every chain: ICM converged)."""

    hidden: Tensor | None = None
    flips: Tensor | None = None


class DiscreteSampler(Sampler):
    """Base of the discrete samplers: one `step` = one sweep; subclasses implement `_sweep`."""

    discrete: ClassVar[bool] = True
    uses_grad = False
    accept_reject = False  # Gibbs moves are always taken (exact conditionals), ICM is deterministic
    step_size_help = "unused by discrete samplers (kept for the common API; any value > 0)"
    models: ClassVar[tuple[type, ...]] = (IsingGrid, RBM)
    options: ClassVar[dict[str, tuple[str, ...]]] = {"order": ORDERS}  # string choices, not ParamSpecs

    def __init__(self, energy: DiscreteModel, step_size: float = 1.0, temperature: float = 1.0,
                 device: str | torch.device | None = None, dtype: torch.dtype | None = None,
                 order: str = "checkerboard", record_path: bool = False, compile: bool = False,
                 **params: Any) -> None:
        if not getattr(energy, "discrete", False):
            raise ValueError(f"sampler {self.name!r} needs a discrete model (core.energies.discrete: "
                             f"IsingGrid, RBM), got {type(energy).__name__}; for continuous energies use "
                             "langevin, mala, mh or hmc")
        if not isinstance(energy, self.models):
            allowed = ", ".join(m.__name__ for m in self.models)
            raise ValueError(f"sampler {self.name!r} works on {allowed}, got {type(energy).__name__}")
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}; allowed: {', '.join(ORDERS)}")
        self.energy = energy
        self.step_size = _positive("step_size", step_size)
        self.temperature = _positive("temperature", temperature)
        self.params = resolve_params(f"sampler {self.name!r}", self.param_specs, params)
        self.order = order
        self.device = torch.device(device) if device is not None else energy.device
        self.dtype = dtype if dtype is not None else energy.dtype
        self.record_path, self.compile = False, False  # nothing to record or compile: sweeps are cheap
        self._compiled = {}
        self.energy.to(self.device)

    # --- public API -----------------------------------------------------------------------
    def init(self, n_chains: int, seed: int = 0, x0: Tensor | Sequence[float] | None = None) -> DiscreteState:
        """Start `n_chains` chains: x0 None → uniformly random units; otherwise one state (dim,) (an Ising
        image (H, W) too) copied to every chain, or one per chain (n, dim) / (n, H, W)."""
        if isinstance(n_chains, bool) or int(n_chains) != n_chains or n_chains < 1:
            raise ValueError(f"n_chains must be a positive integer, got {n_chains!r}")
        n, dim = int(n_chains), self.energy.dim
        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(seed))
        if x0 is None:
            x = self.energy.random_state(n, gen, self.dtype)
        else:
            x = torch.as_tensor(x0, dtype=self.dtype, device=self.device)
            if x.dim() >= 2 and x.shape[-2:] == getattr(self.energy, "shape", None):
                x = x.reshape(*x.shape[:-2], dim)
            if x.shape == (dim,):
                x = x.expand(n, dim)
            if x.shape != (n, dim):
                raise ValueError(f"x0 must have shape ({dim},) or ({n}, {dim}), got {tuple(x.shape)}")
            self.energy.check_state(x)
            x = x.clone()
        zeros = torch.zeros(n, dtype=torch.int64, device=self.device)
        return DiscreteState(x=x, energy=self._energy(x), grad=None, generator=gen,
                             diverged=torch.zeros(n, dtype=torch.bool, device=self.device),
                             accept_count=zeros, divergences=zeros, flips=zeros)

    # --- machinery ------------------------------------------------------------------------
    def _energy(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            return self.energy(x).to(x.dtype)

    def _compilable(self) -> bool:
        return False

    @staticmethod
    def _copy(state: SamplerState) -> DiscreteState:
        return DiscreteState(x=state.x, energy=state.energy, grad=None, generator=state.generator,
                             diverged=state.diverged, accept_count=state.accept_count,
                             divergences=state.divergences, t=state.t,
                             hidden=getattr(state, "hidden", None), flips=getattr(state, "flips", None))

    def _advance(self, state: DiscreteState) -> None:
        """One sweep, in place (tensors replaced, never mutated)."""
        x, hidden = self._sweep(state.x, state.generator)
        state.flips = (x != state.x).sum(-1)
        state.x, state.hidden, state.energy = x, hidden, self._energy(x)
        state.t += 1

    def _sweep(self, x: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:  # pragma: no cover
        """New units (n, dim) after one sweep, and the RBM hidden units (or None)."""
        raise NotImplementedError

    def _uniform(self, shape: tuple[int, ...], gen: torch.Generator) -> Tensor:
        return torch.rand(shape, generator=gen, dtype=self.dtype, device=self.device)

    # --- Ising sweeps, shared by Gibbs (sample) and ICM (greedy) ---------------------------
    def _ising_sweep(self, x: Tensor, gen: torch.Generator | None) -> Tensor:
        """Gibbs sweep (gen given) or ICM sweep (gen None) over the grid in `self.order`."""
        model: IsingGrid = self.energy
        u = self._uniform(x.shape, gen) if gen is not None else None
        if self.order == "checkerboard":
            for mask in model.colours:
                f = model.local_field(x)
                new = self._ising_update(f, x, u)
                x = torch.where(mask, new, x)
            return x
        x = x.clone()
        for i in range(model.dim):
            f = model.site_field(x, i)
            x[:, i] = self._ising_update(f, x[:, i], None if u is None else u[:, i])
        return x

    def _ising_update(self, f: Tensor, x: Tensor, u: Tensor | None) -> Tensor:
        if u is None:  # ICM: the sign of the local field, keep the spin on a tie
            return torch.where(f > 0, 1.0, torch.where(f < 0, -1.0, x)).to(x.dtype)
        p_up = torch.sigmoid(2.0 * f / self.temperature)
        return torch.where(u < p_up, 1.0, -1.0).to(x.dtype)


@register_sampler("gibbs")
class Gibbs(DiscreteSampler):
    """Gibbs sampling: each unit drawn from its conditional given its Markov blanket at temperature T."""

    def _sweep(self, x, gen):
        if isinstance(self.energy, RBM):
            return _rbm_block_sweep(self.energy, x, gen, self.temperature)
        return self._ising_sweep(x, gen), None


@register_sampler("block-gibbs")
class BlockGibbs(DiscreteSampler):
    """Block Gibbs for an RBM: h ~ p(h | v), then v ~ p(v | h) (each layer in parallel)."""

    models = (RBM,)
    options = {}

    def _sweep(self, x, gen):
        return _rbm_block_sweep(self.energy, x, gen, self.temperature)


@register_sampler("icm")
class ICM(DiscreteSampler):
    """Iterated conditional modes: each unit set to its most probable value given the others (greedy MAP)."""

    def _sweep(self, x, gen):
        if isinstance(self.energy, RBM):
            rbm: RBM = self.energy
            pre_h = x @ rbm.W + rbm.c
            h = torch.where(pre_h > 0, 1.0, 0.0).to(x.dtype)
            pre_v = h @ rbm.W.T + rbm.b
            return torch.where(pre_v > 0, 1.0, torch.where(pre_v < 0, 0.0, x)).to(x.dtype), h
        return self._ising_sweep(x, None), None


def _rbm_block_sweep(rbm: RBM, v: Tensor, gen: torch.Generator, temperature: float) -> tuple[Tensor, Tensor]:
    """v → h ~ p(h | v) → v ~ p(v | h) at temperature T; returns (v, h)."""
    _, h = rbm.sample_h(v, gen, temperature)
    _, v = rbm.sample_v(h, gen, temperature)
    return v, h
