"""The "depth" trainer: both phases step without NaN, run directories resume exactly, the CLI (no Qt)."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from core import cli, depth, training
from core.depth.train import DepthTrainer, predictor_loss
from core.runs import RunDir


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TINY = dict(height=24, width=32, n_train=8, n_eval=2, batch_size=4, base=4, energy_channels=4, langevin_steps=3,
            predictor_steps=3, energy_steps=3, eval_every=3)


def test_predictor_loss_masks_invalid_pixels():
    z = torch.zeros(1, 2, 2)
    gt = torch.tensor([[[1.0, math.e], [0.0, float("nan")]]])
    # L1 on log depth over the two valid pixels: (0 + 1)/2; the x-difference pair (1, e) is valid
    assert float(predictor_loss(z, gt, grad_weight=0.0)) == pytest.approx(0.5)
    assert float(predictor_loss(z, gt, grad_weight=1.0)) == pytest.approx(0.5 + 1.0)


@pytest.mark.parametrize("energy, method", [("both", "ml"), ("cnn", "nce"), ("cnn", "ml-is")])
def test_both_phases_step_without_nan(energy, method):
    tr = training.create("depth", energy=energy, method=method, **{**TINY, "persistent": 0.5})
    phases, metrics = [], []
    while tr.t < tr.total_steps:
        m = tr.step()
        phases.append(m["phase"])
        metrics.append(m)
        assert math.isfinite(m["loss"])
    assert phases == [1, 1, 1, 2, 2, 2]
    assert "val_abs_rel" in metrics[2] and f"val_abs_rel_{'cnn'}" in metrics[-1]
    assert "e_pos_cnn" in metrics[-1]
    model = tr.trained_model()
    assert model.info["steps"] == 6 and model.refine["cnn"]["steps"] == 3
    r = depth.predict(model, torch.rand(3, 30, 40), steps=2)
    assert r.final.shape == (30, 40)


def test_mixed_precision_on_cpu_steps_without_nan():
    tr = DepthTrainer(**{**TINY, "amp": 1, "eval_every": 0, "n_calibrate": 0})
    assert tr.amp_dtype == torch.bfloat16
    while tr.t < tr.total_steps:
        assert math.isfinite(tr.step()["loss"])


def test_bad_settings_are_value_errors():
    with pytest.raises(ValueError, match="unknown depth energy"):
        DepthTrainer(energy="gan", **TINY)
    with pytest.raises(ValueError, match="NCE / ML-IS train the CNN energy"):
        DepthTrainer(energy="frame", method="nce", **TINY)
    with pytest.raises(ValueError, match="no parameter 'lr_typo'"):
        DepthTrainer(lr_typo=1.0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            DepthTrainer(device="cuda", **TINY)


def test_fit_then_resume_matches_an_uninterrupted_run(tmp_path):
    straight = DepthTrainer(**TINY)
    training.fit(straight, 6)
    tr = DepthTrainer(**TINY)
    run = RunDir(tmp_path / "run")
    training.fit(tr, 4, run, checkpoint_every=2)
    again, run2 = training.resume(tmp_path / "run")
    assert again.t == 4 and again.phase == "energy"
    training.fit(again, 6, run2)
    for (k, a), (_, b) in zip(straight.model.state_dict().items(), again.model.state_dict().items()):
        torch.testing.assert_close(a, b, msg=k)
    steps = [r["step"] for r in run2.read_metrics()]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_cli_train_then_predict(tmp_path, capsys):
    params = [f"--param={k}={v}" for k, v in TINY.items()]
    code = cli.main(["depth", "train", "--run", str(tmp_path / "run"), "--energy", "cnn", "--no-progress",
                     "--export", str(tmp_path / "m.pt"), "--threads", "1", *params])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "m.pt" in out and (tmp_path / "m.pt").is_file()
    assert RunDir(tmp_path / "run", create=False).latest_checkpoint() is not None
    # the same run directory twice is refused; --resume continues it
    assert cli.main(["depth", "train", "--run", str(tmp_path / "run"), "--no-progress", *params]) == 2
    assert "already holds a run" in capsys.readouterr().err
    rgb = (np.random.default_rng(0).random((30, 40, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "room.png")
    np.save(tmp_path / "gt.npy", np.full((30, 40), 2.0, dtype=np.float32))
    for out_name in ("pred.png", "pred.npy", "pred.npz"):
        code = cli.main(["depth", "predict", str(tmp_path / "room.png"), "--model", str(tmp_path / "m.pt"),
                         "--out", str(tmp_path / out_name), "--steps", "2", "--gt", str(tmp_path / "gt.npy"),
                         "--no-progress"])
        assert code == 0
    text = capsys.readouterr().out
    assert "refined: AbsRel / RMSE / δ1" in text
    assert depth.load_depth(tmp_path / "pred.png").shape == (30, 40)
    assert np.load(tmp_path / "pred.npy").shape == (30, 40)
    with np.load(tmp_path / "pred.npz") as z:
        assert z["steps"].shape == (3, 30, 40) and z["std"].shape == (30, 40)
    assert cli.main(["depth", "predict", str(tmp_path / "missing.png"), "--no-progress"]) == 2
    assert "does not exist" in capsys.readouterr().err
