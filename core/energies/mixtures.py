"""Elementwise log-sum-exp over a few tensors, for mixture energies and their gradients."""
from __future__ import annotations

import torch


def logsumexp_parts(logs: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """log Σₖ exp(lₖ) and the softmax weights, elementwise over a few same-shape tensors.

    Faster than stacking into a small trailing axis and reducing over it (no strided reductions).
    """
    m = logs[0]
    for l in logs[1:]:
        m = torch.maximum(m, l)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    ex = [torch.exp(l - m) for l in logs]
    total = ex[0]
    for t in ex[1:]:
        total = total + t
    inv = 1.0 / total
    return m + torch.log(total), [t * inv for t in ex]
