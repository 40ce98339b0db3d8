"""The Training panel: one page per kind of model — 2D densities (CD, PCD, DSM), energy-based regression
(ML-IS … NCE with a learned proposal) and GAN-style EBMs (EBGAN, BEGAN, MAGAN) — chosen at the top.

Each page trains in its own process (`worker`, `workbench.training_process`) and can follow a run
directory. File › Open run… reads the run's config.json and hands it to the page that draws its trainer.
Closing the window stops every page's run (each writes a checkpoint) and ends its process.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (QApplication, QComboBox, QFileDialog, QHBoxLayout, QLabel, QStackedWidget,
                               QVBoxLayout, QWidget)

from core.runs import RunDir
from workbench.panels.training.page_2d import Density2DPage
from workbench.panels.training.page_gan import GanPage
from workbench.panels.training.page_losses import LossExplorerPage
from workbench.panels.training.page_regression import RegressionPage
from workbench.panels.training.run_page import RunPage
from workbench.widgets.ownership import adopt_new_top_levels, top_level_ids

PAGES = (("density2d", "2D density (CD · PCD · DSM)", Density2DPage),
         ("regression", "Regression p(y|x) (ML-IS · NCE · …)", RegressionPage),
         ("gan", "GAN-style EBMs (EBGAN · BEGAN · MAGAN)", GanPage),
         ("losses", "Loss explorer: LeCun's losses on a digit classifier EBM", LossExplorerPage))


class TrainingPanel(QWidget):
    """A page selector over `pages` (id → `RunPage`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        before = top_level_ids()
        self.setObjectName("TrainingPanel")
        self.kind = QComboBox(objectName="training_kind")
        self.stack = QStackedWidget()
        self.pages: dict[str, RunPage] = {}
        for key, title, cls in PAGES:
            page = cls()
            self.pages[key] = page
            self.kind.addItem(title, key)
            self.stack.addWidget(page)
        self.kind.currentIndexChanged.connect(self.stack.setCurrentIndex)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(QLabel("Train:"))
        top.addWidget(self.kind)
        top.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(top)
        column.addWidget(self.stack, 1)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        adopt_new_top_levels(self, before)

    def show_page(self, key: str) -> RunPage:
        """Switch to page `key` (density2d, regression, gan) and return it."""
        self.kind.setCurrentIndex(list(self.pages).index(key))
        return self.pages[key]

    @property
    def current(self) -> RunPage:
        return self.pages[self.kind.currentData()]

    def page_for(self, path: str | Path) -> RunPage:
        """The page that draws the trainer of run `path` (its config.json); the current one otherwise."""
        try:
            trainer = RunDir(path, create=False).read_config().get("trainer")
        except (ValueError, OSError, AttributeError):
            return self.current
        for key, page in self.pages.items():
            if trainer in page.trainers:
                return self.show_page(key)
        return self.current

    def open_run(self) -> None:
        """File › Open run…: pick a run directory (non-blocking dialog), then follow it on its page."""
        start = next((str(p.run_dir.parent) for p in self.pages.values() if p.run_dir), str(Path.cwd()))
        dialog = QFileDialog(self, "Open run directory", start)
        dialog.setObjectName("open_run_dialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.follow_run)
        dialog.finished.connect(dialog.deleteLater)
        self.current.say("Choose a run directory to follow…")
        dialog.open()

    def follow_run(self, path: str | Path) -> bool:
        """Follow run directory `path` live on the page for its trainer."""
        return self.page_for(path).follow_run(path)

    # --- workspace -------------------------------------------------------------------------
    def workspace_extra(self) -> dict:
        """The run directories the pages follow (page id → path)."""
        return {"followed": {key: str(page.follower.path) for key, page in self.pages.items()
                             if page.follower.path is not None}}

    def restore_workspace_extra(self, extra: dict) -> list[str]:
        """Follow the saved run directories again; problems for those that are gone."""
        problems, current = [], self.kind.currentIndex()
        for key, path in (extra.get("followed") or {}).items():
            if key not in self.pages:
                problems.append(f"no Training page {key!r} in this version")
            elif not Path(path).is_dir():
                problems.append(f"run directory {path} no longer exists")
            elif not self.pages[key].follow_run(path):
                problems.append(f"could not follow {path}")
        self.kind.setCurrentIndex(current)
        return problems

    # --- lifetime --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        window = self.window()
        if window is not self:
            window.removeEventFilter(self)
            window.installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and obj is self.window():
            self.shutdown()
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every page's run (each writes a checkpoint) and end the processes. Safe to repeat."""
        for page in self.pages.values():  # all at once: closing waits for the slowest, not for the sum
            page.worker.quit()
        for page in self.pages.values():
            page.shutdown()


__all__ = ["TrainingPanel"]
