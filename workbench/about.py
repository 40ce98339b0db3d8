"""Help dialogs: About Energy Workbench and the keyboard shortcuts of every menu action."""
from __future__ import annotations

import html
import platform

import PySide6
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

import core
from core import device
from workbench import APP_TITLE


def about_text() -> str:
    """Versions and device, as rich text for the About box."""
    rows = [
        ("core", core.__version__),
        ("torch", torch.__version__),
        ("device", str(device.pick())),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", pg.__version__),
        ("Python", platform.python_version()),
    ]
    table = "".join(f"<tr><td>{k}</td><td>&nbsp;&nbsp;{html.escape(v)}</td></tr>" for k, v in rows)
    return (f"<h3>{APP_TITLE} {core.__version__}</h3>"
            "<p>See energy-based models at work: energies, exact landscapes, MCMC samplers "
            f"and EBM training.</p><table>{table}</table>")


def shortcuts(menu_bar: QMenuBar) -> list[tuple[str, str]]:
    """(menu › action, key) for every menu action that has a shortcut, in menu order."""
    found = []
    for menu_action in menu_bar.actions():
        menu = menu_action.menu()
        for action in menu.actions() if menu is not None else []:
            if not action.shortcut().isEmpty():
                key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                name = f"{menu_action.text()} › {action.text()}".replace("&", "")
                found.append((name, key))
    return found


def shortcuts_text(menu_bar: QMenuBar) -> str:
    """The shortcut table as rich text."""
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>&nbsp;&nbsp;{html.escape(n)}</td></tr>"
                   for n, k in shortcuts(menu_bar))
    return f"<h3>Keyboard shortcuts</h3><table>{rows}</table>"


def _box(parent: QWidget, title: str, text: str) -> QMessageBox:
    """Open a non-blocking information box that deletes itself when closed."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Close,
                      parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_about(parent: QWidget) -> QMessageBox:
    """Open the About box (versions, device) and return it."""
    return _box(parent, f"About {APP_TITLE}", about_text())


def show_shortcuts(parent: QWidget, menu_bar: QMenuBar) -> QMessageBox:
    """Open the keyboard shortcut list and return it."""
    return _box(parent, "Keyboard shortcuts", shortcuts_text(menu_bar))

