"""Errors: keep the app alive, say what went wrong in the status bar, and log details to a file.

Panels wrap calls into `core` that may raise ValueError (bad formula, bad parameter) like this:

    try:
        E = energies.from_expression(text, dim=2)
    except ValueError as exc:
        errors.report_error(self, exc, "parse the formula")   # "Could not parse the formula: ..."
        return
"""
from __future__ import annotations

import logging
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget
from shiboken6 import isValid

from workbench import APP_TITLE
from workbench.headless import describe

LOG = logging.getLogger("workbench")
LOG.addHandler(logging.NullHandler())  # silent until `start_logging`; the hook prints to stderr
SHOW_DIALOGS = True  # False in tests and screenshots: status bar and log only
STATUS_TIMEOUT_MS = 15_000
_open_box: list[QMessageBox] = []  # at most one error dialog at a time


def log_path() -> Path:
    """The log file, under the user's app data folder (QStandardPaths.AppDataLocation)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / "logs" / "workbench.log"


def start_logging() -> logging.Handler:
    """Send `workbench` log records to a rotating log file (1 MB × 3); return the handler."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    return handler


def stop_logging(handler: logging.Handler) -> None:
    """Detach and close a handler from `start_logging`."""
    LOG.removeHandler(handler)
    handler.close()


def report_error(parent: QWidget | None, exc: BaseException, what: str) -> str:
    """Tell the user that `what` ("compute the landscape") failed; return the message shown."""
    message = f"Could not {what}: {describe(exc)}"
    _report(parent, message, (type(exc), exc, exc.__traceback__), logging.WARNING)
    return message


class ExceptionHook:
    """A sys.excepthook that reports uncaught exceptions in `window` instead of ending the app."""

    def __init__(self, window: QWidget | None = None) -> None:
        self.window = window
        self.count = 0  # uncaught exceptions seen since install
        self._previous = sys.excepthook

    def install(self) -> ExceptionHook:
        """Make this the process's sys.excepthook; return self."""
        self._previous = sys.excepthook
        sys.excepthook = self
        return self

    def uninstall(self) -> None:
        """Put back the hook that was there before `install`."""
        if sys.excepthook is self:
            sys.excepthook = self._previous

    def __call__(self, etype: type[BaseException], value: BaseException,
                 tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            self._previous(etype, value, tb)
            return
        self.count += 1
        traceback.print_exception(etype, value, tb, file=sys.stderr)
        try:
            _report(self.window, f"Unexpected error: {describe(value)}", (etype, value, tb),
                    logging.ERROR)
        except Exception:  # never let the hook itself take the app down
            sys.__excepthook__(etype, value, tb)


def _report(parent: QWidget | None, message: str, exc_info: tuple, level: int) -> None:
    """Log `message` with its traceback, show it in the status bar and, outside tests, a dialog."""
    LOG.log(level, message, exc_info=exc_info)
    window = _main_window(parent)
    if window is not None:
        window.statusBar().showMessage(message, STATUS_TIMEOUT_MS)
    if _open_box and not isValid(_open_box[0]):  # deleted along with its window
        _open_box.clear()
    if SHOW_DIALOGS and QApplication.instance() is not None and not _open_box:
        box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message, QMessageBox.StandardButton.Ok,
                          window)
        box.setInformativeText(f"Details are in the log: {log_path()}")
        box.setDetailedText("".join(traceback.format_exception(*exc_info)))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: _open_box.clear())
        _open_box.append(box)
        box.open()  # window-modal, does not block the hook


def _main_window(parent: QWidget | None) -> QMainWindow | None:
    """The main window holding `parent`, else the active or first visible main window."""
    try:
        window = parent.window() if parent is not None else None
    except RuntimeError:  # the C++ widget is gone
        window = None
    if isinstance(window, QMainWindow):
        return window
    app = QApplication.instance()
    if app is None:
        return None
    candidates = [app.activeWindow(), *app.topLevelWidgets()]
    return next((w for w in candidates if isinstance(w, QMainWindow) and w.isVisible()), None)
