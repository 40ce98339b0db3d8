"""Unconditional EBMs on 2D points: maximum likelihood with MCMC negatives (CD-k, PCD with a replay
buffer) and denoising score matching. The energy is an MLP; the model density is exact on a grid.

MLE gradient (REFERENCES §1): ∇θ log p = −E_data[∇θ E] + E_model[∇θ E], the model expectation from
negatives. PCD (REFERENCES §2): replay buffer, 5% re-initialised from uniform noise each step, plus
the energy-magnitude regulariser α·(E_pos² + E_neg²).
"""
from __future__ import annotations

import copy
from typing import Any

import torch

from core import data as datasets
from core import landscape, samplers
from core.diagnostics import histogram
from core.energies.neural import MLPEnergy
from core.params import param, resolve_params
from core.training.base import TRAINERS

METHODS = ("cd", "pcd", "dsm")
NEGATIVE_SAMPLERS = ("langevin", "mala")


@TRAINERS.register("ebm2d")
class EBM2DTrainer:
    """Train an MLP energy on a 2D dataset by CD-k, PCD or DSM; `step()` does one update."""

    name = "ebm2d"
    param_specs = (
        param("lr", 1e-3, 1e-6, 1.0, "Adam learning rate"),
        param("batch_size", 256, 8, 8192, "data points per update", int),
        param("mcmc_steps", 20, 1, 1000, "Langevin/MALA steps per update for the negatives (k)", int),
        param("step_size", 0.01, 1e-5, 1.0, "MCMC step size ε of the negatives"),
        param("buffer_size", 10000, 100, 1_000_000, "PCD replay buffer size", int),
        param("reinit", 0.05, 0.0, 1.0, "fraction of negatives restarted from uniform noise (PCD)"),
        param("alpha", 0.1, 0.0, 10.0, "energy-magnitude regulariser α·(E_pos² + E_neg²)"),
        param("sigma", 0.1, 1e-3, 2.0, "noise σ of denoising score matching"),
        param("hidden", 128, 8, 1024, "hidden units per layer of the MLP energy", int),
        param("n_data", 20000, 100, 10_000_000, "training points drawn from the dataset", int),
        param("eval_every", 250, 1, 1_000_000, "steps between TV evaluations", int),
        param("ema", 0.995, 0.0, 0.99999, "decay of the weight average used for evaluation (0: off)"),
    )

    def __init__(self, dataset: str = "8gaussians", method: str = "pcd", sampler: str = "langevin",
                 seed: int = 0, points: Any = None, device: str = "cpu", **params: Any) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
        if sampler not in NEGATIVE_SAMPLERS:
            raise ValueError(f"unknown negative sampler {sampler!r}; allowed: {', '.join(NEGATIVE_SAMPLERS)}")
        self.params = resolve_params("trainer 'ebm2d'", self.param_specs, params)
        self.dataset, self.method, self.sampler_name = dataset, method, sampler
        self.seed, self.device = int(seed), torch.device(device)
        self.bounds = [tuple(b) for b in datasets.BOUNDS]
        if points is not None:
            self.data = torch.as_tensor(points, dtype=torch.float32)
            self.dataset = "points"
        else:
            self.data = datasets.sample(dataset, self.params["n_data"], seed=self.seed)
        self.data = self.data.to(self.device)
        h = self.params["hidden"]
        self.energy = MLPEnergy(dim=2, hidden=(h, h, h), bounds=self.bounds, seed=self.seed).to(self.device)
        self.optimizer = torch.optim.Adam(self.energy.parameters(), lr=self.params["lr"], betas=(0.0, 0.999))
        # A running average of the weights: the learned density without the last updates' jitter.
        self.ema_energy = copy.deepcopy(self.energy).requires_grad_(False)
        self.generator = torch.Generator(device=self.device).manual_seed(self.seed)
        self.buffer = self._uniform(self.params["buffer_size"]) if method == "pcd" else None
        self.negatives: torch.Tensor | None = None
        self.t = 0
        self._data_hist: torch.Tensor | None = None

    # --- protocol -----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this trainer."""
        return {"dataset": self.dataset, "method": self.method, "sampler": self.sampler_name,
                "seed": self.seed, "device": str(self.device), **self.params,
                **({"points": self.data.cpu().tolist()} if self.dataset == "points" else {})}

    def step(self) -> dict[str, Any]:
        """One optimiser update; returns loss, energies and (every eval_every steps) the TV distance."""
        self.energy.train()
        idx = torch.randint(0, self.data.shape[0], (self.params["batch_size"],), generator=self.generator,
                            device=self.device)
        pos = self.data[idx]
        if self.method == "dsm":
            metrics = self._dsm_loss(pos)
        else:
            neg = self._negatives(pos)
            metrics = self._ml_loss(pos, neg)
        self.optimizer.zero_grad(set_to_none=True)
        metrics.pop("_loss").backward()
        self.optimizer.step()
        self._update_ema()
        self.t += 1
        if self.t % self.params["eval_every"] == 0 or self.t == 1:
            metrics["tv"] = self.tv_distance()
        if self.negatives is not None:
            metrics["samples_negatives"] = self.negatives[:1000].cpu().numpy()
        return metrics

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = self.params["ema"]
        for avg, cur in zip(self.ema_energy.parameters(), self.energy.parameters()):
            avg.mul_(decay).add_(cur, alpha=1.0 - decay)

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "model": self.energy.state_dict(), "ema": self.ema_energy.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state(), "buffer": self.buffer}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        self.energy.load_state_dict(state["model"])
        self.ema_energy.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.buffer = state["buffer"]

    # --- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def tv_distance(self, resolution: int = 128) -> float:
        """TV between the model's exact grid density and the data histogram on the same grid."""
        model = landscape.density(self.ema_energy, resolution).cell_probabilities
        if self._data_hist is None or self._data_hist.shape[0] != resolution:
            ref = datasets.sample(self.dataset, 500_000, seed=self.seed + 1) if self.dataset != "points" else self.data.cpu()
            counts, total = histogram(ref, self.bounds, resolution)
            self._data_hist = counts.to(torch.float64) / total
        return 0.5 * float((model - self._data_hist).abs().sum())

    # --- pieces -------------------------------------------------------------------------
    def _uniform(self, n: int) -> torch.Tensor:
        lo = torch.tensor([b[0] for b in self.bounds], device=self.device)
        hi = torch.tensor([b[1] for b in self.bounds], device=self.device)
        return lo + (hi - lo) * torch.rand(n, 2, generator=self.generator, device=self.device)

    def _negatives(self, pos: torch.Tensor) -> torch.Tensor:
        n = pos.shape[0]
        if self.method == "cd":
            start = pos
        else:
            idx = torch.randint(0, self.buffer.shape[0], (n,), generator=self.generator, device=self.device)
            start = self.buffer[idx].clone()
            fresh = torch.rand(n, generator=self.generator, device=self.device) < self.params["reinit"]
            start[fresh] = self._uniform(int(fresh.sum()))
        self.energy.eval()
        s = samplers.create(self.sampler_name, self.energy, step_size=self.params["step_size"])
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
        state = s.init(n, seed=seed, x0=start)
        state, _ = s.run(state, self.params["mcmc_steps"], record_every=0)
        neg = state.x.detach()
        if self.method == "pcd":
            self.buffer[idx] = neg
        self.negatives = neg
        self.energy.train()
        return neg

    def _ml_loss(self, pos: torch.Tensor, neg: torch.Tensor) -> dict[str, Any]:
        e_pos, e_neg = self.energy(pos), self.energy(neg)
        cd = e_pos.mean() - e_neg.mean()
        reg = self.params["alpha"] * (e_pos.pow(2).mean() + e_neg.pow(2).mean())
        loss = cd + reg
        return {"_loss": loss, "loss": loss.item(), "cd": cd.item(), "e_pos": e_pos.mean().item(),
                "e_neg": e_neg.mean().item()}

    def _dsm_loss(self, pos: torch.Tensor) -> dict[str, Any]:
        sigma = self.params["sigma"]
        eps = torch.randn(pos.shape, generator=self.generator, device=self.device)
        noisy = (pos + sigma * eps).requires_grad_(True)
        e = self.energy(noisy)
        (grad,) = torch.autograd.grad(e.sum(), noisy, create_graph=True)
        # ½‖σ∇E(x̃) − ε‖²: the σ²-weighted denoising score-matching loss (score −∇E, target −ε/σ).
        loss = 0.5 * (sigma * grad - eps).pow(2).sum(-1).mean()
        return {"_loss": loss, "loss": loss.item(), "e_pos": e.mean().item()}
