"""Sampler state, traces and the base class shared by every continuous MCMC sampler.

A sampler is step-able: `state = s.init(n_chains, seed)`, `state = s.step(state)`, or
`state, trace = s.run(state, n_steps)`. Energy and gradient at the current point are cached in
the state, so each transition evaluates the energy once per new point (MALA: one call per step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

import torch

from core.energies.base import Energy
from core.params import ParamSpec, resolve_params

Tensor = torch.Tensor


@dataclass
class SamplerState:
    """Chains after `t` transitions.

    x: (n, dim) positions; energy: (n,) E(x) at T=1; grad: (n, dim) dE/dx or None (gradient-free
    samplers); proposal: (n, dim) last proposed points or None; accepted: (n,) bool or None (ULA);
    diverged: (n,) bool, sticky: the chain's own state would have become NaN/inf (ULA), so it is
    frozen at its last finite point; divergences: (n,) count of proposals that came out NaN/inf and
    were rejected (MH-type samplers; the chain stays valid); accept_count: (n,) accepted moves since init; path: (L+1, n, dim) HMC leapfrog positions of the
    last step when the sampler records paths, else None.
    """

    x: Tensor
    energy: Tensor
    grad: Tensor | None
    generator: torch.Generator
    diverged: Tensor
    accept_count: Tensor
    divergences: Tensor
    t: int = 0
    proposal: Tensor | None = None
    accepted: Tensor | None = None
    path: Tensor | None = None

    @property
    def n_chains(self) -> int:
        return self.x.shape[0]

    @property
    def n_diverged(self) -> int:
        """Number of chains flagged as diverged."""
        return int(self.diverged.sum())

    @property
    def n_divergences(self) -> int:
        """Total number of rejected NaN/inf proposals over all chains."""
        return int(self.divergences.sum())


@dataclass
class Trace:
    """Recorded history of a run: x (n_rec, n, dim), energy (n_rec, n), accepted (n_rec, n) or None.

    accept_count (n,) and n_steps cover every step of the run, recorded or not.
    """

    x: Tensor
    energy: Tensor
    accepted: Tensor | None
    accept_count: Tensor
    n_steps: int
    diverged: Tensor
    divergences: Tensor
    record_every: int = 1
    sampler: str = ""
    adjusted: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    def numpy(self) -> dict[str, Any]:
        """Plain numpy arrays, e.g. for `numpy.savez`."""
        out = {"x": self.x.cpu().numpy(), "energy": self.energy.cpu().numpy(),
               "accept_count": self.accept_count.cpu().numpy(), "diverged": self.diverged.cpu().numpy(),
               "divergences": self.divergences.cpu().numpy(), "sampler": self.sampler,
               "n_steps": self.n_steps, "record_every": self.record_every}
        if self.accepted is not None:
            out["accepted"] = self.accepted.cpu().numpy()
        return out


def _positive(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number > 0, got {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


class Sampler:
    """Base class: subclasses set `name`, `param_specs`, `uses_grad` and implement `_propose`."""

    name: ClassVar[str] = "sampler"
    uses_grad: ClassVar[bool] = True
    accept_reject: ClassVar[bool] = True
    param_specs: ClassVar[tuple[ParamSpec, ...]] = ()
    step_size_help: ClassVar[str] = "step size"

    def __init__(self, energy: Energy, step_size: float, temperature: float = 1.0,
                 device: str | torch.device | None = None, dtype: torch.dtype = torch.float32,
                 record_path: bool = False, **params: Any) -> None:
        if not isinstance(energy, Energy):
            raise ValueError(f"expected an Energy, got {type(energy).__name__}")
        self.energy = energy
        self.step_size = _positive("step_size", step_size)
        self.temperature = _positive("temperature", temperature)
        self.params = resolve_params(f"sampler {self.name!r}", self.param_specs, params)
        for k, v in self.params.items():
            setattr(self, k, v)
        self.device = torch.device(device) if device is not None else energy.device
        self.dtype = dtype
        self.record_path = bool(record_path)
        self.energy.to(self.device)

    # --- energy helpers -------------------------------------------------------------------
    def _energy_and_grad(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if self.uses_grad:
            e, g = self.energy.energy_and_grad(x)
            return e.to(x.dtype), g.to(x.dtype)
        with torch.no_grad():
            return self.energy(x).to(x.dtype), None

    # --- public API -----------------------------------------------------------------------
    def init(self, n_chains: int, seed: int = 0, x0: Tensor | Sequence[float] | None = None) -> SamplerState:
        """Start `n_chains` chains: x0 None → uniform over the energy's bounds; (dim,) or (n, dim) otherwise."""
        if isinstance(n_chains, bool) or int(n_chains) != n_chains or n_chains < 1:
            raise ValueError(f"n_chains must be a positive integer, got {n_chains!r}")
        n, dim = int(n_chains), self.energy.dim
        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(seed))
        if x0 is None:
            lo = torch.tensor([b[0] for b in self.energy.bounds], dtype=self.dtype, device=self.device)
            hi = torch.tensor([b[1] for b in self.energy.bounds], dtype=self.dtype, device=self.device)
            x = lo + (hi - lo) * torch.rand(n, dim, generator=gen, dtype=self.dtype, device=self.device)
        else:
            x = torch.as_tensor(x0, dtype=self.dtype, device=self.device)
            if x.shape == (dim,):
                x = x.expand(n, dim).clone()
            if x.shape != (n, dim):
                raise ValueError(f"x0 must have shape ({dim},) or ({n}, {dim}), got {tuple(x.shape)}")
        e, g = self._energy_and_grad(x)
        bad = ~torch.isfinite(x).all(-1) | torch.isnan(e)
        if g is not None:
            bad |= ~torch.isfinite(g).all(-1)
        zeros = torch.zeros(n, dtype=torch.int64, device=self.device)
        return SamplerState(x=x, energy=e, grad=g, generator=gen, diverged=bad, accept_count=zeros,
                            divergences=zeros)

    @torch.no_grad()
    def step(self, state: SamplerState) -> SamplerState:
        """One transition for every chain; returns the new state (the old one is not modified)."""
        new = SamplerState(x=state.x, energy=state.energy, grad=state.grad, generator=state.generator,
                           diverged=state.diverged, accept_count=state.accept_count,
                           divergences=state.divergences, t=state.t)
        self._advance(new)
        return new

    @torch.no_grad()
    def run(self, state: SamplerState, n_steps: int, record_every: int = 1,
            callback: Callable[[int, SamplerState], None] | None = None) -> tuple[SamplerState, Trace]:
        """`n_steps` transitions; record x, energy, accepted every `record_every` steps (0: none).

        `callback(i, state)` is called after step i (1-based), e.g. to drive a progress bar.
        """
        if isinstance(n_steps, bool) or int(n_steps) != n_steps or n_steps < 0:
            raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
        if isinstance(record_every, bool) or int(record_every) != record_every or record_every < 0:
            raise ValueError(f"record_every must be an integer >= 0 (0 records nothing), got {record_every!r}")
        start_count, start_div = state.accept_count, state.divergences
        if n_steps:
            state = self.step(state)
        xs, es, accs = [], [], []
        for i in range(int(n_steps)):
            if i:
                self._advance(state)
            if record_every and (i + 1) % record_every == 0:
                xs.append(state.x)
                es.append(state.energy)
                if state.accepted is not None:
                    accs.append(state.accepted)
            if callback is not None:
                callback(i + 1, state)
        n, dim = state.x.shape
        trace = Trace(
            x=torch.stack(xs) if xs else state.x.new_empty((0, n, dim)),
            energy=torch.stack(es) if es else state.x.new_empty((0, n)),
            accepted=torch.stack(accs) if accs else None,
            accept_count=state.accept_count - start_count, n_steps=int(n_steps),
            diverged=state.diverged, divergences=state.divergences - start_div,
            record_every=int(record_every), sampler=self.name, adjusted=self.accept_reject,
        )
        return state, trace

    def _advance(self, state: SamplerState) -> None:
        """Apply one transition to `state` in place (its tensors are replaced, never mutated)."""
        x, e, g = state.x, state.energy, state.grad
        prop, e_prop, g_prop, log_alpha, path, bad = self._propose(x, e, g, state.generator)
        if log_alpha is None:  # unadjusted move: always taken unless the new state is broken
            state.diverged = state.diverged | bad
            move = ~state.diverged
            accepted = None
        else:
            u = self._rand(x.shape[0], state.generator)
            # A broken (NaN/inf) proposal is rejected, so the chain stays valid, and counted.
            move = (torch.log(u) < log_alpha) & ~bad & ~state.diverged
            accepted = move
            state.accept_count = state.accept_count + move
            state.divergences = state.divergences + bad
        m = move.unsqueeze(-1)
        state.x = torch.where(m, prop, x)
        state.energy = torch.where(move, e_prop, e)
        if g is not None:
            state.grad = torch.where(m, g_prop, g)
        state.proposal = prop if log_alpha is not None else None
        state.accepted, state.path = accepted, path
        state.t += 1

    def _propose(self, x: Tensor, e: Tensor, g: Tensor | None, gen: torch.Generator):  # pragma: no cover
        """Return (proposal, its energy, its gradient, log acceptance ratio or None, path, bad mask)."""
        raise NotImplementedError

    def _randn(self, shape, gen: torch.Generator) -> Tensor:
        return torch.randn(shape, generator=gen, dtype=self.dtype, device=self.device)

    def _rand(self, shape, gen: torch.Generator) -> Tensor:
        return torch.rand(shape, generator=gen, dtype=self.dtype, device=self.device)
