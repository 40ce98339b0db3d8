"""One sampler run, Qt-free: settings, the core sampler and its state, a bounded history, snapshots.

A `SamplerRun` is stepped by exactly one thread at a time (its `lock`): the play worker, or the GUI
thread for a single Step. Whatever it hands out (`snapshot`, `history_window`, …) is a numpy copy,
never a live tensor, so a view can keep it while the chains move on.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from core import diagnostics, samplers
from core.energies.base import Energy

INIT_MODES = ("uniform", "point", "blob")
MAX_CHAINS = 100_000
HISTORY_STEPS = 2000  # ring buffer length (steps)
HISTORY_CHAINS = 1000  # chains recorded in the ring buffer (the first ones)
DETAIL_CHAINS = 50  # chains drawn with trails and proposals
TRAIL_STEPS = 20  # positions per trail
PATH_MAX_CHAINS = 1000  # HMC records leapfrog paths up to this many chains
DENSITY_ABOVE = 20_000  # above this many chains the map shows a density image, not points
DENSITY_BINS = 128
BLOB_SEED_OFFSET = 1_000_003  # the blob's generator must not share the sampler's noise stream


@dataclass(frozen=True)
class RunSettings:
    """What defines a run: sampler and parameters, chains, seed and how chains start.

    `init`: "uniform" over the box (core default), "point" (all chains at `centre`) or "blob"
    (Gaussian of std `radius` around `centre`, or the box centre when `centre` is None).
    """

    sampler: str = "mala"
    params: dict[str, Any] = field(default_factory=dict)
    n_chains: int = 1000
    seed: int = 0
    init: str = "uniform"
    centre: tuple[float, ...] | None = None
    radius: float = 0.5

    def with_(self, **changes: Any) -> RunSettings:
        """A copy with `changes` applied."""
        return replace(self, **changes)


def box_centre(energy: Energy) -> tuple[float, ...]:
    """Centre of the energy's view box."""
    return tuple((lo + hi) / 2 for lo, hi in energy.bounds)


def initial_positions(settings: RunSettings, energy: Energy) -> torch.Tensor | None:
    """x0 for `Sampler.init`: None (uniform), the point (dim,), or a seeded blob (n, dim)."""
    if settings.init not in INIT_MODES:
        raise ValueError(f"unknown start {settings.init!r}; allowed: {', '.join(INIT_MODES)}")
    if settings.init == "uniform":
        return None
    centre = settings.centre if settings.centre is not None else box_centre(energy)
    c = torch.tensor(centre[: energy.dim], dtype=torch.float32)
    if c.numel() != energy.dim or not torch.isfinite(c).all():
        raise ValueError(f"the start point must have {energy.dim} finite coordinates, got {centre!r}")
    if settings.init == "point":
        return c
    if not (settings.radius > 0 and math.isfinite(settings.radius)):
        raise ValueError(f"the blob radius must be a finite number > 0, got {settings.radius!r}")
    gen = torch.Generator().manual_seed(int(settings.seed) + BLOB_SEED_OFFSET)
    return c + settings.radius * torch.randn(settings.n_chains, energy.dim, generator=gen)


def move_scale(sampler: str, params: dict[str, Any]) -> float:
    """Typical length of one move: σ (MH), √ε (Langevin, MALA), ε·L (HMC trajectory)."""
    step = float(params.get("step_size", samplers.DEFAULT_STEP_SIZE.get(sampler, 0.1)))
    if sampler == "mh":
        return step
    if sampler == "hmc":
        return step * int(params.get("n_leapfrog", 10))
    return math.sqrt(step)


class History:
    """Ring buffer of the last `capacity` states of the first `m` chains: t, x (m, dim), accepted (m,)."""

    def __init__(self, n_chains: int, dim: int, capacity: int = HISTORY_STEPS,
                 max_chains: int = HISTORY_CHAINS) -> None:
        self.m, self.dim, self.capacity = min(n_chains, max_chains), dim, capacity
        self.x = torch.empty(capacity, self.m, dim, dtype=torch.float32)
        self.accepted = torch.zeros(capacity, self.m, dtype=torch.bool)
        self.t = np.zeros(capacity, dtype=np.int64)
        self.count = 0  # states pushed so far (the newest sits at (count - 1) % capacity)

    def __len__(self) -> int:
        return min(self.count, self.capacity)

    def push(self, t: int, x: torch.Tensor, accepted: torch.Tensor | None) -> None:
        """Record the state after step `t` (x: (n, dim), accepted: (n,) or None)."""
        i = self.count % self.capacity
        self.x[i] = x[: self.m]
        if accepted is not None:
            self.accepted[i] = accepted[: self.m]
        else:
            self.accepted[i] = True
        self.t[i] = t
        self.count += 1

    def _order(self, k: int) -> np.ndarray:
        k = min(k, len(self))
        return (np.arange(self.count - k, self.count) % self.capacity).astype(np.int64)

    def last(self, k: int, chains: int | None = None) -> dict[str, np.ndarray]:
        """The last `k` states, oldest first, of the first `chains` recorded chains (numpy copies)."""
        idx = torch.from_numpy(self._order(k))
        c = self.m if chains is None else min(chains, self.m)
        return {"t": self.t[idx.numpy()].copy(), "x": self.x[idx, :c].numpy().copy(),
                "accepted": self.accepted[idx, :c].numpy().copy()}


@dataclass
class Snapshot:
    """What a view needs to draw one frame; numpy copies only.

    x (n, dim) float32 positions; energy (n,) E(x) at T=1; prev/proposal (k, dim) and accepted (k,)
    for the first k ≤ 50 chains (the last step's moves); path (L+1, dim) HMC leapfrog positions of
    chain `path_chain`; trail (s, k, dim) last positions when n ≤ 50; density (bins, bins) counts
    over the box when n > 20 000 (rows are y); counters of the whole run.
    """

    run_id: int
    t: int
    sampler: str
    x: np.ndarray
    energy: np.ndarray
    acceptance: float
    n_diverged: int
    n_divergences: int
    steps_per_s: float = float("nan")
    prev: np.ndarray | None = None
    proposal: np.ndarray | None = None
    accepted: np.ndarray | None = None
    path: np.ndarray | None = None
    path_chain: int = 0
    path_accepted: bool | None = None
    trail: np.ndarray | None = None
    density: np.ndarray | None = None


def density_image(x: np.ndarray, bounds, bins: int = DENSITY_BINS) -> np.ndarray:
    """Counts of 2D points `x (n, 2)` in a bins×bins grid over `bounds`, rows along y, float32."""
    (x0, x1), (y0, y1) = bounds
    i = np.floor((x[:, 0] - x0) * (bins / (x1 - x0)))
    j = np.floor((x[:, 1] - y0) * (bins / (y1 - y0)))
    inside = (i >= 0) & (i < bins) & (j >= 0) & (j < bins)  # NaN compares False: dropped
    flat = j[inside].astype(np.int64) * bins + i[inside].astype(np.int64)
    return np.bincount(flat, minlength=bins * bins).reshape(bins, bins).astype(np.float32)


def _np(t: torch.Tensor) -> np.ndarray:
    """A numpy copy of a tensor (on any device)."""
    return t.detach().cpu().numpy().copy()


class SamplerRun:
    """A core sampler with its state and history on `energy`, tagged with `run_id`.

    Raises ValueError from `core` (bad step size, parameter, start point) in the constructor.
    """

    def __init__(self, energy: Energy, settings: RunSettings, run_id: int = 0) -> None:
        if isinstance(settings.n_chains, bool) or not 1 <= int(settings.n_chains) <= MAX_CHAINS:
            raise ValueError(f"the number of chains must be 1 … {MAX_CHAINS}, got {settings.n_chains!r}")
        self.energy, self.settings, self.run_id = energy, settings, run_id
        self.lock = threading.Lock()
        self.path_chain = 0  # chain whose HMC leapfrog path the snapshots carry
        self.sampler = self._make_sampler(settings.params)
        self.state = self.sampler.init(int(settings.n_chains), seed=int(settings.seed),
                                       x0=initial_positions(settings, energy))
        self.x0 = self.state.x.clone()
        self.history = History(self.state.n_chains, energy.dim)
        self.history.push(0, self.state.x, None)
        self._rate_t0, self._rate_steps, self.steps_per_s = time.perf_counter(), 0, float("nan")

    @property
    def n_chains(self) -> int:
        return self.state.n_chains

    @property
    def t(self) -> int:
        return self.state.t

    def _make_sampler(self, params: dict[str, Any]) -> samplers.Sampler:
        name = self.settings.sampler
        record = name == "hmc" and int(self.settings.n_chains) <= PATH_MAX_CHAINS
        return samplers.create(name, self.energy, record_path=record, **params)

    def set_params(self, params: dict[str, Any]) -> None:
        """New step size / temperature / … for the same chains (ValueError: nothing changes)."""
        sampler = self._make_sampler(params)
        with self.lock:
            self.sampler = sampler
            self.settings = self.settings.with_(params=dict(params))

    def step(self, n: int = 1) -> int:
        """Advance every chain `n` transitions; returns the new t."""
        for _ in range(n):
            with self.lock:
                self.state = self.sampler.step(self.state)
                self.history.push(self.state.t, self.state.x, self.state.accepted)
        self._rate_steps += n
        now = time.perf_counter()
        if now - self._rate_t0 >= 0.5:
            self.steps_per_s = self._rate_steps / (now - self._rate_t0)
            self._rate_t0, self._rate_steps = now, 0
        return self.state.t

    def reset_rate(self) -> None:
        """Start measuring steps/s afresh (after a pause)."""
        self._rate_t0, self._rate_steps, self.steps_per_s = time.perf_counter(), 0, float("nan")

    def snapshot(self) -> Snapshot:
        """Numpy copies of what the views draw (see `Snapshot`)."""
        with self.lock:
            st, hist = self.state, self.history
            n = st.n_chains
            k = min(n, DETAIL_CHAINS)
            snap = Snapshot(
                run_id=self.run_id, t=st.t, sampler=self.settings.sampler,
                x=_np(st.x), energy=_np(st.energy.to(torch.float32)),
                acceptance=diagnostics.acceptance_rate(st), n_diverged=st.n_diverged,
                n_divergences=st.n_divergences, steps_per_s=self.steps_per_s)
            if st.t > 0 and len(hist) >= 2:
                prev_i = (hist.count - 2) % hist.capacity
                snap.prev = _np(hist.x[prev_i, :k])
            if st.proposal is not None and st.accepted is not None:
                snap.proposal = _np(st.proposal[:k])
                snap.accepted = _np(st.accepted[:k])
            if st.path is not None:
                c = min(max(int(self.path_chain), 0), n - 1)
                snap.path, snap.path_chain = _np(st.path[:, c]), c
                snap.path_accepted = bool(st.accepted[c]) if st.accepted is not None else None
            if n <= DETAIL_CHAINS:
                snap.trail = hist.last(TRAIL_STEPS)["x"]
        if self.energy.dim == 2 and n > DENSITY_ABOVE:
            snap.density = density_image(snap.x, self.energy.bounds)
        return snap

    def history_window(self, steps: int, chains: int) -> dict[str, np.ndarray]:
        """The last `steps` recorded states of the first `chains` chains (numpy copies)."""
        with self.lock:
            return self.history.last(steps, chains)

    def positions(self) -> np.ndarray:
        """Current positions of all chains, (n, dim) numpy copy."""
        with self.lock:
            return _np(self.state.x)

    def trace_record(self) -> dict[str, Any]:
        """Everything the NPZ export writes: the history in time order plus the final positions."""
        with self.lock:
            rec = self.history.last(self.history.capacity)
            rec["final_x"] = _np(self.state.x)
            rec["x0"] = _np(self.x0)
            rec["accept_count"] = _np(self.state.accept_count)
            rec["diverged"] = _np(self.state.diverged)
            rec["divergences"] = _np(self.state.divergences)
            rec["adjusted"] = self.sampler.accept_reject
        return rec
