"""The depth model: a small U-Net-like initial predictor and two conditional energies E_θ(D, X).

Everything works on log-depth z = ln D (metres) at a fixed working size (the training size). The
predictor gives z₀(X) and per-pixel image features; each energy is defined relative to it, on depth
maps z = z₀ + U(c) where c is a coarse correction field (one value per 4×4 cell, U bilinear):

    E(z | X) = ‖c‖² / (2σ²)  +  E_learned(c | X)          (σ: the Gaussian reference q(D) around z₀)

(a) "frame", the seed's conditional FRAME model (REFERENCES §5): E_learned = Σ_k Σ_y ω_{k,y}(X)·ρ_k([F_k * z](y))
    with a fixed filter bank F_k (identity, first and second derivatives at two scales), image-dependent
    weights ω(X) from a small CNN, ρ linear for the identity filter and a smooth |·| (weights ≥ 0) for
    the others.
(b) "cnn", a deeper conditional energy: a CNN over the correction c whose every layer is conditioned
    on image features (computed once per image), summed over cells.

Both start as the pure reference (last layers are zero-initialised). Energies are per map, shape (n,).
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

ENERGIES = ("frame", "cnn")
FORMAT = "energy-workbench/depth-model"
FORMAT_VERSION = 1
DEPTH_RANGE = (0.1, 20.0)  # metres: predictions and samples are kept inside (as log-depth)
Z_RANGE = (math.log(DEPTH_RANGE[0]), math.log(DEPTH_RANGE[1]))
IMAGE_MEAN, IMAGE_STD = 0.45, 0.25


def _block(c_in: int, c_out: int) -> nn.Sequential:
    groups = 4 if c_out % 4 == 0 else 1
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), nn.SiLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), nn.SiLU())


class DepthPredictor(nn.Module):
    """U-Net-like feed-forward net: image (n, 3, H, W) in [0, 1] → (log-depth (n, H, W), features (n, C, H, W))."""

    def __init__(self, base: int = 16, init_depth: float = 3.0) -> None:
        super().__init__()
        b = int(base)
        self.base = b
        self.enc0, self.enc1, self.enc2 = _block(3, b), _block(b, 2 * b), _block(2 * b, 4 * b)
        self.bottom = _block(4 * b, 4 * b)
        self.context = nn.Conv2d(8 * b, 4 * b, 1)  # local features + the global mean: the room's scale
        self.dec2, self.dec1, self.dec0 = _block(8 * b, 2 * b), _block(4 * b, b), _block(2 * b, b)
        self.head = nn.Conv2d(b, 1, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.constant_(self.head.bias, math.log(init_depth))

    @staticmethod
    def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image (n, 3, H, W) in [0, 1] → log-depth z₀ (n, H, W) and features (n, base, H, W)."""
        x = (image - IMAGE_MEAN) / IMAGE_STD
        e0 = self.enc0(x)
        e1 = self.enc1(F.avg_pool2d(e0, 2, ceil_mode=True))
        e2 = self.enc2(F.avg_pool2d(e1, 2, ceil_mode=True))
        bt = self.bottom(F.avg_pool2d(e2, 2, ceil_mode=True))
        bt = F.silu(self.context(torch.cat([bt, bt.mean((2, 3), keepdim=True).expand_as(bt)], 1)))
        d2 = self.dec2(torch.cat([self._up(bt, e2), e2], 1))
        d1 = self.dec1(torch.cat([self._up(d2, e1), e1], 1))
        d0 = self.dec0(torch.cat([self._up(d1, e0), e0], 1))
        z = self.head(d0)[:, 0].clamp(*Z_RANGE)
        return z, d0


def smooth_abs(x: torch.Tensor, eps: float = 0.05) -> torch.Tensor:
    """√(x² + ε²) − ε: |x| with a smooth minimum (ε in log-depth units; its curvature is at most 1/ε, so
    a small ε makes the energy stiff and Langevin steps of a fixed size unstable)."""
    return torch.sqrt(x * x + eps * eps) - eps


def _filter_bank() -> tuple[torch.Tensor, list[int]]:
    """(K, 1, 5, 5) filters: identity, ∂x, ∂y, ∂xx, ∂yy, ∂xy, Laplacian, then ∂x, ∂y, Laplacian at scale 2."""
    k = torch.zeros(10, 1, 5, 5)
    c = 2
    k[0, 0, c, c] = 1.0
    k[1, 0, c, c], k[1, 0, c, c + 1] = -1.0, 1.0
    k[2, 0, c, c], k[2, 0, c + 1, c] = -1.0, 1.0
    k[3, 0, c, c - 1:c + 2] = torch.tensor([1.0, -2.0, 1.0])
    k[4, 0, c - 1:c + 2, c] = torch.tensor([1.0, -2.0, 1.0])
    k[5, 0, c, c], k[5, 0, c + 1, c + 1], k[5, 0, c, c + 1], k[5, 0, c + 1, c] = 1.0, 1.0, -1.0, -1.0
    k[6, 0, c, c] = -4.0
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        k[6, 0, c + dy, c + dx] = 1.0
    k[7, 0, c, c - 1], k[7, 0, c, c + 1] = -0.5, 0.5  # ∂ over two pixels
    k[8, 0, c - 1, c], k[8, 0, c + 1, c] = -0.5, 0.5
    k[9, 0, c, c] = -1.0
    for dy, dx in ((0, 2), (0, -2), (2, 0), (-2, 0)):
        k[9, 0, c + dy, c + dx] = 0.25
    linear = [0]  # the identity filter has a linear response (a mean shift); the others smooth |·|
    return k, linear


class _ContextNet(nn.Sequential):
    """Image features for an energy: [image, predictor features, z₀] (n, 3 + C + 1, H, W) → (n, out, H, W)."""

    def __init__(self, c_in: int, hidden: int, out: int) -> None:
        super().__init__(nn.Conv2d(c_in, hidden, 3, padding=1), nn.SiLU(), nn.Conv2d(hidden, hidden, 3, padding=1),
                         nn.SiLU(), nn.Conv2d(hidden, out, 1))


class DepthEnergy(nn.Module):
    """Common part: the correction field c, the Gaussian reference and the context (image only) / energy split.

    The sampled variable is a coarse log-depth correction c (n, ⌈H/f⌉, ⌈W/f⌉), f = `coarse`: the depth
    is z = z₀ + U(c), U bilinear upsampling. The predictor's errors are almost all of low spatial
    frequency (on the synthetic validation set, removing the error of 4×4-pooled cells leaves an AbsRel
    of 0.02 out of 0.14), and on this subspace Langevin chains mix in tens of steps.
    """

    kind = ""

    def __init__(self, feature_channels: int, sigma_ref: float = 0.2, coarse: int = 4) -> None:
        super().__init__()
        self.feature_channels = int(feature_channels)
        self.sigma_ref = float(sigma_ref)
        self.coarse = int(coarse)

    def coarse_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """(h, w) of the correction field for depth maps of size (H, W)."""
        return math.ceil(size[0] / self.coarse), math.ceil(size[1] / self.coarse)

    def upsample(self, c: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """U(c): (n, h, w) → (n, H, W), bilinear."""
        if tuple(c.shape[-2:]) == tuple(size):
            return c
        return F.interpolate(c[:, None], size=tuple(size), mode="bilinear", align_corners=False)[:, 0]

    def project(self, z: torch.Tensor, z0: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """The correction field of log-depth z: the mean of z − z₀ over the valid pixels of each cell
        (0 in cells without one). z, z0, valid: (n, H, W) → (n, h, w)."""
        size = self.coarse_size(z.shape[-2:])
        r = z - z0
        if valid is None:
            return F.adaptive_avg_pool2d(r[:, None], size)[:, 0]
        v = valid.to(r.dtype)[:, None]
        num = F.adaptive_avg_pool2d(torch.where(valid, r, torch.zeros_like(r))[:, None], size)
        den = F.adaptive_avg_pool2d(v, size)
        return torch.where(den > 0, num / den.clamp_min(1e-12), torch.zeros_like(num))[:, 0]

    def depth_of(self, c: torch.Tensor, z0: torch.Tensor) -> torch.Tensor:
        """Log-depth z = z₀ + U(c), (n, H, W), clamped to the valid depth range."""
        return (z0 + self.upsample(c, z0.shape[-2:])).clamp(*Z_RANGE)

    def context(self, image: torch.Tensor, features: torch.Tensor, z0: torch.Tensor) -> Any:
        """Everything that depends on the image only (computed once per image, reused by every step)."""
        raise NotImplementedError

    def learned(self, c: torch.Tensor, ctx: Any, z0: torch.Tensor) -> torch.Tensor:
        """The learned part of the energy of corrections c (n, h, w) → (n,)."""
        raise NotImplementedError

    def reference(self, c: torch.Tensor) -> torch.Tensor:
        """‖c‖² / (2σ²) per map (n,): the Gaussian reference q(D) centred on the prediction."""
        return (c**2).sum((1, 2)) / (2 * self.sigma_ref**2)

    def total(self, c: torch.Tensor, ctx: Any, z0: torch.Tensor) -> torch.Tensor:
        """E(z₀ + U(c) | X) = reference + learned, per map (n,)."""
        return self.reference(c) + self.learned(c, ctx, z0)

    def forward(self, c: torch.Tensor, image: torch.Tensor, features: torch.Tensor, z0: torch.Tensor) -> torch.Tensor:
        """Learned energy of m·n fields c (m·n, h, w) for n images: one call, so DDP sees every parameter once."""
        ctx = self.context(image, features, z0)
        m = c.shape[0] // z0.shape[0]
        return self.learned(c, repeat_context(ctx, m), z0.repeat(m, 1, 1))

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "feature_channels": self.feature_channels, "sigma_ref": self.sigma_ref,
                "coarse": self.coarse}


def repeat_context(ctx: Any, m: int) -> Any:
    """Repeat a context (tensor or tuple of tensors) m times along the batch axis."""
    if m == 1:
        return ctx
    if isinstance(ctx, torch.Tensor):
        return ctx.repeat(m, *([1] * (ctx.dim() - 1)))
    return type(ctx)(repeat_context(c, m) for c in ctx)


class FrameEnergy(DepthEnergy):
    """(a) Conditional FRAME (REFERENCES §5): Σ_k Σ_y ω_{k,y}(X)·ρ_k([F_k * z](y)) on the full-resolution
    log-depth z = z₀ + U(c); ω from a CNN on the image. The identity filter has the seed's linear
    response (ω₀ any sign: a mean shift); the derivative filters a smooth |·| with ω_k = softplus(·) ≥ 0,
    an image-weighted, edge-preserving smoothness. The energy is convex in c, so chains cannot run away."""

    kind = "frame"

    def __init__(self, feature_channels: int, sigma_ref: float = 0.2, coarse: int = 4, hidden: int = 32,
                 eps: float = 0.05) -> None:
        super().__init__(feature_channels, sigma_ref, coarse)
        filters, linear = _filter_bank()
        self.register_buffer("filters", filters)
        self.register_buffer("linear", torch.tensor([i in linear for i in range(filters.shape[0])]))
        self.hidden, self.eps = int(hidden), float(eps)
        self.weights = _ContextNet(3 + self.feature_channels + 1, self.hidden, filters.shape[0])
        nn.init.zeros_(self.weights[-1].weight)
        with torch.no_grad():  # start as the pure reference: ω₀ = 0, ω_k = softplus(−6) ≈ 0
            self.weights[-1].bias.copy_(torch.where(self.linear, 0.0, -6.0))

    def context(self, image, features, z0):
        raw = self.weights(torch.cat([image, features, z0[:, None]], 1))  # (n, K, H, W)
        return torch.where(self.linear.view(1, -1, 1, 1), raw, F.softplus(raw))

    def responses(self, z: torch.Tensor) -> torch.Tensor:
        """ρ_k(F_k * z): (n, H, W) → (n, K, H, W) (replicate padding: no fake edges at the border)."""
        r = F.conv2d(F.pad(z[:, None], (2, 2, 2, 2), mode="replicate"), self.filters)
        lin = self.linear.view(1, -1, 1, 1)
        return torch.where(lin, r, smooth_abs(r, self.eps))

    def learned(self, c, ctx, z0):
        # the response of z₀ itself is a constant per image: leave it out, so E(c = 0) = 0 for ω = 0
        z = z0 + self.upsample(c, z0.shape[-2:])
        return (ctx * (self.responses(z) - self.responses(z0).detach())).sum((1, 2, 3))

    def config(self):
        return {**super().config(), "hidden": self.hidden, "eps": self.eps}


class CNNEnergy(DepthEnergy):
    """(b) A deeper conditional energy: a CNN over the correction c/s (dilations 1, 2, 4) with image features
    (pooled to the correction's grid) injected at every layer, summed over cells."""

    kind = "cnn"

    def __init__(self, feature_channels: int, sigma_ref: float = 0.2, coarse: int = 4, channels: int = 32,
                 hidden: int = 32, residual_scale: float = 0.1) -> None:
        super().__init__(feature_channels, sigma_ref, coarse)
        c = self.channels = int(channels)
        self.hidden, self.residual_scale = int(hidden), float(residual_scale)
        self.image_net = _ContextNet(3 + self.feature_channels + 1, self.hidden, 3 * c)
        self.conv1 = nn.Conv2d(1, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=2, dilation=2)
        self.conv3 = nn.Conv2d(c, c, 3, padding=4, dilation=4)
        self.out = nn.Conv2d(c, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def context(self, image, features, z0):
        x = torch.cat([image, features, z0[:, None]], 1)
        x = F.adaptive_avg_pool2d(x, self.coarse_size(z0.shape[-2:]))
        return self.image_net(x).chunk(3, 1)

    def learned(self, c, ctx, z0):
        c1, c2, c3 = ctx
        h = F.silu(self.conv1((c / self.residual_scale)[:, None]) + c1)
        h = F.silu(self.conv2(h) + c2)
        h = F.silu(self.conv3(h) + c3)
        return self.out(h).sum((1, 2, 3))

    def config(self):
        return {**super().config(), "channels": self.channels, "hidden": self.hidden,
                "residual_scale": self.residual_scale}


def build_energy(kind: str, feature_channels: int, **kwargs: Any) -> DepthEnergy:
    """An energy of `kind` ("frame" or "cnn"); ValueError on another name."""
    if kind == "frame":
        return FrameEnergy(feature_channels, **kwargs)
    if kind == "cnn":
        return CNNEnergy(feature_channels, **kwargs)
    raise ValueError(f"unknown depth energy {kind!r}; allowed: {', '.join(ENERGIES)}")


# Refinement settings used when a checkpoint does not say otherwise (the trainer stores its own).
DEFAULT_REFINE = {"step_size": 5e-3, "noise": 0.3, "smooth": 0.0, "steps": 20, "n_samples": 8, "mode": "descent"}


class DepthModel(nn.Module):
    """Initial predictor + energies at a working size (H, W); `save`/`load` a self-describing file."""

    def __init__(self, size: tuple[int, int] = (60, 80), base: int = 16, energies: dict[str, dict] | None = None,
                 refine: dict[str, dict] | None = None, info: dict[str, Any] | None = None,
                 default_energy: str | None = None) -> None:
        super().__init__()
        self.size = (int(size[0]), int(size[1]))
        self.predictor = DepthPredictor(base)
        energies = energies if energies is not None else {"frame": {}, "cnn": {}}
        self.energies = nn.ModuleDict({
            name: build_energy(cfg.get("kind", name), base, **{k: v for k, v in cfg.items()
                                                               if k not in ("kind", "feature_channels")})
            for name, cfg in energies.items()})
        self.refine = {name: {**DEFAULT_REFINE, **(refine or {}).get(name, {})} for name in self.energies}
        self.info = dict(info or {})
        self.default_energy = default_energy if default_energy in self.energies else (
            "cnn" if "cnn" in self.energies else next(iter(self.energies), None))

    def energy_names(self) -> list[str]:
        """Names of the energies this model holds (e.g. ["frame", "cnn"])."""
        return list(self.energies)

    def energy(self, name: str | None = None) -> DepthEnergy:
        """The energy `name` (default: `default_energy`, the better one on validation); ValueError if absent."""
        if name is None:
            name = self.default_energy
        if name not in self.energies:
            raise ValueError(f"this depth model has no energy {name!r}; it has: {', '.join(self.energies) or 'none'}")
        return self.energies[name]

    def config(self) -> dict[str, Any]:
        """Everything `from_blob` needs to rebuild the model (sizes, energies, refinement, provenance)."""
        return {"size": list(self.size), "base": self.predictor.base,
                "energies": {k: e.config() for k, e in self.energies.items()}, "refine": self.refine,
                "info": self.info, "default_energy": self.default_energy}

    def save(self, path: str | os.PathLike, half: bool = False) -> Path:
        """Write {format, version, config, weights} (weights in float16 when `half`) with torch.save."""
        state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.state_dict().items()}
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.tmp")
        torch.save({"format": FORMAT, "version": FORMAT_VERSION, "config": self.config(), "state": state}, tmp)
        os.replace(tmp, p)
        return p

    @classmethod
    def from_blob(cls, blob: Any, where: str = "checkpoint") -> "DepthModel":
        """The model of a loaded {format, version, config, state} dict; ValueError naming `where` otherwise."""
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise ValueError(f"{where} is not an energy-workbench depth model (no {FORMAT!r} header)")
        if blob.get("version", 0) > FORMAT_VERSION:
            raise ValueError(f"{where} has format version {blob.get('version')}; this code reads up to {FORMAT_VERSION}")
        cfg = blob.get("config", {})
        try:
            model = cls(tuple(cfg["size"]), cfg["base"], cfg["energies"], cfg.get("refine"), cfg.get("info"),
                        cfg.get("default_energy"))
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state"].items()})
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ValueError(f"{where} does not hold a valid depth model: {exc}") from None
        return model.eval()

    @classmethod
    def load(cls, path: str | os.PathLike, map_location: str | torch.device = "cpu") -> "DepthModel":
        """Read a file written by `save`; ValueError if it is missing, corrupt or not a depth model."""
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"depth model {str(p)!r} does not exist")
        try:
            blob = torch.load(p, map_location=map_location, weights_only=True)
        except Exception as exc:  # torch raises many kinds on a corrupt file
            raise ValueError(f"depth model {str(p)!r} is unreadable (corrupt or truncated?): {exc}") from None
        return cls.from_blob(blob, f"depth model {str(p)!r}")
