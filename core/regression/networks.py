"""Networks of REFERENCES §3: the conditional score network f(x, y) and the MDN proposal q(y | x).

Shapes: x (n, 1), y (n, m, 1) → f (n, m). The energy is E = −f.
"""
from __future__ import annotations

import math

import torch
from torch import nn

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class ScoreNet(nn.Module):
    """x → FC(1,h)+ReLU → FC(h,h)+ReLU; y → FC(1,h)+tanh; concat → FC(2h,h)+tanh → 2 residual
    blocks h ← tanh(FC(h)) + h → FC(h,1) = f(x, y)."""

    def __init__(self, hidden: int = 10) -> None:
        super().__init__()
        self.x_net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.y_net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh())
        self.joint = nn.Linear(2 * hidden, hidden)
        self.res = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(2)])
        self.out = nn.Linear(hidden, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x-branch features (n, hidden)."""
        return self.x_net(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor, x_features: torch.Tensor | None = None) -> torch.Tensor:
        """f(x, y): x (n, 1), y (n, m, 1) → (n, m); pass `x_features` to reuse the x-branch."""
        fx = self.features(x) if x_features is None else x_features
        fy = self.y_net(y)
        h = torch.tanh(self.joint(torch.cat([fx.unsqueeze(1).expand(-1, fy.shape[1], -1), fy], -1)))
        for layer in self.res:
            h = torch.tanh(layer(h)) + h
        return self.out(h).squeeze(-1)


class MDNProposal(nn.Module):
    """A K-component Gaussian mixture q(y | x) with heads on (detached) x-features."""

    def __init__(self, n_components: int = 4, hidden: int = 10) -> None:
        super().__init__()
        self.k = int(n_components)
        self.heads = nn.Linear(hidden, 3 * self.k)  # means, log-variances, weight logits

    def params(self, x_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(means, log-variances, log-weights), each (n, K)."""
        mean, log_var, logits = self.heads(x_features).chunk(3, dim=-1)
        return mean, log_var.clamp(-12.0, 6.0), torch.log_softmax(logits, -1)

    def log_prob(self, x_features: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """log q(y | x): x_features (n, h), y (n, m, 1) → (n, m)."""
        mean, log_var, log_w = self.params(x_features)
        yy = y  # (n, m, 1) broadcasts against (n, 1, K)
        comp = -0.5 * (yy - mean[:, None]) ** 2 / log_var.exp()[:, None] - 0.5 * log_var[:, None] - LOG_SQRT_2PI
        return torch.logsumexp(comp + log_w[:, None], -1)

    def sample(self, x_features: torch.Tensor, m: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """m draws per x: (n, m, 1), detached."""
        with torch.no_grad():
            mean, log_var, log_w = self.params(x_features)
            comp = torch.multinomial(log_w.exp(), m, replacement=True, generator=generator)  # (n, m)
            mu = torch.gather(mean, 1, comp)
            sd = torch.gather((0.5 * log_var).exp(), 1, comp)
            eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            return (mu + sd * eps).unsqueeze(-1)
