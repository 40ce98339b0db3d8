"""Energy Workbench desktop app: a PySide6 view on the `core` engine (start it with `python -m workbench`)."""
from __future__ import annotations

APP_TITLE = "Energy Workbench"
ORG_NAME = "energy-workbench"  # QSettings / QStandardPaths organisation name
APP_NAME = "workbench"  # QSettings / QStandardPaths application name

__all__ = ["APP_TITLE", "ORG_NAME", "APP_NAME"]
