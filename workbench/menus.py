"""The menu bar: File (open image / open run / export / quit), View (tabs, full screen), Help."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from workbench import APP_TITLE

if TYPE_CHECKING:
    from workbench.main_window import MainWindow


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Add File, View and Help menus to `window`; return their actions by name."""
    bar = window.menuBar()
    actions: dict[str, QAction] = {}

    file_menu = bar.addMenu("&File")
    actions["open_image"] = _add(file_menu, "Open &image…", window.open_image, "Ctrl+O")
    actions["open_run"] = _add(file_menu, "Open &run…", window.open_run, "Ctrl+Shift+O")
    actions["export_view"] = _add(file_menu, "&Export view…", window.export_view_dialog, "Ctrl+E")
    file_menu.addSeparator()
    actions["save_workspace"] = _add(file_menu, "&Save workspace…", window.save_workspace_dialog, "Ctrl+S")
    actions["open_workspace"] = _add(file_menu, "Open &workspace…", window.open_workspace_dialog, "Ctrl+Shift+W")
    window.recent_menu = file_menu.addMenu("Open &recent workspace")
    file_menu.addSeparator()
    actions["quit"] = _add(file_menu, "&Quit", window.close, "Ctrl+Q")

    view_menu = bar.addMenu("&View")
    group = QActionGroup(window)
    group.setExclusive(True)
    for index, info in enumerate(window.panel_infos):
        key = f"Ctrl+{index + 1}" if index < 9 else None
        action = _add(view_menu, f"&{info.title}", partial(_show_tab, window, index), key,
                      checkable=True)
        action.setStatusTip(info.description)
        group.addAction(action)
        actions[f"view_{info.id}"] = action
    view_actions = group.actions()
    if view_actions:
        view_actions[window.tabs.currentIndex()].setChecked(True)
    window.tabs.currentChanged.connect(lambda i: i >= 0 and view_actions[i].setChecked(True))
    view_menu.addSeparator()
    actions["full_screen"] = _add(view_menu, "&Full screen", window.set_full_screen, "F11",
                                  checkable=True)

    help_menu = bar.addMenu("&Help")
    actions["guide"] = _add(help_menu, "&Guide", window.show_guide, "Ctrl+F1")
    actions["shortcuts"] = _add(help_menu, "&Keyboard shortcuts…", window.show_shortcuts, "F1")
    actions["about"] = _add(help_menu, f"&About {APP_TITLE}", window.show_about)
    return actions


def _add(menu: QMenu, text: str, slot: Callable, shortcut: str | None = None,
         checkable: bool = False) -> QAction:
    """Append an action to `menu` calling `slot()`, or `slot(checked)` when checkable."""
    action = QAction(text, menu)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    action.triggered.connect(slot if checkable else lambda _checked=False: slot())
    menu.addAction(action)
    return action


def _show_tab(window: MainWindow, index: int, _checked: bool = True) -> None:
    """View › panel: switch to tab `index`."""
    window.tabs.setCurrentIndex(index)
