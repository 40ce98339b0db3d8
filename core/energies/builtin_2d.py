"""Built-in 2D energies with closed-form gradients; x: (..., 2) → (...).

Banana, donut, multimodal, funnel and squiggle follow the targets of the chi-feng MCMC gallery
(same constants), so the app's pictures can be compared with it directly.
"""
from __future__ import annotations

import math

import torch

from core.energies.mixtures import logsumexp_parts
from core.energies.registry import Analytic, param, register_energy


class _TwoD(Analytic):
    dim_ = 2
    default_bounds = ((-6.0, 6.0), (-6.0, 6.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._e_g(x[..., 0], x[..., 1], need_grad=False)[0]

    def energy_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e, g0, g1 = self._e_g(x[..., 0], x[..., 1], need_grad=True)
        # Coordinate-major memory (x[..., 0] contiguous), like the samplers' chains: see samplers.base.
        return e, torch.stack((g0, g1), 0).movedim(0, -1)

    def columns(self, cols, need_grad=True):
        e, g0, g1 = self._e_g(cols[0], cols[1], need_grad=need_grad)
        return e, ([g0, g1] if need_grad else None)

    def _e_g(self, x0, x1, need_grad):  # pragma: no cover - abstract
        raise NotImplementedError


def _quad2(d0, d1, rho):
    """Energy ½dᵀΣ⁻¹d of a unit-variance bivariate normal with correlation rho, and ∂/∂d."""
    k = 1.0 / (1.0 - rho * rho)
    h0 = k * (d0 - rho * d1)
    h1 = k * (d1 - rho * d0)
    return 0.5 * (d0 * h0 + d1 * h1), h0, h1


@register_energy("standard_gaussian")
class StandardGaussian(_TwoD):
    """E = |x|²/(2σ²): isotropic Gaussian."""

    description = "Isotropic Gaussian N(0, σ²I)."
    param_specs = (param("std", 1.0, 0.1, 3.0, "standard deviation σ"),)

    def _e_g(self, x0, x1, need_grad):
        k = 1.0 / (self.std * self.std)
        e = 0.5 * k * (x0 * x0 + x1 * x1)
        return e, (k * x0 if need_grad else None), (k * x1 if need_grad else None)


@register_energy("correlated_gaussian")
class CorrelatedGaussian(_TwoD):
    """E = ½xᵀΣ⁻¹x with unit variances and correlation ρ."""

    description = "Gaussian with unit variances and correlation ρ: a narrow diagonal ridge."
    default_bounds = ((-5.0, 5.0), (-5.0, 5.0))
    param_specs = (param("rho", 0.9, -0.99, 0.99, "correlation ρ between x and y"),)

    def _e_g(self, x0, x1, need_grad):
        return _quad2(x0, x1, self.rho)


@register_energy("banana")
class Banana(_TwoD):
    """Banana: y = (x₀/a, a·x₁ + a·b·(x₀² + a²)) ~ N((0, 4), [[1, ½], [½, 1]]); |det ∂y/∂x| = 1."""

    description = "Curved banana (a twisted Gaussian); a sets the length, b the curvature."
    param_specs = (
        param("a", 2.0, 0.5, 4.0, "stretch a along x"),
        param("b", 0.2, 0.0, 1.0, "curvature b"),
    )

    def _e_g(self, x0, x1, need_grad):
        a, b = self.a, self.b
        d0 = x0 / a
        d1 = a * x1 + (a * b) * (x0 * x0 + a * a) - 4.0
        e, h0, h1 = _quad2(d0, d1, 0.5)
        if not need_grad:
            return e, None, None
        return e, h0 / a + h1 * (2.0 * a * b) * x0, a * h1


@register_energy("donut")
class Donut(_TwoD):
    """Donut: E = (|x| − r)²/w², a thin ring of radius r."""

    description = "Thin ring of radius r; the width² w² sets its thickness."
    default_bounds = ((-4.0, 4.0), (-4.0, 4.0))
    param_specs = (
        param("radius", 2.6, 0.5, 3.5, "ring radius r"),
        param("width2", 0.033, 0.005, 1.0, "squared width w² (E = (|x|−r)²/w²)"),
    )

    def _e_g(self, x0, x1, need_grad):
        r = torch.sqrt(x0 * x0 + x1 * x1)
        d = r - self.radius
        e = d * d / self.width2
        if not need_grad:
            return e, None, None
        # dE/dx = 2(r − R)/w² · x/r; at r = 0 the gradient is 0 by symmetry.
        s = 2.0 * d / (self.width2 * r.clamp_min(1e-12))
        return e, s * x0, s * x1


_MULTIMODAL = (((-1.5, -1.5), 0.8), ((1.5, 1.5), 0.8), ((-2.0, 2.0), 0.5))


@register_energy("multimodal")
class Multimodal(_TwoD):
    """E = −log Σₖ N(x; μₖ, vₖI) for three equally weighted Gaussians (variances 0.8, 0.8, 0.5)."""

    description = "Three separated Gaussian modes; the `scale` parameter moves them apart."
    default_bounds = ((-5.0, 5.0), (-5.0, 5.0))
    param_specs = (param("scale", 1.0, 0.5, 2.0, "multiplies the mode positions"),)

    def _e_g(self, x0, x1, need_grad):
        logs, parts = [], []
        for (m0, m1), v in _MULTIMODAL:
            d0, d1 = x0 - self.scale * m0, x1 - self.scale * m1
            logs.append(-(d0 * d0 + d1 * d1) / (2 * v) - math.log(2 * math.pi * v))
            parts.append((d0 / v, d1 / v))
        lse, w = logsumexp_parts(logs)
        if not need_grad:
            return -lse, None, None
        g0 = w[0] * parts[0][0] + w[1] * parts[1][0] + w[2] * parts[2][0]
        g1 = w[0] * parts[0][1] + w[1] * parts[1][1] + w[2] * parts[2][1]
        return -lse, g0, g1


@register_energy("funnel")
class Funnel(_TwoD):
    """Neal's funnel: v = x₁ − shift ~ N(0, s²), x₀ | v ~ N(0, eᵛ)."""

    description = "Neal's funnel: a wide mouth and an exponentially narrow neck."
    param_specs = (
        param("scale", 3.0, 0.5, 5.0, "standard deviation s of the log-scale v"),
        param("shift", 2.0, -3.0, 3.0, "vertical offset of the funnel in the box"),
    )

    def _e_g(self, x0, x1, need_grad):
        v = x1 - self.shift
        ev = torch.exp(-v)
        e = v * v / (2 * self.scale**2) + 0.5 * x0 * x0 * ev + 0.5 * v
        if not need_grad:
            return e, None, None
        return e, x0 * ev, v / self.scale**2 - 0.5 * x0 * x0 * ev + 0.5


_SQ_DET = 2.0 * 0.5 - 0.25**2


@register_energy("squiggle")
class Squiggle(_TwoD):
    """Squiggle: (x₀, x₁ + A·sin(f·x₀)) ~ N(0, [[2, ¼], [¼, ½]])."""

    description = "A Gaussian bent into a sine wave; f and A set its frequency and amplitude."
    default_bounds = ((-6.0, 6.0), (-4.0, 4.0))
    param_specs = (
        param("frequency", 5.0, 0.0, 10.0, "frequency f of the wiggle"),
        param("amplitude", 1.0, 0.0, 2.0, "amplitude A of the wiggle"),
    )

    def _e_g(self, x0, x1, need_grad):
        y1 = x1 + self.amplitude * torch.sin(self.frequency * x0)
        # Σ⁻¹ = [[½, −¼], [−¼, 2]] / det
        h0 = (0.5 * x0 - 0.25 * y1) / _SQ_DET
        h1 = (-0.25 * x0 + 2.0 * y1) / _SQ_DET
        e = 0.5 * (x0 * h0 + y1 * h1)
        if not need_grad:
            return e, None, None
        dy = self.amplitude * self.frequency * torch.cos(self.frequency * x0)
        return e, h0 + h1 * dy, h1


@register_energy("ring_of_gaussians")
class RingOfGaussians(_TwoD):
    """E = −log Σₖ N(x; R(cos 2πk/K, sin 2πk/K), σ²I)/K: K modes on a circle (the 8-Gaussians set)."""

    description = "K equal Gaussian modes evenly spaced on a circle of radius R."
    default_bounds = ((-3.0, 3.0), (-3.0, 3.0))
    param_specs = (
        param("n_modes", 8, 1, 32, "number of modes K", kind=int),
        param("radius", 2.0, 0.5, 2.5, "circle radius R"),
        param("std", 0.2, 0.05, 1.0, "standard deviation σ of each mode"),
    )

    def _e_g(self, x0, x1, need_grad):
        ang = [2 * math.pi * k / self.n_modes for k in range(self.n_modes)]
        c0 = x0.new_tensor([self.radius * math.cos(a) for a in ang])
        c1 = x0.new_tensor([self.radius * math.sin(a) for a in ang])
        v = self.std**2
        d0 = x0.unsqueeze(-1) - c0
        d1 = x1.unsqueeze(-1) - c1
        logs = -(d0 * d0 + d1 * d1) / (2 * v)
        norm = math.log(2 * math.pi * v) + math.log(self.n_modes)
        e = norm - torch.logsumexp(logs, -1)
        if not need_grad:
            return e, None, None
        w = torch.softmax(logs, -1)
        return e, (w * d0).sum(-1) / v, (w * d1).sum(-1) / v


@register_energy("rosenbrock")
class Rosenbrock(_TwoD):
    """Rosenbrock density: E = ((a − x₀)² + b·(x₁ − x₀²)²)/s."""

    description = "Rosenbrock's curved valley as a density; b sets how thin the valley is."
    default_bounds = ((-2.0, 4.0), (-1.0, 14.0))
    param_specs = (
        param("a", 1.0, -2.0, 2.0, "position a of the minimum (a, a²)"),
        param("b", 10.0, 0.5, 100.0, "valley stiffness b"),
        param("scale", 1.0, 0.5, 20.0, "divides the energy (20 with b=100 gives Goodman & Weare's)"),
    )

    def _e_g(self, x0, x1, need_grad):
        u = self.a - x0
        w = x1 - x0 * x0
        k = 1.0 / self.scale
        e = k * (u * u + self.b * w * w)
        if not need_grad:
            return e, None, None
        return e, k * (-2.0 * u - 4.0 * self.b * x0 * w), k * (2.0 * self.b * w)


@register_energy("rastrigin")
class Rastrigin(_TwoD):
    """Rastrigin-type: E = Σᵢ xᵢ²/(2s²) + A·(1 − cos 2πxᵢ), a Gaussian envelope over a lattice of wells."""

    description = "A lattice of local wells under a Gaussian envelope: hard for local samplers."
    default_bounds = ((-5.12, 5.12), (-5.12, 5.12))
    param_specs = (
        param("A", 2.0, 0.0, 10.0, "depth A of the cosine wells (energy units)"),
        param("envelope", 1.2, 0.3, 3.0, "width s of the Gaussian envelope"),
    )

    def _e_g(self, x0, x1, need_grad):
        k = 1.0 / self.envelope**2
        tw = 2 * math.pi
        e = 0.5 * k * (x0 * x0 + x1 * x1) + self.A * (2.0 - torch.cos(tw * x0) - torch.cos(tw * x1))
        if not need_grad:
            return e, None, None
        return e, k * x0 + self.A * tw * torch.sin(tw * x0), k * x1 + self.A * tw * torch.sin(tw * x1)


# Müller & Brown (1979) constants: V = Σₖ Aₖ exp(aₖ(x−x̄ₖ)² + bₖ(x−x̄ₖ)(y−ȳₖ) + cₖ(y−ȳₖ)²)
_MB = (
    (-200.0, -1.0, 0.0, -10.0, 1.0, 0.0),
    (-100.0, -1.0, 0.0, -10.0, 0.0, 0.5),
    (-170.0, -6.5, 11.0, -6.5, -0.5, 1.5),
    (15.0, 0.7, 0.6, 0.7, -1.0, 1.0),
)


@register_energy("muller_brown")
class MullerBrown(_TwoD):
    """Müller–Brown potential times β: three minima joined by two saddles (a chemistry classic)."""

    description = "Müller–Brown potential scaled by β: three metastable states, two saddles."
    default_bounds = ((-1.5, 1.2), (-0.5, 2.0))
    param_specs = (param("beta", 0.05, 0.005, 1.0, "multiplies the potential (inverse thermal energy)"),)

    def _e_g(self, x0, x1, need_grad):
        e = torch.zeros_like(x0)
        g0 = torch.zeros_like(x0) if need_grad else None
        g1 = torch.zeros_like(x0) if need_grad else None
        for A, a, b, c, xb, yb in _MB:
            dx, dy = x0 - xb, x1 - yb
            t = A * torch.exp(a * dx * dx + b * dx * dy + c * dy * dy)
            e = e + t
            if need_grad:
                g0 = g0 + t * (2 * a * dx + b * dy)
                g1 = g1 + t * (b * dx + 2 * c * dy)
        s = self.beta
        return s * e, (s * g0 if need_grad else None), (s * g1 if need_grad else None)
