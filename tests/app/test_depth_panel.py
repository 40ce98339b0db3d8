"""The Depth panel with a tiny untrained model (EBM_DEPTH_ASSETS points at it): open an image, predict in
the pool with progress, compare with ground truth (metrics, error map, hover), walk the refinement
steps, export, and bad files that must leave the panel working."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core import depth
from workbench.panels.depth import DepthPanel


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = depth.DepthModel(size=(24, 32), base=4, refine={"cnn": {"steps": 4, "n_samples": 2},
                                                          "frame": {"steps": 4, "n_samples": 2}})
    model.save(tmp_path / "assets" / depth.DEFAULT_CHECKPOINT)
    monkeypatch.setenv("EBM_DEPTH_ASSETS", str(tmp_path / "assets"))
    return model


@pytest.fixture
def panel(qtbot, tiny_model):
    p = DepthPanel()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitUntil(lambda: p.model is not None, timeout=60_000)
    p.steps.setValue(4)
    yield p
    p.shutdown()


def _predicted(panel, qtbot, action):
    with qtbot.waitSignal(panel.predict_task.finished, timeout=60_000):
        action()
    assert panel.result is not None


def test_open_an_image_predicts_at_its_size(panel, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (50, 70, 3), dtype=np.uint8)).save(tmp_path / "room.png")
    progress = []
    panel.predict_task.progress.connect(lambda done, total, _p: progress.append((done, total)))
    _predicted(panel, qtbot, lambda: panel.load_image(tmp_path / "room.png"))
    r = panel.result
    assert r.final.shape == (50, 70) and (r.final > 0).all()
    assert len(r.steps) == 5 and progress and progress[-1] == (4, 4)
    assert panel.views.images[1].image.shape == (50, 70)
    assert panel.views.fourth_kind == "std"  # no ground truth: the uncertainty map
    assert panel.table.rowCount() == 0
    panel.step_slider.setValue(0)
    assert panel.step_label.text().startswith("refinement step 0 / 4")
    assert np.allclose(panel.views.images[1].image, np.where(r.steps[0] > 0, r.steps[0], np.nan), equal_nan=True)


def test_synthetic_sample_with_ground_truth_metrics_hover_and_export(panel, qtbot, tmp_path):
    _predicted(panel, qtbot, lambda: panel.open_collection("synthetic"))
    r = panel.result
    assert r.gt is not None and r.gt.shape == (240, 320) and r.error is not None
    assert panel.table.rowCount() == 2 and panel.views.fourth_kind == "error"
    # one scale for prediction and ground truth
    assert panel.views.images[1].levels is not None
    assert tuple(panel.views.images[1].levels) == tuple(panel.views.images[2].levels)
    text = panel.views.describe(10, 20)
    assert "prediction" in text and "ground truth" in text and "error" in text
    panel.uncertainty.setChecked(True)
    assert panel.views.fourth_kind == "std"
    written = panel.export_to(tmp_path / "out")
    assert [p.name for p in written] == ["out-depth.png", "out-depth.npy", "out-comparison.png"]
    png = np.asarray(Image.open(tmp_path / "out-depth.png"))
    assert png.dtype == np.uint16 and png.shape == (240, 320)
    assert np.allclose(np.load(tmp_path / "out-depth.npy"), r.final, atol=1e-6)
    _predicted(panel, qtbot, lambda: panel.index.setValue(3))  # the next scene of the collection
    assert panel.result.sample.name.endswith("-3")


def test_bad_files_say_so_and_the_panel_keeps_working(panel, qtbot, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with qtbot.waitSignal(panel.load_task.failed, timeout=60_000):
        panel.load_image(tmp_path / "broken.png")
    assert "Could not open the file" in panel.message.text()
    with qtbot.waitSignal(panel.load_task.failed, timeout=60_000):
        panel.load_image(tmp_path / "missing.jpg")
    assert panel.open_collection("nyu", tmp_path / "missing.mat") is False
    assert "Could not open the collection" in panel.message.text()
    (tmp_path / "empty").mkdir()
    assert panel.open_collection("folder", tmp_path / "empty") is False
    Image.fromarray(np.zeros((30, 40), np.uint16)).save(tmp_path / "gray16.png")  # a 16-bit grayscale image
    _predicted(panel, qtbot, lambda: panel.load_image(tmp_path / "gray16.png"))
    assert panel.result.final.shape == (30, 40)


def test_missing_checkpoint_is_reported(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("EBM_DEPTH_ASSETS", str(tmp_path / "nothing"))
    p = DepthPanel()
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.model_task.failed, timeout=60_000):
        p.show()
    assert "missing" in p.message.text() and not p.buttons["predict"].isEnabled()
    p.shutdown()
