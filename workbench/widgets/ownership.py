"""pyqtgraph makes its context menus as parentless top-level widgets; a panel adopts the ones its
construction created, so they are freed with it (and tests see no leaked windows)."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import getCppPointer


def top_level_ids() -> set[int]:
    """C++ addresses of the top-level widgets that exist now."""
    return {getCppPointer(w)[0] for w in QApplication.topLevelWidgets()}


def adopt_new_top_levels(owner: QWidget, before: set[int]) -> None:
    """Parent to `owner` every top-level widget made since `before` (keeping its window flags)."""
    for w in QApplication.topLevelWidgets():
        if getCppPointer(w)[0] not in before and w is not owner:
            w.setParent(owner, w.windowFlags())
