"""Hamiltonian Monte Carlo with an identity mass matrix and leapfrog integration. x: (n, dim)."""
from __future__ import annotations

import math

import torch

from core.params import ParamSpec
from core.samplers.base import Sampler
from core.samplers.registry import register_sampler


@register_sampler("hmc")
class HMC(Sampler):
    """p ~ N(0, I); L leapfrog steps of size ε on H = E(x)/T + |p|²/2; accept on exp(H₀ − H₁)."""

    step_size_help = "ε: leapfrog step size"
    param_specs = (ParamSpec("n_leapfrog", 10, 1, 1000, "number L of leapfrog steps per transition", int),)

    def _evaluations_per_step(self) -> int:
        return self.n_leapfrog

    def _propose(self, x, e, g, p):
        eps, T, L = self.step_size, self.temperature, self.n_leapfrog
        h0 = e / T + 0.5 * (p * p).sum(-1)
        path = [x] if self.record_path else None
        p = torch.add(p, g, alpha=-0.5 * eps / T)
        q = x
        for i in range(L):
            q = torch.add(q, p, alpha=eps)
            e_q, g_q = self._energy_and_grad(q)
            p = p.add(g_q, alpha=-(eps if i < L - 1 else 0.5 * eps) / T)
            if path is not None:
                path.append(q)
        log_alpha = h0 - (e_q / T + 0.5 * (p * p).sum(-1))
        # A trajectory that left the finite numbers is broken even if its energies compare.
        log_alpha = torch.where(torch.isfinite(q).all(-1), log_alpha, torch.full_like(log_alpha, math.nan))
        return q, e_q, g_q, log_alpha, (torch.stack(path) if path is not None else None)

    def _propose_columns(self, xs, e, gs, ps):
        eps, T, L = self.step_size, self.temperature, self.n_leapfrog
        h0 = e / T + 0.5 * sum(p * p for p in ps)
        ps = [torch.add(p, g, alpha=-0.5 * eps / T) for p, g in zip(ps, gs)]
        qs = xs
        for i in range(L):
            qs = [torch.add(q, p, alpha=eps) for q, p in zip(qs, ps)]
            e_q, g_q = self._energy_and_grad_columns(qs)
            ps = [torch.add(p, g, alpha=-(eps if i < L - 1 else 0.5 * eps) / T) for p, g in zip(ps, g_q)]
        log_alpha = h0 - (e_q / T + 0.5 * sum(p * p for p in ps))
        finite = torch.isfinite(sum(qs))  # an inf coordinate makes the sum inf or NaN
        return qs, e_q, g_q, torch.where(finite, log_alpha, torch.full_like(log_alpha, math.nan))
