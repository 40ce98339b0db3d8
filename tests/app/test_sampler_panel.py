"""The Sampler panel, driven as a user would: buttons, keys, clicks on the map, exports, pixels."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from core import energies, landscape
from workbench.main_window import MainWindow
from workbench.panels.sampler import SamplerPanel, export, session
from workbench.panels.sampler.overlay import ACCEPT_RGB, CHAIN_RGB, REJECT_RGB
from workbench.panels.sampler.session import RunSettings, SamplerRun


@pytest.fixture
def panel(qtbot):
    """A shown, focused Sampler panel with 200 MALA chains on banana; its thread is joined after."""
    p = SamplerPanel()
    qtbot.addWidget(p)
    p.resize(1280, 760)
    p.show()
    qtbot.waitExposed(p)
    p.controls.chains.setValue(200)
    yield p
    p.shutdown()
    assert p.worker._thread is None and not p.worker.busy


def _focus(qtbot, p: SamplerPanel) -> None:
    p.activateWindow()
    qtbot.waitUntil(p.isActiveWindow)
    p.setFocus()
    qtbot.waitUntil(lambda: p.hasFocus())


def _drawn_xy(p: SamplerPanel) -> np.ndarray:
    x, y = p.view.chain_xy()
    return np.stack([x, y], -1) if p.view.dim == 2 else x[:, None]


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def _click_map(qtbot, p: SamplerPanel, x: float, y: float) -> None:
    view = p.view.map
    scene = view.plot.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))


def test_step_button_and_right_arrow_show_the_core_state(panel, qtbot):
    for _ in range(3):
        qtbot.mouseClick(panel.controls.step_button, Qt.MouseButton.LeftButton)
    _focus(qtbot, panel)
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert panel.run.t == 5 and panel.run.n_chains == 200
    np.testing.assert_allclose(_drawn_xy(panel), panel.run.state.x.numpy())
    assert panel.diagnostics.labels["t"].text() == "5"


def test_right_arrow_in_a_spin_box_does_not_step(panel, qtbot):
    _focus(qtbot, panel)
    panel.controls.seed.setFocus()
    qtbot.keyClick(panel.controls.seed, Qt.Key.Key_Right)
    assert panel.run.t == 0


def test_play_then_pause_with_button_and_space(panel, qtbot):
    qtbot.mouseClick(panel.controls.play_button, Qt.MouseButton.LeftButton)
    assert panel.controls.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: panel.run.t >= 10 and panel.frames_drawn >= 5, timeout=60_000)
    qtbot.mouseClick(panel.controls.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.worker.busy, timeout=60_000)
    t = panel.run.t
    qtbot.wait(150)
    assert panel.run.t == t and panel.controls.play_button.text() == "Play"
    _focus(qtbot, panel)
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    assert panel.worker.playing
    qtbot.waitUntil(lambda: panel.run.t > t, timeout=60_000)
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not panel.worker.busy, timeout=60_000)
    qtbot.waitUntil(lambda: panel.drawn.t == panel.run.t, timeout=60_000)  # the final refresh
    np.testing.assert_allclose(_drawn_xy(panel), panel.run.state.x.numpy())


def test_reset_button_and_r_key_restart_from_the_same_positions(panel, qtbot):
    x0 = panel.run.state.x.clone()
    for _ in range(4):
        panel.controls.step_button.click()
    qtbot.mouseClick(panel.controls.reset_button, Qt.MouseButton.LeftButton)
    assert panel.run.t == 0
    torch.testing.assert_close(panel.run.state.x, x0)
    np.testing.assert_allclose(_drawn_xy(panel), x0.numpy())
    panel.controls.step_button.click()
    _focus(qtbot, panel)
    qtbot.keyClick(panel, Qt.Key.Key_R)
    assert panel.run.t == 0
    torch.testing.assert_close(panel.run.state.x, x0)


def test_reset_while_playing_drops_stale_snapshots(panel, qtbot):
    panel.controls.play_button.click()
    qtbot.waitUntil(lambda: panel.run.t >= 3, timeout=60_000)
    old = panel.run
    panel.controls.reset_button.click()
    assert panel.run is not old and panel.worker.playing
    stale = old.snapshot()
    panel._on_snapshot(stale)  # a late snapshot of the cancelled run
    assert panel.drawn.run_id == panel.run.run_id
    panel.controls.play_button.click()
    qtbot.waitUntil(lambda: not panel.worker.busy, timeout=60_000)


def test_temperature_is_shared_and_used_by_the_sampler(panel):
    box = panel.controls.form.boxes["temperature"]
    box.setValue(2.0)
    assert panel.energy_state.temperature == 2.0
    assert panel.run.sampler.temperature == 2.0
    panel.energy_state.set_temperature(0.5)
    assert box.value() == 0.5 and panel.run.sampler.temperature == 0.5
    assert panel.landscape.temperature == pytest.approx(0.5) or panel._landscape_timer.isActive()


def test_switching_energy_resets_chains_onto_the_new_box(panel, qtbot):
    for _ in range(3):
        panel.controls.step_button.click()
    panel.energy_state.set_builtin("rosenbrock")
    (x0, x1), (y0, y1) = panel.energy.bounds
    x = panel.run.state.x.numpy()
    assert panel.run.t == 0 and panel.run.energy is panel.energy_state.energy
    assert (x[:, 0] >= x0).all() and (x[:, 0] <= x1).all() and (x[:, 1] >= y0).all() and (x[:, 1] <= y1).all()
    assert panel.view.map.landscape.bounds == panel.energy.bounds
    combo = panel.controls.energy_combo
    combo.setCurrentIndex(combo.findData("donut"))
    combo.activated.emit(combo.currentIndex())  # what a user's pick emits
    assert panel.energy_state.source["name"] == "donut" and panel.run.energy.name == "donut"


def test_click_on_the_map_starts_chains_there(panel, qtbot):
    _click_map(qtbot, panel, 1.0, -2.0)
    qtbot.waitUntil(lambda: panel.centre is not None)
    assert panel.centre == pytest.approx((1.0, -2.0), abs=0.1)
    assert panel.controls.init_combo.currentData() == "point"
    x = panel.run.state.x.numpy()
    np.testing.assert_allclose(x, np.broadcast_to(np.float32(panel.centre), x.shape), atol=1e-6)
    mx, my = panel.view.overlay2d.start.getData()
    assert (mx[0], my[0]) == pytest.approx(panel.centre)


def test_gaussian_blob_start_is_seeded(panel):
    _choose(panel.controls.init_combo, "blob")
    panel.controls.radius.setValue(0.3)
    panel.set_start_point(2.0, 1.0)
    x = panel.run.state.x.numpy()
    assert x.mean(0) == pytest.approx([2.0, 1.0], abs=0.08)
    assert x.std(0) == pytest.approx([0.3, 0.3], rel=0.2)
    bx, _ = panel.view.overlay2d.blob.getData()
    assert len(bx) > 10
    again = SamplerRun(panel.energy, panel.run_settings())
    torch.testing.assert_close(again.state.x, panel.run.state.x)


def test_one_dimensional_energy_draws_chains_on_the_curve(panel, qtbot):
    panel.energy_state.set_builtin("double_well")
    assert panel.view.dim == 1 and panel.view.stack.currentWidget() is panel.view.curve
    assert panel.marginals[1].isHidden()
    for _ in range(3):
        panel.controls.step_button.click()
    x, y = panel.view.chain_xy()
    np.testing.assert_allclose(x, panel.run.state.x[:, 0].numpy())
    np.testing.assert_allclose(y, panel.energy(panel.run.state.x).numpy(), rtol=1e-4, atol=1e-4)
    qtbot.waitUntil(lambda: panel.marginals[0].hist.getData()[1] is not None
                    and panel.marginals[0].hist.getData()[1].sum() > 0, timeout=60_000)
    _click_map_1d = panel.view.curve.clicked
    _click_map_1d.emit(0.5, 0.0)
    assert panel.centre == (0.5,)
    np.testing.assert_allclose(panel.run.state.x.numpy(), 0.5)


def test_hmc_draws_a_leapfrog_path_of_l_plus_one_points(panel):
    _choose(panel.controls.sampler_combo, "hmc")
    panel.controls.form.boxes["n_leapfrog"].setValue(7)
    panel.controls.path_chain.setValue(3)
    panel.controls.step_button.click()
    px, py = panel.view.overlay2d.path.getData()
    assert len(px) == 8
    path = panel.run.state.path[:, 3].numpy()
    np.testing.assert_allclose(np.stack([px, py], -1), path)


def test_mh_proposals_are_drawn_in_two_colours_with_trails(panel):
    _choose(panel.controls.sampler_combo, "mh")
    panel.controls.chains.setValue(20)
    panel.controls.form.boxes["step_size"].setValue(2.0)
    for _ in range(6):
        panel.controls.step_button.click()
    ov = panel.view.overlay2d
    acc, rej = ov.accepted_lines, ov.rejected_lines
    assert acc.opts["pen"].color() == QColor(*ACCEPT_RGB, 220)
    assert rej.opts["pen"].color() == QColor(*REJECT_RGB, 220)
    n_acc = int(panel.run.state.accepted.sum())
    assert len(acc.getData()[0] if acc.getData()[0] is not None else []) == 2 * n_acc
    assert len(rej.getData()[0] if rej.getData()[0] is not None else []) == 2 * (20 - n_acc)
    assert sum(len(c.getData()[0]) for c in ov.trails if c.getData()[0] is not None) == 2 * 20 * 6


def test_absurd_step_size_warns_and_does_not_crash(panel, qtbot):
    _choose(panel.controls.sampler_combo, "mh")
    panel.controls.form.boxes["step_size"].setValue(1000.0)
    assert panel.diagnostics.warning.isVisible()
    assert "larger than the box" in panel.diagnostics.warning.text()
    for _ in range(25):
        panel.controls.step_button.click()
    assert "Acceptance" in panel.diagnostics.warning.text()
    assert np.isfinite(_drawn_xy(panel)).all()


def test_ula_divergence_is_counted_and_shown(panel, qtbot):
    _choose(panel.controls.sampler_combo, "langevin")
    panel.controls.form.boxes["step_size"].setValue(20.0)
    for _ in range(15):
        panel.controls.step_button.click()
    assert panel.run.state.n_diverged > 0
    assert f"{panel.run.state.n_diverged} chains frozen" in panel.diagnostics.labels["diverged"].text()
    assert "diverged" in panel.diagnostics.warning.text()
    panel.controls.play_button.click()  # drawing frozen far-away chains must not break the view
    qtbot.waitUntil(lambda: panel.frames_drawn > 20, timeout=60_000)
    panel.controls.play_button.click()


def test_bad_parameter_is_shown_in_words(panel):
    panel._on_params({**panel.controls.form.values(), "step_size": 0.0})
    assert panel.controls.error_label.isVisible()
    assert "step_size" in panel.controls.error_label.text()
    panel.controls.step_button.click()  # the run goes on with its last good parameters
    assert panel.run.t == 1


def test_diagnostics_show_numbers_after_some_steps(panel, qtbot):
    for _ in range(30):
        panel.controls.step_button.click()
    labels = panel.diagnostics.labels

    def filled() -> None:
        for key in ("acceptance", "ess", "rhat", "tv"):
            assert any(ch.isdigit() for ch in labels[key].text()), key
    qtbot.waitUntil(filled, timeout=60_000)
    assert "64 chains" in labels["ess"].toolTip()
    tv = float(labels["tv"].text())
    assert 0.0 <= tv <= 1.0


def test_export_trace_npz_and_gif(panel, qtbot, tmp_path):
    for _ in range(12):
        panel.controls.step_button.click()
    path = panel.exporter.trace(tmp_path / "trace")
    with np.load(path) as npz:
        assert npz["x"].shape == (13, 200, 2)  # the start and 12 steps
        np.testing.assert_allclose(npz["x"][-1], panel.run.state.x.numpy())
        assert list(npz["t"]) == list(range(13))
        assert export.load_settings(npz)["sampler"] == "mala"
        assert npz["accepted"].shape == (13, 200)
    gif = panel.exporter.animation(tmp_path / "steps.gif", steps=8)
    import imageio.v3 as iio

    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 8 and frames.shape[-1] in (3, 4)
    # Record while playing, then export the recorded frames.
    panel.controls.record_button.setChecked(True)
    panel.controls.play_button.click()
    qtbot.waitUntil(lambda: len(panel.exporter.recorder.frames) >= 4, timeout=60_000)
    panel.controls.play_button.click()
    n = len(panel.exporter.recorder.frames)
    assert panel.export_view(tmp_path / "played.gif")
    assert iio.imread(tmp_path / "played.gif", index=None).shape[0] == n
    assert panel.export_view(tmp_path / "trace2.npz") and (tmp_path / "trace2.npz").exists()


def test_mp4_without_ffmpeg_is_refused_in_words(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "mp4_available", lambda: False)
    with pytest.raises(ValueError, match="imageio-ffmpeg"):
        export.save_animation(tmp_path / "a.mp4", [np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(ValueError, match="no frames"):
        export.save_animation(tmp_path / "a.gif", [])


def test_chains_are_visible_in_a_grab(panel):
    for _ in range(5):
        panel.controls.step_button.click()
    image = panel.view.map.grab().toImage()
    cyan = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if abs(c.red() - CHAIN_RGB[0]) < 40 and abs(c.green() - CHAIN_RGB[1]) < 40 and c.blue() > 200:
                cyan += 1
    assert cyan > 50


def test_many_chains_are_drawn_as_a_density_image(panel):
    panel.controls.chains.setValue(30_000)
    panel.controls.step_button.click()
    ov = panel.view.overlay2d
    assert ov.density.isVisible() and ov.density.image.shape == (session.DENSITY_BINS,) * 2
    assert len(ov.points.getData()[0]) == 0
    counts = session.density_image(panel.run.state.x.numpy(), panel.energy.bounds)
    assert counts.sum() == pytest.approx(np.isfinite(panel.run.state.x.numpy()).all(1).sum(), abs=3000)


def test_session_history_and_snapshots_are_copies():
    E = energies.create("banana")
    run = SamplerRun(E, RunSettings(sampler="mh", n_chains=30, params={"step_size": 0.5}), run_id=7)
    snap = run.snapshot()
    run.step(3)
    assert snap.t == 0 and not np.allclose(snap.x, run.state.x.numpy())
    snap = run.snapshot()
    assert snap.run_id == 7 and snap.trail.shape == (4, 30, 2) and snap.prev.shape == (30, 2)
    window = run.history_window(10, 5)
    assert window["x"].shape == (4, 5, 2) and list(window["t"]) == [0, 1, 2, 3]
    land = landscape.density(E, 64)
    assert land.marginals[0].shape == (64,)


def test_worker_stops_when_the_window_closes(qtbot):
    win = MainWindow(remember_geometry=False)
    qtbot.addWidget(win)
    win.show()
    win.show_panel("sampler")
    p = win.panel("sampler")
    assert isinstance(p, SamplerPanel) and p.energy_state is win.energy_state
    p.controls.chains.setValue(100)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.waitUntil(lambda: p.isAncestorOf(QApplication.focusWidget()) or p.hasFocus())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)  # keys work right after the tab shows
    assert p.run.t == 1
    p.controls.play_button.click()
    qtbot.waitUntil(lambda: p.run.t >= 3, timeout=60_000)
    win.close()
    assert p.worker._thread is None and not p.worker.busy
