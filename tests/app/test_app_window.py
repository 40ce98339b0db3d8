"""The app skeleton: main window, menus, tabs from the panel registry, errors, settings, screenshots."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

import core
from core import device, energies, samplers
from workbench import errors, panels
from workbench.app import main
from workbench.main_window import MainWindow
from workbench.settings import qsettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot):
    """A shown main window, closed and deleted by qtbot after the test."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_message_box(qtbot) -> QMessageBox:
    """Wait for a visible QMessageBox and return it."""
    boxes: list[QMessageBox] = []

    def shown() -> None:
        boxes[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.isVisible()]
        assert boxes

    qtbot.waitUntil(shown)
    return boxes[0]


def _close(qtbot, box: QMessageBox) -> None:
    """Close `box` as the user would and wait until it is hidden."""
    box.buttons()[0].click()
    qtbot.waitUntil(lambda: not box.isVisible())


def _distinct_colours(image: QImage, step: int = 16) -> int:
    """Number of distinct colours on a grid of pixels."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def test_title_menus_tabs_and_status(window):
    assert window.windowTitle() == "Energy Workbench"
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "View", "Help"]
    assert window.tabs.count() == len(panels.PANELS)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        p.title for p in panels.PANELS]
    assert window.statusBar().currentMessage().startswith("Ready")


def test_panel_registry_ids_are_unique_and_findable():
    ids = [p.id for p in panels.PANELS]
    assert len(ids) == len(set(ids))
    assert {"landscape", "sampler", "training", "depth"} <= set(ids)
    assert panels.find("SAMPLER").id == "sampler"
    with pytest.raises(ValueError, match="valid panels: landscape"):
        panels.find("nope")


def test_view_actions_and_shortcuts_switch_tabs(window, qtbot):
    for index, info in enumerate(panels.PANELS):
        action = window.menu_actions[f"view_{info.id}"]
        assert action.shortcut().toString() == f"Ctrl+{index + 1}"
        action.trigger()
        assert window.tabs.currentIndex() == index
        assert window.current_panel_id() == info.id
    window.tabs.setCurrentIndex(0)
    assert window.menu_actions[f"view_{panels.PANELS[0].id}"].isChecked()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1


def test_full_screen_toggles(window, qtbot):
    action = window.menu_actions["full_screen"]
    assert action.shortcut().toString() == "F11"
    action.trigger()
    qtbot.waitUntil(window.isFullScreen)
    action.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not action.isChecked()


def test_file_actions_open_their_panels_dialogs(window, qtbot):
    from PySide6.QtWidgets import QFileDialog

    for action, name, panel_id in (("open_image", "open_image_dialog", "depth"),
                                   ("open_run", "open_run_dialog", "training")):
        window.menu_actions[action].trigger()
        assert window.current_panel_id() == panel_id
        dialog = window.findChild(QFileDialog, name)
        qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
        dialog.reject()
    assert "Choose a run directory" in window.statusBar().currentMessage()  # Training panel dialog
    assert window.menu_actions["quit"].shortcut().toString() == "Ctrl+Q"


def test_export_view_writes_png(window, tmp_path):
    assert window.export_view(tmp_path / "view.png")
    assert QImage(str(tmp_path / "view.png")).width() > 0


def test_panels_show_the_engine_is_alive(window):
    def text_of(panel_id: str) -> str:
        return " ".join(label.text() for label in window.panel(panel_id).findChildren(QLabel))

    combo = window.panel("landscape").source.combo  # the real Landscape panel lists every energy
    assert all(combo.findData(name) >= 0 for name in energies.names())
    sampler_combo = window.panel("sampler").controls.sampler_combo  # the real Sampler panel
    assert all(sampler_combo.findData(name) >= 0 for name in samplers.names(discrete=False))
    for panel_id in ("training", "depth"):
        assert str(device.pick()) in text_of(panel_id)


def test_about_and_shortcuts_dialogs_open_and_close(window, qtbot):
    window.menu_actions["about"].trigger()
    box = _open_message_box(qtbot)
    for fact in (core.__version__, torch.__version__, str(device.pick())):
        assert fact in box.text()
    _close(qtbot, box)
    window.menu_actions["shortcuts"].trigger()
    box = _open_message_box(qtbot)
    assert "Ctrl+Q" in box.text() and "F11" in box.text() and "Ctrl+1" in box.text()
    _close(qtbot, box)


def test_uncaught_exception_goes_to_status_bar_and_log(window, qtbot):
    handler = errors.start_logging()
    hook = errors.ExceptionHook(window).install()
    try:
        QTimer.singleShot(0, lambda: 1 / 0)  # raises inside a Qt callback
        qtbot.waitUntil(lambda: "ZeroDivisionError" in window.statusBar().currentMessage())
    finally:
        hook.uninstall()
        errors.stop_logging(handler)
    assert hook.count == 1 and window.isVisible()
    assert "Unexpected error" in window.statusBar().currentMessage()
    assert "ZeroDivisionError" in errors.log_path().read_text(encoding="utf-8")


def test_report_error_words_a_value_error(window, qtbot, monkeypatch):
    panel = window.panel("landscape")
    with pytest.raises(ValueError) as caught:
        energies.create("no_such_energy")
    message = errors.report_error(panel, caught.value, "create the energy")
    assert message.startswith("Could not create the energy: unknown energy 'no_such_energy'")
    assert window.statusBar().currentMessage() == message
    monkeypatch.setattr(errors, "SHOW_DIALOGS", True)  # as outside tests: a dialog too
    errors.report_error(panel, ValueError("bad formula"), "parse the formula")
    box = _open_message_box(qtbot)
    assert box.text() == "Could not parse the formula: bad formula"
    _close(qtbot, box)


def test_geometry_and_tab_are_remembered(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(640, 480)  # fits the 800x600 Xvfb screen of pytest-xvfb
    first.show_panel("training")
    qtbot.waitUntil(lambda: first.size().width() == 640)
    assert first.close()
    assert qsettings().value("window/panel") == "training"
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.size().width(), second.size().height()) == (640, 480)
    assert second.current_panel_id() == "training"


@pytest.mark.parametrize("tab", [None, "sampler"])
def test_main_writes_a_screenshot(qapp, tmp_path, tab):
    path = tmp_path / "shots" / "x.png"
    argv = ["--screenshot", path, "--delay", "50"] + (["--tab", tab] if tab else [])
    assert main(argv) == 0
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1280, 800)
    assert _distinct_colours(image) > 3  # not blank
    assert not qsettings().contains("window/geometry")  # screenshots leave settings alone


def test_quit_action_ends_main_and_saves_geometry(qapp):
    def quit_from_menu() -> None:
        try:
            window = next(w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow))
            window.menu_actions["quit"].trigger()
        except Exception:  # never leave main() running forever
            qapp.exit(3)

    QTimer.singleShot(200, quit_from_menu)
    assert main([]) == 0
    assert qsettings().contains("window/geometry")


def test_main_rejects_an_unknown_tab(capsys):
    assert main(["--tab", "nope"]) == 2
    assert "valid panels" in capsys.readouterr().err


def test_python_dash_m_workbench_makes_a_screenshot(tmp_path):
    path = tmp_path / "depth.png"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--tab", "depth", "--screenshot", str(path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert _distinct_colours(QImage(str(path))) > 3
