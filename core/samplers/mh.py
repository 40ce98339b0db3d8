"""Random-walk Metropolis-Hastings with a Gaussian proposal. x: (n, dim)."""
from __future__ import annotations

import torch

from core.samplers.base import Sampler
from core.samplers.registry import register_sampler


@register_sampler("mh")
class RandomWalkMH(Sampler):
    """x' = x + σ·ξ, accepted with min(1, exp(−(E(x') − E(x))/T)); `step_size` is σ."""

    uses_grad = False
    step_size_help = "σ: standard deviation of the Gaussian random-walk proposal"

    def _propose(self, x, e, g, normal):
        prop = torch.add(x, normal, alpha=self.step_size)
        e_p, _ = self._energy_and_grad(prop)
        return prop, e_p, None, (e - e_p).mul_(1.0 / self.temperature), None

    def _propose_columns(self, xs, e, gs, normals):
        prop = [torch.add(x, z, alpha=self.step_size) for x, z in zip(xs, normals)]
        e_p, _ = self._energy_and_grad_columns(prop)
        return prop, e_p, None, (e - e_p) * (1.0 / self.temperature)
