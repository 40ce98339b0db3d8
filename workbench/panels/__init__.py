"""The panel registry: the main window makes one tab per entry of `PANELS`, in order.

A later issue replaces a placeholder by pointing its entry's `factory` at the real panel class;
the window itself does not change. Optional panel methods the window uses when present:
`open_image()` (File › Open image…), `open_run()` (File › Open run…), `export_view(path)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from PySide6.QtWidgets import QWidget

from workbench.panels import placeholder
from workbench.panels.depth import DepthPanel
from workbench.panels.sampler import SamplerPanel
from workbench.panels.landscape import landscape_panel
from workbench.panels.training import TrainingPanel


@dataclass(frozen=True)
class PanelInfo:
    """One tab: a stable id (settings, `--tab`), a title, a factory(parent) and a one-line description."""

    id: str
    title: str
    factory: Callable[[QWidget | None], QWidget]
    description: str


PANELS: list[PanelInfo] = [
    PanelInfo("landscape", "Landscape", landscape_panel, placeholder.LANDSCAPE),
    PanelInfo("sampler", "Sampler", SamplerPanel, placeholder.SAMPLER),
    PanelInfo("training", "Training", TrainingPanel, placeholder.TRAINING),
    PanelInfo("depth", "Depth", DepthPanel, placeholder.DEPTH),
]


def find(name: str, infos: Sequence[PanelInfo] | None = None) -> PanelInfo:
    """The panel whose id or title is `name` (any case); ValueError listing the valid ids otherwise."""
    infos = PANELS if infos is None else infos
    key = name.strip().lower()
    for info in infos:
        if key in (info.id.lower(), info.title.lower()):
            return info
    raise ValueError(f"unknown panel {name!r}; valid panels: {', '.join(p.id for p in infos)}")
