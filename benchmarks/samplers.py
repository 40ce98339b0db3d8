#!/usr/bin/env python
"""Sampler throughput on the banana energy: our samplers next to torchebm and BlackJAX, in one run.

What is measured
    chain-steps per second = n_chains * n_steps / seconds, where one chain-step is one full MCMC
    transition of one chain. For HMC one transition (L = 10 leapfrog steps + accept/reject) counts
    as ONE chain-step on every side. Target: the "banana" energy (a=2, b=0.2, rho=0.5, float32),
    at 1, 100, 10^4 and 10^6 parallel chains, on CPU (and on CUDA when torch sees a GPU).

    ours      core.samplers "langevin" (ULA), "mala", "mh", "hmc" with our default step sizes,
              timed as `Sampler.run(state, k, record_every=0)`.
    torchebm  LangevinDynamics (vs our ULA) and HamiltonianMonteCarlo (vs our HMC), on a
              `torchebm.core.BaseModel` subclass whose forward / gradient are the banana in closed
              form, with the same formulas as ours (no autograd on either side).
    BlackJAX  mala, hmc and additive_step_random_walk.normal_random_walk (vs our MALA, HMC, MH):
              `jax.vmap(alg.step)` over chains inside a `jax.lax.scan` over steps, jit-compiled as
              a whole; log-density = -E written in jax.numpy (gradients by jax.grad, fused by XLA).
    Parameters are converted so that every pair runs the same transition (see `peer_settings`), and
    this is checked before the table is printed (see "Checks" below).

How it is timed (fairness rules)
    - One process, one machine: torch.set_num_threads(--threads, default = the cores this process
      may use, which is also what XLA's CPU client uses by default). JAX runs on CPU
      (JAX_PLATFORMS=cpu) unless CUDA is benchmarked.
    - Every chain starts from an exact draw of the banana, the same points for every side, so all
      timings are at stationarity (no side pays for divergent chains or NaN arithmetic).
    - Warm-up is excluded: ours and torchebm run a few steps first; BlackJAX's whole scan is
      compiled and run once (the compile call), then a second call is timed with
      block_until_ready(). CUDA timings synchronise.
    - Steps per timing are calibrated so one timing takes about --target-seconds (0.8 s; at 10^6
      chains this is a few steps only). Each timing is repeated --repeats (3) times and the BEST
      (fastest) run is reported. "cores" = process CPU time / wall time of that run, i.e. how many
      cores a side actually kept busy.
    - Shared machines: "other processes" = cores the rest of the machine kept busy during the best
      run (from /proc/stat). A busy core stalls every multi-threaded torch op at its barrier, so such
      rows are re-timed (up to --busy-wait seconds in all) and, if still disturbed, marked (busy).

Checks (printed before the table)
    - torchebm draws its noise from a torch.Generator exactly like ours (same shapes, same order),
      so from the same points and seed our ULA/HMC and theirs must land on the same points: the
      max |x_ours - x_torchebm| after 3 steps is printed.
    - BlackJAX has its own RNG, so acceptance rates at stationarity are compared instead
      (ours vs peer, at the largest N measured); a different parametrisation would show there.

Run
    python benchmarks/samplers.py                       # full table, 2-4 min on 2 idle CPU cores
    python benchmarks/samplers.py --quick               # sizes 1 and 100, few steps (smoke test)
    python benchmarks/samplers.py --sizes 1e4,1e6 --samplers mala,hmc --device cpu --markdown b.md

Peers are optional: a peer that cannot be imported (or fails) shows as "n/a (reason)".
"""
from __future__ import annotations

import argparse
import ast
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

REPO = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is benchmarks/ (where this samplers.py could shadow a top-level
# `samplers` module); the engine lives at the repo root and need not be pip-installed.
if sys.path and Path(sys.path[0] or ".").resolve() == REPO / "benchmarks":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from core import energies, samplers  # noqa: E402

# --- what is benchmarked --------------------------------------------------------------------
A, B, RHO = 2.0, 0.2, 0.5  # banana constants, as core/energies/builtin_2d.py Banana defaults
N_LEAPFROG = 10
SEED = 0
ALL_SAMPLERS = ("langevin", "mala", "mh", "hmc")
DEFAULT_SIZES = (1, 100, 10**4, 10**6)
QUICK_SIZES = (1, 100)
# Our app's default step sizes (ULA 0.05, MALA 0.1, MH sigma 0.5, HMC 0.1); peers get the same move.
STEP_SIZE = {name: float(samplers.DEFAULT_STEP_SIZE[name]) for name in ALL_SAMPLERS}
LABEL = {"langevin": "langevin (ULA)", "mala": "mala", "mh": "mh (random walk)",
         "hmc": f"hmc (L={N_LEAPFROG})"}


@dataclass(frozen=True)
class Peer:
    lib: str    # "torchebm" or "blackjax"
    label: str  # table text


PEERS: dict[str, tuple[Peer, ...]] = {
    "langevin": (Peer("torchebm", "torchebm LangevinDynamics"),),
    "mala": (Peer("blackjax", "BlackJAX mala"),),
    "mh": (Peer("blackjax", "BlackJAX normal_random_walk"),),
    "hmc": (Peer("torchebm", "torchebm HamiltonianMonteCarlo"), Peer("blackjax", "BlackJAX hmc")),
}

# (sampler, peer lib, sizes or None for every size, minimum ours/peer ratio, text)
TARGETS: tuple[tuple[str, str, tuple[int, ...] | None, float, str], ...] = (
    ("mala", "blackjax", (10**4, 10**6), 1.0, "our MALA >= 1.0x BlackJAX MALA"),
    ("langevin", "torchebm", None, 2.0, "our ULA >= 2x torchebm Langevin"),
)

BUSY_CORES = 0.25  # other processes using more than this during a timing: the row is flagged


@dataclass
class Config:
    target_s: float = 0.8   # wall time aimed at per timing
    repeats: int = 3        # timings per measurement; the best is reported
    quick: bool = False     # fixed tiny step counts, no calibration, one timing
    quick_steps: int = 10
    max_steps: int = 1_000_000
    busy_wait_s: float = 60.0  # left of the time this run may spend re-timing under outside load


@dataclass
class Timing:
    """One measurement: best of `runs` timings of `steps` transitions of every chain."""

    rate: float | None = None  # chain-steps / s; None when not measured (see note)
    steps: int = 0
    seconds: float = 0.0       # wall time of the best run
    cores: float | None = None  # CPU time / wall time of the best run (None: run too short)
    other: float | None = None  # cores kept busy by OTHER processes during the best run (Linux)
    runs: int = 0
    accept: float | None = None  # mean acceptance over every step run (MH-type samplers)
    note: str = ""


class PeerUnavailable(Exception):
    """A peer cannot run here (not installed, no backend for the device); the message says why."""


# --- the banana, written for each side ------------------------------------------------------
def banana_draws(n: int, seed: int = SEED) -> torch.Tensor:
    """Exact samples (n, 2) float32 of the banana: d ~ N(0, [[1, rho], [rho, 1]]) pushed through
    the inverse of d0 = x0/a, d1 = a*x1 + a*b*(x0^2 + a^2) - 4 (unit Jacobian, so exact)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    d0 = z[:, 0]
    d1 = RHO * z[:, 0] + math.sqrt(1.0 - RHO * RHO) * z[:, 1]
    x0 = A * d0
    x1 = (d1 + 4.0 - A * B * (x0 * x0 + A * A)) / A
    return torch.stack((x0, x1), -1).to(torch.float32)


def banana_energy_grad_torch(x: torch.Tensor, need_grad: bool = True
                             ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """E and dE/dx for torchebm, op for op the same closed form as our `Banana._e_g`."""
    x0, x1 = x[..., 0], x[..., 1]
    d0 = x0 / A
    d1 = A * x1 + (A * B) * (x0 * x0 + A * A) - 4.0
    k = 1.0 / (1.0 - RHO * RHO)
    h0 = k * (d0 - RHO * d1)
    h1 = k * (d1 - RHO * d0)
    e = 0.5 * (d0 * h0 + d1 * h1)
    if not need_grad:
        return e, None
    return e, torch.stack((h0 / A + h1 * (2.0 * A * B) * x0, A * h1), -1)


def banana_logdensity_jax(x: Any) -> Any:
    """log p = -E for one chain x: (2,), in jax.numpy (BlackJAX vmaps it over chains)."""
    d0 = x[0] / A
    d1 = A * x[1] + (A * B) * (x[0] * x[0] + A * A) - 4.0
    return -(d0 * d0 - 2.0 * RHO * d0 * d1 + d1 * d1) / (2.0 * (1.0 - RHO * RHO))


def peer_settings(name: str, lib: str) -> dict[str, float | int]:
    """Peer keyword arguments giving the same transition as our sampler `name`.

    ours ULA/MALA move: x' = x - (eps/2) grad E + sqrt(eps) xi.
      torchebm LangevinDynamics: x' = x - step_size * grad E + sqrt(2 * noise_scale^2 * step_size) xi
        -> step_size = eps/2, noise_scale = 1.
      BlackJAX mala: x' = x + step_size * grad log p + sqrt(2 * step_size) xi -> step_size = eps/2.
    ours HMC: p ~ N(0, I), L velocity-Verlet steps of size eps -> same eps and L on both peers
      (torchebm: mass=None = identity; BlackJAX: inverse_mass_matrix = ones(2)).
    ours MH: x' = x + sigma xi -> BlackJAX normal_random_walk(sigma = [sigma, sigma]) (std devs).
    """
    eps = STEP_SIZE[name]
    if name == "langevin" and lib == "torchebm":
        return {"step_size": eps / 2.0, "noise_scale": 1.0}
    if name == "mala" and lib == "blackjax":
        return {"step_size": eps / 2.0}
    if name == "hmc":
        return {"step_size": eps, "n_leapfrog": N_LEAPFROG}
    if name == "mh" and lib == "blackjax":
        return {"sigma": eps}
    raise ValueError(f"no {lib} peer for {name!r}")


# --- runners: each advances its chains by k transitions ----------------------------------------
class Runner:
    """Runs k transitions of all chains, blocking until done; `compiled`: each new k compiles."""

    compiled = False
    warmup_steps = 1  # excluded steps before calibration (first-touch allocations, lazy inits)

    def run(self, n_steps: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def sync(self) -> None:
        """Wait for queued device work (CUDA is asynchronous)."""

    def accept_rate(self) -> float | None:
        return None

    def note(self) -> str:
        return ""


def _torch_sync(device: str) -> Callable[[], None]:
    return torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)


# Extra keyword arguments for our samplers.create (--ours-kw), e.g. {"compile": True}.
OURS_KW: dict[str, Any] = {}


class OursRunner(Runner):
    def __init__(self, name: str, x0: torch.Tensor, device: str) -> None:
        extra = {"n_leapfrog": N_LEAPFROG} if name == "hmc" else {}
        self.sampler = samplers.create(name, energies.create("banana", a=A, b=B),
                                       step_size=STEP_SIZE[name], device=device, **extra, **OURS_KW)
        if OURS_KW:  # options such as compiling: let warm-up cover a few compiled blocks
            self.warmup_steps = 64
        self.state = self.sampler.init(x0.shape[0], seed=SEED, x0=x0.to(device))
        self.sync = _torch_sync(device)  # type: ignore[method-assign]

    def run(self, n_steps: int) -> None:
        self.state, _ = self.sampler.run(self.state, n_steps, record_every=0)

    def accept_rate(self) -> float | None:
        if not self.sampler.accept_reject or self.state.t == 0:
            return None
        return float(self.state.accept_count.sum()) / (self.state.n_chains * self.state.t)

    def note(self) -> str:
        n = self.state.n_diverged
        return f"{n} chains diverged" if n else ""


def _import_torchebm() -> Any:
    try:
        import torchebm.core
        import torchebm.samplers
    except Exception as exc:  # ImportError, or a broken install: either way, no peer
        raise PeerUnavailable(f"torchebm not importable: {type(exc).__name__}") from exc
    return torchebm


def make_torchebm_model(device: str) -> Any:
    """The banana as a torchebm BaseModel; `gradient` overridden with the closed form (torchebm's
    documented way to supply an analytic gradient) so neither side pays for autograd."""
    tebm = _import_torchebm()

    class BananaModel(tebm.core.BaseModel):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return banana_energy_grad_torch(x, need_grad=False)[0]

        def gradient(self, x: torch.Tensor, model_kwargs: dict | None = None) -> torch.Tensor:
            return banana_energy_grad_torch(x)[1]

    return BananaModel(device=device)


def make_torchebm_sampler(name: str, device: str) -> Any:
    tebm = _import_torchebm()
    model = make_torchebm_model(device)
    kw = peer_settings(name, "torchebm")
    if name == "langevin":
        return tebm.samplers.LangevinDynamics(model, step_size=kw["step_size"],
                                              noise_scale=kw["noise_scale"], device=device)
    # HamiltonianMonteCarlo: leapfrog with `safe=True` clamps, identity mass (mass=None).
    return tebm.samplers.HamiltonianMonteCarlo(model, step_size=kw["step_size"],
                                               n_leapfrog_steps=kw["n_leapfrog"], device=device)


class TorchebmRunner(Runner):
    def __init__(self, name: str, x0: torch.Tensor, device: str) -> None:
        self.sampler = make_torchebm_sampler(name, device)
        self.x = x0.to(device).clone()
        self.gen = torch.Generator(device=device).manual_seed(SEED)
        self.sync = _torch_sync(device)  # type: ignore[method-assign]

    def run(self, n_steps: int) -> None:
        self.x = self.sampler.sample(x=self.x, n_steps=n_steps, generator=self.gen)

    def note(self) -> str:
        bad = int((~torch.isfinite(self.x).all(-1)).sum())
        return f"{bad} chains non-finite" if bad else ""


def _import_jax() -> tuple[Any, Any]:
    try:
        import blackjax
        import jax
    except Exception as exc:
        raise PeerUnavailable(f"jax/blackjax not importable: {type(exc).__name__}") from exc
    return jax, blackjax


def _jax_device(device: str) -> Any:
    jax, _ = _import_jax()
    platform_name = "cpu" if device == "cpu" else "gpu"
    try:
        return jax.devices(platform_name)[0]
    except RuntimeError as exc:
        raise PeerUnavailable(f"JAX has no {device} backend") from exc


def make_blackjax_algorithm(name: str) -> Any:
    jax, blackjax = _import_jax()
    kw = peer_settings(name, "blackjax")
    if name == "mala":
        return blackjax.mala(banana_logdensity_jax, step_size=kw["step_size"])
    if name == "hmc":
        return blackjax.hmc(banana_logdensity_jax, step_size=kw["step_size"],
                            inverse_mass_matrix=jax.numpy.ones(2),
                            num_integration_steps=kw["n_leapfrog"])
    return blackjax.additive_step_random_walk.normal_random_walk(
        banana_logdensity_jax, sigma=jax.numpy.full(2, kw["sigma"]))


class BlackjaxRunner(Runner):
    """k steps = one jitted `lax.scan` over k of `vmap(alg.step)`; compiled once per k."""

    compiled = True

    def __init__(self, name: str, x0: torch.Tensor, device: str) -> None:
        jax, _ = _import_jax()
        self.jax = jax
        self.device = _jax_device(device)
        self.n = x0.shape[0]
        alg = make_blackjax_algorithm(name)
        with jax.default_device(self.device):
            pos = jax.device_put(jax.numpy.asarray(x0.cpu().numpy()), self.device)
            self.state = jax.jit(jax.vmap(alg.init))(pos)
            # Accepted-move counter in the carry: ours counts acceptances every step too.
            # Everything committed to the device up front: jit keys its cache on committedness,
            # so an uncommitted input here would make the second (timed) call compile again.
            self.accepted = jax.device_put(jax.numpy.zeros(self.n, dtype=jax.numpy.int32), self.device)
            self.key = jax.device_put(jax.random.PRNGKey(SEED), self.device)
        self.steps_done = 0
        self._step = jax.vmap(alg.step)
        self._loops: dict[int, Callable] = {}

    def _loop(self, n_steps: int) -> Callable:
        """jit(scan) of n_steps transitions; jax.jit compiles on the first call."""
        if n_steps not in self._loops:
            jax, n, step = self.jax, self.n, self._step

            def one(carry: tuple, key: Any) -> tuple[tuple, None]:
                state, accepted = carry
                state, info = step(jax.random.split(key, n), state)
                return (state, accepted + info.is_accepted.astype(accepted.dtype)), None

            def loop(state: Any, accepted: Any, key: Any) -> tuple[Any, Any]:
                carry, _ = jax.lax.scan(one, (state, accepted), jax.random.split(key, n_steps))
                return carry

            self._loops[n_steps] = jax.jit(loop)
        return self._loops[n_steps]

    def run(self, n_steps: int) -> None:
        with self.jax.default_device(self.device):
            self.key, sub = self.jax.random.split(self.key)
            out = self._loop(n_steps)(self.state, self.accepted, sub)
            self.state, self.accepted = self.jax.block_until_ready(out)
        self.steps_done += n_steps

    def accept_rate(self) -> float | None:
        return float(self.accepted.sum()) / (self.n * self.steps_done) if self.steps_done else None


# --- timing -----------------------------------------------------------------------------------
def _machine_busy_s() -> float | None:
    """CPU-seconds the whole machine has been busy (all processes), from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]  # user .. steal (guest is inside user)
        return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait
    except (OSError, ValueError, IndexError, AttributeError):
        return None


MIN_LOAD_WALL_S = 0.25  # shorter timings are too coarse for CPU-use figures


def _timed(runner: Runner, n_steps: int) -> tuple[float, float, float | None]:
    """(wall s, process CPU s, cores used by other processes) of `n_steps` transitions.

    The last value exists because a shared machine skews timings badly: a busy core stalls
    every multi-threaded op at its barrier, so a row measured under load is flagged."""
    runner.sync()
    m0, c0, t0 = _machine_busy_s(), time.process_time(), time.perf_counter()
    runner.run(n_steps)
    runner.sync()
    wall, cpu, m1 = time.perf_counter() - t0, time.process_time() - c0, _machine_busy_s()
    other = None
    if m0 is not None and m1 is not None and wall >= MIN_LOAD_WALL_S:  # /proc/stat ticks are 10 ms
        other = max(0.0, (m1 - m0 - cpu) / wall)
    return wall, cpu, other


def _choose_steps(runner: Runner, n_chains: int, cfg: Config) -> int:
    """Warm the runner up and pick the step count that makes one timing last ~cfg.target_s."""
    if cfg.quick:
        if not runner.compiled:
            runner.run(max(2, runner.warmup_steps))  # warm-up: lazy inits, first-touch allocations
        return cfg.quick_steps
    if runner.compiled:
        # Every new k is a compile, so calibrate in one shot with a length that is cheap at N.
        k = max(1, min(2000, 200_000 // n_chains))
        runner.run(k)  # compile + warm-up, excluded
        wall = _timed(runner, k)[0]
    else:
        runner.run(runner.warmup_steps)  # warm-up, excluded
        k = 1
        while True:  # grow k until a timing is long enough to be trusted (~10% of target)
            wall = _timed(runner, k)[0]
            if wall >= 0.1 * cfg.target_s or k >= cfg.max_steps:
                break
            k = min(cfg.max_steps, k * max(2, min(10, math.ceil(0.1 * cfg.target_s / max(wall, 1e-6)))))
    return int(min(cfg.max_steps, max(1, round(cfg.target_s * k / max(wall, 1e-9)))))


def _busy_timing(timing: tuple[float, float, float | None]) -> bool:
    return timing[2] is not None and timing[2] > BUSY_CORES


def _best_of(runner: Runner, n_steps: int, runs: int) -> tuple[float, float, float | None]:
    if runner.compiled:
        runner.run(n_steps)  # first call of scan(n_steps) compiles: excluded, later calls are timed
    return min((_timed(runner, n_steps) for _ in range(runs)), key=lambda t: t[0])


def measure(make: Callable[[], Runner], n_chains: int, cfg: Config) -> Timing:
    """Best of cfg.repeats timings (1 in --quick) after warm-up and calibration."""
    runner = make()
    n_steps = _choose_steps(runner, n_chains, cfg)
    runs = 1 if cfg.quick else cfg.repeats
    best = _best_of(runner, n_steps, runs)
    if not cfg.quick and best[0] < 0.5 * cfg.target_s and n_steps < cfg.max_steps:
        # The calibration run hit a stall (a sleeping thread, a busy core) and under-estimated
        # the rate, so these timings are too short to trust: calibrate on the best one, redo.
        n_steps = int(min(cfg.max_steps, round(cfg.target_s * n_steps / best[0])))
        best = _best_of(runner, n_steps, runs)
    while not cfg.quick and _busy_timing(best) and cfg.busy_wait_s > 0:
        # Another process was using the cores throughout: wait a moment, time again, keep the best.
        pause = min(2.0, cfg.busy_wait_s)
        time.sleep(pause)
        cfg.busy_wait_s -= pause + runs * best[0]
        best = min(best, _best_of(runner, n_steps, runs), key=lambda t: t[0])
    wall, cpu, other = best
    return Timing(rate=n_chains * n_steps / wall, steps=n_steps, seconds=wall,
                  cores=cpu / wall if wall >= MIN_LOAD_WALL_S else None, other=other, runs=runs,
                  accept=runner.accept_rate(), note=runner.note())


def measure_peer(peer: Peer, name: str, x0: torch.Tensor, device: str, cfg: Config) -> Timing:
    """Like `measure`, but a peer that is missing or fails gives n/a with the reason."""
    cls = TorchebmRunner if peer.lib == "torchebm" else BlackjaxRunner
    try:
        return measure(lambda: cls(name, x0, device), x0.shape[0], cfg)
    except PeerUnavailable as exc:
        return Timing(note=str(exc))
    except Exception as exc:  # a peer's failure must not hide our numbers, but is reported
        return Timing(note=f"error: {type(exc).__name__}: {str(exc)[:80]}")


# --- checks: same transition on both sides ----------------------------------------------------
def check_torchebm_same_moves(names: Sequence[str], n: int = 50, steps: int = 3) -> list[str]:
    """From the same points with the same torch seed, ours and torchebm must take the same moves."""
    lines = []
    x0 = banana_draws(n, seed=SEED + 1)
    for name in names:
        if not any(p.lib == "torchebm" for p in PEERS[name]):
            continue
        try:
            theirs = make_torchebm_sampler(name, "cpu")
        except PeerUnavailable as exc:
            lines.append(f"- {name} vs torchebm: n/a ({exc})")
            continue
        # One chain at a time: ours draws its normals coordinate-major (x[:, k] contiguous) and
        # torchebm row-major (`randn_like` of a row-major x), which is the same memory order only
        # for a single chain; from the same point and seed both must then land on the same point.
        diffs = []
        for i in range(n):
            ours = OursRunner(name, x0[i:i + 1], "cpu")
            ours.state = ours.sampler.init(1, seed=7 + i, x0=x0[i:i + 1])
            ours.run(steps)
            x_theirs = theirs.sample(x=x0[i:i + 1].clone(), n_steps=steps,
                                     generator=torch.Generator().manual_seed(7 + i))
            diffs.append((ours.state.x - x_theirs).abs().amax(-1))
        diff = torch.cat(diffs)
        off = int((diff > 1e-3).sum())
        verdict = "same moves" if off <= max(1, n // 1000) else "DIFFERENT moves"
        lines.append(f"- {name} vs torchebm, {n} chains x {steps} steps, same seed: max |dx| = "
                     f"{float(diff.max()):.2e}, chains off by > 1e-3: {off} -> {verdict}")
    return lines


def check_acceptance(results: dict, names: Sequence[str], sizes: Sequence[int], device: str) -> list[str]:
    """Acceptance at stationarity, ours vs each peer that reports it, at the largest N measured."""
    lines = []
    for name in names:
        for peer in PEERS[name]:
            for n in sorted(sizes, reverse=True):
                ours, theirs = results.get((device, name, n)), results.get((device, name, n, peer.lib))
                if ours is None or theirs is None or ours.accept is None or theirs.accept is None:
                    continue
                a, b = ours.accept, theirs.accept
                # Few-step estimates over many chains: binomial error, plus slack for correlation.
                tol = max(0.01, 6.0 * math.sqrt(max(a * (1 - a), 1e-4) / (n * max(ours.steps, 1))))
                verdict = "consistent" if abs(a - b) <= tol else "INCONSISTENT"
                lines.append(f"- {name} vs {peer.label}, N={fmt_n(n)}: acceptance ours {a:.3f}, "
                             f"peer {b:.3f} -> {verdict} (tolerance {tol:.3f})")
                break
    return lines


# --- reporting --------------------------------------------------------------------------------
def fmt_n(n: int) -> str:
    e = round(math.log10(n)) if n > 0 else 0
    return f"10^{e}" if n >= 10**4 and 10**e == n else str(n)


def fmt_rate(t: Timing) -> str:
    if t.rate is None:
        return f"n/a ({t.note})"
    v = t.rate / 1e6
    s = f"{v:.0f}" if v >= 1000 else f"{v:.3g}"
    return s + (f" ({t.note})" if t.note else "")


def fmt_ratio(ours: Timing, peer: Timing | None) -> str:
    if peer is None or peer.rate is None or ours.rate is None:
        return "—"
    return f"{ours.rate / peer.rate:.2f}x"


def _pair(ours: Timing, peer: Timing | None, fmt: Callable[[Timing], str]) -> str:
    """'ours / peer' of one detail column; the peer half only when it was measured."""
    return fmt(ours) + (f" / {fmt(peer)}" if peer is not None and peer.rate is not None else "")


def fmt_other(ours: Timing, peer: Timing | None) -> str:
    loads = [t.other for t in (ours, peer) if t is not None and t.rate is not None and t.other is not None]
    if not loads:
        return "?"
    worst = max(loads)
    return f"{worst:.2f}" + (" (busy)" if worst > BUSY_CORES else "")


def table(results: dict, names: Sequence[str], sizes: Sequence[int], device: str,
          peer_libs: Sequence[str]) -> list[str]:
    head = ("| sampler | N chains | ours (M chain-steps/s) | peer | peer (M chain-steps/s) | ours/peer "
            "| steps per timing ours / peer | cores used ours / peer | other processes (cores) |")
    lines = [head, "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name in names:
        for n in sizes:
            ours = results[(device, name, n)]
            peers: list[tuple[str, Timing | None]] = [
                (p.label, results[(device, name, n, p.lib)]) for p in PEERS[name] if p.lib in peer_libs]
            for label, t in peers or [("—", None)]:  # ours-only row when peers are disabled
                lines.append(
                    f"| {LABEL[name]} | {fmt_n(n)} | {fmt_rate(ours)} | {label} | "
                    f"{fmt_rate(t) if t is not None else '—'} | {fmt_ratio(ours, t)} | "
                    f"{_pair(ours, t, lambda x: str(x.steps))} | "
                    f"{_pair(ours, t, lambda x: '?' if x.cores is None else f'{x.cores:.1f}')} | "
                    f"{fmt_other(ours, t)} |")
    return lines


def _busy(*timings: Timing | None) -> bool:
    return any(t is not None and t.other is not None and t.other > BUSY_CORES for t in timings)


def target_lines(results: dict, names: Sequence[str], sizes: Sequence[int],
                 devices: Sequence[str]) -> tuple[list[str], bool]:
    lines, failed = [], False
    for name, lib, at, need, text in TARGETS:
        for device in devices:
            for n in (at if at is not None else DEFAULT_SIZES):
                where = f"{text} at N={fmt_n(n)} on {device}"
                ours, peer = results.get((device, name, n)), results.get((device, name, n, lib))
                if name not in names or n not in sizes:
                    lines.append(f"SKIP {where} (not measured in this run)")
                elif peer is None or peer.rate is None or ours is None or ours.rate is None:
                    why = peer.note if peer is not None else f"{lib} disabled"
                    lines.append(f"SKIP {where} (peer n/a: {why})")
                else:
                    ratio = ours.rate / peer.rate
                    ok = ratio >= need
                    failed |= not ok
                    busy = " (measured while other processes were busy)" if _busy(ours, peer) else ""
                    lines.append(f"{'PASS' if ok else 'FAIL'} {where}: {ratio:.2f}x{busy}")
    return lines, failed


def describe_devices(devices: Sequence[str], threads: int) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [f"- cpu: {cpu}, {available_cores()} cores available; torch {torch.__version__} "
             f"with {torch.get_num_threads()} threads (--threads {threads})"]
    if "cuda" in devices:
        lines.append(f"- cuda: {torch.cuda.get_device_name(0)}")
    for mod in ("jax", "blackjax", "torchebm"):
        try:
            m = __import__(mod)
            extra = ""
            if mod == "jax":
                extra = f", devices {[str(d) for d in m.devices()]}"
            lines.append(f"- {mod} {getattr(m, '__version__', '?')}{extra}")
        except Exception as exc:
            lines.append(f"- {mod}: not importable ({type(exc).__name__})")
    busy = other_processes_load()
    if busy is not None:
        lines.append(f"- other processes before the run: {busy:.2f} cores busy (1 s sample)")
        if busy > BUSY_CORES:
            # Other busy processes make multi-threaded torch ops wait for a descheduled thread.
            lines.append("- WARNING: the machine is busy; timings (small N especially) are unreliable")
    return lines


def other_processes_load(seconds: float = 1.0) -> float | None:
    """Cores kept busy by the rest of the machine over `seconds` (we sleep meanwhile)."""
    m0, c0 = _machine_busy_s(), time.process_time()
    time.sleep(seconds)
    m1, c1 = _machine_busy_s(), time.process_time()
    return None if m0 is None or m1 is None else max(0.0, (m1 - m0 - (c1 - c0)) / seconds)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --- command line -----------------------------------------------------------------------------
def parse_sizes(text: str) -> list[int]:
    """'1,100,1e4,10^6' -> [1, 100, 10000, 1000000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().replace("10^", "1e")
        sizes.append(int(float(part)))
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be >= 1")
    return sizes


def _parse_kw(item: str) -> tuple[str, Any]:
    """'compile=True' -> ('compile', True): Python literals, else the string itself."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--ours-kw expects KEY=VALUE, got {item!r}")
    try:
        return key.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return key.strip(), value.strip()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="sizes 1 and 100, few steps, one timing")
    p.add_argument("--sizes", type=parse_sizes, default=None, help="chain counts, e.g. 1,100,1e4,1e6")
    p.add_argument("--samplers", default=",".join(ALL_SAMPLERS), help="comma list of our samplers")
    p.add_argument("--device", default="auto", help="cpu, cuda, cpu,cuda or auto (cpu + cuda if available)")
    p.add_argument("--peers", default="torchebm,blackjax", help="peer libraries to run, or 'none'")
    p.add_argument("--markdown", type=Path, default=None, help="also write the report to this file")
    p.add_argument("--threads", type=int, default=available_cores(), help="torch CPU threads")
    p.add_argument("--target-seconds", type=float, default=0.8, help="wall time aimed at per timing")
    p.add_argument("--repeats", type=int, default=3, help="timings per measurement (best is kept)")
    p.add_argument("--ours-kw", action="append", default=[], metavar="KEY=VALUE",
                   help="extra keyword for our samplers.create, e.g. compile=True (repeatable)")
    p.add_argument("--busy-wait", type=float, default=60.0,
                   help="seconds the run may spend re-timing measurements disturbed by other processes")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target FAILs")
    args = p.parse_args(argv)
    args.samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    bad = [s for s in args.samplers if s not in ALL_SAMPLERS]
    if bad:
        p.error(f"unknown sampler(s) {bad}; choose from {list(ALL_SAMPLERS)}")
    args.peers = [] if args.peers.strip() == "none" else [s.strip() for s in args.peers.split(",")]
    try:
        args.ours_kw = dict(_parse_kw(item) for item in args.ours_kw)
    except ValueError as exc:
        p.error(str(exc))
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.device == "auto":
        args.devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    else:
        args.devices = [d.strip() for d in args.device.split(",")]
        if "cuda" in args.devices and not torch.cuda.is_available():
            p.error("--device cuda requested but torch.cuda.is_available() is False")
    return args


def configure_backends(devices: Sequence[str], threads: int) -> None:
    """Must run before jax is imported: JAX reads these variables once, at backend start."""
    if "cuda" in devices:
        # Let JAX find its GPU; don't let it grab 75% of GPU memory that torch also needs.
        os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    else:
        os.environ["JAX_PLATFORMS"] = "cpu"
    torch.set_num_threads(threads)


def run_benchmark(args: argparse.Namespace, cfg: Config, log: Callable[[str], None]) -> dict:
    results: dict = {}
    draws: dict[int, torch.Tensor] = {}
    for device in args.devices:
        for name in args.samplers:
            for n in args.sizes:
                x0 = draws.setdefault(n, banana_draws(n))
                ours = measure(lambda: OursRunner(name, x0, device), n, cfg)
                results[(device, name, n)] = ours
                log(f"  {device} {name:8s} N={fmt_n(n):>5s} ours {fmt_rate(ours)} M/s")
                for peer in PEERS[name]:
                    if peer.lib not in args.peers:
                        continue
                    t = measure_peer(peer, name, x0, device, cfg)
                    results[(device, name, n, peer.lib)] = t
                    log(f"  {device} {name:8s} N={fmt_n(n):>5s} {peer.label} {fmt_rate(t)} M/s")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_backends(args.devices, args.threads)
    OURS_KW.update(args.ours_kw)
    cfg = Config(target_s=args.target_seconds, repeats=max(1, args.repeats), quick=args.quick,
                 busy_wait_s=args.busy_wait)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # progress, kept out of the table

    t_start = time.perf_counter()
    report = ["# Sampler throughput: banana energy (a=2, b=0.2, rho=0.5), float32", ""]
    report += describe_devices(args.devices, args.threads)
    steps = ", ".join(f"{k} {v}" for k, v in STEP_SIZE.items() if k in args.samplers)
    if OURS_KW:
        report.append(f"- ours created with extra options {OURS_KW}")
    report += [f"- step sizes (ours; peers converted to the same move): {steps}; HMC L={N_LEAPFROG}",
               f"- timing: best of {1 if cfg.quick else cfg.repeats} runs of ~"
               f"{'a few steps (--quick)' if cfg.quick else f'{cfg.target_s} s'} each, after warm-up"
               " (BlackJAX: after its compile call); chains start at exact banana draws", ""]
    checks = check_torchebm_same_moves(args.samplers) if "torchebm" in args.peers else []
    results = run_benchmark(args, cfg, log)
    for device in args.devices:
        checks += check_acceptance(results, args.samplers, args.sizes, device)
    report += ["## Checks: same transition on both sides", ""] + (checks or ["- (none run)"]) + [""]
    for device in args.devices:
        report += [f"## {device}: chain-steps per second (millions; higher is better)", ""]
        report += table(results, args.samplers, args.sizes, device, args.peers) + [""]
    if any(_busy(t) for t in results.values()):
        report += [f"(busy): other processes kept more than {BUSY_CORES} cores busy during that timing,"
                   " which stalls multi-threaded ops; rerun on an idle machine before trusting it.", ""]
    targets, failed = target_lines(results, args.samplers, args.sizes, args.devices)
    report += ["## Targets", ""] + targets + [""]
    report.append(f"total benchmark time: {time.perf_counter() - t_start:.0f} s")

    text = "\n".join(report) + "\n"
    print(text, end="")
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
