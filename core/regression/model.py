"""A trained conditional EBM p(y | x) ∝ exp(f(x, y)) with its optional learned proposal, and its use:
exact normalisation on a y-grid, prediction by gradient-ascent refinement, self-normalised IS."""
from __future__ import annotations

import math

import torch

from core.regression.networks import MDNProposal, ScoreNet
from core.regression.problems import Y_RANGE


class RegressionModel:
    """`energy(x, y)` = −f(x, y) (x (n, 1), y (n, m, 1) → (n, m)); `proposal` when one was learned."""

    def __init__(self, net: ScoreNet, proposal: MDNProposal | None = None, method: str = "") -> None:
        self.net, self.proposal, self.method = net, proposal, method

    @torch.no_grad()
    def energy(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """E(x, y) = −f(x, y)."""
        return -self.net(x, y)

    @torch.no_grad()
    def log_density_grid(self, x: torch.Tensor, n_y: int = 2048, y_range=Y_RANGE,
                         chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """(y grid (n_y,), log p_model(y | x) (n, n_y)) normalised over the grid with logsumexp."""
        ys = torch.linspace(y_range[0], y_range[1], n_y)
        dy = (y_range[1] - y_range[0]) / (n_y - 1)
        rows = []
        for xc in x.split(chunk):
            f = self.net(xc, ys.view(1, -1, 1).expand(xc.shape[0], -1, -1))
            rows.append(f - torch.logsumexp(f, -1, keepdim=True) - math.log(dy))
        return ys, torch.cat(rows)

    @torch.no_grad()
    def proposal_log_density_grid(self, x: torch.Tensor, n_y: int = 2048, y_range=Y_RANGE) -> tuple[torch.Tensor, torch.Tensor]:
        """(y grid (n_y,), log q(y | x) (n, n_y)) of the learned proposal; ValueError without one."""
        if self.proposal is None:
            raise ValueError("this model has no learned proposal (train with method 'nce-mdn')")
        ys = torch.linspace(y_range[0], y_range[1], n_y)
        feats = self.net.features(x)
        return ys, self.proposal.log_prob(feats, ys.view(1, -1, 1).expand(x.shape[0], -1, -1))

    @torch.no_grad()
    def nll(self, x: torch.Tensor, y: torch.Tensor, n_y: int = 2048) -> float:
        """Mean −log p_model(y_i | x_i), the density normalised on a y-grid (linear interpolation)."""
        ys, logp = self.log_density_grid(x, n_y)
        pos = (y[:, 0] - ys[0]) / (ys[1] - ys[0])
        i0 = pos.floor().clamp(0, n_y - 2).long()
        w = (pos - i0).clamp(0, 1)
        val = torch.gather(logp, 1, i0[:, None])[:, 0] * (1 - w) + torch.gather(logp, 1, i0[:, None] + 1)[:, 0] * w
        return float(-val.mean())

    def refine(self, x: torch.Tensor, y0: torch.Tensor, steps: int = 10, step_size: float = 0.1) -> torch.Tensor:
        """Gradient ascent y ← y + λ∇_y f, keeping a step only if f rises, else halving that λ."""
        y = y0.detach().clone().view(-1, 1, 1)
        lam = torch.full((y.shape[0], 1, 1), float(step_size))
        f = self.net(x, y).detach()
        for _ in range(int(steps)):
            yg = y.clone().requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(self.net(x, yg).sum(), yg)
            cand = (y + lam * g).detach()
            f_new = self.net(x, cand).detach()
            better = (f_new > f).view(-1, 1, 1)
            y = torch.where(better, cand, y)
            f = torch.where(better.view(-1, 1), f_new, f)
            lam = torch.where(better, lam, lam / 2)
        return y.view(-1, 1)

    @torch.no_grad()
    def snis_mean(self, x: torch.Tensor, m: int = 1024, seed: int = 0) -> torch.Tensor:
        """EBM mean of y | x by self-normalised importance sampling with the learned proposal."""
        if self.proposal is None:
            raise ValueError("self-normalised importance sampling needs a model trained with a proposal (method 'nce-mdn')")
        g = torch.Generator().manual_seed(seed)
        feats = self.net.features(x)
        ys = self.proposal.sample(feats, m, g)
        logw = self.net(x, ys, feats) - self.proposal.log_prob(feats, ys)
        w = torch.softmax(logw, -1)
        return (w * ys.squeeze(-1)).sum(-1, keepdim=True)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, steps: int = 10) -> torch.Tensor:
        """Point prediction: the grid mode refined by gradient ascent (or the SNIS mean with a proposal)."""
        ys, logp = self.log_density_grid(x, 512)
        start = ys[logp.argmax(-1)].view(-1, 1)
        return self.refine(x, start, steps=steps)
