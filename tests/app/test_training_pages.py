"""The Training panel's regression and GAN pages: live runs, curves, maps and image grids, following a
run directory written by `core.training.fit`, and bad input (an empty image folder)."""
from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from core import training
from core.runs import RunDir
from workbench.panels.training import TrainingPanel

# Waits end as soon as their condition holds; the limit only catches a hang. Training runs in a
# nice-10 process that a busy machine (a parallel test worker) may starve for many seconds.
WAIT_MS = 60_000
TINY_REG = {"n_train": 256, "n_samples": 64, "batch_size": 32}
TINY_GAN = {"hidden": 32, "code": 8, "batch_size": 16, "samples_every": 5}


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(1400, 820)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    assert all(page.worker._thread is None and not page.worker.busy for page in p.pages.values())


def test_regression_page_trains_and_draws_density_slice_and_kl(panel, qtbot, tmp_path):
    page = panel.show_page("regression")
    c = page.controls
    c.method.setCurrentIndex(c.method.findData("nce-mdn"))
    c.form.set_values(TINY_REG)
    c.epochs.setValue(3)
    c.run_dir.setText(str(tmp_path / "reg"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        qtbot.mouseClick(c.buttons["start"], Qt.MouseButton.LeftButton)
    assert ended.args[1] == "finished", ended.args
    qtbot.waitUntil(lambda: page.step == 3 * 8)
    model, true = (img.image for img in page.maps.images)
    assert model is not None and true is not None and model.shape == true.shape
    assert np.isfinite(model).all() and model.max() > 0
    assert page.curves.loss.n_points == 24 and page.curves.kl.n_points == 3
    # the slice shows the true, EBM and proposal densities at the line's x; moving the line moves it
    assert len(page.slice.true.getData()[1]) > 0 and len(page.slice.proposal.getData()[1]) > 0
    before = page.slice.ebm.getData()[1].copy()
    page.maps.lines[1].setValue(1.5)
    assert page.maps.slice_x == pytest.approx(1.5) and "+1.50" in page.slice.plotItem.titleLabel.text
    assert not np.allclose(before, page.slice.ebm.getData()[1])
    assert RunDir(tmp_path / "reg").load_checkpoint()[0] == 24


def test_open_run_switches_to_the_page_of_its_trainer(panel, qtbot, tmp_path):
    trainer = training.create("regression", problem=2, method="nce", **TINY_REG)
    training.fit(trainer, 16, RunDir(tmp_path / "reg"))
    assert panel.follow_run(tmp_path / "reg")
    page = panel.current
    assert panel.kind.currentData() == "regression" and page is panel.pages["regression"]
    qtbot.waitUntil(lambda: page.curves.loss.n_points == 16, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.maps.images[0].image is not None, timeout=WAIT_MS)  # from the checkpoint
    assert page.controls.problem.currentData() == "2"

    gan = training.create("began", **TINY_GAN)
    training.fit(gan, 12, RunDir(tmp_path / "gan"), samples_every=5)
    assert panel.follow_run(tmp_path / "gan")
    page = panel.pages["gan"]
    assert panel.current is page and page.controls.model.currentData() == "began"
    qtbot.waitUntil(lambda: page.third.n_points("m_global") == 12, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.real.n_images == 64, timeout=WAIT_MS)  # from the checkpoint


def test_gan_page_live_curves_grids_pause_and_stop(panel, qtbot, tmp_path):
    page = panel.show_page("gan")
    c = page.controls
    c.form.set_values(TINY_GAN)
    c.total_steps.setValue(100_000)
    c.run_dir.setText(str(tmp_path / "ebgan"))
    qtbot.mouseClick(c.buttons["start"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.losses.n_points("d_loss") >= 20, timeout=WAIT_MS)
    for key in ("e_real", "e_fake", "margin"):
        assert page.energies.n_points(key) > 0
    assert page.third.n_points("pulling_away") > 0
    qtbot.waitUntil(lambda: page.generated.n_images == 64 and page.real.n_images == 64, timeout=WAIT_MS)
    assert page.pictures.currentIndex() == 0

    page.smoothing.setValue(90)  # display only: the buffers keep the raw values
    raw = page.losses.values["d_loss"].copy()
    shown = page.losses.items["d_loss"].getData()[1]
    assert np.allclose(page.losses.values["d_loss"][:len(raw)], raw) and np.std(shown) < np.std(raw)
    page.log_scale.setChecked(True)
    assert page.losses.log
    page.sort_by_energy.setChecked(True)
    energies = page._last_images["real_energy"]
    assert page.real.n_images == 64 and np.all(np.diff(np.sort(energies)) >= 0)

    qtbot.mouseClick(c.buttons["pause"], Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    step = page.step
    qtbot.wait(300)
    assert page.step == step
    qtbot.mouseClick(c.buttons["resume"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.step > step, timeout=WAIT_MS)
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        qtbot.mouseClick(c.buttons["stop"], Qt.MouseButton.LeftButton)
    assert ended.args[1] == "stopped"


def test_gan_page_began_curves_and_2d_mode(panel, qtbot, tmp_path):
    page = panel.show_page("gan")
    c = page.controls
    c.model.setCurrentIndex(c.model.findData("magan"))
    assert c.form.values()["lr"] == pytest.approx(5e-4)  # MAGAN's Adamax default (REFERENCES §4)
    c.model.setCurrentIndex(c.model.findData("began"))
    assert c.form.values()["lr"] == pytest.approx(2e-4)
    c.data.setCurrentIndex(c.data.findData("two_moons"))
    c.form.set_values(TINY_GAN)
    c.total_steps.setValue(40)
    c.run_dir.setText(str(tmp_path / "began2d"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        page.start()
    assert ended.args[1] == "finished", ended.args
    qtbot.waitUntil(lambda: page.step == 40)
    assert page.third.n_points("k_t") == 40 and page.third.n_points("m_global") == 40
    assert page.pictures.currentIndex() == 1 and page.map.landscape is not None
    assert len(page.map.data_points.data) > 0 and len(page.map.negatives.data) > 0


def test_gan_page_image_folder_and_an_empty_one(panel, qtbot, tmp_path):
    page = panel.show_page("gan")
    c = page.controls
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    c.data.setCurrentIndex(c.data.findData("__folder__"))
    c.folder.setText(str(folder))
    c.form.set_values({**TINY_GAN, "image_size": 28, "channels": 3})
    c.total_steps.setValue(5)
    c.run_dir.setText(str(tmp_path / "folder-run"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        page.start()
    assert ended.args[1] == "finished", ended.args
    qtbot.waitUntil(lambda: page.generated.n_images == 64)
    assert page.generated.image.image.shape == (8 * 29, 8 * 29, 3)  # 28×28 RGB tiles, 1-pixel gaps

    empty = tmp_path / "empty"
    empty.mkdir()
    c.folder.setText(str(empty))
    c.run_dir.setText(str(tmp_path / "empty-run"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        page.start()
    assert ended.args[1] == "failed" and "no readable image" in ended.args[2]
    assert "no readable image" in c.message.text() and c.buttons["start"].isEnabled()


def test_loss_explorer_bars_move_and_the_probe_can_change(panel, qtbot, tmp_path):
    page = panel.show_page("losses")
    c = page.controls
    c.loss.setCurrentIndex(c.loss.findData("hinge"))
    c.form.set_values({"eval_every": 20, "hidden": 0})
    c.total_steps.setValue(100_000)
    c.run_dir.setText(str(tmp_path / "hinge"))
    qtbot.mouseClick(c.buttons["start"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.accuracy.n_points("test_accuracy") >= 2, timeout=WAIT_MS)
    assert page.bars.margin_line.isVisible() and page.image.n_images == 1
    first = page.bars.heights.copy()
    qtbot.waitUntil(lambda: not np.allclose(page.bars.heights, first), timeout=WAIT_MS)
    c.probe.setValue(7)
    qtbot.waitUntil(lambda: "#7" in page.bars.plotItem.titleLabel.text, timeout=WAIT_MS)
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS):
        page.stop()


def test_hidden_page_keeps_counting_but_draws_only_when_shown(panel, qtbot, tmp_path):
    """A page that trains while another is shown gets scalars (curves, step) but no pictures; shown
    again it draws its newest snapshot, with what only the first one carried (the true density)."""
    panel.show_page("gan")
    page = panel.pages["regression"]
    assert not page.isVisible()
    drawn = []
    page.draw_snapshot = lambda snap: drawn.append(snap.payload)
    c = page.controls
    c.form.set_values(TINY_REG)
    c.epochs.setValue(40)
    c.run_dir.setText(str(tmp_path / "hidden"))
    page.start()
    qtbot.waitUntil(lambda: page.step >= 16 and page.snapshots_drawn >= 3, timeout=WAIT_MS)
    assert drawn == [] and page.worker.views_wanted is False
    assert page.curves.loss.n_points > 0  # the curves follow all along
    panel.show_page("regression")
    assert len(drawn) == 1 and drawn[0]["true"] is not None and drawn[0]["model"] is not None
    assert page.worker.views_wanted is True
    qtbot.waitUntil(lambda: len(drawn) >= 3, timeout=WAIT_MS)  # live again


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_training_runs_in_a_background_process(panel, qtbot, tmp_path):
    """Training runs in its own process (its GIL is not the GUI's), below the GUI thread's priority;
    the process serves the page's next run and ends with the page."""
    from workbench.headless import BACKGROUND_NICE

    page = panel.show_page("regression")
    page.controls.form.set_values(TINY_REG)
    page.controls.epochs.setValue(2)
    page.controls.run_dir.setText(str(tmp_path / "nice"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS):
        page.start()
    pid = page.worker.pid
    assert pid is not None and pid != os.getpid()
    assert page.worker.process_nice is not None and page.worker.process_nice >= BACKGROUND_NICE
    assert os.getpriority(os.PRIO_PROCESS, pid) >= BACKGROUND_NICE
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < page.worker.process_nice  # GUI stays higher
    page.controls.run_dir.setText(str(tmp_path / "again"))
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        page.start()
    assert ended.args[1] == "finished" and page.worker.pid == pid  # the same process
    panel.shutdown()
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_a_training_process_that_dies_ends_the_run_with_a_message(panel, qtbot, tmp_path):
    import signal

    page = panel.show_page("regression")
    page.controls.form.set_values(TINY_REG)
    page.controls.epochs.setValue(10_000)
    page.controls.run_dir.setText(str(tmp_path / "killed"))
    page.start()
    qtbot.waitUntil(lambda: page.step > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(page.worker.ended, timeout=WAIT_MS) as ended:
        os.kill(page.worker.pid, signal.SIGKILL)
    assert ended.args[1] == "failed" and "ended unexpectedly" in ended.args[2] and "signal 9" in ended.args[2]
    assert "ended unexpectedly" in page.controls.message.text() and page.controls.buttons["start"].isEnabled()
    page.controls.run_dir.setText(str(tmp_path / "next"))  # Start works again, in a new process
    with qtbot.waitSignal(page.worker.started, timeout=WAIT_MS):
        page.start()
    page.stop()
