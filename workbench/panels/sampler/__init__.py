"""The Sampler panel: MCMC chains on the shared energy, step by step or live, with diagnostics.

Modules: `session` (a run: sampler, state, history, snapshots; Qt-free), `worker` (the play thread),
`controls`, `views` and `overlay` (the map with chains), `live_plots`, `diagnostics_view`, `export`,
and `panel`, which composes them.
"""
from workbench.panels.sampler.panel import SamplerPanel

__all__ = ["SamplerPanel"]
