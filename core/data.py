"""2D point datasets (seeded generators, the usual toy sets of the EBM/flow literature) and loaders.

    data.names()                          # "8gaussians", "ring", "two_moons", ...
    data.sample("two_moons", 1000, seed=0)   # (1000, 2) float32, roughly inside data.BOUNDS
    data.load_points("points.csv")        # (n, 2) from a CSV or .npy file
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from core.registry import Registry

BOUNDS = [(-4.0, 4.0), (-4.0, 4.0)]  # every built-in set lies (almost) entirely inside this box
Generator = Callable[[int, torch.Generator], torch.Tensor]
DATASETS: Registry[Generator] = Registry("dataset")


def names() -> list[str]:
    """Registered dataset names."""
    return DATASETS.names()


def sample(name: str, n: int, seed: int = 0) -> torch.Tensor:
    """`n` points of dataset `name` as float32 (n, 2); the same seed gives the same points."""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    gen = torch.Generator().manual_seed(int(seed))
    return DATASETS.get(name)(int(n), gen).to(torch.float32)


def _randn(n: int, g: torch.Generator, d: int = 2) -> torch.Tensor:
    return torch.randn(n, d, generator=g, dtype=torch.float64)


def _rand(n: int, g: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=g, dtype=torch.float64)


@DATASETS.register("8gaussians")
def eight_gaussians(n: int, g: torch.Generator) -> torch.Tensor:
    """Eight Gaussians (σ 0.5/√2·… as in FFJORD) evenly spaced on a circle of radius 4/√2."""
    k = torch.randint(0, 8, (n,), generator=g)
    angle = k.to(torch.float64) * (2 * math.pi / 8)
    centres = 4.0 * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    return (centres + 0.5 * _randn(n, g)) / math.sqrt(2)


@DATASETS.register("ring")
def ring(n: int, g: torch.Generator) -> torch.Tensor:
    """A ring of radius 2.5 with radial noise σ 0.15."""
    angle = 2 * math.pi * _rand(n, g)
    r = 2.5 + 0.15 * _randn(n, g, 1)[:, 0]
    return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], -1)


@DATASETS.register("two_moons")
def two_moons(n: int, g: torch.Generator) -> torch.Tensor:
    """Two interleaved half circles (scikit-learn's make_moons, noise 0.1), scaled ×2 and centred."""
    upper = torch.rand(n, generator=g) < 0.5
    t = math.pi * _rand(n, g)
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x, y], -1) + 0.1 * _randn(n, g)
    return 2.0 * (pts - torch.tensor([0.5, 0.25], dtype=torch.float64))


@DATASETS.register("swiss_roll")
def swiss_roll(n: int, g: torch.Generator) -> torch.Tensor:
    """A 2D Swiss roll (t ∈ [1.5π, 4.5π], point t·(cos t, sin t)/5) with noise σ 0.2."""
    t = 1.5 * math.pi * (1 + 2 * _rand(n, g))
    pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], -1) / 5.0
    return pts + 0.2 * _randn(n, g)


@DATASETS.register("checkerboard")
def checkerboard(n: int, g: torch.Generator) -> torch.Tensor:
    """Uniform on the 8 black squares of a 4×4 checkerboard over [-4, 4]²."""
    x1 = 4 * _rand(n, g) - 2
    x2 = _rand(n, g) - 2 * torch.randint(0, 2, (n,), generator=g).to(torch.float64)
    x2 = x2 + torch.floor(x1) % 2
    return 2.0 * torch.stack([x1, x2], -1)


@DATASETS.register("pinwheel")
def pinwheel(n: int, g: torch.Generator) -> torch.Tensor:
    """Five curved arms (radial σ 0.3, tangential σ 0.1, rate 0.25), as in FFJORD's toy data."""
    k = torch.randint(0, 5, (n,), generator=g).to(torch.float64)
    feats = _randn(n, g) * torch.tensor([0.3, 0.1], dtype=torch.float64) + torch.tensor([1.0, 0.0], dtype=torch.float64)
    angle = k * (2 * math.pi / 5) + 0.25 * torch.exp(feats[:, 0])
    c, s = torch.cos(angle), torch.sin(angle)
    return 2.0 * torch.stack([c * feats[:, 0] - s * feats[:, 1], s * feats[:, 0] + c * feats[:, 1]], -1)


@DATASETS.register("spirals")
def spirals(n: int, g: torch.Generator) -> torch.Tensor:
    """Two interleaved spirals (FFJORD's 2spirals), noise σ 0.1."""
    t = torch.sqrt(_rand(n, g)) * 540 * (2 * math.pi / 360)
    d = torch.stack([-torch.cos(t) * t, torch.sin(t) * t], -1) + 0.5 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
    return d * sign[:, None] / 3 + 0.1 * _randn(n, g)


def load_points(path: str | Path) -> torch.Tensor:
    """Points from a CSV (comma/whitespace separated, optional header) or .npy file as float32 (n, 2)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no data file at {str(path)!r}")
    try:
        if path.suffix.lower() == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            text = path.read_text(errors="strict")
            first = text.splitlines()[0] if text.strip() else ""
            delimiter = "," if "," in first else None
            with warnings.catch_warnings():  # an empty file is reported below, not warned about
                warnings.simplefilter("ignore", UserWarning)
                try:
                    arr = np.loadtxt(path, delimiter=delimiter, ndmin=2)
                except ValueError:
                    arr = np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=1)
    except Exception as exc:  # a corrupt .npy header alone raises SyntaxError, TokenError, EOFError…
        raise ValueError(f"could not read points from {str(path)!r}: {type(exc).__name__}: {exc}") from None
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"{str(path)!r} must hold an (n, 2) array of points, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        raise ValueError(f"{str(path)!r} contains non-numeric or non-finite values")
    return torch.as_tensor(arr, dtype=torch.float32)
