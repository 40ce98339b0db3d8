"""Binary RBM on binarised 8×8 digits (scikit-learn, offline), trained by CD-k or persistent CD (PCD).

The gradient of the average log-likelihood is −E_data[∇F(v)] + E_model[∇F(v)] (REFERENCES §1), the
model expectation from `k` block-Gibbs sweeps ("block-gibbs" sampler) started at the data (CD-k) or
continued from persistent chains (PCD, Tieleman 2008). Usual settings (Hinton's practical guide):
SGD with momentum 0.5, weight decay 1e-4, W ~ N(0, 0.01²), visible biases at the data's log-odds.

Metrics: "loss" = "recon_error" (mean squared error of p(v | h), h ~ p(h | v), on the batch),
"pseudo_likelihood" (stochastic, nats per image), every `ais_every` steps "ais_loglik" (mean test
log-likelihood with log Z from AIS, nats per image) with "ais_log_z", "ais_std_error" and
"ais_loglik_train"; arrays "samples_negatives" (n, 8, 8) and "samples_filters" (n_hidden, 8, 8).
"""
from __future__ import annotations

from typing import Any

import torch

from core import samplers
from core.energies.discrete import RBM, ais_log_partition
from core.params import param, resolve_params
from core.training.base import TRAINERS

METHODS = ("cd", "pcd")
SPLIT_SEED = 0  # the train/test split is the same for every run, whatever its seed


def load_binary_digits(test_fraction: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """Binarised scikit-learn digits (ink > half), (train (n, 64), test (m, 64)) float32 in {0, 1}."""
    from sklearn.datasets import load_digits  # ships with scikit-learn: no download

    data = torch.as_tensor(load_digits().data / 16.0 > 0.5, dtype=torch.float32)
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(SPLIT_SEED))
    n_test = int(round(test_fraction * len(data)))
    return data[perm[n_test:]], data[perm[:n_test]]


def data_log_odds(data: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """log(p / (1 − p)) of each unit's mean activation, p clipped to [eps, 1 − eps]: (n, d) → (d,)."""
    p = data.mean(0).clamp(eps, 1 - eps)
    return torch.log(p / (1 - p))


@TRAINERS.register("rbm")
class RBMTrainer:
    """Train a binary RBM on binarised digits by CD-k or PCD; `step()` does one SGD update."""

    name = "rbm"
    param_specs = (
        param("lr", 0.05, 1e-6, 10.0, "SGD learning rate"),
        param("lr_decay_steps", 0, 0, 100_000_000, "steps over which lr decays linearly to 0 (0: constant)", int),
        param("momentum", 0.5, 0.0, 0.999, "SGD momentum"),
        param("weight_decay", 1e-4, 0.0, 1.0, "L2 weight decay"),
        param("batch_size", 20, 1, 10_000, "training images per update", int),
        param("k", 1, 1, 1000, "block-Gibbs sweeps per update for the negatives", int),
        param("n_hidden", 64, 1, 10_000, "hidden units", int),
        param("n_persistent", 100, 1, 100_000, "persistent chains (PCD)", int),
        param("ais_every", 1000, 0, 10_000_000, "steps between AIS log-likelihood evaluations (0: never)", int),
        param("ais_chains", 100, 2, 100_000, "AIS chains", int),
        param("ais_betas", 1000, 10, 1_000_000, "AIS inverse temperatures", int),
        param("test_fraction", 0.2, 0.05, 0.5, "share of the digits held out for evaluation"),
    )

    def __init__(self, method: str = "pcd", seed: int = 0, device: str = "cpu", **params: Any) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
        self.params = resolve_params("trainer 'rbm'", self.param_specs, params)
        self.method, self.seed, self.device = method, int(seed), torch.device(device)
        train, test = load_binary_digits(self.params["test_fraction"])
        self.data, self.test_data = train.to(self.device), test.to(self.device)
        self.rbm = RBM(self.data.shape[1], self.params["n_hidden"], seed=self.seed).to(self.device)
        self.base_bias = data_log_odds(self.data)
        with torch.no_grad():
            self.rbm.b.copy_(self.base_bias)
        self.optimizer = torch.optim.SGD(self.rbm.parameters(), lr=self.params["lr"],
                                         momentum=self.params["momentum"], weight_decay=self.params["weight_decay"])
        self.generator = torch.Generator(device=self.device).manual_seed(self.seed)
        self.chains = (self.rbm.random_state(self.params["n_persistent"], self.generator)
                       if method == "pcd" else None)
        self.negatives: torch.Tensor | None = None
        self.t = 0

    # --- protocol -----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this trainer."""
        return {"method": self.method, "seed": self.seed, "device": str(self.device), **self.params}

    def step(self) -> dict[str, Any]:
        """One SGD update; returns loss (= recon_error), pseudo_likelihood and, every ais_every steps, ais_loglik."""
        idx = torch.randint(0, self.data.shape[0], (self.params["batch_size"],), generator=self.generator,
                            device=self.device)
        pos = self.data[idx]
        neg = self._negatives(pos)
        cd = self.rbm.free_energy(pos).mean() - self.rbm.free_energy(neg).mean()
        self.optimizer.zero_grad(set_to_none=True)
        decay = self.params["lr_decay_steps"]
        for group in self.optimizer.param_groups:  # linear decay as in Tieleman (2008); a function of t
            group["lr"] = self.params["lr"] * (max(0.0, 1.0 - self.t / decay) if decay else 1.0)
        cd.backward()  # ∇θ of mean F(data) − mean F(negatives): minus the CD/PCD log-likelihood gradient
        self.optimizer.step()
        self.t += 1
        with torch.no_grad():
            recon = float(self.rbm.reconstruction_error(pos, self.generator))
            pl = float(self.rbm.pseudo_log_likelihood(pos, self.generator).mean())
        metrics: dict[str, Any] = {"loss": recon, "recon_error": recon, "pseudo_likelihood": pl,
                                   "cd": cd.item()}
        if self.params["ais_every"] and self.t % self.params["ais_every"] == 0:
            metrics.update(self.evaluate())
        side = int(round(self.rbm.n_visible ** 0.5))
        if side * side == self.rbm.n_visible:
            metrics["samples_negatives"] = neg[:64].reshape(-1, side, side).cpu().numpy()
            metrics["samples_filters"] = self.rbm.W.detach().T.reshape(-1, side, side).cpu().numpy()
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "model": self.rbm.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state(), "chains": self.chains}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        self.rbm.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.chains = state["chains"]

    # --- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, n_chains: int | None = None, n_betas: int | None = None) -> dict[str, float]:
        """AIS log Z (base rate: the training data's log-odds) and mean log-likelihoods, nats per image.

        AIS is seeded by the run's seed only, so evaluating does not change the training stream."""
        est = ais_log_partition(self.rbm, n_chains or self.params["ais_chains"], n_betas or self.params["ais_betas"],
                                seed=self.seed, base_visible_bias=self.base_bias)
        return {"ais_log_z": est.log_z, "ais_std_error": est.std_error,
                "ais_loglik": float(self.rbm.log_likelihood(self.test_data, est.log_z).mean()),
                "ais_loglik_train": float(self.rbm.log_likelihood(self.data, est.log_z).mean())}

    # --- pieces -------------------------------------------------------------------------
    def _negatives(self, pos: torch.Tensor) -> torch.Tensor:
        start = pos if self.method == "cd" else self.chains
        s = samplers.create("block-gibbs", self.rbm)
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
        with torch.no_grad():
            state, _ = s.run(s.init(start.shape[0], seed=seed, x0=start), self.params["k"], record_every=0)
        neg = state.x
        if self.method == "pcd":
            self.chains = neg
        self.negatives = neg
        return neg
