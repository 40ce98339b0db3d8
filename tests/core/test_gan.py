"""GAN-style EBMs: losses and update rules against hand-computed values, short runs (no Qt)."""
import math

import pytest
import torch

from core import training
from core.runs import RunDir
from core.training import gan


def test_hinge_margin():
    e_fake = torch.tensor([0.2, 1.5, 1.0])
    torch.testing.assert_close(gan.hinge(1.0, e_fake), torch.tensor([0.8, 0.0, 0.0]))


def test_pulling_away_term_by_hand():
    orthogonal = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert gan.pulling_away(orthogonal).item() == pytest.approx(0.0)
    same = torch.tensor([[1.0, 1.0], [2.0, 2.0], [-3.0, -3.0]])
    assert gan.pulling_away(same).item() == pytest.approx(1.0)
    at_45 = torch.tensor([[1.0, 0.0], [1.0, 1.0]])  # cos² = 1/2 for both ordered pairs
    assert gan.pulling_away(at_45).item() == pytest.approx(0.5)


def test_began_k_update_and_clipping():
    assert gan.began_k_update(0.5, 0.5, 0.001, l_real=0.4, l_fake=0.1) == pytest.approx(0.5 + 0.001 * 0.1)
    assert gan.began_k_update(0.0, 0.5, 0.1, l_real=0.1, l_fake=0.9) == 0.0
    assert gan.began_k_update(0.99, 0.75, 1.0, l_real=1.0, l_fake=0.0) == 1.0
    assert gan.began_m_global(0.5, 0.4, 0.3) == pytest.approx(0.4 + 0.1)


def test_began_learning_rate_halves_when_m_global_stalls():
    assert not gan.m_stalled([0.5])
    assert not gan.m_stalled([0.5, 0.4])
    assert gan.m_stalled([0.5, 0.4, 0.399])  # not 1% below the best earlier window
    tr = training.create("began", data="two_moons", seed=0, hidden=16, lr_patience=5)
    tr._m_means = [1e-9]  # as if M had been tiny once: every later window counts as stalled
    for _ in range(5):
        tr.step()
    assert tr.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)


@pytest.mark.parametrize("fake_sum, previous, real_mean, fake_mean, expected", [
    (10.0, 8.0, 0.5, 2.0, 0.5),    # fake sum rose, real below margin and fake: margin shrinks
    (10.0, 12.0, 0.5, 2.0, 1.0),   # fake sum fell: unchanged
    (10.0, 8.0, 1.5, 2.0, 1.0),    # real mean above the margin: unchanged
    (10.0, 8.0, 0.5, 0.4, 1.0),    # real mean above the fake mean: unchanged
    (10.0, None, 0.5, 2.0, 1.0),   # first epoch: nothing to compare with
])
def test_magan_margin_rule(fake_sum, previous, real_mean, fake_mean, expected):
    assert gan.magan_margin(1.0, fake_sum, previous, real_mean, fake_mean) == expected


@pytest.mark.parametrize("name", ["ebgan", "began", "magan"])
def test_a_short_run_lowers_the_discriminator_loss(name):
    tr = training.create(name, data="digits", seed=0, hidden=64, pretrain_steps=50)
    losses = [tr.step()["d_loss"] for _ in range(250)]
    assert all(math.isfinite(v) for v in losses)
    assert sum(losses[-25:]) < sum(losses[:25])
    assert tr.sample(10).shape == (10, 64)


def test_magan_margin_only_shrinks():
    tr = training.create("magan", data="digits", seed=1, hidden=64, pretrain_steps=30)
    margins = []
    for _ in range(30 + 28 * 6):
        margins.append(tr.step()["margin"])
    after = margins[30:]
    assert all(b <= a for a, b in zip(after, after[1:]))


def test_two_dimensional_data_and_resume(tmp_path):
    tr = training.create("began", data="two_moons", seed=0, hidden=32, samples_every=5)
    training.fit(tr, 10, RunDir(tmp_path / "run"), checkpoint_every=5)
    again, _ = training.resume(tmp_path / "run")
    assert again.t == 10 and again.k == pytest.approx(tr.k)
    assert again.sample(4, seed=0).shape == (4, 2)
    with pytest.raises(ValueError, match="unknown GAN data"):
        training.create("ebgan", data="cifar")


def test_cli_trains_a_gan(tmp_path):
    from core import cli

    run = tmp_path / "began"
    assert cli.main(["train", "--gan", "began", "--data", "digits", "--steps", "100", "--run", str(run),
                     "--no-progress", "--param", "hidden=32"]) == 0
    records = RunDir(run).read_metrics()
    assert len(records) == 100 and "k_t" in records[-1] and "m_global" in records[-1]
    assert RunDir(run).latest_samples("samples_generated")[1].shape == (64, 64)


def _write_images(folder, n, size=(40, 30), mode="RGB"):
    import numpy as np
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = (*size, 3) if mode == "RGB" else size
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode=mode).save(folder / f"{i:02d}.png")


def test_image_folder_loads_resized_in_range_and_skips_broken_files(tmp_path):
    from core.training.gan import load_image_folder

    _write_images(tmp_path / "rgb", 4)
    (tmp_path / "rgb" / "broken.jpg").write_bytes(b"\xff\xd8\xff truncated")
    (tmp_path / "rgb" / "notes.txt").write_text("not an image")
    x = load_image_folder(tmp_path / "rgb", size=32, channels=3)
    assert x.shape == (4, 3 * 32 * 32) and x.min() >= -1 and x.max() <= 1
    gray = load_image_folder(tmp_path / "rgb", size=28, channels=1)
    assert gray.shape == (4, 28 * 28)
    with pytest.raises(ValueError, match="image size must be one of"):
        load_image_folder(tmp_path / "rgb", size=64)
    with pytest.raises(ValueError, match="channels must be 1"):
        load_image_folder(tmp_path / "rgb", channels=2)
    with pytest.raises(ValueError, match="does not exist"):
        load_image_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no readable image"):
        load_image_folder(tmp_path / "empty")


def test_gan_on_an_image_folder_trains_and_its_monitor_batch_is_fixed(tmp_path):
    _write_images(tmp_path / "faces", 12, mode="L")
    trainer = training.create("began", data=str(tmp_path / "faces"), image_size=28, hidden=32, code=8,
                              batch_size=8)
    assert trainer.image_shape == (1, 28, 28) and trainer.data.shape == (12, 784)
    a = trainer.monitor_batch(6)
    assert a["real"].shape == a["real_recon"].shape == a["fake"].shape == (6, 784)
    assert a["real_energy"].shape == (6,) and (a["real_energy"] >= 0).all()
    for _ in range(3):
        trainer.step()
    b = trainer.monitor_batch(6)
    assert (a["real"] == b["real"]).all()  # the same examples each call: a grid shows progress
    assert not (a["fake"] == b["fake"]).all()  # the same z, a trained generator


def test_discriminator_energy_over_the_plane():
    from core import landscape

    trainer = training.create("ebgan", data="two_moons", hidden=16, code=4, batch_size=16)
    energy = trainer.landscape_energy()
    land = landscape.evaluate(energy, 32)
    assert land.energy.shape == (32, 32) and torch.isfinite(land.energy).all() and (land.energy >= 0).all()
    lo, hi = trainer.data.min(0).values, trainer.data.max(0).values
    assert energy.bounds[0][0] < float(lo[0]) and energy.bounds[1][1] > float(hi[1])
    with pytest.raises(ValueError, match="2D data"):
        training.create("ebgan", hidden=16, code=4).landscape_energy()
