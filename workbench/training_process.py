"""The training process: steps `core` trainers for one Training page, away from the GUI process (Qt-free).

Why a process and not a thread: a thread training in the GUI process holds the GIL for much of each
step, and with several pages training the GUI thread waited for it between every draw call (the
monkey saw actions of up to 53 s). A process has its own interpreter, so the GUI never waits for it.

The page's `TrainWorker` starts it as `python -m workbench.training_process IN OUT --nice N
--threads T` would (fork + exec of a fresh interpreter, like multiprocessing's "spawn": nothing of the
Qt process is copied), IN and OUT being pipe descriptors carrying pickled messages
(`multiprocessing.connection.Connection`):

    GUI → process   ("start", run_id, settings, frame_s, views)   ("stop" | "pause" | "resume" | "save", run_id)
                    ("views", wanted)  ("ack",)  ("snapshot", run_id, fn)  ("quit",)
    process → GUI   ("ready", pid, nice)  ("started", run_id, path)  ("snapshot", TrainSnapshot)
                    ("saved", run_id, step, path)  ("ended", run_id, reason, message)

A run is what the app's worker thread did before: config.json at the start, `run.log(t, **scalars)`
every step, samples every 100 steps, a checkpoint every 500 steps and on stop/save/end; a NaN loss ends
the run as "diverged" and keeps the last good checkpoint; an error ends it as "failed" with the error in
words. Commands are acted on between steps. At most one snapshot is in flight: until the GUI acks it the
process keeps stepping and gathers the scalars for the next one. It ends after "quit" (stopping and
checkpointing its run first) or when the GUI's end of the pipe closes (the app ended or crashed).
"""
from __future__ import annotations

import argparse
import math
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

import numpy as np

from workbench.headless import background_priority, describe

FRAME_S = 0.1  # snapshots at most 10 Hz
CHECKPOINT_EVERY = 500
SAMPLES_EVERY = 100
PAUSED_POLL_S = 0.05


def no_views(trainer: Any, first: bool) -> dict[str, Any]:
    """A snapshot with no pictures (scalars only)."""
    return {}


@dataclass
class TrainSettings:
    """One `core.training.create(trainer, **params)` call, the run length and folder, and what to draw.

    `snapshot(trainer, first)` runs in the training process and returns the numpy payload of a snapshot
    (`workbench.snapshots`); it is pickled, so it is a module-level function or a picklable object.
    """

    run_dir: Path
    trainer: str
    params: dict[str, Any] = field(default_factory=dict)
    total_steps: int = 5000
    snapshot: Callable[[Any, bool], dict[str, Any]] = no_views

    def create_trainer(self) -> Any:
        from core import training

        return training.create(self.trainer, **self.params)


@dataclass
class TrainSnapshot:
    """Numpy copies for the views. `history`: the scalar metrics of every step since the last snapshot;
    `payload`: what the settings' `snapshot` function returned (empty while the page is hidden)."""

    run_id: int
    t: int
    total: int
    history: list[dict[str, Any]]
    time_per_step: float
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Job:
    run_id: int
    settings: TrainSettings
    frame_s: float = FRAME_S
    stop: bool = False
    paused: bool = False
    save: bool = False


class Server:
    """Runs the jobs the GUI sends, one at a time, answering on `results`.

    A thread reads the commands as they come into `inbox`, so the GUI's writes never wait for a long
    step (a full pipe would block the GUI thread); the loop handles them between steps."""

    def __init__(self, commands: Connection, results: Connection) -> None:
        self.commands, self.results = commands, results
        self.inbox: queue.Queue[tuple] = queue.Queue()
        self.queue: deque[_Job] = deque()  # started by the GUI, not yet running
        self.job: _Job | None = None  # running
        self.views = True  # the page is shown: snapshots carry pictures
        self.in_flight = False  # a snapshot was sent and not yet acked
        self.quit = False

    def send(self, *message: Any) -> None:
        self.results.send(message)

    def serve(self) -> None:
        threading.Thread(target=self._receive, name="commands", daemon=True).start()
        while not self.quit:
            if self.queue:
                self.run(self.queue.popleft())
            else:
                self.poll(None)

    def _receive(self) -> None:
        """(thread) Commands into the inbox; the GUI gone (end of file) counts as "quit"."""
        try:
            while True:
                self.inbox.put(self.commands.recv())
        except (EOFError, OSError):
            self.inbox.put(("quit",))

    def poll(self, timeout: float | None = 0.0) -> None:
        """Handle the commands waiting (`timeout` None: wait for one, else wait up to `timeout` s)."""
        try:
            message = self.inbox.get(timeout=timeout) if timeout != 0.0 else self.inbox.get_nowait()
            while True:
                self.handle(message)
                message = self.inbox.get_nowait()
        except queue.Empty:
            pass

    def _target(self, run_id: int) -> _Job | None:
        return next((j for j in (self.job, *self.queue) if j is not None and j.run_id == run_id), None)

    def handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "start":
            _, run_id, settings, frame_s, self.views = message
            self.queue.append(_Job(run_id, settings, frame_s))
        elif kind == "quit":
            self.quit = True
            for job in (self.job, *self.queue):
                if job is not None:
                    job.stop = True
        elif kind == "views":
            self.views = bool(message[1])
        elif kind == "ack":
            self.in_flight = False
        elif kind == "snapshot":
            job = self._target(message[1])
            if job is not None:
                job.settings.snapshot = message[2]
        elif kind in ("stop", "pause", "resume", "save"):
            job = self._target(message[1])
            if job is None:
                return
            if kind == "stop":
                job.stop = True
            elif kind == "save":
                job.save = True
            else:
                job.paused = kind == "pause"

    def run(self, job: _Job) -> None:
        from core.training.base import TrainingDiverged

        self.job, self.in_flight = job, False
        if job.stop:
            self.job = None
            self.send("ended", job.run_id, "stopped", "stopped before it started")
            return
        try:
            reason, message = self._train(job)
        except TrainingDiverged as exc:
            reason, message = "diverged", describe(exc)
        except Exception as exc:  # bad parameters, a full disk…: the app carries on
            reason, message = "failed", describe(exc)
        self.job = None
        self.send("ended", job.run_id, reason, message)

    def _train(self, job: _Job) -> tuple[str, str]:
        from core.runs import RunDir
        from core.training.base import is_sample_key, train_step

        s = job.settings
        run = RunDir(s.run_dir)
        if run.config_path.exists():
            raise ValueError(f"{run.path} already holds a run; choose another run directory")
        trainer = s.create_trainer()
        run.write_config({"trainer": trainer.name, "params": trainer.config(), "total_steps": s.total_steps})
        self.send("started", job.run_id, str(run.path))
        first = True
        history: list[dict[str, Any]] = []
        saved_at, last_emit = -1, -math.inf

        def save() -> None:
            nonlocal saved_at
            if trainer.t and saved_at != trainer.t:
                path = run.save_checkpoint(trainer.state_dict(), trainer.t)
                saved_at = trainer.t
                self.send("saved", job.run_id, trainer.t, str(path))

        def emit() -> None:
            nonlocal first, history, last_emit
            self.in_flight = True
            tps = float(np.mean([h["time_per_step"] for h in history])) if history else 0.0
            payload = s.snapshot(trainer, first) if first or self.views else {}
            self.send("snapshot", TrainSnapshot(job.run_id, trainer.t, s.total_steps, history, tps, payload))
            first, history, last_emit = False, [], time.perf_counter()

        emit()
        while trainer.t < s.total_steps and not job.stop:
            self.poll()
            if job.save:
                job.save = False
                save()
            if job.stop:
                break
            if job.paused:
                if history:
                    emit()
                self.poll(PAUSED_POLL_S)
                continue
            metrics = train_step(trainer, run, SAMPLES_EVERY)
            scalars = {k: v for k, v in metrics.items() if not is_sample_key(k)}
            if trainer.t % CHECKPOINT_EVERY == 0:
                save()
            history.append({"step": trainer.t, **scalars})
            if not self.in_flight and time.perf_counter() - last_emit >= job.frame_s:
                emit()
        save()
        if history and not self.quit:  # quitting: the page is closing, nobody draws it
            emit()
        stopped = job.stop and trainer.t < s.total_steps
        return ("stopped", f"stopped at step {trainer.t}") if stopped else ("finished", f"done: {trainer.t} steps")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Training page's training process (started by the app).")
    parser.add_argument("commands", type=int, help="file descriptor of the GUI's commands (read end)")
    parser.add_argument("results", type=int, help="file descriptor for the results (write end)")
    parser.add_argument("--nice", type=int, default=None, help="CPU priority (nice) of the process")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the app's terminal: the app stops us cleanly
    nice = background_priority(args.nice)  # before torch starts its threads: they inherit it
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    commands = Connection(args.commands, writable=False)
    results = Connection(args.results, readable=False)
    server = Server(commands, results)
    code = 0
    try:
        server.send("ready", os.getpid(), nice)
        server.serve()
    except (BrokenPipeError, EOFError):  # the GUI is gone: nobody to tell
        code = 1
    finally:
        results.close()
    return code


def run(argv: list[str] | None = None) -> None:
    """The process's entry point: `main`, then exit at once. The run directory is written and closed
    by then; tearing down torch's modules would only make the app wait longer when it closes."""
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
