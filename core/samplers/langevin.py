"""Langevin samplers: unadjusted (ULA) and Metropolis-adjusted (MALA). x: (n, dim)."""
from __future__ import annotations

import math

import torch

from core.samplers.base import Sampler, Tensor
from core.samplers.registry import register_sampler


def _drift_step(x: Tensor, g: Tensor, noise: Tensor, eps: float, temperature: float) -> Tensor:
    """x − (ε/2)∇E/T + √ε·ξ, in two fused ops."""
    return torch.add(x, g, alpha=-0.5 * eps / temperature).add_(noise, alpha=math.sqrt(eps))


@register_sampler("langevin")
class Langevin(Sampler):
    """Unadjusted Langevin: x ← x − (ε/2)∇E(x)/T + √ε·ξ. Biased at finite ε (no accept/reject)."""

    accept_reject = False
    step_size_help = "ε: drift ε/2·∇E/T, noise variance ε"

    def _propose(self, x, e, g, normal):
        prop = _drift_step(x, g, normal, self.step_size, self.temperature)
        e_p, g_p = self._energy_and_grad(prop)
        return prop, e_p, g_p, None, None

    def _propose_columns(self, xs, e, gs, normals):
        prop = [_drift_step(x, g, z, self.step_size, self.temperature) for x, g, z in zip(xs, gs, normals)]
        e_p, g_p = self._energy_and_grad_columns(prop)
        return prop, e_p, g_p, None


@register_sampler("mala")
class MALA(Sampler):
    """Metropolis-adjusted Langevin: the ULA move as a proposal, accepted with the MH ratio."""

    step_size_help = "ε: proposal N(x − ε/2·∇E/T, ε·I)"

    def _propose(self, x, e, g, noise):
        eps, T = self.step_size, self.temperature
        prop = _drift_step(x, g, noise, eps, T)
        e_p, g_p = self._energy_and_grad(prop)
        # log q(x'|x) = −|ξ|²/2 (+const); log q(x|x') = −|x − x' + (ε/2)∇E(x')/T|²/(2ε) (+const)
        back = torch.add(x - prop, g_p, alpha=0.5 * eps / T)
        log_q_ratio = (noise * noise).sum(-1).mul_(0.5) - (back * back).sum(-1).mul_(0.5 / eps)
        log_alpha = (e - e_p).mul_(1.0 / T).add_(log_q_ratio)
        return prop, e_p, g_p, log_alpha, None

    def _propose_columns(self, xs, e, gs, normals):
        eps, T = self.step_size, self.temperature
        prop = [_drift_step(x, g, z, eps, T) for x, g, z in zip(xs, gs, normals)]
        e_p, g_p = self._energy_and_grad_columns(prop)
        back = [torch.add(x - p, gp, alpha=0.5 * eps / T) for x, p, gp in zip(xs, prop, g_p)]
        log_q_ratio = 0.5 * sum(z * z for z in normals) - (0.5 / eps) * sum(b * b for b in back)
        return prop, e_p, g_p, (e - e_p) * (1.0 / T) + log_q_ratio
