"""Energy Workbench engine: energies, exact landscapes, MCMC samplers and diagnostics (no Qt here)."""
from core import diagnostics, energies, landscape, samplers  # noqa: F401

__all__ = ["energies", "landscape", "samplers", "diagnostics"]
__version__ = "0.1.0"
