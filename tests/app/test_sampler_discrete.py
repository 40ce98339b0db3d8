"""The Sampler panel's discrete mode: Ising denoising step by step, play, sliders, painting, loading a
PNG (and a broken one), the RBM's chains, and the continuous list without Gibbs/ICM."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from workbench.panels.sampler import SamplerPanel
from workbench.panels.sampler.discrete import SIZE, load_binary_png


@pytest.fixture
def panel(qtbot):
    p = SamplerPanel()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitExposed(p)
    p.set_mode_index(1)
    yield p
    p.shutdown()


def test_continuous_list_has_no_discrete_samplers(panel):
    from core import samplers

    names = [panel.controls.sampler_combo.itemData(i) for i in range(panel.controls.sampler_combo.count())]
    assert names == samplers.names(discrete=False) and "mala" in names
    assert set(samplers.names(discrete=True)) == {"gibbs", "block-gibbs", "icm"}


def test_ising_gibbs_at_low_temperature_denoises(panel, qtbot):
    d = panel.discrete
    d.temperature.setValue(50)  # T = 0.5
    assert d.state.t == 0 and d.history["error"][0] == pytest.approx(100 * float(d.model.error_rate(d.model.y_obs)))
    noisy = d.history["error"][0]
    assert 7 < noisy < 13  # 10 % flips of a 48×48 image
    qtbot.mouseClick(d.buttons["step"], Qt.MouseButton.LeftButton)
    assert d.state.t == 1 and len(d.history["t"]) == 2
    d.step(30)
    assert d.history["error"][-1] < noisy / 2  # Gibbs at T = 0.5, J = 1 cleans most flips
    assert d.energy_curve.getData()[0][-1] == 31
    assert d.state_view.image.image.shape == (SIZE, SIZE)


def test_icm_energy_never_rises_and_play_pause(panel, qtbot):
    d = panel.discrete
    d.sampler_combo.setCurrentIndex(2)  # icm
    assert d.sampler.name == "icm"
    d.step(10)
    energies = np.asarray(d.history["energy"])
    assert np.all(np.diff(energies) <= 1e-9)
    d.sampler_combo.setCurrentIndex(0)
    t = d.state.t
    d.set_playing(True)
    qtbot.waitUntil(lambda: d.state.t >= t + 5, timeout=60_000)
    d.set_playing(False)
    t = d.state.t
    qtbot.wait(150)
    assert d.state.t == t


def test_coupling_keeps_the_chain_and_painting_changes_the_image(panel, qtbot):
    d = panel.discrete
    d.step(3)
    x = d.state.x.clone()
    d.coupling.setValue(150)
    assert d.model.J == pytest.approx(1.5) and d.state.t == 3 and (d.state.x == x).all()
    before = float(d.clean[5, 5])
    d._paint(5, 5, -before)
    assert float(d.clean[5, 5]) == -before and d.state.t == 0  # a new picture: a new run


def test_load_a_png_and_a_broken_one(panel, tmp_path):
    a = np.full((30, 30), 255, np.uint8)
    a[10:20, 5:25] = 0
    Image.fromarray(a).save(tmp_path / "bar.png")
    img = load_binary_png(tmp_path / "bar.png")
    assert img.shape == (SIZE, SIZE) and set(np.unique(img.numpy())) == {-1.0, 1.0}
    panel.discrete.set_clean(img)
    assert (panel.discrete.model.clean.reshape(SIZE, SIZE) == img).all()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match="not a readable image"):
        load_binary_png(tmp_path / "broken.png")


def test_rbm_chains_after_training_in_the_pool(panel, qtbot):
    d = panel.discrete
    with qtbot.waitSignal(d.rbm_task.finished, timeout=60_000):
        d.model_combo.setCurrentIndex(1)
    assert d.state is not None and d.state.x.shape == (16, 64)
    d.step(5)
    assert d.state.t == 5 and d.state_view.image.image.shape == (4 * 9, 4 * 9)  # 16 chains in a 4×4 mosaic
