"""Run directories: what a training run leaves on disk, readable by the app while it is written.

    run/config.json        settings (written once, atomically)
    run/metrics.jsonl      one JSON object per line, appended and flushed at every write
    run/checkpoints/       step-XXXXXXXX.pt and latest.pt, each written to a temp file then renamed
    run/samples/           arrays (e.g. negative samples) as step-XXXXXXXX.npy

A killed run loses at most the step being written: readers skip a torn last line, and checkpoints
are never half-written under their final name.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

CHECKPOINT_GLOB = "step-*.pt"


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class RunDir:
    """A run directory at `path` (created when `create`, else it must exist)."""

    def __init__(self, path: str | os.PathLike, create: bool = True, keep_checkpoints: int = 3) -> None:
        self.path = Path(path)
        self.keep_checkpoints = int(keep_checkpoints)
        if create:
            for sub in ("checkpoints", "samples"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir():
            raise ValueError(f"no run directory at {str(self.path)!r}")

    # --- config -------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    def write_config(self, config: dict[str, Any]) -> None:
        """Write config.json atomically."""
        text = json.dumps(_jsonable(config), indent=2, sort_keys=True).encode()
        _atomic_write(self.config_path, lambda fh: fh.write(text))

    def read_config(self) -> dict[str, Any]:
        """The run's config; ValueError if missing or unreadable."""
        try:
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{str(self.config_path)!r} is missing or not valid JSON: {exc}") from None
        if not isinstance(config, dict):
            raise ValueError(f"{str(self.config_path)!r} is not a JSON object (got {type(config).__name__})")
        return config

    # --- metrics ------------------------------------------------------------------------
    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def log(self, step: int, **metrics: Any) -> None:
        """Append one line {"step": step, **metrics} to metrics.jsonl and flush it."""
        line = json.dumps(_jsonable({"step": int(step), **metrics})) + "\n"
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()

    def read_metrics(self, start_line: int = 0) -> list[dict[str, Any]]:
        """Complete metric records from line `start_line` on (a torn last line is skipped)."""
        return [rec for _, rec in self.iter_metrics(start_line)]

    def iter_metrics(self, start_line: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, record) of complete lines; for following a live run incrementally."""
        if not self.metrics_path.exists():
            return
        with open(self.metrics_path, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh):
                if i < start_line or not line.endswith("\n"):
                    continue
                try:
                    yield i, json.loads(line)
                except json.JSONDecodeError:
                    continue

    def truncate_metrics(self, after_step: int) -> None:
        """Drop records with step > `after_step` (on resume, so metrics match the checkpoint)."""
        keep = [r for r in self.read_metrics() if r.get("step", 0) <= after_step]
        text = "".join(json.dumps(r) + "\n" for r in keep).encode()
        _atomic_write(self.metrics_path, lambda fh: fh.write(text))

    # --- checkpoints --------------------------------------------------------------------
    def save_checkpoint(self, state: dict[str, Any], step: int) -> Path:
        """Write checkpoints/step-N.pt and latest.pt atomically; keep the newest `keep_checkpoints`."""
        folder = self.path / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        blob = {"step": int(step), "state": state}
        path = folder / f"step-{int(step):08d}.pt"
        _atomic_write(path, lambda fh: torch.save(blob, fh))
        _atomic_write(folder / "latest.pt", lambda fh: torch.save(blob, fh))
        for old in sorted(folder.glob(CHECKPOINT_GLOB))[: -self.keep_checkpoints or None]:
            old.unlink(missing_ok=True)
        return path

    def latest_checkpoint(self) -> Path | None:
        """Path of the newest complete checkpoint, or None."""
        latest = self.path / "checkpoints" / "latest.pt"
        if latest.exists():
            return latest
        found = sorted((self.path / "checkpoints").glob(CHECKPOINT_GLOB))
        return found[-1] if found else None

    def load_checkpoint(self, path: str | os.PathLike | None = None) -> tuple[int, dict[str, Any]]:
        """(step, state) of `path` or of the newest checkpoint; ValueError if none is readable."""
        path = Path(path) if path is not None else self.latest_checkpoint()
        if path is None:
            raise ValueError(f"run {str(self.path)!r} has no checkpoint yet")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # torch raises many kinds on a corrupt file
            raise ValueError(f"checkpoint {str(path)!r} is unreadable: {exc}") from None
        return int(blob["step"]), blob["state"]

    # --- samples ------------------------------------------------------------------------
    def save_samples(self, name: str, step: int, array: Any) -> Path:
        """Write samples/NAME-step-N.npy atomically (e.g. negatives, generated images)."""
        arr = np.asarray(array.detach().cpu() if isinstance(array, torch.Tensor) else array)
        path = self.path / "samples" / f"{name}-step-{int(step):08d}.npy"
        _atomic_write(path, lambda fh: np.save(fh, arr))
        return path

    def latest_samples(self, name: str) -> tuple[int, np.ndarray] | None:
        """(step, array) of the newest samples called `name`, or None."""
        found = sorted((self.path / "samples").glob(f"{name}-step-*.npy"))
        if not found:
            return None
        step = int(found[-1].stem.rsplit("-", 1)[-1])
        return step, np.load(found[-1], allow_pickle=False)
