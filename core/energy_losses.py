"""LeCun's losses for an energy E(W, Y, X) over a finite set of answers (REFERENCES §1; LeCun et al.,
"A Tutorial on Energy-Based Learning", 2006, §2.2), as plain functions.

Every function takes `energies` (n, n_classes) — E(W, Y, X^i) for each answer Y — and `targets` (n,)
int64 class indices Y^i, and returns the per-example loss (n,). The decision is exhaustive search:
`decide(energies)` = argmin over Y.

- "energy": E(Y^i). Valid only when pushing E(Y^i) down pushes the other answers up by construction
  (e.g. E = ½‖G(X) − e_Y‖² with fixed codes e_Y); with a free energy per class it collapses.
- "perceptron": E(Y^i) − min_Y E(Y) (≥ 0, no margin: zero as soon as Y^i wins).
- "hinge": max(0, m + E(Y^i) − min_{Y≠Y^i} E(Y)) (pushes the most offending incorrect answer up to m).
- "log-likelihood": E(Y^i) + (1/β) log Σ_Y exp(−β E(Y)) (softmax cross-entropy on −βE, divided by β).
"""
from __future__ import annotations

from typing import Callable

import torch

Tensor = torch.Tensor


def correct_energy(energies: Tensor, targets: Tensor) -> Tensor:
    """E(Y^i): (n, K), (n,) → (n,)."""
    return energies.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)


def most_offending_incorrect(energies: Tensor, targets: Tensor) -> Tensor:
    """min_{Y≠Y^i} E(Y), the lowest energy among the wrong answers: (n, K), (n,) → (n,)."""
    wrong = torch.ones_like(energies, dtype=torch.bool).scatter(-1, targets.long().unsqueeze(-1), False)
    return energies.masked_fill(~wrong, float("inf")).min(-1).values


def margin(energies: Tensor, targets: Tensor) -> Tensor:
    """min_{Y≠Y^i} E(Y) − E(Y^i): > 0 where the correct answer wins, by that much; (n,)."""
    return most_offending_incorrect(energies, targets) - correct_energy(energies, targets)


def decide(energies: Tensor) -> Tensor:
    """The answer of lowest energy (exhaustive search over Y): (n, K) → (n,) int64."""
    return energies.argmin(-1)


def energy_loss(energies: Tensor, targets: Tensor) -> Tensor:
    """E(Y^i), per example (n,)."""
    return correct_energy(energies, targets)


def perceptron_loss(energies: Tensor, targets: Tensor) -> Tensor:
    """E(Y^i) − min_Y E(Y), per example (n,), ≥ 0."""
    return correct_energy(energies, targets) - energies.min(-1).values


def hinge_loss(energies: Tensor, targets: Tensor, margin: float = 1.0) -> Tensor:
    """max(0, m + E(Y^i) − min_{Y≠Y^i} E(Y)), per example (n,)."""
    return torch.clamp(margin + correct_energy(energies, targets) - most_offending_incorrect(energies, targets),
                       min=0.0)


def log_likelihood_loss(energies: Tensor, targets: Tensor, beta: float = 1.0) -> Tensor:
    """E(Y^i) + (1/β) log Σ_Y exp(−β E(Y)), per example (n,)."""
    return correct_energy(energies, targets) + torch.logsumexp(-beta * energies, -1) / beta


LOSSES: dict[str, Callable[..., Tensor]] = {
    "energy": energy_loss,
    "perceptron": perceptron_loss,
    "hinge": hinge_loss,
    "log-likelihood": log_likelihood_loss,
}


def names() -> list[str]:
    """The loss names: energy, perceptron, hinge, log-likelihood."""
    return list(LOSSES)


def compute(name: str, energies: Tensor, targets: Tensor, margin: float = 1.0, beta: float = 1.0) -> Tensor:
    """Loss `name` per example (n,); `margin` is the hinge's m, `beta` the log-likelihood's β."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; allowed: {', '.join(LOSSES)}")
    if name == "hinge":
        return hinge_loss(energies, targets, margin)
    if name == "log-likelihood":
        if not beta > 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        return log_likelihood_loss(energies, targets, beta)
    return LOSSES[name](energies, targets)
