"""The Training panel: a tiny live run (start, pause, resume, stop), following a run directory, errors."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core import training
from core.runs import RunDir
from workbench.panels.training import TrainingPanel

# Waits end as soon as their condition holds; the limit only catches a hang. Training runs in a
# nice-10 process that a busy machine (a parallel test worker) may starve for many seconds.
WAIT_MS = 60_000
TINY = {"batch_size": 64, "buffer_size": 500, "n_data": 2000, "hidden": 16, "mcmc_steps": 5, "eval_every": 10}


@pytest.fixture
def training_panel(qtbot):
    """A shown Training panel; every page's worker thread is joined after the test."""
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    assert all(page.worker._thread is None and not page.worker.busy for page in p.pages.values())


@pytest.fixture
def panel(training_panel):
    """The Training panel's 2D-density page."""
    return training_panel.show_page("density2d")


def _tiny(p: TrainingPanel, run_dir, steps: int) -> None:
    c = p.controls
    c.form.set_values(TINY)
    c.total_steps.setValue(steps)
    c.run_dir.setText(str(run_dir))


def test_controls_come_from_core(panel):
    from core import data
    from core.training.ebm2d import EBM2DTrainer

    c = panel.controls
    assert [c.dataset.itemData(i) for i in range(c.dataset.count())] == data.names()
    assert [c.method.itemData(i) for i in range(c.method.count())] == ["cd", "pcd", "dsm"]
    assert [c.sampler.itemData(i) for i in range(c.sampler.count())] == ["langevin", "mala"]
    assert set(c.form.boxes) == {s.name for s in EBM2DTrainer.param_specs}
    assert not c.buttons["pause"].isEnabled() and c.buttons["start"].isEnabled()


def test_tiny_run_start_pause_resume_stop(panel, qtbot, tmp_path):
    run_dir = tmp_path / "run"
    _tiny(panel, run_dir, 100_000)
    qtbot.mouseClick(panel.controls.buttons["start"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.step >= 30 and panel.curves.tv.n_points >= 2, timeout=WAIT_MS)
    assert panel.curves.loss.n_points >= 20
    assert panel.map.landscape is not None and panel.map.mode == "log_density"
    assert len(panel.map.data_points.data) > 0 and len(panel.map.negatives.data) > 0
    assert panel.step_label.text().startswith("step ") and "ms" in panel.time_label.text()
    assert (run_dir / "config.json").exists() and RunDir(run_dir).read_metrics()

    qtbot.mouseClick(panel.controls.buttons["pause"], Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    step = panel.step
    lines = len(RunDir(run_dir).read_metrics())
    qtbot.wait(400)
    assert panel.step == step and len(RunDir(run_dir).read_metrics()) == lines

    with qtbot.waitSignal(panel.worker.saved, timeout=WAIT_MS):  # save while paused
        qtbot.mouseClick(panel.controls.buttons["save"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.controls.buttons["resume"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.step > step + 5, timeout=WAIT_MS)

    with qtbot.waitSignal(panel.worker.ended, timeout=WAIT_MS) as ended:
        qtbot.mouseClick(panel.controls.buttons["stop"], Qt.MouseButton.LeftButton)
    assert ended.args[1] == "stopped"
    assert panel.worker.wait_idle()
    step_saved, _ = RunDir(run_dir).load_checkpoint()
    assert step_saved == panel.step
    assert panel.controls.buttons["start"].isEnabled()
    panel.shutdown()
    assert panel.worker._thread is None


def test_run_to_the_end_then_close_writes_checkpoint(panel, qtbot, tmp_path):
    _tiny(panel, tmp_path / "run", 30)
    with qtbot.waitSignal(panel.worker.ended, timeout=WAIT_MS) as ended:
        panel.start()
    assert ended.args[1] == "finished"
    qtbot.waitUntil(lambda: panel.step == 30)
    assert RunDir(tmp_path / "run").load_checkpoint()[0] == 30
    assert panel.curves.loss.n_points == 30


def test_close_stops_the_worker_and_saves(qtbot, tmp_path):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    p = panel.pages["density2d"]
    _tiny(p, tmp_path / "run", 100_000)
    p.start()
    qtbot.waitUntil(lambda: p.step >= 5, timeout=WAIT_MS)
    panel.close()
    assert p.worker._thread is None and not p.worker.busy
    assert RunDir(tmp_path / "run").load_checkpoint()[0] >= 5


def test_existing_run_directory_is_refused(panel, qtbot, tmp_path):
    RunDir(tmp_path / "run").write_config({"trainer": "ebm2d"})
    _tiny(panel, tmp_path / "run", 10)
    with qtbot.waitSignal(panel.worker.ended, timeout=WAIT_MS) as ended:
        panel.start()
    assert ended.args[1] == "failed" and "already holds a run" in ended.args[2]
    assert "already holds a run" in panel.controls.message.text()


def test_follow_a_run_written_by_fit(panel, qtbot, tmp_path):
    trainer = training.create("ebm2d", dataset="8gaussians", **TINY)
    training.fit(trainer, 200, RunDir(tmp_path / "fit"))
    assert panel.follow_run(tmp_path / "fit")
    qtbot.waitUntil(lambda: panel.curves.loss.n_points == 200)
    assert panel.curves.tv.n_points == 21  # step 1, then every 10
    assert panel.step == 200 and len(panel.map.negatives.data) > 0 and len(panel.map.data_points.data) > 0
    assert panel.follower.timer.isActive()
    assert panel.controls.form.values()["hidden"] == 16 and panel.controls.form.values()["batch_size"] == 64
    qtbot.waitUntil(lambda: panel.map.landscape is not None, timeout=WAIT_MS)  # from the checkpoint
    run = RunDir(tmp_path / "fit")  # the run goes on: the next tick picks up new lines
    run.log(201, loss=0.5)
    qtbot.waitUntil(lambda: panel.curves.loss.n_points == 201, timeout=WAIT_MS)
    assert panel.step == 201


def test_follow_a_missing_directory_says_so(panel, tmp_path):
    assert not panel.follow_run(tmp_path / "nope")
    assert "Could not open the run" in panel.controls.message.text()
    assert "nope" in panel.controls.message.text()
    (tmp_path / "empty").mkdir()
    assert not panel.follow_run(tmp_path / "empty")
    assert "not a run directory" in panel.controls.message.text()
    assert not panel.follower.timer.isActive()
