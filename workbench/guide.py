"""Help › Guide: the user guide (docs/guide.md, with its screenshots) in a non-modal window.

QTextBrowser renders the Markdown and finds the images beside the file; nothing is fetched from the
network. When the guide is missing (a partial install) the window says where it should be."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide.md"


class GuideWindow(QDialog):
    """The rendered guide; `browser` holds it."""

    def __init__(self, parent: QWidget | None = None, path: Path = GUIDE) -> None:
        super().__init__(parent)
        self.setObjectName("GuideWindow")
        self.setWindowTitle("Energy Workbench — user guide")
        self.browser = QTextBrowser(objectName="guide_browser")
        self.browser.setOpenExternalLinks(False)
        self.browser.setSearchPaths([str(path.parent)])
        if path.is_file():
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        else:
            self.browser.setMarkdown(f"# Guide not found\n\nThe user guide should be at `{path}`; it ships "
                                     "with the source (docs/guide.md). Help › Keyboard shortcuts still works.")
        QVBoxLayout(self).addWidget(self.browser)
        self.resize(900, 750)


def show_guide(parent: QWidget | None = None, path: Path = GUIDE) -> GuideWindow:
    """Open the guide window (non-modal) and return it."""
    window = GuideWindow(parent, path)
    window.show()
    return window
