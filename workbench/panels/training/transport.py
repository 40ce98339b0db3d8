"""Start / Pause / Resume / Stop / Save checkpoint buttons and a message line, shared by every page."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

BUTTONS = (("start", "Start"), ("pause", "Pause"), ("resume", "Resume"), ("stop", "Stop"),
           ("save", "Save checkpoint"))


class Transport(QWidget):
    """The run buttons (`buttons[key]`) and `message`; `set_state` enables what makes sense."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for i, (key, text) in enumerate(BUTTONS):
            button = QPushButton(text, objectName=f"{key}_button")
            self.buttons[key] = button
            grid.addWidget(button, i // 2, i % 2, 1, 2 if key == "save" else 1)
        self.message = QLabel(objectName="message", wordWrap=True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(grid)
        column.addWidget(self.message)
        self.set_state("idle")

    def set_state(self, state: str) -> None:
        """Enable the buttons that make sense when `state` is idle, running or paused."""
        live = state in ("running", "paused")
        self.buttons["start"].setEnabled(not live)
        self.buttons["pause"].setEnabled(state == "running")
        self.buttons["resume"].setEnabled(state == "paused")
        self.buttons["stop"].setEnabled(live)
        self.buttons["save"].setEnabled(live)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
