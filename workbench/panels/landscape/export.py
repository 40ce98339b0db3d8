"""Export a landscape: the grid as NPZ or CSV, the view as PNG. Plain functions taking a path, no dialogs.

Both grid formats hold the same things: the axes (cell centres), `energy`, `density`, `log_density`
(indexed 'ij': first index along x), `log_z`, `temperature`, `bounds` and a description of the source
(a JSON object: built-in name and parameters, formula text, or checkpoint path).

    save_npz(land, "banana.npz", source)     # np.load(path)["energy"] -> (nx, ny)
    save_csv(land, "banana.csv", source)     # one row per cell: x, y, energy, density, log_density
    save_png(widget, "view.png")             # what the widget shows, as on screen
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QWidget

from core.landscape import Landscape

AXIS_NAMES = ("x", "y")
QUANTITIES = ("energy", "density", "log_density")


def source_text(source: dict[str, Any] | None) -> str:
    """The energy's source as one line of JSON (tuples become lists, anything else its str)."""
    return json.dumps(source or {}, default=str, sort_keys=True)


def grid_arrays(land: Landscape, source: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Everything an export holds, as numpy arrays (float64; `source` a 0-d string array)."""
    if land.density is None or land.log_density is None or land.log_z is None:
        raise ValueError("export needs a normalised landscape (core.landscape.density)")
    arrays: dict[str, np.ndarray] = {
        name: axis.numpy().astype(np.float64) for name, axis in zip(AXIS_NAMES, land.axes)}
    for name in QUANTITIES:
        arrays[name] = getattr(land, name).numpy().astype(np.float64)
    arrays["log_z"] = np.float64(land.log_z)
    arrays["temperature"] = np.float64(land.temperature)
    arrays["bounds"] = np.asarray(land.bounds, dtype=np.float64)
    arrays["source"] = np.asarray(source_text(source))
    return arrays


def save_npz(land: Landscape, path: str | Path, source: dict[str, Any] | None = None) -> Path:
    """Write the grid to `path` (.npz, compressed); returns the path. Loads without `allow_pickle`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:  # np.savez would append '.npz' to a name without it
        np.savez_compressed(handle, **grid_arrays(land, source))
    return path


def csv_header(land: Landscape, source: dict[str, Any] | None = None) -> list[str]:
    """The '# key: value' lines that start a CSV export (read them back with `read_csv_header`)."""
    cells = " x ".join(str(len(a)) for a in land.axes)
    return [
        "Energy Workbench landscape",
        f"source: {source_text(source)}",
        f"temperature: {land.temperature!r}",
        f"log_z: {land.log_z!r}",
        f"bounds: {json.dumps([list(b) for b in land.bounds])}",
        f"grid: {cells} cell centres, one row per cell, x varies slowest",
    ]


def save_csv(land: Landscape, path: str | Path, source: dict[str, Any] | None = None) -> Path:
    """Write one row per grid cell (x[, y], energy, density, log_density) after '#' header lines."""
    arrays = grid_arrays(land, source)
    names = list(AXIS_NAMES[:len(land.axes)])
    mesh = np.meshgrid(*(arrays[n] for n in names), indexing="ij")
    columns = [m.ravel() for m in mesh] + [arrays[q].ravel() for q in QUANTITIES]
    table = np.column_stack(columns)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "\n".join(f"# {line}" for line in csv_header(land, source))
    header += "\n" + ",".join(names + list(QUANTITIES))
    np.savetxt(path, table, delimiter=",", fmt="%.10g", header=header, comments="", encoding="utf-8")
    return path


def read_csv_header(path: str | Path) -> dict[str, str]:
    """The 'key: value' pairs of a CSV export's '#' lines (values as text)."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            key, sep, value = line[1:].strip().partition(": ")
            if sep:
                out[key] = value
    return out


def save_png(widget: QWidget, path: str | Path) -> bool:
    """Render `widget` as on screen (OpenGL children included) to the PNG `path`; False on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixmap = widget.grab()
    return not pixmap.isNull() and pixmap.save(str(path), "PNG")

