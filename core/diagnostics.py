"""MCMC diagnostics: acceptance rate, rank-normalised split R-hat and bulk ESS (Vehtari et al. 2021),
and the total-variation distance of samples to the exact grid density.

Traces are `(n_steps, n_chains, dim)` as produced by `Sampler.run`; results are per dimension `(dim,)`.
The ESS/R-hat estimators follow ArviZ's (FFT autocovariance, Geyer's initial monotone sequence).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from core import landscape
from core.energies.base import Energy
from core.samplers.base import SamplerState, Trace


def acceptance_rate(trace: Trace | SamplerState) -> float:
    """Fraction of accepted proposals over all chains and steps (1.0 for unadjusted Langevin)."""
    if isinstance(trace, Trace):
        if not trace.adjusted:
            return 1.0
        total = trace.n_steps * trace.accept_count.numel()
    elif isinstance(trace, SamplerState):
        if trace.t and trace.accepted is None:
            return 1.0
        total = trace.t * trace.accept_count.numel()
    else:
        raise ValueError(f"expected a Trace or SamplerState, got {type(trace).__name__}")
    return float(trace.accept_count.sum()) / total if total else float("nan")


def _as_draws(x: Any) -> torch.Tensor:
    """(n_steps, n_chains, dim) → float64 (dim, n_chains, n_steps); ValueError on other shapes."""
    t = torch.as_tensor(x).detach().to("cpu", torch.float64)
    if t.dim() == 2:
        t = t.unsqueeze(-1)
    if t.dim() != 3:
        raise ValueError(f"expected a trace of shape (n_steps, n_chains, dim), got {tuple(t.shape)}")
    if t.shape[0] < 4:
        raise ValueError(f"need at least 4 steps per chain for split diagnostics, got {t.shape[0]}")
    return t.permute(2, 1, 0)


def _split_chains(d: torch.Tensor) -> torch.Tensor:
    """(dim, m, n) → (dim, 2m, n//2): each chain's first and last halves (middle draw dropped if odd)."""
    half = d.shape[-1] // 2
    return torch.cat((d[..., :half], d[..., -half:]), dim=1)


def _z_scale(d: torch.Tensor) -> torch.Tensor:
    """Rank-normalise each dimension over all chains and draws: Φ⁻¹((r − 3/8)/(S + 1/4)), ties averaged."""
    flat = d.reshape(d.shape[0], -1)
    size = flat.shape[1]
    out = torch.empty_like(flat)
    for k in range(flat.shape[0]):
        vals, order = torch.sort(flat[k])
        _, counts = torch.unique_consecutive(vals, return_counts=True)
        ends = torch.cumsum(counts, 0).to(torch.float64)
        avg = ends - (counts.to(torch.float64) - 1) / 2  # average 1-based rank of each tie group
        ranks = torch.empty(size, dtype=torch.float64)
        ranks[order] = torch.repeat_interleave(avg, counts)
        out[k] = torch.special.ndtri((ranks - 0.375) / (size + 0.25))
    return out.reshape(d.shape)


def _rhat_basic(d: torch.Tensor) -> torch.Tensor:
    """Classic R-hat of (dim, m, n) chains."""
    n = d.shape[-1]
    chain_mean = d.mean(-1)
    within = d.var(-1, unbiased=True).mean(-1)
    between = n * chain_mean.var(-1, unbiased=True)
    return torch.sqrt((between / within + n - 1) / n)


def rhat(x: Any) -> torch.Tensor:
    """Rank-normalised split R-hat per dimension, max of bulk and tail (folded) versions → (dim,)."""
    d = _split_chains(_as_draws(x))
    if d.shape[1] < 2:
        raise ValueError("R-hat needs at least one chain of 4+ steps")
    bulk = _rhat_basic(_z_scale(d))
    med = torch.from_numpy(np.median(d.reshape(d.shape[0], -1).numpy(), axis=-1))
    folded = (d - med[:, None, None]).abs()
    tail = _rhat_basic(_z_scale(folded))
    out = torch.maximum(bulk, tail)
    const = _constant(d)
    return torch.where(const, torch.full_like(out, float("nan")), out)


def _constant(d: torch.Tensor) -> torch.Tensor:
    flat = d.reshape(d.shape[0], -1)
    return (flat.max(-1).values - flat.min(-1).values) < np.finfo(float).resolution


def _autocov(d: torch.Tensor) -> torch.Tensor:
    """Biased autocovariance along the last axis by FFT: (…, n) → (…, n)."""
    n = d.shape[-1]
    c = d - d.mean(-1, keepdim=True)
    f = torch.fft.rfft(c, n=2 * n)
    return torch.fft.irfft(f * f.conj(), n=2 * n)[..., :n] / n


def _ess_one(acov: np.ndarray, chain_mean: np.ndarray) -> float:
    """ESS of one dimension from per-chain autocovariances (m, n) and chain means (m,)."""
    m, n = acov.shape
    mean_var = acov[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if m > 1:
        var_plus += chain_mean.var(ddof=1)
    rho = np.zeros(n)
    mean_acov = acov.mean(0)
    rho_even, rho_odd = 1.0, 1.0 - (mean_var - mean_acov[1]) / var_plus
    rho[0], rho[1] = rho_even, rho_odd
    t = 1
    # Geyer's initial positive sequence
    while t < n - 3 and rho_even + rho_odd > 0.0:
        rho_even = 1.0 - (mean_var - mean_acov[t + 1]) / var_plus
        rho_odd = 1.0 - (mean_var - mean_acov[t + 2]) / var_plus
        if rho_even + rho_odd >= 0:
            rho[t + 1], rho[t + 2] = rho_even, rho_odd
        t += 2
    max_t = t - 2
    if rho_even > 0:
        rho[max_t + 1] = rho_even
    # Geyer's initial monotone sequence
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    total = m * n
    tau = -1.0 + 2.0 * rho[: max_t + 1].sum() + rho[max_t + 1 : max_t + 2].sum()
    tau = max(tau, 1.0 / math.log10(total))
    return float("nan") if np.isnan(rho).any() else total / tau


def ess(x: Any) -> torch.Tensor:
    """Bulk effective sample size per dimension (rank-normalised split chains) → (dim,)."""
    d = _z_scale(_split_chains(_as_draws(x)))
    acov = _autocov(d).numpy()
    means = d.mean(-1).numpy()
    const = _constant(_split_chains(_as_draws(x)))
    out = [float(d.shape[1] * d.shape[2]) if const[k] else _ess_one(acov[k], means[k])
           for k in range(d.shape[0])]
    return torch.tensor(out, dtype=torch.float64)


def histogram(samples: Any, bounds, resolution: int) -> tuple[torch.Tensor, int]:
    """Counts of `samples (…, dim)` in the `resolution`**dim cells over `bounds`, and the total count."""
    x = torch.as_tensor(samples).detach().to("cpu", torch.float64)
    dim = len(bounds)
    if x.shape[-1] != dim:
        raise ValueError(f"samples must have last dimension {dim}, got shape {tuple(x.shape)}")
    x = x.reshape(-1, dim)
    lo = torch.tensor([b[0] for b in bounds], dtype=torch.float64)
    hi = torch.tensor([b[1] for b in bounds], dtype=torch.float64)
    idx = torch.floor((x - lo) / (hi - lo) * resolution)
    inside = (torch.isfinite(x).all(-1) & (idx >= 0).all(-1) & (idx < resolution).all(-1))
    idx = idx[inside].long()
    flat = torch.zeros(idx.shape[0], dtype=torch.long)
    for k in range(dim):
        flat = flat * resolution + idx[:, k]
    counts = torch.bincount(flat, minlength=resolution**dim).reshape((resolution,) * dim)
    return counts, x.shape[0]


def tv_distance(samples: Any, E: Energy, resolution: int = 128, temperature: float = 1.0,
                bounds=None) -> float:
    """Total-variation distance between the sample histogram and the exact grid density of E at T.

    Samples outside the bounds (or non-finite) count as mass the exact density does not have.
    """
    exact = landscape.density(E, resolution, temperature, bounds)
    counts, total = histogram(samples, exact.bounds, resolution)
    if total == 0:
        raise ValueError("tv_distance needs at least one sample")
    p_hat = counts.to(torch.float64) / total
    outside = 1.0 - float(p_hat.sum())
    return 0.5 * (float((p_hat - exact.cell_probabilities).abs().sum()) + outside)


def summary(trace: Trace, E: Energy | None = None, temperature: float = 1.0, burn_in: int = 0) -> dict[str, Any]:
    """Acceptance, per-dimension ESS and R-hat, divergences and (for 1D/2D E) the TV distance."""
    x = trace.x[burn_in:]
    out: dict[str, Any] = {"sampler": trace.sampler, "n_chains": trace.x.shape[1], "n_steps": trace.n_steps,
                           "acceptance": acceptance_rate(trace),
                           "diverged_chains": int(trace.diverged.sum()),
                           "divergences": int(trace.divergences.sum())}
    if x.shape[0] >= 4:
        out["ess"] = ess(x).tolist()
        out["rhat"] = rhat(x).tolist()
    if E is not None and E.dim <= 2 and x.shape[0] > 0:
        out["tv"] = tv_distance(x, E, temperature=temperature)
    return out
