"""Prediction: the initial depth refined on the energy, step by step, with a per-pixel uncertainty.

    result = predict(model, image, steps=20)          # image (3, H, W) in [0, 1], any size
    result.initial, result.final, result.mean, result.std   # (H, W) metres, at the image's size
    result.steps[k]                                    # the map after k refinement steps (steps[0]: initial)

The image is resized to the model's working size, the predictor gives z₀ = ln D₀, and `n_samples`
chains of the correction field c start at 0 (z = z₀ + U(c), see `core.depth.model`) and move on the
energy by the Langevin rule of Algorithm 1 of the seed (REFERENCES §2, §5):

    c ← c − (δ/2)·M∇E(c) + s_t·√δ·M^½ξ,  ξ ~ N(0, I),  M = B² (B a Gaussian blur of `smooth` cells; 0: M = I)

with s_t = `noise` ("langevin", as in training), s_t decaying linearly to 0 ("annealed") or s_t = 0
("descent": gradient descent, one noise-free chain, with Langevin chains beside it for the
uncertainty). The prediction is the descended map or the mean over chains, the uncertainty the
chains' per-pixel standard deviation; every map is resized back to the input size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch.nn import functional as F

from core.depth.model import DepthEnergy, DepthModel, repeat_context

MODES = ("langevin", "annealed", "descent")


def noise_scale(mode: str, noise: float, t: int, steps: int) -> float:
    """The noise multiplier s_t of step t (0-based) of `steps` for a refinement mode."""
    if mode == "langevin":
        return float(noise)
    if mode == "annealed":
        return float(noise) * max(0.0, 1.0 - (t + 1) / steps)
    if mode == "descent":
        return 0.0
    raise ValueError(f"unknown refinement mode {mode!r}; allowed: {', '.join(MODES)}")


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of maps (n, H, W) with zero padding: a symmetric positive operator B."""
    if sigma <= 0:
        return x
    radius = max(1, int(math.ceil(3 * sigma)))
    i = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (i / sigma) ** 2)
    k = k / k.sum()
    y = F.conv2d(x[:, None], k.view(1, 1, 1, -1), padding=(0, radius))
    return F.conv2d(y, k.view(1, 1, -1, 1), padding=(radius, 0))[:, 0]


def langevin(energy: DepthEnergy, ctx: Any, z0: torch.Tensor, c: torch.Tensor, steps: int, step_size: float,
             noise: float = 1.0, mode: str = "langevin", smooth: float = 0.0, generator: torch.Generator | None = None,
             draw_noise: Callable[[int], torch.Tensor] | None = None,
             callback: Callable[[int, torch.Tensor, torch.Tensor], bool | None] | None = None,
             chain_noise: torch.Tensor | None = None) -> torch.Tensor:
    """Run `steps` moves c ← c − (δ/2)·M∇E + s_t·√δ·M^½ξ on correction fields c (n, h, w); returns c (detached).

    M = B² with B a Gaussian blur of `smooth` pixels (0: M = I, plain ULA): a preconditioner that leaves
    the stationary density exp(−E) unchanged but moves smooth (region-sized) errors, not pixel noise.
    `ctx` is `energy.context(...)` for the n maps (detached), z0 their predictions (n, H, W);
    `draw_noise(t)` may supply ξ (the trainer draws it for the whole global batch, so DDP matches one
    process); `callback(t, c, energy)` is called after each step with the energies (n,) before it, and
    stops the loop when it returns True. `chain_noise` (n,) multiplies the noise of each chain (0: that
    chain descends).
    """
    per_chain = None if chain_noise is None else chain_noise.to(c.device, torch.float32).view(-1, 1, 1)
    z = c.detach()
    for t in range(int(steps)):
        zg = z.requires_grad_(True)
        with torch.enable_grad():
            e = energy.total(zg, ctx, z0)
            (grad,) = torch.autograd.grad(e.sum(), zg)
        s = noise_scale(mode, noise, t, steps)
        z = z.detach() - 0.5 * step_size * gaussian_blur(gaussian_blur(grad.float(), smooth), smooth)
        if s > 0:
            xi = draw_noise(t) if draw_noise is not None else torch.randn(z.shape, generator=generator,
                                                                          device="cpu").to(z.device)
            xi = gaussian_blur(xi, smooth)
            z = z + s * math.sqrt(step_size) * (xi if per_chain is None else per_chain * xi)
        if callback is not None and callback(t + 1, z, e.detach()):
            break
    return z.detach()


@dataclass
class DepthPrediction:
    """Depth maps in metres at the input size: (H, W) for one image, (n, H, W) for a batch.

    `final` is the refined prediction and `steps` its path (steps[0] = `initial`, steps[k] after k moves):
    in mode "descent" the noise-free chain, otherwise the mean over the chains. `mean` and `std` are
    the mean and per-pixel standard deviation of the `n_samples` Langevin chains (the uncertainty map;
    std is 0 with n_samples = 1 in mode "descent").
    """

    initial: torch.Tensor
    final: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    steps: list[torch.Tensor] = field(default_factory=list)  # steps[0] = initial, steps[k] after k moves
    energies: list[float] = field(default_factory=list)  # mean energy per cell of c at each entry of steps
    energy_name: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False


def _as_images(image: Any) -> tuple[torch.Tensor, bool]:
    x = torch.as_tensor(image)
    single = x.dim() == 3
    if single:
        x = x[None]
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"image must be (3, H, W) or (n, 3, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"image must be floats in [0, 1], got dtype {x.dtype}")
    if x.numel() and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
        raise ValueError(f"image values must be in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x.float(), single


def resize_images(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(n, 3, H, W) → (n, 3, h, w), bilinear with antialiasing when shrinking."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    return F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def resize_log_depth(z: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Log-depth (n, h, w) → depth (n, H, W) metres, bilinear in log space."""
    if tuple(z.shape[-2:]) != tuple(size):
        z = F.interpolate(z[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    return z.exp()


def _resize_map(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


@torch.no_grad()
def predict(model: DepthModel, image: Any, steps: int | None = None, energy: str | None = None,
            mode: str | None = None, n_samples: int | None = None, step_size: float | None = None,
            noise: float | None = None, smooth: float | None = None, seed: int = 0, keep_steps: bool = True,
            callback: Callable[[int, int, torch.Tensor], None] | None = None,
            should_stop: Callable[[], bool] | None = None,
            device: str | torch.device | None = None) -> DepthPrediction:
    """Predict depth for image (3, H, W) or (n, 3, H, W) in [0, 1]; maps are (H, W) or (n, H, W) metres.

    Settings left as None come from the model (`model.refine[energy]`, chosen on validation images at
    the end of training; energy None: `model.default_energy`). Mode "descent" refines by a noise-free
    chain and runs `n_samples` Langevin chains beside it for the uncertainty; "langevin" / "annealed"
    use the mean of the chains. `callback(k, T, depth)` gets the refined map after step k of T (k = 0:
    the initial prediction) at the input size; `should_stop()` is checked every step and cancels (the
    result then holds the steps done and `cancelled` = True).
    """
    images, single = _as_images(image)
    name = energy if energy is not None else model.default_energy
    e_mod = model.energy(name)
    cfg = {**model.refine.get(name, {})}
    for key, val in (("steps", steps), ("mode", mode), ("n_samples", n_samples), ("step_size", step_size),
                     ("noise", noise), ("smooth", smooth)):
        if val is not None:
            cfg[key] = val
    cfg["steps"], cfg["n_samples"] = int(cfg["steps"]), int(cfg["n_samples"])
    if cfg["steps"] < 0 or cfg["n_samples"] < 1 or float(cfg["step_size"]) <= 0:
        raise ValueError(f"need steps >= 0, n_samples >= 1 and step_size > 0, got {cfg}")
    noise_scale(cfg["mode"], 1.0, 0, 1)  # validates the mode
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model = model.to(dev).eval()
    n, out_size = images.shape[0], tuple(images.shape[-2:])
    x = resize_images(images.to(dev), model.size)
    z0, feats = model.predictor(x)
    ctx = e_mod.context(x, feats, z0)
    descent = cfg["mode"] == "descent"
    samplers = cfg["n_samples"] if (not descent or cfg["n_samples"] > 1) else 0
    chains = samplers + (1 if descent else 0)  # chain 0 descends in mode "descent"
    ctx_s, z0_s = repeat_context(ctx, chains), z0.repeat(chains, 1, 1)
    gen = torch.Generator().manual_seed(int(seed))
    c0 = torch.zeros((n * chains,) + e_mod.coarse_size(model.size), device=dev)
    hw = c0.shape[-1] * c0.shape[-2]
    chain_noise = None
    if descent:
        chain_noise = torch.ones(chains, n)
        chain_noise[0] = 0.0
        chain_noise = chain_noise.reshape(-1)
    run_mode = "langevin" if descent else cfg["mode"]

    def depth_maps(c: torch.Tensor) -> torch.Tensor:  # metres, (chains, n, H, W) at the input size
        return resize_log_depth(e_mod.depth_of(c, z0_s), out_size).view(chains, n, *out_size)

    def summarise(c: torch.Tensor) -> torch.Tensor:
        d = depth_maps(c)
        d = d[0] if descent else d.mean(0)
        return d[0] if single else d

    initial = summarise(c0)
    kept = [initial.cpu()] if keep_steps else []
    energies: list[float] = []  # energies[k]: mean energy per cell of the refined state after k steps

    def energy_of(e: torch.Tensor) -> float:
        e = e.view(chains, n)
        return float((e[0] if descent else e).mean()) / hw

    if callback is not None:
        callback(0, cfg["steps"], initial.cpu())
    state = {"cancelled": False}

    def on_step(t: int, c: torch.Tensor, e_before: torch.Tensor) -> bool:
        energies.append(energy_of(e_before))
        if keep_steps or callback is not None:
            current = summarise(c).cpu()
            if keep_steps:
                kept.append(current)
            if callback is not None:
                callback(t, cfg["steps"], current)
        if should_stop is not None and should_stop():
            state["cancelled"] = True
            return True
        return False

    c = c0
    if should_stop is not None and should_stop():
        state["cancelled"] = True
    else:
        c = langevin(e_mod, ctx_s, z0_s, c0, cfg["steps"], float(cfg["step_size"]), float(cfg["noise"]), run_mode,
                     float(cfg.get("smooth", 0.0)), generator=gen, callback=on_step, chain_noise=chain_noise)
    energies.append(energy_of(e_mod.total(c, ctx_s, z0_s)))
    depth = depth_maps(c)
    final = depth[0] if descent else depth.mean(0)
    sampled = depth[1:] if descent else depth
    if sampled.shape[0] > 0:
        mean = sampled.mean(0)
        std = sampled.std(0, unbiased=False) if sampled.shape[0] > 1 else torch.zeros_like(mean)
    else:
        mean, std = final, torch.zeros_like(final)
    pick = (lambda t: t[0].cpu()) if single else (lambda t: t.cpu())
    return DepthPrediction(initial=initial.cpu(), final=pick(final), mean=pick(mean), std=pick(std), steps=kept,
                           energies=energies, energy_name=name, settings=cfg, cancelled=state["cancelled"])


@torch.no_grad()
def predict_initial(model: DepthModel, image: Any, device: str | torch.device | None = None) -> torch.Tensor:
    """The feed-forward prediction alone: (H, W) or (n, H, W) metres at the input size."""
    images, single = _as_images(image)
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model = model.to(dev).eval()
    z0, _ = model.predictor(resize_images(images.to(dev), model.size))
    depth = resize_log_depth(z0, tuple(images.shape[-2:])).cpu()
    return depth[0] if single else depth
