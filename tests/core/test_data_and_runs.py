"""2D datasets and run directories: determinism, loaders, crash safety (no Qt)."""
import multiprocessing as mp
import os
import signal
import time

import numpy as np
import pytest
import torch

from core import data
from core.runs import RunDir

REQUIRED = ["8gaussians", "ring", "two_moons", "swiss_roll", "checkerboard", "pinwheel", "spirals"]


@pytest.mark.parametrize("name", REQUIRED)
def test_datasets_are_seeded_and_inside_the_box(name):
    a, b, c = data.sample(name, 5000, seed=1), data.sample(name, 5000, seed=1), data.sample(name, 5000, seed=2)
    assert a.shape == (5000, 2) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert ((a.abs() < 4).all(-1)).float().mean() > 0.995


def test_eight_gaussians_has_eight_equal_modes():
    x = data.sample("8gaussians", 80_000, seed=0).double()
    angle = torch.round(torch.atan2(x[:, 1], x[:, 0]) / (torch.pi / 4)) % 8
    counts = torch.bincount(angle.long(), minlength=8).double()
    assert (counts / counts.sum() - 1 / 8).abs().max() < 0.01  # 4σ of a multinomial share is ≈ 0.005
    assert x.norm(dim=-1).mean() == pytest.approx(4 / np.sqrt(2), rel=0.03)


def test_load_points_csv_npy_and_errors(tmp_path):
    pts = np.random.default_rng(0).normal(size=(10, 2))
    np.savetxt(tmp_path / "p.csv", pts, delimiter=",", header="x,y", comments="")
    np.save(tmp_path / "p.npy", pts)
    np.savetxt(tmp_path / "p.txt", pts)
    for f in ("p.csv", "p.npy", "p.txt"):
        torch.testing.assert_close(data.load_points(tmp_path / f), torch.as_tensor(pts, dtype=torch.float32))
    np.save(tmp_path / "bad.npy", np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        data.load_points(tmp_path / "bad.npy")
    (tmp_path / "junk.csv").write_text("a,b\nc,d\n")
    with pytest.raises(ValueError, match="could not read"):
        data.load_points(tmp_path / "junk.csv")
    with pytest.raises(ValueError, match="no data file"):
        data.load_points(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="valid names"):
        data.sample("moons3", 10)


def test_rundir_round_trip(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_config({"lr": 1e-3, "nested": {"a": [1, 2]}, "tensor": torch.tensor([1.0])})
    for step in range(1, 6):
        run.log(step, loss=1.0 / step, nan=float("nan"))
    run.save_checkpoint({"w": torch.ones(3)}, 5)
    run.save_samples("negatives", 5, torch.zeros(4, 2))
    assert run.read_config()["nested"] == {"a": [1, 2]}
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4, 5]
    assert run.read_metrics()[0]["nan"] is None
    step, state = run.load_checkpoint()
    assert step == 5 and torch.equal(state["w"], torch.ones(3))
    assert run.latest_samples("negatives")[0] == 5
    run.truncate_metrics(3)
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3]


def test_torn_metrics_line_is_skipped(tmp_path):
    run = RunDir(tmp_path)
    run.log(1, loss=0.5)
    with open(run.metrics_path, "a") as fh:
        fh.write('{"step": 2, "lo')  # a writer killed mid-line
    assert [r["step"] for r in run.read_metrics()] == [1]


def _write_forever(path):
    run = RunDir(path)
    step = 0
    while True:
        step += 1
        run.log(step, loss=float(step))
        run.save_checkpoint({"w": torch.full((20000,), float(step))}, step)


def test_a_killed_writer_leaves_a_readable_run(tmp_path):
    proc = mp.get_context("spawn").Process(target=_write_forever, args=(tmp_path / "run",))
    proc.start()
    deadline = time.monotonic() + 60
    run = None
    while time.monotonic() < deadline:
        if (tmp_path / "run" / "checkpoints" / "latest.pt").exists() and len(
                RunDir(tmp_path / "run").read_metrics()) > 5:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    run = RunDir(tmp_path / "run", create=False)
    steps = [r["step"] for r in run.read_metrics()]
    assert steps == list(range(1, len(steps) + 1))
    step, state = run.load_checkpoint()
    assert torch.equal(state["w"], torch.full((20000,), float(step)))
    assert steps[-1] - step <= 1, "at most the step being written is lost"


def test_missing_or_corrupt_checkpoint_is_a_value_error(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(ValueError, match="no checkpoint"):
        run.load_checkpoint()
    (tmp_path / "checkpoints" / "latest.pt").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="unreadable"):
        run.load_checkpoint()
    with pytest.raises(ValueError, match="no run directory"):
        RunDir(tmp_path / "nope", create=False)
    (tmp_path / "config.json").write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"):
        run.read_config()
