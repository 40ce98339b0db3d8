"""GAN-style energy-based models (REFERENCES §4): the discriminator is an autoencoder whose
reconstruction error is the energy. EBGAN (margin + pulling-away term), BEGAN (equilibrium k_t,
convergence measure M_global), MAGAN (adaptive margin). Data: 8×8 digits (scikit-learn, offline)
scaled to [−1, 1] and flattened to 64 values, a folder of the user's images (resized to 28×28 or
32×32, grayscale or RGB), or 2D points from `core.data`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import torch
from torch import nn

from core import data as datasets
from core.energies.base import Energy
from core.params import param, resolve_params
from core.training.base import TRAINERS

GAN_DATA = ("digits",) + tuple(datasets.names())


def load_digits() -> torch.Tensor:
    """The 1 797 scikit-learn 8×8 digits as float32 (n, 64) in [−1, 1]."""
    from sklearn.datasets import load_digits as _load  # ships with scikit-learn: no download

    return torch.as_tensor(_load().data / 8.0 - 1.0, dtype=torch.float32)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
IMAGE_SIZES = (28, 32)


def load_image_folder(folder: str | Path, size: int = 32, channels: int = 1,
                      max_images: int = 20000) -> torch.Tensor:
    """Images of `folder` (sorted by name, unreadable ones skipped) as float32 (n, channels·size²) in
    [−1, 1], channel-major; ValueError when the folder is missing, has no readable image, or a setting
    is outside what is allowed (size 28 or 32, channels 1 or 3)."""
    from PIL import Image, UnidentifiedImageError

    if size not in IMAGE_SIZES:
        raise ValueError(f"image size must be one of {IMAGE_SIZES}, got {size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValueError(f"image folder {str(root)!r} does not exist or is not a folder")
    files = sorted(f for f in root.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)[:max_images]
    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                im = im.convert("L" if channels == 1 else "RGB").resize((size, size), Image.Resampling.BILINEAR)
                a = torch.as_tensor(np.asarray(im, dtype=np.float32) / 127.5 - 1.0)
        except (OSError, UnidentifiedImageError, ValueError):
            continue  # a corrupt or truncated file: skip it, the others still train
        images.append(a.reshape(size, size, channels).permute(2, 0, 1).reshape(-1))
    if not images:
        raise ValueError(f"no readable image ({', '.join(IMAGE_SUFFIXES)}) in {str(root)!r}")
    return torch.stack(images)


class DiscriminatorEnergy(Energy):
    """The discriminator's energy of a 2D GAN as an `Energy` (for landscapes): x (..., 2) → (...)."""

    name = "gan-discriminator"

    def __init__(self, trainer: "_GANTrainer", bounds: list[tuple[float, float]]) -> None:
        super().__init__(2, bounds)
        self._energy = trainer.energy

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape[:-1]
        return self._energy(x.reshape(-1, 2)).reshape(shape)


def _mlp(sizes: list[int], out_act: nn.Module | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    layers = layers[:-1] + ([out_act] if out_act is not None else [])
    return nn.Sequential(*layers)


class AutoencoderEnergy(nn.Module):
    """Discriminator: encoder → code → decoder; `encode`, `reconstruct`."""

    def __init__(self, dim: int, hidden: int, code: int, image: bool) -> None:
        super().__init__()
        self.encoder = _mlp([dim, hidden, code], None)
        self.decoder = _mlp([code, hidden, dim], nn.Tanh() if image else None)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction (n, dim), code (n, code))."""
        code = self.encoder(x)
        return self.decoder(code), code


# --- the losses, as plain functions (tested against hand-computed values) --------------------
def hinge(margin: float | torch.Tensor, e_fake: torch.Tensor) -> torch.Tensor:
    """max(0, m − E(G(z))), per sample."""
    return torch.clamp(margin - e_fake, min=0.0)


def pulling_away(codes: torch.Tensor) -> torch.Tensor:
    """f_PT = 1/(N(N−1)) Σ_{i≠j} cos²(e_i, e_j) over the batch's encoder embeddings (N, c)."""
    n = codes.shape[0]
    unit = codes / codes.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cos2 = (unit @ unit.T) ** 2
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def began_k_update(k: float, gamma: float, lambda_k: float, l_real: float, l_fake: float) -> float:
    """k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)."""
    return min(max(k + lambda_k * (gamma * l_real - l_fake), 0.0), 1.0)


def began_m_global(gamma: float, l_real: float, l_fake: float) -> float:
    """M_global = L(x) + |γ L(x) − L(G(z))|."""
    return l_real + abs(gamma * l_real - l_fake)


def m_stalled(window_means: list[float], tolerance: float = 0.01) -> bool:
    """BEGAN's lr rule: True when the newest window's mean M_global is not `tolerance` below the best
    earlier window's."""
    if len(window_means) < 2:
        return False
    return window_means[-1] > min(window_means[:-1]) * (1.0 - tolerance)


def magan_margin(margin: float, fake_sum: float, previous_fake_sum: float | None, real_mean: float,
                 fake_mean: float) -> float:
    """At an epoch end: if the fake energy sum rose and the mean real energy is below both the
    margin and the mean fake energy, the margin becomes the mean real energy."""
    if previous_fake_sum is not None and fake_sum > previous_fake_sum and real_mean < margin and real_mean < fake_mean:
        return real_mean
    return margin


class _GANTrainer:
    """Shared machinery: data, generator, autoencoder discriminator, optimisers, sampling."""

    name = "gan"
    method = ""
    param_specs = (
        param("lr", 2e-4, 1e-6, 1.0, "learning rate of both networks"),
        param("batch_size", 64, 2, 4096, "examples per update", int),
        param("z_dim", 16, 1, 512, "latent size of the generator", int),
        param("hidden", 128, 8, 2048, "hidden units of every network", int),
        param("code", 32, 1, 512, "autoencoder code size", int),
        param("margin", 1.0, 0.0, 100.0, "EBGAN/MAGAN margin m (MAGAN: replaced after pre-training)"),
        param("pt_weight", 0.1, 0.0, 10.0, "EBGAN pulling-away weight λ_PT"),
        param("gamma", 0.75, 0.0, 1.0, "BEGAN diversity ratio γ (REFERENCES 0.5–0.75; 0.75 gave the most "
              "digit-like samples on the 8×8 digits)"),
        param("lambda_k", 0.001, 0.0, 1.0, "BEGAN learning rate λ_k of k_t"),
        param("pretrain_steps", 200, 0, 100000, "MAGAN discriminator pre-training steps", int),
        param("lr_patience", 1000, 0, 1_000_000, "BEGAN: halve the learning rates when M_global has not "
              "improved by 1% over this many steps (0: never)", int),
        param("samples_every", 100, 1, 1_000_000, "steps between sample grids", int),
        param("image_size", 32, 28, 32, "image folders: side in pixels (28 or 32)", int),
        param("channels", 1, 1, 3, "image folders: 1 grayscale, 3 RGB", int),
    )

    def __init__(self, data: str = "digits", seed: int = 0, points: Any = None, **params: Any) -> None:
        self.params = resolve_params(f"trainer {self.name!r}", self.param_specs, params)
        self.data_name, self.seed = data, int(seed)
        p = self.params
        self.image_shape: tuple[int, int, int] | None = (1, 8, 8)
        if points is not None:
            self.data, self.data_name, self.image_shape = torch.as_tensor(points, dtype=torch.float32), "points", None
        elif data == "digits":
            self.data = load_digits()
        elif data in GAN_DATA:
            self.data, self.image_shape = datasets.sample(data, 20000, seed=self.seed), None
        elif Path(str(data)).expanduser().is_dir():
            self.data = load_image_folder(data, p["image_size"], p["channels"])
            self.image_shape = (p["channels"], p["image_size"], p["image_size"])
        else:
            raise ValueError(f"unknown GAN data {data!r}; allowed: {', '.join(GAN_DATA)} or a folder of images")
        self.image = self.image_shape is not None
        dim, p = self.data.shape[1], self.params
        torch.manual_seed(self.seed)
        self.generator_net = _mlp([p["z_dim"], p["hidden"], p["hidden"], dim], nn.Tanh() if self.image else None)
        self.discriminator = AutoencoderEnergy(dim, p["hidden"], p["code"], self.image)
        self.opt_g, self.opt_d = self._optimisers()
        self.rng = torch.Generator().manual_seed(self.seed)
        self.t, self.margin, self.k, self.m_global = 0, float(p["margin"]), 0.0, float("nan")

    def _optimisers(self):
        lr = self.params["lr"]
        return (torch.optim.Adam(self.generator_net.parameters(), lr=lr, betas=(0.5, 0.999)),
                torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999)))

    def config(self) -> dict[str, Any]:
        return {"data": self.data_name, "seed": self.seed, **self.params,
                **({"points": self.data.tolist()} if self.data_name == "points" else {})}

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample energy of x (n, dim) → (n,): the mean squared reconstruction error."""
        recon, _ = self.discriminator(x)
        return (recon - x).pow(2).mean(-1)

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """n generated samples (n, dim)."""
        g = self.rng if seed is None else torch.Generator().manual_seed(seed)
        with torch.no_grad():
            return self.generator_net(torch.randn(n, self.params["z_dim"], generator=g))

    def landscape_energy(self) -> DiscriminatorEnergy:
        """The discriminator's energy over the plane (2D data only), bounds from the data's range."""
        if self.image:
            raise ValueError("the energy landscape is drawn for 2D data, not images")
        lo, hi = self.data.min(0).values, self.data.max(0).values
        pad = 0.15 * (hi - lo)
        return DiscriminatorEnergy(self, [(float(lo[i] - pad[i]), float(hi[i] + pad[i])) for i in range(2)])

    @torch.no_grad()
    def monitor_batch(self, n: int = 32, seed: int = 0) -> dict[str, np.ndarray]:
        """Fixed real examples and fixed latent draws (same every call, so a grid shows progress):
        real, real_recon, real_energy, fake, fake_recon, fake_energy as numpy; images (n, dim)."""
        g = torch.Generator().manual_seed(seed)
        real = self.data[torch.randperm(self.data.shape[0], generator=g)[:n]]
        fake = self.generator_net(torch.randn(n, self.params["z_dim"], generator=g))
        out = {}
        for key, x in (("real", real), ("fake", fake)):
            recon, _ = self.discriminator(x)
            out[key], out[f"{key}_recon"], out[f"{key}_energy"] = x.numpy(), recon.numpy(), self.energy(x).numpy()
        return out

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, self.data.shape[0], (self.params["batch_size"],), generator=self.rng)
        z = torch.randn(self.params["batch_size"], self.params["z_dim"], generator=self.rng)
        return self.data[idx], z

    def step(self) -> dict[str, Any]:
        real, z = self._batch()
        metrics = self._update(real, z)
        self.t += 1
        if self.t % self.params["samples_every"] == 0 or self.t == 1:
            metrics["samples_generated"] = self.sample(64).numpy()
            with torch.no_grad():
                metrics["samples_reconstructions"] = self.discriminator(real[:32])[0].numpy()
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "margin": self.margin, "k": self.k, "m_global": self.m_global,
                "g": self.generator_net.state_dict(), "d": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "rng": self.rng.get_state(),
                **self._extra_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t, self.margin, self.k, self.m_global = state["t"], state["margin"], state["k"], state["m_global"]
        self.generator_net.load_state_dict(state["g"])
        self.discriminator.load_state_dict(state["d"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.rng.set_state(state["rng"])
        self._load_extra_state(state)

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def _d_step(self, loss: torch.Tensor) -> None:
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()

    def _g_step(self, loss: torch.Tensor) -> None:
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()

    def _update(self, real: torch.Tensor, z: torch.Tensor) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


@TRAINERS.register("ebgan")
class EBGAN(_GANTrainer):
    """L_D = D(x) + max(0, m − D(G(z))); L_G = D(G(z)) + λ_PT·f_PT."""

    name = "ebgan"

    def _update(self, real, z):
        fake = self.generator_net(z)
        e_real, e_fake = self.energy(real), self.energy(fake.detach())
        d_loss = e_real.mean() + hinge(self.margin, e_fake).mean()
        self._d_step(d_loss)
        recon, code = self.discriminator(fake)
        e_gen = (recon - fake).pow(2).mean(-1)
        pt = pulling_away(code)
        g_loss = e_gen.mean() + self.params["pt_weight"] * pt
        self._g_step(g_loss)
        return {"loss": d_loss.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "e_real": e_real.mean().item(), "e_fake": e_fake.mean().item(), "margin": self.margin,
                "pulling_away": pt.item()}


@TRAINERS.register("began")
class BEGAN(_GANTrainer):
    """L(v) = mean|D(v) − v|; L_D = L(x) − k_t L(G(z)); L_G = L(G(z)); k_t and M_global as in §4."""

    name = "began"

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__(*args, **params)
        self._m_window: list[float] = []
        self._m_means: list[float] = []

    def _halve_lr_when_m_stalls(self) -> None:
        patience = self.params["lr_patience"]
        if not patience:
            return
        self._m_window.append(self.m_global)
        if len(self._m_window) < patience:
            return
        self._m_means.append(sum(self._m_window) / patience)
        self._m_window = []
        if m_stalled(self._m_means):
            for opt in (self.opt_g, self.opt_d):
                for group in opt.param_groups:
                    group["lr"] *= 0.5

    def _extra_state(self):
        return {"m_window": list(self._m_window), "m_means": list(self._m_means)}

    def _load_extra_state(self, state):
        self._m_window, self._m_means = list(state["m_window"]), list(state["m_means"])

    def _l1(self, x):
        return (self.discriminator(x)[0] - x).abs().mean(-1)

    def _update(self, real, z):
        fake = self.generator_net(z)
        l_real, l_fake = self._l1(real).mean(), self._l1(fake.detach()).mean()
        d_loss = l_real - self.k * l_fake
        self._d_step(d_loss)
        g_loss = self._l1(fake).mean()
        self._g_step(g_loss)
        lr_, lf_ = l_real.item(), l_fake.item()
        self.k = began_k_update(self.k, self.params["gamma"], self.params["lambda_k"], lr_, lf_)
        self.m_global = began_m_global(self.params["gamma"], lr_, lf_)
        self._halve_lr_when_m_stalls()
        return {"loss": d_loss.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item(), "e_real": lr_,
                "e_fake": lf_, "k_t": self.k, "m_global": self.m_global}


@TRAINERS.register("magan")
class MAGAN(_GANTrainer):
    """L_D = E(x) + max(0, m − E(G(z))); L_G = E(G(z)); per-sample summed squared error; the margin
    starts at the mean real energy after pre-training D and shrinks at epoch ends (§4); Adamax 5e-4."""

    name = "magan"

    def __init__(self, *args: Any, **params: Any) -> None:
        params.setdefault("lr", 5e-4)
        super().__init__(*args, **params)
        self._epoch_real: list[float] = []
        self._epoch_fake: list[float] = []
        self._previous_fake_sum: float | None = None
        self._steps_per_epoch = math.ceil(self.data.shape[0] / self.params["batch_size"])

    def _optimisers(self):
        lr = self.params["lr"]
        return (torch.optim.Adamax(self.generator_net.parameters(), lr=lr, betas=(0.5, 0.999)),
                torch.optim.Adamax(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999)))

    def energy(self, x):
        recon, _ = self.discriminator(x)
        return (recon - x).pow(2).sum(-1)

    def _extra_state(self):
        return {"previous_fake_sum": self._previous_fake_sum}

    def _load_extra_state(self, state):
        self._previous_fake_sum = state["previous_fake_sum"]

    def _update(self, real, z):
        pre = self.params["pretrain_steps"]
        if self.t < pre:  # pre-train D as a plain autoencoder on real data
            e_real = self.energy(real)
            self._d_step(e_real.mean())
            if self.t == pre - 1:
                with torch.no_grad():
                    self.margin = float(self.energy(self.data).mean())
            return {"loss": e_real.mean().item(), "d_loss": e_real.mean().item(), "g_loss": float("nan"),
                    "e_real": e_real.mean().item(), "e_fake": float("nan"), "margin": self.margin}
        fake = self.generator_net(z)
        e_real, e_fake = self.energy(real), self.energy(fake.detach())
        d_loss = e_real.mean() + hinge(self.margin, e_fake).mean()
        self._d_step(d_loss)
        g_loss = self.energy(fake).mean()
        self._g_step(g_loss)
        self._epoch_real.append(e_real.mean().item())
        self._epoch_fake.append(e_fake.sum().item())
        if len(self._epoch_real) == self._steps_per_epoch:  # epoch end: the adaptive margin rule
            fake_sum = sum(self._epoch_fake)
            real_mean = sum(self._epoch_real) / len(self._epoch_real)
            fake_mean = fake_sum / (len(self._epoch_fake) * self.params["batch_size"])
            self.margin = magan_margin(self.margin, fake_sum, self._previous_fake_sum, real_mean, fake_mean)
            self._previous_fake_sum = fake_sum
            self._epoch_real, self._epoch_fake = [], []
        return {"loss": d_loss.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "e_real": e_real.mean().item(), "e_fake": e_fake.mean().item(), "margin": self.margin}
