"""Where the window remembers itself: a QSettings INI file named after the organisation and app."""
from __future__ import annotations

from PySide6.QtCore import QSettings

from workbench import APP_NAME, ORG_NAME


def qsettings() -> QSettings:
    """The user's INI settings (window geometry, last tab); tests point IniFormat at a temp folder."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_NAME)
