"""Loss explorer: a classifier EBM E(W, Y, X) over the 10 digit classes (8×8 scikit-learn digits in
[0, 1], offline) trained with one of LeCun's losses (`core.energy_losses`); decision by exhaustive
search over Y (argmin of the 10 energies).

The network G_W(X) is linear (`hidden` = 0) or a one-hidden-layer tanh MLP with 10 outputs; the head
makes it an energy:
- "free": E(Y, X) = G_W(X)_Y, one free energy per class. The energy loss is not valid here: pushing
  down E(Y^i) pulls nothing up, so all energies fall together without bound (the loss is unbounded
  below) and the answers stop being told apart.
- "distance": E(Y, X) = ½‖G_W(X) − e_Y‖², e_Y the one-hot code of Y (regression on fixed targets):
  pushing E(Y^i) down moves G(X) away from the other codes, so the energy loss is valid.

Metrics every step: "loss", the batch's "energy_mean" (over all answers), "energy_spread" (std over
answers), "energy_gap" (mean margin min_{Y≠Y^i} E − E(Y^i)); the probe input's per-class energies
"samples_energies" (10,), "probe_label", "probe_prediction", "probe_margin"; every `eval_every` steps
"train_accuracy", "test_accuracy" and the test set's "test_energy_mean", "test_energy_spread",
"test_energy_gap".
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from core import energy_losses
from core.params import param, resolve_params
from core.training.base import TRAINERS

HEADS = ("free", "distance")
N_CLASSES = 10
SPLIT_SEED = 0  # the train/test split is the same for every run, whatever its seed


def load_digits_split(test_fraction: float = 0.25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn digits as float32 (n, 64) in [0, 1] with int64 labels: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits  # ships with scikit-learn: no download

    raw = load_digits()
    x = torch.as_tensor(raw.data / 16.0, dtype=torch.float32)
    y = torch.as_tensor(raw.target, dtype=torch.int64)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    n_test = int(round(test_fraction * len(x)))
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test]


class ClassifierEnergy(nn.Module):
    """E(W, Y, X) for all Y at once: x (n, d) → energies (n, n_classes)."""

    def __init__(self, dim: int, n_classes: int = N_CLASSES, hidden: int = 32, head: str = "free",
                 seed: int = 0) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; allowed: {', '.join(HEADS)}")
        self.head = head
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)  # deterministic initial weights for a given seed
        try:
            self.net = (nn.Linear(dim, n_classes) if hidden == 0 else
                        nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, n_classes)))
        finally:
            torch.random.set_rng_state(generator_state)
        self.register_buffer("codes", torch.eye(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Energies of every answer: (n, d) → (n, n_classes)."""
        g = self.net(x)
        if self.head == "free":
            return g
        return 0.5 * (g.unsqueeze(-2) - self.codes).pow(2).sum(-1)


@TRAINERS.register("loss-explorer")
class LossExplorerTrainer:
    """Train a digit classifier EBM with one of LeCun's losses; `step()` does one SGD update."""

    name = "loss-explorer"
    param_specs = (
        param("lr", 0.05, 1e-6, 10.0, "SGD learning rate"),
        param("batch_size", 32, 1, 10_000, "training images per update", int),
        param("hidden", 32, 0, 4096, "hidden units of the MLP (0: linear energy)", int),
        param("margin", 1.0, 0.0, 100.0, "hinge margin m"),
        param("beta", 1.0, 1e-3, 1e3, "inverse temperature β of the log-likelihood loss"),
        param("weight_decay", 0.0, 0.0, 1.0, "L2 weight decay"),
        param("eval_every", 250, 1, 10_000_000, "steps between train/test accuracy evaluations", int),
        param("test_fraction", 0.25, 0.05, 0.5, "share of the digits held out for testing"),
        param("probe_index", 0, 0, 10_000, "test image whose 10 energies are reported every step", int),
    )

    def __init__(self, loss: str = "hinge", head: str = "free", seed: int = 0, device: str = "cpu",
                 **params: Any) -> None:
        if loss not in energy_losses.LOSSES:
            raise ValueError(f"unknown loss {loss!r}; allowed: {', '.join(energy_losses.LOSSES)}")
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; allowed: {', '.join(HEADS)}")
        self.params = resolve_params("trainer 'loss-explorer'", self.param_specs, params)
        self.loss_name, self.head, self.seed, self.device = loss, head, int(seed), torch.device(device)
        x_tr, y_tr, x_te, y_te = load_digits_split(self.params["test_fraction"])
        self.x_train, self.y_train = x_tr.to(self.device), y_tr.to(self.device)
        self.x_test, self.y_test = x_te.to(self.device), y_te.to(self.device)
        probe = min(self.params["probe_index"], len(self.x_test) - 1)
        self.probe_x, self.probe_label = self.x_test[probe], int(self.y_test[probe])
        self.model = ClassifierEnergy(self.x_train.shape[1], N_CLASSES, self.params["hidden"], head,
                                      seed=self.seed).to(self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.params["lr"],
                                         weight_decay=self.params["weight_decay"])
        self.generator = torch.Generator(device=self.device).manual_seed(self.seed)
        self.t = 0

    # --- protocol -----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this trainer."""
        return {"loss": self.loss_name, "head": self.head, "seed": self.seed, "device": str(self.device),
                **self.params}

    def step(self) -> dict[str, Any]:
        """One SGD update; returns loss, batch energy statistics, the probe's energies and (every
        eval_every steps) train/test accuracy."""
        idx = torch.randint(0, self.x_train.shape[0], (self.params["batch_size"],), generator=self.generator,
                            device=self.device)
        energies = self.model(self.x_train[idx])
        targets = self.y_train[idx]
        loss = energy_losses.compute(self.loss_name, energies, targets, self.params["margin"],
                                     self.params["beta"]).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.t += 1
        metrics: dict[str, Any] = {"loss": loss.item(), **_energy_stats(energies.detach(), targets)}
        metrics.update(self.probe())
        if self.t % self.params["eval_every"] == 0 or self.t == 1:
            metrics.update(self.evaluate())
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])

    # --- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def energies(self, x: torch.Tensor) -> torch.Tensor:
        """E(W, Y, X) of every answer: x (n, 64) or (64,) → (n, 10) or (10,)."""
        return self.model(x)

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The answer of lowest energy: (n, 64) → (n,) int64."""
        return energy_losses.decide(self.model(x))

    @torch.no_grad()
    def probe(self) -> dict[str, Any]:
        """The probe image's 10 energies ("samples_energies"), its label, the decision and the margin."""
        e = self.model(self.probe_x[None])
        label = torch.tensor([self.probe_label], device=self.device)
        return {"samples_energies": e[0].cpu().numpy(), "probe_label": self.probe_label,
                "probe_prediction": int(energy_losses.decide(e)[0]),
                "probe_margin": float(energy_losses.margin(e, label)[0])}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Accuracy on the training and test sets, and the test energies' mean, spread and gap."""
        e_test = self.model(self.x_test)
        stats = _energy_stats(e_test, self.y_test)
        return {"train_accuracy": float((self.predict(self.x_train) == self.y_train).float().mean()),
                "test_accuracy": float((energy_losses.decide(e_test) == self.y_test).float().mean()),
                **{f"test_{k}": v for k, v in stats.items()}}


def _energy_stats(energies: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Mean energy over all answers, mean std over answers, mean margin (best wrong − correct)."""
    return {"energy_mean": float(energies.mean()), "energy_spread": float(energies.std(-1).mean()),
            "energy_gap": float(energy_losses.margin(energies, targets).mean())}
