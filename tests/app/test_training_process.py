"""The training process's side, without Qt: it imports no GUI module, and its `Server` runs a job and
answers start / pause / save / stop / views / quit over pipes, as the page's worker drives it."""
from __future__ import annotations

import subprocess
import sys
import threading
from multiprocessing import Pipe
from pathlib import Path

from core.runs import RunDir
from workbench.snapshots import snapshot_2d
from workbench.training_process import Server, TrainSettings, TrainSnapshot

ROOT = Path(__file__).resolve().parents[2]
GUI_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "vispy", "superqt")
TINY = {"batch_size": 16, "buffer_size": 100, "n_data": 200, "hidden": 8, "mcmc_steps": 2, "eval_every": 5}
TIMEOUT_S = 60


def test_the_training_process_loads_no_gui_module():
    probe = ("import sys, workbench.training_process, workbench.snapshots, core.training; "
             f"print(sorted({{m for m in sys.modules if m.split('.')[0] in {GUI_MODULES!r}}}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


class _Driver:
    """A `Server` in a thread with the two pipes the worker would hold."""

    def __init__(self) -> None:
        commands_r, self.commands = Pipe(duplex=False)
        self.results, results_w = Pipe(duplex=False)
        self.server = Server(commands_r, results_w)
        self.thread = threading.Thread(target=self.server.serve, name="test-server")
        self.thread.start()

    def send(self, *message) -> None:
        self.commands.send(message)

    def until(self, kind: str) -> list[tuple]:
        """Every message up to and including the first of `kind`."""
        seen = []
        while self.results.poll(TIMEOUT_S):
            seen.append(self.results.recv())
            if seen[-1][0] == kind:
                return seen
        raise AssertionError(f"no {kind!r} message; got {[m[0] for m in seen]}")

    def close(self) -> None:
        self.send("quit")
        self.commands.close()  # as the worker does: the server's command reader ends
        self.thread.join(TIMEOUT_S)
        assert not self.thread.is_alive()


def test_server_runs_a_job_and_answers_its_commands(tmp_path):
    d = _Driver()
    try:
        d.send("start", 1, TrainSettings(tmp_path / "run", "ebm2d", TINY, 100_000, snapshot_2d), 0.0, True)
        started = d.until("started")[-1]
        assert started[1:] == (1, str(tmp_path / "run"))
        first = d.until("snapshot")[-1][1]
        assert isinstance(first, TrainSnapshot) and first.run_id == 1
        assert first.payload["grid"]["density"].shape == (128, 128) and first.payload["data"] is not None
        d.send("ack")
        nxt = d.until("snapshot")[-1][1]
        assert nxt.t > first.t and len(nxt.history) >= 1 and "data" not in nxt.payload
        d.send("views", False)  # a hidden page: scalars only
        for _ in range(3):
            d.send("ack")
            last = d.until("snapshot")[-1][1]
        assert last.payload == {} and last.history
        d.send("pause", 1)
        d.send("save", 1)
        saved = d.until("saved")[-1]
        assert saved[1] == 1 and Path(saved[3]).exists()
        d.send("stop", 2)  # another run's command changes nothing
        d.send("stop", 1)
        ended = d.until("ended")[-1]
        assert ended[1:3] == (1, "stopped")
        step, _ = RunDir(tmp_path / "run").load_checkpoint()
        assert step == saved[2]  # paused: no step after the save

        d.send("start", 2, TrainSettings(tmp_path / "run", "ebm2d", TINY, 10, snapshot_2d), 0.0, True)
        ended = d.until("ended")[-1]
        assert ended[1:3] == (2, "failed") and "already holds a run" in ended[3]
        d.send("start", 3, TrainSettings(tmp_path / "bad", "ebm2d", {"hidden": -1}, 10, snapshot_2d), 0.0, True)
        ended = d.until("ended")[-1]
        assert ended[1:3] == (3, "failed") and ended[3]
    finally:
        d.close()


def test_server_stops_its_run_with_a_checkpoint_when_the_gui_goes_away(tmp_path):
    d = _Driver()
    d.send("start", 1, TrainSettings(tmp_path / "run", "ebm2d", TINY, 100_000, snapshot_2d), 0.0, False)
    d.until("snapshot")
    d.send("ack")
    d.until("snapshot")
    d.commands.close()  # the app ended (or crashed): EOF on the commands
    messages = d.until("ended")
    assert messages[-1][2] == "stopped" and any(m[0] == "saved" for m in messages)
    d.thread.join(TIMEOUT_S)
    assert not d.thread.is_alive()
    assert RunDir(tmp_path / "run").load_checkpoint()[0] >= 1
