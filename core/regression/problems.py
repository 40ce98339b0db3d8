"""The two 1D toy regression problems of REFERENCES §3 (Gustafsson et al.), with exact densities.

    prob = toy_problem(1)
    x, y = prob.sample(2000, seed=0)          # (n, 1), (n, 1) float32
    prob.log_density(x, y)                    # log p(y | x), broadcasting x (...), y (...)
"""
from __future__ import annotations

import math

import torch

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
X_RANGE = (-3.0, 3.0)
Y_RANGE = (-3.0, 3.0)


def _normal_logpdf(y: torch.Tensor, mean: torch.Tensor, std: torch.Tensor | float) -> torch.Tensor:
    std = torch.as_tensor(std, dtype=y.dtype)
    return -0.5 * ((y - mean) / std) ** 2 - torch.log(std) - LOG_SQRT_2PI


class ToyProblem:
    """p(y | x) for x ~ U(−3, 3); `number` 1 (bimodal / log-normal) or 2 (heteroscedastic Gaussian)."""

    def __init__(self, number: int) -> None:
        if number not in (1, 2):
            raise ValueError(f"toy problem must be 1 or 2, got {number!r}")
        self.number = number
        self.x_range, self.y_range = X_RANGE, Y_RANGE

    def __repr__(self) -> str:
        return f"toy_problem({self.number})"

    def sample(self, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` pairs (x (n, 1), y (n, 1)) as float32; the same seed gives the same pairs."""
        if isinstance(n, bool) or int(n) != n or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        g = torch.Generator().manual_seed(int(seed))
        x = torch.rand(n, generator=g, dtype=torch.float64) * 6.0 - 3.0
        eps = torch.randn(n, generator=g, dtype=torch.float64)
        if self.number == 1:
            flip = torch.rand(n, generator=g, dtype=torch.float64) < 0.2
            sign = torch.where(flip, -1.0, 1.0).to(torch.float64)
            left = sign * torch.sin(x) + 0.075 * eps
            right = torch.exp(0.25 * eps) - 1.0  # LogNormal(0, 0.25) − 1
            y = torch.where(x < 0, left, right)
        else:
            y = torch.sin(x) + self.noise_std(x) * eps
        return x[:, None].float(), y[:, None].float()

    @staticmethod
    def noise_std(x: torch.Tensor) -> torch.Tensor:
        """σ(x) = 0.15 / (1 + exp(−x)) of problem 2."""
        return 0.15 / (1.0 + torch.exp(-x))

    def log_density(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """log p(y | x), elementwise with broadcasting (−inf where the density is zero)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        y = torch.as_tensor(y, dtype=torch.float64)
        x, y = torch.broadcast_tensors(x, y)
        if self.number == 2:
            return _normal_logpdf(y, torch.sin(x), self.noise_std(x))
        s = torch.sin(x)
        left = torch.logaddexp(math.log(0.8) + _normal_logpdf(y, s, 0.075),
                               math.log(0.2) + _normal_logpdf(y, -s, 0.075))
        z = y + 1.0
        safe = torch.where(z > 0, z, torch.ones_like(z))
        right = _normal_logpdf(torch.log(safe), torch.zeros_like(safe), 0.25) - torch.log(safe)
        right = torch.where(z > 0, right, torch.full_like(right, -math.inf))
        return torch.where(x < 0, left, right)

    def mean_std(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """True conditional mean and standard deviation of y given x."""
        x = torch.as_tensor(x, dtype=torch.float64)
        if self.number == 2:
            return torch.sin(x), self.noise_std(x)
        s = torch.sin(x)
        left_mean, left_var = 0.6 * s, 0.075**2 + 0.64 * s * s
        v = 0.25**2
        right_mean = torch.full_like(x, math.exp(v / 2) - 1.0)
        right_var = torch.full_like(x, (math.exp(v) - 1.0) * math.exp(v))
        mean = torch.where(x < 0, left_mean, right_mean)
        return mean, torch.sqrt(torch.where(x < 0, left_var, right_var))


def toy_problem(number: int) -> ToyProblem:
    """Toy problem 1 or 2 of REFERENCES §3."""
    return ToyProblem(number)
