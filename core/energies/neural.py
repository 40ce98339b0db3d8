"""A neural energy: an MLP `R^dim → R`, with save/load of checkpoints (a dict with config + weights)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch

from core.energies.base import Energy

_ACTIVATIONS = {"silu": torch.nn.SiLU, "softplus": torch.nn.Softplus, "tanh": torch.nn.Tanh, "elu": torch.nn.ELU}


class MLPEnergy(Energy):
    """E(x) = MLP(x): `dim` inputs, hidden layers of `hidden` units, one output; x: (..., dim) → (...)."""

    name = "mlp"

    def __init__(
        self,
        dim: int = 2,
        hidden: Sequence[int] = (64, 64),
        activation: str = "silu",
        bounds: Sequence[Sequence[float]] | None = None,
        seed: int | None = 0,
    ) -> None:
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; allowed: {', '.join(_ACTIVATIONS)}")
        hidden = [int(h) for h in hidden]
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden sizes must be positive, got {hidden}")
        config = {"dim": int(dim), "hidden": hidden, "activation": activation}
        super().__init__(dim, bounds if bounds is not None else [(-4.0, 4.0)] * int(dim), config)
        layers: list[torch.nn.Module] = []
        width = self.dim
        generator_state = torch.random.get_rng_state()
        if seed is not None:
            torch.manual_seed(seed)  # deterministic initial weights for a given seed
        try:
            for h in hidden:
                layers += [torch.nn.Linear(width, h), _ACTIVATIONS[activation]()]
                width = h
            layers.append(torch.nn.Linear(width, 1))
        finally:
            if seed is not None:
                torch.random.set_rng_state(generator_state)
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.to(self.dtype)).squeeze(-1)

    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this network (weights excluded)."""
        return {**self.params, "bounds": [list(b) for b in self.bounds]}


def save(energy: MLPEnergy, path: str | os.PathLike) -> Path:
    """Write `energy` to `path` atomically (temp file, then rename); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"kind": "mlp", "config": energy.config(), "state_dict": energy.state_dict()}, tmp)
    os.replace(tmp, path)
    return path


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> MLPEnergy:
    """Read an energy checkpoint written by `save`; ValueError if the file is missing or not one."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no energy checkpoint at {str(path)!r}")
    try:
        blob = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise ValueError(f"{str(path)!r} is not a readable energy checkpoint: {exc}") from None
    if not isinstance(blob, dict) or blob.get("kind") != "mlp" or "state_dict" not in blob:
        raise ValueError(f"{str(path)!r} is not an energy checkpoint (expected kind 'mlp' with weights)")
    energy = MLPEnergy(**blob["config"], seed=None)
    try:
        energy.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        raise ValueError(f"{str(path)!r}: weights do not match the stored config: {exc}") from None
    return energy
