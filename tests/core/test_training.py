"""Trainers: unconditional 2D EBMs (CD, PCD, DSM), the fit loop, resume, NaN handling, `ebm train`."""
import math

import pytest
import torch

from core import cli, training
from core.runs import RunDir

FAST = dict(batch_size=64, buffer_size=500, n_data=2000, hidden=32, mcmc_steps=10, eval_every=1000)


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_maximum_likelihood_lowers_its_loss_and_learns(method):
    tr = training.create("ebm2d", dataset="8gaussians", method=method, seed=0, lr=3e-3, ema=0.9, **FAST)
    tv0 = tr.tv_distance(64)
    losses = [tr.step()["loss"] for _ in range(150)]
    first, last = sum(losses[:15]) / 15, sum(losses[-15:]) / 15
    assert all(math.isfinite(v) for v in losses)
    assert last < first, f"{method}: loss {first:.3f} → {last:.3f}"
    assert tr.tv_distance(64) < tv0 - 0.05, "the model density moved towards the data"


def _dsm_objective(energy, points, sigma, seed=123):
    """½‖σ∇E(x + σε) − ε‖² on fixed points and noise: a noise-free before/after comparison."""
    eps = torch.randn(points.shape, generator=torch.Generator().manual_seed(seed))
    grad = energy.grad(points + sigma * eps)
    return float(0.5 * (sigma * grad - eps).pow(2).sum(-1).mean())


def test_score_matching_lowers_its_objective():
    tr = training.create("ebm2d", dataset="8gaussians", method="dsm", seed=0, lr=3e-3, sigma=0.3, **FAST)
    held_out = tr.data[:1000]
    before = _dsm_objective(tr.energy, held_out, 0.3)
    losses = [tr.step()["loss"] for _ in range(150)]
    assert all(math.isfinite(v) for v in losses)
    assert _dsm_objective(tr.energy, held_out, 0.3) < before - 0.02


def test_mala_negatives_work_too():
    tr = training.create("ebm2d", dataset="two_moons", method="pcd", sampler="mala", seed=0, **FAST)
    m = [tr.step() for _ in range(5)][-1]
    assert math.isfinite(m["loss"]) and m["samples_negatives"].shape[1] == 2


def test_bad_settings_raise_value_errors():
    with pytest.raises(ValueError, match="unknown method"):
        training.create("ebm2d", method="gan")
    with pytest.raises(ValueError, match="negative sampler"):
        training.create("ebm2d", sampler="hmc")
    with pytest.raises(ValueError, match="no parameter 'learning_rate'"):
        training.create("ebm2d", learning_rate=1.0)
    with pytest.raises(ValueError, match="valid names"):
        training.create("nope")


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    straight = training.create("ebm2d", dataset="ring", method="pcd", seed=3, **FAST)
    training.fit(straight, 20)
    tr = training.create("ebm2d", dataset="ring", method="pcd", seed=3, **FAST)
    run = RunDir(tmp_path / "run")
    training.fit(tr, 10, run, checkpoint_every=5)
    resumed, run2 = training.resume(tmp_path / "run")
    assert resumed.t == 10
    training.fit(resumed, 20, run2, checkpoint_every=5)
    for a, b in zip(straight.energy.parameters(), resumed.energy.parameters()):
        torch.testing.assert_close(a, b)
    assert [r["step"] for r in run2.read_metrics()] == list(range(1, 21))


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    tr = training.create("ebm2d", dataset="ring", method="pcd", seed=0, **FAST)
    run = RunDir(tmp_path / "run")
    training.fit(tr, 4, run, checkpoint_every=2)
    with torch.no_grad():
        next(tr.energy.parameters()).fill_(float("nan"))
    with pytest.raises(training.TrainingDiverged, match="last good checkpoint"):
        training.fit(tr, 10, run, checkpoint_every=2)
    step, state = run.load_checkpoint()
    assert step == 4 and all(torch.isfinite(v).all() for v in state["model"].values())


def test_cli_train_and_resume(tmp_path, capsys):
    run = tmp_path / "demo"
    args = ["train", "--dataset", "two_moons", "--method", "pcd", "--steps", "6", "--run", str(run),
            "--no-progress", "--checkpoint-every", "3"] + sum((["--param", f"{k}={v}"] for k, v in FAST.items()), [])
    assert cli.main(args) == 0
    assert cli.main(["train", "--resume", str(run), "--steps", "9", "--no-progress"]) == 0
    assert [r["step"] for r in RunDir(run).read_metrics()] == list(range(1, 10))
    assert cli.main(args) == 2  # refuses to overwrite a run
    assert "already holds a run" in capsys.readouterr().err
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n" + "\n".join(f"{i % 7 - 3},{i % 5 - 2}" for i in range(200)))
    assert cli.main(["train", "--dataset", str(csv), "--steps", "2", "--run", str(tmp_path / "csv"),
                     "--no-progress", "--param", "n_data=200", "--param", "buffer_size=200"]) == 0
