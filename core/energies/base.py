"""The `Energy` base class: a torch module mapping points `(..., dim)` to energies `(...)`."""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

import torch

from core.params import ParamSpec

Bounds = list[tuple[float, float]]


def check_bounds(bounds: Sequence[Sequence[float]], dim: int) -> Bounds:
    """Validate a view box: `dim` pairs (low, high) with low < high, both finite."""
    try:
        pairs = [(float(lo), float(hi)) for lo, hi in bounds]
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be {dim} pairs (low, high), got {bounds!r}") from None
    if len(pairs) != dim:
        raise ValueError(f"bounds must have {dim} pairs (one per dimension), got {len(pairs)}")
    for i, (lo, hi) in enumerate(pairs):
        if not (torch.isfinite(torch.tensor([lo, hi])).all() and lo < hi):
            raise ValueError(f"bounds[{i}] = ({lo}, {hi}) must be finite with low < high")
    return pairs


class Energy(torch.nn.Module):
    """An energy `E(x)`, low where data is likely; density `p(x) ∝ exp(-E(x)/T)`.

    Subclasses implement `forward`; built-ins also override `energy_and_grad` with closed forms
    so samplers avoid autograd on the hot path.
    """

    name: str = "energy"
    param_specs: ClassVar[tuple[ParamSpec, ...]] = ()

    def __init__(self, dim: int, bounds: Sequence[Sequence[float]], params: dict[str, Any] | None = None):
        super().__init__()
        if int(dim) < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim = int(dim)
        self.bounds: Bounds = check_bounds(bounds, self.dim)
        self.params: dict[str, Any] = dict(params or {})

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Energy of points `x: (..., dim)` → `(...)`."""
        raise NotImplementedError

    def energy_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy `(...)` and its gradient dE/dx `(..., dim)` at `x: (..., dim)`; autograd here."""
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            e = self(xg)
            (g,) = torch.autograd.grad(e.sum(), xg)
        return e.detach(), g

    def columns(self, cols: Sequence[torch.Tensor], need_grad: bool = True
                ) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """Energy `(n,)` and, if `need_grad`, the gradient as `dim` columns `(n,)`, at x given as its
        `dim` coordinate columns `(n,)`. Built-ins compute column by column, never stacking, so that
        `torch.compile` can fuse a whole block of sampler steps into one loop over the chains."""
        x = torch.stack(list(cols), -1)
        if not need_grad:
            return self(x), None
        e, g = self.energy_and_grad(x)
        return e, list(g.unbind(-1))

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        """Gradient dE/dx at `x: (..., dim)` → `(..., dim)`."""
        return self.energy_and_grad(x)[1]

    @property
    def dtype(self) -> torch.dtype:
        """The dtype this energy computes in best: its parameters' dtype, float64 when it has none."""
        for p in self.parameters():
            return p.dtype
        return torch.float64

    @property
    def device(self) -> torch.device:
        """Device of the parameters (cpu for parameter-free energies)."""
        for p in self.parameters():
            return p.device
        return torch.device("cpu")

    def extra_repr(self) -> str:
        items = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"name={self.name!r}, dim={self.dim}" + (f", {items}" if items else "")
