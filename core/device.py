"""Choose the compute device: cuda → mps → cpu."""
from __future__ import annotations

import torch


def pick(preferred: str | torch.device | None = None) -> torch.device:
    """Return `preferred` if given, else the best available device (cuda, then mps, then cpu)."""
    if preferred is not None:
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
