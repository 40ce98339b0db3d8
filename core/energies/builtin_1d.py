"""Built-in 1D energies (double wells, a Gaussian mixture, a quartic); x: (..., 1) → (...)."""
from __future__ import annotations

import math

import torch

from core.energies.mixtures import logsumexp_parts
from core.energies.registry import Analytic, param, register_energy

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class _OneD(Analytic):
    dim_ = 1
    default_bounds = ((-2.5, 2.5),)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._e_and_dedx(x[..., 0], need_grad=False)[0]

    def energy_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e, g = self._e_and_dedx(x[..., 0], need_grad=True)
        return e, g.unsqueeze(-1)

    def columns(self, cols, need_grad=True):
        e, g = self._e_and_dedx(cols[0], need_grad=need_grad)
        return e, ([g] if need_grad else None)

    def _e_and_dedx(self, x: torch.Tensor, need_grad: bool):  # pragma: no cover - abstract
        raise NotImplementedError


@register_energy("double_well")
class DoubleWell(_OneD):
    """E = h·(x² − c²)²/c⁴: wells at ±c separated by a barrier of height h."""

    description = "Symmetric double well: two equal minima at ±c, barrier of height h."
    param_specs = (
        param("barrier", 2.0, 0.0, 50.0, "barrier height h (energy units)"),
        param("center", 1.0, 0.1, 5.0, "position c of the minima"),
    )

    def _e_and_dedx(self, x, need_grad):
        c2 = self.center**2
        d = x * x - c2
        k = self.barrier / (c2 * c2)
        return k * d * d, (4.0 * k * d * x if need_grad else None)


@register_energy("asymmetric_double_well")
class AsymmetricDoubleWell(_OneD):
    """E = h·(x² − 1)² + s·x: a tilted double well, the left minimum deeper for s > 0."""

    description = "Double well tilted by a linear term: unequal minima."
    param_specs = (
        param("barrier", 2.0, 0.0, 50.0, "barrier height h (energy units)"),
        param("tilt", 0.5, -5.0, 5.0, "slope s of the linear tilt"),
    )

    def _e_and_dedx(self, x, need_grad):
        d = x * x - 1.0
        e = self.barrier * d * d + self.tilt * x
        return e, (4.0 * self.barrier * d * x + self.tilt if need_grad else None)


@register_energy("gaussian_mixture")
class GaussianMixture1D(_OneD):
    """E = −log(w·N(x; −d/2, s₁²) + (1−w)·N(x; d/2, s₂²)), a normalised two-component mixture."""

    description = "Two Gaussians of different weight and width, separated by d."
    default_bounds = ((-5.0, 5.0),)
    param_specs = (
        param("weight", 0.3, 0.01, 0.99, "weight w of the left component"),
        param("separation", 3.0, 0.0, 8.0, "distance d between the means"),
        param("std_left", 0.5, 0.05, 3.0, "standard deviation s₁ of the left component"),
        param("std_right", 0.8, 0.05, 3.0, "standard deviation s₂ of the right component"),
    )

    def _e_and_dedx(self, x, need_grad):
        mu = (-self.separation / 2, self.separation / 2)
        sd = (self.std_left, self.std_right)
        lw = (math.log(self.weight), math.log1p(-self.weight))
        z = [(x - m) / s for m, s in zip(mu, sd)]
        logs = [w - 0.5 * zi * zi - math.log(s) - _LOG_SQRT_2PI for w, zi, s in zip(lw, z, sd)]
        lse, r = logsumexp_parts(logs)
        if not need_grad:
            return -lse, None
        return -lse, r[0] * z[0] / sd[0] + r[1] * z[1] / sd[1]


@register_energy("quartic")
class Quartic(_OneD):
    """E = a·x⁴ + b·x²: a flat-bottomed single well (b < 0 turns it into a double well)."""

    description = "Quartic well a·x⁴ + b·x²; heavier-than-Gaussian shoulders, light tails."
    param_specs = (
        param("a", 1.0, 0.01, 10.0, "quartic coefficient a"),
        param("b", 0.0, -10.0, 10.0, "quadratic coefficient b"),
    )

    def _e_and_dedx(self, x, need_grad):
        x2 = x * x
        e = (self.a * x2 + self.b) * x2
        return e, ((4.0 * self.a * x2 + 2.0 * self.b) * x if need_grad else None)
