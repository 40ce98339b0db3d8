"""The trainer protocol shared by every training method, and the loop that drives it.

A trainer is stepped: `metrics = trainer.step()` (dict of scalars, sometimes arrays under keys
starting with "samples"), `trainer.state_dict()` / `load_state_dict()` make it resumable, and
`trainer.config()` rebuilds it. `fit` runs steps, writes a `RunDir` and stops on NaN.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, ClassVar, Protocol

from core.params import ParamSpec
from core.registry import Registry
from core.runs import RunDir


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the last good checkpoint is kept."""


class Trainer(Protocol):
    """What the CLI and the app rely on."""

    name: ClassVar[str]
    param_specs: ClassVar[tuple[ParamSpec, ...]]
    t: int

    def step(self) -> dict[str, Any]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...
    def config(self) -> dict[str, Any]: ...


TRAINERS: Registry[type] = Registry("trainer")


def create(name: str, **params: Any) -> Trainer:
    """Build trainer `name` (e.g. "ebm2d") with `params`; ValueError on an unknown one."""
    return TRAINERS.get(name)(**params)


def is_sample_key(key: str) -> bool:
    """Keys holding arrays to save under samples/ rather than scalars for metrics.jsonl."""
    return key.startswith("samples")


def train_step(trainer: Trainer, run: RunDir | None = None, samples_every: int = 100) -> dict[str, Any]:
    """One update: time it, raise TrainingDiverged on a NaN/inf loss, log scalars to `run` and save
    sample arrays every `samples_every` steps. Checkpoints are the caller's (fit, the app's worker)."""
    t0 = time.perf_counter()
    metrics = trainer.step()
    metrics["time_per_step"] = time.perf_counter() - t0
    loss = metrics.get("loss")
    if loss is not None and not math.isfinite(float(loss)):
        raise TrainingDiverged(f"loss became {loss} at step {trainer.t}; stopped, last good checkpoint kept")
    if run is not None:
        run.log(trainer.t, **{k: v for k, v in metrics.items() if not is_sample_key(k)})
        if trainer.t % samples_every == 0:
            for k, v in metrics.items():
                if is_sample_key(k):
                    run.save_samples(k, trainer.t, v)
    return metrics


def fit(trainer: Trainer, steps: int, run: RunDir | None = None, checkpoint_every: int = 500,
        samples_every: int = 100, callback: Callable[[dict[str, Any]], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Step `trainer` until it has done `steps` in total; log to `run`; return the last metrics.

    Checkpoints every `checkpoint_every` steps and at the end; raises TrainingDiverged (after
    keeping the last good checkpoint) when a loss turns NaN/inf.
    """
    if run is not None and not run.config_path.exists():
        run.write_config({"trainer": trainer.name, "params": trainer.config()})
    last: dict[str, Any] = {}
    while trainer.t < steps:
        if should_stop is not None and should_stop():
            break
        metrics = train_step(trainer, run, samples_every)
        if run is not None and trainer.t % checkpoint_every == 0:
            run.save_checkpoint(trainer.state_dict(), trainer.t)
        last = metrics
        if callback is not None:
            callback(metrics)
    if run is not None and trainer.t and (run.latest_checkpoint() is None or trainer.t % checkpoint_every):
        run.save_checkpoint(trainer.state_dict(), trainer.t)
    return last


def resume(path: Any) -> tuple[Trainer, RunDir]:
    """Rebuild the trainer of run directory `path` from its config and newest checkpoint."""
    run = RunDir(path, create=False)
    config = run.read_config()
    trainer = create(config["trainer"], **config.get("params", {}))
    try:
        step, state = run.load_checkpoint()
    except ValueError:
        return trainer, run  # nothing saved yet: start over with the same config
    trainer.load_state_dict(state)
    run.truncate_metrics(step)
    return trainer, run
