"""Help › Guide opens docs/guide.md with its images; every screenshot it names exists; a missing guide says so."""
from __future__ import annotations

import re

from workbench.guide import GUIDE, GuideWindow
from workbench.main_window import MainWindow


def test_guide_opens_from_the_help_menu(qtbot):
    w = MainWindow(remember_geometry=False)
    qtbot.addWidget(w)
    w.menu_actions["guide"].trigger()
    guide = w.guide_window
    assert guide.isVisible() and "Energy Workbench" in guide.browser.toPlainText()
    assert "Keyboard shortcuts" in guide.browser.toPlainText()
    guide.close()
    for info in w.panel_infos:
        shutdown = getattr(w.panel(info.id), "shutdown", None)
        if callable(shutdown):
            shutdown()


def test_every_panel_has_a_screenshot_in_the_guide():
    text = GUIDE.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert {"screenshot-landscape.png", "screenshot-sampler.png", "screenshot-training.png",
            "screenshot-depth.png"} <= set(images)
    for image in images:
        assert (GUIDE.parent / image).is_file(), image


def test_a_missing_guide_says_where_it_should_be(qtbot, tmp_path):
    window = GuideWindow(path=tmp_path / "nope.md")
    qtbot.addWidget(window)
    assert "Guide not found" in window.browser.toPlainText() and "nope.md" in window.browser.toPlainText()
