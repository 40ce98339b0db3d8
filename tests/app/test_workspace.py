"""Workspaces: a round trip restores every panel's inputs and what it had open; older versions migrate;
what cannot be restored is listed; typed settings migrate and survive damage; recents are kept."""
from __future__ import annotations

import json

import pytest

from core import training
from core.runs import RunDir
from workbench import workspace
from workbench.main_window import MainWindow
from workbench.settings import Settings, add_recent_file, migrate, recent_files


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make():
        w = MainWindow(remember_geometry=False)
        qtbot.addWidget(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        for info in w.panel_infos:
            shutdown = getattr(w.panel(info.id), "shutdown", None)
            if callable(shutdown):
                shutdown()


def _change_every_panel(w: MainWindow, tmp_path) -> None:
    w.energy_state.set_builtin("donut")
    w.energy_state.set_temperature(2.0)
    sampler = w.panel("sampler")
    sampler.controls.sampler_combo.setCurrentIndex(sampler.controls.sampler_combo.findData("hmc"))
    sampler.discrete.noise.setValue(0.2)
    sampler.discrete.coupling.setValue(140)
    training_panel = w.panel("training")
    page = training_panel.show_page("regression")
    page.controls.method.setCurrentIndex(page.controls.method.findData("kld"))
    page.controls.epochs.setValue(12)
    page.controls.seed.setValue(7)
    gan = training_panel.pages["gan"]
    gan.controls.model.setCurrentIndex(gan.controls.model.findData("magan"))
    gan.controls.form.set_values({"hidden": 64})
    trainer = training.create("ebm2d", dataset="two_moons", batch_size=32, buffer_size=100, hidden=8,
                              mcmc_steps=2, eval_every=5)
    training.fit(trainer, 5, RunDir(tmp_path / "followed"))
    training_panel.pages["density2d"].follow_run(tmp_path / "followed")
    training_panel.show_page("regression")
    depth_panel = w.panel("depth")
    depth_panel.steps.setValue(7)
    depth_panel.colormap.setCurrentText("inferno")
    w.show_panel("training")


def test_round_trip_restores_every_panel(make_window, tmp_path):
    first = make_window()
    _change_every_panel(first, tmp_path)
    assert first.save_workspace(tmp_path / "ws.json")
    saved = json.loads((tmp_path / "ws.json").read_text())
    assert saved["version"] == workspace.VERSION and set(saved["panels"]) == {p.id for p in first.panel_infos}

    second = make_window()
    assert second.open_workspace(tmp_path / "ws.json") == []
    assert second.energy_state.source["name"] == "donut" and second.energy_state.temperature == 2.0
    for info in first.panel_infos:
        assert workspace.capture_inputs(second.panel(info.id)) == workspace.capture_inputs(first.panel(info.id)), info.id
    assert second.current_panel_id() == "training"
    page = second.panel("training").pages["regression"]
    assert page.controls.method.currentData() == "kld" and page.controls.epochs.value() == 12
    assert second.panel("training").pages["density2d"].follower.path == tmp_path / "followed"
    assert second.panel("sampler").discrete.model.J == pytest.approx(1.4)
    assert recent_files("workspace")[0] == str(tmp_path / "ws.json")
    assert Settings.load().last_workspace == str(tmp_path / "ws.json")


def test_every_input_of_every_panel_is_saved(make_window):
    """An input without an object name would silently be left out of workspaces."""
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QWidget

    w = make_window()
    for info in w.panel_infos:
        panel = w.panel(info.id)
        unnamed = [type(c).__name__ for c in panel.findChildren(QWidget)
                   if isinstance(c, workspace.INPUTS) and c.window() is panel.window() and not c.objectName()
                   and not (isinstance(c, QLineEdit) and isinstance(c.parentWidget(), (QAbstractSpinBox, QComboBox)))]
        assert unnamed == [], info.id
        assert workspace.capture_inputs(panel), info.id


def test_what_cannot_be_restored_is_listed(make_window, tmp_path):
    w = make_window()
    doc = workspace.collect(w)
    doc["panels"]["sampler"]["inputs"]["no/such/control"] = 3
    doc["panels"]["depth"]["inputs"]["steps"] = 10_000  # above the spin box's maximum
    doc["panels"]["gone"] = {"inputs": {}}
    doc["panels"]["training"]["extra"] = {"followed": {"density2d": str(tmp_path / "deleted-run")}}
    doc["energy"]["source"] = {"kind": "builtin", "name": "no-such-energy"}
    (tmp_path / "ws.json").write_text(json.dumps(doc))
    problems = w.open_workspace(tmp_path / "ws.json")
    text = "\n".join(problems)
    assert "no/such/control: no such control" in text
    assert "steps: 10000 is outside" in text
    assert "panel 'gone' does not exist" in text
    assert "deleted-run no longer exists" in text
    assert "energy: unknown energy 'no-such-energy'" in text
    assert w.energy_state.source["name"] != "no-such-energy"  # the app carries on with what it had


def test_version_0_is_migrated(make_window, tmp_path):
    w = make_window()
    old = {"version": 0, "tab": 1, "inputs": {"depth/steps": 9}, "energy": {"source": {"kind": "builtin",
                                                                                      "name": "funnel"}}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    problems = w.open_workspace(tmp_path / "old.json")
    assert problems == ["workspace migrated from version 0 (tab index → panel id, flat inputs → per panel)"]
    assert w.current_panel_id() == w.panel_infos[1].id and w.panel("depth").steps.value() == 9
    assert w.energy_state.source["name"] == "funnel"


def test_bad_workspace_files_say_so(make_window, tmp_path):
    w = make_window()
    (tmp_path / "junk.json").write_bytes(b"\x00\xff not json")
    assert "not a readable workspace" in w.open_workspace(tmp_path / "junk.json")[0]
    (tmp_path / "other.json").write_text(json.dumps({"format": "something-else"}))
    assert "not an Energy Workbench workspace" in w.open_workspace(tmp_path / "other.json")[0]
    (tmp_path / "new.json").write_text(json.dumps({"format": workspace.FORMAT, "version": 99}))
    assert "newer than this app reads" in w.open_workspace(tmp_path / "new.json")[0]
    assert "not a readable workspace" in w.open_workspace(tmp_path / "missing.json")[0]


def test_settings_migrate_and_survive_damage(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "reopen": False, "max_recent": "many", "colour": "blue"}))
    s = Settings.load(path)
    assert s.restore_last_workspace is False and s.max_recent == 10 and s.version == 2
    assert "settings migrated from version 1" in s.problems
    assert any("'max_recent'" in p for p in s.problems) and any("'colour'" in p for p in s.problems)
    s.save(path)
    assert Settings.load(path).problems == [] and Settings.load(path).restore_last_workspace is False
    path.write_text("{broken")
    assert Settings.load(path).problems[0].startswith(f"settings file {path} is unreadable")
    assert migrate({"version": 2})[1] == []


def test_settings_and_recents_live_in_the_test_folder(tmp_path):
    assert str(Settings.path()).startswith(str(tmp_path))
    for i in range(12):
        add_recent_file("workspace", tmp_path / f"w{i}.json")
    assert len(recent_files("workspace")) == 10 and recent_files("workspace")[0].endswith("w11.json")


def test_last_workspace_reopens_at_launch(make_window, tmp_path):
    from workbench.app import restore_last_workspace

    first = make_window()
    first.energy_state.set_builtin("squiggle")
    first.save_workspace(tmp_path / "last.json")
    second = make_window()
    assert restore_last_workspace(second) == []
    assert second.energy_state.source["name"] == "squiggle"
    s = Settings.load()
    s.restore_last_workspace = False
    s.save()
    assert restore_last_workspace(make_window()) is None


def test_param_form_never_offers_a_value_the_engine_refuses(qtbot):
    """Found by the monkey test: EMA's limit 0.99999 shown with 3 decimals let the box reach 1.0."""
    from core.params import param
    from core.training.ebm2d import EBM2DTrainer
    from workbench.widgets.param_form import ParamForm

    specs = EBM2DTrainer.param_specs + (param("x", 0.5, 0.0, 0.987654321, "a limit with many digits"),)
    form = ParamForm(specs)
    qtbot.addWidget(form)
    for spec in specs:
        box = form.boxes[spec.name]
        box.setValue(box.maximum())
        spec.check(box.value())  # raises ValueError if the box went past the engine's limit
