"""The Landscape panel, driven as a user would: energies, parameters, formulas, temperature, views,
3D, hover, exports, the worker path for slow grids, and pixels of what it draws."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from core import energies, landscape
from core.energies import neural
from core.energies.neural import MLPEnergy
from workbench.main_window import MainWindow
from workbench.panels.landscape import LandscapePanel, controls, export, surface3d
from workbench.state import EnergyState
from workbench.widgets.landscape_view import describe_point, values_for


@pytest.fixture
def panel(qtbot):
    """A shown standalone panel on its own EnergyState; worker computations finished at teardown."""
    widget = LandscapePanel(state=EnergyState())
    qtbot.addWidget(widget, before_close_func=lambda w: w.shutdown())
    widget.resize(780, 560)  # inside pytest-xvfb's 800x600 screen
    widget.show()
    qtbot.waitExposed(widget)
    settle(qtbot, widget)
    yield widget
    widget.shutdown()


def settle(qtbot, panel: LandscapePanel) -> None:
    """Wait until the newest grid is on screen (cheap grids come at once, slow ones from the worker)."""
    qtbot.waitUntil(lambda: not panel.computer.busy, timeout=60_000)


def image_data(panel: LandscapePanel) -> np.ndarray:
    """What the heat map shows, back in 'ij' order (x first)."""
    return np.asarray(panel.map2d.image.image).T.copy()


def distinct_colours(image: QImage, step: int = 8) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def type_formula(qtbot, panel: LandscapePanel, text: str) -> None:
    """Clear the formula line, type `text` and press Enter."""
    panel.source.formula.clear()
    qtbot.keyClicks(panel.source.formula, text)
    qtbot.keyClick(panel.source.formula, Qt.Key.Key_Return)
    settle(qtbot, panel)


def test_starts_on_the_state_energy_exactly(panel):
    expected = landscape.density(panel.state.energy, 256)
    assert panel.stack.currentWidget() is panel.map2d
    np.testing.assert_array_equal(image_data(panel), values_for(expected, "energy"))
    assert panel.landscape.log_z == expected.log_z
    assert panel.source.combo.currentData() == "banana"
    assert energies.info("banana")["description"] in panel.source.description.text()
    assert panel.controls.resolution_value == 256


def test_combo_lists_every_energy_grouped_and_switches(panel, qtbot):
    combo = panel.source.combo
    assert all(combo.findData(name) >= 0 for name in energies.names())
    assert combo.itemText(0) == "1D energies" and not combo.model().item(0).isEnabled()
    before = image_data(panel)
    combo.setCurrentIndex(combo.findData("donut"))
    settle(qtbot, panel)
    assert panel.state.source == {"kind": "builtin", "name": "donut", "params": panel.state.energy.params}
    expected = landscape.density(energies.create("donut"), 256)
    np.testing.assert_array_equal(image_data(panel), values_for(expected, "energy"))
    assert not np.array_equal(before, image_data(panel))
    assert energies.info("donut")["description"] in panel.source.description.text()
    assert set(panel.source.form.boxes) == {s.name for s in energies.specs("donut")}


def test_parameter_change_recreates_the_energy(panel, qtbot):
    box = panel.source.form.boxes["b"]
    box.setValue(0.5)
    settle(qtbot, panel)
    assert panel.state.energy.params["b"] == pytest.approx(0.5)
    expected = landscape.density(energies.create("banana", b=0.5), 256)
    np.testing.assert_array_equal(image_data(panel), values_for(expected, "energy"))


def test_bad_formula_is_shown_inline_and_changes_nothing(panel, qtbot):
    before, energy = image_data(panel), panel.state.energy
    type_formula(qtbot, panel, "(x**2 - 1)**2 + fooo*y")
    assert panel.source.formula_error.isVisible()
    assert "'fooo'" in panel.source.formula_error.text()
    assert panel.state.energy is energy
    np.testing.assert_array_equal(image_data(panel), before)


def test_not_finite_anywhere_is_inline_and_keeps_the_surface(panel, qtbot):
    before = image_data(panel)
    type_formula(qtbot, panel, "log(-1 - x**2 - y**2)")
    assert "not finite anywhere" in panel.source.formula_error.text()
    assert panel.source.formula_error.isVisible()
    np.testing.assert_array_equal(image_data(panel), before)


def test_good_formulas_in_2d_and_1d(panel, qtbot):
    formula = "(x**2 - 1)**2 + 0.5*y**2"
    type_formula(qtbot, panel, formula)
    assert not panel.source.formula_error.isVisible()
    assert panel.state.source["kind"] == "expression"
    expected = landscape.density(energies.from_expression(formula), 256)
    np.testing.assert_array_equal(image_data(panel), values_for(expected, "energy"))
    assert panel.source.combo.currentIndex() == -1
    panel.source.x_range.setText("-2, 2")
    type_formula(qtbot, panel, "(x**2 - 1)**2")
    assert panel.stack.currentWidget() is panel.curve1d
    assert panel.landscape.bounds == [(-2.0, 2.0)]
    assert not panel.controls.view_buttons["3d"].isEnabled()
    x, y = panel.curve1d.curve.getData()
    expected = landscape.density(energies.from_expression("(x**2 - 1)**2", bounds=[(-2, 2)]), 256)
    np.testing.assert_allclose(y, values_for(expected, "energy"))
    panel.source.x_range.setText("2, 1")
    assert not panel.source.apply_formula()
    assert "low < high" in panel.source.formula_error.text()


def test_nan_energies_draw_with_a_message(panel, qtbot):
    type_formula(qtbot, panel, "log(x) + y**2")
    assert panel.state.source["kind"] == "expression"
    assert panel.message.isVisible() and "no finite energy" in panel.message.text()
    shown = np.asarray(panel.map2d.image.image)
    assert np.isfinite(shown).all()  # NaN cells take the top colour
    assert shown[:, 0].max() == pytest.approx(panel.map2d.levels[1])  # x < 0: log is NaN
    assert math.isfinite(panel.landscape.log_z)


def test_temperature_is_debounced_and_renormalises(panel, qtbot):
    computer, slider = panel.computer, panel.controls.temperature_slider
    count, evaluated = computer.computed, panel.landscape.energy
    for value in (110, 130, 150):  # three quick moves: one recomputation
        slider.setValue(value)
    assert computer.computed == count
    qtbot.waitUntil(lambda: computer.computed == count + 1, timeout=60_000)
    qtbot.wait(2 * controls.DEBOUNCE_MS)
    assert computer.computed == count + 1
    T = panel.controls.temperature_spin.value()
    assert panel.state.temperature == T == pytest.approx(controls.slider_to_temperature(150), abs=1e-3)
    assert panel.landscape.energy is evaluated  # re-normalised, not re-evaluated
    log_z = landscape.log_partition(panel.state.energy, 256, temperature=T)
    assert f"log Z = {log_z:.4f}" in panel.logz_label.text()
    assert f"T = {T:g}" in panel.logz_label.text()
    panel.state.set_temperature(0.5)  # another panel sets it: the controls follow
    settle(qtbot, panel)
    assert panel.controls.temperature_spin.value() == 0.5
    assert panel.controls.temperature_slider.value() == controls.temperature_to_slider(0.5)
    assert panel.landscape.temperature == 0.5


def test_modes_show_values_for(panel, qtbot):
    for mode in ("density", "log_density", "energy"):
        qtbot.mouseClick(panel.controls.mode_buttons[mode], Qt.MouseButton.LeftButton)
        assert panel.map2d.mode == mode
        expected = values_for(panel.landscape, mode)
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(image_data(panel)[finite], expected[finite])


def test_3d_view_is_made_lazily_and_renders(panel, qtbot):
    assert panel.surface3d.canvas is None
    qtbot.mouseClick(panel.controls.view_buttons["3d"], Qt.MouseButton.LeftButton)
    assert panel.stack.currentWidget() is panel.surface3d
    assert panel.surface3d.canvas is not None
    qtbot.mouseClick(panel.controls.mode_buttons["density"], Qt.MouseButton.LeftButton)
    pixels = panel.surface3d.render_image()
    assert pixels.ndim == 3 and len(np.unique(pixels[::4, ::4, :3].reshape(-1, 3), axis=0)) > 20
    x, y, z, colours = surface3d.surface_arrays(panel.landscape, "density")
    assert z.shape == (len(x), len(y)) == (128, 128) and colours.shape == (128 * 128, 4)
    grabbed = panel.surface3d.grab().toImage()
    assert distinct_colours(grabbed) > 10
    qtbot.mouseClick(panel.controls.view_buttons["2d"], Qt.MouseButton.LeftButton)
    assert panel.stack.currentWidget() is panel.map2d


def test_3d_without_opengl_says_so(panel, qtbot, monkeypatch):
    monkeypatch.setattr(surface3d, "opengl_problem", lambda: "OpenGL is not available here.")
    qtbot.mouseClick(panel.controls.view_buttons["3d"], Qt.MouseButton.LeftButton)
    assert panel.surface3d.canvas is None
    assert "OpenGL is not available" in panel.surface3d.message.text()
    assert panel.surface3d.message.isVisible()


def test_hover_shows_the_point_under_the_cursor(panel, qtbot):
    view = panel.map2d
    qtbot.mouseMove(panel.logz_label)  # start outside the map, once the layout has settled
    qtbot.wait(50)
    scene_pos = view.plot.vb.mapViewToScene(QPointF(0.5, 1.0))
    qtbot.mouseMove(view.viewport(), view.mapFromScene(scene_pos))
    qtbot.waitUntil(lambda: panel.hover_label.text().startswith("x="))
    text = panel.hover_label.text()
    x, y = (float(part.split("=")[1]) for part in text.split(", ")[:2])
    assert x == pytest.approx(0.5, abs=0.1) and y == pytest.approx(1.0, abs=0.1)
    assert text == describe_point(panel.landscape, *_point_under(view, scene_pos))
    assert "E=" in text and "p=" in text


def _point_under(view, scene_pos) -> tuple[float, float]:
    """Model coordinates of the pixel the mouse actually reached (it snaps to whole pixels)."""
    snapped = view.mapToScene(view.mapFromScene(scene_pos))
    point = view.plot.vb.mapSceneToView(snapped)
    return point.x(), point.y()


def test_exports_read_back(panel, tmp_path):
    land = panel.landscape
    assert panel.export_view(tmp_path / "view.png")
    image = QImage(str(tmp_path / "view.png"))
    assert image.width() == panel.map2d.width() and distinct_colours(image) > 10
    with np.load(panel.export_npz(tmp_path / "grid.npz")) as npz:
        np.testing.assert_array_equal(npz["energy"], land.energy.numpy())
        np.testing.assert_array_equal(npz["density"], land.density.numpy())
        np.testing.assert_array_equal(npz["x"], land.axes[0].numpy())
        assert float(npz["log_z"]) == land.log_z and float(npz["temperature"]) == 1.0
        assert npz["bounds"].tolist() == [[-6.0, 6.0], [-6.0, 6.0]]
        assert json.loads(str(npz["source"]))["name"] == "banana"
    csv = panel.export_csv(tmp_path / "grid.csv")
    header = export.read_csv_header(csv)
    assert json.loads(header["source"])["name"] == "banana"
    assert float(header["log_z"]) == land.log_z
    skip = len(export.csv_header(land))  # '#' lines before the column names
    table = np.genfromtxt(csv, delimiter=",", names=True, skip_header=skip)
    assert table.dtype.names == ("x", "y", "energy", "density", "log_density")
    np.testing.assert_allclose(table["energy"].reshape(256, 256), land.energy.numpy(), rtol=1e-9)
    np.testing.assert_allclose(table["y"][:3], land.axes[1][:3].numpy())


def test_slow_grids_go_through_the_worker_and_stale_ones_are_dropped(panel, qtbot):
    panel.controls.resolution.setCurrentIndex(controls.RESOLUTIONS.index(512))
    settle(qtbot, panel)
    assert panel.landscape.energy.shape == (512, 512)
    mlp = MLPEnergy(dim=2, hidden=(64, 64), seed=1)
    panel.state.set_energy(mlp)
    assert panel.computer.route == "worker" and panel.computer.busy
    assert not panel.busy.isHidden()  # the busy bar
    panel.source.select("double_well")  # 512 points: synchronous, and newer than the MLP grid
    assert panel.computer.route == "sync" and not panel.computer.busy
    qtbot.waitUntil(lambda: panel.computer.dropped == 1, timeout=60_000)
    assert panel.current_view is panel.curve1d  # the MLP grid never reached the screen
    assert panel.landscape.energy.shape == (512,)
    with qtbot.waitSignal(panel.computer.ready, timeout=60_000):
        panel.state.set_energy(mlp)
        assert panel.computer.route == "worker"  # it learnt from the dropped run how slow it is
    assert panel.busy.isHidden()
    np.testing.assert_array_equal(image_data(panel), values_for(landscape.density(mlp, 512), "energy"))
    panel.state.set_temperature(2.0)  # the cached grid is re-normalised: cheap, synchronous
    assert panel.computer.route == "sync" and panel.landscape.temperature == 2.0
    assert panel.landscape.energy.shape == (512, 512)


def test_an_energy_changed_in_place_is_evaluated_again(panel, qtbot):
    mlp = MLPEnergy(hidden=(4,), seed=2)  # e.g. a model the Training panel is training
    panel.state.set_energy(mlp)
    settle(qtbot, panel)
    before = panel.landscape.energy.clone()
    with torch.no_grad():
        mlp.net[-1].bias += 1.0
    panel.state.set_energy(mlp)  # same object, new weights
    settle(qtbot, panel)
    torch.testing.assert_close(panel.landscape.energy, before + 1.0)


def test_views_leave_no_stray_pyqtgraph_windows(qtbot):
    from PySide6.QtWidgets import QApplication

    from workbench.widgets.landscape_view import Curve1D, Map2D

    before = set(QApplication.topLevelWidgets())
    views = [Map2D(), Curve1D()]
    strays = set(QApplication.topLevelWidgets()) - before - set(views)
    assert strays and all(_root(w) in views for w in strays)  # pyqtgraph's menus, adopted
    for view in views:
        view.deleteLater()
    qtbot.waitUntil(lambda: set(QApplication.topLevelWidgets()) <= before)


def _root(widget):
    """The last ancestor of `widget`, across window boundaries."""
    while widget.parent() is not None:
        widget = widget.parent()
    return widget


def test_checkpoints_load_and_bad_files_are_reported(panel, qtbot, tmp_path, monkeypatch):
    path = neural.save(MLPEnergy(hidden=(16,), seed=3), tmp_path / "mlp.pt")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(panel.source.checkpoint_button, Qt.MouseButton.LeftButton)
    assert panel.state.source == {"kind": "checkpoint", "path": str(path)}
    qtbot.waitUntil(lambda: panel.landscape_source.get("kind") == "checkpoint", timeout=60_000)
    assert "Trained model" in panel.source.description.text()
    assert panel.source.form.boxes == {}
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    assert not panel.source.load_checkpoint(str(bad))
    assert panel.source.error.isVisible() and "Could not load the checkpoint" in panel.source.error.text()
    assert panel.state.source["path"] == str(path)


def test_pixels_of_the_map_use_the_colour_map(panel):
    image = panel.map2d.grab().toImage()
    assert distinct_colours(image) > 30
    # Inferno is warm: somewhere red clearly beats blue, and the darkest colours are near black.
    colours = [image.pixelColor(x, y) for x in range(0, image.width(), 10)
               for y in range(0, image.height(), 10)]
    assert any(c.red() > c.blue() + 80 for c in colours)


def test_tab_order_follows_the_column(panel, qtbot):
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    panel.source.combo.setFocus()
    qtbot.keyClick(panel.source.combo, Qt.Key.Key_Tab)
    first_box = next(iter(panel.source.form.boxes.values()))
    assert first_box.hasFocus() or first_box.isAncestorOf(panel.focusWidget())


def test_main_window_shares_the_state_and_exports_the_view(qtbot, tmp_path):
    window = MainWindow(remember_geometry=False)
    panel = window.panel("landscape")
    qtbot.addWidget(window, before_close_func=lambda w: panel.shutdown())
    window.show()
    qtbot.waitExposed(window)
    assert panel.state is window.energy_state
    panel.source.select("squiggle")
    assert window.energy_state.source["name"] == "squiggle"
    window.energy_state.set_builtin("funnel")  # e.g. from the Sampler panel: the combo follows
    assert panel.source.combo.currentData() == "funnel"
    settle(qtbot, panel)
    assert panel.landscape.bounds == energies.create("funnel").bounds
    window.show_panel("landscape")
    assert window.export_view(tmp_path / "view.png")
    assert QImage(str(tmp_path / "view.png")).width() == panel.map2d.width()
    panel.source.formula.setText("x + ")
    panel.source.apply_formula()
    assert "Formula not applied" in window.statusBar().currentMessage()
    assert torch.equal(panel.landscape.energy, landscape.evaluate(energies.create("funnel"), 256).energy)
