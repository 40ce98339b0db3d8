"""Training losses for p(y | x) ∝ exp(f(x, y)) (REFERENCES §3); all return a scalar to minimise.

Shapes: f_true (n,), f_samples (n, M), log_q (n, M). The fixed proposal is an equal mixture of K
Gaussians centred on the target: q(y | y_i) = (1/K) Σ_k N(y; y_i, σ_k²).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def mixture_sample(y_true: torch.Tensor, sigmas: Sequence[float], m: int,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """M draws per target from q(y | y_i): y_true (n, 1) → (n, M, 1)."""
    n = y_true.shape[0]
    comp = torch.randint(0, len(sigmas), (n, m), generator=generator, device=y_true.device)
    sd = torch.as_tensor(sigmas, dtype=y_true.dtype, device=y_true.device)[comp]
    eps = torch.randn(n, m, generator=generator, device=y_true.device, dtype=y_true.dtype)
    return (y_true + sd * eps).unsqueeze(-1)


def mixture_log_prob(y: torch.Tensor, y_true: torch.Tensor, sigmas: Sequence[float]) -> torch.Tensor:
    """log q(y | y_i): y (n, M, 1), y_true (n, 1) → (n, M)."""
    d = (y.squeeze(-1) - y_true)[..., None]  # (n, M, 1)
    sd = torch.as_tensor(sigmas, dtype=y.dtype, device=y.device)
    comp = -0.5 * (d / sd) ** 2 - torch.log(sd) - LOG_SQRT_2PI
    return torch.logsumexp(comp, -1) - math.log(len(sigmas))


def log_z_estimate(f_samples: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """Importance-sampling log Ẑ = logsumexp(f_m − log q_m) − log M, per example (n,)."""
    return torch.logsumexp(f_samples - log_q, -1) - math.log(f_samples.shape[-1])


def ml_is(f_true: torch.Tensor, f_samples: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """ML with importance sampling: mean(log Ẑ − f(x_i, y_i))."""
    return (log_z_estimate(f_samples, log_q) - f_true).mean()


def kld(f_samples: torch.Tensor, log_q: torch.Tensor, log_p_label: torch.Tensor) -> torch.Tensor:
    """KL to a label density p(y | y_i): mean(log Ẑ − (1/M) Σ f_m p_m / q_m)."""
    weights = torch.exp(log_p_label - log_q)
    return (log_z_estimate(f_samples, log_q) - (f_samples * weights).mean(-1)).mean()


def nce(f_true: torch.Tensor, f_samples: torch.Tensor, log_q_true: torch.Tensor,
        log_q: torch.Tensor) -> torch.Tensor:
    """NCE: softmax cross-entropy picking the true target among {y_i} ∪ {y_m}, logits f − log q."""
    logits = torch.cat([(f_true - log_q_true)[:, None], f_samples - log_q], -1)
    return (torch.logsumexp(logits, -1) - logits[:, 0]).mean()


def ml_mcmc(f_true: torch.Tensor, f_samples: torch.Tensor) -> torch.Tensor:
    """ML with MCMC samples: mean over examples of (mean_m f(y_m) − f(y_i))."""
    return (f_samples.mean(-1) - f_true).mean()


def dsm(grad_f: torch.Tensor, y_noisy: torch.Tensor, y_true: torch.Tensor, sigma: float) -> torch.Tensor:
    """Denoising score matching: mean ‖∇_ỹ f + (ỹ − y_i)/σ²‖² (grad_f, y_noisy (n, M), y_true (n, 1))."""
    return ((grad_f + (y_noisy - y_true) / sigma**2) ** 2).mean()
