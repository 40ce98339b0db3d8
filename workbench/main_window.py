"""The main window: one tab per registered panel, File / View / Help menus and a status bar."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from PySide6.QtCore import QByteArray, QEvent
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

import core
from core import device
from workbench import APP_TITLE, about, errors, panels, workspace
from workbench.menus import build_menus
from workbench.panels import PanelInfo
from workbench.settings import Settings, add_recent_file, qsettings, recent_files
from workbench.state import EnergyState

DEFAULT_SIZE = (1280, 800)
MESSAGE_MS = 8000


class MainWindow(QMainWindow):
    """The Energy Workbench window; `panel_infos` defaults to the registry `panels.PANELS`."""

    def __init__(self, panel_infos: Sequence[PanelInfo] | None = None,
                 remember_geometry: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_TITLE)
        self.remember_geometry = remember_geometry
        self.panel_infos = list(panels.PANELS if panel_infos is None else panel_infos)
        self.energy_state = EnergyState(self)  # shared by the Landscape and Sampler panels
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        for info in self.panel_infos:
            index = self.tabs.addTab(info.factory(self), info.title)
            self.tabs.setTabToolTip(index, info.description)
        self.setCentralWidget(self.tabs)
        self.menu_actions = build_menus(self)
        self._fill_recent_menu()
        engine = QLabel(f"core {core.__version__} · torch {torch.__version__} · {device.pick()}")
        self.statusBar().addPermanentWidget(engine)
        self.ready_message = f"Ready. Switch panels with Ctrl+1…Ctrl+{len(self.panel_infos)}."
        self.statusBar().showMessage(self.ready_message)
        self.resize(*DEFAULT_SIZE)
        if remember_geometry:
            self._restore_settings()

    def panel(self, name: str) -> QWidget:
        """The panel widget whose id or title is `name`; ValueError otherwise."""
        return self.tabs.widget(self.panel_infos.index(panels.find(name, self.panel_infos)))

    def current_panel_id(self) -> str:
        """Id of the panel on the current tab."""
        return self.panel_infos[self.tabs.currentIndex()].id

    def show_panel(self, name: str) -> None:
        """Switch to the tab whose id or title is `name`; ValueError listing valid ids otherwise."""
        self.tabs.setCurrentWidget(self.panel(name))

    def show_message(self, text: str, timeout_ms: int = MESSAGE_MS) -> None:
        """Show `text` in the status bar for `timeout_ms` (0: until replaced)."""
        self.statusBar().showMessage(text, timeout_ms)

    def open_image(self) -> None:
        """File › Open image…: handed to the first panel with `open_image()`."""
        self._delegate("open_image", "Opening images comes with the Depth panel.")

    def open_run(self) -> None:
        """File › Open run…: handed to the first panel with `open_run()`."""
        self._delegate("open_run", "Opening run directories comes with the Training panel.")

    def export_view(self, path: str | Path) -> bool:
        """Save the current panel to `path` (its own `export_view` if it has one, else a PNG grab)."""
        panel = self.tabs.currentWidget()
        if hasattr(panel, "export_view"):
            return bool(panel.export_view(path))
        return panel.grab().save(str(path))

    def export_view_dialog(self) -> None:
        """File › Export view…: ask for a file name, then `export_view`."""
        default = str(Path.home() / f"{self.current_panel_id()}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export view", default, "PNG image (*.png)")
        if path:
            ok = self.export_view(path)
            self.show_message(f"Saved {path}" if ok else f"Could not save {path}")

    # --- workspaces ------------------------------------------------------------------------
    def save_workspace(self, path: str | Path) -> bool:
        """File › Save workspace: every panel's settings to `path` (JSON); remembered as the last one."""
        try:
            written = workspace.save(path, self)
        except ValueError as exc:
            self.show_message(errors.report_error(self, exc, "save the workspace"))
            return False
        self._remember_workspace(written)
        self.show_message(f"Workspace saved to {written}")
        return True

    def open_workspace(self, path: str | Path) -> list[str]:
        """File › Open workspace: restore `path`; returns (and shows) what could not be restored."""
        try:
            problems = workspace.open_workspace(path, self)
        except ValueError as exc:
            self.show_message(errors.report_error(self, exc, "open the workspace"))
            return [str(exc)]
        self._remember_workspace(Path(path))
        if problems:
            errors.report_error(self, ValueError("; ".join(problems)), f"restore everything from {Path(path).name}")
            self.show_message(f"Workspace {Path(path).name} opened; {len(problems)} setting(s) not restored "
                              "(see the log)")
        else:
            self.show_message(f"Workspace {Path(path).name} restored")
        return problems

    def _remember_workspace(self, path: Path) -> None:
        add_recent_file("workspace", path)
        settings = Settings.load()
        settings.last_workspace = str(path)
        try:
            settings.save()
        except OSError:  # a read-only config folder must not stop the work
            pass
        self._fill_recent_menu()

    def save_workspace_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save workspace", str(Path.home() / "workspace.ewb.json"),
                                              "Workspaces (*.json)")
        if path:
            self.save_workspace(path)

    def open_workspace_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open workspace", str(Path.home()), "Workspaces (*.json)")
        if path:
            self.open_workspace(path)

    def _fill_recent_menu(self) -> None:
        menu = getattr(self, "recent_menu", None)
        if menu is None:
            return
        menu.clear()
        recent = recent_files("workspace")
        for item in recent:
            menu.addAction(item).triggered.connect(lambda _checked=False, p=item: self.open_workspace(p))
        menu.setEnabled(bool(recent))

    def set_full_screen(self, on: bool) -> None:
        """View › Full screen (F11)."""
        self.showFullScreen() if on else self.showNormal()

    def show_about(self) -> QMessageBox:
        """Help › About: versions and compute device (non-blocking box, returned)."""
        return about.show_about(self)

    def show_guide(self) -> QWidget:
        """Help › Guide: docs/guide.md with its screenshots (non-modal window, returned)."""
        from workbench.guide import show_guide

        self.guide_window = show_guide(self)
        return self.guide_window

    def show_shortcuts(self) -> QMessageBox:
        """Help › Keyboard shortcuts (non-blocking box, returned)."""
        return about.show_shortcuts(self, self.menuBar())

    def changeEvent(self, event: QEvent) -> None:
        """Keep View › Full screen checked exactly when the window is full screen."""
        if event.type() == QEvent.Type.WindowStateChange:
            self.menu_actions["full_screen"].setChecked(self.isFullScreen())
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember geometry, toolbar/dock state and the current tab."""
        if self.remember_geometry:
            settings = qsettings()
            settings.setValue("window/geometry", self.saveGeometry())
            settings.setValue("window/state", self.saveState())
            settings.setValue("window/panel", self.current_panel_id())
        super().closeEvent(event)

    def _restore_settings(self) -> None:
        """Restore what `closeEvent` saved; ignore anything missing or stale."""
        settings = qsettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        saved = settings.value("window/panel")
        if isinstance(saved, str) and saved in [p.id for p in self.panel_infos]:
            self.show_panel(saved)

    def _delegate(self, method: str, missing: str) -> None:
        """Call `method()` on the first panel that has it (after showing it), else say `missing`."""
        for index in range(self.tabs.count()):
            panel = self.tabs.widget(index)
            if callable(getattr(panel, method, None)):
                self.tabs.setCurrentIndex(index)
                getattr(panel, method)()
                return
        self.show_message(missing)
