"""Where the window remembers itself. Two stores, as napari and Orange do it:

- `qsettings()`: a QSettings INI file for window geometry, the last tab and recent files only;
- `Settings`: a typed, versioned settings object (JSON in the user's config folder) for everything else.
  Files written by an older version are migrated on load (`migrate`), unknown keys are dropped and
  listed, bad values fall back to the defaults (also listed), so a damaged file never stops the app.
Tests point both at a temporary folder (XDG_CONFIG_HOME, QSettings.setPath).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths

from workbench import APP_NAME, ORG_NAME

SETTINGS_VERSION = 2
RECENT_LIMIT = 10


def qsettings() -> QSettings:
    """The user's INI settings (window geometry, last tab, recent files)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_NAME)


@dataclass
class Settings:
    """Everything but geometry and recents. Version 2 (version 1 called `restore_last_workspace` `reopen`)."""

    version: int = SETTINGS_VERSION
    restore_last_workspace: bool = True  # reopen the last workspace at launch
    last_workspace: str = ""  # path of the workspace saved or opened last
    max_recent: int = RECENT_LIMIT
    run_root: str = ""  # where new run directories go ("" = the app data folder)
    problems: list[str] = field(default_factory=list, compare=False, repr=False)  # found while loading

    @staticmethod
    def path() -> Path:
        """settings.json in the user's config folder for this app."""
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
        return Path(base or os.path.expanduser("~/.config/energy-workbench")) / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        """Read (and migrate) the settings file; defaults when there is none; problems listed, never raised."""
        path = path or cls.path()
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            return cls(problems=[f"settings file {path} is unreadable ({exc}); using the defaults"])
        raw, problems = migrate(raw)
        settings, known = cls(), {f.name: f for f in fields(cls) if f.name != "problems"}
        for key, value in raw.items():
            if key not in known:
                problems.append(f"unknown setting {key!r} ignored")
            elif not isinstance(value, type(getattr(settings, key))):
                problems.append(f"setting {key!r} = {value!r} is not a {type(getattr(settings, key)).__name__}; "
                                "default kept")
            else:
                setattr(settings, key, value)
        settings.version, settings.problems = SETTINGS_VERSION, problems
        return settings

    def save(self, path: Path | None = None) -> Path:
        """Write atomically (temporary file, then rename)."""
        path = path or self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "problems"}
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path


def migrate(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Bring a settings dict of any earlier version up to SETTINGS_VERSION; notes on what changed."""
    raw, notes = dict(raw), []
    version = raw.get("version", 1)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        notes.append(f"settings version {version!r} is not one this app knows; read as version {SETTINGS_VERSION}")
        version = SETTINGS_VERSION
    if version < 2 and "reopen" in raw:  # v1 → v2: the flag got a name that says what it does
        raw["restore_last_workspace"] = raw.pop("reopen")
        notes.append("settings migrated from version 1")
    raw["version"] = SETTINGS_VERSION
    return raw, notes


def recent_files(kind: str) -> list[str]:
    """Recent files of `kind` (e.g. "workspace"), newest first, from QSettings."""
    value = qsettings().value(f"recent/{kind}", [])
    values = [value] if isinstance(value, str) else list(value or [])
    return [str(v) for v in values if v]


def add_recent_file(kind: str, path: str | Path, limit: int = RECENT_LIMIT) -> list[str]:
    """Put `path` first in the recent list of `kind` (no duplicates, at most `limit`)."""
    path = str(Path(path))
    items = [path] + [p for p in recent_files(kind) if p != path]
    items = items[:limit]
    qsettings().setValue(f"recent/{kind}", items)
    return items
