"""Workspaces: File › Save / Open workspace. A versioned JSON file that records every panel's
selections, parameters and seeds (each named input widget, by its path of object names), the energy
under study, the current panel, and what each panel had open (run directories followed, the depth
image or collection). Opening one restores what it can and lists precisely what it could not.

    doc = collect(window); save(path, window)      # write
    problems = open_workspace(path, window)        # read, migrate, restore; [] when everything came back

Version history: 0 (pre-release) stored the tab index as "tab" and inputs flat under "inputs";
1 stores the panel id as "current_panel" and inputs per panel. `migrate` upgrades 0 → 1.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSlider,
                               QSpinBox, QWidget)

FORMAT = "energy-workbench-workspace"
VERSION = 1
INPUTS = (QComboBox, QSpinBox, QDoubleSpinBox, QSlider, QCheckBox, QLineEdit)


def _path_of(widget: QWidget, root: QWidget) -> str | None:
    """'Page/seed': object names from `root` (excluded) down to `widget`; None if `widget` has none."""
    if not widget.objectName() or widget.objectName().startswith("qt_"):
        return None
    names, w = [], widget
    while w is not None and w is not root:
        if w.objectName() and not w.objectName().startswith("qt_"):
            names.append(w.objectName())
        w = w.parentWidget()
    return "/".join(reversed(names)) if w is root else None


def _inputs(root: QWidget) -> dict[str, QWidget]:
    """The named input widgets of `root`'s window (not those of pop-up menus), unique paths in tree order."""
    found: dict[str, QWidget] = {}
    for w in root.findChildren(QWidget):
        if not isinstance(w, INPUTS) or w.window() is not root.window():
            continue
        if isinstance(w, QLineEdit) and isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox)):
            continue  # the editor inside a spin box or combo box
        if isinstance(w, QComboBox) and w.count() == 0:
            continue  # filled later (e.g. the depth model's energies): nothing chosen yet
        path = _path_of(w, root)
        if path is None:
            continue
        key, n = path, 1
        while key in found:
            n += 1
            key = f"{path}#{n}"
        found[key] = w
    return found


def _value(w: QWidget) -> Any:
    if isinstance(w, QComboBox):
        data = w.currentData()
        return {"data": data} if isinstance(data, (str, int, float, bool)) else {"text": w.currentText()}
    if isinstance(w, (QSpinBox, QDoubleSpinBox, QSlider)):
        return w.value()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    return w.text()


def _set_value(w: QWidget, value: Any) -> str | None:
    """Set `w` to `value`; None, or why it could not be set."""
    if isinstance(w, QComboBox):
        if not isinstance(value, dict):
            return f"expected a choice, got {value!r}"
        index = w.findData(value["data"]) if "data" in value else w.findText(str(value.get("text")))
        if index < 0:
            return f"{value.get('data', value.get('text'))!r} is not one of the choices"
        w.setCurrentIndex(index)
    elif isinstance(w, (QSpinBox, QSlider)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"expected a number, got {value!r}"
        if not w.minimum() <= value <= w.maximum():
            return f"{value} is outside {w.minimum()}…{w.maximum()}"
        w.setValue(int(value))
    elif isinstance(w, QDoubleSpinBox):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"expected a number, got {value!r}"
        if not w.minimum() <= value <= w.maximum():
            return f"{value} is outside {w.minimum()}…{w.maximum()}"
        w.setValue(float(value))
    elif isinstance(w, QCheckBox):
        if not isinstance(value, bool):
            return f"expected true or false, got {value!r}"
        w.setChecked(value)
    else:
        if not isinstance(value, str):
            return f"expected text, got {value!r}"
        w.setText(value)
    return None


def capture_inputs(root: QWidget) -> dict[str, Any]:
    """{path: value} of every named input widget under `root`."""
    return {path: _value(w) for path, w in _inputs(root).items()}


def restore_inputs(root: QWidget, values: dict[str, Any], where: str = "") -> list[str]:
    """Set the inputs of `root` from `values` in the order they were saved; problems in words."""
    widgets, problems = _inputs(root), []
    for path, value in values.items():
        w = widgets.get(path)
        if w is None:
            problems.append(f"{where}{path}: no such control in this version (setting skipped)")
            continue
        why = _set_value(w, value)
        if why:
            problems.append(f"{where}{path}: {why}")
        widgets = _inputs(root)  # a choice may have rebuilt the controls below it
    return problems


def collect(window: Any) -> dict[str, Any]:
    """The workspace document of `window` (a MainWindow)."""
    panels = {}
    for info in window.panel_infos:
        panel = window.panel(info.id)
        state = {"inputs": capture_inputs(panel)}
        extra = getattr(panel, "workspace_extra", None)
        if callable(extra):
            state["extra"] = extra()
        panels[info.id] = state
    return {"format": FORMAT, "version": VERSION, "current_panel": window.current_panel_id(),
            "energy": {"source": window.energy_state.source, "temperature": window.energy_state.temperature},
            "panels": panels}


def save(path: str | Path, window: Any) -> Path:
    """Write the workspace of `window` to `path` atomically; ValueError if it cannot be written."""
    path = Path(path)
    doc = collect(window)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ValueError(f"could not write the workspace {str(path)!r}: {exc}") from None
    return path


def read(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """(migrated document, migration notes); ValueError when the file is not a workspace."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable workspace: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format", FORMAT) != FORMAT:
        raise ValueError(f"{str(path)!r} is not an Energy Workbench workspace")
    return migrate(doc)


def migrate(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Upgrade a workspace document to VERSION; notes say what was done or could not be."""
    version = doc.get("version", 0)
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(f"workspace version {version!r} is newer than this app reads ({VERSION}); update the app")
    notes: list[str] = []
    if version == 0:
        from workbench.panels import PANELS

        ids = [p.id for p in PANELS]
        tab = doc.get("tab", 0)
        flat = doc.get("inputs", {})
        panels: dict[str, Any] = {}
        for key, value in flat.items() if isinstance(flat, dict) else ():
            panel_id, _, path = key.partition("/")
            panels.setdefault(panel_id, {"inputs": {}})["inputs"][path] = value
        doc = {"format": FORMAT, "version": VERSION,
               "current_panel": ids[tab] if isinstance(tab, int) and 0 <= tab < len(ids) else ids[0],
               "energy": doc.get("energy", {}), "panels": panels}
        notes.append("workspace migrated from version 0 (tab index → panel id, flat inputs → per panel)")
    return doc, notes


def restore(window: Any, doc: dict[str, Any]) -> list[str]:
    """Apply a (migrated) workspace document to `window`; the list of what could not be restored."""
    problems: list[str] = []
    energy = doc.get("energy") or {}
    source, state = energy.get("source") or {}, window.energy_state
    try:
        if source.get("kind") == "builtin":
            state.set_builtin(source["name"], **source.get("params", {}))
        elif source.get("kind") == "expression":
            state.set_expression(source["text"], source.get("dim"), source.get("bounds"))
        elif source.get("kind") == "checkpoint":
            state.set_checkpoint(source["path"])
        elif source:
            problems.append(f"energy: a {source.get('kind')!r} energy cannot be restored from a file")
        if "temperature" in energy:
            state.set_temperature(energy["temperature"])
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"energy: {exc}")
    ids = [info.id for info in window.panel_infos]
    for panel_id, panel_state in (doc.get("panels") or {}).items():
        if panel_id not in ids:
            problems.append(f"panel {panel_id!r} does not exist in this version")
            continue
        panel = window.panel(panel_id)
        problems += restore_inputs(panel, (panel_state or {}).get("inputs", {}), f"{panel_id}: ")
        extra = (panel_state or {}).get("extra")
        restore_extra = getattr(panel, "restore_workspace_extra", None)
        if extra is not None and callable(restore_extra):
            problems += [f"{panel_id}: {p}" for p in restore_extra(extra)]
    if doc.get("current_panel") in ids:
        window.show_panel(doc["current_panel"])
    return problems


def open_workspace(path: str | Path, window: Any) -> list[str]:
    """Read, migrate and restore `path` into `window`: notes and problems (empty: all restored)."""
    doc, notes = read(path)
    return notes + restore(window, doc)
