"""Training conditional EBMs for regression (REFERENCES §3): ML-IS, KLD, NCE, NCE+, ML-MCMC, DSM, and
NCE with a jointly learned MDN proposal ("nce-mdn", K components, KL objective for the proposal).

    model = train(toy_problem(2), method="nce", seed=0, epochs=75)
    kl_divergence(toy_problem(2), model)
"""
from __future__ import annotations

import math
from typing import Any

import torch

from core.params import param, resolve_params
from core.regression import losses
from core.regression.model import RegressionModel
from core.regression.networks import MDNProposal, ScoreNet
from core.regression.problems import X_RANGE, Y_RANGE, ToyProblem, toy_problem
from core.training.base import TRAINERS

METHODS = ("ml-is", "kld", "nce", "nce+", "ml-mcmc", "dsm", "nce-mdn")
# Proposal standard deviations of the fixed two-component mixtures (REFERENCES §3).
SIGMAS = {"ml-is": (0.2, 1.6), "kld": (0.2, 1.6), "nce": (0.1, 0.8), "nce+": (0.1, 0.8)}
LABEL_STD = 0.025  # KLD label density N(y_i, 0.025²)
NCE_PLUS_BETA = 0.025
MCMC_LAMBDA = 0.05
DSM_SIGMA = 0.2


@TRAINERS.register("regression")
class RegressionTrainer:
    """Steps one minibatch at a time; `epoch` counts passes over the training set."""

    name = "regression"
    param_specs = (
        param("lr", 1e-3, 1e-6, 1.0, "Adam learning rate"),
        param("batch_size", 32, 1, 4096, "examples per update", int),
        param("n_samples", 1024, 1, 65536, "proposal samples M per example (chains for ml-mcmc)", int),
        param("n_components", 4, 1, 64, "MDN components K of the learned proposal (nce-mdn)", int),
        param("mcmc_steps", 16, 1, 1000, "Langevin steps L per update (ml-mcmc)", int),
        param("n_train", 2000, 10, 1_000_000, "training pairs drawn from the toy problem", int),
        param("hidden", 10, 2, 1024, "hidden units of the score network", int),
    )

    def __init__(self, problem: int | None = 1, method: str = "nce", seed: int = 0, data: Any = None,
                 **params: Any) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown regression method {method!r}; allowed: {', '.join(METHODS)}")
        self.params = resolve_params("trainer 'regression'", self.param_specs, params)
        if method == "ml-mcmc" and "n_samples" not in params:
            self.params["n_samples"] = 32  # chains per example: Langevin on 1024 would be slow for nothing
        if method == "dsm" and "n_samples" not in params:
            self.params["n_samples"] = 16
        self.method, self.seed = method, int(seed)
        self.problem = toy_problem(problem) if problem is not None and data is None else None
        if data is not None:
            x, y = data
            self.x, self.y = torch.as_tensor(x, dtype=torch.float32).view(-1, 1), torch.as_tensor(y, dtype=torch.float32).view(-1, 1)
        else:
            self.x, self.y = self.problem.sample(self.params["n_train"], seed=self.seed)
        torch.manual_seed(self.seed)  # network initialisation
        self.net = ScoreNet(self.params["hidden"])
        self.proposal = MDNProposal(self.params["n_components"], self.params["hidden"]) if method == "nce-mdn" else None
        parameters = list(self.net.parameters()) + (list(self.proposal.parameters()) if self.proposal else [])
        self.optimizer = torch.optim.Adam(parameters, lr=self.params["lr"])
        self.generator = torch.Generator().manual_seed(self.seed)
        self.t, self.epoch = 0, 0
        self._order = torch.randperm(self.x.shape[0], generator=self.generator)
        self._cursor = 0

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.x.shape[0] / self.params["batch_size"])

    def config(self) -> dict[str, Any]:
        data = None if self.problem is not None else (self.x.view(-1).tolist(), self.y.view(-1).tolist())
        return {"problem": self.problem.number if self.problem else None, "method": self.method,
                "seed": self.seed, **self.params, **({"data": data} if data else {})}

    def model(self) -> RegressionModel:
        """The current model (shares weights with the trainer)."""
        return RegressionModel(self.net, self.proposal, self.method)

    def step(self) -> dict[str, Any]:
        """One minibatch update; returns the loss (and 'epoch_end': True at the end of an epoch)."""
        bs = self.params["batch_size"]
        idx = self._order[self._cursor:self._cursor + bs]
        self._cursor += bs
        x, y = self.x[idx], self.y[idx]
        loss, extra = self._loss(x, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.t += 1
        out = {"loss": loss.item(), "epoch": self.epoch, **extra}
        if self._cursor >= self.x.shape[0]:
            self.epoch += 1
            self._cursor = 0
            self._order = torch.randperm(self.x.shape[0], generator=self.generator)
            out["epoch_end"] = True
            if self.problem is not None:  # a coarse D_KL each epoch, for the live curve
                out["kl"] = kl_divergence(self.problem, self.model(), n_x=256, n_y=256)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "epoch": self.epoch, "cursor": self._cursor, "order": self._order,
                "net": self.net.state_dict(), "proposal": self.proposal.state_dict() if self.proposal else None,
                "optimizer": self.optimizer.state_dict(), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t, self.epoch, self._cursor, self._order = state["t"], state["epoch"], state["cursor"], state["order"]
        self.net.load_state_dict(state["net"])
        if self.proposal is not None:
            self.proposal.load_state_dict(state["proposal"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])

    # --- the losses ---------------------------------------------------------------------
    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        m, g, method = self.params["n_samples"], self.generator, self.method
        feats = self.net.features(x)
        if method in ("ml-is", "kld", "nce", "nce+"):
            sig = SIGMAS[method]
            ys = losses.mixture_sample(y, sig, m, g)
            log_q = losses.mixture_log_prob(ys, y, sig)
            f_s = self.net(x, ys, feats)
            if method == "ml-is":
                return losses.ml_is(self.net(x, y[:, None], feats)[:, 0], f_s, log_q), {}
            if method == "kld":
                log_p = losses.mixture_log_prob(ys, y, (LABEL_STD,))
                return losses.kld(f_s, log_q, log_p), {}
            y0 = y
            if method == "nce+":  # the true target is perturbed too, by q with variances scaled by β
                y0 = losses.mixture_sample(y, [math.sqrt(NCE_PLUS_BETA) * s for s in sig], 1, g)[:, :, 0]
            log_q0 = losses.mixture_log_prob(y0[:, None], y, sig)[:, 0]
            return losses.nce(self.net(x, y0[:, None], feats)[:, 0], f_s, log_q0, log_q), {}
        if method == "ml-mcmc":
            ys = self._langevin(x, feats.detach(), y, m)
            return losses.ml_mcmc(self.net(x, y[:, None], feats)[:, 0], self.net(x, ys, feats)), {}
        if method == "dsm":
            eps = torch.randn(y.shape[0], m, generator=g)
            noisy = (y + DSM_SIGMA * eps).unsqueeze(-1).requires_grad_(True)
            f = self.net(x, noisy, feats)
            (grad,) = torch.autograd.grad(f.sum(), noisy, create_graph=True)
            return losses.dsm(grad.squeeze(-1), noisy.squeeze(-1), y, DSM_SIGMA), {}
        # nce-mdn: NCE for θ with samples of the learned proposal; KL objective for φ (log q only).
        fd = feats.detach()
        ys = self.proposal.sample(fd, m, g)
        log_q = self.proposal.log_prob(fd, ys)
        f_s = self.net(x, ys, feats)
        log_q0 = self.proposal.log_prob(fd, y[:, None])[:, 0]
        nce_loss = losses.nce(self.net(x, y[:, None], feats)[:, 0], f_s, log_q0.detach(), log_q.detach())
        kl_loss = losses.log_z_estimate(f_s.detach(), log_q).mean()
        # Report NCE as "loss" (θ's objective) and the SNIS estimate of KL(p_θ ‖ q_φ) for the proposal:
        # log Ẑ's value drifts with θ's normalisation, so it says nothing about q on its own.
        with torch.no_grad():
            log_w = f_s - log_q
            w = torch.softmax(log_w, -1)
            kl_est = ((w * log_w).sum(-1) - losses.log_z_estimate(f_s, log_q)).mean()
        return nce_loss + kl_loss, {"loss": nce_loss.item(), "proposal_kl": kl_est.item()}

    def _langevin(self, x, feats, y, m):
        """M chains from y_i, L steps y ← y + (λ²/2)∇_y f + λε (no accept/reject), detached."""
        ys = y[:, None].expand(-1, m, -1).clone()
        lam = MCMC_LAMBDA
        for _ in range(self.params["mcmc_steps"]):
            ys.requires_grad_(True)
            (grad,) = torch.autograd.grad(self.net(x, ys, feats).sum(), ys)
            eps = torch.randn(ys.shape, generator=self.generator)
            ys = (ys + 0.5 * lam**2 * grad + lam * eps).detach()
        return ys


def train(problem_or_data: int | ToyProblem | tuple, method: str = "nce", seed: int = 0, epochs: int = 75,
          callback=None, **params: Any) -> RegressionModel:
    """Train a conditional EBM for `epochs` passes; returns the model (with `.proposal` for nce-mdn)."""
    if isinstance(problem_or_data, ToyProblem):
        trainer = RegressionTrainer(problem_or_data.number, method, seed, **params)
    elif isinstance(problem_or_data, int):
        trainer = RegressionTrainer(problem_or_data, method, seed, **params)
    else:
        trainer = RegressionTrainer(None, method, seed, data=problem_or_data, **params)
    total = int(epochs) * trainer.steps_per_epoch
    while trainer.t < total:
        metrics = trainer.step()
        if not math.isfinite(metrics["loss"]):
            raise ValueError(f"{method}: loss became {metrics['loss']} at step {trainer.t}")
        if callback is not None:
            callback(trainer, metrics)
    return trainer.model()


@torch.no_grad()
def kl_divergence(problem: ToyProblem | int, model: RegressionModel, n_x: int = 2048, n_y: int = 2048) -> float:
    """Mean over 2048 x in [−3, 3] of D_KL(p_true(·|x) ‖ p_model(·|x)), both normalised on 2048 y."""
    problem = toy_problem(problem) if isinstance(problem, int) else problem
    xs = torch.linspace(X_RANGE[0], X_RANGE[1], n_x).view(-1, 1)
    ys, log_pm = model.log_density_grid(xs, n_y)
    dy = (Y_RANGE[1] - Y_RANGE[0]) / (n_y - 1)
    log_pt = problem.log_density(xs.double(), ys.double().view(1, -1))
    log_pt = log_pt - torch.logsumexp(log_pt, -1, keepdim=True) - math.log(dy)
    pt = log_pt.exp()
    term = torch.where(pt > 0, pt * (log_pt - log_pm.double()), torch.zeros_like(pt))
    return float(term.sum(-1).mean() * dy)


@torch.no_grad()
def gaussian_baseline_kl(problem: ToyProblem | int, n_x: int = 2048, n_y: int = 2048) -> float:
    """The same D_KL for a Gaussian with the true conditional mean and standard deviation."""
    problem = toy_problem(problem) if isinstance(problem, int) else problem
    xs = torch.linspace(X_RANGE[0], X_RANGE[1], n_x, dtype=torch.float64).view(-1, 1)
    ys = torch.linspace(Y_RANGE[0], Y_RANGE[1], n_y, dtype=torch.float64).view(1, -1)
    dy = (Y_RANGE[1] - Y_RANGE[0]) / (n_y - 1)
    mean, std = problem.mean_std(xs)
    log_pg = -0.5 * ((ys - mean) / std) ** 2
    log_pg = log_pg - torch.logsumexp(log_pg, -1, keepdim=True) - math.log(dy)
    log_pt = problem.log_density(xs, ys)
    log_pt = log_pt - torch.logsumexp(log_pt, -1, keepdim=True) - math.log(dy)
    pt = log_pt.exp()
    return float(torch.where(pt > 0, pt * (log_pt - log_pg), torch.zeros_like(pt)).sum(-1).mean() * dy)
