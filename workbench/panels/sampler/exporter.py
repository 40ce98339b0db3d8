"""The panel's exports: trace (NPZ) and animation (GIF/MP4), with their file dialogs and the recorder.

File formats live in `export` (no Qt dialogs); this class knows the panel: its run, settings and view.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog

from workbench import errors
from workbench.panels.sampler import export
from workbench.panels.sampler.session import Snapshot

if TYPE_CHECKING:
    from workbench.panels.sampler.panel import SamplerPanel


class Exporter:
    """Exports of `panel`; `recorder` keeps frames of the view while playing with Record on."""

    def __init__(self, panel: SamplerPanel) -> None:
        self.panel = panel
        self.recorder = export.FrameRecorder()

    def settings(self) -> dict[str, Any]:
        """The run's settings and the energy it samples, as plain data."""
        p = self.panel
        s = p.run.settings
        return {"sampler": s.sampler, "params": s.params, "n_chains": s.n_chains, "seed": s.seed,
                "init": s.init, "centre": s.centre, "radius": s.radius, "energy": p.energy_state.source,
                "temperature": p.energy_state.temperature, "bounds": p.energy.bounds}

    def trace(self, path: str | Path) -> Path:
        """Write the recorded trace and settings as NPZ; ValueError when there is no run."""
        if self.panel.run is None:
            raise ValueError("nothing to export: no run yet")
        return export.save_trace(path, self.panel.run.trace_record(), self.settings())

    def animation(self, path: str | Path, steps: int = 60) -> Path:
        """Write the recorded frames, or else the last `steps` steps re-drawn, as an animation."""
        frames = list(self.recorder.frames) or self.render_history(steps)
        return export.save_animation(path, frames, self.recorder.fps)

    def render_history(self, steps: int) -> list:
        """Frames of the view for the last `steps` recorded steps (first 1 000 chains)."""
        p = self.panel
        if p.run is None or p.drawn is None:
            return []
        window = p.run.history_window(steps, None)
        frames = []
        for t, x in zip(window["t"], window["x"]):
            snap = Snapshot(run_id=p.run.run_id, t=int(t), sampler=p.drawn.sampler, x=x,
                            energy=p.drawn.energy[: len(x)], acceptance=p.drawn.acceptance,
                            n_diverged=0, n_divergences=0)
            p.view.draw(snap, False, False)
            frames.append(export.qimage_to_array(p.view.view.grab().toImage()))
        p.redraw()
        return frames

    def maybe_record(self) -> None:
        """Take a frame of the view if recording, playing and one is due."""
        p, now = self.panel, time.perf_counter()
        if p.controls.record_button.isChecked() and p.worker.playing and self.recorder.due(now):
            self.recorder.add(export.qimage_to_array(p.view.view.grab().toImage()), now)

    def save(self, path: str | Path) -> bool:
        """.npz: trace; .gif/.mp4: animation; anything else: a PNG of the panel. Errors are reported."""
        suffix = Path(path).suffix.lower()
        try:
            if suffix == ".npz":
                self.trace(path)
            elif suffix in export.ANIMATION_SUFFIXES:
                self.animation(path)
            else:
                return self.panel.grab().save(str(path))
        except (ValueError, OSError) as exc:
            errors.report_error(self.panel, exc, f"export {Path(path).name}")
            return False
        return True

    def trace_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.panel, "Export trace", str(Path.home() / "trace.npz"),
                                              "NumPy archive (*.npz)")
        if path:
            self.save(path)

    def animation_dialog(self) -> None:
        kinds = "GIF animation (*.gif)" + (";;MP4 video (*.mp4)" if export.mp4_available() else "")
        path, _ = QFileDialog.getSaveFileName(self.panel, "Export animation",
                                              str(Path.home() / "sampler.gif"), kinds)
        if path:
            self.save(path)
